//! Diagnostics as `check` gives them, placed for the client: the same
//! compile (the project's manifest, RunSub targets read beside the file),
//! each with its code and, for "did you mean", the fix as data a code
//! action offers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{DiagnosticSeverity, NumberOrString, Range};
use serde_json::json;

use super::documents::{Document, DocumentKind, ScriptView};
use crate::manifest::Manifest;
use crate::{CompileOptions, Diagnostic, Engine, FileResolver, Severity, Span};

/// The engines of the projects documents belong to: one per folder a
/// document is in (the nearest `studioflow.toml` above it, read once; none:
/// the built-ins alone). Forgotten when a file is saved or changes on disk,
/// so a keystroke never reads the manifest again.
#[derive(Default)]
pub struct Projects {
    engines: RefCell<HashMap<Option<PathBuf>, BuiltEngine>>,
}

/// An engine, or why the project's manifest gives none.
type BuiltEngine = Result<std::sync::Arc<Engine>, String>;

impl Projects {
    /// The engine for a document at `path`.
    pub fn engine_for(&self, path: Option<&Path>) -> BuiltEngine {
        let folder = path.map(|p| p.parent().unwrap_or(Path::new("")).to_path_buf());
        self.engines
            .borrow_mut()
            .entry(folder)
            .or_insert_with(|| {
                let manifest = match path.map(Manifest::for_script).transpose() {
                    Ok(found) => found.flatten(),
                    Err(e) => return Err(e.to_string()),
                };
                let builder = match &manifest {
                    Some(m) => m.register(crate::EngineBuilder::new()),
                    None => crate::EngineBuilder::new(),
                };
                builder
                    .script_resolver(FileResolver::new(crate::files::DEFAULT_MAX_INPUT_BYTES))
                    .try_build()
                    .map(std::sync::Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// Forgets every engine (a manifest may have changed).
    pub fn forget(&self) {
        self.engines.borrow_mut().clear();
    }
}

/// The library's diagnostics of a document, spans in [`ScriptView::text`].
pub fn check(document: &Document, projects: &Projects) -> Vec<Diagnostic> {
    // The command line's default input bound (`--max-file-size`): a larger
    // document is not compiled on every keystroke.
    let limit = crate::files::DEFAULT_MAX_INPUT_BYTES;
    if document.text.len() as u64 > limit {
        return vec![Diagnostic::new(
            crate::DiagnosticCode::UnreadableFile,
            Span::new(0, 0),
            format!(
                "the document is {} bytes, over the {limit}-byte limit scripts are read with: not checked",
                document.text.len()
            ),
        )];
    }
    // A script is compiled from its own text: the syntax tree the other
    // features read is not built for diagnostics (one parse per change).
    let studio_view = match document.kind {
        DocumentKind::Script => None,
        DocumentKind::Studio(_) => Some(document.view()),
    };
    if studio_view
        .as_ref()
        .is_some_and(|v| v.import_error.is_some())
    {
        return Vec::new();
    }
    let text = studio_view
        .as_ref()
        .map_or(document.text.as_str(), |v| v.text.as_str());
    let engine = match projects.engine_for(document.path.as_deref()) {
        Ok(engine) => engine,
        Err(message) => {
            return vec![Diagnostic::new(
                crate::DiagnosticCode::InvalidManifest,
                Span::new(0, 0),
                message,
            )]
        }
    };
    let diagnostics = match engine.compile_with(text, &document.name(), &CompileOptions::default())
    {
        Ok(script) => script.warnings().clone(),
        Err(diagnostics) => diagnostics,
    }
    .with_input_hint(|name| format!("the script's header: script \"...\" inputs {name}"));
    diagnostics.items().to_vec()
}

/// Diagnostics published for one document, at most: a script with a
/// hundred thousand errors must not send megabytes to the editor on every
/// keystroke.
pub const MAX_PUBLISHED: usize = 1_000;

/// The diagnostics of a document, as the protocol has them.
pub fn publishable(document: &Document, projects: &Projects) -> Vec<lsp_types::Diagnostic> {
    let mut out = Vec::new();
    let studio_view = match document.kind {
        DocumentKind::Script => None,
        DocumentKind::Studio(_) => Some(document.view()),
    };
    if let Some((message, span)) = studio_view.as_ref().and_then(|v| v.import_error.as_ref()) {
        out.push(lsp_types::Diagnostic {
            range: document.lines.range(&document.text, *span),
            severity: Some(DiagnosticSeverity::ERROR),
            code: Some(NumberOrString::String("invalid-studio-file".into())),
            source: Some("studioflow".into()),
            message: message.clone(),
            ..Default::default()
        });
        return out;
    }
    for warning in studio_view.iter().flat_map(|v| &v.import_warnings) {
        out.push(lsp_types::Diagnostic {
            range: Range::default(),
            severity: Some(DiagnosticSeverity::WARNING),
            code: Some(NumberOrString::String("studio-import".into())),
            source: Some("studioflow".into()),
            message: warning.clone(),
            ..Default::default()
        });
    }
    let found = check(document, projects);
    let total = found.len();
    for d in found.into_iter().take(MAX_PUBLISHED) {
        let range = match document.kind {
            DocumentKind::Script => document.lines.range(&document.text, d.span),
            DocumentKind::Studio(_) => match &studio_view {
                Some(view) => studio_range(document, view, d.span),
                None => Range::default(),
            },
        };
        let fix = (document.kind == DocumentKind::Script)
            .then(|| suggested(&d.message))
            .flatten()
            .filter(|_| {
                let written = document.text.get(d.span.start..d.span.end).unwrap_or("");
                crate::syntax::is_identifier(written)
            });
        out.push(lsp_types::Diagnostic {
            range,
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
            }),
            code: Some(NumberOrString::String(d.code.name().into())),
            source: Some("studioflow".into()),
            message: d.message.clone(),
            data: fix.map(|replace| json!({ "replace": replace })),
            ..Default::default()
        });
    }
    if total > MAX_PUBLISHED {
        out.push(lsp_types::Diagnostic {
            range: Range::default(),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("studioflow".into()),
            message: format!(
                "{} more diagnostics not shown (the first {MAX_PUBLISHED} are): `studioflow check` lists them all",
                total - MAX_PUBLISHED
            ),
            ..Default::default()
        });
    }
    out
}

/// The word a message's "(did you mean `x`?)" suggests.
pub fn suggested(message: &str) -> Option<String> {
    let start = message.rfind("(did you mean `")? + "(did you mean `".len();
    let rest = &message[start..];
    let end = rest.find("`?)")?;
    Some(rest[..end].to_string())
}

/// A span of a Studio file's imported text, placed at its action's
/// ActionID in the Studio file (the file's start when not found).
fn studio_range(document: &Document, view: &ScriptView, span: Span) -> Range {
    let place = view
        .action_at(span.start)
        .and_then(|i| view.studio_places.get(i).copied().flatten())
        .unwrap_or_default();
    document.lines.range(&document.text, place)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_suggestion_is_read_from_the_message() {
        assert_eq!(
            super::suggested("unknown branch target `dne` (did you mean `done`?)").as_deref(),
            Some("done")
        );
        assert_eq!(super::suggested("no suggestion here"), None);
    }
}
