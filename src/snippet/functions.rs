//! Expression functions that come with Snippet code's dynamic data objects
//! (converting values to and from JSON text) and its REST proxy.

use std::sync::Arc;

use crate::runtime::functions::FunctionDef;
use crate::runtime::{RuntimeError, Value};
use crate::snippet::exec::rest;
use crate::snippet::program::ADD_HEADER_FUNCTION;

pub(crate) use crate::program::names::RESERVED_MEMBER;

/// `asjson(value)` (also `value.asjson()`): the value as JSON text. Studio's
/// tip is to build objects in a snippet and pass them on as `asjson()` strings.
///
/// `parsejson(text)` (also `text.parsejson()`): JSON text as a value; a JSON
/// object becomes a dynamic data object, an array a list. Malformed JSON is
/// a run-time error naming the line and column in the text.
pub(crate) fn builtins() -> Vec<FunctionDef> {
    let mut all = vec![
        FunctionDef {
            name: "asjson".into(),
            min_args: 1,
            max_args: 1,
            func: Arc::new(|args: &[Value], _ctx| {
                serde_json::to_string(&args[0].to_json())
                    .map(Value::from)
                    .map_err(|e| RuntimeError::BadArgument {
                        function: "asjson".into(),
                        message: e.to_string(),
                    })
            }),
        },
        FunctionDef {
            name: "parsejson".into(),
            min_args: 1,
            max_args: 1,
            func: Arc::new(|args: &[Value], _ctx| parse_json(&args[0])),
        },
        // `GetRESTProxy()`: a new REST proxy (see `exec/rest.rs`).
        FunctionDef {
            name: "GetRESTProxy".into(),
            min_args: 0,
            max_args: 0,
            func: Arc::new(|_args: &[Value], _ctx| Ok(rest::new_proxy())),
        },
        // What `proxy.AddHeader(name, value)` compiles to.
        FunctionDef {
            name: ADD_HEADER_FUNCTION.into(),
            min_args: 3,
            max_args: 3,
            func: Arc::new(|args: &[Value], _ctx| {
                rest::add_header(args).map_err(|message| RuntimeError::BadArgument {
                    function: "AddHeader".into(),
                    message,
                })
            }),
        },
    ];
    all.extend(super::strings::builtins());
    all
}

fn parse_json(text: &Value) -> Result<Value, RuntimeError> {
    let bad = |message: String| RuntimeError::BadArgument {
        function: "parsejson".into(),
        message,
    };
    let text = match text {
        Value::String(s) => s.clone(),
        Value::Null => return Err(bad("the text is empty, not JSON".into())),
        other => {
            return Err(bad(format!(
                "argument 1 must be JSON text, got {}",
                other.type_name()
            )))
        }
    };
    if text.trim().is_empty() {
        return Err(bad("the text is empty, not JSON".into()));
    }
    // serde_json stops at 128 levels of nesting, so hostile text cannot
    // exhaust the stack; the evaluator then checks the result's size and
    // depth against the engine's limits, as for every function result.
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    Ok(Value::from_json(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects_arrays_and_scalars() {
        let v = parse_json(&Value::from(r#"{"name":"Beowulf","foes":["Grendel",2]}"#)).unwrap();
        assert_eq!(
            v.to_json(),
            serde_json::json!({"name":"Beowulf","foes":["Grendel",2]})
        );
        assert_eq!(parse_json(&Value::from("7")).unwrap(), Value::from(7));
    }

    #[test]
    fn malformed_text_names_where() {
        let err = parse_json(&Value::from("{\"a\": }"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("parsejson(): not valid JSON: "), "{err}");
        assert!(err.contains("line 1 column 7"), "{err}");
        assert!(parse_json(&Value::from(" ")).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_json(&Value::from(deep)).is_err());
    }
}
