//! The contact a run talks to: what a waiting run waits for ([`Wait`]),
//! what resumes it ([`Event`]), what happened on the contact
//! ([`TranscriptEntry`]) and the contact's own state across waits
//! ([`ContactState`]: the digit buffer, the virtual clock, the queue).
//!
//! The engine never blocks and never touches the network: every wait is
//! returned to the host, which answers it with an event.

mod event;
pub(crate) mod state;
mod transcript;
mod wait;

pub use event::{Event, EventError};
pub(crate) use state::{ContactState, Divert};
pub(crate) use transcript::TranscriptLog;
pub use transcript::{
    TranscriptEntry, TranscriptKind, TRANSCRIPT_KEEP_FIRST, TRANSCRIPT_KEEP_LAST,
};
pub use wait::{HttpReply, HttpRequest, Wait, WaitFor, Waiting};
pub(crate) use wait::{DEFAULT_HTTP_TIMEOUT_MS, MAX_HTTP_TIMEOUT_MS};
