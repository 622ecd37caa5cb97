//! `Assign`: stores a value in a variable. A bare expression keeps its type;
//! a string literal is a template.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema};

const VARIABLE: usize = 0;
const VALUE: usize = 1;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    // Moved, not cloned: the value was evaluated for this step only.
    let value = call.take_property(VALUE).unwrap_or_default();
    call.set_output(VARIABLE, value)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Assign")
            .property(PropertySchema::required(
                "Variable",
                PropertyKind::OutputVariable,
            ))
            .property(PropertySchema::required("Value", PropertyKind::Template)),
        Arc::new(execute),
    );
}
