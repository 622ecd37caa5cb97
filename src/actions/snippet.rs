//! `Snippet`: runs Snippet code (the Data property, compiled with the
//! script) against the script's variables. A failing statement takes Error
//! with `_ERR` naming its line; the statement budget running out stops the
//! run with outcome limit.

use std::cell::RefCell;
use std::sync::Arc;

use crate::compile::PropSlot;
use crate::runtime::functions::FunctionContext;
use crate::runtime::limits::{Pacer, SnippetBounds};
use crate::snippet::exec::{Exec, SnippetError};
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, EngineBuilder, Outcome, PropertyKind,
    PropertySchema, Value,
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
    let (engine, script, action, state) = call.internals();
    let limits = state.limits;
    let Some(PropSlot::Snippet(program)) = action.properties.get(DATA) else {
        return Ok(BranchId::DEFAULT);
    };
    let program = Arc::clone(program);
    let budget_limit = engine.limits.max_snippet_statements;
    let mut budget = state.snippet_budget;
    let mut exec = Exec {
        functions: &engine.functions,
        user_functions: &script.snippet_functions,
        limits,
        context: FunctionContext::new(&*engine.clock, state.time_zone)
            .with_max_string_bytes(limits.max_string_bytes),
        budget: &mut budget,
        budget_limit,
        max_string: max_string.min(engine.limits.max_string_bytes),
        max_string_name: size_name,
        trace: state.trace_output.as_mut(),
        scratch: RefCell::new(String::new()),
        depth: 0,
        pacer: Pacer::new(&*engine.clock, state.deadline, state.cancel.clone()),
        hits: state.counts.as_mut().map(|c| &mut c.snippet),
        // The run's bounds, shared with every action and RunSub frame.
        bounds: SnippetBounds::new(
            limits,
            &mut state.memory,
            &mut state.sizes,
            &script.var_names,
            &*engine.clock,
            state.deadline,
            state.cancel.as_ref(),
        ),
    };
    let result = exec.run(&program, &mut state.vars);
    state.snippet_budget = budget;
    match result {
        Ok(()) => Ok(BranchId::DEFAULT),
        Err(e @ SnippetError::Failed { .. }) => Err(ActionError::Failed(e.to_string())),
        Err(e @ SnippetError::Limit { .. }) => Err(call.stop_run(Outcome::Limit, e.to_string())),
        Err(e @ SnippetError::Cancelled { .. }) => {
            Err(call.stop_run(Outcome::Cancelled, e.to_string()))
        }
    }
}

pub(super) fn register(builder: &mut EngineBuilder) {
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
