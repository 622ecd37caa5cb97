//! `GetAgent`: one agent by id or userName, within the departments the
//! security user administers. Times render in the security user's time zone.
//! Needs feature `agent`.

use super::agent_objects::{agent_object, object_identity, remember_size, AgentObject};
use super::common::{actor, own_ref, register_api, SCRIPT_VARIABLE};
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const AGENT: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, tz) = actor(call)?;
    let agent = own_ref(call, AGENT);
    let directory = call.directory();
    let (id, object) = directory.with_agent_in_scope(actor, &agent, |target, role| {
        let role = role.map(|role| role.name.as_str());
        (target.id, agent_object(target, role, tz))
    })?;
    // An object shared from an earlier lookup was measured then.
    let AgentObject {
        value,
        mut measured,
    } = object;
    let before = measured;
    let identity = object_identity(&value);
    call.set_output_remeasured(SCRIPT_VARIABLE, value, &mut measured)?;
    if let Some(now) = measured.filter(|_| measured != before) {
        remember_size(id, identity, now);
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
