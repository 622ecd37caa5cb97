//! `GetAgent`: one agent by id or userName, within the departments the
//! security user administers. Times render in the security user's time zone.
//! Needs feature `agent`.

use super::agent_objects::agent_object;
use super::common::{feature_checked_actor, own_ref, register_api, SCRIPT_VARIABLE};
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const AGENT: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    // `with_agent_in_scope` checks feature `agent` first, which validates the actor.
    let (actor, tz) = feature_checked_actor(call)?;
    let agent = own_ref(call, AGENT);
    let limits = call.size_limits();
    let directory = call.directory();
    let object = directory.with_agent_in_scope(actor, &agent, |target, role| {
        agent_object(target, role.map(|role| role.name.as_str()), tz, limits)
    })?;
    match object.bytes {
        Some(bytes) => call.set_output_measured(SCRIPT_VARIABLE, object.value, bytes)?,
        // Over the limits: the ordinary store reports it.
        None => call.set_output(SCRIPT_VARIABLE, object.value)?,
    }
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "GetAgent",
        "Agent",
        vec![PropertySchema::required("Agent", PropertyKind::Template)],
        execute,
    );
}
