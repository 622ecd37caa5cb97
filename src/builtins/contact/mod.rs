//! The contact actions, one file each: what talks to the caller (Play,
//! Menu, Capture), queues for an agent (ReqAgent), holds (Music, Wait,
//! Stop), ends the contact (Hangup), the event actions (OnAnswer,
//! OnRelease) and web services (RestApi). Each either finishes at once or
//! waits (`ActionCall::wait`); the host resumes it with an event.
//!
//! Besides the public methods of [`crate::ActionCall`], they use the
//! crate-private contact calls in `src/action/contact.rs`: `contact_mut`
//! (the digit buffer, the queue), `take_spare_time` and `elapse` (virtual
//! time) and `divert` (to OnRelease when the contact ends).

mod time;
#[path = "wait.rs"]
mod wait_;

use crate::builtins::list::ActionList;

pub(super) fn register(builder: &mut ActionList) {
    wait_::register(builder);
}
