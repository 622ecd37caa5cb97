//! Comments, which the AST drops, as a side table for the formatter.

use pest::iterators::Pair;
use pest::Parser;

use super::grammar::{Rule, StudioParser};
use super::prescan::prescan;
use crate::diagnostics::Span;

/// Where the comments of a script are (each span covers `//` up to the end
/// of its line), taken from the parse tree: a comment can only sit in a gap
/// between two tokens, so `//` inside a string is never taken for one.
///
/// Returns `None` when the text does not parse.
///
/// ```
/// let text = "start: Begin { // go\n  Default -> done }\ndone: End \"a // b\"\n";
/// let comments = studioflow::syntax::comment_spans(text).unwrap();
/// assert_eq!(comments.len(), 1);
/// assert_eq!(&text[comments[0].start..comments[0].end], "// go");
/// ```
pub fn comment_spans(text: &str) -> Option<Vec<Span>> {
    // The same depth pre-scan as `parse_script`: pest recurses per level.
    prescan(text).ok()?;
    let pairs = StudioParser::parse(Rule::file, text).ok()?;
    let mut comments = Vec::new();
    let mut cursor = 0;
    let gap = |from: usize, to: usize, comments: &mut Vec<Span>| {
        let mut at = from;
        while let Some(found) = text[at..to].find("//") {
            let start = at + found;
            let end = text[start..to].find('\n').map_or(to, |n| start + n);
            let end = start + text[start..end].trim_end().len();
            comments.push(Span::new(start, end));
            at = end.max(start + 2);
            if at >= to {
                break;
            }
        }
    };
    for pair in pairs.flatten() {
        let span = pair.as_span();
        if span.start() > cursor {
            gap(cursor, span.start(), &mut comments);
            cursor = span.start();
        }
        if is_leaf(&pair) {
            cursor = cursor.max(span.end());
        }
    }
    if cursor < text.len() {
        gap(cursor, text.len(), &mut comments);
    }
    Some(comments)
}

fn is_leaf(pair: &Pair<'_, Rule>) -> bool {
    pair.clone().into_inner().next().is_none()
}
