//! The tenant document's field lists, and readers that name each value's
//! JSON place in their errors (`agents[3].timeZone`).

use crate::tz::Tz;
use serde_json::{Map, Value};

use super::{LoadError, LoadProblem};

pub(super) const TOP_FIELDS: &[&str] =
    &["businessUnit", "features", "roles", "nextRoleId", "agents"];
pub(super) const BUSINESS_UNIT_FIELDS: &[&str] = &["name", "timeZone"];
pub(super) const FEATURE_FIELDS: &[&str] = &["name", "category"];
pub(super) const ROLE_FIELDS: &[&str] = &["id", "name", "description", "accessList", "changeStamp"];
pub(super) const AGENT_FIELDS: &[&str] = &[
    "id",
    "userName",
    "firstName",
    "lastName",
    "status",
    "timeZone",
    "role",
    "department",
    "administers",
    "lastLogin",
];

pub(super) fn join(place: &str, key: &str) -> String {
    if place.is_empty() {
        key.to_owned()
    } else {
        format!("{place}.{key}")
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn wrong(place: &str, expected: &'static str, value: &Value) -> LoadError {
    LoadError::at(
        place,
        LoadProblem::WrongType {
            expected,
            found: kind_of(value),
        },
    )
}

/// An object at `place` whose fields are all in `allowed`.
pub(super) fn object<'a>(
    value: &'a Value,
    place: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, LoadError> {
    let Value::Object(map) = value else {
        let shown = if place.is_empty() { "(root)" } else { place };
        return Err(wrong(shown, "an object", value));
    };
    if let Some(key) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(LoadError::at(
            join(place, key),
            LoadProblem::UnknownField {
                allowed: allowed.join(", "),
            },
        ));
    }
    Ok(map)
}

/// A field that may be absent or null.
pub(super) fn optional<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|value| !value.is_null())
}

pub(super) fn required<'a>(
    map: &'a Map<String, Value>,
    place: &str,
    key: &str,
) -> Result<&'a Value, LoadError> {
    map.get(key)
        .ok_or_else(|| LoadError::at(join(place, key), LoadProblem::MissingField))
}

pub(super) fn text<'a>(value: &'a Value, place: &str) -> Result<&'a str, LoadError> {
    value
        .as_str()
        .ok_or_else(|| wrong(place, "a string", value))
}

pub(super) fn bounded_text<'a>(
    value: &'a Value,
    place: &str,
    max: usize,
) -> Result<&'a str, LoadError> {
    let text = text(value, place)?;
    let length = text.chars().count();
    if length > max {
        return Err(LoadError::at(place, LoadProblem::TooLong { length, max }));
    }
    Ok(text)
}

pub(super) fn non_empty_text<'a>(
    value: &'a Value,
    place: &str,
    max: usize,
) -> Result<&'a str, LoadError> {
    let text = bounded_text(value, place, max)?;
    if text.trim().is_empty() {
        return Err(LoadError::at(place, LoadProblem::Empty));
    }
    Ok(text)
}

fn unsigned(value: &Value, place: &str) -> Result<u64, LoadError> {
    value
        .as_u64()
        .ok_or_else(|| wrong(place, "a non-negative integer", value))
}

/// A non-negative integer that a script's numbers carry exactly (at most `max`).
pub(super) fn exact(value: &Value, place: &str, max: u64) -> Result<u64, LoadError> {
    let number = unsigned(value, place)?;
    if number > max {
        return Err(LoadError::at(
            place,
            LoadProblem::TooLarge { value: number, max },
        ));
    }
    Ok(number)
}

pub(super) fn array<'a>(value: &'a Value, place: &str) -> Result<&'a [Value], LoadError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| wrong(place, "an array", value))
}

pub(super) fn time_zone(value: &Value, place: &str) -> Result<Tz, LoadError> {
    let name = text(value, place)?;
    name.parse::<Tz>()
        .map_err(|_| LoadError::at(place, LoadProblem::UnknownTimeZone(name.to_owned())))
}
