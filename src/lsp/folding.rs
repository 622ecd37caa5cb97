//! Folding: action bodies, Snippet code and other values over several
//! lines, `studio { ... }` blocks, and runs of comment lines.

use lsp_types::{FoldingRange, FoldingRangeKind, FoldingRangeParams};

use super::documents::DocumentKind;
use super::session::Session;
use crate::Span;

/// `textDocument/foldingRange`.
pub fn ranges(session: &Session, params: &FoldingRangeParams) -> Option<Vec<FoldingRange>> {
    let document = session.documents.get(&params.text_document.uri)?;
    if document.kind != DocumentKind::Script {
        return Some(Vec::new());
    }
    let view = document.view();
    let text = &document.text;
    let mut out = Vec::new();
    let mut fold = |span: Span, kind: Option<FoldingRangeKind>| {
        let start = document.lines.position(text, span.start).line;
        let end = document.lines.position(text, span.end).line;
        if end > start {
            out.push(FoldingRange {
                start_line: start,
                end_line: end,
                kind,
                ..Default::default()
            });
        }
    };
    for action in &view.parsed.ast.actions {
        fold(action.span, Some(FoldingRangeKind::Region));
        for property in &action.properties {
            fold(property.value.span, Some(FoldingRangeKind::Region));
        }
        if let Some(studio) = &action.studio {
            fold(studio.span, Some(FoldingRangeKind::Region));
        }
    }
    if let Some(studio) = view
        .parsed
        .ast
        .header
        .as_ref()
        .and_then(|h| h.studio.as_ref())
    {
        fold(studio.span, Some(FoldingRangeKind::Region));
    }
    // Consecutive comment lines fold as one.
    let comments = crate::syntax::comment_spans(text).unwrap_or_default();
    let mut run: Option<(u32, u32)> = None;
    for span in comments {
        let line = document.lines.position(text, span.start).line;
        run = match run {
            Some((first, last)) if line == last + 1 => Some((first, line)),
            Some((first, last)) => {
                if last > first {
                    fold_lines(&mut out, first, last);
                }
                Some((line, line))
            }
            None => Some((line, line)),
        };
    }
    if let Some((first, last)) = run {
        if last > first {
            fold_lines(&mut out, first, last);
        }
    }
    out.sort_by_key(|r| (r.start_line, std::cmp::Reverse(r.end_line)));
    Some(out)
}

fn fold_lines(out: &mut Vec<FoldingRange>, first: u32, last: u32) {
    out.push(FoldingRange {
        start_line: first,
        end_line: last,
        kind: Some(FoldingRangeKind::Comment),
        ..Default::default()
    });
}
