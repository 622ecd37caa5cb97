//! Reading the contact actions' properties: Studio's `True`/`False`
//! flags, whole numbers and seconds within Studio's ranges. A value out of
//! range fails the action, naming the property (its Error branch).

use crate::{ActionCall, ActionError, Value};

/// Property `index` as a flag: a boolean or the text `True`/`False` (any
/// case); left out or `""` is `default`.
pub(super) fn flag(
    call: &ActionCall<'_>,
    index: usize,
    name: &str,
    default: bool,
) -> Result<bool, ActionError> {
    match call.property(index) {
        None => Ok(default),
        Some(v) if v.is_null_or_empty() => Ok(default),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| ActionError::invalid(name, "True or False", v)),
    }
}

/// Property `index` as a whole number in `range`; left out or `""` is
/// `default`.
pub(super) fn whole(
    call: &ActionCall<'_>,
    index: usize,
    name: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ActionError> {
    let Some(value) = call.property(index).filter(|v| !v.is_null_or_empty()) else {
        return Ok(default);
    };
    match value.as_number() {
        Some(n) if n.fract() == 0.0 && n >= *range.start() as f64 && n <= *range.end() as f64 => {
            Ok(n as u32)
        }
        _ => Err(ActionError::invalid(
            name,
            &format!("a whole number from {} to {}", range.start(), range.end()),
            value,
        )),
    }
}

/// Property `index` as seconds from 0 to `max` (fractions allowed); left
/// out or `""` is `default`.
pub(super) fn seconds_up_to(
    call: &ActionCall<'_>,
    index: usize,
    name: &str,
    default: f64,
    max: f64,
) -> Result<f64, ActionError> {
    let Some(value) = call.property(index).filter(|v| !v.is_null_or_empty()) else {
        return Ok(default);
    };
    match value.as_number() {
        Some(n) if n.is_finite() && (0.0..=max).contains(&n) => Ok(n),
        _ => Err(ActionError::invalid(
            name,
            &format!("a number of seconds from 0 to {}", Value::from(max).to_text()),
            value,
        )),
    }
}

/// Property `index` as text (`""` when left out).
pub(super) fn text(call: &ActionCall<'_>, index: usize) -> String {
    call.text(index).unwrap_or_default()
}
