//! A Studio script as the file writes it: the intermediate model between
//! Studio's formats and `.script` text.

/// A Studio script read from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StudioScript {
    /// The format it was read from ("CXone Studio JSON", "Desktop Studio XML").
    pub format: String,
    /// `header.scriptName` (its last `\` or `/` segment), when present.
    pub name: Option<String>,
    /// Studio's media type number (`4` is a phone script), when present.
    pub media_type: Option<i64>,
    /// The actions, sorted by ActionID.
    pub actions: Vec<StudioAction>,
    /// What else the file says about the script (kept for export).
    pub header: HeaderExtras,
}

/// What a file says about the script that running it does not use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderExtras {
    /// The script's name as the file writes it (`Support\Phone line`), when
    /// it differs from [`StudioScript::name`].
    pub script_name: Option<String>,
    /// The business unit number.
    pub bus_no: Option<i64>,
    /// JSON `mediaTypeName`.
    pub media_type_name: Option<String>,
    /// The script's own library GUID.
    pub library_id: Option<String>,
    /// XML `UserID`.
    pub user_id: Option<i64>,
    /// XML `ModifyDate`.
    pub modify_date: Option<String>,
    /// Header fields the reader does not know, as a JSON object's text.
    pub json: Option<String>,
    /// Root elements the reader does not know (`LibraryItem`, ...), as
    /// written.
    pub xml: Option<String>,
}

/// What a file says about an action that running it does not use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionExtras {
    /// `DependencyOrder` / `dependencyOrder`.
    pub dependency_order: Option<String>,
    /// `Impl_Type` / `implType`.
    pub impl_type: Option<String>,
    /// JSON `version`.
    pub version: Option<String>,
    /// Fields the reader does not know, as a JSON object's text.
    pub json: Option<String>,
    /// Child elements the reader does not know, as written.
    pub xml: Option<String>,
}

/// One action.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioAction {
    /// Studio's ActionID.
    pub id: i64,
    /// The keyword as the file writes it (`MENU`, `REQAGENT`).
    pub keyword: String,
    /// The caption (JSON `label`); may be empty.
    pub caption: String,
    /// The action type's LibraryID, when present.
    pub library_id: Option<String>,
    /// The properties, by position.
    pub properties: Vec<StudioProperty>,
    /// The connected exits.
    pub branches: Vec<StudioBranch>,
    /// The canvas position, when present.
    pub position: Option<Position>,
    /// What else the file says about it (kept for export).
    pub extras: ActionExtras,
    /// Where the action is in the file (a JSON Pointer), for messages.
    pub origin: String,
}

impl StudioAction {
    /// How many positional properties the file gives (one past the last).
    pub fn property_count(&self) -> usize {
        self.properties
            .iter()
            .map(|p| p.position + 1)
            .max()
            .unwrap_or(0)
    }
}

/// One positional property.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioProperty {
    /// Its position in the action definition (JSON key, XML parameter index).
    pub position: usize,
    /// The name the file gives it, when it gives one.
    pub name: Option<String>,
    /// Its value.
    pub value: PropertyValue,
}

/// A property's value as the file writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A string (numbers and booleans are kept as the text they write).
    Text(String),
    /// A list of strings (BEGIN's `Parameters`).
    List(Vec<String>),
}

impl PropertyValue {
    /// The value as one text (a list's items joined with `,`, as an XML
    /// parameter holds them).
    pub fn text(&self) -> String {
        match self {
            PropertyValue::Text(t) => t.clone(),
            PropertyValue::List(items) => items.join(","),
        }
    }
}

/// One connected exit.
#[derive(Debug, Clone, PartialEq)]
pub struct StudioBranch {
    /// Which exit.
    pub kind: BranchKind,
    /// The target's ActionID.
    pub target: i64,
    /// Where the branch is in the file, for messages.
    pub origin: String,
}

/// The kind of an exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchKind {
    /// The Default exit.
    Default,
    /// A named result branch (`Timeout`, `True`), with its index when given.
    Named {
        /// The name as the file writes it.
        name: String,
        /// The index in the action definition's branch list.
        index: Option<i64>,
    },
    /// A custom case (a Menu digit, a Case value).
    Case(String),
}

/// A canvas position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Desktop canvas X.
    pub x: i64,
    /// Desktop canvas Y.
    pub y: i64,
    /// Web canvas X, when present.
    pub xws: Option<i64>,
    /// Web canvas Y, when present.
    pub yws: Option<i64>,
}
