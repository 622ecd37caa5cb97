//! Studio's own files: CXone Studio JSON (`{header, actions, properties,
//! branches}`, [`json`]) and Desktop Studio XML (`<ScriptContainer>`,
//! [`xml`]) read into a [`StudioScript`] (the file's actions as Studio
//! writes them), the table of the action types studioflow knows
//! ([`table`]), and the model made into `.script` text ([`to_script`]).
//!
//! This layer sits above `syntax` and below `program`: it produces `.script`
//! text, never the compiled program. The text is not formatted here (the
//! formatter is a tool above the engine): `studioflow import` and
//! [`crate::format::format_script`] do that.
//!
//! ```
//! let json = r#"{"header": {"scriptName": "Hello", "mediaType": 4},
//!   "actions": {"1": {"name": "BEGIN", "label": "Start"}, "2": {"name": "END", "label": ""}},
//!   "branches": {"1": [{"to": 2, "type": "default", "label": ""}]}}"#;
//! let imported = studioflow::studio::import_json(json, "Hello").unwrap();
//! assert!(imported.text.contains("Start: Begin"));
//! assert!(imported.text.contains("Default -> END"));
//! ```

mod decode;
mod error;
mod fields;
pub mod json;
pub mod kept;
mod model;
pub mod table;
pub mod to_script;
pub mod values;
pub mod xml;

pub use decode::{decode, StudioFormat};
pub use error::StudioError;
pub use model::{
    ActionExtras, BranchKind, HeaderExtras, Position, PropertyValue, StudioAction, StudioBranch,
    StudioProperty, StudioScript,
};
pub use to_script::Imported;

/// Reads a Desktop Studio XML file's text and writes it as `.script` text
/// (unformatted), as [`import_json`] does.
pub fn import_xml(text: &str, fallback_name: &str) -> Result<Imported, StudioError> {
    let script = xml::parse(text)?;
    to_script::to_script(&script, fallback_name)
}

/// Reads a CXone Studio JSON file's text and writes it as `.script` text
/// (unformatted: see the module documentation). `fallback_name` names the
/// script when the header has no `scriptName`.
pub fn import_json(text: &str, fallback_name: &str) -> Result<Imported, StudioError> {
    let script = json::parse(text)?;
    to_script::to_script(&script, fallback_name)
}

/// Reads a Studio file's bytes (UTF-8, or UTF-16 with a byte-order mark:
/// see [`decode`]) and writes it as `.script` text (unformatted), as
/// [`import_json`] and [`import_xml`] do. Every command that takes a Studio
/// file, and a RunSub that finds one, reads it with this.
///
/// ```
/// use studioflow::studio::{import_bytes, StudioFormat};
/// let json = b"\xEF\xBB\xBF{\"actions\": {\"1\": {\"name\": \"BEGIN\", \"label\": \"Start\"}}}\r\n";
/// let imported = import_bytes(json, StudioFormat::Json, "Main").unwrap();
/// assert!(imported.text.contains("Start: Begin"));
/// let e = import_bytes(b"<ScriptContainer>", StudioFormat::Xml, "Main").unwrap_err();
/// assert!(e.to_string().starts_with("line 1, column 18: not valid XML"), "{e}");
/// ```
pub fn import_bytes(
    bytes: &[u8],
    format: StudioFormat,
    fallback_name: &str,
) -> Result<Imported, StudioError> {
    let text = decode(bytes)?;
    match format {
        StudioFormat::Json => import_json(&text, fallback_name),
        StudioFormat::Xml => import_xml(&text, fallback_name),
    }
}
