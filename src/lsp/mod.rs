//! `studioflow lsp`: a language server for `.script` files and Studio's own
//! (`.json`, `.xml`), over the Language Server Protocol 3.17.
//!
//! Everything it says comes from the library: diagnostics are `check`'s
//! (the same compile, the project's manifest), formatting is `fmt`'s, the
//! outline and navigation read the parser's syntax tree (with recovery, so
//! a half-typed action does not hide the others), completion and hover read
//! the engine's action schemas and function table. No second parser,
//! checker or formatter.
//!
//! ```no_run
//! // What `studioflow lsp` does: serve the client on stdin/stdout.
//! studioflow::lsp::serve_stdio().unwrap();
//! ```

mod capabilities;
mod code_actions;
mod completion;
mod cursor;
mod diagnostics;
mod docs;
mod documents;
mod error;
mod folding;
mod formatting;
mod hover;
mod index;
mod navigation;
mod semantic;
mod server;
mod session;
mod symbols;
mod text;

pub use error::LspError;
pub use server::{serve, serve_stdio};
pub use text::{Encoding, LineIndex};

/// For the features' unit tests: every character boundary of every
/// `scripts/*.script`, with the document, its view and index, and the
/// built-in engine.
#[cfg(test)]
pub(crate) fn each_example_position(
    mut visit: impl FnMut(
        &std::path::Path,
        &documents::Document,
        &documents::ScriptView,
        &index::ScriptIndex,
        &crate::Engine,
        usize,
    ),
) {
    let engine = crate::Engine::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "script") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let uri = lsp_types::Url::parse("file:///x.script").unwrap();
        let document = documents::Document::new(uri, "studioflow", 1, text, Encoding::Utf16);
        let view = document.view();
        let index = index::ScriptIndex::new(&view, &engine);
        for offset in (0..=document.text.len()).filter(|i| document.text.is_char_boundary(*i)) {
            visit(&path, &document, &view, &index, &engine, offset);
        }
    }
}
