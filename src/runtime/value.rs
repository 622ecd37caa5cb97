//! `Value`: the one type for all dynamic data in a run.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::tz::Tz;

use super::security::RunId;

/// An insertion-ordered object. Keys are [`Text`]: a key of up to 23 bytes
/// is stored inline, so copying an object's shape (or building one with
/// well-known keys) neither allocates nor writes a reference count per key;
/// the hasher is foldhash's, seeded per process (objects are small and
/// hashed often; SipHash dominated member access).
///
/// ```
/// let mut map = studioflow::Object::default();
/// map.insert("tier".into(), studioflow::Value::from("gold"));
/// assert_eq!(studioflow::Value::from(map).to_text(), r#"{"tier":"gold"}"#);
/// ```
pub type Object = IndexMap<Text, Value, foldhash::fast::RandomState>;

/// Immutable text as values and object keys hold it: up to 23 bytes inline
/// (no allocation, and a copy is a plain copy), longer text shared (`Arc`),
/// so cloning is O(1) either way. It dereferences to `str`.
///
/// ```
/// use studioflow::{Text, Value};
/// let short = Text::from("gold");
/// assert!(!short.is_heap_allocated());
/// assert_eq!(Value::String(short), Value::from("gold"));
/// ```
pub type Text = smol_str::SmolStr;

/// Dynamic data: null, bool, number, string, list, object, or a security user.
///
/// Short strings are inline and longer strings, lists and objects are shared
/// (`Arc`), so copying a value is cheap.
/// A [`SecurityUser`] can only come from `SetSecurityUser` (or the same checked
/// host call); no literal, input or expression can make one.
///
/// ```
/// use studioflow::Value;
/// let v = Value::from(3.0);
/// assert_eq!(v.to_text(), "3");
/// assert_eq!(Value::from("5").as_number(), Some(5.0));
/// ```
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// No value.
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number (always finite).
    Number(f64),
    /// Text: inline up to 23 bytes, shared beyond (see [`Text`]).
    String(Text),
    /// A list.
    List(Arc<Vec<Value>>),
    /// An object with insertion-ordered members.
    Object(Arc<Object>),
    /// A date and time of day: a wall-clock time in the run's time zone (the
    /// security user's, else the business unit's), as Studio's datetimes.
    /// Its text is Studio's standard `MM/dd/yyyy hh:mm:ss tt`; as a number
    /// it is an OLE Automation date (days since 30 December 1899).
    DateTime(chrono::NaiveDateTime),
    /// The identity chosen by `SetSecurityUser`: readable fields plus an
    /// opaque handle valid only in the run that issued it.
    SecurityUser(SecurityUser),
}

impl Value {
    /// The empty string, which unknown variables and missing members read as.
    ///
    /// ```
    /// assert_eq!(studioflow::Value::empty(), studioflow::Value::from(""));
    /// ```
    pub fn empty() -> Value {
        // Inline: unknown variables and missing members are read often.
        Value::String(Text::new_static(""))
    }

    /// A short name of the value's type, for messages.
    ///
    /// ```
    /// assert_eq!(studioflow::Value::from(vec![]).type_name(), "a list");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
            Value::DateTime(_) => "a datetime",
            Value::SecurityUser(_) => "a security user",
        }
    }

    /// The number this value stands for: a number, a numeric string
    /// (trimmed, `-?[0-9]+(\.[0-9]+)?`), or a datetime's OLE Automation date.
    ///
    /// ```
    /// use studioflow::Value;
    /// assert_eq!(Value::from(" -2.5 ").as_number(), Some(-2.5));
    /// assert_eq!(Value::from("1e3").as_number(), None);
    /// ```
    #[inline]
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => parse_numeric(s),
            Value::DateTime(d) => Some(super::datetime::to_ole(*d)),
            _ => None,
        }
    }

    /// The boolean this value stands for: a bool, or the string `true`/`false`
    /// (any case, trimmed).
    ///
    /// ```
    /// use studioflow::Value;
    /// assert_eq!(Value::from("TRUE").as_bool(), Some(true));
    /// assert_eq!(Value::from(1.0).as_bool(), None);
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) => {
                let t = s.trim();
                if t.eq_ignore_ascii_case("true") {
                    Some(true)
                } else if t.eq_ignore_ascii_case("false") {
                    Some(false)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// The string inside, when this is a string.
    ///
    /// ```
    /// assert_eq!(studioflow::Value::from("a").as_str(), Some("a"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// True for null and the empty string.
    ///
    /// ```
    /// assert!(studioflow::Value::Null.is_null_or_empty() && !studioflow::Value::from(0.0).is_null_or_empty());
    /// ```
    pub fn is_null_or_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            _ => false,
        }
    }

    /// The text a template splices in: numbers without `.0` when whole,
    /// null as the empty string, lists and objects as JSON.
    ///
    /// ```
    /// use studioflow::Value;
    /// assert_eq!(Value::from(vec![Value::from(1.0), Value::from("a")]).to_text(), r#"[1,"a"]"#);
    /// assert_eq!(Value::Null.to_text(), "");
    /// ```
    pub fn to_text(&self) -> String {
        match self {
            Value::String(s) => s.to_string(),
            _ => {
                let mut out = String::new();
                self.write_text(&mut out);
                out
            }
        }
    }

    /// [`Value::to_text`], borrowed when the value already is a string.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use studioflow::Value;
    /// assert!(matches!(Value::from("a").text(), Cow::Borrowed("a")));
    /// assert_eq!(Value::from(2.0).text(), "2");
    /// ```
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::String(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.to_text()),
        }
    }

    /// Appends [`Value::to_text`] to `out` without an intermediate string.
    ///
    /// ```
    /// let mut out = String::from("n=");
    /// studioflow::Value::from(7.0).write_text(&mut out);
    /// assert_eq!(out, "n=7");
    /// ```
    pub fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INT => {
                // The common case (counters, ids) without the fmt machinery.
                out.push_str(itoa::Buffer::new().format(*n as i64));
            }
            Value::Number(n) => {
                let _ = write!(out, "{}", NumberText(*n));
            }
            Value::String(s) => out.push_str(s),
            Value::DateTime(d) => {
                let _ = write!(out, "{}", d.format(DATETIME_TEXT));
            }
            Value::List(_) | Value::Object(_) | Value::SecurityUser(_) => {
                out.push_str(&self.to_json().to_string())
            }
        }
    }

    /// The JSON form. A security user shows its readable fields, never its handle.
    ///
    /// ```
    /// assert_eq!(studioflow::Value::from(2.5).to_json(), serde_json::json!(2.5));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => J::String(s.to_string()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Value::DateTime(_) => J::String(self.to_text()),
            Value::SecurityUser(user) => user.to_json(),
        }
    }

    /// Converts JSON data into a value. Never yields a security user.
    ///
    /// ```
    /// let v = studioflow::Value::from_json(&serde_json::json!({"a": [1, true]}));
    /// assert_eq!(v.to_json(), serde_json::json!({"a": [1, true]}));
    /// ```
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().filter(|f| f.is_finite()).unwrap_or(0.0)),
            J::String(s) => Value::from(s.as_str()),
            J::Array(items) => Value::List(Arc::new(items.iter().map(Value::from_json).collect())),
            J::Object(map) => Value::Object(Arc::new(
                map.iter()
                    .map(|(k, v)| (Text::from(k.as_str()), Value::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// Structural equality used by `=` on lists and objects.
    ///
    /// ```
    /// use studioflow::Value;
    /// assert!(Value::from(vec![Value::from(1.0)]).deep_eq(&Value::from(vec![Value::from(1.0)])));
    /// ```
    pub fn deep_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.deep_eq(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.deep_eq(w)))
            }
            (Value::SecurityUser(a), Value::SecurityUser(b)) => a.same_handle(b),
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a == b,
            _ => false,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.deep_eq(other)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_text(&mut s);
        f.write_str(&s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Text::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Text::from(s))
    }
}
impl From<Text> for Value {
    fn from(s: Text) -> Value {
        Value::String(s)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}
/// Whole numbers and `f32` become numbers (`f64`: integers beyond 2^53 are
/// rounded to the nearest number it can hold).
///
/// ```
/// use studioflow::Value;
/// assert_eq!(Value::from(3_i32), Value::from(3.0));
/// assert_eq!(Value::from(7_usize).to_text(), "7");
/// assert_eq!(Value::from(0.5_f32), Value::Number(0.5));
/// assert_eq!(Value::from(u64::MAX).as_number(), Some(18446744073709551615.0));
/// ```
macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n as f64)
            }
        }
    )*};
}
number_from!(i64, i32, u64, u32, usize, f32);

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::String(Text::from(s))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }
}
impl From<Object> for Value {
    fn from(map: Object) -> Value {
        Value::Object(Arc::new(map))
    }
}
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        Value::from_json(&json)
    }
}

/// Studio's standard date and time text, `MM/dd/yyyy hh:mm:ss tt`, as a
/// chrono format.
const DATETIME_TEXT: &str = "%m/%d/%Y %I:%M:%S %p";

impl From<chrono::NaiveDateTime> for Value {
    fn from(d: chrono::NaiveDateTime) -> Value {
        Value::DateTime(d)
    }
}

/// Whole numbers up to 2^53 print without a fraction, like JSON integers.
pub(crate) const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INT {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Formats a number the way templates show it: `3`, not `3.0`.
pub(crate) struct NumberText(pub f64);

impl fmt::Display for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INT {
            // `-0` prints as `0`.
            write!(f, "{}", n as i64)
        } else {
            write!(f, "{n}")
        }
    }
}

/// `-?[0-9]+(\.[0-9]+)?` after trimming.
pub(crate) fn parse_numeric(s: &str) -> Option<f64> {
    // Most text compared or tested is not a number: reject it by its first
    // byte before trimming (which is Unicode-aware, so a non-ASCII first
    // byte takes the full path).
    match s.as_bytes().first() {
        Some(b'0'..=b'9' | b'-' | b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | 0x80..) => {}
        _ => return None,
    }
    let t = s.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_strings() {
        assert_eq!(parse_numeric(" 10 "), Some(10.0));
        assert_eq!(parse_numeric("-2.5"), Some(-2.5));
        assert_eq!(parse_numeric("\u{2003}7\u{0B}"), Some(7.0));
        assert_eq!(parse_numeric("\t-3\r\n"), Some(-3.0));
        for bad in [
            "", "abc", "1.", ".5", "+1", "1e3", "--1", "1.2.3", "-", "\u{e9}1", " x",
        ] {
            assert_eq!(parse_numeric(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn whole_numbers_print_without_fraction() {
        assert_eq!(Value::from(3.0).to_text(), "3");
        assert_eq!(Value::from(-0.0).to_text(), "0");
        assert_eq!(Value::from(2.5).to_text(), "2.5");
        assert_eq!(Value::from(3.0).to_json(), serde_json::json!(3));
    }
}

/// Text shared with a longer-lived owner (the permission store, a compiled
/// script) as a value's text: copied inline when short, so the value never
/// writes the owner's reference count (a cache line every thread reading
/// the same record shares); shared when long, so it is never copied.
pub(crate) fn text_of_shared(s: &Arc<str>) -> Text {
    if s.len() <= INLINE_TEXT_BYTES {
        Text::new(&**s)
    } else {
        Text::from(s.clone())
    }
}

/// The longest text [`Text`] keeps inline.
pub(crate) const INLINE_TEXT_BYTES: usize = 23;

/// True for text built where it is, not shared with another value: its
/// storage is on the heap and has no other owner. (Inline text is never
/// fresh: it is too short to matter to what asks.)
pub(crate) fn is_fresh_heap_text(s: &Text) -> bool {
    if !s.is_heap_allocated() {
        return false;
    }
    let shared: Arc<str> = s.clone().into();
    // This clone and `s` itself.
    Arc::strong_count(&shared) == 2
}

// ---- the security-user handle: a variant of Value whose readable fields
// are Values (one file, as the type is recursive).

/// The value `SetSecurityUser` stores: readable fields plus an opaque handle.
///
/// There is no public constructor: only the checked call used by
/// `SetSecurityUser` ([`crate::ActionCall::set_security_user`]) mints one.
///
/// ```
/// use studioflow::{Engine, RunOptions, Value};
/// let engine = Engine::demo();
/// let script = engine.compile(r#"
///   start: Begin { Default -> pick }
///   pick: SetSecurityUser { Agent = "sysadmin" Default -> done }
///   done: End
/// "#, "doc.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// let Some(Value::SecurityUser(user)) = run.variables.get("SecurityUser") else { panic!() };
/// assert_eq!(user.user_name(), "sysadmin");
/// assert_eq!(user.agent_id(), 1001);
/// ```
#[derive(Debug, Clone)]
pub struct SecurityUser {
    run: RunId,
    /// This handle's own identity: every mint draws a new one (from the
    /// run-id allocator: no shared write per mint), copies keep it.
    handle: RunId,
    info: Arc<SecurityUserInfo>,
}

/// The readable fields, kept as values so reading them never allocates.
#[derive(Debug)]
struct SecurityUserInfo {
    agent_id: u64,
    time_zone: Tz,
    user_name: Value,
    agent_id_value: Value,
    time_zone_name: Value,
    role: Value,
}

/// The readable fields of a security user (`SecurityUser.userName`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserField {
    UserName,
    AgentId,
    TimeZone,
    Role,
}

impl UserField {
    /// The field a member name reads (names are case-sensitive).
    pub fn of(name: &str) -> Option<UserField> {
        Some(match name {
            "userName" => UserField::UserName,
            "agentId" => UserField::AgentId,
            "timeZone" => UserField::TimeZone,
            "role" => UserField::Role,
            _ => return None,
        })
    }
}

impl SecurityUserInfo {
    /// The fields of a security user: the ones this thread made last when
    /// they are the same (a flow mints the same user run after run), else
    /// new ones. Read-only and free of any handle, so sharing them is
    /// invisible: a handle's identity is its own.
    fn shared(
        agent_id: u64,
        user_name: &str,
        time_zone: Tz,
        role: Option<&str>,
    ) -> Arc<SecurityUserInfo> {
        thread_local! {
            static LAST: std::cell::RefCell<Option<Arc<SecurityUserInfo>>> =
                const { std::cell::RefCell::new(None) };
        }
        // Compared as the model has them: nothing is built for a match.
        let same_text = |kept: &Value, new: Option<&str>| match (kept, new) {
            (Value::Null, None) => true,
            (Value::String(a), Some(b)) => a.as_str() == b,
            _ => false,
        };
        let last = LAST.try_with(|last| {
            let last = last.try_borrow().ok()?;
            let info = last.as_ref()?;
            (info.agent_id == agent_id
                && info.time_zone == time_zone
                && same_text(&info.user_name, Some(user_name))
                && same_text(&info.role, role))
            .then(|| info.clone())
        });
        if let Ok(Some(info)) = last {
            return info;
        }
        let info = Arc::new(SecurityUserInfo {
            agent_id,
            time_zone,
            user_name: Value::from(user_name),
            agent_id_value: Value::Number(agent_id as f64),
            time_zone_name: time_zone_name(time_zone),
            role: role.map_or(Value::Null, Value::from),
        });
        let _ = LAST.try_with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some(info.clone());
            }
        });
        info
    }
}

impl SecurityUser {
    pub(crate) fn mint(
        run: RunId,
        agent_id: u64,
        user_name: &str,
        time_zone: Tz,
        role: Option<&str>,
    ) -> Self {
        SecurityUser {
            run,
            handle: RunId::next(),
            info: SecurityUserInfo::shared(agent_id, user_name, time_zone, role),
        }
    }
    /// A security user read from a paused run: who it was, valid in no
    /// run until [`SecurityUser::reissue`].
    pub(crate) fn placeholder(agent_id: u64, user_name: &str, time_zone: Tz) -> Value {
        Value::SecurityUser(SecurityUser::mint(
            RunId::NONE,
            agent_id,
            user_name,
            time_zone,
            None,
        ))
    }
    /// The same agent, issued by `run` from the permission model as it is
    /// now (its userName and role re-read; an agent gone from the model
    /// keeps the name it had, and every API action refuses it).
    pub(crate) fn reissue(
        &self,
        run: RunId,
        directory: &crate::permissions::Directory,
    ) -> SecurityUser {
        match directory.agent(self.info.agent_id) {
            Some(agent) => SecurityUser::mint(
                run,
                self.info.agent_id,
                &agent.user_name,
                self.info.time_zone,
                agent.role.as_deref(),
            ),
            None => SecurityUser::mint(
                run,
                self.info.agent_id,
                self.user_name(),
                self.info.time_zone,
                None,
            ),
        }
    }
    pub(crate) fn issued_by(&self, run: RunId) -> bool {
        self.run == run
    }
    pub(crate) fn same_handle(&self, other: &SecurityUser) -> bool {
        self.run == other.run && self.handle == other.handle
    }
    /// The agent's id.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.agent_id(), 1003);
    /// ```
    pub fn agent_id(&self) -> u64 {
        self.info.agent_id
    }
    /// The agent's userName when the handle was issued.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.user_name(), "scriptadmin");
    /// ```
    pub fn user_name(&self) -> &str {
        self.info.user_name.as_str().unwrap_or_default()
    }
    /// The time zone chosen in `SetSecurityUser` (the agent's own by default).
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.time_zone(), "Asia/Kolkata".parse::<studioflow::Tz>().unwrap());
    /// ```
    pub fn time_zone(&self) -> Tz {
        self.info.time_zone
    }
    /// The role name when the handle was issued (rights are checked afresh on every call).
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.role(), Some("ScriptAdmin"));
    /// ```
    pub fn role(&self) -> Option<&str> {
        self.info.role.as_str()
    }
    /// A readable field, as `{SecurityUser.userName}` sees it.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.member("userName"), Some(studioflow::Value::from("scriptadmin")));
    /// assert_eq!(user.member("password"), None);
    /// ```
    pub fn member(&self, name: &str) -> Option<Value> {
        self.member_ref(name).cloned()
    }

    /// [`SecurityUser::member`], borrowed: templates and function arguments
    /// read a field without touching its reference count.
    pub(crate) fn member_ref(&self, name: &str) -> Option<&Value> {
        UserField::of(name).map(|field| self.field(field))
    }

    /// One readable field, chosen when the script was compiled.
    #[inline]
    pub(crate) fn field(&self, field: UserField) -> &Value {
        match field {
            UserField::UserName => &self.info.user_name,
            UserField::AgentId => &self.info.agent_id_value,
            UserField::TimeZone => &self.info.time_zone_name,
            UserField::Role => &self.info.role,
        }
    }
    /// The readable fields as JSON; the handle never appears.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.to_json()["agentId"], 1003);
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "userName": self.user_name(),
            "agentId": self.agent_id(),
            "timeZone": self.time_zone().name(),
            "role": self.role(),
        })
    }
}

/// A time zone's IANA name (read on every security user and agent result):
/// the bundled database's own static text, so it is neither copied nor counted.
pub(crate) fn time_zone_name(tz: Tz) -> Value {
    Value::String(Text::new_static(tz.name()))
}

#[cfg(test)]
mod time_zone_tests {
    #[test]
    fn every_zone_name_is_shared_and_right() {
        for zone in crate::tz::Tz::all() {
            assert_eq!(super::time_zone_name(zone).as_str(), Some(zone.name()));
        }
    }
}

#[cfg(test)]
mod security_user_tests {
    use super::*;

    fn mint(run: RunId, user: &str) -> SecurityUser {
        SecurityUser::mint(run, 1001, user, Tz::UTC, Some("Administrator"))
    }

    #[test]
    fn every_mint_is_its_own_handle_though_the_fields_are_shared() {
        let run = RunId::next();
        let (a, b) = (mint(run, "sysadmin"), mint(run, "sysadmin"));
        assert!(Arc::ptr_eq(&a.info, &b.info), "the same fields are shared");
        assert!(!a.same_handle(&b), "two mints are two handles");
        assert!(a.same_handle(&a.clone()), "a copy is the same handle");
        assert!(!Value::SecurityUser(a.clone()).deep_eq(&Value::SecurityUser(b)));
        let other = mint(run, "agentadmin");
        assert!(!Arc::ptr_eq(&a.info, &other.info));
        assert_eq!(other.user_name(), "agentadmin");
        assert!(!a.same_handle(&mint(RunId::next(), "sysadmin")));
    }
}
