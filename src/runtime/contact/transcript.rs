//! The transcript: what happened on the contact, in order (prompts played,
//! keys pressed, the queue, the agent, music, waits, HTTP calls, hangup),
//! bounded like the trace.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How many entries at the start of a run the transcript keeps.
pub const TRANSCRIPT_KEEP_FIRST: usize = 1_000;
/// How many entries at the end of a run the transcript keeps.
pub const TRANSCRIPT_KEEP_LAST: usize = 1_000;

/// What kind of thing happened on the contact.
///
/// ```
/// assert_eq!(studioflow::TranscriptKind::Prompt.as_str(), "prompt");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TranscriptKind {
    /// Text or audio played to the caller.
    Prompt,
    /// Keys the caller pressed.
    Digits,
    /// The contact was queued (the skill).
    Queued,
    /// An agent answered.
    Answered,
    /// Hold music.
    Music,
    /// Virtual time passed (seconds).
    Wait,
    /// An HTTP request (method and URL).
    Http,
    /// Data saved for reporting (`.savetodb`).
    Data,
    /// The contact was released.
    Hangup,
}

impl TranscriptKind {
    /// The word `--json` writes.
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptKind::Prompt => "prompt",
            TranscriptKind::Digits => "digits",
            TranscriptKind::Queued => "queued",
            TranscriptKind::Answered => "answered",
            TranscriptKind::Music => "music",
            TranscriptKind::Wait => "wait",
            TranscriptKind::Http => "http",
            TranscriptKind::Data => "data",
            TranscriptKind::Hangup => "hangup",
        }
    }
}

/// One thing that happened on the contact.
///
/// ```
/// use studioflow::{Engine, RunOptions, TranscriptKind};
/// let engine = Engine::new();
/// let script = engine.compile(r#"
///     start: Begin { Default -> hello }
///     hello: Play { Sequence = "Thank you for calling" Default -> done }
///     done: End
/// "#, "hello.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// let entry = &run.transcript[0];
/// assert_eq!((entry.kind, &*entry.text), (TranscriptKind::Prompt, "Thank you for calling"));
/// assert_eq!(run.to_json()["transcript"][0]["kind"], "prompt");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TranscriptEntry {
    /// The step of the action it happened in (the trace's number).
    pub step: u64,
    /// The action (`subscript:action` inside a RunSub).
    pub action: Arc<str>,
    /// What kind of thing.
    pub kind: TranscriptKind,
    /// What: the prompt's text, the keys, the skill, the agent, ...
    pub text: Arc<str>,
    /// The run's virtual time, in seconds since the contact began.
    pub at: f64,
}

impl TranscriptEntry {
    /// `{"step", "action", "kind", "text"}`, as `--json` writes it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "step": self.step,
            "action": &*self.action,
            "kind": self.kind.as_str(),
            "text": &*self.text,
        })
    }
}

/// The transcript as a run records it: the first
/// [`TRANSCRIPT_KEEP_FIRST`] entries and a ring of the last
/// [`TRANSCRIPT_KEEP_LAST`].
#[derive(Debug, Default)]
pub(crate) struct TranscriptLog {
    head: Vec<TranscriptEntry>,
    tail: VecDeque<TranscriptEntry>,
    pub(crate) omitted: u64,
}

impl TranscriptLog {
    pub(crate) fn push(&mut self, entry: TranscriptEntry) {
        if self.head.len() < TRANSCRIPT_KEEP_FIRST {
            self.head.push(entry);
            return;
        }
        if self.tail.len() >= TRANSCRIPT_KEEP_LAST {
            self.tail.pop_front();
            self.omitted += 1;
        }
        self.tail.push_back(entry);
    }

    /// The latest entry (OnRelease reads who released the contact).
    pub(crate) fn last(&self) -> Option<&TranscriptEntry> {
        self.tail.back().or_else(|| self.head.last())
    }

    pub(crate) fn finish(self) -> (Vec<TranscriptEntry>, u64) {
        let mut entries = self.head;
        entries.extend(self.tail);
        (entries, self.omitted)
    }
}
