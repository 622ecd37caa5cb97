//! A run in words: the transcript as a conversation with virtual times,
//! the outcome (and what a waiting run waits for), the variables.

use studioflow::{
    Outcome, Run, TranscriptEntry, TranscriptKind, Wait, Waiting, TRANSCRIPT_KEEP_FIRST,
};

/// One transcript entry as a line of the conversation:
/// `   12.5 s  caller hears: Thank you for calling`.
pub(super) fn transcript_line(entry: &TranscriptEntry) -> String {
    let text = printable(&entry.text);
    let what = match entry.kind {
        TranscriptKind::Prompt => format!("caller hears: {text}"),
        TranscriptKind::Digits => format!("caller presses: {text}"),
        TranscriptKind::Queued => format!("queued for: {text}"),
        TranscriptKind::Answered => format!("agent answers: {text}"),
        TranscriptKind::Music => format!("music plays: {text}"),
        TranscriptKind::Wait => format!("time passes: {text} s"),
        TranscriptKind::Http => format!("web request: {text}"),
        TranscriptKind::Data => format!("data saved: {text}"),
        TranscriptKind::Hangup => format!("hangup: {text}"),
        other => format!("{}: {text}", other.as_str()),
    };
    format!("{:>9}  {what}", seconds(entry.at))
}

/// Virtual seconds as the transcript shows them: `0.0 s`, `12.5 s`.
pub(super) fn seconds(at: f64) -> String {
    format!("{at:.1} s")
}

/// Text from a script (a prompt, a URL) made safe for a terminal: control
/// characters (an escape sequence, a carriage return) are shown escaped,
/// never sent to it.
pub(super) fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The whole transcript, with a line where entries were left out.
pub(super) fn print_transcript(run: &Run) {
    for (i, entry) in run.transcript.iter().enumerate() {
        if i == TRANSCRIPT_KEEP_FIRST && run.transcript_omitted > 0 {
            outln!(
                "          ... {} transcript entries left out ...",
                run.transcript_omitted
            );
        }
        outln!("{}", transcript_line(entry));
    }
}

/// What a waiting run waits for, in words.
pub(super) fn describe_wait(waiting: &Waiting) -> String {
    let what = match &waiting.wait {
        Wait::Digits {
            max_digits,
            terminator,
            entered,
            timeout,
        } => {
            let mut text = format!(
                "digits (at most {max_digits}, {} s until the timeout",
                trim_number(*timeout)
            );
            if !terminator.is_empty() {
                text.push_str(&format!(", ending at {}", printable(terminator)));
            }
            if !entered.is_empty() {
                text.push_str(&format!(", entered so far: {}", printable(entered)));
            }
            text.push(')');
            text
        }
        Wait::Time { seconds } => format!("time ({} s left)", trim_number(*seconds)),
        Wait::Http { request } => format!(
            "http ({} {})",
            printable(&request.method),
            printable(&request.url)
        ),
        Wait::Event => "an event (answer or hangup)".to_string(),
        other => format!("{}", other.kind()),
    };
    match &waiting.queued {
        Some(skill) => format!("{what}; queued for {}", printable(skill)),
        None => what,
    }
}

/// A number of seconds without a needless `.0`.
fn trim_number(n: f64) -> String {
    studioflow::Value::Number(n).to_text().to_string()
}

/// The run in words: the transcript (unless already shown, as the phone
/// does), the outcome, what it waits for, the return value and the
/// variables. The run error goes to stderr.
pub(super) fn print_text(run: &Run, with_transcript: bool) {
    if with_transcript {
        print_transcript(run);
    }
    let outcome = match run.outcome {
        Outcome::Completed => "completed",
        Outcome::Stopped => "stopped",
        Outcome::Limit => "stopped (limit)",
        other => other.name(),
    };
    match run.end.as_deref() {
        Some(end) => outln!(
            "outcome: {outcome} at {end} after {} step{}",
            run.steps,
            if run.steps == 1 { "" } else { "s" }
        ),
        // Stopped before its first action (a library host's refused input
        // or zero budget; the CLI refuses both up front).
        None => outln!("outcome: {outcome} before the first action"),
    }
    if let Some(waiting) = &run.waiting {
        outln!(
            "waiting: {} waits for {}",
            waiting.action,
            describe_wait(waiting)
        );
    }
    // A subscript run on its own: what its Return gave back.
    if let Some(value) = &run.returned {
        outln!("return = {}", value.to_json());
    }
    // The run error is a message for a person, not a result: stderr, worded
    // once by `RunError`'s Display (`action `a` failed: ...`).
    if let Some(e) = &run.error {
        errln!("error: {e}");
    }
    for (name, value) in &run.variables {
        outln!("{name} = {}", value.to_json());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(printable("plain text"), "plain text");
        assert_eq!(printable("a\u{1b}[2Jb\r\n"), "a\\u{1b}[2Jb\\r\\n");
    }

    #[test]
    fn a_waiting_run_says_what_it_waits_for() {
        let engine = studioflow::Engine::new();
        let script = engine
            .compile(
                "start: Begin { Default -> w }\nw: Wait { Seconds = 2.5 Default -> done }\ndone: End",
                "w.script",
            )
            .unwrap();
        let run = engine.run(&script, Default::default());
        let waiting = run.waiting.unwrap();
        assert_eq!(describe_wait(&waiting), "time (2.5 s left)");
        let mut digits = waiting.clone();
        digits.wait = Wait::Digits {
            max_digits: 4,
            terminator: "#".into(),
            entered: "12".into(),
            timeout: 5.0,
        };
        digits.queued = Some("Sales".into());
        assert_eq!(
            describe_wait(&digits),
            "digits (at most 4, 5 s until the timeout, ending at #, entered so far: 12); queued for Sales"
        );
    }
}
