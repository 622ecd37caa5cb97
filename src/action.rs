//! The action API: schemas, branch ids, handlers and their errors.
//!
//! Built-in actions are registered through exactly this API, the same way a
//! host registers its own (see [`crate::EngineBuilder::register_action`]).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::permissions::ApiError;
use crate::runtime::{ActionCall, RuntimeError, Value};

/// The media types a script can be written for.
///
/// ```
/// use studioflow::ScriptType;
/// assert_eq!("workitem".parse::<ScriptType>().unwrap(), ScriptType::WorkItem);
/// assert_eq!(ScriptType::Sms.to_string(), "SMS");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScriptType {
    /// Generic (the default).
    #[default]
    Generic,
    /// Email.
    Email,
    /// Chat.
    Chat,
    /// Phone.
    Phone,
    /// Voicemail.
    Voicemail,
    /// Work item.
    WorkItem,
    /// SMS.
    Sms,
    /// Digital.
    Digital,
}

impl ScriptType {
    /// Every script type, in the order Studio lists them.
    ///
    /// ```
    /// assert_eq!(studioflow::ScriptType::ALL.len(), 8);
    /// ```
    pub const ALL: [ScriptType; 8] = [
        ScriptType::Generic,
        ScriptType::Email,
        ScriptType::Chat,
        ScriptType::Phone,
        ScriptType::Voicemail,
        ScriptType::WorkItem,
        ScriptType::Sms,
        ScriptType::Digital,
    ];
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
    /// The canonical spelling.
    ///
    /// ```
    /// assert_eq!(studioflow::ScriptType::WorkItem.name(), "WorkItem");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ScriptType::Generic => "Generic",
            ScriptType::Email => "Email",
            ScriptType::Chat => "Chat",
            ScriptType::Phone => "Phone",
            ScriptType::Voicemail => "Voicemail",
            ScriptType::WorkItem => "WorkItem",
            ScriptType::Sms => "SMS",
            ScriptType::Digital => "Digital",
        }
    }
}

impl fmt::Display for ScriptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ScriptType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ScriptType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown script type `{s}`; expected one of {}",
                    ScriptType::ALL.map(ScriptType::name).join(", ")
                )
            })
    }
}

/// A set of script types.
///
/// ```
/// use studioflow::{ScriptType, ScriptTypes};
/// let api = ScriptTypes::ALL.without(ScriptType::Email);
/// assert!(api.contains(ScriptType::Phone) && !api.contains(ScriptType::Email));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptTypes(u8);

impl ScriptTypes {
    /// Every type.
    ///
    /// ```
    /// assert!(studioflow::ScriptTypes::ALL.contains(studioflow::ScriptType::Email));
    /// ```
    pub const ALL: ScriptTypes = ScriptTypes(0xFF);
    /// The types the Studio reference lists for SetSecurityUser and API actions.
    ///
    /// ```
    /// use studioflow::{ScriptType, ScriptTypes};
    /// assert_eq!(ScriptTypes::API.iter().count(), 7);
    /// assert!(!ScriptTypes::API.contains(ScriptType::Email));
    /// ```
    pub const API: ScriptTypes = ScriptTypes(!(1 << ScriptType::Email as u8));
    /// A set of the given types.
    ///
    /// ```
    /// use studioflow::{ScriptType, ScriptTypes};
    /// let voice = ScriptTypes::of(&[ScriptType::Phone, ScriptType::Voicemail]);
    /// assert!(voice.contains(ScriptType::Phone) && !voice.contains(ScriptType::Chat));
    /// ```
    pub fn of(types: &[ScriptType]) -> Self {
        ScriptTypes(types.iter().fold(0, |acc, t| acc | t.bit()))
    }
    /// This set less one type.
    ///
    /// ```
    /// use studioflow::{ScriptType, ScriptTypes};
    /// assert!(!ScriptTypes::ALL.without(ScriptType::Sms).contains(ScriptType::Sms));
    /// ```
    pub fn without(self, t: ScriptType) -> Self {
        ScriptTypes(self.0 & !t.bit())
    }
    /// Membership.
    ///
    /// ```
    /// use studioflow::{ScriptType, ScriptTypes};
    /// assert!(ScriptTypes::of(&[ScriptType::Chat]).contains(ScriptType::Chat));
    /// ```
    pub fn contains(self, t: ScriptType) -> bool {
        self.0 & t.bit() != 0
    }
    /// The members, in Studio's order.
    ///
    /// ```
    /// use studioflow::{ScriptType, ScriptTypes};
    /// let names: Vec<_> = ScriptTypes::of(&[ScriptType::Sms, ScriptType::Chat]).iter().map(|t| t.name()).collect();
    /// assert_eq!(names, ["Chat", "SMS"]);
    /// ```
    pub fn iter(self) -> impl Iterator<Item = ScriptType> {
        ScriptType::ALL
            .into_iter()
            .filter(move |t| self.contains(*t))
    }
}

/// What happens to a property's written expression.
///
/// ```
/// use studioflow::PropertyKind;
/// assert_ne!(PropertyKind::Name, PropertyKind::Template);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// A bare identifier or a string, taken literally, never evaluated.
    Name,
    /// Evaluated; string literals are templates (`"Hi {Name}"`).
    Template,
    /// Evaluated as written.
    Expression,
    /// Names a variable the action writes (a Name resolved to a slot at compile time).
    OutputVariable,
    /// Names a variable the action reads (a Name resolved to a slot at compile time).
    InputVariable,
    /// Snippet code written as a `"""` block, compiled with the script (the
    /// Snippet action's Data). Handlers see no value for it.
    SnippetCode,
    /// Names a script (RunSub's ScriptName), resolved through the engine's
    /// script resolver and compiled with the caller. Handlers see the name.
    Subscript,
}

/// One property of an action's schema.
///
/// ```
/// use studioflow::{PropertyKind, PropertySchema, Value};
/// let p = PropertySchema::optional("TimeZone", PropertyKind::Template).with_default(Value::from("Default"));
/// assert!(!p.required);
/// ```
#[derive(Debug, Clone)]
pub struct PropertySchema {
    /// Canonical name; matched case-insensitively.
    pub name: String,
    /// What happens to its value.
    pub kind: PropertyKind,
    /// Must be written.
    pub required: bool,
    /// The value when not written (for Name and variable kinds, the name).
    pub default: Option<Value>,
}

impl PropertySchema {
    /// A property that must be written.
    ///
    /// ```
    /// use studioflow::{PropertyKind, PropertySchema};
    /// assert!(PropertySchema::required("Agent", PropertyKind::Template).required);
    /// ```
    pub fn required(name: &str, kind: PropertyKind) -> Self {
        PropertySchema {
            name: name.to_string(),
            kind,
            required: true,
            default: None,
        }
    }
    /// A property that may be left out.
    ///
    /// ```
    /// use studioflow::{PropertyKind, PropertySchema};
    /// let p = PropertySchema::optional("Query", PropertyKind::Template);
    /// assert!(!p.required && p.default.is_none());
    /// ```
    pub fn optional(name: &str, kind: PropertyKind) -> Self {
        PropertySchema {
            name: name.to_string(),
            kind,
            required: false,
            default: None,
        }
    }
    /// Sets the value used when the property is left out.
    ///
    /// ```
    /// use studioflow::{PropertyKind, PropertySchema, Value};
    /// let p = PropertySchema::optional("CounterName", PropertyKind::OutputVariable).with_default(Value::from("counter"));
    /// assert_eq!(p.default, Some(Value::from("counter")));
    /// ```
    pub fn with_default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }
}

/// Identifies a branch, resolved at compile time: the handler returns one and
/// the executor follows a precomputed slot.
///
/// ```
/// use studioflow::BranchId;
/// assert_eq!(BranchId::own(0), BranchId::own(0));
/// assert_ne!(BranchId::DEFAULT, BranchId::own(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BranchId(pub(crate) u32);

pub(crate) const LABEL_BASE: u32 = 1 << 31;

impl BranchId {
    /// The Default branch.
    ///
    /// ```
    /// assert_eq!(studioflow::ActionSchema::new("X").branch_name(studioflow::BranchId::DEFAULT), Some("Default"));
    /// ```
    pub const DEFAULT: BranchId = BranchId(0);
    /// The Error branch (taken by the executor when a handler returns an error).
    ///
    /// ```
    /// assert_eq!(studioflow::ActionSchema::new("X").branch_name(studioflow::BranchId::ERROR), Some("Error"));
    /// ```
    pub const ERROR: BranchId = BranchId(1);
    /// The action's own branch number `n`, in the order the schema declares them.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId};
    /// let schema = ActionSchema::new("If").branch("True").branch("False");
    /// assert_eq!(schema.branch_name(BranchId::own(1)), Some("False"));
    /// ```
    pub const fn own(n: u32) -> BranchId {
        BranchId(2 + n)
    }
    /// The `n`th labeled branch (`Case "x" -> ...`), in source order.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId};
    /// let schema = ActionSchema::new("Case").labeled_branch("Case");
    /// assert_eq!(schema.branch_name(BranchId::label(3)), Some("Case"));
    /// ```
    pub const fn label(n: u32) -> BranchId {
        BranchId(LABEL_BASE | n)
    }
}

/// The schema of an action type: properties, branches, script types, traits.
///
/// ```
/// use studioflow::{ActionSchema, PropertyKind, PropertySchema};
/// let schema = ActionSchema::new("Greet")
///     .property(PropertySchema::required("Name", PropertyKind::Template))
///     .branch("Vip");
/// assert_eq!(schema.branches, vec!["Vip".to_string()]);
/// ```
#[derive(Debug, Clone)]
pub struct ActionSchema {
    /// Canonical type name; matched case-insensitively.
    pub name: String,
    /// Properties, in the order handlers index them.
    pub properties: Vec<PropertySchema>,
    /// The action's own branches besides Default and Error, in [`BranchId::own`] order.
    pub branches: Vec<String>,
    /// A branch name that takes a literal label per use (`Case "gold" -> x`).
    pub labeled_branch: Option<String>,
    /// Where the action may be used.
    pub script_types: ScriptTypes,
    /// Ends the script (no branches at all), like `End`.
    pub terminal: bool,
    /// Where execution starts (`Begin`); a script has exactly one.
    pub entry: bool,
    /// Can fail for reasons outside the script (API actions): `check` warns
    /// when its Error branch is not connected.
    pub external_failures: bool,
}

impl ActionSchema {
    /// A schema with no properties and only Default and Error branches.
    ///
    /// ```
    /// let s = studioflow::ActionSchema::new("Notify");
    /// assert!(s.properties.is_empty() && !s.terminal && !s.entry);
    /// ```
    pub fn new(name: &str) -> Self {
        ActionSchema {
            name: name.to_string(),
            properties: Vec::new(),
            branches: Vec::new(),
            labeled_branch: None,
            script_types: ScriptTypes::ALL,
            terminal: false,
            entry: false,
            external_failures: false,
        }
    }
    /// Adds a property.
    ///
    /// ```
    /// use studioflow::{ActionSchema, PropertyKind, PropertySchema};
    /// let s = ActionSchema::new("Notify").property(PropertySchema::required("Message", PropertyKind::Template));
    /// assert_eq!(s.properties[0].name, "Message");
    /// ```
    pub fn property(mut self, p: PropertySchema) -> Self {
        self.properties.push(p);
        self
    }
    /// Adds an own branch.
    ///
    /// ```
    /// assert_eq!(studioflow::ActionSchema::new("Loop").branch("Repeat").branches, ["Repeat"]);
    /// ```
    pub fn branch(mut self, name: &str) -> Self {
        self.branches.push(name.to_string());
        self
    }
    /// Allows labeled branches under this name.
    ///
    /// ```
    /// assert_eq!(studioflow::ActionSchema::new("Case").labeled_branch("Case").labeled_branch.as_deref(), Some("Case"));
    /// ```
    pub fn labeled_branch(mut self, name: &str) -> Self {
        self.labeled_branch = Some(name.to_string());
        self
    }
    /// Limits the script types.
    ///
    /// ```
    /// use studioflow::{ActionSchema, ScriptTypes};
    /// assert_eq!(ActionSchema::new("X").script_types(ScriptTypes::API).script_types, ScriptTypes::API);
    /// ```
    pub fn script_types(mut self, types: ScriptTypes) -> Self {
        self.script_types = types;
        self
    }
    /// Marks the action as terminal.
    ///
    /// ```
    /// assert!(studioflow::ActionSchema::new("Hangup").terminal().terminal);
    /// ```
    pub fn terminal(mut self) -> Self {
        self.terminal = true;
        self
    }
    /// Marks the action as the entry point.
    ///
    /// ```
    /// assert!(studioflow::ActionSchema::new("Start").entry().entry);
    /// ```
    pub fn entry(mut self) -> Self {
        self.entry = true;
        self
    }
    /// Marks the action as able to fail for outside reasons.
    ///
    /// ```
    /// assert!(studioflow::ActionSchema::new("CallApi").external_failures().external_failures);
    /// ```
    pub fn external_failures(mut self) -> Self {
        self.external_failures = true;
        self
    }
    /// The canonical name of a branch id, if the schema has it.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId};
    /// assert_eq!(ActionSchema::new("X").branch_name(BranchId::own(0)), None);
    /// ```
    pub fn branch_name(&self, id: BranchId) -> Option<&str> {
        match id.0 {
            0 => Some("Default"),
            1 => Some("Error"),
            n if n & LABEL_BASE != 0 => self.labeled_branch.as_deref(),
            n => self.branches.get((n - 2) as usize).map(String::as_str),
        }
    }
}

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
    /// A run budget ran out inside the action (Snippet's statement budget):
    /// the run stops with outcome limit instead of taking the Error branch.
    #[error("{0}")]
    Limit(String),
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

/// What runs when an action executes.
///
/// Closures `Fn(&mut ActionCall) -> Result<BranchId, ActionError>` implement it.
///
/// ```
/// use studioflow::{ActionCall, ActionError, ActionHandler, BranchId};
/// struct Nothing;
/// impl ActionHandler for Nothing {
///     fn execute(&self, _call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
///         Ok(BranchId::DEFAULT)
///     }
/// }
/// ```
pub trait ActionHandler: Send + Sync {
    /// Runs the action and names the branch to take, or fails.
    fn execute(&self, call: &mut ActionCall<'_>) -> Result<BranchId, ActionError>;
}

impl<F> ActionHandler for F
where
    F: Fn(&mut ActionCall<'_>) -> Result<BranchId, ActionError> + Send + Sync,
{
    fn execute(&self, call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
        self(call)
    }
}
