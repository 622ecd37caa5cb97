//! Conversions between script values and Rust types, for hosts: the typed
//! arguments of functions registered with
//! [`EngineBuilder::register_fn`](crate::EngineBuilder::register_fn) and the
//! typed property readers of [`ActionCall`](crate::ActionCall).

use std::sync::Arc;

use super::error::{shown, RuntimeError};
use super::{FunctionContext, NativeFunction, Object, Value};

/// A Rust type a script value converts to.
///
/// Conversions follow the language: numeric strings are numbers, `"true"` and
/// `"false"` are booleans, and numbers and booleans are text. Whole-number
/// types refuse fractions and values outside their range (and beyond 2^53,
/// where a number is no longer exact).
///
/// ```
/// use studioflow::{FromValue, Value};
/// assert_eq!(f64::from_value(&Value::from("2.5")), Some(2.5));
/// assert_eq!(u32::from_value(&Value::from(7)), Some(7));
/// assert_eq!(u32::from_value(&Value::from(-1)), None);
/// assert_eq!(String::from_value(&Value::from(3)), Some("3".to_string()));
/// assert_eq!(Option::<f64>::from_value(&Value::from("")), Some(None));
/// assert_eq!(<f64 as FromValue>::EXPECTED, "a number");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be converted from a script value",
    note = "use f64, f32, i64, i32, u64, u32, usize, bool, String, Arc<str>, Vec<Value>, Object, Value or Option<T> (owned: `String`, not `&str`)"
)]
pub trait FromValue: Sized {
    /// What the type accepts, worded for an error message ("a number").
    const EXPECTED: &'static str;
    /// Whether a function argument of this type may be left out (`Option`):
    /// trailing optional arguments make a typed function's arity a range.
    const OPTIONAL: bool = false;
    /// The converted value, or `None` when `value` is not of this type.
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for Value {
    const EXPECTED: &'static str = "any value";
    fn from_value(value: &Value) -> Option<Self> {
        Some(value.clone())
    }
}

impl FromValue for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_value(value: &Value) -> Option<Self> {
        value.as_number()
    }
}

impl FromValue for f32 {
    const EXPECTED: &'static str = "a number";
    fn from_value(value: &Value) -> Option<Self> {
        value
            .as_number()
            .map(|n| n as f32)
            .filter(|n| n.is_finite())
    }
}

/// Numbers are exact integers up to 2^53.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

macro_rules! whole_number {
    ($($t:ty => $expected:literal),* $(,)?) => {$(
        impl FromValue for $t {
            const EXPECTED: &'static str = $expected;
            fn from_value(value: &Value) -> Option<Self> {
                let n = value.as_number()?;
                if n.fract() != 0.0 || n.abs() > MAX_EXACT {
                    return None;
                }
                <$t>::try_from(n as i64).ok()
            }
        }
    )*};
}

whole_number! {
    i64 => "a whole number",
    i32 => "a whole number from -2147483648 to 2147483647",
    u64 => "a whole number >= 0",
    u32 => "a whole number from 0 to 4294967295",
    usize => "a whole number >= 0",
}

impl FromValue for bool {
    const EXPECTED: &'static str = "true or false";
    fn from_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

impl FromValue for String {
    const EXPECTED: &'static str = "text";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(s.to_string()),
            Value::Number(_) | Value::Bool(_) | Value::Null | Value::DateTime(_) => {
                Some(value.to_text())
            }
            _ => None,
        }
    }
}

impl FromValue for Arc<str> {
    const EXPECTED: &'static str = "text";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Arc::from(s.clone())),
            other => String::from_value(other).map(Arc::from),
        }
    }
}

impl FromValue for Vec<Value> {
    const EXPECTED: &'static str = "a list";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::List(items) => Some(items.as_ref().clone()),
            _ => None,
        }
    }
}

impl FromValue for Object {
    const EXPECTED: &'static str = "an object";
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(map.as_ref().clone()),
            _ => None,
        }
    }
}

/// `null` and `""` (what an unset variable reads as) are `None`.
impl<T: FromValue> FromValue for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    const OPTIONAL: bool = true;
    fn from_value(value: &Value) -> Option<Self> {
        if value.is_null_or_empty() {
            Some(None)
        } else {
            T::from_value(value).map(Some)
        }
    }
}

/// What a typed host function may return: a value, or a `Result` whose error
/// becomes a run-time error (`_ERR`, the Error branch).
///
/// ```
/// use studioflow::{IntoFunctionResult, RuntimeError, Value};
/// assert_eq!(42.0.into_function_result(), Ok(Value::from(42)));
/// let failed: Result<f64, String> = Err("no rate for EUR".into());
/// assert_eq!(failed.into_function_result(), Err(RuntimeError::Host("no rate for EUR".into())));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned to a script",
    note = "return a value convertible into `Value`, an `Option` of one, or a `Result` of one with a `RuntimeError` or `String` error"
)]
pub trait IntoFunctionResult {
    /// The script value, or the run-time error.
    fn into_function_result(self) -> Result<Value, RuntimeError>;
}

macro_rules! into_value_result {
    ($($t:ty),* $(,)?) => {$(
        impl IntoFunctionResult for $t {
            fn into_function_result(self) -> Result<Value, RuntimeError> {
                Ok(Value::from(self))
            }
        }
    )*};
}

into_value_result!(
    Value,
    f64,
    f32,
    i64,
    i32,
    u64,
    u32,
    usize,
    bool,
    String,
    &'static str,
    Arc<str>,
    Vec<Value>,
    Object,
);

/// `None` is `null`.
impl<T: Into<Value>> IntoFunctionResult for Option<T> {
    fn into_function_result(self) -> Result<Value, RuntimeError> {
        Ok(self.map_or(Value::Null, Into::into))
    }
}

impl<T: Into<Value>> IntoFunctionResult for Result<T, RuntimeError> {
    fn into_function_result(self) -> Result<Value, RuntimeError> {
        self.map(Into::into)
    }
}

/// The message becomes the run-time error's text.
impl<T: Into<Value>> IntoFunctionResult for Result<T, String> {
    fn into_function_result(self) -> Result<Value, RuntimeError> {
        self.map(Into::into).map_err(RuntimeError::Host)
    }
}

/// A Rust closure or function with typed arguments, callable from scripts:
/// the one way to register a function ([`crate::EngineBuilder::register_fn`]).
///
/// Implemented for every `Fn(A1, ..., An) -> R` with up to 8 arguments, where
/// each `Ai` is [`FromValue`] and `R` is [`IntoFunctionResult`], and for the
/// same with the call's [`FunctionContext`] first (`Fn(&FunctionContext, A1,
/// ...)`: the run's clock and time zone). The arity comes from the
/// signature (so `check` reports a wrong argument count); trailing
/// `Option<T>` arguments may be left out (`None`). An argument of the wrong
/// type is a run-time error naming the function, the argument and what it
/// got. `Args` only tells the implementations apart and is always inferred.
///
/// ```
/// use studioflow::{Engine, FunctionContext, Value};
/// let engine = Engine::builder()
///     .register_fn("double", |x: f64| x * 2.0)
///     .register_fn("greeting", |name: String, times: u32| format!("Hi {name}! ").repeat(times as usize))
///     // Optional trailing arguments: pad(text) or pad(text, width).
///     .register_fn("pad", |text: String, width: Option<usize>| format!("{text:>w$}", w = width.unwrap_or(10)))
///     // The call's context first: the run's clock and time zone.
///     .register_fn("zone", |ctx: &FunctionContext<'_>, prefix: String| format!("{prefix}{}", ctx.time_zone()))
///     .build();
/// assert_eq!(engine.call_function("double", &[Value::from(21)]).unwrap(), Value::from(42));
/// assert_eq!(engine.call_function("greeting", &["Ada".into(), 2.into()]).unwrap(), Value::from("Hi Ada! Hi Ada! "));
/// assert_eq!(engine.call_function("pad", &["ab".into(), 4.into()]).unwrap(), Value::from("  ab"));
/// assert_eq!(engine.call_function("pad", &["ab".into()]).unwrap(), Value::from("        ab"));
/// assert_eq!(engine.call_function("zone", &["tz: ".into()]).unwrap(), Value::from("tz: UTC"));
/// let err = engine.call_function("double", &[Value::from("x")]).unwrap_err();
/// assert_eq!(err.to_string(), r#"double(): argument 1 must be a number, got "x""#);
/// assert!(engine.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = pad() }", "s").is_err());
/// ```
///
/// Arguments are owned: a closure taking `&str` does not compile (take `String`).
///
/// ```compile_fail,E0277
/// studioflow::Engine::builder().register_fn("len_of", |s: &str| s.len());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be registered as a typed script function",
    note = "a typed function is `Send + Sync + 'static`, takes an optional `&FunctionContext` first, then at most 8 arguments of FromValue types (owned: `String`, not `&str`; `Option<T>` last for optional ones) and returns an IntoFunctionResult type"
)]
pub trait HostFunction<Args>: Send + Sync + 'static {
    /// The most arguments the function takes.
    const ARITY: usize;
    /// The least: [`HostFunction::ARITY`] without the trailing `Option` arguments.
    const MIN_ARITY: usize;
    /// Converts the arguments, calls the function and converts its result.
    /// `name` labels type errors.
    fn call_with(
        &self,
        name: &str,
        args: &[Value],
        ctx: &FunctionContext<'_>,
    ) -> Result<Value, RuntimeError>;
}

/// Marks the [`HostFunction`] implementations whose function takes the
/// call's [`FunctionContext`] first.
#[doc(hidden)]
pub struct WithContext;

/// The arity without the trailing optional arguments.
const fn min_arity(optional: &[bool]) -> usize {
    let mut n = optional.len();
    while n > 0 && optional[n - 1] {
        n -= 1;
    }
    n
}

/// Argument `i` of `function`, converted (a left-out optional one is `None`).
fn argument<T: FromValue>(function: &str, args: &[Value], i: usize) -> Result<T, RuntimeError> {
    let Some(value) = args.get(i) else {
        if T::OPTIONAL {
            if let Some(none) = T::from_value(&Value::Null) {
                return Ok(none);
            }
        }
        return Err(RuntimeError::BadArgument {
            function: function.to_string(),
            message: format!("argument {} is missing", i + 1),
        });
    };
    T::from_value(value).ok_or_else(|| RuntimeError::BadArgument {
        function: function.to_string(),
        message: format!(
            "argument {} must be {}, got {}",
            i + 1,
            T::EXPECTED,
            shown(value)
        ),
    })
}

macro_rules! host_function {
    ($arity:literal $(, $arg:ident $index:literal)*) => {
        impl<F, R $(, $arg)*> HostFunction<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: IntoFunctionResult,
            $($arg: FromValue,)*
        {
            const ARITY: usize = $arity;
            const MIN_ARITY: usize = min_arity(&[$($arg::OPTIONAL),*]);
            #[allow(non_snake_case, unused_variables)]
            fn call_with(
                &self,
                name: &str,
                args: &[Value],
                _ctx: &FunctionContext<'_>,
            ) -> Result<Value, RuntimeError> {
                $(let $arg = argument::<$arg>(name, args, $index)?;)*
                self($($arg),*).into_function_result()
            }
        }

        impl<F, R $(, $arg)*> HostFunction<(WithContext, $($arg,)*)> for F
        where
            F: Fn(&FunctionContext<'_> $(, $arg)*) -> R + Send + Sync + 'static,
            R: IntoFunctionResult,
            $($arg: FromValue,)*
        {
            const ARITY: usize = $arity;
            const MIN_ARITY: usize = min_arity(&[$($arg::OPTIONAL),*]);
            #[allow(non_snake_case, unused_variables)]
            fn call_with(
                &self,
                name: &str,
                args: &[Value],
                ctx: &FunctionContext<'_>,
            ) -> Result<Value, RuntimeError> {
                $(let $arg = argument::<$arg>(name, args, $index)?;)*
                self(ctx $(, $arg)*).into_function_result()
            }
        }
    };
}

host_function!(0);
host_function!(1, A 0);
host_function!(2, A 0, B 1);
host_function!(3, A 0, B 1, C 2);
host_function!(4, A 0, B 1, C 2, D 3);
host_function!(5, A 0, B 1, C 2, D 3, E 4);
host_function!(6, A 0, B 1, C 2, D 3, E 4, G 5);
host_function!(7, A 0, B 1, C 2, D 3, E 4, G 5, H 6);
host_function!(8, A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7);

/// Wraps a typed function as a native one, its errors labelled `name`.
pub(crate) fn native<Args, F: HostFunction<Args>>(name: &str, f: F) -> Arc<NativeFunction> {
    let name = name.to_string();
    Arc::new(move |args: &[Value], ctx: &FunctionContext<'_>| f.call_with(&name, args, ctx))
}
