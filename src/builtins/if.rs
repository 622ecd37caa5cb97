//! `If`: True or False by a boolean expression (a bool, or the string
//! "true"/"false"); anything else fails the action.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const EXPRESSION: usize = 0;
const TRUE: BranchId = BranchId::own(0);
const FALSE: BranchId = BranchId::own(1);

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let null = Value::Null;
    let value = call.property(EXPRESSION).unwrap_or(&null);
    match value.as_bool() {
        Some(true) => Ok(TRUE),
        Some(false) => Ok(FALSE),
        None => Err(ActionError::InvalidProperty {
            property: "Expression".into(),
            expected: "true or false".into(),
            got: crate::runtime::error::described(value),
        }),
    }
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("If")
            .property(PropertySchema::required(
                "Expression",
                PropertyKind::Expression,
            ))
            .branch("True")
            .branch("False"),
        Arc::new(execute),
    );
}
