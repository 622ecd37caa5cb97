//! Quick fixes: a diagnostic's "did you mean `x`?" as an edit.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, TextEdit, WorkspaceEdit,
};

use super::session::Session;

/// `textDocument/codeAction`: for each of the request's diagnostics that
/// carries a suggestion (see `diagnostics::publishable`), replacing the
/// misspelt word with it.
pub fn actions(session: &Session, params: &CodeActionParams) -> Option<Vec<CodeActionOrCommand>> {
    let document = session.documents.get(&params.text_document.uri)?;
    let mut out = Vec::new();
    for diagnostic in &params.context.diagnostics {
        let Some(replace) = diagnostic
            .data
            .as_ref()
            .and_then(|d| d.get("replace"))
            .and_then(|r| r.as_str())
        else {
            continue;
        };
        if !crate::syntax::is_identifier(replace) {
            continue;
        }
        let edit = TextEdit::new(diagnostic.range, replace.to_string());
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Change to `{replace}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(document.uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            is_preferred: Some(true),
            ..Default::default()
        }));
    }
    Some(out)
}
