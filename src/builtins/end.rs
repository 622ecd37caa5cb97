//! `End`: completes the script. Terminal: no branches.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId};

fn execute(_call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(ActionSchema::new("End").terminal(), Arc::new(execute));
}
