//! A prompt's Sequence as the caller hears it, for the transcript.
//!
//! The Sequence is a template (its `{expressions}` are already spliced
//! in). Text in Studio's segment syntax, `"%Thank you for calling"
//! "hold.wav"`, is read as Studio reads it: each segment in double quotes;
//! `%` starts text-to-speech, `$` a value spoken as text (Studio's
//! `"${var}"` after the template spliced the value in), anything else
//! names an audio file, shown as `[hold.wav]`. Any other text is one
//! text-to-speech segment. The segments heard are joined by a space.

use crate::{ActionCall, ActionError, TranscriptKind};

/// The most characters of one text-to-speech segment, as Studio documents
/// ("TTS has a 300 character limit"; longer text is several segments).
pub(super) const MAX_TTS_CHARS: usize = 300;

/// What `sequence` plays, as the transcript shows it ("" for silence).
pub(super) fn heard(sequence: &str) -> Result<String, String> {
    let text = sequence.trim();
    if !text.starts_with('"') {
        return tts(text).map(str::to_string);
    }
    let mut parts: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(after) = rest.strip_prefix('"') {
        let Some(end) = after.find('"') else {
            return Err(format!(
                "a segment has no closing quote: `\"{}`",
                clip(after)
            ));
        };
        let segment = &after[..end];
        rest = after[end + 1..].trim_start();
        if let Some(speech) = segment
            .strip_prefix('%')
            .or_else(|| segment.strip_prefix('$'))
        {
            let speech = tts(speech.trim())?;
            if !speech.is_empty() {
                parts.push(speech.to_string());
            }
        } else if !segment.trim().is_empty() {
            parts.push(format!("[{}]", segment.trim()));
        }
    }
    if !rest.is_empty() {
        return Err(format!(
            "expected segments in double quotes (\"%text\" \"file.wav\"), found `{}` between them",
            clip(rest)
        ));
    }
    Ok(parts.join(" "))
}

/// One text-to-speech segment, within Studio's limit.
fn tts(text: &str) -> Result<&str, String> {
    let chars = text.chars().count();
    if chars > MAX_TTS_CHARS {
        return Err(format!(
            "a text-to-speech segment of {chars} characters: Studio speaks at most {MAX_TTS_CHARS} per segment (split it: \"%part one\" \"%part two\")"
        ));
    }
    Ok(text)
}

/// A piece of the Sequence for a message.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Plays property `index` (a Sequence) to the caller: a `prompt` entry in
/// the transcript, none for silence.
pub(super) fn play(call: &mut ActionCall<'_>, index: usize) -> Result<(), ActionError> {
    let sequence = call.text(index).unwrap_or_default();
    let heard = heard(&sequence).map_err(|why| ActionError::failed(format!("Sequence: {why}")))?;
    if !heard.is_empty() {
        call.transcript(TranscriptKind::Prompt, &heard);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::heard;

    #[test]
    fn segments_read_as_studio_reads_them() {
        assert_eq!(
            heard("Thank you for calling").unwrap(),
            "Thank you for calling"
        );
        assert_eq!(
            heard(r#""%Thank you for calling" "hold.wav""#).unwrap(),
            "Thank you for calling [hold.wav]"
        );
        assert_eq!(
            heard(r#""%Your balance is""$12.50""silence.wav""#).unwrap(),
            "Your balance is 12.50 [silence.wav]"
        );
        assert_eq!(heard(r#""""#).unwrap(), "");
        assert_eq!(heard("  ").unwrap(), "");
    }

    #[test]
    fn malformed_segments_and_long_speech_are_refused() {
        let e = heard(r#""%Hello" "hold.wav"#).unwrap_err();
        assert!(e.contains("no closing quote"), "{e}");
        let e = heard(r#""%Hello" and "x.wav""#).unwrap_err();
        assert!(e.contains("found `and"), "{e}");
        let long = "a".repeat(301);
        assert!(heard(&long).unwrap_err().contains("301 characters"));
        assert!(heard(&format!("\"%{}\"", "b".repeat(300))).is_ok());
    }
}
