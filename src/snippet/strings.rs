//! The string functions of NICE's Built-In Functions page that real
//! Snippet code calls and the script's own set lacks: `beginswith`,
//! `left`, `right`, `ltrim`, `rtrim` and `char`. Like every function they
//! are also methods (`name.left(3)` is `left(name, 3)`). Positions count
//! characters, not bytes, as `len` and `substr` do.

use std::borrow::Cow;
use std::sync::Arc;

use crate::runtime::functions::{FunctionContext, FunctionDef};
use crate::runtime::ops::whole_number;
use crate::runtime::{RuntimeError, Value};

/// The functions (see the module's documentation).
///
/// ```
/// use studioflow::{Engine, RunOptions, Value};
/// let engine = Engine::new();
/// let script = engine.compile(r#"
/// start: Begin { Default -> s }
/// s: Snippet {
///   Data = """
///     phone = "+15551234"
///     IF phone.beginswith("+1") { area = phone.left(5).right(3) }
///     tab = "[{char(9)}]"
///   """
/// }
/// "#, "s.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// assert_eq!(run.variables["area"], Value::from("555"));
/// assert_eq!(run.variables["tab"], Value::from("[\t]"));
/// ```
pub(crate) fn builtins() -> Vec<FunctionDef> {
    vec![
        def("beginswith", 2, |a, _| {
            let (s, prefix) = (text("beginswith", a, 0)?, text("beginswith", a, 1)?);
            Ok(Value::Bool(s.starts_with(&*prefix)))
        }),
        def("left", 2, |a, _| {
            let s = text("left", a, 0)?;
            let n = count("left", a, 1)?;
            Ok(Value::from(s.chars().take(n).collect::<String>()))
        }),
        def("right", 2, |a, _| {
            let s = text("right", a, 0)?;
            let n = count("right", a, 1)?;
            let skip = s.chars().count().saturating_sub(n);
            Ok(Value::from(s.chars().skip(skip).collect::<String>()))
        }),
        def("ltrim", 1, |a, _| {
            Ok(Value::from(text("ltrim", a, 0)?.trim_start()))
        }),
        def("rtrim", 1, |a, _| {
            Ok(Value::from(text("rtrim", a, 0)?.trim_end()))
        }),
        def("char", 1, |a, _| {
            let code = whole("char", a, 0)?;
            u32::try_from(code)
                .ok()
                .and_then(char::from_u32)
                .map(|c| Value::from(c.to_string()))
                .ok_or_else(|| {
                    bad(
                        "char",
                        format!("{code} is no character code (0 to 1114111, not 55296 to 57343)"),
                    )
                })
        }),
    ]
}

fn def(
    name: &str,
    args: usize,
    func: impl Fn(&[Value], &FunctionContext<'_>) -> Result<Value, RuntimeError> + Send + Sync + 'static,
) -> FunctionDef {
    FunctionDef {
        name: name.to_string(),
        min_args: args,
        max_args: args,
        func: Arc::new(func),
    }
}

fn bad(function: &str, message: String) -> RuntimeError {
    RuntimeError::BadArgument {
        function: function.to_string(),
        message,
    }
}

/// Argument `i` as text: Studio's variables are untyped, so a number or a
/// boolean is its text; a list or an object is an error.
fn text<'a>(function: &str, args: &'a [Value], i: usize) -> Result<Cow<'a, str>, RuntimeError> {
    match &args[i] {
        Value::String(s) => Ok(Cow::Borrowed(s)),
        v @ (Value::Number(_) | Value::Bool(_) | Value::Null | Value::DateTime(_)) => {
            Ok(Cow::Owned(v.to_text()))
        }
        other => Err(bad(
            function,
            format!("argument {} must be text, got {}", i + 1, other.type_name()),
        )),
    }
}

fn whole(function: &str, args: &[Value], i: usize) -> Result<i64, RuntimeError> {
    whole_number(&args[i], || format!("{function}(): argument {}", i + 1))?.ok_or_else(|| {
        bad(
            function,
            format!(
                "argument {} must be a whole number, got {}",
                i + 1,
                args[i].type_name()
            ),
        )
    })
}

/// A character count: a whole number, 0 or more.
fn count(function: &str, args: &[Value], i: usize) -> Result<usize, RuntimeError> {
    let n = whole(function, args, i)?;
    usize::try_from(n).map_err(|_| {
        bad(
            function,
            format!("argument {} must be 0 or more, got {n}", i + 1),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[Value]) -> Result<Value, RuntimeError> {
        let clock = crate::SystemClock;
        let ctx = FunctionContext::new(&clock, crate::tz::Tz::UTC);
        let f = builtins().into_iter().find(|f| f.name == name).unwrap();
        (f.func)(args, &ctx)
    }

    #[test]
    fn left_and_right_count_characters_and_stop_at_the_ends() {
        let s = Value::from("héllo");
        assert_eq!(
            call("left", &[s.clone(), Value::from(2)]).unwrap(),
            Value::from("hé")
        );
        assert_eq!(
            call("right", &[s.clone(), Value::from(3)]).unwrap(),
            Value::from("llo")
        );
        assert_eq!(call("left", &[s.clone(), Value::from(99)]).unwrap(), s);
        assert_eq!(
            call("right", &[s.clone(), Value::from(0)]).unwrap(),
            Value::from("")
        );
        let err = call("left", &[s.clone(), Value::from(-1)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("0 or more"), "{err}");
        let err = call("right", &[s, Value::from(1.5)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("whole number"), "{err}");
    }

    #[test]
    fn char_refuses_what_is_no_character() {
        assert_eq!(call("char", &[Value::from(65)]).unwrap(), Value::from("A"));
        assert_eq!(
            call("char", &[Value::from(0x1F600)]).unwrap(),
            Value::from("😀")
        );
        for code in [-1.0, 55296.0, 1_114_112.0, 1e15] {
            let err = call("char", &[Value::from(code)]).unwrap_err().to_string();
            assert!(err.contains("no character code"), "{err}");
        }
    }

    #[test]
    fn numbers_are_text_and_lists_are_not() {
        assert_eq!(
            call("beginswith", &[Value::from(12345), Value::from("12")]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            call("rtrim", &[Value::from(" a ")]).unwrap(),
            Value::from(" a")
        );
        assert_eq!(
            call("ltrim", &[Value::from(" a ")]).unwrap(),
            Value::from("a ")
        );
        let list = Value::List(Arc::new(vec![Value::from(1)]));
        let err = call("ltrim", &[list]).unwrap_err().to_string();
        assert!(err.contains("must be text"), "{err}");
    }
}
