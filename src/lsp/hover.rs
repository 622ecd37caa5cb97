//! Hover (being written).

use lsp_types::{Hover, HoverParams};

use super::session::Session;

/// `textDocument/hover`.
pub fn hover(_session: &Session, _params: &HoverParams) -> Option<Hover> {
    None
}
