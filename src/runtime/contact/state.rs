//! The contact's own state across a run's waits: the digit buffer, the
//! virtual clock, the queue and the agent. Part of a paused run.

use serde::{Deserialize, Serialize};

/// What the contact has been through so far (created by the first contact
/// action or event; a run that never touches a contact has none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ContactState {
    /// Keys pressed and not yet taken by a Menu or Capture (type-ahead).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digits: String,
    /// Virtual seconds since the contact began.
    #[serde(default)]
    pub elapsed: f64,
    /// Seconds a `wait` event passed that no wait has used yet: the next
    /// time-consuming wait takes them first.
    #[serde(default)]
    pub spare: f64,
    /// The skill (or target agent) the contact is queued for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<String>,
    /// The agent who answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AnsweredBy>,
    /// The contact was released (the caller, Hangup or End).
    #[serde(default)]
    pub released: bool,
    /// OnRelease has run (it runs at most once).
    #[serde(default)]
    pub release_ran: bool,
}

/// The agent who answered, as OnAnswer hands it to the script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AnsweredBy {
    pub id: u64,
    pub user_name: String,
    pub first_name: String,
    pub last_name: String,
    /// The skill the contact was queued for when the agent answered.
    pub skill: String,
}

impl ContactState {
    /// Passes `seconds` of virtual time (never negative, never NaN).
    pub(crate) fn elapse(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.elapsed += seconds;
        }
    }
}

/// Where the run goes next instead of the branch an action took: to one of
/// the script's event actions, or to the end of the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Divert {
    /// The contact was released: OnRelease when the script has one (and it
    /// has not run), else the run completes.
    Release,
    /// An agent answered: OnAnswer when the script has one, else the run
    /// idles until the contact is released.
    Answer,
}
