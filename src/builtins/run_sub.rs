//! `RunSub`: runs another script (a subscript) with parameters and stores
//! what its `Return` returns. The subscript is resolved and compiled with
//! the caller (see [`crate::ScriptResolver`]).

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const PARAMETERS: usize = 1;
const RETURN_VARIABLE: usize = 2;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let args = match call.property(PARAMETERS) {
        None => Vec::new(),
        Some(Value::List(items)) => items.as_ref().clone(),
        Some(one) => vec![one.clone()],
    };
    if args.len() > 9 {
        return Err(ActionError::failed(format!(
            "{} parameters: a subscript takes at most 9 (p1 to p9)",
            args.len()
        )));
    }
    // None: the subscript waits, or the contact's end took the run elsewhere.
    let Some(result) = call.run_subscript(args)? else {
        return Ok(BranchId::DEFAULT);
    };
    if let Some(var) = call.variable(RETURN_VARIABLE) {
        call.set(var, result);
    }
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("RunSub")
            .property(PropertySchema::required(
                "ScriptName",
                PropertyKind::Subscript,
            ))
            .property(PropertySchema::optional(
                "Parameters",
                PropertyKind::Expression,
            ))
            .property(PropertySchema::optional(
                "ReturnVariable",
                PropertyKind::OutputVariable,
            )),
        Arc::new(execute),
    );
}
