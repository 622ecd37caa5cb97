//! JSON parsing that refuses duplicate object keys, naming their place.
//!
//! `serde_json::Value` keeps the last of two equal keys, so a tenant file with
//! `"role": "AgentAdmin", ..., "role": "SystemAdmin"` would silently load the
//! second. This module deserializes into the same `Value` through a
//! [`DeserializeSeed`] that knows the JSON place it is at and checks each
//! object's keys; the place is rendered only when there is an error. Depth
//! stays bounded by serde_json's own recursion limit.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// One step of a JSON place, linked to its parent (no allocation per value).
#[derive(Clone, Copy)]
enum Place<'a> {
    Root,
    Key(&'a Place<'a>, &'a str),
    Index(&'a Place<'a>, usize),
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Root => Ok(()),
            Place::Key(Place::Root, key) => write!(f, "{key}"),
            Place::Key(parent, key) => write!(f, "{parent}.{key}"),
            Place::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// The first duplicate key found: (place of the object, key).
type Duplicate = RefCell<Option<(String, String)>>;

struct Checked<'a> {
    place: Place<'a>,
    duplicate: &'a Duplicate,
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Checked {
            place: Place::Index(&self.place, items.len()),
            duplicate: self.duplicate,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let place = self.place.to_string();
                let message = format!("duplicate key \"{key}\"");
                *self.duplicate.borrow_mut() = Some((place, key));
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(Checked {
                place: Place::Key(&self.place, &key),
                duplicate: self.duplicate,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Why [`parse`] failed.
pub(crate) enum StrictJsonError {
    /// Not JSON (serde_json's error, with its line and column).
    Syntax(serde_json::Error),
    /// An object has a key twice: the object's place (`""` for the root) and the key.
    DuplicateKey { place: String, key: String },
}

/// Parses `text` like `serde_json::from_str::<Value>`, but refuses duplicate keys.
pub(crate) fn parse(text: &str) -> Result<Value, StrictJsonError> {
    let duplicate = Duplicate::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = Checked {
        place: Place::Root,
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(value) => Ok(value),
        Err(error) => match duplicate.into_inner() {
            Some((place, key)) => Err(StrictJsonError::DuplicateKey { place, key }),
            None => Err(StrictJsonError::Syntax(error)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(text: &str) -> Option<(String, String)> {
        match parse(text) {
            Err(StrictJsonError::DuplicateKey { place, key }) => Some((place, key)),
            _ => None,
        }
    }

    #[test]
    fn parses_like_serde_json() {
        let text = r#"{"a": [1, -2, 2.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        let expected: Value = serde_json::from_str(text).unwrap();
        assert!(matches!(parse(text), Ok(v) if v == expected));
        assert!(matches!(parse("[1,"), Err(StrictJsonError::Syntax(_))));
        assert!(matches!(parse("{} x"), Err(StrictJsonError::Syntax(_))));
    }

    #[test]
    fn names_the_place_of_a_duplicate_key() {
        assert_eq!(
            duplicate(r#"{"a": 1, "a": 2}"#),
            Some((String::new(), "a".into()))
        );
        assert_eq!(
            duplicate(r#"{"agents": [{}, {}, {"id": 1, "userName": "x", "userName": "y"}]}"#),
            Some(("agents[2]".into(), "userName".into()))
        );
        assert_eq!(
            duplicate(r#"{"businessUnit": {"name": "x", "tz": {"k": 1, "k": 1}}}"#),
            Some(("businessUnit.tz".into(), "k".into()))
        );
        // Equal keys in different objects are fine.
        assert_eq!(duplicate(r#"[{"a": 1}, {"a": 2}]"#), None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(&deep), Err(StrictJsonError::Syntax(_))));
    }
}
