//! Completion: every candidate of the right kind for the position (the
//! client filters by what is typed; `isIncomplete` is false). Where the
//! cursor is comes from `cursor`.

use std::sync::Arc;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
    Documentation, InsertTextFormat, MarkupContent, MarkupKind,
};

use super::cursor::{context, word_start, Context};
use super::docs;
use super::documents::{DocumentKind, ScriptView};
use super::index::{ScriptIndex, SnippetDeclarations};
use super::session::Session;
use crate::{ActionSchema, Engine, PropertyKind, ScriptType};

/// `textDocument/completion`.
pub fn completion(session: &Session, params: &CompletionParams) -> Option<CompletionResponse> {
    let position = &params.text_document_position;
    let (document, view, offset) = session.at(&position.text_document.uri, position.position)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    let engine = session
        .projects
        .engine_for(document.path.as_deref())
        .unwrap_or_else(|_| Arc::new(Engine::new()));
    let index = session.index(document);
    let items = items(
        &document.text,
        offset,
        &view,
        &index,
        &engine,
        document.path.as_deref(),
    );
    Some(CompletionResponse::List(CompletionList {
        is_incomplete: false,
        items,
    }))
}

// ------------------------------------------------------------------ items

fn markdown(value: String) -> Option<Documentation> {
    Some(Documentation::MarkupContent(MarkupContent {
        kind: MarkupKind::Markdown,
        value,
    }))
}

fn item(label: &str, kind: CompletionItemKind, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        ..Default::default()
    }
}

fn snippet_item(mut item: CompletionItem, insert: String) -> CompletionItem {
    item.insert_text = Some(insert);
    item.insert_text_format = Some(InsertTextFormat::SNIPPET);
    item
}

/// A name as snippet text (`$`, `}` and `\` escaped).
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '$' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An action type's snippet: its required properties and branches.
pub(crate) fn action_snippet(schema: &ActionSchema, with_id: bool, with_body: bool) -> String {
    let mut n = 1;
    let mut out = String::new();
    if with_id {
        out.push_str("${1:id}: ");
        n = 2;
    }
    out.push_str(&escape(&schema.name));
    if !with_body {
        return out;
    }
    let mut lines = Vec::new();
    for p in schema.properties.iter().filter(|p| p.required) {
        if p.kind == PropertyKind::SnippetCode {
            lines.push(format!("{} = \"\"\"\n\t\t${n}\n\t\"\"\"", escape(&p.name)));
        } else {
            lines.push(format!("{} = ${n}", escape(&p.name)));
        }
        n += 1;
    }
    if !schema.terminal {
        for b in &schema.branches {
            lines.push(format!("{} -> ${n}", escape(b)));
            n += 1;
        }
        if let Some(label) = &schema.labeled_branch {
            lines.push(format!("{} \"${n}\" -> ${}", escape(label), n + 1));
            n += 2;
        }
        lines.push(format!("Default -> ${n}"));
    }
    if lines.is_empty() {
        out
    } else {
        format!("{out} {{\n\t{}\n}}", lines.join("\n\t"))
    }
}

/// The engine's action schemas, one per canonical name.
fn schemas(engine: &Engine) -> Vec<&ActionSchema> {
    let mut out: Vec<&ActionSchema> = Vec::new();
    for schema in engine.action_schemas() {
        if !out.iter().any(|s| s.name == schema.name) {
            out.push(schema);
        }
    }
    out
}

fn schema_of<'e>(engine: &'e Engine, action_type: &str) -> Option<&'e ActionSchema> {
    engine
        .action_schemas()
        .find(|s| s.name.eq_ignore_ascii_case(action_type))
}

fn items(
    text: &str,
    offset: usize,
    view: &ScriptView,
    index: &ScriptIndex,
    engine: &Engine,
    path: Option<&std::path::Path>,
) -> Vec<CompletionItem> {
    let start = word_start(text, offset);
    let declared = std::cell::OnceCell::new();
    let declared = || declared.get_or_init(|| index.snippet_declarations(&view.text));
    match context(text, start) {
        Context::Nothing => Vec::new(),
        Context::ActionType { line_start } => {
            // A body (or a caption) already follows: the type alone.
            let rest = text.get(offset..).unwrap_or("");
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
            let line = rest.lines().next().unwrap_or("").trim_start();
            let with_body = !(line.starts_with('{') || line.starts_with('"'));
            let mut out: Vec<CompletionItem> = schemas(engine)
                .into_iter()
                .map(|schema| {
                    let mut it = item(
                        &schema.name,
                        CompletionItemKind::CLASS,
                        docs::action(&schema.name).unwrap_or("action").to_string(),
                    );
                    it.documentation = markdown(docs::action_markdown(schema));
                    snippet_item(it, action_snippet(schema, line_start, with_body))
                })
                .collect();
            // Before the first action (only comments above): the header.
            if line_start
                && view.parsed.ast.header.is_none()
                && nothing_but_comments(&text[..start])
            {
                let types = ScriptType::ALL.map(ScriptType::name).join(",");
                out.insert(
                    0,
                    snippet_item(
                        item(
                            "script",
                            CompletionItemKind::KEYWORD,
                            "the script's header: its name, type and inputs".into(),
                        ),
                        format!("script \"${{1:name}}\" type ${{2|{types}|}}"),
                    ),
                );
            }
            out
        }
        Context::ScriptType => ScriptType::ALL
            .iter()
            .map(|t| item(t.name(), CompletionItemKind::ENUM, "script type".into()))
            .collect(),
        Context::Entry {
            action_type,
            written,
        } => entries(engine, &action_type, &written),
        Context::Target => targets(view),
        Context::Value {
            action_type,
            property,
            snippet,
        } => {
            let schema = action_type.as_deref().and_then(|t| schema_of(engine, t));
            let property = property.as_deref().and_then(|name| {
                schema?
                    .properties
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name))
            });
            let mut out = Vec::new();
            if let Some(choices) = property.and_then(|p| p.choices.as_ref()) {
                for word in &choices.words {
                    out.push(item(word, CompletionItemKind::ENUM_MEMBER, "word".into()));
                }
            }
            match property.map(|p| p.kind) {
                Some(PropertyKind::Subscript) => out.extend(subscripts(path)),
                Some(
                    PropertyKind::Name | PropertyKind::OutputVariable | PropertyKind::InputVariable,
                ) => out.extend(variables(view, index, engine, declared())),
                _ => {
                    out.extend(variables(view, index, engine, declared()));
                    out.extend(functions(engine, false));
                    if snippet {
                        out.extend(snippet_functions(declared()));
                    }
                    out.extend(literals());
                }
            }
            out
        }
        Context::Method { snippet } => {
            let mut out = functions(engine, true);
            if snippet {
                for (name, detail) in [
                    ("AddHeader", "proxy.AddHeader(name, value)"),
                    (
                        "MakeRestRequest",
                        "proxy.MakeRestRequest(url, body, timeout, verb)",
                    ),
                ] {
                    out.push(snippet_item(
                        item(name, CompletionItemKind::METHOD, detail.into()),
                        format!("{name}($1)"),
                    ));
                }
            }
            out
        }
        Context::Snippet => {
            let mut out: Vec<CompletionItem> = docs::SNIPPET_KEYWORDS
                .iter()
                .map(|(keyword, insert, description)| {
                    let mut it = item(
                        keyword,
                        CompletionItemKind::KEYWORD,
                        "Snippet keyword".into(),
                    );
                    it.documentation = markdown(description.to_string());
                    snippet_item(it, insert.to_string())
                })
                .collect();
            out.extend(variables(view, index, engine, declared()));
            out.extend(functions(engine, false));
            out.extend(snippet_functions(declared()));
            out.extend(literals());
            out
        }
    }
}

/// The script's Snippet FUNCTIONs (visible to every snippet).
fn snippet_functions(declared: &SnippetDeclarations) -> Vec<CompletionItem> {
    let mut out: Vec<CompletionItem> = Vec::new();
    for (name, params, _) in &declared.functions {
        if out.iter().any(|i| &i.label == name) {
            continue;
        }
        let detail = format!("{name}({})", params.join(", "));
        let it = item(name, CompletionItemKind::FUNCTION, detail);
        let insert = if params.is_empty() {
            format!("{}()", escape(name))
        } else {
            format!("{}($1)", escape(name))
        };
        out.push(snippet_item(it, insert));
    }
    out
}

/// Properties not yet written and branch names of an action type.
fn entries(engine: &Engine, action_type: &str, written: &[String]) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    let Some(schema) = schema_of(engine, action_type) else {
        // A type no registry knows (an opaque Studio action): its branches.
        for name in ["Default", "Error"] {
            let it = item(name, CompletionItemKind::EVENT, "branch".into());
            out.push(snippet_item(it, format!("{name} -> $0")));
        }
        return out;
    };
    for p in &schema.properties {
        if written.iter().any(|w| w.eq_ignore_ascii_case(&p.name)) {
            continue;
        }
        let mut it = item(
            &p.name,
            CompletionItemKind::PROPERTY,
            docs::property_detail(p),
        );
        it.documentation = markdown(docs::property_markdown(schema, p));
        let insert = if p.kind == PropertyKind::SnippetCode {
            format!("{} = \"\"\"\n\t$0\n\"\"\"", escape(&p.name))
        } else {
            format!("{} = $0", escape(&p.name))
        };
        out.push(snippet_item(it, insert));
    }
    if !schema.terminal {
        let mut names = vec!["Default".to_string(), "Error".to_string()];
        names.extend(schema.branches.iter().cloned());
        for name in names {
            let mut it = item(
                &name,
                CompletionItemKind::EVENT,
                format!("branch of {}", schema.name),
            );
            it.documentation = docs::branch_markdown(Some(schema), &name).and_then(markdown);
            out.push(snippet_item(it, format!("{} -> $0", escape(&name))));
        }
        if let Some(label) = &schema.labeled_branch {
            let mut it = item(
                label,
                CompletionItemKind::EVENT,
                format!("labelled branch of {}", schema.name),
            );
            it.documentation = docs::branch_markdown(Some(schema), label).and_then(markdown);
            out.push(snippet_item(it, format!("{} \"$1\" -> $0", escape(label))));
        }
    }
    out
}

/// The script's action ids.
fn targets(view: &ScriptView) -> Vec<CompletionItem> {
    let mut out: Vec<CompletionItem> = Vec::new();
    for action in &view.parsed.ast.actions {
        if out.iter().any(|i| i.label == action.id) {
            continue;
        }
        let detail = match &action.caption {
            Some(caption) => format!("{} \"{caption}\"", action.action_type),
            None => action.action_type.clone(),
        };
        out.push(item(&action.id, CompletionItemKind::REFERENCE, detail));
    }
    for unparsed in &view.parsed.unparsed {
        if !out.iter().any(|i| i.label == unparsed.id) {
            let detail =
                written_type(&view.text, unparsed.id_span.end).unwrap_or_else(|| "action".into());
            out.push(item(&unparsed.id, CompletionItemKind::REFERENCE, detail));
        }
    }
    out
}

/// `Type "caption"` as written after an action's id (ending at `at`), for
/// an action that did not parse.
fn written_type(text: &str, at: usize) -> Option<String> {
    let rest = text.get(at..)?.trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let action_type = rest.get(..end).filter(|t| !t.is_empty())?;
    let after = rest.get(end..)?.trim_start();
    let caption = after
        .strip_prefix('"')
        .and_then(|c| Some((c, c.find(['"', '\n', '\\'])?)))
        .filter(|(c, close)| c[*close..].starts_with('"'))
        .map(|(c, close)| &c[..close]);
    Some(match caption {
        Some(caption) => format!("{action_type} \"{caption}\""),
        None => action_type.to_string(),
    })
}

/// The script's type, as its header says (Generic by default).
pub(crate) fn script_type(view: &ScriptView) -> ScriptType {
    view.parsed
        .ast
        .header
        .as_ref()
        .and_then(|h| h.script_type.as_ref())
        .and_then(|(t, _)| t.parse().ok())
        .unwrap_or_default()
}

/// The values written as one of their property's words (`Status = all`):
/// the word's span, the action's schema and the property's name. They are
/// no variables, though the index reads them as such.
pub(crate) fn choice_words<'e>(
    view: &ScriptView,
    engine: &'e Engine,
) -> Vec<(crate::Span, &'e ActionSchema, String)> {
    let mut out = Vec::new();
    for action in &view.parsed.ast.actions {
        let Some(schema) = schema_of(engine, &action.action_type) else {
            continue;
        };
        for property in &action.properties {
            let crate::syntax::ast::ExprKind::Variable(word) = &property.value.kind else {
                continue;
            };
            let words = schema
                .properties
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(&property.name))
                .and_then(|p| p.choices.as_ref());
            if words.is_some_and(|w| w.find(word).is_some()) {
                out.push((property.value.span, schema, property.name.clone()));
            }
        }
    }
    out
}

/// Every variable the script writes or reads, its inputs, the system variables.
fn variables(
    view: &ScriptView,
    index: &ScriptIndex,
    engine: &Engine,
    declared: &SnippetDeclarations,
) -> Vec<CompletionItem> {
    let words = choice_words(view, engine);
    let mut out: Vec<CompletionItem> = Vec::new();
    let mut add = |name: &str, detail: &str| {
        if crate::syntax::is_identifier(name) && !out.iter().any(|i| i.label == name) {
            out.push(item(name, CompletionItemKind::VARIABLE, detail.into()));
        }
    };
    if let Some(header) = &view.parsed.ast.header {
        for (name, _) in &header.inputs {
            add(name, "input (script header)");
        }
    }
    for v in index.variables.iter().filter(|v| v.write) {
        add(&v.name, "variable");
    }
    for name in &declared.variables {
        add(name, "Snippet variable");
    }
    for v in &index.variables {
        if !words.iter().any(|(span, _, _)| *span == v.span) {
            add(&v.name, "variable (read)");
        }
    }
    for name in crate::system_variables(script_type(view)) {
        add(name, "Studio system variable");
    }
    add(crate::ERR_VARIABLE, "the last failure's reason");
    out
}

/// Every function the engine has (as methods after `.`).
fn functions(engine: &Engine, methods: bool) -> Vec<CompletionItem> {
    engine
        .functions()
        .filter(|(name, _, _)| crate::syntax::is_identifier(name))
        .map(|(name, min, max)| {
            let kind = if methods {
                CompletionItemKind::METHOD
            } else {
                CompletionItemKind::FUNCTION
            };
            let mut it = item(name, kind, docs::signature(name, min, max));
            it.documentation = markdown(docs::function_markdown(name, min, max));
            let takes = if methods { max > 1 } else { max > 0 };
            let insert = if takes {
                format!("{}($1)", escape(name))
            } else {
                format!("{}()", escape(name))
            };
            snippet_item(it, insert)
        })
        .collect()
}

fn literals() -> Vec<CompletionItem> {
    ["true", "false", "null"]
        .iter()
        .map(|l| item(l, CompletionItemKind::CONSTANT, "literal".into()))
        .collect()
}

/// True when `text` holds only whitespace and `//` comments.
fn nothing_but_comments(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("//")
    })
}

/// Folders below a script searched for subscripts to offer, at most.
const SUBSCRIPT_DEPTH: usize = 3;
/// Subscripts offered, at most.
const MAX_SUBSCRIPTS: usize = 500;

/// RunSub's `ScriptName`: the `.script` files in the script's folder and
/// the folders below it (as the file resolver names them: the path without
/// `.script`, `/` between folders), the script itself left out.
fn subscripts(script: Option<&std::path::Path>) -> Vec<CompletionItem> {
    let Some(script) = script else {
        return Vec::new();
    };
    let Some(folder) = script.parent() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut stack = vec![(folder.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if found.len() >= MAX_SUBSCRIPTS {
                break;
            }
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if depth < SUBSCRIPT_DEPTH
                    && !name.starts_with('.')
                    && name != "target"
                    && name != "node_modules"
                {
                    stack.push((path, depth + 1));
                }
            } else if kind.is_file() && name.ends_with(".script") && path != script {
                let Ok(relative) = path
                    .with_extension("")
                    .strip_prefix(folder)
                    .map(|p| p.to_path_buf())
                else {
                    continue;
                };
                let shown: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.push(shown.join("/"));
            }
        }
    }
    found.sort();
    found
        .into_iter()
        .filter(|name| !name.contains(['"', '\\', '{', '}']))
        .map(|name| {
            let mut it = item(&name, CompletionItemKind::FILE, "subscript".into());
            it.insert_text = Some(format!("\"{name}\""));
            it
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::cursor::{context, word_start, Context};

    fn at(text: &str) -> Context {
        let offset = text.find('|').unwrap();
        let text = text.replacen('|', "", 1);
        context(&text, word_start(&text, offset))
    }

    #[test]
    fn contexts_are_read_from_the_text_before_the_cursor() {
        assert_eq!(at("a: |"), Context::ActionType { line_start: false });
        assert_eq!(at("a: End\n|"), Context::ActionType { line_start: true });
        assert_eq!(at("script \"x\" type |"), Context::ScriptType);
        assert!(
            matches!(at("a: Assign { Variable = x\n  De|"), Context::Entry { ref written, .. } if written == &["Variable"])
        );
        assert_eq!(at("a: Assign { Default -> |"), Context::Target);
        assert!(
            matches!(at("a: Assign { Value = |"), Context::Value { property: Some(ref p), .. } if p == "Value")
        );
        assert!(matches!(
            at("a: Assign { Value = \"x {up|"),
            Context::Value { property: None, .. }
        ));
        assert_eq!(at("a: Assign { Value = \"x |"), Context::Nothing);
        assert_eq!(at("a: Assign \"cap|"), Context::Nothing);
        assert_eq!(at("a: Assign { // Va|"), Context::Nothing);
        assert_eq!(
            at("a: Assign { Value = x.|"),
            Context::Method { snippet: false }
        );
        assert_eq!(
            at("a: Snippet { Data = \"\"\"\n  IF x { |"),
            Context::Snippet
        );
        assert_eq!(
            at("a: Snippet { Data = \"\"\"\n  y = x.|"),
            Context::Method { snippet: true }
        );
        assert!(matches!(
            at("a: Snippet { Data = \"\"\"\n  y = upper(|"),
            Context::Value { .. }
        ));
        assert!(matches!(
            at("a: Snippet { Data = \"\"\" x = 1 \"\"\"\n  |"),
            Context::Entry { .. }
        ));
        assert_eq!(at("a: Case { Value = x Case |"), Context::Nothing);
        assert!(matches!(
            at("a: Assign { Value = x studio { ActionID = 3 }\n|"),
            Context::Entry { .. }
        ));
        // A body never closed, then the next action's `id:`.
        assert_eq!(
            at("a: Assign {\n  Value = x\nb: |"),
            Context::ActionType { line_start: false }
        );
        // A datetime, a `$"..."` and a `'...'` string are strings.
        assert!(matches!(
            at("a: If { Expression = #\"01/02/2023\" = $\"{x}\" & 'a' = |"),
            Context::Value { .. }
        ));
        assert_eq!(at("a: If { Expression = $\"a |"), Context::Nothing);
    }

    #[test]
    fn every_position_of_every_example_script_has_a_context_and_items() {
        let mut positions = 0;
        crate::lsp::each_example_position(|path, document, view, index, engine, offset| {
            let _ = super::items(&document.text, offset, view, index, engine, Some(path));
            positions += 1;
        });
        assert!(positions > 1000, "{positions}");
    }
}
