//! [`ActionError`]: why an action failed (its one-line text becomes `_ERR`).

use thiserror::Error;

use crate::permissions::ApiError;
use crate::runtime::{RuntimeError, Value};

/// Why an action failed. Its one-line text becomes `_ERR`.
///
/// ```
/// use studioflow::ActionError;
/// assert_eq!(ActionError::failed("no route").to_string(), "no route");
/// ```
#[derive(Debug, Clone, Error)]
#[non_exhaustive]
pub enum ActionError {
    /// A property's expression failed.
    #[error("{property}: {source}")]
    Property {
        /// The property.
        property: String,
        /// What went wrong.
        source: RuntimeError,
    },
    /// A property's value is not what the action accepts.
    #[error("{property}: expected {expected}, got {got}")]
    InvalidProperty {
        /// The property.
        property: String,
        /// What it accepts.
        expected: String,
        /// What it was given, abbreviated.
        got: String,
    },
    /// A required property a handler reads by name was left out.
    #[error("{property}: missing")]
    MissingProperty {
        /// The property.
        property: String,
    },
    /// A handler read a property its schema does not declare (a host bug).
    #[error("{action_type} has no property `{property}`")]
    UnknownProperty {
        /// The action type.
        action_type: String,
        /// The name the handler asked for.
        property: String,
    },
    /// A time zone name that is not in the IANA database.
    #[error("unknown time zone {name:?}")]
    UnknownTimeZone {
        /// The name given.
        name: String,
    },
    /// A handler asked for a branch by a name its schema does not declare
    /// ([`crate::ActionCall::branch`]; a host bug).
    #[error("{action_type} has no branch `{branch}`")]
    UnknownBranch {
        /// The action type.
        action_type: String,
        /// The name the handler asked for.
        branch: String,
    },
    /// A handler returned a branch its schema does not declare (a host bug).
    #[error("{action_type} returned a branch it does not declare")]
    UndeclaredBranch {
        /// The action type.
        action_type: String,
    },
    /// A value the action produced is over the engine's size limits; it was
    /// not stored.
    #[error("the result for `{variable}` is refused: {source}")]
    OversizedResult {
        /// The variable it was meant for.
        variable: String,
        /// Which limit it passed.
        source: RuntimeError,
    },
    /// The permission model refused or failed the call.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// Anything else, in one line.
    #[error("{0}")]
    Failed(String),
}

impl ActionError {
    /// A failure with a message.
    ///
    /// ```
    /// assert_eq!(studioflow::ActionError::failed("queue closed").to_string(), "queue closed");
    /// ```
    pub fn failed(message: impl Into<String>) -> Self {
        ActionError::Failed(message.into())
    }
    /// A property value the action does not accept; `got` is abbreviated.
    ///
    /// ```
    /// use studioflow::{ActionError, Value};
    /// let e = ActionError::invalid("Repeat", "a whole number >= 0", &Value::from("x"));
    /// assert_eq!(e.to_string(), r#"Repeat: expected a whole number >= 0, got "x""#);
    /// ```
    pub fn invalid(property: &str, expected: &str, got: &Value) -> Self {
        ActionError::InvalidProperty {
            property: property.to_string(),
            expected: expected.to_string(),
            got: crate::runtime::error::shown(got),
        }
    }
    /// The condensed one-line text stored in `_ERR`.
    ///
    /// ```
    /// assert_eq!(studioflow::ActionError::failed("a\n  b").one_line(), "a b");
    /// ```
    pub fn one_line(&self) -> String {
        let text = self.to_string();
        if text.contains(['\n', '\r']) {
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            text
        }
    }
}
