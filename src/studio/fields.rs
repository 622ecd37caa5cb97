//! What the readers map and the bounds they keep, shared by the readers
//! ([`super::json`], [`super::xml`]) and by what checks a studio block
//! ([`super::kept`]), which reads kept JSON and XML as the readers do.

/// The highest ActionID: Studio keeps ActionIDs as 32-bit integers, and
/// the JSON header's `nextActionId` (one past the highest) must be one too.
pub const MAX_ACTION_ID: i64 = i32::MAX as i64 - 1;

/// The most positional properties an action may have (positions 0 to
/// 999): far past any action Studio defines, and a bound on what a file
/// naming position 99,999,999 could make the import allocate.
pub const MAX_PROPERTIES: usize = 1000;

/// The most property positions a script's actions may have in all: an
/// action's positions are written out one by one (an opaque action's
/// `Parameters` list, an export's `PropertyCount`), so a file naming only
/// position 999 of many actions, or blocks saying `PropertyCount = 1000`,
/// could otherwise make a small input hundreds of times its size.
pub const MAX_TOTAL_PROPERTIES: usize = 1_000_000;

/// A GUID as Studio writes LibraryIDs (either case, optional braces).
pub fn is_guid(text: &str) -> bool {
    let t = text.trim_start_matches('{').trim_end_matches('}');
    let parts: Vec<&str> = t.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The JSON fields of an action an export writes itself: the reader's own
/// (`studio::json`), which a kept `Json` entry may not hold.
pub const ACTION_FIELDS: &[&str] = &[
    "actionId",
    "libraryId",
    "name",
    "version",
    "label",
    "dependencyOrder",
    "implType",
    "x",
    "y",
    "xws",
    "yws",
];

/// The header fields an export writes itself (`nextActionId` is computed).
pub const HEADER_FIELDS: &[&str] = &[
    "scriptName",
    "busNo",
    "mediaType",
    "mediaTypeName",
    "libraryId",
    "nextActionId",
];

/// The children of `<ActionStruct>` the XML reader maps (any case), which
/// a kept `Xml` entry may not hold.
pub const ACTION_ELEMENTS: &[&str] = &[
    "ActionID",
    "Action",
    "Caption",
    "Parameters",
    "DefaultNextAction",
    "Branches",
    "Cases",
    "X",
    "Y",
    "DependencyOrder",
    "Impl_Type",
    "LibraryID",
    "ExtraInfo",
    "xws",
    "yws",
];

/// The children of `<ScriptContainer>` the XML reader maps.
pub const ROOT_ELEMENTS: &[&str] = &["Actions", "MediaType", "ModifyDate"];
