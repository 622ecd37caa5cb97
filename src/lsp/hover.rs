//! Hover: what the word under the cursor is, from the engine's schemas and
//! function table and the script's own names (Markdown, with its range).

use std::sync::Arc;

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use super::completion::script_type;
use super::cursor::{is_word_byte, word_start};
use super::docs;
use super::documents::{Document, DocumentKind, ScriptView};
use super::index::ScriptIndex;
use super::session::Session;
use crate::{Engine, Span};

/// `textDocument/hover`.
pub fn hover(session: &Session, params: &HoverParams) -> Option<Hover> {
    let position = &params.text_document_position_params;
    let (document, view, offset) = session.at(&position.text_document.uri, position.position)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    let text = &document.text;
    let (start, end) = word_around(text, offset);
    if start == end {
        return None;
    }
    let engine = session
        .projects
        .engine_for(document.path.as_deref())
        .unwrap_or_else(|_| Arc::new(Engine::new()));
    let index = session.index(document);
    let (value, span) = describe(document, &view, &index, &engine, Span::new(start, end))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(document.lines.range(text, span)),
    })
}

/// The identifier around byte `offset` (empty when there is none).
fn word_around(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let start = word_start(text, offset);
    let mut end = offset;
    while end < bytes.len() && is_word_byte(bytes[end]) {
        end += 1;
    }
    (start, end)
}

fn inside(span: Span, word: Span) -> bool {
    span.start <= word.start && word.end <= span.end && span.start < span.end
}

/// What the word is, and the span the hover covers.
fn describe(
    document: &Document,
    view: &ScriptView,
    index: &ScriptIndex,
    engine: &Engine,
    word: Span,
) -> Option<(String, Span)> {
    let text = &document.text;
    let name = text.get(word.start..word.end)?;
    let bytes = text.as_bytes();
    let in_comment = line_comment_before(text, word.start);
    if in_comment {
        return None;
    }

    // A call (`upper(`) or a method (`.upper`).
    let next = text
        .get(word.end..)
        .and_then(|rest| rest.trim_start().bytes().next());
    let after_dot = word.start > 0 && bytes[word.start - 1] == b'.';
    if next == Some(b'(') || after_dot {
        if let Some((canonical, min, max)) = engine
            .functions()
            .find(|(f, _, _)| f.eq_ignore_ascii_case(name))
        {
            return Some((docs::function_markdown(canonical, min, max), word));
        }
        let declared = index.snippet_declarations(text);
        if let Some((name, params, span)) = declared.functions.iter().find(|(f, _, _)| f == name) {
            let line = document.lines.position(text, span.start).line + 1;
            let value = format!(
                "```\n{name}({})\n```\n\nA Snippet FUNCTION of this script (line {line}).",
                params.join(", ")
            );
            return Some((value, word));
        }
    }

    // A property's word (`Status = all`), which the index reads as a variable.
    if let Some((span, schema, property)) = super::completion::choice_words(view, engine)
        .into_iter()
        .find(|(span, _, _)| inside(*span, word))
    {
        let p = schema
            .properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(&property))?;
        let value = format!(
            "**{name}**: a word of `{}` (`{}`), taken as written\n\n{}",
            p.name,
            schema.name,
            docs::property_markdown(schema, p)
        );
        return Some((value, span));
    }

    // A variable.
    if let Some(use_) = index
        .variable_at(word.start)
        .filter(|v| inside(v.span, word))
    {
        let name = use_.name.clone();
        return Some((variable_markdown(document, view, index, &name), word));
    }
    if let Some(header) = &view.parsed.ast.header {
        if let Some((input, _)) = header.inputs.iter().find(|(_, s)| inside(*s, word)) {
            return Some((variable_markdown(document, view, index, input), word));
        }
    }

    // Snippet keywords.
    if index.snippets.iter().any(|s| inside(*s, word)) {
        if let Some(line) = docs::snippet_keyword(name) {
            return Some((
                format!("**{}** (Snippet)\n\n{line}", name.to_ascii_uppercase()),
                word,
            ));
        }
        return None;
    }

    // The parts of an action.
    let action = &view.parsed.ast.actions[view.action_at(word.start)?];
    let schema = engine
        .action_schemas()
        .find(|s| s.name.eq_ignore_ascii_case(&action.action_type));
    if inside(action.type_span, word) {
        let value = match schema {
            Some(schema) => docs::action_markdown(schema),
            None => format!(
                "**{}** (action)\n\nA type no registry knows: a Studio action studioflow does not simulate (mock it in a test).",
                action.action_type
            ),
        };
        return Some((value, action.type_span));
    }
    if inside(action.id_span, word) {
        let mut value = format!("**`{}`**: `{}`", action.id, action.action_type);
        if let Some(caption) = &action.caption {
            value.push_str(&format!(" \"{caption}\""));
        }
        if let Some(line) = schema.and_then(|s| docs::action(&s.name)) {
            value.push_str("\n\n");
            value.push_str(line);
        }
        return Some((value, action.id_span));
    }
    for property in &action.properties {
        if inside(property.name_span, word) {
            let p = schema.and_then(|s| {
                s.properties
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(&property.name))
            });
            let value = match (schema, p) {
                (Some(schema), Some(p)) => docs::property_markdown(schema, p),
                (Some(schema), None) => {
                    format!("**{}**: not a property of `{}`", property.name, schema.name)
                }
                (None, _) => format!("**{}**: property", property.name),
            };
            return Some((value, property.name_span));
        }
    }
    for branch in &action.branches {
        if inside(branch.name_span, word) {
            let value = docs::branch_markdown(schema, &branch.name).unwrap_or_else(|| {
                format!(
                    "**{}**: not a branch of `{}`",
                    branch.name, action.action_type
                )
            });
            return Some((value, branch.name_span));
        }
        if inside(branch.target_span, word) {
            let value = match view
                .parsed
                .ast
                .actions
                .iter()
                .find(|a| a.id == branch.target)
            {
                Some(target) => {
                    let line = document.lines.position(text, target.id_span.start).line + 1;
                    let mut value = format!("**`{}`**: `{}`", target.id, target.action_type);
                    if let Some(caption) = &target.caption {
                        value.push_str(&format!(" \"{caption}\""));
                    }
                    value.push_str(&format!(" (line {line})"));
                    value
                }
                None => format!("**`{}`**: no action has this id", branch.target),
            };
            return Some((value, branch.target_span));
        }
    }
    None
}

/// Whether `offset` is after `//` on its line (outside strings, roughly:
/// the quotes before it on the line are balanced).
fn line_comment_before(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let mut start = offset.min(bytes.len());
    while start > 0 && bytes[start - 1] != b'\n' && bytes[start - 1] != b'\r' {
        start -= 1;
    }
    let mut quoted = false;
    let mut i = start;
    while i + 1 < offset {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'/' if !quoted && bytes[i + 1] == b'/' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// What a variable is: where it is first assigned, else where it comes from.
fn variable_markdown(
    document: &Document,
    view: &ScriptView,
    index: &ScriptIndex,
    name: &str,
) -> String {
    let mut lines = Vec::new();
    let input = view
        .parsed
        .ast
        .header
        .as_ref()
        .is_some_and(|h| h.inputs.iter().any(|(n, _)| n == name));
    if input {
        lines.push("an input (script header)".to_string());
    }
    if let Some(write) = index.first_write(name) {
        let line = document
            .lines
            .position(&document.text, write.span.start)
            .line
            + 1;
        match view.action_at(write.span.start) {
            Some(i) => lines.push(format!(
                "first assigned by `{}` (line {line})",
                view.parsed.ast.actions[i].id
            )),
            None => lines.push(format!("first assigned at line {line}")),
        }
    }
    if lines.is_empty()
        && index
            .snippet_declarations(&document.text)
            .variables
            .iter()
            .any(|v| v == name)
    {
        lines.push("a Snippet loop variable, DYNAMIC name or FUNCTION parameter".to_string());
    }
    if lines.is_empty() {
        if crate::system_variables(script_type(view)).contains(&name) {
            lines.push("a Studio system variable".to_string());
        } else if name == crate::ERR_VARIABLE {
            lines.push("set to a one-line reason when an action fails".to_string());
        } else {
            lines.push("never assigned".to_string());
        }
    }
    format!("**`{name}`** (variable)\n\n{}", lines.join("; "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_position_of_every_example_script_hovers_without_failing() {
        let mut described = 0;
        crate::lsp::each_example_position(|_, document, view, index, engine, offset| {
            let (start, end) = super::word_around(&document.text, offset);
            if start == end {
                return;
            }
            let word = crate::Span::new(start, end);
            if let Some((_, span)) = super::describe(document, view, index, engine, word) {
                assert!(span.start <= start && end <= span.end, "{span:?} {word:?}");
                described += 1;
            }
        });
        assert!(described > 1000, "{described}");
    }
}
