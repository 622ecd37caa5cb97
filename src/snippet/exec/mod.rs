//! The statement executor: runs a compiled `Program` against the run's
//! variables. Expressions are evaluated by the runtime's one evaluator.
//! The statements are stepped by an explicit-stack machine (see
//! `exec/machine.rs`) whose whole state is plain data; this file holds
//! what a step uses: costs and bounds, stores into variables, coverage.

use std::cell::RefCell;
use std::sync::Arc;

use thiserror::Error;

use super::bounds::{Bound, SnippetBounds};
use super::functions::RESERVED_MEMBER;
use super::program::{CTarget, Op, OpKind, UserFunction};
use crate::runtime::contact::{TranscriptEntry, TranscriptKind, TranscriptLog};
use crate::runtime::eval::{Code, Evaluator, SizeLimits, VarId};
use crate::runtime::executor::TraceOutput;
use crate::runtime::functions::{FunctionContext, FunctionRegistry};
use crate::runtime::limits::{bounded_one_line, MAX_ERROR_TEXT_BYTES};
use crate::runtime::{RuntimeError, Value};

mod machine;
mod pause;
pub(crate) mod rest;
mod wait;

/// Bytes of a newly built stored string that cost one statement.
const STRING_BYTES_PER_STATEMENT: usize = 64;

/// The most TRACE text one run keeps (the rest is dropped with a marker).
pub(crate) const MAX_TRACE_BYTES: usize = 1 << 20;

/// Why a snippet stopped early.
#[derive(Debug, Clone, Error, PartialEq)]
pub(crate) enum SnippetError {
    /// A statement failed: the action takes its Error branch.
    #[error("line {line}: {message}")]
    Failed { line: u32, message: String },
    /// A budget ran out: the run stops with outcome limit.
    #[error("line {line}: {message}")]
    Limit { line: u32, message: String },
    /// The host cancelled the run.
    #[error("line {line}: the run was cancelled by the host")]
    Cancelled { line: u32 },
    /// A REST request was made: the machine waits for its reply (inside
    /// the executor only; a run returns it as [`Suspended`]).
    #[error("the Snippet waits for the reply to a REST request")]
    Suspended,
    /// A paused Snippet could not go on: the action takes its Error branch.
    #[error("the Snippet cannot resume: {0}")]
    Resume(String),
}

/// A Snippet waiting for the reply to a REST request: the request the host
/// makes, and the executor's state as JSON, to hand back on resume.
#[derive(Debug)]
pub(crate) struct Suspended {
    pub request: crate::runtime::contact::HttpRequest,
    pub memo: serde_json::Value,
}

/// A REST reply as the waiting statement takes it: the call's result (the
/// body as a value), the status code and its description.
#[derive(Debug)]
pub(crate) struct RestReply {
    pub result: Value,
    pub status: u16,
    pub description: &'static str,
}

/// What a snippet run reads and writes besides the variables.
pub(crate) struct Exec<'a> {
    pub functions: &'a FunctionRegistry,
    pub user_functions: &'a [UserFunction],
    pub limits: SizeLimits,
    pub context: FunctionContext<'a>,
    /// Statements this run may still execute (shared by every snippet of the run).
    pub budget: &'a mut u64,
    /// The budget's size, for the message.
    pub budget_limit: u64,
    /// The Snippet's MaxStringSize in bytes.
    pub max_string: usize,
    pub max_string_name: &'a str,
    /// TRACE output, when the run records a trace.
    pub trace: Option<&'a mut TraceOutput>,
    pub scratch: RefCell<String>,
    /// User FUNCTION calls under way (the machine's call frames).
    pub depth: usize,
    /// The run's memory budget, deadline and cancel token.
    pub bounds: SnippetBounds<'a>,
    /// The deadline and cancel token as expressions meet them.
    pub pacer: crate::runtime::limits::Pacer<'a>,
    /// Arms of branching statements taken, when the run counts coverage.
    pub hits: Option<&'a mut crate::runtime::counts::SnippetHits>,
    /// The REST request a statement made, until the run returns it.
    pub waiting: Option<Box<crate::runtime::contact::HttpRequest>>,
    /// What `.savetodb()` saved, for the run's transcript (bounded as the
    /// transcript is), and the step, action and time its entries carry.
    pub saved: TranscriptLog,
    pub saving_as: (u64, Arc<str>, f64),
}

/// One arm of a branching Snippet statement, for coverage: IF's true and
/// false, each CASE of a SWITCH or SELECT and its DEFAULT (or no CASE
/// matching), a loop body entered or skipped, a RETURN taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BranchPoint {
    /// The statement's identity (see [`Exec::hit`]) and the arm.
    pub key: (usize, u32),
    /// The `.script` line of the statement.
    pub line: u32,
    /// `IF`, `SWITCH`, `SELECT`, `FOR`, `FOREACH`, `REPEAT` or `RETURN`.
    pub statement: &'static str,
    /// `true`, `false`, `CASE 1`, `DEFAULT`, `no CASE`, `entered`, `skipped`, `taken`.
    pub arm: String,
}

/// Every arm of every branching statement in `ops`, in source order, nested
/// blocks included: the same list for the same compiled code, so counts
/// can be matched by position across compilations of one file.
pub(crate) fn branch_points(ops: &[Op], out: &mut Vec<BranchPoint>) {
    for op in ops {
        let key = std::ptr::from_ref(op) as usize;
        let mut arm = |statement: &'static str, n: u32, name: String| {
            out.push(BranchPoint {
                key: (key, n),
                line: op.line,
                statement,
                arm: name,
            })
        };
        match &op.kind {
            OpKind::If { .. } => {
                arm("IF", 0, "true".into());
                arm("IF", 1, "false".into());
            }
            OpKind::Switch { cases, default, .. } | OpKind::Select { cases, default } => {
                let statement = match op.kind {
                    OpKind::Switch { .. } => "SWITCH",
                    _ => "SELECT",
                };
                for i in 0..cases.len() {
                    arm(statement, i as u32, format!("CASE {}", i + 1));
                }
                let none = if default.is_some() {
                    "DEFAULT"
                } else {
                    "no CASE"
                };
                arm(statement, cases.len() as u32, none.into());
            }
            // Studio runs a FOR body at least once: it is always entered.
            OpKind::For { .. } => arm("FOR", 0, "entered".into()),
            OpKind::ForEach { .. } => {
                arm("FOREACH", 0, "entered".into());
                arm("FOREACH", 1, "skipped".into());
            }
            OpKind::Repeat { .. } => {
                arm("REPEAT", 0, "entered".into());
                arm("REPEAT", 1, "skipped".into());
            }
            OpKind::Return(_) => arm("RETURN", 0, "taken".into()),
            _ => {}
        }
        match &op.kind {
            OpKind::If {
                then, otherwise, ..
            } => {
                branch_points(then, out);
                branch_points(otherwise, out);
            }
            OpKind::Switch { cases, default, .. } | OpKind::Select { cases, default } => {
                for case in cases.iter() {
                    branch_points(&case.body, out);
                }
                if let Some(body) = default {
                    branch_points(body, out);
                }
            }
            OpKind::For { body, .. }
            | OpKind::ForEach { body, .. }
            | OpKind::Repeat { body, .. } => branch_points(body, out),
            _ => {}
        }
    }
}

/// How a statement or block ended.
enum Flow {
    Next,
    Break,
    Return(Value),
}

type Vars = Vec<Option<Value>>;

impl Exec<'_> {
    /// Counts arm `arm` of `op` taken (see [`branch_points`]).
    #[inline]
    fn hit(&mut self, op: &Op, arm: u32) {
        if let Some(hits) = self.hits.as_deref_mut() {
            *hits
                .entry((std::ptr::from_ref(op) as usize, arm))
                .or_insert(0) += 1;
        }
    }

    /// The error a bound of the run becomes.
    fn bound(line: u32, bound: Bound) -> SnippetError {
        match bound {
            Bound::TooLarge { variable, source } => Self::fail(
                line,
                format!("the value for {variable} is refused: {source}"),
            ),
            Bound::Memory(m) => SnippetError::Limit {
                line,
                message: m.to_string(),
            },
            Bound::Time(timeout) => SnippetError::Limit {
                line,
                message: crate::runtime::error::time_limit_message(timeout),
            },
            Bound::Cancelled => SnippetError::Cancelled { line },
        }
    }

    /// Stores a whole value in a variable, through the run's bounds.
    fn put(
        &mut self,
        vars: &mut Vars,
        var: VarId,
        value: Option<Value>,
        line: u32,
    ) -> Result<(), SnippetError> {
        self.bounds
            .put(vars, var.0 as usize, value)
            .map_err(|b| Self::bound(line, b))
    }

    fn tick(&mut self, line: u32, cost: u64) -> Result<(), SnippetError> {
        if *self.budget < cost {
            *self.budget = 0;
            return Err(SnippetError::Limit {
                line,
                message: format!(
                    "statement budget of {} executed Snippet statements exceeded",
                    self.budget_limit
                ),
            });
        }
        *self.budget -= cost;
        self.bounds
            .pace(line, cost)
            .map_err(|b| Self::bound(line, b))
    }

    fn fail(line: u32, message: impl Into<String>) -> SnippetError {
        SnippetError::Failed {
            line,
            message: message.into(),
        }
    }

    fn eval_code(&self, code: &Code, vars: &Vars, line: u32) -> Result<Value, SnippetError> {
        let evaluator = Evaluator {
            vars,
            functions: self.functions,
            limits: self.limits,
            context: self.context,
            scratch: &self.scratch,
            pace: &self.pacer,
        };
        evaluator.eval(code).map_err(|e: RuntimeError| match e {
            RuntimeError::Cancelled => SnippetError::Cancelled { line },
            e @ RuntimeError::TimeLimit { .. } => SnippetError::Limit {
                line,
                message: e.to_string(),
            },
            e => Self::fail(line, e.to_string()),
        })
    }

    /// A condition's value as true or false.
    fn truth(&self, v: Value, line: u32) -> Result<bool, SnippetError> {
        v.as_bool().ok_or_else(|| {
            Self::fail(
                line,
                format!(
                    "a condition must be true or false, got {} {}",
                    v.type_name(),
                    crate::runtime::error::shown(&v)
                ),
            )
        })
    }

    /// A FOR bound's or REPEAT count's value as a whole number.
    fn whole(&self, v: &Value, line: u32, what: &str) -> Result<i64, SnippetError> {
        let exact = crate::runtime::ops::whole_number(v, || what.to_string())
            .map_err(|e| Self::fail(line, e.to_string()))?;
        match exact {
            Some(n) => Ok(n),
            None => Err(Self::fail(
                line,
                format!(
                    "{what} must be a whole number, got {}",
                    crate::runtime::error::shown(v)
                ),
            )),
        }
    }

    /// Keeps TRACE's text, when the run records a trace.
    /// `written.savetodb(n)`: `value` is `[receiver, n]` (or `[receiver]`).
    fn save(&mut self, written: &str, value: &Value) {
        let (received, n) = match value {
            Value::List(items) => (items.first(), items.get(1)),
            _ => (None, None),
        };
        let shown = received.map(Value::to_text).unwrap_or_default();
        let text = match n {
            Some(n) => format!("{written}.savetodb({}): {shown}", n.to_text()),
            None => format!("{written}.savetodb(): {shown}"),
        };
        let (step, action, at) = self.saving_as.clone();
        self.saved.push(TranscriptEntry {
            step,
            action,
            kind: TranscriptKind::Data,
            // An entry is bounded like an error text (a saved object may be large).
            text: bounded_one_line(&text, MAX_ERROR_TEXT_BYTES).into(),
            at,
        });
    }

    fn trace_text(&mut self, v: &Value) {
        if let Some(out) = self.trace.as_deref_mut() {
            let text = v.to_text();
            if out.bytes + text.len() <= MAX_TRACE_BYTES {
                out.bytes += text.len();
                out.lines.push(Arc::from(text));
            } else if !out.truncated {
                out.truncated = true;
                out.lines
                    .push(Arc::from("(further TRACE output of this run dropped)"));
            }
        }
    }

    /// Checks a value about to be stored against MaxStringSize and the
    /// engine's size limits.
    fn check_stored(&mut self, v: &Value, line: u32) -> Result<(), SnippetError> {
        if let Value::String(s) = v {
            // A freshly built string costs a statement per STRING_BYTES_PER_STATEMENT
            // bytes: stored strings are what a loop can pile up.
            if crate::runtime::value::is_fresh_heap_text(s) {
                self.tick(line, (s.len() / STRING_BYTES_PER_STATEMENT) as u64)?;
            }
            if s.len() > self.max_string {
                return Err(Self::fail(
                    line,
                    format!(
                        "a string of {} bytes exceeds MaxStringSize {} ({} bytes)",
                        s.len(),
                        self.max_string_name,
                        self.max_string
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Writes FOREACH's changed iterator back as element `index` of the
    /// array at `target`, whose steps (`steps`) are evaluated.
    fn write_element(
        &mut self,
        target: &CTarget,
        index: usize,
        value: Value,
        mut steps: Vec<Step>,
        vars: &mut Vars,
        line: u32,
    ) -> Result<(), SnippetError> {
        // A pipe-delimited string stays a pipe-delimited string.
        let current = read_path(vars[target.var.0 as usize].as_ref(), &steps);
        if let Some(Value::String(s)) = current {
            let mut parts: Vec<&str> = s.split('|').collect();
            let text = value.to_text();
            if let Some(slot) = parts.get_mut(index) {
                *slot = &text;
            }
            let joined = parts.join("|");
            return self.store(target.var, &steps, Value::from(joined), vars, line);
        }
        // FOREACH counts from 0; Studio's indexes start at 1.
        steps.push(Step::Index(Value::Number(index as f64 + 1.0)));
        self.store(target.var, &steps, value, vars, line)
    }

    fn store(
        &mut self,
        var: VarId,
        steps: &[Step],
        value: Value,
        vars: &mut Vars,
        line: u32,
    ) -> Result<(), SnippetError> {
        if steps.is_empty() {
            return self.put(vars, var, Some(value), line);
        }
        // Changed in place: measured when it may have doubled, and at the
        // next settle (see SnippetBounds).
        self.bounds.changing(var.0 as usize);
        let added = growth_estimate(&value, self.limits);
        let mut root = vars[var.0 as usize].take().unwrap_or_else(Value::empty);
        let mut work = 0usize;
        let result = set_path(&mut root, steps, value, self.limits, &mut work, true);
        // An element written into a pipe-delimited string makes a new string.
        let grown = match &root {
            Value::String(s) if result.is_ok() => s.len(),
            _ => 0,
        };
        vars[var.0 as usize] = Some(root);
        if grown > 0 {
            let text = vars[var.0 as usize].clone().unwrap_or_default();
            self.check_stored(&text, line)?;
        }
        // Elements created (an array grown past its end) and copied (copy on
        // write of a shared list or object) cost one statement each, so the
        // statement budget also bounds the memory a snippet can build.
        self.tick(line, work as u64)?;
        result.map_err(|m| Self::fail(line, m))?;
        let added = added.saturating_add(work.saturating_mul(std::mem::size_of::<Value>()));
        self.bounds
            .grew(vars, var.0 as usize, added)
            .map_err(|b| Self::bound(line, b))
    }
}

/// The bytes storing `value` inside a variable adds, estimated cheaply: a
/// value built by the statement (not shared) is measured (it cost as much
/// to build), a list or object shared with another variable adds a
/// reference (it is counted in full when the variable is next measured).
fn growth_estimate(value: &Value, limits: SizeLimits) -> usize {
    let shared = match value {
        Value::List(items) => Arc::strong_count(items) > 1,
        Value::Object(map) => Arc::strong_count(map) > 1,
        _ => false,
    };
    if shared {
        return std::mem::size_of::<Value>();
    }
    // Over the limits: the settle that follows refuses it.
    limits.measure(value).unwrap_or(usize::MAX)
}

enum Step {
    Member(Arc<str>),
    Index(Value),
}

fn read_path<'v>(root: Option<&'v Value>, steps: &[Step]) -> Option<&'v Value> {
    let mut cur = root?;
    for s in steps {
        cur = match (cur, s) {
            (Value::Object(map), Step::Member(m)) => map.get(&**m)?,
            (Value::Object(map), Step::Index(Value::String(k))) => map.get(&**k)?,
            (Value::List(items), Step::Index(i)) => {
                let n = i.as_number().filter(|n| *n >= 1.0)?;
                items.get(n as usize - 1)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn is_unset(v: &Value) -> bool {
    v.is_null_or_empty()
}

/// Writes `value` at `steps` below `cur`, creating objects for members and
/// arrays for indexes where nothing is stored yet (Studio creates members on
/// assignment and fills skipped array elements with blanks). Indexes are
/// 1-based. `top` is true while `cur` is the variable itself: there, an
/// index assignment of plain text on nothing or on text builds Studio's
/// pipe-delimited string array (`heroes[2] = "Sir Gawain"`); everywhere
/// else, and for lists or objects as elements, the array is a list.
fn set_path(
    cur: &mut Value,
    steps: &[Step],
    value: Value,
    limits: SizeLimits,
    work: &mut usize,
    top: bool,
) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        *cur = value;
        return Ok(());
    };
    if steps.len() > limits.max_value_depth {
        return Err(format!(
            "the assignment nests deeper than the limit of {} levels",
            limits.max_value_depth
        ));
    }
    // A string index on an object addresses a member, as in expressions.
    let member: Option<crate::runtime::Text> = match (step, &*cur) {
        (Step::Member(name), _) => Some(crate::runtime::value::text_of_shared(name)),
        (Step::Index(Value::String(key)), Value::Object(_)) => Some(key.clone()),
        _ => None,
    };
    if let Some(name) = member {
        if &*name == RESERVED_MEMBER {
            return Err(format!(
                "the member name `{RESERVED_MEMBER}` is reserved by Studio"
            ));
        }
        if is_unset(cur) {
            *cur = Value::Object(Arc::default());
        }
        let Value::Object(map) = cur else {
            return Err(format!(
                "cannot set member `{name}` of {} (use DYNAMIC to make an object)",
                cur.type_name()
            ));
        };
        if Arc::strong_count(map) > 1 {
            *work += map.len();
        }
        let map = Arc::make_mut(map);
        if !map.contains_key(&*name) && map.len() >= limits.max_list_len {
            return Err(format!(
                "an object of more than {} members exceeds the limit",
                limits.max_list_len
            ));
        }
        let entry = map.entry(name).or_insert_with(Value::empty);
        return set_path(entry, rest, value, limits, work, false);
    }
    let Step::Index(index) = step else {
        unreachable!("members are handled above")
    };
    let i = match index.as_number() {
        Some(n) if n.fract() == 0.0 && n >= 1.0 => n,
        Some(n) if n.fract() == 0.0 => {
            return Err(format!(
                "array indexes start at 1, got {}",
                Value::Number(n).to_text()
            ))
        }
        _ => {
            return Err(format!(
                "an array index must be a whole number of 1 or more, got {}",
                crate::runtime::error::shown(index)
            ))
        }
    };
    if i > limits.max_list_len as f64 {
        return Err(format!(
            "index {} would grow an array past the limit of {} elements",
            Value::Number(i).to_text(),
            limits.max_list_len
        ));
    }
    let i = i as usize - 1;
    let scalar = |v: &Value| {
        matches!(
            v,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)
        )
    };
    if top && rest.is_empty() && scalar(cur) && scalar(&value) {
        return set_pipe_element(cur, i, &value, work);
    }
    // Studio: a dynamic data object indexed with `[i]` becomes an array of
    // objects (the arrays help page: `DYNAMIC Persons`, then
    // `Persons[i].Name = ...` in a FOR loop). An object already holding
    // members is that array's first element, as any single value is a
    // one-element array.
    if let Value::Object(map) = cur {
        *work += 1;
        *cur = if map.is_empty() {
            Value::List(Arc::default())
        } else {
            Value::List(Arc::new(vec![Value::Object(map.clone())]))
        };
    }
    if !matches!(cur, Value::List(_)) {
        match crate::runtime::arrays::elements(cur) {
            // Text, a number or nothing becomes a list of its elements.
            Some(items) => {
                *work += items.len();
                *cur = Value::List(Arc::new(items.into_owned()));
            }
            None => {
                return Err(format!(
                    "cannot set an element of {} by index",
                    cur.type_name()
                ))
            }
        }
    }
    let Value::List(items) = cur else {
        unreachable!("made a list above")
    };
    if Arc::strong_count(items) > 1 {
        *work += items.len();
    }
    let items = Arc::make_mut(items);
    if items.len() <= i {
        *work += i + 1 - items.len();
        items.resize(i + 1, Value::empty());
    }
    set_path(&mut items[i], rest, value, limits, work, false)
}

/// Element `i` (0-based) of a pipe-delimited string array set to `value`'s
/// text, growing the array with blank elements as needed.
fn set_pipe_element(
    cur: &mut Value,
    i: usize,
    value: &Value,
    work: &mut usize,
) -> Result<(), String> {
    let current = cur.to_text();
    let mut parts: Vec<&str> = if current.is_empty() {
        Vec::new()
    } else {
        current.split('|').collect()
    };
    if parts.len() <= i {
        *work += i + 1 - parts.len();
        parts.resize(i + 1, "");
    }
    let text = value.to_text();
    parts[i] = &text;
    let joined = parts.join("|");
    *work += joined.len() / STRING_BYTES_PER_STATEMENT;
    *cur = Value::from(joined);
    Ok(())
}

/// The elements FOREACH walks: Studio's arrays (a list, or a pipe-delimited
/// string: `"a|b|c"` is three elements, `""` none).
fn elements(v: &Value) -> Result<Vec<Value>, String> {
    match crate::runtime::arrays::elements(v) {
        Some(items) => Ok(items.into_owned()),
        None => Err(format!("FOREACH needs an array, got {}", v.type_name())),
    }
}
