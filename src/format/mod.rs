//! The formatter: a script's AST and its comments back to canonical text,
//! like `gofmt` — one layout, comments kept where they were.
//!
//! Layout: leading comments, the header, then one block per action
//! separated by a blank line; inside a block, properties then branches,
//! two spaces deep, one per line; an action without properties and
//! branches is one line (`done: End`). Expressions are printed token for
//! token as parsed (parentheses where the author wrote them, canonical
//! operator spellings: `and`, `or`, `not`, `=`, `<>`), so the formatted
//! text parses to the same AST. Line comments stay above the item they
//! preceded; trailing comments stay at the end of their item's line.
//!
//! ```
//! let text = "start:Begin{Default->done // go\n}\n// the end\ndone :End";
//! let formatted = studioflow::format::format_script(text).unwrap();
//! assert_eq!(formatted, "start: Begin {\n  Default -> done // go\n}\n\n// the end\ndone: End\n");
//! assert_eq!(studioflow::format::format_script(&formatted).unwrap(), formatted);
//! ```

mod expr;
mod files;
mod snippet;

use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};
use crate::syntax::ast::{ActionAst, ExprKind, Literal, ScriptAst, StudioBlock, StudioValue};
use crate::syntax::{comment_spans, parse_script};

pub use expr::{format_expr, format_literal, raw_string};
pub use files::{script_files, ExcludeError, Exclusions, ReplaceError, ScriptFile};
pub use snippet::{format_snippet, snippet_comments, snippet_without_spans};

const INDENT: &str = "  ";

/// One comment and where it sits.
struct Comment {
    text: String,
    start: usize,
    /// Written after code on the same line.
    trailing: bool,
    printed: bool,
    /// Length in the source.
    len: usize,
}

/// Formats a script. A script that does not parse is returned as its
/// diagnostic, untouched.
///
/// The result is proved before it is returned: it must parse again, to the
/// same script (the same AST, spans aside, Snippet code compared as its
/// statement tree) with the same comments. Otherwise the formatter has a
/// bug, and a `format-refused` error is returned instead of text that would
/// change what the script does.
///
/// ```
/// // A comment after a `"""` block stays after it, and still parses.
/// let text = "s: Snippet {\n  Data // what\n  = \"\"\"\nx = 1\n\"\"\"\n}\n";
/// let formatted = studioflow::format::format_script(text).unwrap();
/// assert_eq!(formatted, "s: Snippet {\n  Data = \"\"\"\n    x = 1\n  \"\"\" // what\n}\n");
/// ```
pub fn format_script(text: &str) -> Result<String, Diagnostic> {
    let ast = parse_script(text)?;
    let spans = comment_spans(text).unwrap_or_default();
    let formatted = Printer::new(text, &ast, &spans).print();
    prove(text, ast, &spans, &formatted)?;
    Ok(formatted)
}

/// Checks that `formatted` means what `text` (parsed to `ast`, with comments
/// at `spans`) means: see [`format_script`].
fn prove(text: &str, ast: ScriptAst, spans: &[Span], formatted: &str) -> Result<(), Diagnostic> {
    let refused = |what: &str| {
        Diagnostic::new(
            DiagnosticCode::FormatRefused,
            Span::new(0, 0),
            format!("fmt would {what}; the file is left as it is (a bug in fmt: please report it)"),
        )
    };
    let reparsed = parse_script(formatted).map_err(|d| {
        refused(&format!(
            "write text that does not parse ({}: {})",
            line_of(formatted, d.span.start),
            d.message
        ))
    })?;
    if script_without_spans(reparsed) != script_without_spans(ast) {
        return Err(refused("change what the script does"));
    }
    // Comments move with their item (properties print before branches),
    // so they are compared in any order.
    let comments = |t: &str, spans: &[Span]| -> Vec<String> {
        let mut found: Vec<String> = spans
            .iter()
            .map(|s| t[s.start..s.end].trim_end().to_string())
            .collect();
        found.sort_unstable();
        found
    };
    let after = comment_spans(formatted).unwrap_or_default();
    if comments(formatted, &after) != comments(text, spans) {
        return Err(refused("lose a comment"));
    }
    Ok(())
}

/// "line N" for a byte offset.
fn line_of(text: &str, at: usize) -> String {
    let at = at.min(text.len());
    format!("line {}", text[..at].matches('\n').count() + 1)
}

/// A script's AST with every span zeroed and each Snippet's code replaced
/// by its statement tree (layout aside): two texts that format to one
/// another compare equal.
///
/// ```
/// use studioflow::format::script_without_spans;
/// use studioflow::syntax::parse_script;
/// let a = parse_script("s: Snippet { Data = \"\"\"x=1\"\"\" }").unwrap();
/// let b = parse_script("s: Snippet {\n  Data = \"\"\"\n    x = 1\n  \"\"\"\n}").unwrap();
/// assert_eq!(script_without_spans(a), script_without_spans(b));
/// ```
pub fn script_without_spans(mut ast: ScriptAst) -> ScriptAst {
    const ZERO: Span = Span { start: 0, end: 0 };
    if let Some(h) = &mut ast.header {
        h.zero_spans();
    }
    for a in &mut ast.actions {
        a.id_span = ZERO;
        a.type_span = ZERO;
        a.span = ZERO;
        let snippet = a.action_type.eq_ignore_ascii_case("Snippet");
        for p in &mut a.properties {
            p.name_span = ZERO;
            snippet::expr_zero(&mut p.value);
            if let (true, ExprKind::Literal(Literal::String(code))) = (snippet, &mut p.value.kind) {
                if let Ok(stmts) = crate::snippet::parse(code, 0) {
                    *code = format!("{:?}", snippet_without_spans(stmts));
                }
            }
        }
        for b in &mut a.branches {
            b.name_span = ZERO;
            b.target_span = ZERO;
        }
        if let Some(block) = &mut a.studio {
            block.zero_spans();
        }
    }
    ast
}

struct Printer<'a> {
    text: &'a str,
    ast: &'a ScriptAst,
    /// In source order.
    comments: Vec<Comment>,
    /// No comment before this index is unprinted: the loops over comments
    /// start here and stop at the first one past their range, so a file
    /// of thousands of commented actions formats in linear time.
    cursor: usize,
    out: String,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, ast: &'a ScriptAst, spans: &[Span]) -> Self {
        let mut spans = spans.to_vec();
        spans.sort_by_key(|s| s.start);
        let comments = spans
            .iter()
            .map(|s| {
                let line_start = text[..s.start].rfind('\n').map_or(0, |i| i + 1);
                Comment {
                    text: text[s.start..s.end].to_string(),
                    start: s.start,
                    trailing: !text[line_start..s.start].trim().is_empty(),
                    printed: false,
                    len: s.end - s.start,
                }
            })
            .collect();
        Printer {
            text,
            ast,
            comments,
            cursor: 0,
            out: String::new(),
        }
    }

    /// The index of the first comment not printed yet.
    fn first_unprinted(&mut self) -> usize {
        while self.cursor < self.comments.len() && self.comments[self.cursor].printed {
            self.cursor += 1;
        }
        self.cursor
    }

    /// The index of the first comment starting at `offset` or later.
    fn first_from(&self, offset: usize) -> usize {
        self.comments.partition_point(|c| c.start < offset)
    }

    /// Unprinted comments before `offset`, each on its own line at `indent`;
    /// a blank line kept between groups the author separated.
    fn leading(&mut self, offset: usize, indent: &str) {
        let first = self.first_unprinted();
        let end = self.first_from(offset).max(first);
        for k in first..end {
            if self.is_printed(k) {
                continue;
            }
            let start = self.comments[k].start;
            if !self.comments[k].trailing
                && self.blank_line_before(start)
                && !self.out.is_empty()
                && !self.out.ends_with("\n\n")
                && !self.out.ends_with("{\n")
            {
                self.out.push('\n');
            }
            self.out.push_str(indent);
            let text = self.comments[k].text.clone();
            self.out.push_str(&text);
            self.out.push('\n');
            self.mark_printed(k);
        }
    }

    /// Trailing comments after `end` on its line (and before `limit`) go at
    /// the end of the line just printed.
    fn trailing(&mut self, end: usize, limit: usize) {
        let line_end = self.text[end..]
            .find('\n')
            .map_or(self.text.len(), |i| end + i);
        let stop = line_end.min(limit);
        for k in self.first_from(end)..self.comments.len() {
            let c = &self.comments[k];
            if c.start >= stop {
                break;
            }
            if self.is_printed(k) || !c.trailing {
                continue;
            }
            let text = c.text.clone();
            self.out.push(' ');
            self.out.push_str(&text);
            self.mark_printed(k);
        }
        self.out.push('\n');
    }

    /// True when the line before `offset`'s line is blank.
    fn blank_line_before(&self, offset: usize) -> bool {
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        if line_start == 0 {
            return false;
        }
        let prev_start = self.text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
        self.text[prev_start..line_start].trim().is_empty()
    }

    fn print(mut self) -> String {
        let first_action = self
            .ast
            .actions
            .first()
            .map_or(self.text.len(), |a| a.span.start);
        if let Some(header) = &self.ast.header {
            // The header is the first code in the file.
            let header_start = self.first_code();
            self.leading(header_start, "");
            if !self.out.is_empty() && self.blank_line_before(header_start) {
                self.out.push('\n');
            }
            let last_word = header
                .inputs
                .last()
                .map(|(_, s)| *s)
                .or(header.script_type.as_ref().map(|(_, s)| *s));
            // Comments inside the header go above it.
            self.leading(last_word.map_or(header_start, |s| s.start), "");
            self.out.push_str("script ");
            self.out.push_str(&raw_string(&header.name));
            if let Some((t, _)) = &header.script_type {
                self.out.push_str(" type ");
                self.out.push_str(t);
            }
            for (k, (input, _)) in header.inputs.iter().enumerate() {
                self.out.push_str(if k == 0 { " inputs " } else { ", " });
                self.out.push_str(input);
            }
            let mut header_end = last_word.map_or(header_start, |s| s.end);
            if let Some(block) = &header.studio {
                self.out.push(' ');
                self.studio_block(block, "");
                header_end = self.code_end(block.span);
            }
            self.trailing(header_end, first_action);
        }
        for (i, action) in self.ast.actions.iter().enumerate() {
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            // Comments before the action, and any between its id and its
            // type (there is no place for them on the line), above it.
            self.leading(action.type_span.end, "");
            let next_start = self
                .ast
                .actions
                .get(i + 1)
                .map_or(self.text.len(), |a| a.span.start);
            self.action(action, next_start);
        }
        // Comments at the end of the file.
        if (0..self.comments.len()).any(|k| !self.is_printed(k)) {
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            self.leading(usize::MAX, "");
        }
        if self.out.is_empty() {
            self.out.push('\n');
        }
        self.out
    }

    /// Where the first code (not whitespace, not a comment) starts.
    fn first_code(&self) -> usize {
        let mut at = 0;
        for c in &self.comments {
            if !self.text[at..c.start].trim().is_empty() {
                break;
            }
            at = c.start + c.text.len();
        }
        at + (self.text[at..].len() - self.text[at..].trim_start().len())
    }

    fn action(&mut self, a: &ActionAst, next_start: usize) {
        self.out.push_str(&a.id);
        self.out.push_str(": ");
        self.out.push_str(&a.action_type);
        if let Some(caption) = &a.caption {
            self.out.push(' ');
            self.out.push_str(&raw_string(caption));
        }
        let end_of_action = self.code_end(a.span);
        if a.properties.is_empty() && a.branches.is_empty() && a.studio.is_none() {
            // Comments inside an empty body follow the line.
            self.trailing(a.type_span.end, next_start);
            return;
        }
        self.out.push_str(" {");
        // A comment after `{` on the first line.
        let first_item = a
            .properties
            .iter()
            .map(|p| p.name_span.start)
            .chain(a.branches.iter().map(|b| b.name_span.start))
            .chain(a.studio.iter().map(|s| s.span.start))
            .min()
            .unwrap_or(end_of_action);
        self.trailing(a.type_span.end, first_item);
        // Properties then branches, each with its comments.
        enum Item<'b> {
            Property(&'b crate::syntax::ast::PropertyAst),
            Branch(&'b crate::syntax::ast::BranchAst),
            Studio(&'b StudioBlock),
        }
        let mut items: Vec<(usize, usize, Item<'_>)> = Vec::new();
        for p in &a.properties {
            let end = self.code_end(p.value.span);
            items.push((p.name_span.start, end, Item::Property(p)));
        }
        for b in &a.branches {
            items.push((b.name_span.start, b.target_span.end, Item::Branch(b)));
        }
        if let Some(block) = &a.studio {
            let end = self.code_end(block.span);
            items.push((block.span.start, end, Item::Studio(block)));
        }
        // Source positions decide where comments go; properties print
        // first, then branches, then the studio block.
        let rank = |item: &Item<'_>| match item {
            Item::Property(_) => 0,
            Item::Branch(_) => 1,
            Item::Studio(_) => 2,
        };
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| (rank(&items[i].2), items[i].0));
        // The comments inside the studio block are its own: held back
        // until it prints (it prints last, wherever it was written).
        let held: Vec<usize> = match &a.studio {
            Some(block) => {
                let end = self.code_end(block.span);
                (self.first_from(block.keyword_span.start)..self.first_from(end))
                    .filter(|&k| {
                        let start = self.comments[k].start;
                        !self.is_printed(k) && start > block.keyword_span.start && start < end
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        held.iter().for_each(|&k| self.mark_printed(k));
        // Sorted starts and ends: an action of thousands of branches looks
        // its neighbours up in logarithmic time, not by a scan each.
        let mut starts: Vec<usize> = items.iter().map(|it| it.0).collect();
        let mut ends: Vec<usize> = items.iter().map(|it| it.1).collect();
        starts.sort_unstable();
        ends.sort_unstable();
        let mut written_any = false;
        for &i in &order {
            let (start, end, ref item) = items[i];
            // The item written just before this one in the source.
            let previous_end = ends[..ends.partition_point(|&e| e <= start)]
                .last()
                .copied();
            self.leading_before(start, INDENT, previous_end.filter(|_| written_any));
            self.out.push_str(INDENT);
            match item {
                Item::Property(p) => {
                    self.out.push_str(&p.name);
                    self.out.push_str(" = ");
                    let written = &self.text[p.value.span.start..self.code_end(p.value.span)];
                    if written.starts_with("\"\"\"") && !p.value.parenthesized {
                        self.code_block(written);
                    } else {
                        self.out.push_str(&format_expr(&p.value));
                    }
                }
                Item::Branch(b) => {
                    self.out.push_str(&b.name);
                    if let Some(label) = &b.label {
                        self.out.push(' ');
                        self.out.push_str(&case_label(label));
                    }
                    self.out.push_str(" -> ");
                    self.out.push_str(&b.target);
                }
                Item::Studio(block) => {
                    for &k in &held {
                        self.comments[k].printed = false;
                        self.cursor = self.cursor.min(k);
                    }
                    self.studio_block(block, INDENT);
                }
            }
            // Comments inside the item (a multi-line expression) and after it on its line.
            let next_item_start = starts
                .get(starts.partition_point(|&s| s <= start))
                .copied()
                .unwrap_or(end_of_action);
            self.trailing_within(start, end, next_item_start, INDENT);
            written_any = true;
        }
        self.leading(end_of_action, INDENT);
        self.out.push('}');
        self.trailing(end_of_action, next_start);
    }

    /// `studio { ... }`, one entry per line one level deeper than `indent`,
    /// the closing brace at `indent` (not followed by a newline: the
    /// caller writes what trails it).
    fn studio_block(&mut self, block: &StudioBlock, indent: &str) {
        self.out.push_str("studio {");
        let close = self.code_end(block.span).saturating_sub(1);
        let inner = format!("{indent}{INDENT}");
        let first = block.entries.first().map_or(close, |e| e.name_span.start);
        self.trailing(block.keyword_span.end, first);
        let mut previous_end = None;
        for (i, e) in block.entries.iter().enumerate() {
            self.leading_before(e.name_span.start, &inner, previous_end);
            self.out.push_str(&inner);
            self.out.push_str(&e.name);
            self.out.push_str(" = ");
            self.out.push_str(&studio_value(&e.value));
            let end = self.code_end(e.value_span);
            let next = block
                .entries
                .get(i + 1)
                .map_or(close, |n| n.name_span.start);
            self.trailing_within(e.name_span.start, end, next, &inner);
            previous_end = Some(end);
        }
        self.leading(close, &inner);
        self.out.push_str(indent);
        self.out.push('}');
    }

    /// A `"""` code block: Snippet code formatted one level deeper than
    /// the property, the closing `"""` at the property's indent. Code that
    /// does not parse (or would not survive formatting) is kept verbatim.
    fn code_block(&mut self, written: &str) {
        let inner = written
            .strip_prefix("\"\"\"")
            .and_then(|w| w.strip_suffix("\"\"\""));
        let body = inner.and_then(|code| format_snippet(code, &format!("{INDENT}{INDENT}")));
        match body {
            Some(body) if !body.trim().is_empty() && !body.contains("\"\"\"") => {
                self.out.push_str("\"\"\"\n");
                self.out.push_str(&body);
                self.out.push_str(INDENT);
                self.out.push_str("\"\"\"");
            }
            _ => self.out.push_str(written),
        }
    }

    /// Comments before the item starting at `start` that are not printed
    /// yet (branches may have been written before properties), each on its
    /// own line. A blank line the author left between the previous item
    /// (ending at `previous_end`), these comments and the item is kept
    /// where it was: a comment stays on its side of a blank line, so
    /// formatting twice changes nothing.
    fn leading_before(&mut self, start: usize, indent: &str, previous_end: Option<usize>) {
        let mut previous = previous_end;
        let first = self.first_unprinted();
        let end = self.first_from(start).max(first);
        for k in first..end {
            if self.is_printed(k) {
                continue;
            }
            let comment_start = self.comments[k].start;
            if previous.is_some_and(|p| self.blank_line_between(p, comment_start)) {
                self.blank_line();
            }
            self.out.push_str(indent);
            let text = self.comments[k].text.clone();
            self.out.push_str(&text);
            self.out.push('\n');
            self.mark_printed(k);
            previous = Some(comment_start + self.comments[k].len);
        }
        if previous.is_some_and(|p| self.blank_line_between(p, start)) {
            self.blank_line();
        }
    }

    /// One blank line, unless the output already ends with one or with `{`.
    fn blank_line(&mut self) {
        if !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    /// Comments inside `[start, end)` and trailing comments on `end`'s line;
    /// those past the first go on lines of their own at `indent` (the
    /// item's), where the next `fmt` leaves them.
    fn trailing_within(&mut self, start: usize, end: usize, limit: usize, indent: &str) {
        let line_end = self.text[end..]
            .find('\n')
            .map_or(self.text.len(), |i| end + i);
        let stop = line_end.min(limit);
        let mut texts = Vec::new();
        let bound = stop.max(end);
        for k in self.first_from(start)..self.comments.len() {
            let c = &self.comments[k];
            if c.start >= bound {
                break;
            }
            if !c.printed {
                texts.push(k);
            }
        }
        // Only one comment fits at the end of a line (a second would become
        // part of the first); the others follow on lines of their own.
        for (n, k) in texts.into_iter().enumerate() {
            if n == 0 {
                self.out.push(' ');
            } else {
                self.out.push('\n');
                self.out.push_str(indent);
            }
            let text = self.comments[k].text.clone();
            self.out.push_str(&text);
            self.mark_printed(k);
        }
        self.out.push('\n');
    }

    /// Where the code of `span` ends: spans of rules may run over the
    /// whitespace and comments that follow them.
    fn code_end(&self, span: Span) -> usize {
        let mut end = span.end.min(self.text.len());
        loop {
            let trimmed = span.start + self.text[span.start..end].trim_end().len();
            // Comments do not overlap: one ending at `trimmed` is the last
            // one starting before it.
            let before = self.first_from(trimmed).checked_sub(1);
            match before
                .map(|k| &self.comments[k])
                .filter(|c| c.start >= span.start && c.start + c.len == trimmed)
            {
                Some(c) => end = c.start,
                None => return trimmed,
            }
        }
    }

    /// True when the author left a blank line between the previous item
    /// (ending at `previous_end`) and the one starting at `start`.
    fn blank_line_between(&self, previous_end: usize, start: usize) -> bool {
        if previous_end >= start {
            return false;
        }
        let lines: Vec<&str> = self.text[previous_end..start].split('\n').collect();
        lines.len() >= 3
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }

    fn is_printed(&self, k: usize) -> bool {
        self.comments[k].printed
    }

    fn mark_printed(&mut self, k: usize) {
        self.comments[k].printed = true;
    }
}

/// A studio entry's value as `fmt` writes it.
pub(crate) fn studio_value(value: &StudioValue) -> String {
    match value {
        StudioValue::Text(t) => raw_string(t),
        StudioValue::Number(n) => n.clone(),
        StudioValue::List(items) => {
            let items: Vec<String> = items.iter().map(|i| raw_string(i)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

fn case_label(label: &Literal) -> String {
    match label {
        Literal::String(s) => raw_string(s),
        other => format_literal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The proof refuses output that does not parse, means something else,
    /// or lost a comment (what a formatter bug would write).
    #[test]
    fn the_proof_refuses_what_is_not_the_same_script() {
        let text = "start: Begin { Default -> done } // go\ndone: End\n";
        let ast = parse_script(text).unwrap();
        let spans = comment_spans(text).unwrap();
        let good = "start: Begin {\n  Default -> done\n} // go\n\ndone: End\n";
        assert!(prove(text, ast.clone(), &spans, good).is_ok());
        for bad in [
            "start: Begin {\n  Default -> done\n // go\n\ndone: End\n",
            "start: Begin {\n  Default -> other\n} // go\n\ndone: End\n",
            "start: Begin {\n  Default -> done\n}\n\ndone: End\n",
        ] {
            let refused = prove(text, ast.clone(), &spans, bad).unwrap_err();
            assert_eq!(refused.code, DiagnosticCode::FormatRefused, "{bad}");
            assert!(
                refused.message.contains("left as it is"),
                "{}",
                refused.message
            );
        }
    }
}
