//! `Begin`: where execution starts. Takes Default.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema};

fn execute(_call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    // Parameters renames a subscript's p1, p2, ... ("customer, tier").
    builder.add_action(
        ActionSchema::new("Begin")
            .property(PropertySchema::optional("Parameters", PropertyKind::Name))
            .entry(),
        Arc::new(execute),
    );
}
