//! The script grammar (pest) and the text scans around it: spans of
//! grammar pairs, and where actions start (for recovery and for errors).

use pest::iterators::Pair;
use pest_derive::Parser;

use crate::diagnostics::{Span, BOM};

#[derive(Parser)]
#[grammar = "../grammar/studio.pest"]
pub(crate) struct StudioParser;

/// Byte offsets of the lines that start like an action (`id:` after
/// optional blanks): the places where recovery resumes.
pub(super) fn action_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut line_start = if text.starts_with(BOM) {
        BOM.len_utf8()
    } else {
        0
    };
    loop {
        let mut i = line_start;
        while matches!(bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let id_start = i;
        if bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            while bytes.get(i).is_some_and(|b| is_ident_byte(*b)) {
                i += 1;
            }
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if bytes.get(i) == Some(&b':') && id_start > 0 {
                starts.push(id_start);
            }
        }
        // On to the next line, whatever ends this one.
        match bytes[i..].iter().position(|b| matches!(b, b'\n' | b'\r')) {
            Some(n) => line_start = i + n + 1,
            None => break,
        }
    }
    starts
}

pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The identifier at `at` (the start of an action piece) and its span.
pub(super) fn leading_id(text: &str, at: usize) -> (&str, Span) {
    let len = text.as_bytes()[at..]
        .iter()
        .take_while(|b| is_ident_byte(**b))
        .count();
    (&text[at..at + len], Span::new(at, at + len))
}

pub(super) fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// The span of `pair` up to the end of its last token. pest's implicit
/// whitespace makes a compound rule that ends with an optional or repeated
/// part (`expr`, `member`) run over the blanks and comments after its last
/// token, onto the next line; a diagnostic must not.
///
/// The last child is followed down to a pair whose text is opaque (a
/// string, a code block: `//` inside is no comment) or has no children;
/// after that point the rule can only hold punctuation, whitespace and
/// comments, so the last byte that is none of these ends the span.
pub(super) fn exact_span(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    if is_opaque(pair.as_rule()) {
        return Span::new(span.start(), span.end());
    }
    exact_span_below(span, pair.clone().into_inner().last())
}

/// Rules whose text is opaque (a string, a code block: `//` inside is no
/// comment): a span ends where they end.
fn is_opaque(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::string
            | Rule::squote_string
            | Rule::dollar_string
            | Rule::raw_string
            | Rule::code_block
            | Rule::datetime
            | Rule::caption
            | Rule::case_label
    )
}

/// [`exact_span`] of a pair whose text is not opaque, given its span and
/// its last child (the caller may already hold it).
pub(super) fn exact_span_below(span: pest::Span<'_>, last: Option<Pair<'_, Rule>>) -> Span {
    let text = span.get_input();
    let mut from = span.start();
    let Some(mut p) = last else {
        return Span::new(span.start(), last_code_end(text, from, span.end()));
    };
    from = p.as_span().start();
    loop {
        if is_opaque(p.as_rule()) {
            from = p.as_span().end();
            break;
        }
        match p.clone().into_inner().last() {
            Some(child) => {
                from = child.as_span().start();
                p = child;
            }
            None => break,
        }
    }
    Span::new(span.start(), last_code_end(text, from, span.end()))
}

/// The end of the last byte in `text[from..to]` that is neither whitespace
/// nor in a `//` comment (`from` when there is none). The range holds no
/// string literal.
fn last_code_end(text: &str, from: usize, to: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = from;
    let mut i = from;
    while i < to {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < to && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                i += 1;
                end = i;
            }
        }
    }
    end
}
