//! What the server holds between messages, and what every feature asks
//! of it: a document, the byte a position names, the script's names.

use std::collections::HashMap;

use lsp_types::Url;

use super::diagnostics::Projects;
use super::documents::Document;
use super::text::Encoding;

/// What the server holds between messages.
pub struct Session {
    /// The open documents.
    pub documents: HashMap<Url, Document>,
    /// Engines by project.
    pub projects: Projects,
    /// How positions count characters.
    pub encoding: Encoding,
    /// The workspace folders (workspace symbols look there too).
    pub roots: Vec<std::path::PathBuf>,
    /// Messages for the user a request leaves (sent before its response).
    pub messages: std::cell::RefCell<Vec<String>>,
}

impl Session {
    /// A document, the byte a position names in it, and its script view.
    pub fn at(
        &self,
        uri: &Url,
        position: lsp_types::Position,
    ) -> Option<(
        &Document,
        std::sync::Arc<super::documents::ScriptView>,
        usize,
    )> {
        let document = self.documents.get(uri)?;
        let offset = document.lines.offset(&document.text, position);
        Some((document, document.view(), offset))
    }

    /// The names of a document's script (built per request: one pass).
    pub fn index(&self, document: &Document) -> super::index::ScriptIndex {
        let view = document.view();
        match self.projects.engine_for(document.path.as_deref()) {
            Ok(engine) => super::index::ScriptIndex::new(&view, &engine),
            Err(_) => super::index::ScriptIndex::new(&view, &crate::Engine::new()),
        }
    }
}
