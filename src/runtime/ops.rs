//! Value operations, in one place: the infix operators, `=` (which every
//! membership test of the language uses too: `contains`, `Case`, `indexof`),
//! ordering, and the numeric coercions. Evaluation, arrays, functions and
//! the Snippet executor all call these.

use std::sync::Arc;

use super::error::{shown, RuntimeError};
use super::Value;
use crate::program::BinaryOp;

pub(crate) fn number(op: &'static str, v: &Value) -> Result<f64, RuntimeError> {
    v.as_number().ok_or_else(|| RuntimeError::NotANumber {
        op,
        got: v.type_name(),
        shown: shown(v),
    })
}

pub(crate) fn boolean(op: &'static str, v: &Value) -> Result<bool, RuntimeError> {
    v.as_bool().ok_or_else(|| RuntimeError::NotABool {
        op,
        got: v.type_name(),
        shown: shown(v),
    })
}

fn finite(op: &'static str, n: f64) -> Result<Value, RuntimeError> {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else if n.is_nan() {
        // Not an overflow: `(0-1)^0.5` or `0^-1 * 0` has no number at all.
        Err(RuntimeError::NotReal { op })
    } else {
        Err(RuntimeError::Overflow { op })
    }
}

/// A whole number that converts to `i64` exactly: `Ok(None)` when `v` is
/// not a whole number, `Err` when it is one beyond ±2^53 (not exact).
pub(crate) fn whole_number(
    v: &Value,
    what: impl FnOnce() -> String,
) -> Result<Option<i64>, RuntimeError> {
    match v.as_number() {
        Some(n) if n.fract() == 0.0 && n.abs() <= super::value::MAX_EXACT_INT => Ok(Some(n as i64)),
        Some(n) if n.fract() == 0.0 => Err(RuntimeError::NotExact {
            what: what(),
            shown: Value::Number(n).to_text(),
        }),
        _ => Ok(None),
    }
}

/// Evaluates an infix operator other than `and`/`or`.
pub(crate) fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, RuntimeError> {
    let sym = op.symbol();
    match op {
        BinaryOp::Add => finite(sym, number(sym, a)? + number(sym, b)?),
        BinaryOp::Sub => finite(sym, number(sym, a)? - number(sym, b)?),
        BinaryOp::Mul => finite(sym, number(sym, a)? * number(sym, b)?),
        BinaryOp::Div | BinaryOp::Mod | BinaryOp::IntDiv => {
            let (x, y) = (number(sym, a)?, number(sym, b)?);
            if y == 0.0 {
                return Err(RuntimeError::DivisionByZero);
            }
            finite(
                sym,
                match op {
                    BinaryOp::Div => x / y,
                    BinaryOp::Mod => x % y,
                    // `7 \ 2` is 3, `-7 \ 2` is -3: the quotient's fraction dropped.
                    _ => (x / y).trunc(),
                },
            )
        }
        BinaryOp::Pow => finite(sym, number(sym, a)?.powf(number(sym, b)?)),
        BinaryOp::Eq => Ok(Value::Bool(equals(a, b))),
        BinaryOp::Ne => Ok(Value::Bool(!equals(a, b))),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
            let ordering = compare(sym, a, b)?;
            Ok(Value::Bool(match op {
                BinaryOp::Lt => ordering.is_lt(),
                BinaryOp::Le => ordering.is_le(),
                BinaryOp::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            }))
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
            let (x, y) = (boolean(sym, a)?, boolean(sym, b)?);
            Ok(Value::Bool(match op {
                BinaryOp::And => x && y,
                BinaryOp::Or => x || y,
                _ => x != y,
            }))
        }
    }
}

fn is_compound(v: &Value) -> bool {
    matches!(
        v,
        Value::List(_) | Value::Object(_) | Value::SecurityUser(_)
    )
}

/// `=`: numerically when both sides are numeric, otherwise by text
/// (case-sensitive); lists and objects element by element with this same
/// `=` (so `[1] = ["1"]` like `1 = "1"`). Every membership test of the
/// language (`contains`, `Case`) uses it too.
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            return Arc::ptr_eq(x, y)
                || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equals(p, q)));
        }
        (Value::Object(x), Value::Object(y)) => {
            return Arc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| equals(v, w))));
        }
        _ => {}
    }
    if is_compound(a) || is_compound(b) {
        return a.deep_eq(b);
    }
    if let Some(pair) = datetimes(a, b) {
        return pair.is_some_and(|(x, y)| x == y);
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return x == y;
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        _ => a.to_text() == b.to_text(),
    }
}

/// [`equals`] against a string, without building a value for it: `Case`
/// compares with the script's labels, whose reference counts every thread
/// running the script shares.
pub(crate) fn equals_str(a: &Value, b: &str) -> bool {
    match a {
        Value::List(_) | Value::Object(_) | Value::SecurityUser(_) => false,
        Value::DateTime(d) => super::datetime::parse(b, None) == Some(*d),
        _ => match (a.as_number(), super::value::parse_numeric(b)) {
            (Some(x), Some(y)) => x == y,
            _ => match a {
                Value::String(s) => **s == *b,
                _ => a.to_text() == b,
            },
        },
    }
}

fn compare(op: &'static str, a: &Value, b: &Value) -> Result<std::cmp::Ordering, RuntimeError> {
    if is_compound(a) || is_compound(b) {
        return Err(RuntimeError::NotComparable {
            op,
            left: a.type_name(),
            right: b.type_name(),
        });
    }
    if let Some(pair) = datetimes(a, b) {
        return match pair {
            Some((x, y)) => Ok(x.cmp(&y)),
            None => Err(RuntimeError::NotComparable {
                op,
                left: a.type_name(),
                right: b.type_name(),
            }),
        };
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return Ok(x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal));
    }
    Ok(a.to_text().cmp(&b.to_text()))
}

/// When either side is a datetime, both sides as datetimes (`Some(None)`
/// when the other side is not a date: text that does not read as one, a
/// boolean, null); `None` when neither is a datetime. Datetimes compare in
/// time order, whatever their text.
fn datetimes(
    a: &Value,
    b: &Value,
) -> Option<Option<(chrono::NaiveDateTime, chrono::NaiveDateTime)>> {
    if !matches!(a, Value::DateTime(_)) && !matches!(b, Value::DateTime(_)) {
        return None;
    }
    let read = |v: &Value| match v {
        Value::DateTime(d) => Some(*d),
        Value::String(s) => super::datetime::parse(s, None),
        Value::Number(n) => super::datetime::from_ole(*n),
        _ => None,
    };
    Some(read(a).zip(read(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_strings_compare_as_numbers() {
        let t = |a: Value, op, b: Value| binary(op, &a, &b).unwrap();
        assert_eq!(t("10".into(), BinaryOp::Gt, "9".into()), Value::Bool(true));
        assert_eq!(t("1".into(), BinaryOp::Eq, 1.0.into()), Value::Bool(true));
        assert_eq!(t("b".into(), BinaryOp::Gt, "a".into()), Value::Bool(true));
        assert_eq!(t("A".into(), BinaryOp::Eq, "a".into()), Value::Bool(false));
        assert_eq!(t("5".into(), BinaryOp::Add, 1.0.into()), Value::Number(6.0));
    }

    #[test]
    fn equals_str_is_equals_with_a_string() {
        let values = [
            Value::from("10"),
            Value::from("a"),
            Value::from(""),
            Value::from(10.0),
            Value::Bool(true),
            Value::Null,
            Value::from(vec![Value::from("a")]),
            Value::DateTime(super::super::datetime::parse("03/08/2026 06:30:00 AM", None).unwrap()),
        ];
        for a in &values {
            for b in [
                "10",
                "10.0",
                "a",
                "",
                "true",
                "03/08/2026 06:30:00 AM",
                "[\"a\"]",
            ] {
                assert_eq!(
                    equals_str(a, b),
                    equals(a, &Value::from(b)),
                    "{a:?} = {b:?}"
                );
            }
        }
    }

    #[test]
    fn arithmetic_refuses_non_numbers() {
        for bad in [Value::from("abc"), Value::from(""), Value::from(vec![])] {
            assert!(binary(BinaryOp::Add, &bad, &Value::from(1.0)).is_err());
        }
        assert_eq!(
            binary(BinaryOp::Div, &1.0.into(), &0.0.into()),
            Err(RuntimeError::DivisionByZero)
        );
    }
}
