//! Go to definition, find references, rename an action id.
//!
//! - a branch target → its action; a RunSub `ScriptName` → the subscript
//!   file (`NAME.script`, `.json` or `.xml` beside the script, `\` read as
//!   a folder separator, as the file resolver reads it); a variable → its
//!   first write (an output property, a Snippet assignment);
//! - references of an action (its id and every branch naming it) or of a
//!   variable (every read and write);
//! - renaming an action id edits its id, every branch naming it, and the
//!   ids in the test file beside the script (`NAME.test.toml`: mocks,
//!   `path`, `visits`, `not_visits`, `end`); snapshots are left for
//!   `studioflow test --update`, and the server says so.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    GotoDefinitionParams, GotoDefinitionResponse, Location, PrepareRenameResponse, Range,
    ReferenceParams, RenameParams, TextDocumentPositionParams, TextEdit, Url, WorkspaceEdit,
};
use serde::Deserialize;

use super::documents::{Document, DocumentKind, ScriptView};
use super::index::ScriptIndex;
use super::session::Session;
use super::text::LineIndex;
use crate::Span;

/// What the cursor is on, for navigation.
enum Name {
    /// An action id: its own id or a branch target naming it.
    Action(String),
    /// A variable.
    Variable(String),
}

/// What is at `offset`, and where that word is written.
fn name_at(view: &ScriptView, index: &ScriptIndex, offset: usize) -> Option<(Name, Span)> {
    if let Some(action) = view
        .parsed
        .ast
        .actions
        .iter()
        .find(|a| a.id_span.start <= offset && offset <= a.id_span.end)
    {
        return Some((Name::Action(action.id.clone()), action.id_span));
    }
    if let Some(target) = index.target_at(offset) {
        return Some((Name::Action(target.target.clone()), target.span));
    }
    let variable = index.variable_at(offset)?;
    Some((Name::Variable(variable.name.clone()), variable.span))
}

fn location(document: &Document, span: Span) -> Location {
    Location::new(
        document.uri.clone(),
        document.lines.range(&document.text, span),
    )
}

/// `textDocument/definition`.
pub fn definition(
    session: &Session,
    params: &GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let at = &params.text_document_position_params;
    let (document, view, offset) = session.at(&at.text_document.uri, at.position)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    let index = session.index(document);
    if let Some(target) = index.target_at(offset) {
        let action = view
            .parsed
            .ast
            .actions
            .iter()
            .find(|a| a.id == target.target)?;
        return Some(GotoDefinitionResponse::Scalar(location(
            document,
            action.id_span,
        )));
    }
    if let Some(subscript) = index.subscript_at(offset) {
        let file = subscript_file(document.path.as_deref()?, &subscript.name)?;
        let uri = Url::from_file_path(file).ok()?;
        return Some(GotoDefinitionResponse::Scalar(Location::new(
            uri,
            Range::default(),
        )));
    }
    let variable = index.variable_at(offset)?;
    let first = index.first_write(&variable.name)?;
    Some(GotoDefinitionResponse::Scalar(location(
        document, first.span,
    )))
}

/// The file a RunSub's script name resolves to, beside `script`.
fn subscript_file(script: &Path, name: &str) -> Option<PathBuf> {
    let folder = script.parent()?;
    let relative: PathBuf = name.trim().split(['\\', '/']).collect();
    let plain = folder.join(&relative);
    let mut candidates = Vec::new();
    if plain.extension().is_some() {
        candidates.push(plain.clone());
    }
    for extension in ["script", "json", "xml"] {
        let mut with = plain.clone().into_os_string();
        with.push(".");
        with.push(extension);
        candidates.push(PathBuf::from(with));
    }
    candidates.into_iter().find(|c| c.is_file())
}

/// `textDocument/references`.
pub fn references(session: &Session, params: &ReferenceParams) -> Option<Vec<Location>> {
    let at = &params.text_document_position;
    let (document, view, offset) = session.at(&at.text_document.uri, at.position)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    let index = session.index(document);
    let (name, _) = name_at(&view, &index, offset)?;
    let mut spans = Vec::new();
    match name {
        Name::Action(id) => {
            if params.context.include_declaration {
                spans.extend(
                    view.parsed
                        .ast
                        .actions
                        .iter()
                        .filter(|a| a.id == id)
                        .map(|a| a.id_span),
                );
            }
            spans.extend(
                index
                    .targets
                    .iter()
                    .filter(|t| t.target == id)
                    .map(|t| t.span),
            );
        }
        Name::Variable(variable) => {
            spans.extend(
                index
                    .variables
                    .iter()
                    .filter(|v| {
                        v.name == variable && (params.context.include_declaration || !v.write)
                    })
                    .map(|v| v.span),
            );
        }
    }
    spans.sort_by_key(|s| s.start);
    Some(spans.into_iter().map(|s| location(document, s)).collect())
}

/// `textDocument/prepareRename`: action ids only (their id or a branch
/// naming an action of the script).
pub fn prepare_rename(
    session: &Session,
    params: &TextDocumentPositionParams,
) -> Option<PrepareRenameResponse> {
    let (document, view, offset) = session.at(&params.text_document.uri, params.position)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    match name_at(&view, &session.index(document), offset)? {
        (Name::Action(id), span) if view.parsed.ast.actions.iter().any(|a| a.id == id) => {
            Some(PrepareRenameResponse::RangeWithPlaceholder {
                range: document.lines.range(&document.text, span),
                placeholder: id,
            })
        }
        _ => None,
    }
}

/// `textDocument/rename` of an action id.
pub fn rename(session: &Session, params: &RenameParams) -> Result<Option<WorkspaceEdit>, String> {
    let at = &params.text_document_position;
    let Some((document, view, offset)) = session.at(&at.text_document.uri, at.position) else {
        return Ok(None);
    };
    if document.kind != DocumentKind::Script {
        return Err(
            "rename works in .script files (a Studio file is renamed in Studio, or imported first)"
                .into(),
        );
    }
    let index = session.index(document);
    let old = match name_at(&view, &index, offset) {
        Some((Name::Action(id), _)) if view.parsed.ast.actions.iter().any(|a| a.id == id) => id,
        Some((Name::Variable(_), _)) => return Err(
            "only action ids can be renamed (variables may be shared with the host and subscripts)"
                .into(),
        ),
        _ => return Err("no action id here to rename".into()),
    };
    let new = params.new_name.trim();
    if !crate::syntax::is_identifier(new) {
        return Err(format!(
            "`{new}` is not an action id (a letter or `_`, then letters, digits, `_` or `$`)"
        ));
    }
    if new != old && view.parsed.ast.actions.iter().any(|a| a.id == new) {
        return Err(format!("the script already has an action `{new}`"));
    }
    let mut spans: Vec<Span> = view
        .parsed
        .ast
        .actions
        .iter()
        .filter(|a| a.id == old)
        .map(|a| a.id_span)
        .collect();
    spans.extend(
        index
            .targets
            .iter()
            .filter(|t| t.target == old)
            .map(|t| t.span),
    );
    spans.sort_by_key(|s| s.start);
    let edits = spans
        .into_iter()
        .map(|s| TextEdit::new(document.lines.range(&document.text, s), new.to_string()))
        .collect();
    let mut changes = HashMap::from([(document.uri.clone(), edits)]);
    if let Some(path) = document.path.as_deref() {
        if let Some((test_uri, test_edits)) = test_file_edits(session, path, &old, new)? {
            if !test_edits.is_empty() {
                let count = test_edits.len();
                changes.insert(test_uri, test_edits);
                session.messages.borrow_mut().push(format!(
                    "Renamed `{old}` to `{new}` in the script and {count} place(s) of its test file; snapshots are left for `studioflow test --update`."
                ));
            }
        }
    }
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    }))
}

/// A test file's ids, with where each string is written.
#[derive(Deserialize, Default)]
struct TestFile {
    #[serde(default)]
    case: Vec<TestCase>,
}

#[derive(Deserialize, Default)]
struct TestCase {
    #[serde(default)]
    mock: Vec<Mock>,
    #[serde(default)]
    expect: Option<Expect>,
}

#[derive(Deserialize, Default)]
struct Mock {
    #[serde(default)]
    action: Option<toml::Spanned<String>>,
}

#[derive(Deserialize, Default)]
struct Expect {
    #[serde(default)]
    end: Option<toml::Spanned<String>>,
    #[serde(default)]
    path: Vec<toml::Spanned<String>>,
    #[serde(default)]
    visits: Vec<toml::Spanned<String>>,
    #[serde(default)]
    not_visits: Vec<toml::Spanned<String>>,
}

/// The edits renaming `old` in the test file beside `script` (the open
/// document's text when it is open). A test file that does not parse is
/// an error: a rename must not leave it half-done.
fn test_file_edits(
    session: &Session,
    script: &Path,
    old: &str,
    new: &str,
) -> Result<Option<(Url, Vec<TextEdit>)>, String> {
    let Some(stem) = script.file_stem() else {
        return Ok(None);
    };
    let mut name = stem.to_os_string();
    name.push(".test.toml");
    let path = script.with_file_name(name);
    let Ok(uri) = Url::from_file_path(&path) else {
        return Ok(None);
    };
    let (text, lines) = match session.documents.get(&uri) {
        Some(open) => (open.text.clone(), open.lines.clone()),
        None => {
            if !path.is_file() {
                return Ok(None);
            }
            let text = crate::files::read_text(&path, crate::files::DEFAULT_MAX_INPUT_BYTES)
                .map_err(|e| e.to_string())?;
            let lines = LineIndex::new(&text, session.encoding);
            (text, lines)
        }
    };
    let file: TestFile = toml::from_str(&text).map_err(|e| {
        format!(
            "{}: not renamed there, it does not parse: {}",
            path.display(),
            e.message()
        )
    })?;
    let mut spans = Vec::new();
    for case in &file.case {
        spans.extend(case.mock.iter().filter_map(|m| m.action.as_ref()));
        if let Some(expect) = &case.expect {
            spans.extend(expect.end.iter());
            spans.extend(
                expect
                    .path
                    .iter()
                    .chain(&expect.visits)
                    .chain(&expect.not_visits),
            );
        }
    }
    let edits = spans
        .into_iter()
        .filter(|s| s.get_ref() == old)
        .map(|s| {
            let span = s.span();
            TextEdit::new(
                lines.range(&text, Span::new(span.start, span.end)),
                format!("\"{new}\""),
            )
        })
        .collect();
    Ok(Some((uri, edits)))
}
