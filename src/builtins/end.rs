//! `End`: completes the script. Terminal: no branches. In the script that
//! was run (not in a subscript, where it ends the subscript) it also
//! releases the contact, as Studio's End "invokes OnRelease": a script
//! with an OnRelease goes on there (once per run). A script without one
//! completes at once: End then costs one load of what compile found.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::runtime::contact::Divert;
use crate::{ActionCall, ActionError, ActionSchema, BranchId};

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    if call.root.on_release.is_some() && call.subscript().is_none() {
        call.divert(Divert::Release);
    }
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(ActionSchema::new("End").terminal(), Arc::new(execute));
}
