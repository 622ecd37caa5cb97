//! Expression functions: the registry and the built-in set.

use std::fmt;
use std::sync::Arc;

use crate::tz::Tz;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use super::clock::Clock;
use super::datetime;
use super::error::{shown, RuntimeError};
use super::Value;
pub(crate) use crate::program::cmp_ignore_ascii_case;
pub use crate::program::FunctionId;

/// What a function may know about the run calling it.
///
/// ```
/// use studioflow::{FixedClock, FunctionContext};
/// let clock = FixedClock::parse("2026-03-08T06:30:00Z").unwrap();
/// let ctx = FunctionContext::new(&clock, studioflow::Tz::UTC);
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
    /// let ctx = studioflow::FunctionContext::new(&clock, "Asia/Tokyo".parse::<studioflow::Tz>().unwrap());
    /// assert_eq!(ctx.time_zone(), "Asia/Tokyo".parse::<studioflow::Tz>().unwrap());
    /// ```
    pub fn new(clock: &'a dyn Clock, time_zone: Tz) -> Self {
        FunctionContext {
            clock,
            time_zone,
            max_string_bytes: crate::Limits::default().max_string_bytes,
        }
    }

    /// A context with the engine's string limit (what a run passes), built
    /// without the default limits [`FunctionContext::new`] reads.
    #[inline]
    pub(crate) fn with_limit(clock: &'a dyn Clock, time_zone: Tz, max_string_bytes: usize) -> Self {
        FunctionContext {
            clock,
            time_zone,
            max_string_bytes,
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
    /// let ctx = studioflow::FunctionContext::new(&clock, studioflow::Tz::UTC);
    /// assert_eq!(ctx.max_string_bytes(), studioflow::Limits::default().max_string_bytes);
    /// ```
    pub fn max_string_bytes(&self) -> usize {
        self.max_string_bytes
    }

    /// `Ok` when a string of `size` bytes is within [`Self::max_string_bytes`].
    ///
    /// ```
    /// let clock = studioflow::SystemClock;
    /// let ctx = studioflow::FunctionContext::new(&clock, studioflow::Tz::UTC);
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
    /// assert_eq!(studioflow::FunctionContext::new(&clock, studioflow::Tz::UTC).now(), clock.0);
    /// ```
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    /// The security user's time zone, else the business unit's.
    ///
    /// ```
    /// let clock = studioflow::SystemClock;
    /// assert_eq!(studioflow::FunctionContext::new(&clock, studioflow::Tz::UTC).time_zone(), studioflow::Tz::UTC);
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
/// assert_eq!(f(&[], &studioflow::FunctionContext::new(&clock, studioflow::Tz::UTC)).unwrap(), studioflow::Value::from(0.0));
/// ```
pub type NativeFunction =
    dyn Fn(&[Value], &FunctionContext<'_>) -> Result<Value, RuntimeError> + Send + Sync;

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
///
/// Copy-on-write: every builder starts from a clone of the built-in table,
/// which shares it (one reference count) until a host registers a function.
#[derive(Debug, Clone, Default)]
pub(crate) struct FunctionRegistry {
    table: Arc<FunctionTable>,
}

/// Definitions in registration order (a [`FunctionId`] is an index into
/// them) and their positions sorted by name, ignoring ASCII case: a binary
/// search finds a name without hashing or lower-casing it, and building the
/// built-in table once per process costs a sort instead of a hash map.
#[derive(Debug, Clone, Default)]
struct FunctionTable {
    defs: Vec<FunctionDef>,
    by_name: Vec<u32>,
}

impl FunctionTable {
    /// `Ok(slot)` in `by_name` of the function named `name`, or `Err(slot)`
    /// where it would go.
    fn search(&self, name: &str) -> Result<usize, usize> {
        self.by_name
            .binary_search_by(|&i| cmp_ignore_ascii_case(&self.defs[i as usize].name, name))
    }
}

impl FunctionRegistry {
    /// Adds or replaces a function.
    pub fn insert(&mut self, def: FunctionDef) {
        let table = Arc::make_mut(&mut self.table);
        match table.search(&def.name) {
            Ok(slot) => {
                let i = table.by_name[slot] as usize;
                table.defs[i] = def;
            }
            Err(slot) => {
                table.by_name.insert(slot, table.defs.len() as u32);
                table.defs.push(def);
            }
        }
    }
    pub fn lookup(&self, name: &str) -> Option<(FunctionId, &FunctionDef)> {
        let slot = self.table.search(name).ok()?;
        let i = self.table.by_name[slot];
        Some((FunctionId(i), &self.table.defs[i as usize]))
    }
    /// Every function's name, as registered.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.table.defs.iter().map(|d| d.name.as_str())
    }
    pub fn get(&self, id: FunctionId) -> &FunctionDef {
        &self.table.defs[id.0 as usize]
    }
}

/// Compile reads the registry as a table of signatures.
impl crate::program::Signatures for FunctionRegistry {
    fn signature(&self, name: &str) -> Option<crate::program::Signature<'_>> {
        let (id, def) = self.lookup(name)?;
        Some(crate::program::Signature {
            id,
            name: &def.name,
            min_args: def.min_args,
            max_args: def.max_args,
        })
    }
    fn names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(FunctionRegistry::names(self))
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

/// `s` case-mapped as `full` maps it; ASCII text (the usual case) is mapped
/// byte by byte straight into the result, so a short result allocates nothing.
/// (Generic, not `fn` pointers: the byte mapping is inlined into the loop.)
#[inline]
fn case_mapped(
    s: &str,
    full: impl Fn(&str) -> String,
    ascii: impl Fn(&u8) -> u8,
) -> crate::runtime::Text {
    if s.is_ascii() && s.len() <= crate::runtime::value::INLINE_TEXT_BYTES {
        let mut bytes = [0u8; crate::runtime::value::INLINE_TEXT_BYTES];
        for (to, from) in bytes.iter_mut().zip(s.bytes()) {
            *to = ascii(&from);
        }
        // ASCII mapped to ASCII is valid UTF-8.
        let mapped = std::str::from_utf8(&bytes[..s.len()]).unwrap_or_default();
        return crate::runtime::Text::new(mapped);
    }
    crate::runtime::Text::from(full(s))
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
        v @ (Value::Number(_) | Value::Bool(_) | Value::Null | Value::DateTime(_)) => {
            Ok(v.to_text().into())
        }
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
    let exact = super::ops::whole_number(&args[i], || format!("{function}(): argument {}", i + 1))?;
    match exact {
        Some(n) => Ok(n),
        None => Err(RuntimeError::BadArgument {
            function: function.to_string(),
            message: format!(
                "argument {} must be a whole number, got {}",
                i + 1,
                shown(&args[i])
            ),
        }),
    }
}

/// A datetime argument: a datetime, text in one of the forms
/// [`datetime::parse`] reads (an offset moves it into the run's time zone),
/// or an OLE Automation date number.
fn arg_datetime(
    function: &str,
    args: &[Value],
    i: usize,
    ctx: &FunctionContext<'_>,
) -> Result<NaiveDateTime, RuntimeError> {
    let parsed = match &args[i] {
        // A host can hand over any NaiveDateTime; only the range is a date.
        Value::DateTime(d) => datetime::in_range(*d),
        Value::Number(n) => datetime::from_ole(*n),
        Value::String(s) => datetime::parse(s, Some(ctx.time_zone())),
        _ => None,
    };
    parsed.ok_or_else(|| RuntimeError::BadArgument {
        function: function.to_string(),
        message: format!(
            "argument {} must be a date and time in years 0001-9999 (MM/dd/yyyy [hh:mm[:ss] tt], yyyy-MM-dd[THH:mm:ss]), got {}",
            i + 1,
            shown(&args[i])
        ),
    })
}

fn arg_unit(function: &str, args: &[Value], i: usize) -> Result<datetime::Unit, RuntimeError> {
    let text = arg_text(function, args, i)?;
    datetime::Unit::parse(&text).ok_or_else(|| RuntimeError::BadArgument {
        function: function.to_string(),
        message: format!(
            "argument {} must be a unit: {}; got {}",
            i + 1,
            datetime::Unit::NAMES,
            shown(&args[i])
        ),
    })
}

fn date_result(function: &str, d: Option<NaiveDateTime>) -> Result<Value, RuntimeError> {
    d.map(Value::DateTime).ok_or_else(|| out_of_range(function))
}

/// A date function whose result is not a date in years 0001-9999.
fn out_of_range(function: &str) -> RuntimeError {
    RuntimeError::BadArgument {
        function: function.to_string(),
        message: "the result is not a valid date and time in years 0001-9999".into(),
    }
}

/// The date and time functions of Studio's Built-In Functions page.
fn date_functions() -> Vec<FunctionDef> {
    vec![
        def("asdatetime", 1, 1, |a, ctx| {
            Ok(Value::DateTime(arg_datetime("asdatetime", a, 0, ctx)?))
        }),
        def("asdate", 1, 1, |a, ctx| {
            let d = arg_datetime("asdate", a, 0, ctx)?;
            Ok(Value::from(d.format("%m/%d/%Y").to_string()))
        }),
        def("astime", 1, 1, |a, ctx| {
            let d = arg_datetime("astime", a, 0, ctx)?;
            Ok(Value::from(d.format("%H:%M:%S").to_string()))
        }),
        def("asisodatetime", 1, 1, |a, ctx| {
            let d = arg_datetime("asisodatetime", a, 0, ctx)?;
            datetime::iso(d, ctx.time_zone())
                .map(Value::from)
                .ok_or_else(|| out_of_range("asisodatetime"))
        }),
        def("asutc", 1, 1, |a, ctx| {
            let d = arg_datetime("asutc", a, 0, ctx)?;
            date_result("asutc", datetime::to_utc(d, ctx.time_zone()))
        }),
        def("asgmt", 1, 1, |a, ctx| {
            let d = arg_datetime("asgmt", a, 0, ctx)?;
            date_result("asgmt", datetime::to_utc(d, ctx.time_zone()))
        }),
        def("datefmt", 2, 2, |a, ctx| {
            let d = arg_datetime("datefmt", a, 0, ctx)?;
            let spec = arg_text("datefmt", a, 1)?;
            datetime::format(d, &spec)
                .map(Value::from)
                .map_err(|e| RuntimeError::BadArgument {
                    function: "datefmt".into(),
                    message: e.to_string(),
                })
        }),
        def("dateadd", 3, 3, |a, ctx| {
            let unit = arg_unit("dateadd", a, 0)?;
            let d = arg_datetime("dateadd", a, 1, ctx)?;
            let n = arg_whole("dateadd", a, 2)?;
            date_result("dateadd", datetime::add(d, unit, n))
        }),
        def("datediff", 3, 3, |a, ctx| {
            let unit = arg_unit("datediff", a, 0)?;
            let from = arg_datetime("datediff", a, 1, ctx)?;
            let to = arg_datetime("datediff", a, 2, ctx)?;
            Ok(Value::from(datetime::diff(unit, from, to)))
        }),
        def("datepart", 2, 2, |a, ctx| {
            let d = arg_datetime("datepart", a, 0, ctx)?;
            let unit = arg_unit("datepart", a, 1)?;
            Ok(Value::from(datetime::part(d, unit)))
        }),
        def("dow", 1, 1, |a, ctx| {
            Ok(Value::from(datetime::dow(arg_datetime("dow", a, 0, ctx)?)))
        }),
        def("datebuild", 3, 3, |a, _| {
            let p = |i| arg_whole("datebuild", a, i);
            date_result("datebuild", datetime::build(p(0)?, p(1)?, p(2)?, 0, 0, 0))
        }),
        def("datetimebuild", 6, 6, |a, _| {
            let p = |i| arg_whole("datetimebuild", a, i);
            date_result(
                "datetimebuild",
                datetime::build(p(0)?, p(1)?, p(2)?, p(3)?, p(4)?, p(5)?),
            )
        }),
    ]
}

fn not_an_array(function: &str, v: &Value) -> RuntimeError {
    RuntimeError::BadArgument {
        function: function.to_string(),
        message: format!("argument 1 must be an array, got {}", v.type_name()),
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
    let mut all = vec![
        def("len", 1, 1, |a, _| match &a[0] {
            Value::List(items) => Ok(Value::Number(items.len() as f64)),
            Value::Object(map) => Ok(Value::Number(map.len() as f64)),
            _ => Ok(Value::Number(arg_text("len", a, 0)?.chars().count() as f64)),
        }),
        def("upper", 1, 1, |a, ctx| {
            let s = arg_text("upper", a, 0)?;
            ctx.check_string_size(case_mapped_len(&s, char::to_uppercase, ctx))?;
            Ok(Value::String(case_mapped(
                &s,
                str::to_uppercase,
                u8::to_ascii_uppercase,
            )))
        }),
        def("lower", 1, 1, |a, ctx| {
            let s = arg_text("lower", a, 0)?;
            ctx.check_string_size(case_mapped_len(&s, char::to_lowercase, ctx))?;
            Ok(Value::String(case_mapped(
                &s,
                str::to_lowercase,
                u8::to_ascii_lowercase,
            )))
        }),
        def("trim", 1, 1, |a, _| match &a[0] {
            Value::String(s) if s.trim().len() == s.len() => Ok(a[0].clone()),
            _ => Ok(Value::from(arg_text("trim", a, 0)?.trim())),
        }),
        def("contains", 2, 2, |a, _| match &a[0] {
            // Membership is the language's `=`: `contains([1, 2], "1")` like `1 = "1"`.
            Value::List(items) => Ok(Value::Bool(
                items.iter().any(|v| super::ops::equals(v, &a[1])),
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
        // 1-based, as Studio's arrays: the first character is 1.
        def("substr", 2, 3, |a, _| {
            let s = arg_text("substr", a, 0)?;
            let start = arg_whole("substr", a, 1)?;
            let count = s.chars().count() as i64;
            let length = if a.len() > 2 {
                arg_whole("substr", a, 2)?
            } else {
                count
            };
            if start < 1 || length < 0 {
                return Err(RuntimeError::BadArgument {
                    function: "substr".into(),
                    message: format!(
                        "start must be 1 or more (the first character is 1) and length must not be negative (got {start}, {length})"
                    ),
                });
            }
            Ok(Value::from(
                s.chars()
                    .skip(start as usize - 1)
                    .take(length as usize)
                    .collect::<String>(),
            ))
        }),
        // Arrays (lists and pipe-delimited strings), 1-based.
        def("index", 2, 2, |a, _| {
            if !matches!(a[0], Value::List(_) | Value::String(_) | Value::Null) {
                return Err(not_an_array("index", &a[0]));
            }
            super::arrays::element(&a[0], &a[1])
        }),
        // A list: the 1-based position of the first equal element. Text: the
        // 1-based position of the first character of `part`. 0 when absent.
        def("indexof", 2, 2, |a, _| match &a[0] {
            Value::List(_) => Ok(Value::from(
                super::arrays::index_of(&a[0], &a[1]).unwrap_or_default(),
            )),
            _ => {
                let s = arg_text("indexof", a, 0)?;
                let part = arg_text("indexof", a, 1)?;
                Ok(Value::Number(match s.find(&*part) {
                    Some(byte) => (s[..byte].chars().count() + 1) as f64,
                    None => 0.0,
                }))
            }
        }),
        def("size", 1, 1, |a, _| match super::arrays::size(&a[0]) {
            Some(n) => Ok(Value::from(n)),
            None => Err(not_an_array("size", &a[0])),
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
    ];
    all.extend(date_functions());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_order_matches_lower_cased_strings() {
        let long = "Ab".repeat(40);
        let names = [
            "len",
            "UPPER",
            "getAgent",
            "GETAGENT",
            "get_agent",
            "Ünïcode",
            long.as_str(),
            "",
        ];
        for left in names {
            for right in names {
                assert_eq!(
                    cmp_ignore_ascii_case(left, right),
                    left.to_ascii_lowercase().cmp(&right.to_ascii_lowercase()),
                    "{left} vs {right}"
                );
            }
        }
    }

    #[test]
    fn registry_finds_replaces_and_keeps_ids() {
        let def = |name: &str, min_args| FunctionDef {
            name: name.to_owned(),
            min_args,
            max_args: 3,
            func: Arc::new(|_: &[Value], _: &FunctionContext<'_>| Ok(Value::Null)),
        };
        let mut registry = FunctionRegistry::default();
        for name in ["zeta", "Alpha", "mid", "beta"] {
            registry.insert(def(name, 0));
        }
        let (id, found) = registry.lookup("ALPHA").unwrap();
        assert_eq!((id, found.name.as_str()), (FunctionId(1), "Alpha"));
        assert!(registry.lookup("alph").is_none());
        assert!(registry.lookup("gamma").is_none());
        registry.insert(def("MID", 2));
        let (id, found) = registry.lookup("mid").unwrap();
        assert_eq!((id, found.min_args), (FunctionId(2), 2));
        assert_eq!(registry.names().count(), 4);
        assert_eq!(registry.get(FunctionId(3)).name, "beta");
    }
}
