//! `Music`: hold music, in virtual time (a simulated run never sleeps; it
//! waits for `wait` events, see `time.rs`). Every music file counts as
//! [`MUSIC_SECONDS`] long (studioflow has no audio files to measure).
//! From `StartOffset` seconds in, the file plays to its end and the action
//! takes `OnComplete` (Default when not connected); a `SecondstoPlay`
//! above 0 and shorter than what is left of the file plays that long and
//! takes Default. The transcript says `music` with the file and the
//! seconds when the music starts. `DetectDTMF`, `InterruptMessages` and
//! `RepeatIndex` are not simulated.

use std::sync::Arc;

use super::props::refuse_after_release;
use super::props::{flag, text};
use super::time::{seconds, wait_seconds, Timed};
use crate::builtins::list::ActionList;
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, TranscriptKind,
    Value,
};

/// How long studioflow takes every music file to be, in seconds.
pub(super) const MUSIC_SECONDS: f64 = 60.0;

const MUSIC_FILE: usize = 0;
const START_OFFSET: usize = 1;
const SECONDS_TO_PLAY: usize = 2;
const CLEAR_DIGITS: usize = 7;
const ON_COMPLETE: BranchId = BranchId::own(0);

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let offset = seconds(call, START_OFFSET, "StartOffset", 0.0)?;
    let to_play = seconds(call, SECONDS_TO_PLAY, "SecondstoPlay", 0.0)?;
    let left_of_file = (MUSIC_SECONDS - offset).max(0.0);
    let (total, branch) = if to_play > 0.0 && to_play < left_of_file {
        (to_play, BranchId::DEFAULT)
    } else {
        (left_of_file, ON_COMPLETE)
    };
    if !call.resuming() {
        refuse_after_release(call)?;
        let file = text(call, MUSIC_FILE);
        if file.trim().is_empty() {
            return Err(ActionError::failed(
                "MusicFile: expected the name of a music file, got \"\"",
            ));
        }
        if flag(call, CLEAR_DIGITS, "ClearDigits", true)? {
            call.contact_mut().digits.clear();
        }
        let shown = format!("{} ({} s)", file.trim(), Value::from(total).to_text());
        call.transcript(TranscriptKind::Music, &shown);
    }
    match wait_seconds(call, total) {
        Timed::Waiting(wait) => wait,
        Timed::Passed => Ok(branch),
    }
}

pub(super) fn register(builder: &mut ActionList) {
    let text = |name: &str| PropertySchema::optional(name, PropertyKind::Template);
    let expression = |name: &str, v: Value| {
        PropertySchema::optional(name, PropertyKind::Expression).with_default(v)
    };
    builder.add_action(
        ActionSchema::new("Music")
            .property(text("MusicFile").with_default(Value::from("Autumn-Breezes.wav")))
            .property(expression("StartOffset", Value::from(0.0)))
            .property(expression("SecondstoPlay", Value::from(0.0)))
            .property(PropertySchema::optional(
                "reserved1073742978",
                PropertyKind::Name,
            ))
            .property(text("InterruptMessages"))
            .property(text("RepeatIndex"))
            .property(expression("DetectDTMF", Value::Bool(false)))
            .property(expression("ClearDigits", Value::Bool(true)))
            .branch("OnComplete"),
        Arc::new(execute),
    );
}
