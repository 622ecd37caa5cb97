//! `Case`: one labeled branch per literal value, compared as strings;
//! Default when none matches.

use std::sync::Arc;

use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, EngineBuilder, PropertyKind, PropertySchema,
};

const VALUE: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let text = call.text_ref(VALUE).unwrap_or_default();
    Ok(call
        .labels()
        .iter()
        .position(|label| **label == *text)
        .map(|i| BranchId::label(i as u32))
        .unwrap_or(BranchId::DEFAULT))
}

pub(super) fn register(builder: &mut EngineBuilder) {
    builder.add_action(
        ActionSchema::new("Case")
            .property(PropertySchema::required("Value", PropertyKind::Expression))
            .labeled_branch("Case"),
        Arc::new(execute),
    );
}
