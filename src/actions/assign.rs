//! `Assign`: stores a value in a variable. A bare expression keeps its type;
//! a string literal is a template.

use std::sync::Arc;

use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, EngineBuilder, PropertyKind, PropertySchema,
};

const VARIABLE: usize = 0;
const VALUE: usize = 1;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let value = call.property(VALUE).cloned().unwrap_or_default();
    call.set_output(VARIABLE, value)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut EngineBuilder) {
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
