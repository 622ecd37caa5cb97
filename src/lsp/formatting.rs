//! Formatting: `fmt`'s layout for the whole document, or for the actions a
//! range touches.

use lsp_types::{DocumentFormattingParams, DocumentRangeFormattingParams, TextEdit};

use super::documents::DocumentKind;
use super::session::Session;
use crate::format::format_script;
use crate::Span;

/// `textDocument/formatting`: one edit replacing what `fmt` changes (none
/// when the text is formatted or does not parse: `fmt` refuses to guess).
pub fn document(session: &Session, params: &DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let document = session.documents.get(&params.text_document.uri)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    let formatted = format_script(&document.text).ok()?;
    Some(minimal_edit(&document.text, &formatted, 0, document))
}

/// `textDocument/rangeFormatting`: the actions the range touches, laid out
/// as `fmt` lays them out; the rest of the document is left as it is.
pub fn range(session: &Session, params: &DocumentRangeFormattingParams) -> Option<Vec<TextEdit>> {
    let document = session.documents.get(&params.text_document.uri)?;
    if document.kind != DocumentKind::Script {
        return None;
    }
    let wanted = document.lines.span(&document.text, params.range);
    let view = document.view();
    let touched: Vec<Span> = view
        .parsed
        .ast
        .actions
        .iter()
        .map(|a| a.span)
        .filter(|s| s.start <= wanted.end && wanted.start <= s.end)
        .collect();
    let (Some(first), Some(last)) = (touched.first(), touched.last()) else {
        return Some(Vec::new());
    };
    // From the start of the first action's line, so its indentation is
    // formatted too.
    let start = document.text[..first.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = last.end;
    let slice = &document.text[start..end];
    let formatted = format_script(slice).ok()?;
    let formatted = formatted.trim_end_matches('\n');
    Some(minimal_edit(slice, formatted, start, document))
}

/// One edit turning `old` (at byte `base` of the document) into `new`,
/// covering only what differs.
fn minimal_edit(
    old: &str,
    new: &str,
    base: usize,
    document: &super::documents::Document,
) -> Vec<TextEdit> {
    if old == new {
        return Vec::new();
    }
    let prefix = old
        .char_indices()
        .zip(new.chars())
        .find(|((_, a), b)| a != b)
        .map_or(old.len().min(new.len()), |((i, _), _)| i);
    let prefix = crate::diagnostics::floor_char_boundary(new, prefix).min(prefix);
    let mut suffix = 0;
    let (ob, nb) = (old.as_bytes(), new.as_bytes());
    while suffix < ob.len() - prefix
        && suffix < nb.len() - prefix
        && ob[ob.len() - 1 - suffix] == nb[nb.len() - 1 - suffix]
    {
        suffix += 1;
    }
    // Back to character boundaries on both sides.
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let span = Span::new(base + prefix, base + old.len() - suffix);
    vec![TextEdit::new(
        document.lines.range(&document.text, span),
        new[prefix..new.len() - suffix].to_string(),
    )]
}
