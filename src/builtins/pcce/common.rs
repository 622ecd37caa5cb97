//! What the Role and Agent API actions share: the `SecurityUser` property,
//! the result variable, the script types, and the rule that every call runs
//! as the run's own, still-active security user.

use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::tz::Tz;

use crate::builtins::list::ActionList;
#[cfg(doc)]
use crate::permissions::AgentRecord;
use crate::permissions::{render_time, Agent, AgentId, AgentStatus};
use crate::runtime::value::text_of_shared;
use crate::{
    ActionCall, ActionError, ActionHandler, ActionSchema, Object, PropertyKind, PropertySchema,
    ScriptTypes, Text, Value,
};

/// Index of the `SecurityUser` property in every API action's schema.
pub(super) const SECURITY_USER: usize = 0;
/// Index of the `ScriptVariable` (result) property in every API action's schema.
pub(super) const SCRIPT_VARIABLE: usize = 1;
/// Index of the first action-specific property.
pub(super) const FIRST_OWN: usize = 2;

/// The schema every API action starts from: SecurityUser, ScriptVariable
/// (defaulting to `result`), the security-user script types, and external failures.
pub(super) fn api_schema(name: &str, result: &str, own: Vec<PropertySchema>) -> ActionSchema {
    let mut schema = ActionSchema::new(name)
        .property(
            PropertySchema::optional("SecurityUser", PropertyKind::InputVariable)
                .with_default(Value::from("SecurityUser")),
        )
        .property(
            PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
                .with_default(Value::from(result)),
        )
        .script_types(ScriptTypes::API)
        .external_failures();
    for p in own {
        schema = schema.property(p);
    }
    schema
}

pub(super) fn register_api(
    builder: &mut ActionList,
    name: &str,
    result: &str,
    own: Vec<PropertySchema>,
    handler: impl ActionHandler + 'static,
) {
    builder.add_action(api_schema(name, result, own), Arc::new(handler));
}

/// The acting security user, as its agent id and time zone: a handle issued
/// in this run whose agent still exists and is active right now. Borrowed,
/// not cloned: no reference count written.
pub(super) fn actor(call: &ActionCall<'_>) -> Result<(AgentId, Tz), ActionError> {
    let user = call.security_user_ref(SECURITY_USER)?;
    call.directory().validate_security_user(user.agent_id())?;
    Ok((user.agent_id(), user.time_zone()))
}

/// [`actor`] for an action whose directory call checks a feature first
/// ([`Directory::check_feature`](crate::permissions::Directory::check_feature)):
/// that check refuses an agent that is gone or inactive with the same errors
/// [`actor`]'s validation gives, so it is not done twice.
pub(super) fn feature_checked_actor(call: &ActionCall<'_>) -> Result<(AgentId, Tz), ActionError> {
    let user = call.security_user_ref(SECURITY_USER)?;
    Ok((user.agent_id(), user.time_zone()))
}

/// Stores an API result in the action's result variable.
pub(super) fn store(call: &mut ActionCall<'_>, result: impl Serialize) -> Result<(), ActionError> {
    let json = serde_json::to_value(result)
        .map_err(|e| ActionError::failed(format!("cannot convert the result: {e}")))?;
    call.set_output(SCRIPT_VARIABLE, Value::from_json(&json))
}

/// An agent as a script reads it (`GetAgent` shares these through
/// [`super::agent_objects`]): the fields of [`AgentRecord::to_json`]
/// (`role` by name), built directly from the stored agent (this is on the hot
/// path of every agent lookup), with lastLogin rendered in `tz`.
pub(super) fn build_agent_value(record: &Agent, role: Option<&str>, tz: Tz) -> Value {
    const FIELDS: [&str; 9] = [
        "id",
        "userName",
        "firstName",
        "lastName",
        "status",
        "role",
        "department",
        "timeZone",
        "lastLogin",
    ];
    // Every agent object has the same keys in the same order: clone a
    // prototype (static keys, a ready hash table) and fill in the values,
    // instead of hashing and inserting nine keys per lookup. Static keys
    // have no reference count, so the clone writes no shared cache line.
    static PROTOTYPE: OnceLock<Object> = OnceLock::new();
    let prototype = PROTOTYPE.get_or_init(|| {
        FIELDS
            .iter()
            .map(|k| (Text::new_static(k), Value::Null))
            .collect()
    });
    let values = [
        Value::Number(record.id as f64),
        // Short texts copied inline, long ones shared with the store.
        Value::String(text_of_shared(&record.user_name)),
        Value::String(text_of_shared(&record.first_name)),
        Value::String(text_of_shared(&record.last_name)),
        status_value(record.status),
        role.map(Value::from).unwrap_or(Value::Null),
        Value::String(text_of_shared(&record.department)),
        crate::runtime::value::time_zone_name(record.time_zone),
        record
            .last_login
            .map(|at| Value::from(render_time(at, tz)))
            .unwrap_or(Value::Null),
    ];
    let mut map = prototype.clone();
    for (slot, value) in map.values_mut().zip(values) {
        *slot = value;
    }
    Value::from(map)
}

/// `active` / `inactive`, static.
pub(super) fn status_value(status: AgentStatus) -> Value {
    Value::String(Text::new_static(status.as_str()))
}

/// Own property `i` as trimmed text; `None` when left out.
pub(super) fn own_text(call: &ActionCall<'_>, i: usize) -> Option<String> {
    call.text_ref(FIRST_OWN + i).map(|s| s.trim().to_string())
}

/// Own property `i` as a trimmed reference (an id or name), borrowed when possible.
pub(super) fn own_ref<'c>(call: &'c ActionCall<'_>, i: usize) -> std::borrow::Cow<'c, str> {
    match call.text_ref(FIRST_OWN + i) {
        Some(std::borrow::Cow::Borrowed(s)) => std::borrow::Cow::Borrowed(trimmed(s)),
        Some(std::borrow::Cow::Owned(s)) => std::borrow::Cow::Owned(s.trim().to_string()),
        None => std::borrow::Cow::Borrowed(""),
    }
}

/// `s.trim()`, at the cost of two byte tests when neither end is blank
/// (an id or userName as scripts write it).
#[inline]
fn trimmed(s: &str) -> &str {
    // Unicode White_Space in ASCII is \t..=\r and ' '; anything non-ASCII
    // takes the full trim.
    let blank_end = |b: Option<&u8>| b.is_none_or(|b| matches!(b, b'\t'..=b'\r' | b' ' | 0x80..));
    if blank_end(s.as_bytes().first()) || blank_end(s.as_bytes().last()) {
        return s.trim();
    }
    s
}

/// Own property `i` as a whole number; `None` when left out or empty.
pub(super) fn own_whole(
    call: &ActionCall<'_>,
    i: usize,
    name: &str,
) -> Result<Option<i64>, ActionError> {
    match call.property(FIRST_OWN + i) {
        None => Ok(None),
        Some(v) if v.is_null_or_empty() => Ok(None),
        Some(v) => match v.as_number() {
            Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => Ok(Some(n as i64)),
            _ => Err(ActionError::invalid(name, "a whole number", v)),
        },
    }
}

/// A feature list: a list of names, or a comma-separated string.
pub(super) fn own_features(
    call: &ActionCall<'_>,
    i: usize,
) -> Result<Option<Vec<String>>, ActionError> {
    match call.property(FIRST_OWN + i) {
        None => Ok(None),
        Some(Value::List(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_string()),
                other => Err(ActionError::InvalidProperty {
                    property: "Features".into(),
                    expected: "feature names".into(),
                    got: other.type_name().into(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::String(s)) => Ok(Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(other) => Err(ActionError::InvalidProperty {
            property: "Features".into(),
            expected: "a list of names or a comma-separated string".into(),
            got: other.type_name().into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::Directory;

    #[test]
    fn agent_values_match_the_records_json_in_every_zone() {
        let directory = Directory::demo();
        for id in 1001..=1007 {
            let record = directory.agent(id).expect("demo agent");
            let stored = directory.store().agent(id).expect("stored agent");
            let role = stored.role.and_then(|r| directory.role_name(r));
            for tz in [
                Tz::UTC,
                "America/New_York".parse::<Tz>().unwrap(),
                "Asia/Kolkata".parse::<Tz>().unwrap(),
            ] {
                assert_eq!(
                    build_agent_value(&stored, role.as_deref(), tz).to_json(),
                    record.to_json(tz),
                    "{id} {tz}"
                );
            }
        }
    }
}
