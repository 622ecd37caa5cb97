//! The contact actions, one file each: what talks to the caller (Play,
//! Menu, Capture), queues for an agent (ReqAgent), holds (Music, Wait,
//! Stop), ends the contact (Hangup), the event actions (OnAnswer,
//! OnRelease) and web services (RestApi). Each either finishes at once or
//! waits (`ActionCall::wait`); the host resumes it with an event.
//!
//! Shared pieces: `prompt.rs` (how a Sequence reads), `digits.rs` (the
//! digit collection of Menu and Capture), `time.rs` (virtual time, for
//! Wait and Music), `props.rs` (Studio's flags, numbers and ranges).
//!
//! Besides the public methods of [`crate::ActionCall`], they use the
//! crate-private contact calls in `src/action/contact.rs`: `contact_mut`
//! (the digit buffer, the queue), `take_spare_time` and `elapse` (virtual
//! time) and `divert` (to OnRelease when the contact ends).

mod capture;
mod digits;
mod events;
mod hangup;
mod menu;
mod music;
mod play;
mod prompt;
mod props;
mod req_agent;
mod rest_api;
mod stop;
mod time;
#[path = "wait.rs"]
mod wait_;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError};

pub(super) fn register(builder: &mut ActionList) {
    play::register(builder);
    menu::register(builder);
    capture::register(builder);
    req_agent::register(builder);
    music::register(builder);
    wait_::register(builder);
    stop::register(builder);
    hangup::register(builder);
    events::register(builder);
    rest_api::register(builder);
}

impl ActionCall<'_> {
    /// The run resumes at this action (an event is waiting for it in
    /// [`ActionCall::take_resumed`]): what it did when it began to wait
    /// (a prompt, the transcript) is not done again.
    fn resuming(&self) -> bool {
        self.state.resumed.is_some()
    }
}

/// Fails a media action once the contact is released: after OnRelease
/// there is no caller to play to or to listen to.
fn refuse_after_release(call: &ActionCall<'_>) -> Result<(), ActionError> {
    if call.contact().is_some_and(|c| c.released) {
        return Err(ActionError::failed(format!(
            "{} cannot run: the contact was released",
            call.action.type_name
        )));
    }
    Ok(())
}
