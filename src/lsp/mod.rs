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
