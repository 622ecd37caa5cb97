//! Values in a paused run: a flat list of shallow JSON tokens per value, in
//! prefix order, so that writing and reading never recurse (a value may
//! nest as deep as the limits allow; the JSON around it stays shallow).
//!
//! - `null`, `true`/`false`, a number, a string: themselves;
//! - a list of n elements: `{"l": n}`, then its elements;
//! - an object of n members: `{"o": n}`, then each key (a string) and value;
//! - a datetime: `{"d": "2026-03-08T06:30:00"}`;
//! - a security user: `{"u": {"id": 1001, "tz": "UTC", "name": "sysadmin"}}`:
//!   only who it was; on resume the agent is looked up again and the handle
//!   is issued by the resumed run (a pause never carries privileges).
//!
//! A pause's own values are written and read as a stream ([`Tokens`]): no
//! token list is built, so reading a pause costs memory in proportion to
//! the values it holds, not to a tree of JSON tokens (which took some 70
//! times the file's size), and at most [`read_budget`]'s tokens are read.

use std::cell::Cell;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as J;

use crate::runtime::value::{Object, Text, Value};

/// A security user as a pause records it.
pub(crate) struct UserToken<'a> {
    pub agent_id: u64,
    pub time_zone: &'a str,
    pub user_name: &'a str,
}

/// One token, borrowed from the value written or the JSON read.
enum Token<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(&'a str),
    List(u64),
    Object(u64),
    DateTime(String),
    User(UserToken<'a>),
}

impl Serialize for Token<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn tagged<S: Serializer, T: Serialize>(
            s: S,
            tag: &str,
            body: &T,
        ) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(tag, body)?;
            map.end()
        }
        #[derive(Serialize)]
        struct User<'a> {
            id: u64,
            tz: &'a str,
            name: &'a str,
        }
        match self {
            Token::Null => s.serialize_unit(),
            Token::Bool(b) => s.serialize_bool(*b),
            // Values never hold a non-finite number; were one there, null
            // is what JSON can say.
            Token::Number(n) if n.is_finite() => s.serialize_f64(*n),
            Token::Number(_) => s.serialize_unit(),
            Token::String(t) => s.serialize_str(t),
            Token::List(n) => tagged(s, "l", n),
            Token::Object(n) => tagged(s, "o", n),
            Token::DateTime(d) => tagged(s, "d", d),
            Token::User(u) => tagged(
                s,
                "u",
                &User {
                    id: u.agent_id,
                    tz: u.time_zone,
                    name: u.user_name,
                },
            ),
        }
    }
}

/// Walks `value` in prefix order, handing each token to `emit`.
fn walk<E>(value: &Value, emit: &mut dyn FnMut(Token<'_>) -> Result<(), E>) -> Result<(), E> {
    // Object keys are emitted as they are met: a key precedes its value.
    enum Item<'v> {
        Value(&'v Value),
        Key(&'v str),
    }
    let mut items: Vec<Item<'_>> = vec![Item::Value(value)];
    while let Some(item) = items.pop() {
        let v = match item {
            Item::Key(k) => {
                emit(Token::String(k))?;
                continue;
            }
            Item::Value(v) => v,
        };
        match v {
            Value::Null => emit(Token::Null)?,
            Value::Bool(b) => emit(Token::Bool(*b))?,
            Value::Number(n) => emit(Token::Number(*n))?,
            Value::String(s) => emit(Token::String(s.as_str()))?,
            Value::DateTime(d) => emit(Token::DateTime(
                d.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            ))?,
            Value::SecurityUser(u) => emit(Token::User(UserToken {
                agent_id: u.agent_id(),
                time_zone: u.time_zone().name(),
                user_name: u.user_name(),
            }))?,
            Value::List(list) => {
                emit(Token::List(list.len() as u64))?;
                items.extend(list.iter().rev().map(Item::Value));
            }
            Value::Object(object) => {
                emit(Token::Object(object.len() as u64))?;
                for (key, value) in object.iter().rev() {
                    items.push(Item::Value(value));
                    items.push(Item::Key(key));
                }
            }
        }
    }
    Ok(())
}

/// Writes `value` as tokens.
pub(crate) fn encode(value: &Value) -> Vec<J> {
    let mut out = Vec::new();
    let _ = walk::<serde_json::Error>(value, &mut |token| {
        out.push(serde_json::to_value(&token)?);
        Ok(())
    });
    out
}

/// Reads a value written by [`encode`]; `user` re-issues security users.
pub(crate) fn decode(
    tokens: &[J],
    user: &mut dyn FnMut(UserToken<'_>) -> Value,
) -> Result<Value, String> {
    let mut decoder = Decoder::default();
    let mut tokens = tokens.iter();
    loop {
        let token = tokens.next().ok_or("a value ends early")?;
        if let Some(value) = decoder.push(of_json(token)?, user)? {
            return match tokens.next() {
                None => Ok(value),
                Some(_) => Err("tokens after the value".into()),
            };
        }
    }
}

/// A token of [`encode`]'s JSON.
fn of_json(token: &J) -> Result<Token<'_>, String> {
    Ok(match token {
        J::Null => Token::Null,
        J::Bool(b) => Token::Bool(*b),
        J::Number(n) => Token::Number(n.as_f64().ok_or("a number out of range")?),
        J::String(s) => Token::String(s),
        J::Array(_) => return Err("an unexpected list token".into()),
        J::Object(map) => {
            let mut entries = map.iter();
            let (Some((tag, body)), None) = (entries.next(), entries.next()) else {
                return Err("a token that is not one tag and its body".into());
            };
            match (tag.as_str(), body) {
                ("l", J::Number(n)) => Token::List(n.as_u64().ok_or("a bad list length")?),
                ("o", J::Number(n)) => Token::Object(n.as_u64().ok_or("a bad object length")?),
                ("d", J::String(d)) => Token::DateTime(d.clone()),
                ("u", J::Object(u)) => Token::User(UserToken {
                    agent_id: u
                        .get("id")
                        .and_then(J::as_u64)
                        .ok_or("a security user without id")?,
                    time_zone: u.get("tz").and_then(J::as_str).unwrap_or("UTC"),
                    user_name: u.get("name").and_then(J::as_str).unwrap_or(""),
                }),
                _ => return Err(format!("an unknown token `{}`", shown(tag))),
            }
        }
    })
}

/// At most 40 characters of untrusted text, for a message.
fn shown(text: &str) -> String {
    text.chars().take(40).flat_map(char::escape_debug).collect()
}

/// The deepest nesting read (a run's own limit is 64 unless its host
/// raises it; a value this deep still drops and prints without
/// exhausting a thread's stack).
pub(crate) const MAX_DEPTH: usize = 1024;

/// The containers a value being read has open, innermost last.
#[derive(Default)]
struct Decoder {
    open: Vec<Open>,
}

enum Open {
    List(Vec<Value>, u64),
    Object(Object, u64, Option<Text>),
}

impl Decoder {
    /// Takes the next token; returns the value once it is complete.
    fn push(
        &mut self,
        token: Token<'_>,
        user: &mut dyn FnMut(UserToken<'_>) -> Value,
    ) -> Result<Option<Value>, String> {
        let mut value = match token {
            Token::Null => Value::Null,
            Token::Bool(b) => Value::Bool(b),
            Token::Number(n) if n.is_finite() => Value::Number(n),
            Token::Number(_) => return Err("a number out of range".into()),
            Token::String(s) => {
                // A key of the innermost open object.
                if let Some(Open::Object(object, _, key @ None)) = self.open.last_mut() {
                    if object.contains_key(s) {
                        return Err(format!("a duplicate key `{}`", shown(s)));
                    }
                    *key = Some(Text::from(s));
                    return Ok(None);
                }
                Value::from(s)
            }
            // Deeper than any run's values: refused before anything below
            // (a drop, a display) would recurse that deep.
            Token::List(n) | Token::Object(n) if n > 0 && self.open.len() >= MAX_DEPTH => {
                return Err(format!(
                    "a value nested deeper than {MAX_DEPTH} lists and objects"
                ));
            }
            // The length is a claim: capacity grows with the elements read.
            Token::List(n) if n > 0 => {
                self.open
                    .push(Open::List(Vec::with_capacity(n.min(64) as usize), n));
                return Ok(None);
            }
            Token::List(_) => Value::List(Arc::new(Vec::new())),
            Token::Object(n) if n > 0 => {
                self.open.push(Open::Object(Object::default(), n, None));
                return Ok(None);
            }
            Token::Object(_) => Value::Object(Arc::new(Object::default())),
            Token::DateTime(d) => Value::DateTime(
                chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M:%S%.f")
                    .map_err(|_| format!("a bad datetime `{}`", shown(&d)))?,
            ),
            Token::User(u) => user(u),
        };
        // Close every container the value completes.
        loop {
            match self.open.last_mut() {
                None => return Ok(Some(value)),
                Some(Open::List(items, n)) => {
                    items.push(value);
                    if (items.len() as u64) < *n {
                        return Ok(None);
                    }
                }
                Some(Open::Object(object, n, key)) => {
                    let Some(k) = key.take() else {
                        return Err("an object member without a key".into());
                    };
                    object.insert(k, value);
                    if (object.len() as u64) < *n {
                        return Ok(None);
                    }
                }
            }
            value = match self.open.pop() {
                Some(Open::List(items, _)) => Value::List(Arc::new(items)),
                Some(Open::Object(object, _, _)) => Value::Object(Arc::new(object)),
                None => unreachable!("checked above"),
            };
        }
    }
}

// ---- a pause's own values, streamed ---------------------------------------

thread_local! {
    /// Tokens (and memo nodes) a pause being read may still hold: set by
    /// [`read_budget`] around the parse (serde's derive has no way to hand
    /// a budget down to a field).
    static BUDGET: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// Runs `parse` with at most `tokens` tokens and memo nodes to read; the
/// budget outside is restored after.
pub(crate) fn read_budget<R>(tokens: u64, parse: impl FnOnce() -> R) -> R {
    let outer = BUDGET.with(|b| b.replace(tokens));
    let result = parse();
    BUDGET.with(|b| b.set(outer));
    result
}

/// Takes one token from the budget.
fn spend<E: de::Error>() -> Result<(), E> {
    BUDGET.with(|b| match b.get().checked_sub(1) {
        Some(left) => {
            b.set(left);
            Ok(())
        }
        None => Err(E::custom("it holds more values than a paused run may hold")),
    })
}

/// A value of a pause: written as its tokens without building them first,
/// read from its tokens as they are parsed (security users are then
/// placeholders until the resumed run issues them again).
pub(crate) struct Tokens(pub Value);

impl Serialize for Tokens {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        walk(&self.0, &mut |token| seq.serialize_element(&token))?;
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Tokens {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tokens, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Tokens;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of value tokens")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tokens, A::Error> {
                let mut decoder = Decoder::default();
                let mut user = |u: UserToken<'_>| placeholder(u);
                while let Some(token) = seq.next_element::<OwnedToken>()? {
                    spend()?;
                    if let Some(value) = decoder
                        .push(token.as_token(), &mut user)
                        .map_err(de::Error::custom)?
                    {
                        if seq.next_element::<de::IgnoredAny>()?.is_some() {
                            return Err(de::Error::custom("tokens after the value"));
                        }
                        return Ok(Tokens(value));
                    }
                }
                Err(de::Error::custom("a value ends early"))
            }
        }
        d.deserialize_seq(List)
    }
}

/// A security user read from a pause: who it was, with no handle any run
/// accepts (issued by run 0, which no run is) until the resumed run issues
/// it again.
fn placeholder(token: UserToken<'_>) -> Value {
    crate::runtime::value::SecurityUser::placeholder(
        token.agent_id,
        token.user_name,
        token.time_zone.parse().unwrap_or(crate::tz::Tz::UTC),
    )
}

/// A token as parsed (strings owned: the JSON may escape them).
enum OwnedToken {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(u64),
    Object(u64),
    DateTime(String),
    User(UserData),
}

#[derive(Deserialize)]
struct UserData {
    id: u64,
    #[serde(default)]
    tz: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl OwnedToken {
    fn as_token(&self) -> Token<'_> {
        match self {
            OwnedToken::Null => Token::Null,
            OwnedToken::Bool(b) => Token::Bool(*b),
            OwnedToken::Number(n) => Token::Number(*n),
            OwnedToken::String(s) => Token::String(s),
            OwnedToken::List(n) => Token::List(*n),
            OwnedToken::Object(n) => Token::Object(*n),
            OwnedToken::DateTime(d) => Token::DateTime(d.clone()),
            OwnedToken::User(u) => Token::User(UserToken {
                agent_id: u.id,
                time_zone: u.tz.as_deref().unwrap_or("UTC"),
                user_name: u.name.as_deref().unwrap_or(""),
            }),
        }
    }
}

impl<'de> Deserialize<'de> for OwnedToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OwnedToken, D::Error> {
        struct One;
        impl<'de> Visitor<'de> for One {
            type Value = OwnedToken;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value token")
            }
            fn visit_unit<E: de::Error>(self) -> Result<OwnedToken, E> {
                Ok(OwnedToken::Null)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<OwnedToken, E> {
                Ok(OwnedToken::Bool(b))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<OwnedToken, E> {
                Ok(OwnedToken::Number(n as f64))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<OwnedToken, E> {
                Ok(OwnedToken::Number(n as f64))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<OwnedToken, E> {
                Ok(OwnedToken::Number(n))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<OwnedToken, E> {
                Ok(OwnedToken::String(s.to_string()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<OwnedToken, E> {
                Ok(OwnedToken::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<OwnedToken, A::Error> {
                Err(de::Error::custom("an unexpected list token"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OwnedToken, A::Error> {
                let tag: String = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("an empty token"))?;
                let token = match tag.as_str() {
                    "l" => OwnedToken::List(map.next_value()?),
                    "o" => OwnedToken::Object(map.next_value()?),
                    "d" => OwnedToken::DateTime(map.next_value()?),
                    "u" => OwnedToken::User(map.next_value()?),
                    _ => {
                        return Err(de::Error::custom(format!(
                            "an unknown token `{}`",
                            shown(&tag)
                        )))
                    }
                };
                if map.next_key::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "a token that is not one tag and its body",
                    ));
                }
                Ok(token)
            }
        }
        d.deserialize_any(One)
    }
}

/// An action's memo read from a pause: any JSON, each of its nodes taken
/// from the same budget as the values' tokens (a Snippet's memo holds its
/// variables).
pub(crate) struct Memo(pub J);

impl Serialize for Memo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Memo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Memo, D::Error> {
        d.deserialize_any(Node).map(Memo)
    }
}

/// Builds a JSON node, spending one token of the budget per node (serde
/// JSON's own depth limit bounds the recursion).
struct Node;

impl<'de> DeserializeSeed<'de> for Node {
    type Value = J;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        d.deserialize_any(Node)
    }
}

impl<'de> Visitor<'de> for Node {
    type Value = J;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E: de::Error>(self) -> Result<J, E> {
        spend().map(|()| J::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<J, E> {
        spend().map(|()| J::Bool(b))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<J, E> {
        spend().map(|()| J::from(n))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<J, E> {
        spend().map(|()| J::from(n))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<J, E> {
        spend().map(|()| J::from(n))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<J, E> {
        spend().map(|()| J::from(s))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<J, E> {
        spend().map(|()| J::from(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        spend()?;
        let mut out = Vec::new();
        while let Some(node) = seq.next_element_seed(Node)? {
            out.push(node);
        }
        Ok(J::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        spend()?;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Node)?;
            out.insert(key, value);
        }
        Ok(J::Object(out))
    }
}
