//! Compiled expressions and their evaluation.
//!
//! Compile turns the AST into `Code`: variables are slot indices, functions
//! are registry indices, templates are pre-split literal/expression parts.
//! Evaluation never looks at names or source text.

use std::sync::Arc;

use smallvec::SmallVec;

use super::error::{shown, RuntimeError};
use super::functions::{FunctionContext, FunctionRegistry};
pub(crate) use super::limits::SizeLimits;
use super::limits::BYTES_PER_UNIT;
use super::Value;
pub(crate) use crate::program::names::VALUE_MEMBER;
pub use crate::program::VarId;
pub(crate) use crate::program::{BinaryOp, Code, Piece};

/// The member an array has: its number of elements (Studio's `.size`).
pub(crate) const ARRAY_SIZE_MEMBER: &str = "size";

/// Everything evaluation reads.
pub(crate) struct Evaluator<'a> {
    pub vars: &'a [Option<Value>],
    pub functions: &'a FunctionRegistry,
    pub limits: SizeLimits,
    pub context: FunctionContext<'a>,
    /// A reusable buffer for building template strings.
    pub scratch: &'a std::cell::RefCell<String>,
    /// The run's deadline and cancel token, looked at while evaluating.
    pub pace: &'a super::limits::Pacer<'a>,
}

impl Evaluator<'_> {
    /// Evaluates a compiled expression. Recursion is bounded by the tree's
    /// height (at most MAX_NESTING); the executor makes sure a run has the
    /// stack for its deepest expression before it starts.
    pub fn eval(&self, code: &Code) -> Result<Value, RuntimeError> {
        match code {
            Code::Const(v) => Ok(v.clone()),
            Code::Var(id) => Ok(self.read(*id)),
            Code::Template(pieces) => self.template(pieces),
            Code::List(items) => {
                if items.len() > self.limits.max_list_len {
                    return Err(RuntimeError::TooLarge {
                        what: "a list",
                        size: items.len(),
                        limit: self.limits.max_list_len,
                    });
                }
                let values = items
                    .iter()
                    .map(|c| self.eval(c))
                    .collect::<Result<Vec<_>, _>>()?;
                let list = Value::List(Arc::new(values));
                let bytes = self.limits.measure(&list)?;
                self.pace.charge(1 + bytes / BYTES_PER_UNIT)?;
                Ok(list)
            }
            Code::Member(base, name) => match self.borrow(code) {
                Some(v) => Ok(v.clone()),
                None => member(&self.eval(base)?, name),
            },
            Code::Index(base, index) => self.index(&self.eval(base)?, &self.eval(index)?),
            Code::Neg(inner) => {
                let v = self.eval(inner)?;
                Ok(Value::Number(-number("-", &v)?))
            }
            Code::Not(inner) => Ok(Value::Bool(!boolean("not", &self.eval(inner)?)?)),
            Code::And(a, b) => {
                if !boolean("and", &self.eval(a)?)? {
                    return Ok(Value::Bool(false));
                }
                Ok(Value::Bool(boolean("and", &self.eval(b)?)?))
            }
            Code::Or(a, b) => {
                if boolean("or", &self.eval(a)?)? {
                    return Ok(Value::Bool(true));
                }
                Ok(Value::Bool(boolean("or", &self.eval(b)?)?))
            }
            Code::Binary(op, a, b) => binary(*op, &self.eval(a)?, &self.eval(b)?),
            Code::Call(id, args) => {
                let def = self.functions.get(*id);
                let values = args
                    .iter()
                    .map(|c| self.eval(c))
                    .collect::<Result<SmallVec<[Value; 4]>, _>>()?;
                let result = (def.func)(&values, &self.context)?;
                let bytes = self.limits.measure(&result)?;
                // A function's time follows the text it reads and builds:
                // `replace` building 1 MiB is a check of the clock on its own.
                let read: usize = values.iter().map(|v| v.as_str().map_or(0, str::len)).sum();
                self.pace.charge(1 + (bytes + read) / BYTES_PER_UNIT)?;
                Ok(result)
            }
        }
    }

    fn read(&self, id: VarId) -> Value {
        match self.vars.get(id.0 as usize) {
            Some(Some(v)) => v.clone(),
            _ => Value::empty(),
        }
    }

    fn template(&self, pieces: &[Piece]) -> Result<Value, RuntimeError> {
        // Built in the run's scratch buffer, then copied once into the shared
        // string; a template nested inside another uses a buffer of its own.
        let mut own = String::new();
        let mut scratch = self.scratch.try_borrow_mut();
        let out: &mut String = match scratch.as_deref_mut() {
            Ok(buffer) => {
                buffer.clear();
                buffer
            }
            Err(_) => &mut own,
        };
        for piece in pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Expr(code) => match self.borrow(code) {
                    // Variables and their members are spliced without a clone.
                    Some(v) => v.write_text(out),
                    None => self.eval(code)?.write_text(out),
                },
            }
            if out.len() > self.limits.max_string_bytes {
                return Err(RuntimeError::TooLarge {
                    what: "a string",
                    size: out.len(),
                    limit: self.limits.max_string_bytes,
                });
            }
        }
        self.pace.charge(1 + out.len() / BYTES_PER_UNIT)?;
        Ok(Value::from(out.as_str()))
    }

    /// The value of a variable or of a member path on one (`a.b.c`), borrowed
    /// from the variable table; `None` when the expression is anything else
    /// or the path does not resolve to a stored value (evaluation then
    /// produces the value or the error).
    fn borrow<'v>(&'v self, code: &Code) -> Option<&'v Value> {
        match code {
            Code::Var(id) => self.vars.get(id.0 as usize)?.as_ref(),
            Code::Member(base, name) => match self.borrow(base)? {
                Value::Object(map) => map.get(&**name),
                Value::SecurityUser(user) => user.member_ref(name),
                _ => None,
            },
            _ => None,
        }
    }

    /// `a[i]`: Studio's 1-based element of an array (a list or a
    /// pipe-delimited string), or an object's member by name.
    fn index(&self, base: &Value, index: &Value) -> Result<Value, RuntimeError> {
        match base {
            Value::Object(_) | Value::SecurityUser(_) => match index {
                Value::String(key) => member(base, key),
                other => Err(RuntimeError::BadIndex {
                    got: base.type_name(),
                    index: shown(other),
                }),
            },
            _ => super::arrays::element(base, index),
        }
    }
}

/// `a.b`: objects and security users have members; a missing member reads
/// as "". An array (a list or a pipe-delimited string) has one member,
/// `size`: its number of elements. Every value has `$value`: itself.
pub(crate) fn member(base: &Value, name: &str) -> Result<Value, RuntimeError> {
    if name == VALUE_MEMBER {
        return Ok(base.clone());
    }
    match base {
        Value::Object(map) => Ok(map.get(name).cloned().unwrap_or_else(Value::empty)),
        Value::SecurityUser(user) => Ok(user.member(name).unwrap_or_else(Value::empty)),
        Value::List(_) | Value::String(_) | Value::Null if name == ARRAY_SIZE_MEMBER => {
            Ok(Value::from(super::arrays::size(base).unwrap_or_default()))
        }
        other => Err(RuntimeError::NotAnObject {
            member: name.to_string(),
            got: other.type_name(),
        }),
    }
}

fn number(op: &'static str, v: &Value) -> Result<f64, RuntimeError> {
    v.as_number().ok_or_else(|| RuntimeError::NotANumber {
        op,
        got: v.type_name(),
        shown: shown(v),
    })
}

fn boolean(op: &'static str, v: &Value) -> Result<bool, RuntimeError> {
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
