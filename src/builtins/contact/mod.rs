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
