//! What the contact actions share: reading their properties (Studio's
//! `True`/`False` flags, whole numbers and seconds within Studio's ranges;
//! a value out of range fails the action, naming the property), whether
//! the action is resuming, and the refusal of media once the contact is
//! released.

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
            &format!(
                "a number of seconds from 0 to {}",
                Value::from(max).to_text()
            ),
            value,
        )),
    }
}

/// Property `index` as text (`""` when left out).
pub(super) fn text(call: &ActionCall<'_>, index: usize) -> String {
    call.text(index).unwrap_or_default()
}

impl ActionCall<'_> {
    /// The run resumes at this action (an event is waiting for it in
    /// [`ActionCall::take_resumed`]): what it did when it began to wait
    /// (a prompt, the transcript) is not done again.
    pub(super) fn resuming(&self) -> bool {
        self.state
            .contact
            .as_ref()
            .is_some_and(|c| c.resumed.is_some())
    }
}

/// Fails a media action once the contact is released: after OnRelease
/// there is no caller to play to or to listen to.
pub(super) fn refuse_after_release(call: &ActionCall<'_>) -> Result<(), ActionError> {
    if call.contact().is_some_and(|c| c.released) {
        return Err(ActionError::failed(format!(
            "{} cannot run: the contact was released",
            call.action.type_name
        )));
    }
    Ok(())
}
