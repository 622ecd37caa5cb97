//! Expression functions: the registry and the built-in set.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use super::clock::Clock;
use super::error::{shown, RuntimeError};
use super::Value;

/// What a function may know about the run calling it.
///
/// ```
/// use studioflow::{FixedClock, FunctionContext};
/// let clock = FixedClock::parse("2026-03-08T06:30:00Z").unwrap();
/// let ctx = FunctionContext::new(&clock, chrono_tz::Tz::UTC);
/// assert_eq!(ctx.now().to_rfc3339(), "2026-03-08T06:30:00+00:00");
/// ```
#[derive(Clone, Copy)]
pub struct FunctionContext<'a> {
    clock: &'a dyn Clock,
    time_zone: Tz,
    max_string_bytes: usize,
}

impl<'a> FunctionContext<'a> {
    /// A context reading `clock`, displaying times in `time_zone`.
    ///
    /// ```
    /// let clock = studioflow::SystemClock;
    /// let ctx = studioflow::FunctionContext::new(&clock, chrono_tz::Tz::Asia__Tokyo);
    /// assert_eq!(ctx.time_zone(), chrono_tz::Tz::Asia__Tokyo);
    /// ```
    pub fn new(clock: &'a dyn Clock, time_zone: Tz) -> Self {
        FunctionContext {
            clock,
            time_zone,
            max_string_bytes: crate::Limits::default().max_string_bytes,
        }
    }

    /// The same context with the engine's string limit (what a run passes).
    pub(crate) fn with_max_string_bytes(mut self, max: usize) -> Self {
        self.max_string_bytes = max;
        self
    }

    /// The longest string (bytes) a function may return. Functions whose
    /// result can outgrow their arguments compute its size first and refuse
    /// with [`RuntimeError::TooLarge`] before building it, so a hostile
    /// call costs time in proportion to the limit, not to what it asks for.
    ///
    /// ```
    /// let clock = studioflow::SystemClock;
    /// let ctx = studioflow::FunctionContext::new(&clock, chrono_tz::Tz::UTC);
    /// assert_eq!(ctx.max_string_bytes(), studioflow::Limits::default().max_string_bytes);
    /// ```
    pub fn max_string_bytes(&self) -> usize {
        self.max_string_bytes
    }

    /// `Ok` when a string of `size` bytes is within [`Self::max_string_bytes`].
    ///
    /// ```
    /// let clock = studioflow::SystemClock;
    /// let ctx = studioflow::FunctionContext::new(&clock, chrono_tz::Tz::UTC);
    /// assert!(ctx.check_string_size(10).is_ok());
    /// assert!(ctx.check_string_size(usize::MAX).is_err());
    /// ```
    pub fn check_string_size(&self, size: usize) -> Result<(), RuntimeError> {
        if size > self.max_string_bytes {
            return Err(RuntimeError::TooLarge {
                what: "a string",
                size,
                limit: self.max_string_bytes,
            });
        }
        Ok(())
    }
    /// The clock's current time.
    ///
    /// ```
    /// let clock = studioflow::FixedClock::parse("2026-01-01T00:00:00Z").unwrap();
    /// assert_eq!(studioflow::FunctionContext::new(&clock, chrono_tz::Tz::UTC).now(), clock.0);
    /// ```
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    /// The security user's time zone, else the business unit's.
    ///
    /// ```
    /// let clock = studioflow::SystemClock;
    /// assert_eq!(studioflow::FunctionContext::new(&clock, chrono_tz::Tz::UTC).time_zone(), chrono_tz::Tz::UTC);
    /// ```
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }
}

/// A function callable from expressions.
///
/// ```
/// use std::sync::Arc;
/// let f: Arc<studioflow::NativeFunction> = Arc::new(|args, _ctx| Ok(studioflow::Value::from(args.len() as f64)));
/// let clock = studioflow::SystemClock;
/// assert_eq!(f(&[], &studioflow::FunctionContext::new(&clock, chrono_tz::Tz::UTC)).unwrap(), studioflow::Value::from(0.0));
/// ```
pub type NativeFunction =
    dyn Fn(&[Value], &FunctionContext<'_>) -> Result<Value, RuntimeError> + Send + Sync;

/// Identifies a registered function; resolved at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionId(pub(crate) u32);

/// One registered function.
#[derive(Clone)]
pub(crate) struct FunctionDef {
    pub name: String,
    pub min_args: usize,
    pub max_args: usize,
    pub func: Arc<NativeFunction>,
}

impl fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({}..={})", self.name, self.min_args, self.max_args)
    }
}

/// Functions by case-insensitive name.
#[derive(Debug, Clone, Default)]
pub(crate) struct FunctionRegistry {
    defs: Vec<FunctionDef>,
    by_name: HashMap<String, u32>,
}

impl FunctionRegistry {
    /// Adds or replaces a function.
    pub fn insert(&mut self, def: FunctionDef) {
        let key = def.name.to_ascii_lowercase();
        match self.by_name.get(&key) {
            Some(&i) => self.defs[i as usize] = def,
            None => {
                self.by_name.insert(key, self.defs.len() as u32);
                self.defs.push(def);
            }
        }
    }
    pub fn lookup(&self, name: &str) -> Option<(FunctionId, &FunctionDef)> {
        let i = *self.by_name.get(&name.to_ascii_lowercase())?;
        Some((FunctionId(i), &self.defs[i as usize]))
    }
    /// Every function's name, as registered.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defs.iter().map(|d| d.name.as_str())
    }
    pub fn get(&self, id: FunctionId) -> &FunctionDef {
        &self.defs[id.0 as usize]
    }
}

/// The byte length of `s` after a case mapping, computed without building
/// it, and only when the mapping could outgrow the limit (a character maps
/// to at most three, of at most 4 bytes each, i.e. 3x its bytes).
fn case_mapped_len<I: Iterator<Item = char>>(
    s: &str,
    map: impl Fn(char) -> I,
    ctx: &FunctionContext<'_>,
) -> usize {
    if s.len().saturating_mul(3) <= ctx.max_string_bytes() {
        return s.len();
    }
    s.chars().flat_map(map).map(char::len_utf8).sum()
}

/// A string argument, also accepting numbers and booleans by their text
/// (Studio variables are untyped: `len(12345)` is 5).
fn arg_text<'a>(
    function: &str,
    args: &'a [Value],
    i: usize,
) -> Result<std::borrow::Cow<'a, str>, RuntimeError> {
    match &args[i] {
        Value::String(s) => Ok(std::borrow::Cow::Borrowed(s)),
        v @ (Value::Number(_) | Value::Bool(_) | Value::Null) => Ok(v.to_text().into()),
        other => Err(RuntimeError::BadArgument {
            function: function.to_string(),
            message: format!(
                "argument {} must be a string, got {}",
                i + 1,
                other.type_name()
            ),
        }),
    }
}

fn arg_whole(function: &str, args: &[Value], i: usize) -> Result<i64, RuntimeError> {
    match args[i].as_number() {
        Some(n) if n.fract() == 0.0 && n.abs() < 9e15 => Ok(n as i64),
        _ => Err(RuntimeError::BadArgument {
            function: function.to_string(),
            message: format!(
                "argument {} must be a whole number, got {}",
                i + 1,
                shown(&args[i])
            ),
        }),
    }
}

fn def(
    name: &str,
    min_args: usize,
    max_args: usize,
    func: impl Fn(&[Value], &FunctionContext<'_>) -> Result<Value, RuntimeError> + Send + Sync + 'static,
) -> FunctionDef {
    FunctionDef {
        name: name.to_string(),
        min_args,
        max_args,
        func: Arc::new(func),
    }
}

/// The built-in functions.
pub(crate) fn builtins() -> Vec<FunctionDef> {
    vec![
        def("len", 1, 1, |a, _| match &a[0] {
            Value::List(items) => Ok(Value::Number(items.len() as f64)),
            Value::Object(map) => Ok(Value::Number(map.len() as f64)),
            _ => Ok(Value::Number(arg_text("len", a, 0)?.chars().count() as f64)),
        }),
        def("upper", 1, 1, |a, ctx| {
            let s = arg_text("upper", a, 0)?;
            ctx.check_string_size(case_mapped_len(&s, char::to_uppercase, ctx))?;
            Ok(Value::from(s.to_uppercase()))
        }),
        def("lower", 1, 1, |a, ctx| {
            let s = arg_text("lower", a, 0)?;
            ctx.check_string_size(case_mapped_len(&s, char::to_lowercase, ctx))?;
            Ok(Value::from(s.to_lowercase()))
        }),
        def("trim", 1, 1, |a, _| match &a[0] {
            Value::String(s) if s.trim().len() == s.len() => Ok(a[0].clone()),
            _ => Ok(Value::from(arg_text("trim", a, 0)?.trim())),
        }),
        def("contains", 2, 2, |a, _| match &a[0] {
            // Membership is the language's `=`: `contains([1, 2], "1")` like `1 = "1"`.
            Value::List(items) => Ok(Value::Bool(
                items.iter().any(|v| super::eval::equals(v, &a[1])),
            )),
            _ => Ok(Value::Bool(
                arg_text("contains", a, 0)?.contains(&*arg_text("contains", a, 1)?),
            )),
        }),
        def("startswith", 2, 2, |a, _| {
            Ok(Value::Bool(
                arg_text("startswith", a, 0)?.starts_with(&*arg_text("startswith", a, 1)?),
            ))
        }),
        def("endswith", 2, 2, |a, _| {
            Ok(Value::Bool(
                arg_text("endswith", a, 0)?.ends_with(&*arg_text("endswith", a, 1)?),
            ))
        }),
        def("replace", 3, 3, |a, ctx| {
            let s = arg_text("replace", a, 0)?;
            let from = arg_text("replace", a, 1)?;
            let to = arg_text("replace", a, 2)?;
            if from.is_empty() {
                return Err(RuntimeError::BadArgument {
                    function: "replace".into(),
                    message: "the text to replace must not be empty".into(),
                });
            }
            // Bound the result before building it: a hostile replace can grow
            // a string by the ratio of `to` to `from` per match. Counting
            // the matches is linear; the result is built only when it fits.
            let matches = s.matches(&*from).count();
            let size =
                (s.len() - matches * from.len()).saturating_add(matches.saturating_mul(to.len()));
            ctx.check_string_size(size)?;
            Ok(Value::from(s.replace(&*from, &to)))
        }),
        def("substr", 2, 3, |a, _| {
            let s = arg_text("substr", a, 0)?;
            let start = arg_whole("substr", a, 1)?;
            let count = s.chars().count() as i64;
            let length = if a.len() > 2 {
                arg_whole("substr", a, 2)?
            } else {
                count
            };
            if start < 0 || length < 0 {
                return Err(RuntimeError::BadArgument {
                    function: "substr".into(),
                    message: format!(
                        "start and length must not be negative (got {start}, {length})"
                    ),
                });
            }
            Ok(Value::from(
                s.chars()
                    .skip(start as usize)
                    .take(length as usize)
                    .collect::<String>(),
            ))
        }),
        def("indexof", 2, 2, |a, _| {
            let s = arg_text("indexof", a, 0)?;
            let part = arg_text("indexof", a, 1)?;
            Ok(Value::Number(match s.find(&*part) {
                Some(byte) => s[..byte].chars().count() as f64,
                None => -1.0,
            }))
        }),
        def("tostring", 1, 1, |a, _| match &a[0] {
            Value::String(_) => Ok(a[0].clone()),
            other => Ok(Value::from(other.to_text())),
        }),
        def("tonumber", 1, 1, |a, _| match a[0].as_number() {
            Some(n) => Ok(Value::Number(n)),
            None => Err(RuntimeError::BadArgument {
                function: "tonumber".into(),
                message: format!("{} is not numeric", shown(&a[0])),
            }),
        }),
        def("isnull", 1, 1, |a, _| {
            Ok(Value::Bool(a[0].is_null_or_empty()))
        }),
        def("isnumeric", 1, 1, |a, _| {
            Ok(Value::Bool(a[0].as_number().is_some()))
        }),
        def("now", 0, 0, |_, ctx| {
            Ok(Value::from(
                ctx.now()
                    .with_timezone(&ctx.time_zone())
                    .to_rfc3339_opts(SecondsFormat::Secs, false),
            ))
        }),
    ]
}
