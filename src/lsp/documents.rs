//! The open documents: their text and version as the client has them, and
//! what the library makes of them (parsed once per version, on demand).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use lsp_types::{TextDocumentContentChangeEvent, Url};

use super::text::{Encoding, LineIndex};
use crate::studio::StudioFormat;
use crate::syntax::ast::{ParsedScript, StudioValue};
use crate::syntax::parse_script_recovering;
use crate::Span;

/// What kind of file a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A `.script` file (or any other text the client calls studioflow).
    Script,
    /// A Studio file, read as the script `studioflow import` would write.
    Studio(StudioFormat),
}

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// As the client names it.
    pub uri: Url,
    /// Its file, for `file:` URIs (RunSub targets, the project's manifest,
    /// the test file beside it).
    pub path: Option<PathBuf>,
    /// Script or Studio file.
    pub kind: DocumentKind,
    /// The client's version of the text.
    pub version: i32,
    /// The text.
    pub text: String,
    /// Its lines.
    pub lines: LineIndex,
    view: OnceLock<Arc<ScriptView>>,
}

/// A document as a script: for a `.script`, its own text; for a Studio
/// file, the imported text, with each action's place in the Studio file.
#[derive(Debug)]
pub struct ScriptView {
    /// The script text the library reads.
    pub text: String,
    /// The syntax tree (with recovery: every action that parses is there).
    pub parsed: ParsedScript,
    /// Why a Studio file could not be imported, and where in the file.
    pub import_error: Option<(String, Span)>,
    /// Warnings of the import.
    pub import_warnings: Vec<String>,
    /// Studio files: for each action of `parsed.ast.actions`, where its
    /// ActionID is written in the Studio file (`None`: not found).
    pub studio_places: Vec<Option<Span>>,
}

impl Document {
    /// A document as opened.
    pub fn new(
        uri: Url,
        language_id: &str,
        version: i32,
        text: String,
        encoding: Encoding,
    ) -> Self {
        let path = (uri.scheme() == "file")
            .then(|| uri.to_file_path().ok())
            .flatten();
        let format = path
            .as_deref()
            .and_then(StudioFormat::of_path)
            .or(match language_id {
                "json" => Some(StudioFormat::Json),
                "xml" => Some(StudioFormat::Xml),
                _ => None,
            });
        let kind = match format {
            Some(format) if language_id != "studioflow" => DocumentKind::Studio(format),
            _ => DocumentKind::Script,
        };
        let lines = LineIndex::new(&text, encoding);
        Document {
            uri,
            path,
            kind,
            version,
            text,
            lines,
            view: OnceLock::new(),
        }
    }

    /// The file name diagnostics and the compiler use.
    pub fn name(&self) -> String {
        match &self.path {
            Some(path) => path.display().to_string(),
            None => self.uri.to_string(),
        }
    }

    /// Applies the client's changes (whole text or ranges, in order).
    pub fn change(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let encoding = self.lines.encoding();
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let span = self.lines.span(&self.text, range);
                    self.text.replace_range(span.start..span.end, &change.text);
                }
            }
            self.lines = LineIndex::new(&self.text, encoding);
        }
        self.version = version;
        self.view = OnceLock::new();
    }

    /// The document as a script (computed once per version).
    pub fn view(&self) -> Arc<ScriptView> {
        self.view
            .get_or_init(|| Arc::new(ScriptView::of(self)))
            .clone()
    }
}

impl ScriptView {
    fn of(document: &Document) -> ScriptView {
        // Over the input bound nothing is parsed (diagnostics say why).
        if document.text.len() as u64 > crate::files::DEFAULT_MAX_INPUT_BYTES {
            return ScriptView {
                parsed: ParsedScript::default(),
                text: String::new(),
                import_error: None,
                import_warnings: Vec::new(),
                studio_places: Vec::new(),
            };
        }
        match document.kind {
            DocumentKind::Script => ScriptView {
                parsed: parse_script_recovering(&document.text),
                text: document.text.clone(),
                import_error: None,
                import_warnings: Vec::new(),
                studio_places: Vec::new(),
            },
            DocumentKind::Studio(format) => studio_view(document, format),
        }
    }

    /// The action whose span holds byte `offset` of [`ScriptView::text`].
    pub fn action_at(&self, offset: usize) -> Option<usize> {
        self.parsed
            .ast
            .actions
            .iter()
            .position(|a| a.span.start <= offset && offset <= a.span.end)
    }
}

fn studio_view(document: &Document, format: StudioFormat) -> ScriptView {
    let stem = document
        .path
        .as_deref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script".into());
    let imported = match format {
        StudioFormat::Json => crate::studio::import_json(&document.text, &stem),
        StudioFormat::Xml => crate::studio::import_xml(&document.text, &stem),
    };
    match imported {
        Err(e) => {
            let span = studio_error_place(&document.text, &e);
            let empty = parse_script_recovering("");
            ScriptView {
                text: String::new(),
                parsed: empty,
                import_error: Some((e.to_string(), span)),
                import_warnings: Vec::new(),
                studio_places: Vec::new(),
            }
        }
        Ok(imported) => {
            let text = crate::format::format_script(&imported.text).unwrap_or(imported.text);
            let parsed = parse_script_recovering(&text);
            let studio_places = parsed
                .ast
                .actions
                .iter()
                .map(|action| {
                    let id = match &action.studio.as_ref()?.get("ActionID")?.value {
                        StudioValue::Number(n) | StudioValue::Text(n) => n.clone(),
                        StudioValue::List(_) => return None,
                    };
                    find_action_id(&document.text, format, &id)
                })
                .collect();
            ScriptView {
                text,
                parsed,
                import_error: None,
                import_warnings: imported.warnings,
                studio_places,
            }
        }
    }
}

/// Where `ActionID` = `id` is written in a Studio file.
fn find_action_id(text: &str, format: StudioFormat, id: &str) -> Option<Span> {
    match format {
        StudioFormat::Xml => {
            let needle = format!("<ActionID>{id}</ActionID>");
            let at = text.find(&needle)?;
            Some(Span::new(at, at + needle.len()))
        }
        StudioFormat::Json => {
            // CXone writes `actionId`; match the key in any case (ASCII
            // lower-casing keeps every byte offset).
            let lower = text.to_ascii_lowercase();
            let mut from = 0;
            while let Some(found) = lower[from..].find("\"actionid\"") {
                let at = from + found;
                let rest = text[at + 10..].trim_start();
                let rest = rest.strip_prefix(':').unwrap_or("").trim_start();
                let rest = rest.strip_prefix('"').unwrap_or(rest);
                if rest.starts_with(id)
                    && !rest[id.len()..].starts_with(|c: char| c.is_ascii_digit())
                {
                    return Some(Span::new(at, at + 10));
                }
                from = at + 10;
            }
            None
        }
    }
}

/// The place a Studio file's error names (its line and column), as a span.
fn studio_error_place(text: &str, error: &crate::studio::StudioError) -> Span {
    let message = error.to_string();
    // "line L, column C: ..." (JSON and XML syntax errors).
    let place = message.strip_prefix("line ").and_then(|rest| {
        let (line, rest) = rest.split_once(", column ")?;
        let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some((line.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
    });
    let Some((line, column)) = place else {
        return Span::new(0, 0);
    };
    let lines = LineIndex::new(text, Encoding::Utf8);
    let start = lines.line_start(text, line.saturating_sub(1));
    let at = crate::diagnostics::floor_char_boundary(text, start + column.saturating_sub(1));
    Span::new(at, at)
}
