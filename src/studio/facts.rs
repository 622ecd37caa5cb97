//! Facts about Studio's files that the readers, the studio-block checks
//! and the writers share: the bounds, the fields and elements the readers
//! map, what a LibraryID and a coordinate look like, which characters XML
//! can hold. A leaf: it imports nothing of the studio layer.

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

/// A canvas coordinate as the readers take it: an integer, or a number
/// with a fraction (web-canvas positions) rounded, within ±10^15.
pub fn coordinate(text: &str) -> Option<i64> {
    let t = text.trim();
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.round() as i64)
    })
}

/// Whether XML 1.0 can hold `c` (its `Char` production): not the C0
/// controls other than tab, LF and CR, nor U+FFFE and U+FFFF, not even
/// as a character reference.
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `text` XML 1.0 cannot hold, as `U+0001`.
pub fn not_xml(text: &str) -> Option<String> {
    text.chars()
        .find(|&c| !xml_char(c))
        .map(|c| format!("U+{:04X}", c as u32))
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
