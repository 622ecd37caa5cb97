//! Waiting for virtual time (Wait, Music): the time `wait` events passed
//! and no wait used yet is taken first; what is left is waited for.

use crate::{ActionCall, ActionError, BranchId, Event, Wait};

/// How a timed wait went.
pub(super) enum Timed {
    /// The time passed: the action finishes.
    Passed,
    /// The action waits (return this).
    Waiting(Result<BranchId, ActionError>),
}

/// Waits `seconds` of virtual time (from the start, or where a resumed
/// wait left off).
pub(super) fn wait_seconds(call: &mut ActionCall<'_>, seconds: f64) -> Timed {
    let left = match call.take_resumed() {
        Some(resumed) => {
            let left = resumed
                .memo
                .as_ref()
                .and_then(|m| m["left"].as_f64())
                .unwrap_or(0.0);
            match resumed.event {
                Event::Wait(passed) => {
                    let used = passed.min(left);
                    call.elapse(used);
                    // Time beyond this wait goes on to the next one.
                    call.contact_mut().spare += passed - used;
                    left - used
                }
                // Only `wait` reaches a timed wait (answer and hangup are
                // the engine's); anything else leaves it as it was.
                _ => left,
            }
        }
        None => seconds - call.take_spare_time(seconds),
    };
    if left <= 0.0 {
        Timed::Passed
    } else {
        Timed::Waiting(call.wait_with(
            Wait::Time { seconds: left },
            serde_json::json!({ "left": left }),
        ))
    }
}

/// A property as seconds: a number >= 0 (fractions allowed).
pub(super) fn seconds(
    call: &ActionCall<'_>,
    index: usize,
    name: &str,
    default: f64,
) -> Result<f64, ActionError> {
    let Some(value) = call.property(index) else {
        return Ok(default);
    };
    if value.is_null_or_empty() {
        return Ok(default);
    }
    match value.as_number() {
        Some(n) if n.is_finite() && (0.0..=366.0 * 86_400.0).contains(&n) => Ok(n),
        _ => Err(ActionError::invalid(
            name,
            "a number of seconds >= 0",
            value,
        )),
    }
}
