//! `Snippet`: runs Snippet code (the Data property, compiled with the
//! script) against the script's variables. A failing statement takes Error
//! with `_ERR` naming its line; the statement budget running out stops the
//! run with outcome limit.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::snippet::exec::SnippetError;
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, Outcome, PropertyKind, PropertySchema, Value,
};

const DATA: usize = 0;
const MAX_STRING_SIZE: usize = 1;

/// Studio's MaxStringSize choices and their sizes in bytes.
const STRING_SIZES: [(&str, usize); 5] = [
    ("Limit2K", 2 * 1024),
    ("Limit4K", 4 * 1024),
    ("Limit8K", 8 * 1024),
    ("Limit16K", 16 * 1024),
    ("Limit32K", 32 * 1024),
];

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let size_name = call.text(MAX_STRING_SIZE).unwrap_or_default();
    let Some(&(size_name, max_string)) = STRING_SIZES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(&size_name))
    else {
        return Err(ActionError::invalid(
            "MaxStringSize",
            "one of Limit2K, Limit4K, Limit8K, Limit16K, Limit32K",
            &Value::from(size_name),
        ));
    };
    let Some(snippet) = call.snippet(DATA) else {
        return Ok(BranchId::DEFAULT);
    };
    let result = snippet.run(max_string, size_name);
    match result {
        Ok(()) => Ok(BranchId::DEFAULT),
        Err(e @ SnippetError::Failed { .. }) => Err(ActionError::Failed(e.to_string())),
        Err(e @ SnippetError::Limit { .. }) => Err(call.stop_run(Outcome::Limit, e.to_string())),
        Err(e @ SnippetError::Cancelled { .. }) => {
            Err(call.stop_run(Outcome::Cancelled, e.to_string()))
        }
    }
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Snippet")
            .property(PropertySchema::required("Data", PropertyKind::SnippetCode))
            .property(
                // Studio's pages do not give the default; the largest keeps
                // migrated scripts working (see docs/studio.md).
                PropertySchema::optional("MaxStringSize", PropertyKind::Name)
                    .with_default(Value::from("Limit32K")),
            ),
        Arc::new(execute),
    );
}
