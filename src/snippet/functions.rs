//! Expression functions that come with Snippet code's dynamic data objects.

use std::sync::Arc;

use crate::runtime::functions::FunctionDef;
use crate::runtime::{RuntimeError, Value};

/// `asjson(value)` (also `value.asjson()`): the value as JSON text. Studio's
/// tip is to build objects in a snippet and pass them on as `asjson()` strings.
pub(crate) fn builtins() -> Vec<FunctionDef> {
    vec![FunctionDef {
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
    }]
}
