//! `.script` text written as Studio's own files: CXone Studio JSON (the
//! format NICE's GitHub sync stores, [`ExportFormat::Json`]) or Desktop
//! Studio XML ([`ExportFormat::Xml`]).
//!
//! What an import kept in `studio { ... }` blocks (ActionIDs, positions,
//! LibraryIDs, properties studioflow does not simulate, Studio's exact
//! text of a value, unknown fields and elements) is written back, so
//! `export(import(x))` keeps every action, caption, property value, branch,
//! position and unknown element of `x`. For a script written by hand,
//! ActionIDs are numbered in source order, positions come from the
//! caller's layout (the graph module's), LibraryIDs from the action table.
//!
//! ```
//! use studioflow::export::{export, ExportFormat, Positions};
//! let text = "script \"Hello\" type Phone\nstart: Begin { Default -> bye }\nbye: End \"Goodbye\"";
//! let json = export(text, &Positions::default(), ExportFormat::Json).unwrap();
//! assert!(json.contains("\"name\": \"END\""));
//! let back = studioflow::studio::import_json(&json, "Hello").unwrap();
//! assert!(back.text.contains("Goodbye: End \"Goodbye\""));
//! ```

mod error;
mod json;
mod model;
mod xml;

use std::collections::HashMap;

pub use error::ExportError;
pub use model::build;

/// Which of Studio's formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CXone Studio JSON (`{header, actions, properties, branches}`).
    Json,
    /// Desktop Studio XML (`<ScriptContainer>`, CRLF).
    Xml,
}

/// Canvas positions for actions without one, by action id (the graph
/// module's layout, for scripts written by hand).
pub type Positions = HashMap<String, (i64, i64)>;

/// Writes `.script` text as a Studio file.
pub fn export(
    source: &str,
    positions: &Positions,
    format: ExportFormat,
) -> Result<String, ExportError> {
    let ast = crate::syntax::parse_script(source).map_err(ExportError::Syntax)?;
    let script = build(&ast, source, positions)?;
    Ok(match format {
        ExportFormat::Json => json::write(&script),
        ExportFormat::Xml => xml::write(&script).map_err(|u| match u.action {
            Some(id) => ExportError::Action {
                id,
                message: u.message,
            },
            None => ExportError::NotXml(u.message),
        })?,
    })
}
