//! `End`: completes the script. Terminal: no branches.

use std::sync::Arc;

use crate::{ActionCall, ActionError, ActionSchema, BranchId, EngineBuilder};

fn execute(_call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut EngineBuilder) {
    builder.add_action(ActionSchema::new("End").terminal(), Arc::new(execute));
}
