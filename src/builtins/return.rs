//! `Return`: ends a subscript, handing ReturnValue back to the RunSub that
//! called it (terminal: no branches). In a script run on its own it ends
//! the run like End.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema};

const RETURN_VALUE: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let value = call.property(RETURN_VALUE).cloned().unwrap_or_default();
    call.set_return(value);
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Return")
            .property(PropertySchema::optional(
                "ReturnValue",
                PropertyKind::Template,
            ))
            .terminal(),
        Arc::new(execute),
    );
}
