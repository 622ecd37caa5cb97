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

use std::sync::Arc;

use serde_json::{json, Value as J};

use crate::runtime::value::{Object, Text, Value};

/// A security user as a pause records it.
pub(crate) struct UserToken<'a> {
    pub agent_id: u64,
    pub time_zone: &'a str,
    pub user_name: &'a str,
}

/// Writes `value` as tokens.
pub(crate) fn encode(value: &Value) -> Vec<J> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = vec![value];
    // Object keys are emitted as they are met: a key precedes its value.
    enum Item<'v> {
        Value(&'v Value),
        Key(&'v str),
    }
    let mut items: Vec<Item<'_>> = stack.drain(..).map(Item::Value).collect();
    while let Some(item) = items.pop() {
        let v = match item {
            Item::Key(k) => {
                out.push(J::String(k.to_string()));
                continue;
            }
            Item::Value(v) => v,
        };
        match v {
            Value::Null => out.push(J::Null),
            Value::Bool(b) => out.push(J::Bool(*b)),
            Value::Number(n) => {
                out.push(serde_json::Number::from_f64(*n).map_or(J::Null, J::Number))
            }
            Value::String(s) => out.push(J::String(s.as_str().to_string())),
            Value::DateTime(d) => {
                out.push(json!({"d": d.format("%Y-%m-%dT%H:%M:%S%.f").to_string()}))
            }
            Value::SecurityUser(u) => out.push(json!({"u": {
                "id": u.agent_id(),
                "tz": u.time_zone().name(),
                "name": u.user_name(),
            }})),
            Value::List(list) => {
                out.push(json!({"l": list.len()}));
                for element in list.iter().rev() {
                    items.push(Item::Value(element));
                }
            }
            Value::Object(object) => {
                out.push(json!({"o": object.len()}));
                for (key, value) in object.iter().rev() {
                    items.push(Item::Value(value));
                    items.push(Item::Key(key));
                }
            }
        }
    }
    out
}

/// Reads a value written by [`encode`]; `user` re-issues security users.
pub(crate) fn decode(
    tokens: &[J],
    user: &mut dyn FnMut(UserToken<'_>) -> Value,
) -> Result<Value, String> {
    enum Open {
        List(Vec<Value>, usize),
        Object(Object, usize, Option<Text>),
    }
    let mut open: Vec<Open> = Vec::new();
    let mut tokens = tokens.iter();
    loop {
        let token = tokens.next().ok_or("a value ends early")?;
        let mut value = match token {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .ok_or("a number out of range")?,
            ),
            J::String(s) => {
                // A key of the innermost open object.
                if let Some(Open::Object(_, _, key @ None)) = open.last_mut() {
                    *key = Some(Text::from(s.as_str()));
                    continue;
                }
                Value::from(s.as_str())
            }
            J::Array(_) => return Err("an unexpected list token".into()),
            J::Object(map) => {
                let (tag, body) = map.iter().next().ok_or("an empty token")?;
                match (tag.as_str(), body) {
                    ("l", J::Number(n)) => {
                        let n = n.as_u64().ok_or("a bad list length")? as usize;
                        if n > 0 {
                            open.push(Open::List(Vec::with_capacity(n.min(4096)), n));
                            continue;
                        }
                        Value::List(Arc::new(Vec::new()))
                    }
                    ("o", J::Number(n)) => {
                        let n = n.as_u64().ok_or("a bad object length")? as usize;
                        if n > 0 {
                            open.push(Open::Object(Object::default(), n, None));
                            continue;
                        }
                        Value::Object(Arc::new(Object::default()))
                    }
                    ("d", J::String(d)) => Value::DateTime(
                        chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S%.f")
                            .map_err(|_| format!("a bad datetime `{d}`"))?,
                    ),
                    ("u", J::Object(u)) => {
                        let agent_id = u
                            .get("id")
                            .and_then(J::as_u64)
                            .ok_or("a security user without id")?;
                        let time_zone = u.get("tz").and_then(J::as_str).unwrap_or("UTC");
                        let user_name = u.get("name").and_then(J::as_str).unwrap_or("");
                        user(UserToken {
                            agent_id,
                            time_zone,
                            user_name,
                        })
                    }
                    _ => return Err(format!("an unknown token `{tag}`")),
                }
            }
        };
        // Close every container the value completes.
        loop {
            match open.last_mut() {
                None => {
                    return match tokens.next() {
                        None => Ok(value),
                        Some(_) => Err("tokens after the value".into()),
                    };
                }
                Some(Open::List(items, n)) => {
                    items.push(value);
                    if items.len() < *n {
                        break;
                    }
                }
                Some(Open::Object(object, n, key)) => {
                    let Some(k) = key.take() else {
                        return Err("an object member without a key".into());
                    };
                    object.insert(k, value);
                    if object.len() < *n {
                        break;
                    }
                }
            }
            value = match open.pop() {
                Some(Open::List(items, _)) => Value::List(Arc::new(items)),
                Some(Open::Object(object, _, _)) => Value::Object(Arc::new(object)),
                None => unreachable!("checked above"),
            };
        }
    }
}
