//! `ListAgents`: agents in the security user's departments, filtered by a
//! search word and a status. Times render in the security user's time zone.
//! Needs feature `agent`.

use std::sync::Arc;

use super::common::{actor, own_text, register_api, SCRIPT_VARIABLE};
use crate::builtins::list::ActionList;
use crate::permissions::AgentStatusFilter;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema, RuntimeError, Value};

const QUERY: usize = 0;
const STATUS: usize = 1;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, tz) = actor(call)?;
    let query = own_text(call, QUERY).unwrap_or_default();
    // The schema's choices already refused anything else and gave the
    // listed spelling; "" (or left out) means all.
    let status = match own_text(call, STATUS).unwrap_or_default().as_str() {
        "active" => AgentStatusFilter::Active,
        "inactive" => AgentStatusFilter::Inactive,
        _ => AgentStatusFilter::All,
    };
    let records = call.directory().list_agents(actor, &query, status)?;
    // Refused before any value is built: the result would pass the list
    // limit (a tenant can hold more agents than a script may hold).
    let limit = call.limits().max_list_len;
    if records.len() > limit {
        return Err(ActionError::OversizedResult {
            variable: call.text(SCRIPT_VARIABLE).unwrap_or_default(),
            source: RuntimeError::TooLarge {
                what: "a list",
                size: records.len(),
                limit,
            },
        });
    }
    let list: Vec<Value> = records
        .iter()
        .map(|r| Value::from_json(&r.to_json(tz)))
        .collect();
    call.set_output(SCRIPT_VARIABLE, Value::List(Arc::new(list)))?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "ListAgents",
        "Agents",
        vec![
            PropertySchema::optional("Query", PropertyKind::Template),
            PropertySchema::optional("Status", PropertyKind::Template)
                .with_choices(&["active", "inactive", "all"]),
        ],
        execute,
    );
}
