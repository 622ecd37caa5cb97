//! `Case`: one labeled branch per literal value, compared with the
//! language's `=` (numerically when both sides are numeric, else as text);
//! Default when none matches.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const VALUE: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    // A membership test, so the language's `=`: `Case "1"` matches 1 and
    // "1.0"; other text compares exactly.
    let empty = Value::empty();
    let value = call.property(VALUE).unwrap_or(&empty);
    Ok(call
        .labels()
        .iter()
        .position(|label| crate::runtime::ops::equals_str(value, label))
        .map(|i| BranchId::label(i as u32))
        .unwrap_or(BranchId::DEFAULT))
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Case")
            .property(PropertySchema::required("Value", PropertyKind::Expression))
            .labeled_branch("Case"),
        Arc::new(execute),
    );
}
