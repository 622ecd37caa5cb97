//! Errors raised while evaluating expressions at run time.

use thiserror::Error;

/// Why an expression failed at run time. Its text becomes part of `_ERR`.
///
/// ```
/// use studioflow::RuntimeError;
/// assert_eq!(RuntimeError::DivisionByZero.to_string(), "division by zero");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// `x / 0` or `x % 0`.
    #[error("division by zero")]
    DivisionByZero,
    /// An arithmetic operand that is not a number or numeric string.
    #[error("`{op}` needs numbers, got {}", typed(got, shown))]
    NotANumber {
        /// The operator.
        op: &'static str,
        /// The operand's type.
        got: &'static str,
        /// The operand, abbreviated.
        shown: String,
    },
    /// A result too large for a finite number.
    #[error("`{op}` overflowed the number range")]
    Overflow {
        /// The operator.
        op: &'static str,
    },
    /// A result that is not a number at all (NaN): `(0-1)^0.5`.
    #[error("`{op}` has no real result here (it is not a number)")]
    NotReal {
        /// The operator.
        op: &'static str,
    },
    /// A whole number beyond ±2^53, where a number no longer holds every
    /// whole number exactly (9007199254740993 reads as 9007199254740992).
    #[error("{what} {shown} is beyond ±9007199254740992 (2^53), where numbers are not exact")]
    NotExact {
        /// What the number is for: "argument 2 of substr()", "FOR's start".
        what: String,
        /// The number.
        shown: String,
    },
    /// A logical operand that is not a boolean.
    #[error("`{op}` needs true or false, got {}", typed(got, shown))]
    NotABool {
        /// The operator.
        op: &'static str,
        /// The operand's type.
        got: &'static str,
        /// The operand, abbreviated.
        shown: String,
    },
    /// `<` and friends on lists or objects.
    #[error("cannot compare {left} with {right} using `{op}`")]
    NotComparable {
        /// The operator.
        op: &'static str,
        /// Left operand type.
        left: &'static str,
        /// Right operand type.
        right: &'static str,
    },
    /// `a.b` where `a` is not an object.
    #[error("cannot read member `{member}` of {got}")]
    NotAnObject {
        /// The member name.
        member: String,
        /// What was there instead.
        got: &'static str,
    },
    /// `a[i]` out of range.
    #[error("index {index} is out of range for {what} of length {len}")]
    IndexOutOfRange {
        /// The index used.
        index: String,
        /// List or string.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// `a[0]` or a negative index: Studio's arrays are 1-based.
    #[error("array indexes start at 1, got {index}")]
    IndexBelowOne {
        /// The index used.
        index: String,
    },
    /// `a[i]` with a bad index or on a value that has no elements.
    #[error("cannot index {got} with {index}")]
    BadIndex {
        /// What was indexed.
        got: &'static str,
        /// The index used.
        index: String,
    },
    /// A function was given an argument it cannot use.
    #[error("{function}(): {message}")]
    BadArgument {
        /// The function.
        function: String,
        /// What was wrong.
        message: String,
    },
    /// A string or list grew past the engine's limit.
    #[error("{what} of {size} exceeds the limit of {limit}")]
    TooLarge {
        /// "a string" or "a list".
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A list or object nested deeper than the engine's limit.
    #[error("a value nests deeper than the limit of {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// An error raised by a host function.
    #[error("{0}")]
    Host(String),
    /// The run's deadline passed while the expression was evaluated: not
    /// the action's failure, the run stops with outcome limit.
    #[error("{}", time_limit_message(*timeout))]
    TimeLimit {
        /// The run's timeout.
        timeout: std::time::Duration,
    },
    /// The host cancelled the run while the expression was evaluated: the
    /// run stops with outcome cancelled.
    #[error("the run was cancelled by the host")]
    Cancelled,
}

/// "a string \"x\"", or just "null" (whose type and value read the same).
fn typed(got: &str, shown: &str) -> String {
    if got == shown {
        got.to_string()
    } else {
        format!("{got} {shown}")
    }
}

/// A value's type and abbreviation for an error message: `a string "x"`,
/// `a number 1`, `null`.
pub(crate) fn described(v: &super::Value) -> String {
    typed(v.type_name(), &shown(v))
}

/// Abbreviates a value for an error message, without rendering more of it
/// than the preview shows (a list can stand for a lot of text). Every value
/// shows as something: null as `null`, the empty string as `""`.
pub(crate) fn shown(v: &super::Value) -> String {
    const PREVIEW: usize = 40;
    let text = match v {
        super::Value::Null => "null".to_string(),
        super::Value::String(s) => {
            let head: String = s.chars().take(PREVIEW + 1).collect();
            format!("{head:?}")
        }
        super::Value::List(items) if items.len() > 8 => format!("a list of {} items", items.len()),
        super::Value::Object(map) if map.len() > 8 => format!("an object of {} members", map.len()),
        other => other.to_text(),
    };
    if text.chars().count() > PREVIEW {
        let cut: String = text.chars().take(PREVIEW - 3).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The message of a run stopped by its deadline.
pub(crate) fn time_limit_message(timeout: std::time::Duration) -> String {
    format!(
        "time limit of {} exceeded (the run's wall-clock deadline)",
        Seconds(timeout)
    )
}

/// A duration as the limit message shows it: `30 s`, `0.5 s`.
struct Seconds(std::time::Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.as_secs_f64();
        if secs.fract() == 0.0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{secs} s")
        }
    }
}
