//! Completion (being written).

use lsp_types::{CompletionParams, CompletionResponse};

use super::session::Session;

/// `textDocument/completion`.
pub fn completion(_session: &Session, _params: &CompletionParams) -> Option<CompletionResponse> {
    None
}
