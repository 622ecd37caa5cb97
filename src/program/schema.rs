//! Action schemas as data: what compile checks a script against and what
//! the run loop reads (properties, branches, script types, branch ids).
//!
//! Schemas are plain data with no code of the run: they sit in `program`
//! so that compile reads them without importing the action API (handlers,
//! `ActionCall`, `ActionError`), which lives above the runtime.

use std::fmt;
use std::str::FromStr;

use crate::runtime::Value;

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
    /// Words the property takes literally, written bare or quoted (see
    /// [`PropertySchema::with_choices`] and [`PropertySchema::with_keywords`]).
    pub choices: Option<Choices>,
}

/// The words a Template or Expression property takes literally.
///
/// A bare identifier that is one of the words (in any case) is that word,
/// not a variable: `Status = inactive`. A bare identifier that is not one of
/// them is read as a variable, and `check` refuses it when nothing assigns
/// it (it would read as `""`, silently meaning the default). With
/// [`Choices::only`], every value at run time must be one of the words (any
/// case; handlers see the listed spelling) or `""`, which means the same as
/// leaving the property out.
///
/// ```
/// use studioflow::{Engine, PropertyKind, PropertySchema};
/// let status = PropertySchema::optional("Status", PropertyKind::Template)
///     .with_choices(&["active", "inactive", "all"]);
/// assert_eq!(status.choices.as_ref().unwrap().expected(), "active, inactive or all");
/// // The built-in ListAgents declares exactly this: a bare word is taken as written,
/// let engine = Engine::new();
/// let ok = "start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"sysadmin\" Default -> l }\nl: ListAgents { Status = inactive Default -> done Error -> done }\ndone: End";
/// assert!(engine.compile(ok, "ok.script").is_ok());
/// // and a misspelt one, read as a variable nothing assigns, is refused.
/// let typo = ok.replace("= inactive", "= inactiv");
/// let errors = engine.compile(&typo, "typo.script").unwrap_err();
/// assert!(errors.to_string().contains("`inactiv` is not one of active, inactive or all"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    /// The words, in their canonical spelling.
    pub words: Vec<String>,
    /// Only these words (or `""`) are accepted at run time.
    pub only: bool,
}

impl Choices {
    /// The canonical spelling of `text` (trimmed, any case) if it is one of the words.
    ///
    /// ```
    /// let c = studioflow::Choices { words: vec!["Default".into()], only: false };
    /// assert_eq!(c.find(" DEFAULT "), Some("Default"));
    /// assert_eq!(c.find("UTC"), None);
    /// ```
    pub fn find(&self, text: &str) -> Option<&str> {
        let text = text.trim();
        self.words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(text))
            .map(String::as_str)
    }

    /// The words as a message lists them: `a, b or c`.
    ///
    /// ```
    /// let c = studioflow::Choices { words: vec!["name".into(), "description".into()], only: false };
    /// assert_eq!(c.expected(), "name or description");
    /// ```
    pub fn expected(&self) -> String {
        match self.words.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
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
            choices: None,
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
            choices: None,
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
    /// Makes the property a closed set of words (see [`Choices`]): any other
    /// value but `""` fails the action with
    /// `Status: expected active, inactive or all, got "retired"`.
    ///
    /// ```
    /// use studioflow::{PropertyKind, PropertySchema};
    /// let p = PropertySchema::optional("Status", PropertyKind::Template).with_choices(&["active", "all"]);
    /// assert!(p.choices.unwrap().only);
    /// ```
    pub fn with_choices(mut self, words: &[&str]) -> Self {
        self.choices = Some(Choices {
            words: words.iter().map(|w| w.to_string()).collect(),
            only: true,
        });
        self
    }
    /// Lets the property take these words bare (see [`Choices`]) while still
    /// accepting other values, as `TimeZone` takes `Default` or any IANA name.
    ///
    /// ```
    /// use studioflow::{PropertyKind, PropertySchema};
    /// let p = PropertySchema::optional("TimeZone", PropertyKind::Template).with_keywords(&["Default"]);
    /// assert!(!p.choices.unwrap().only);
    /// ```
    pub fn with_keywords(mut self, words: &[&str]) -> Self {
        self.choices = Some(Choices {
            words: words.iter().map(|w| w.to_string()).collect(),
            only: false,
        });
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
    /// The id of the branch named `name` (ignoring case): Default, Error or
    /// one of the action's own; `None` when the schema has no such branch.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId};
    /// let schema = ActionSchema::new("Transfer").branch("Busy");
    /// assert_eq!(schema.branch_id("busy"), Some(BranchId::own(0)));
    /// assert_eq!(schema.branch_id("Error"), Some(BranchId::ERROR));
    /// assert_eq!(schema.branch_id("Idle"), None);
    /// ```
    pub fn branch_id(&self, name: &str) -> Option<BranchId> {
        if name.eq_ignore_ascii_case("Default") {
            return Some(BranchId::DEFAULT);
        }
        if name.eq_ignore_ascii_case("Error") {
            return Some(BranchId::ERROR);
        }
        let n = self
            .branches
            .iter()
            .position(|b| b.eq_ignore_ascii_case(name))?;
        Some(BranchId::own(n as u32))
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
