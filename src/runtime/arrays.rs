//! Studio's arrays: 1-based, and either a list (a dynamic array, from JSON,
//! a list literal or a host) or a pipe-delimited string (`"a|b|c"`, Studio's
//! string array). One place decides what "element N" and "how many
//! elements" mean, for indexing, `.size`, `index()`, `indexof()`, `size()`,
//! FOREACH and index assignment alike.
//!
//! A string without a pipe is a one-element array (Studio: "An array with
//! only one element appears to be a regular variable. It's still an array");
//! the empty string, null and an unset variable are the empty array; a
//! number, boolean or datetime is a one-element array.

use std::borrow::Cow;

use super::error::{shown, RuntimeError};
use super::value::NumberText;
use super::Value;

/// The elements of a value seen as an array, or `None` for values that are
/// not arrays (objects and security users).
pub(crate) fn elements(v: &Value) -> Option<Cow<'_, [Value]>> {
    Some(match v {
        Value::List(items) => Cow::Borrowed(items.as_slice()),
        Value::Null => Cow::Borrowed(&[]),
        Value::String(s) if s.is_empty() => Cow::Borrowed(&[]),
        Value::String(s) => Cow::Owned(s.split('|').map(Value::from).collect()),
        Value::Number(_) | Value::Bool(_) | Value::DateTime(_) => Cow::Owned(vec![v.clone()]),
        Value::Object(_) | Value::SecurityUser(_) => return None,
    })
}

/// How many elements `v` has as an array (`.size`, `size()`), or `None`
/// when it is not an array.
///
/// Counting a pipe-delimited string does not split it.
pub(crate) fn size(v: &Value) -> Option<usize> {
    Some(match v {
        Value::List(items) => items.len(),
        Value::Null => 0,
        Value::String(s) if s.is_empty() => 0,
        Value::String(s) => s.bytes().filter(|&b| b == b'|').count() + 1,
        Value::Number(_) | Value::Bool(_) | Value::DateTime(_) => 1,
        Value::Object(_) | Value::SecurityUser(_) => return None,
    })
}

/// The 0-based position of Studio's 1-based `index`, checked against an
/// array of `len` elements.
///
/// `[0]` and negative indexes are refused with a message that says arrays
/// start at 1 (scripts migrated from 0-based languages are the usual cause).
pub(crate) fn position(base: &Value, index: &Value, len: usize) -> Result<usize, RuntimeError> {
    let what = if matches!(base, Value::String(_)) {
        "a string array"
    } else {
        "an array"
    };
    match index.as_number() {
        Some(n) if n.fract() == 0.0 && n < 1.0 => Err(RuntimeError::IndexBelowOne {
            index: NumberText(n).to_string(),
        }),
        Some(n) if n.fract() == 0.0 && n <= len as f64 => Ok(n as usize - 1),
        Some(n) if n.fract() == 0.0 => Err(RuntimeError::IndexOutOfRange {
            index: NumberText(n).to_string(),
            what,
            len,
        }),
        _ => Err(RuntimeError::BadIndex {
            got: base.type_name(),
            index: shown(index),
        }),
    }
}

/// Element `index` (1-based) of `base` seen as an array.
pub(crate) fn element(base: &Value, index: &Value) -> Result<Value, RuntimeError> {
    match base {
        Value::List(items) => Ok(items[position(base, index, items.len())?].clone()),
        Value::String(s) if !s.is_empty() => {
            // Only the wanted element is cut out of a pipe-delimited string.
            let len = size(base).unwrap_or(0);
            let i = position(base, index, len)?;
            Ok(Value::from(s.split('|').nth(i).unwrap_or("")))
        }
        _ => match elements(base) {
            Some(items) => Ok(items[position(base, index, items.len())?].clone()),
            None => Err(RuntimeError::BadIndex {
                got: base.type_name(),
                index: shown(index),
            }),
        },
    }
}

/// The 1-based position of the first element equal to `needle` (by `=`'s
/// rules), or 0 when there is none: `indexof()`.
pub(crate) fn index_of(base: &Value, needle: &Value) -> Option<usize> {
    let items = elements(base)?;
    Some(
        items
            .iter()
            .position(|item| super::ops::equals(item, needle))
            .map_or(0, |i| i + 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Value {
        Value::from(items.iter().map(|s| Value::from(*s)).collect::<Vec<_>>())
    }

    #[test]
    fn pipe_strings_are_arrays() {
        let heroes = Value::from("Beowulf|Sir Gawain|Sir Lancelot");
        assert_eq!(size(&heroes), Some(3));
        assert_eq!(element(&heroes, &2.into()), Ok(Value::from("Sir Gawain")));
        assert_eq!(index_of(&heroes, &"Sir Lancelot".into()), Some(3));
        assert_eq!(index_of(&heroes, &"Grendel".into()), Some(0));
        // One element without a pipe; none when empty.
        assert_eq!(size(&Value::from("solo")), Some(1));
        assert_eq!(element(&Value::from("solo"), &1.into()), Ok("solo".into()));
        assert_eq!(size(&Value::from("")), Some(0));
        // Empty elements count.
        assert_eq!(size(&Value::from("a||")), Some(3));
    }

    #[test]
    fn indexes_start_at_one() {
        let l = list(&["a", "b"]);
        assert_eq!(element(&l, &1.into()), Ok("a".into()));
        assert_eq!(element(&l, &"2".into()), Ok("b".into()));
        assert_eq!(
            element(&l, &0.into()),
            Err(RuntimeError::IndexBelowOne { index: "0".into() })
        );
        assert!(matches!(
            element(&l, &3.into()),
            Err(RuntimeError::IndexOutOfRange { len: 2, .. })
        ));
        assert!(matches!(
            element(&l, &1.5.into()),
            Err(RuntimeError::BadIndex { .. })
        ));
        assert_eq!(size(&Value::Object(Default::default())), None);
    }
}
