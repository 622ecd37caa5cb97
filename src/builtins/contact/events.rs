//! The event actions: `OnAnswer` (an agent answered) and `OnRelease` (the
//! contact was released). A run reaches them from the engine, never from
//! Begin: `answer:AGENT` jumps to OnAnswer, whatever the script was doing;
//! the caller hanging up, `Hangup` and (in the script that was run) `End`
//! jump to OnRelease, at most once per run. Both set Studio's variables,
//! then take Default.

use std::sync::Arc;

use super::hangup::BY_SCRIPT;
use crate::builtins::list::ActionList;
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, TranscriptKind,
    Value,
};

const SKILL_NAME: usize = 0;
const FIRST_NAME: usize = 1;
const LAST_NAME: usize = 2;
const AGENT_ID: usize = 3;

/// OnAnswer: the agent who answered, into the variables its properties
/// name (Studio's `SKLNAME`, `FIRST`, `LAST`, `AGENTID` by default).
fn on_answer(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let Some(agent) = call.contact().and_then(|c| c.agent.clone()) else {
        return Ok(BranchId::DEFAULT);
    };
    call.set_output(SKILL_NAME, Value::from(agent.skill))?;
    call.set_output(FIRST_NAME, Value::from(agent.first_name))?;
    call.set_output(LAST_NAME, Value::from(agent.last_name))?;
    call.set_output(AGENT_ID, Value::from(agent.id as f64))?;
    Ok(BranchId::DEFAULT)
}

/// The Q.850 (SS7) cause code of a normal release, which every offline
/// release is.
const NORMAL_CLEARING: f64 = 16.0;

const CAUSE_CODE: usize = 0;

/// OnRelease: the cause code into `CauseCode`'s variable (Studio's `p1` by
/// default) and `_CAUSECODE`; who released the contact into `_CALLRESULT`
/// (`caller`, `Hangup` or `End`).
fn on_release(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let last = call
        .state
        .contact
        .as_ref()
        .and_then(|c| c.transcript.last());
    let by = match last.filter(|e| e.kind == TranscriptKind::Hangup) {
        Some(e) if &*e.text == BY_SCRIPT => "Hangup",
        Some(_) => "caller",
        None => "End",
    };
    call.set_output(CAUSE_CODE, Value::from(NORMAL_CLEARING))?;
    call.set_variable("_CAUSECODE", Value::from(NORMAL_CLEARING));
    call.set_variable("_CALLRESULT", Value::from(by));
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    let output = |name: &str, default: &str| {
        PropertySchema::optional(name, PropertyKind::OutputVariable)
            .with_default(Value::from(default))
    };
    builder.add_action(
        ActionSchema::new("OnAnswer")
            .property(output("SkillNameVar", "SKLNAME"))
            .property(output("AgentFirstName", "FIRST"))
            .property(output("AgentLastName", "LAST"))
            .property(output("AgentID", "AGENTID")),
        Arc::new(on_answer),
    );
    builder.add_action(
        ActionSchema::new("OnRelease").property(output("CauseCode", "p1")),
        Arc::new(on_release),
    );
}
