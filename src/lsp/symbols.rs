//! The outline (one symbol per action) and workspace symbols (every
//! action of the open documents and of the `.script` files under the
//! workspace folders).

use lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, Location, SymbolInformation,
    SymbolKind, WorkspaceSymbolParams, WorkspaceSymbolResponse,
};

use super::documents::{Document, DocumentKind, ScriptView};
use super::session::Session;
use crate::Span;

/// Files read for workspace symbols, at most (the open ones come first).
const MAX_WORKSPACE_FILES: usize = 2_000;
/// Bytes of one file read for workspace symbols, at most.
const MAX_WORKSPACE_FILE_BYTES: u64 = 4 << 20;
/// Symbols answered, at most.
const MAX_WORKSPACE_SYMBOLS: usize = 1_000;
/// Bytes of workspace files read for one query, at most (the open
/// documents are not counted): a query never reads gigabytes.
const MAX_WORKSPACE_BYTES: u64 = 64 << 20;

/// One action as the outline shows it.
struct ActionSymbol {
    id: String,
    detail: String,
    kind: SymbolKind,
    /// The whole action, and its id, in the document's own text.
    span: Span,
    id_span: Span,
}

fn kind_of(action_type: &str) -> SymbolKind {
    match action_type.to_ascii_lowercase().as_str() {
        "begin" | "onanswer" | "onrelease" => SymbolKind::EVENT,
        "end" | "return" => SymbolKind::NULL,
        "runsub" => SymbolKind::MODULE,
        "snippet" => SymbolKind::FUNCTION,
        "if" | "case" | "loop" => SymbolKind::OPERATOR,
        _ => SymbolKind::OBJECT,
    }
}

/// The document's actions, in the order they are written (those that do
/// not parse included, by their id).
fn action_symbols(document: &Document, view: &ScriptView) -> Vec<ActionSymbol> {
    let studio = matches!(document.kind, DocumentKind::Studio(_));
    let mut out: Vec<ActionSymbol> = view
        .parsed
        .ast
        .actions
        .iter()
        .enumerate()
        .map(|(i, action)| {
            let (span, id_span) = if studio {
                let place = view
                    .studio_places
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or_default();
                (place, place)
            } else {
                (action.span, action.id_span)
            };
            let detail = match &action.caption {
                Some(caption) => format!("{} \"{caption}\"", action.action_type),
                None => action.action_type.clone(),
            };
            ActionSymbol {
                id: action.id.clone(),
                detail,
                kind: kind_of(&action.action_type),
                span,
                id_span,
            }
        })
        .collect();
    if !studio {
        for unparsed in &view.parsed.unparsed {
            out.push(ActionSymbol {
                id: unparsed.id.clone(),
                detail: "(does not parse)".into(),
                kind: SymbolKind::OBJECT,
                span: unparsed.id_span,
                id_span: unparsed.id_span,
            });
        }
        out.sort_by_key(|s| s.id_span.start);
    }
    out
}

/// `textDocument/documentSymbol`: one symbol per action.
pub fn document(
    session: &Session,
    params: &DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let document = session.documents.get(&params.text_document.uri)?;
    let view = document.view();
    let symbols = action_symbols(document, &view)
        .into_iter()
        .map(|s| {
            let range = document.lines.range(&document.text, s.span);
            let selection = document.lines.range(&document.text, s.id_span);
            #[allow(deprecated)]
            DocumentSymbol {
                name: s.id,
                detail: Some(s.detail),
                kind: s.kind,
                tags: None,
                deprecated: None,
                range,
                selection_range: selection,
                children: None,
            }
        })
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}

/// `workspace/symbol`: actions whose id holds the query (ignoring case),
/// from the open documents, then the `.script` files under the workspace.
pub fn workspace(
    session: &Session,
    params: &WorkspaceSymbolParams,
) -> Option<WorkspaceSymbolResponse> {
    let query = params.query.to_lowercase();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let push = |document: &Document, out: &mut Vec<SymbolInformation>| {
        let view = document.view();
        for s in action_symbols(document, &view) {
            if out.len() >= MAX_WORKSPACE_SYMBOLS {
                return;
            }
            if !s.id.to_lowercase().contains(&query) {
                continue;
            }
            #[allow(deprecated)]
            out.push(SymbolInformation {
                name: s.id,
                kind: s.kind,
                tags: None,
                deprecated: None,
                location: Location::new(
                    document.uri.clone(),
                    document.lines.range(&document.text, s.id_span),
                ),
                container_name: Some(s.detail),
            });
        }
    };
    for document in session.documents.values() {
        seen.insert(document.path.clone());
        push(document, &mut out);
    }
    let mut budget = MAX_WORKSPACE_BYTES;
    for path in script_files(&session.roots) {
        if seen.contains(&Some(path.clone())) {
            continue;
        }
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        if size > budget {
            break;
        }
        budget -= size;
        let Ok(text) = crate::files::read_text(&path, MAX_WORKSPACE_FILE_BYTES) else {
            continue;
        };
        let Ok(uri) = lsp_types::Url::from_file_path(&path) else {
            continue;
        };
        let document = Document::new(uri, "studioflow", 0, text, session.encoding);
        push(&document, &mut out);
    }
    Some(WorkspaceSymbolResponse::Flat(out))
}

/// The `.script` files under `roots` (hidden folders and `target` skipped),
/// at most [`MAX_WORKSPACE_FILES`].
fn script_files(roots: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = roots.to_vec();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if out.len() >= MAX_WORKSPACE_FILES {
                return out;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    stack.push(entry.path());
                }
            } else if kind.is_file() && name.ends_with(".script") {
                out.push(entry.path());
            }
        }
    }
    out
}
