//! Collecting the caller's keys (Menu, Capture), as Studio's Capture page
//! documents it: keys pressed earlier wait in the contact's digit buffer
//! (type-ahead) and are taken first; the entry ends at the terminator, at
//! MaxDigits keys (the terminator counts), or when the caller stays silent
//! for Timeout seconds (nothing entered) or InterDigitTimeout seconds
//! (something entered). Keys beyond the entry stay in the buffer for the
//! next Menu or Capture.
//!
//! Waiting: the run waits for keys (`Wait::Digits`). A `digits` event adds
//! its keys to the buffer and the collection goes on (the silence timer
//! starts again); `timeout` is the caller silent until the timer ends;
//! `wait:S` passes S seconds of virtual time (what the timer does not use
//! goes on to the next wait). Time that earlier `wait` events passed and no
//! wait used is taken first.

use super::props::{seconds_up_to, text, whole};
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, Event, PropertyKind, PropertySchema, Resumed,
    Value, Wait,
};

/// The longest Timeout and InterDigitTimeout, as Studio's Capture page
/// documents ("between 0 and 60").
pub(super) const MAX_TIMEOUT: f64 = 60.0;
/// The most keys one entry may take (studioflow's bound).
pub(super) const MAX_DIGITS: u32 = 1_000;

/// The digit collection's properties, in Studio's order (Menu and Capture
/// list them the same way): MaxDigits (1), Terminator (`#-`), Timeout (5)
/// and InterDigitTimeout (5).
pub(super) fn collection_properties(schema: ActionSchema) -> ActionSchema {
    let number = |name: &str, default: f64| {
        PropertySchema::optional(name, PropertyKind::Expression).with_default(Value::from(default))
    };
    schema
        .property(number("MaxDigits", 1.0))
        .property(
            PropertySchema::optional("Terminator", PropertyKind::Template)
                .with_default(Value::from("#-")),
        )
        .property(number("Timeout", 5.0))
        .property(number("InterDigitTimeout", 5.0))
}

/// How one collection goes, from the action's properties.
pub(super) struct Collection {
    max_digits: u32,
    /// The key that ends the entry early.
    terminator: Option<char>,
    /// The terminator is stored with the entry (no `-` after it).
    keep_terminator: bool,
    timeout: f64,
    inter_digit: f64,
}

/// The properties a collection reads, by schema index.
pub(super) struct Indices {
    pub max_digits: usize,
    pub terminator: usize,
    pub timeout: usize,
    pub inter_digit: usize,
}

impl Collection {
    /// Reads MaxDigits, Terminator, Timeout and InterDigitTimeout.
    pub(super) fn read(call: &ActionCall<'_>, at: Indices) -> Result<Collection, ActionError> {
        let max_digits = whole(call, at.max_digits, "MaxDigits", 1, 1..=MAX_DIGITS)?;
        let written = text(call, at.terminator);
        let (terminator, keep_terminator) = terminator(&written)?;
        Ok(Collection {
            max_digits,
            terminator,
            keep_terminator,
            timeout: seconds_up_to(call, at.timeout, "Timeout", 5.0, MAX_TIMEOUT)?,
            inter_digit: seconds_up_to(
                call,
                at.inter_digit,
                "InterDigitTimeout",
                5.0,
                MAX_TIMEOUT,
            )?,
        })
    }
}

/// Studio's Terminator: one key, stored with the entry unless a `-`
/// follows it (`#-`); `""` for none.
fn terminator(written: &str) -> Result<(Option<char>, bool), ActionError> {
    let written = written.trim();
    let mut chars = written.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (None, _, _) => Ok((None, false)),
        (Some(key @ ('0'..='9' | '*' | '#')), None, _) => Ok((Some(key), true)),
        (Some(key @ ('0'..='9' | '*' | '#')), Some('-'), None) => Ok((Some(key), false)),
        _ => Err(ActionError::InvalidProperty {
            property: "Terminator".into(),
            expected: "one key (0-9, * or #), optionally followed by `-` (not stored), or \"\""
                .into(),
            got: format!("{written:?}"),
        }),
    }
}

/// How an entry ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// The caller pressed the terminator.
    Terminator,
    /// MaxDigits keys were pressed.
    MaxDigits,
    /// The caller pressed nothing before Timeout.
    Timeout,
    /// The caller stopped pressing keys for InterDigitTimeout.
    InterDigitTimeout,
}

/// What a collection gives: how it ended and the value to store.
pub(super) struct Entry {
    pub ended: Ended,
    pub value: String,
}

/// A collection's state after this step.
pub(super) enum Collected {
    /// The entry is complete.
    Done(Entry),
    /// The action waits for keys: return this.
    Waiting(Result<BranchId, ActionError>),
}

/// Collects an entry: afresh (`resumed` is `None`) or going on with the
/// event the run resumed with.
pub(super) fn collect(
    call: &mut ActionCall<'_>,
    c: &Collection,
    resumed: Option<Resumed>,
) -> Collected {
    let mut entered = String::new();
    if let Some(resumed) = resumed {
        let memo = resumed.memo.unwrap_or_default();
        entered = memo["entered"].as_str().unwrap_or_default().to_string();
        let left = memo["left"].as_f64().unwrap_or(0.0);
        match resumed.event {
            // The keys join the buffer; the collection goes on below.
            Event::Digits(keys) => call.contact_mut().digits.push_str(&keys),
            Event::Timeout => {
                call.elapse(left);
                return Collected::Done(timed_out(entered));
            }
            Event::Wait(passed) if passed >= left => {
                call.elapse(left);
                call.contact_mut().spare += passed - left;
                return Collected::Done(timed_out(entered));
            }
            Event::Wait(passed) => {
                call.elapse(passed);
                return wait(call, c, entered, left - passed);
            }
            // Only the events above reach a digits wait (answer and
            // hangup are the engine's); anything else leaves it as it was.
            _ => return wait(call, c, entered, left),
        }
    }
    if let Some(ended) = take_keys(call, c, &mut entered) {
        return Collected::Done(Entry {
            ended,
            value: entered,
        });
    }
    let timeout = if entered.is_empty() {
        c.timeout
    } else {
        c.inter_digit
    };
    let left = timeout - call.take_spare_time(timeout);
    if left <= 0.0 {
        return Collected::Done(timed_out(entered));
    }
    wait(call, c, entered, left)
}

/// Takes keys from the buffer into `entered` until the entry ends (then
/// returns how); the keys after the entry stay in the buffer.
fn take_keys(call: &mut ActionCall<'_>, c: &Collection, entered: &mut String) -> Option<Ended> {
    let buffer = &mut call.contact_mut().digits;
    let mut ended = None;
    let mut used = 0;
    for key in buffer.chars() {
        used += key.len_utf8();
        if Some(key) == c.terminator {
            if c.keep_terminator {
                entered.push(key);
            }
            ended = Some(Ended::Terminator);
            break;
        }
        entered.push(key);
        if entered.len() >= c.max_digits as usize {
            ended = Some(Ended::MaxDigits);
            break;
        }
    }
    buffer.drain(..used);
    ended
}

fn timed_out(entered: String) -> Entry {
    Entry {
        ended: if entered.is_empty() {
            Ended::Timeout
        } else {
            Ended::InterDigitTimeout
        },
        value: entered,
    }
}

fn wait(call: &mut ActionCall<'_>, c: &Collection, entered: String, left: f64) -> Collected {
    let memo = serde_json::json!({ "entered": entered, "left": left });
    Collected::Waiting(call.wait_with(
        Wait::Digits {
            max_digits: c.max_digits,
            terminator: c.terminator.map(String::from).unwrap_or_default(),
            entered,
            timeout: left,
        },
        memo,
    ))
}
