//! `SetSecurityUser`: picks the employee profile later API actions run as.
//! The agent (id or userName) must exist and be active; a failure leaves the
//! result variable as it was.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, ScriptTypes,
    Value,
};

const AGENT: usize = 0;
const TIME_ZONE: usize = 1;
const SCRIPT_VARIABLE: usize = 2;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    // Detached from the call (constants borrowed, evaluated values taken),
    // so it can be borrowed mutably below without a reference count written.
    let agent = call.detach_property(AGENT).unwrap_or_default();
    let time_zone = call.detach_property(TIME_ZONE);
    let agent_text = agent.text();
    let time_zone_text = time_zone.as_deref().map(Value::text);
    let user = call.set_security_user(agent_text.trim(), time_zone_text.as_deref())?;
    call.set_output(SCRIPT_VARIABLE, Value::SecurityUser(user))?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("SetSecurityUser")
            .property(PropertySchema::required("Agent", PropertyKind::Template))
            .property(
                PropertySchema::optional("TimeZone", PropertyKind::Template)
                    .with_default(Value::from("Default"))
                    .with_keywords(&["Default"]),
            )
            .property(
                PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
                    .with_default(Value::from("SecurityUser")),
            )
            .script_types(ScriptTypes::API)
            .external_failures(),
        Arc::new(execute),
    );
}
