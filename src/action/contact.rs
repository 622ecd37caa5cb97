//! What an action sees of the contact: waiting (and what it is handed when
//! the run resumes), the transcript, virtual time. Built-in contact actions
//! (Play, Menu, ReqAgent, ...) and host actions use the same calls.

use std::sync::Arc;

use super::{ActionCall, ActionError, BranchId};
use crate::runtime::contact::{ContactState, Divert, TranscriptEntry, TranscriptKind, Wait};
use crate::runtime::executor::{Resumed, Suspension};

/// The branch a handler returns when it waits (never followed: the run
/// loop sees the suspension first).
pub(crate) const WAIT_BRANCH: BranchId = BranchId(u32::MAX);

impl ActionCall<'_> {
    /// Makes this action wait: the run returns with [`crate::Outcome::Waiting`]
    /// and `wait`, and the host resumes it later with an event
    /// ([`crate::Engine::resume`]). Return what this returns. When the run
    /// resumes, this action runs again and [`ActionCall::take_resumed`]
    /// hands it the event.
    ///
    /// See the example on [`crate::Resumed`].
    pub fn wait(&mut self, wait: Wait) -> Result<BranchId, ActionError> {
        self.suspend(wait, None)
    }

    /// [`ActionCall::wait`], keeping `memo` (the action's own data, JSON)
    /// until the run resumes: it is part of the paused run, signed with it.
    ///
    /// See the example on [`crate::Resumed`].
    pub fn wait_with(
        &mut self,
        wait: Wait,
        memo: serde_json::Value,
    ) -> Result<BranchId, ActionError> {
        self.suspend(wait, Some(memo))
    }

    fn suspend(
        &mut self,
        wait: Wait,
        memo: Option<serde_json::Value>,
    ) -> Result<BranchId, ActionError> {
        let action = self.shown_id();
        self.state.contact_events = true;
        self.state.contact_run().suspension = Some(Suspension {
            wait,
            memo,
            action,
            frames: Vec::new(),
        });
        Ok(WAIT_BRANCH)
    }

    /// The event this action was resumed with, and its memo: `Some` once,
    /// when the run resumes at this action; `None` when it runs afresh.
    ///
    /// See the example on [`crate::Resumed`].
    pub fn take_resumed(&mut self) -> Option<Resumed> {
        self.state.contact.as_mut().and_then(|c| c.resumed.take())
    }

    /// Adds an entry to the run's transcript (what happened on the contact).
    ///
    /// ```
    /// use studioflow::{ActionCall, ActionError, ActionSchema, BranchId, Engine, TranscriptKind};
    /// let engine = Engine::builder()
    ///     .register_action(ActionSchema::new("Beep"), |call: &mut ActionCall<'_>| {
    ///         call.transcript(TranscriptKind::Prompt, "beep.wav");
    ///         Ok(BranchId::DEFAULT)
    ///     })
    ///     .build();
    /// let script = engine.compile("start: Begin { Default -> b }\nb: Beep", "b.script").unwrap();
    /// let run = engine.run(&script, Default::default());
    /// assert_eq!(&*run.transcript[0].text, "beep.wav");
    /// ```
    pub fn transcript(&mut self, kind: TranscriptKind, text: &str) {
        let at = self.state.elapsed();
        let action: Arc<str> = match self.subscript() {
            Some(label) => format!("{label}:{}", self.action.id).into(),
            None => self.action.id.clone(),
        };
        // A prompt or a body is bounded like an error text.
        let text = crate::runtime::limits::bounded_one_line(
            &text,
            crate::runtime::limits::MAX_ERROR_TEXT_BYTES,
        );
        self.state.note(TranscriptEntry {
            step: self.step,
            action,
            kind,
            text: text.into(),
            at,
        });
    }

    /// Virtual seconds since the contact began (a simulated contact's
    /// clock: Wait, Music and `wait` events move it, nothing else).
    pub fn elapsed(&self) -> f64 {
        self.state.elapsed()
    }

    /// The contact's state, created on first use.
    pub(crate) fn contact_mut(&mut self) -> &mut ContactState {
        &mut self.state.contact_run().contact
    }

    /// The contact's state, if any contact action or event touched it.
    pub(crate) fn contact(&self) -> Option<&ContactState> {
        self.state.contact.as_deref().map(|c| &c.contact)
    }

    /// Passes virtual time (and the resumed run's clock with it).
    pub(crate) fn elapse(&mut self, seconds: f64) {
        self.state.elapse(seconds);
    }

    /// Takes up to `needed` seconds of the time `wait` events passed that
    /// no wait used yet; returns the seconds taken (and passes them).
    pub(crate) fn take_spare_time(&mut self, needed: f64) -> f64 {
        let contact = self.contact_mut();
        let taken = contact.spare.min(needed.max(0.0));
        contact.spare -= taken;
        self.elapse(taken);
        taken
    }

    /// Sends the run to an event action (or the contact's end) after this
    /// action, instead of the branch it takes.
    pub(crate) fn divert(&mut self, divert: Divert) {
        self.state.contact_events = true;
        self.state.contact_run().divert = Some(divert);
    }

    /// The action's id as errors show it: `subscript:action` inside a RunSub.
    pub(crate) fn shown_id(&self) -> String {
        match self.subscript() {
            Some(label) => format!("{label}:{}", self.action.id),
            None => self.action.id.to_string(),
        }
    }
}
