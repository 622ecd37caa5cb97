//! `Stop`: the script idles until an event takes it elsewhere (an agent
//! answering: OnAnswer; the caller hanging up: OnRelease or the end). It
//! never finishes by itself and has no branches. Once the contact is
//! released (a Stop reached from OnRelease) it ends the script, as Studio's
//! OnRelease page says ("until ... a Stop or Hangup action is executed").

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, Wait};

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    if call.contact().is_some_and(|c| c.released) {
        return Ok(BranchId::DEFAULT);
    }
    // Only answer and hangup end this wait, and the engine takes both:
    // whatever else resumes it, it waits again.
    let _ = call.take_resumed();
    call.wait(Wait::Event)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(ActionSchema::new("Stop").terminal(), Arc::new(execute));
}
