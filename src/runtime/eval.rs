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
use super::ops::{binary, boolean, number};
use super::Value;
pub(crate) use crate::program::names::VALUE_MEMBER;
pub use crate::program::VarId;
pub(crate) use crate::program::{Code, Piece};

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
            Code::Binary(op, a, b) => binary(*op, &*self.operand(a)?, &*self.operand(b)?),
            Code::Call(id, args) => match &args[..] {
                // One argument (most calls: `len(x)`, `upper(a.b)`): a
                // variable or member is lent to the function, not cloned.
                [arg] => match self.borrow(arg) {
                    Some(v) => self.call(*id, std::slice::from_ref(v)),
                    None => self.call(*id, std::slice::from_ref(&self.eval(arg)?)),
                },
                _ => {
                    let values = args
                        .iter()
                        .map(|c| self.eval(c))
                        .collect::<Result<SmallVec<[Value; 4]>, _>>()?;
                    self.call(*id, &values)
                }
            },
        }
    }

    /// An operand: a constant lent, anything else evaluated (a comparison
    /// with a literal clones and drops nothing).
    #[inline]
    fn operand<'v>(&self, code: &'v Code) -> Result<std::borrow::Cow<'v, Value>, RuntimeError> {
        match code {
            Code::Const(v) => Ok(std::borrow::Cow::Borrowed(v)),
            _ => self.eval(code).map(std::borrow::Cow::Owned),
        }
    }

    /// Calls function `id` with its evaluated arguments.
    fn call(
        &self,
        id: crate::program::FunctionId,
        values: &[Value],
    ) -> Result<Value, RuntimeError> {
        let def = self.functions.get(id);
        let result = (def.func)(values, &self.context)?;
        let bytes = self.limits.measure(&result)?;
        // A function's time follows the text it reads and builds:
        // `replace` building 1 MiB is a check of the clock on its own.
        let read: usize = values.iter().map(|v| v.as_str().map_or(0, str::len)).sum();
        self.pace.charge(1 + (bytes + read) / BYTES_PER_UNIT)?;
        Ok(result)
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
    #[inline]
    fn borrow<'v>(&'v self, code: &Code) -> Option<&'v Value> {
        match code {
            Code::Var(id) => self.vars.get(id.0 as usize)?.as_ref(),
            Code::Member(base, name) => {
                // `a.b` (the usual path) without recursing.
                let base = match &**base {
                    Code::Var(id) => self.vars.get(id.0 as usize)?.as_ref()?,
                    deeper => self.borrow_path(deeper)?,
                };
                match base {
                    Value::Object(map) => name.find(map),
                    Value::SecurityUser(user) => name.user_field.map(|f| user.field(f)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// [`Evaluator::borrow`] of a longer path (`a.b.c`), out of line.
    #[inline(never)]
    fn borrow_path<'v>(&'v self, code: &Code) -> Option<&'v Value> {
        self.borrow(code)
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
