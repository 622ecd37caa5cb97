//! Snippet code (a Snippet action's `Data = """ ... """`) in canonical
//! layout, the way NICE's help pages write it: upper-case keywords, one
//! statement per line, each block's `{` and `}` on lines of their own at
//! the statement's indent and its statements two spaces deeper (`ELSE`,
//! `CASE` and `DEFAULT` on their own lines too), one space around `=`,
//! expressions as [`super::format_expr`] prints them, comments kept where
//! they were and blank lines between statements kept (one). `ASSIGN`
//! stays where it was written.
//!
//! The result is checked before it is used: it must parse to the same
//! statements (spans aside) and keep every comment; if not, the code is
//! left as written. Formatting never changes what a snippet does.

use super::expr::format_expr;
use crate::diagnostics::Span;
use crate::snippet::{parse, FunctionDecl, PathStep, Stmt, StmtKind, Target};
use crate::syntax::ast::{Expr, ExprKind, TemplatePart};

/// Snippet code formatted with its statements at `indent` (each line of
/// the result ends with `\n`). `None` when the code does not parse (it is
/// then kept as written, and `check` reports it).
///
/// ```
/// let code = "\n  assign total=0\nfor i=1 to 3{total=total+i}  // sum\n\n\n  if total>5 {trace \"big\"} else {trace \"small\" }\n";
/// let formatted = studioflow::format::format_snippet(code, "").unwrap();
/// assert_eq!(formatted, "\
/// ASSIGN total = 0
/// FOR i = 1 TO 3
/// {
///   total = total + i
/// } // sum
///
/// IF total > 5
/// {
///   TRACE \"big\"
/// }
/// ELSE
/// {
///   TRACE \"small\"
/// }
/// ");
/// assert_eq!(studioflow::format::format_snippet(&formatted, "").unwrap(), formatted);
/// ```
pub fn format_snippet(code: &str, indent: &str) -> Option<String> {
    let stmts = parse(code, 0).ok()?;
    let comments = comment_spans(code);
    let mut printer = SnippetPrinter {
        code,
        comments: comments
            .iter()
            .map(|s| (s.start, code[s.start..s.end].to_string(), false))
            .collect(),
        out: String::new(),
    };
    printer.block_lines(&stmts, indent, code.len());
    let out = printer.out;
    // Proof before use: the same statements and every comment kept.
    let reparsed = parse(&out, 0).ok()?;
    let kept: Vec<String> = comment_spans(&out)
        .iter()
        .map(|s| out[s.start..s.end].to_string())
        .collect();
    let written: Vec<String> = comments
        .iter()
        .map(|s| code[s.start..s.end].to_string())
        .collect();
    (without_spans(reparsed) == without_spans(stmts) && kept == written).then_some(out)
}

/// The comments of Snippet code, in order.
///
/// ```
/// let code = "x = \"http://a\" // first\n// second\nTRACE \"{f(\"//\")}\"";
/// assert_eq!(studioflow::format::snippet_comments(code), ["// first", "// second"]);
/// ```
pub fn snippet_comments(code: &str) -> Vec<String> {
    comment_spans(code)
        .iter()
        .map(|s| code[s.start..s.end].to_string())
        .collect()
}

/// The comments of Snippet code: `//` to the end of the line, outside
/// string literals (whose `{...}` parts may hold further strings).
fn comment_spans(code: &str) -> Vec<Span> {
    #[derive(PartialEq)]
    enum Mode {
        Code,
        /// A string closed by this quote (`"` or `'`).
        Text(u8),
        Interpolation,
    }
    let bytes = code.as_bytes();
    let mut modes = vec![Mode::Code];
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match modes.last() {
            Some(&Mode::Text(close)) => match b {
                b'\\' => i += 1,
                _ if b == close => {
                    modes.pop();
                }
                b'{' if bytes.get(i + 1) == Some(&b'{') => i += 1,
                b'{' => modes.push(Mode::Interpolation),
                _ => {}
            },
            _ => match b {
                b'"' | b'\'' => modes.push(Mode::Text(b)),
                b'}' if modes.last() == Some(&Mode::Interpolation) => {
                    modes.pop();
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    let end = code[i..].find(['\n', '\r']).map_or(code.len(), |n| i + n);
                    let end = i + code[i..end].trim_end().len();
                    found.push(Span::new(i, end));
                    i = end;
                    continue;
                }
                _ => {}
            },
        }
        i += 1;
    }
    found
}

struct SnippetPrinter<'a> {
    code: &'a str,
    /// Start, text, printed.
    comments: Vec<(usize, String, bool)>,
    out: String,
}

impl SnippetPrinter<'_> {
    /// Where a statement's first token is: its span may begin with the
    /// whitespace and comments before it.
    fn start(&self, stmt: &Stmt) -> usize {
        let mut at = stmt.span.start;
        loop {
            let rest = &self.code[at..stmt.span.end.max(at)];
            let trimmed = rest.trim_start();
            at += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                at += trimmed.find('\n').unwrap_or(trimmed.len());
            } else {
                return at;
            }
        }
    }

    /// Where a statement's last token ends: its span may run on over the
    /// whitespace and comments after it.
    fn end(&self, stmt: &Stmt) -> usize {
        let start = self.start(stmt);
        let mut at = stmt.span.end.max(start);
        loop {
            at = start + self.code[start..at].trim_end().len();
            match self
                .comments
                .iter()
                .find(|(s, text, _)| *s < at && at <= s + text.len())
            {
                Some((s, _, _)) => at = *s,
                None => return at,
            }
        }
    }

    /// Unprinted comments before `offset`, one per line at `indent`.
    fn leading(&mut self, offset: usize, indent: &str) {
        for k in 0..self.comments.len() {
            let (start, ref text, printed) = self.comments[k];
            if printed || start >= offset {
                continue;
            }
            let line = format!("{indent}{text}\n");
            self.out.push_str(&line);
            self.comments[k].2 = true;
        }
    }

    /// Comments after `end` on its source line (before `limit`), appended to
    /// the line just written.
    fn trailing(&mut self, end: usize, limit: usize) {
        let line_end = self.code[end..]
            .find('\n')
            .map_or(self.code.len(), |n| end + n);
        for k in 0..self.comments.len() {
            let (start, ref text, printed) = self.comments[k];
            if printed || start < end || start >= line_end.min(limit) {
                continue;
            }
            let piece = format!(" {text}");
            self.out.push_str(&piece);
            self.comments[k].2 = true;
        }
    }

    fn blank_line_between(&self, from: usize, to: usize) -> bool {
        let gap = &self.code[from.min(to)..to];
        // Blank lines count only outside comments: look at whole lines.
        gap.split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, middle)| middle.iter().any(|l| l.trim().is_empty()))
    }

    /// The statements of a block, one per line at `indent`; comments up to
    /// `end` (the block's end) are printed inside it.
    fn block_lines(&mut self, stmts: &[Stmt], indent: &str, end: usize) {
        let mut previous_end: Option<usize> = None;
        for (n, stmt) in stmts.iter().enumerate() {
            let stmt_start = self.start(stmt);
            let first_comment = self
                .comments
                .iter()
                .filter(|(s, _, printed)| !printed && *s < stmt_start)
                .map(|(s, _, _)| *s)
                .min();
            let starts_at = first_comment.unwrap_or(stmt_start);
            if let Some(p) = previous_end {
                if self.blank_line_between(p, starts_at) {
                    self.out.push('\n');
                }
            }
            self.leading(stmt_start, indent);
            self.out.push_str(indent);
            self.statement(stmt, indent);
            let limit = stmts.get(n + 1).map_or(end, |s| self.start(s));
            let stmt_end = self.end(stmt);
            self.trailing(stmt_end, limit);
            self.out.push('\n');
            previous_end = Some(stmt_end);
        }
        self.leading(end, indent);
    }

    /// A block as NICE's help pages write one: `{` on its own line at
    /// `indent`, the statements one level deeper, `}` on its own line.
    /// `end` bounds the comments that belong inside. The line before ends
    /// with the statement's head (`IF x`, `ELSE`, `CASE 1`).
    fn block(&mut self, stmts: &[Stmt], indent: &str, end: usize) {
        self.out.push('\n');
        self.out.push_str(indent);
        self.out.push_str("{\n");
        let inner = format!("{indent}  ");
        self.block_lines(stmts, &inner, end);
        self.out.push_str(indent);
        self.out.push('}');
    }

    /// Where a block's comments end: the start of what follows it in the
    /// same statement, else the statement's end.
    fn statement(&mut self, stmt: &Stmt, indent: &str) {
        let end = self.end(stmt);
        match &stmt.kind {
            StmtKind::Assign { target, value } => {
                let written = &self.code[self.start(stmt)..self.end(stmt)];
                if written
                    .get(..6)
                    .is_some_and(|k| k.eq_ignore_ascii_case("assign"))
                {
                    self.out.push_str("ASSIGN ");
                }
                self.out.push_str(&target_text(target));
                self.out.push_str(" = ");
                self.out.push_str(&format_expr(value));
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.out.push_str("IF ");
                self.out.push_str(&format_expr(cond));
                let then_end = otherwise.first().map_or(end, |s| self.start(s));
                self.block(then, indent, then_end);
                if !otherwise.is_empty() || self.has_else(stmt) {
                    self.out.push('\n');
                    self.out.push_str(indent);
                    self.out.push_str("ELSE");
                    self.block(otherwise, indent, end);
                }
            }
            StmtKind::Switch {
                subject,
                cases,
                default,
            } => {
                self.out.push_str("SWITCH ");
                self.out.push_str(&format_expr(subject));
                self.cases(cases, default.as_deref(), indent, end);
            }
            StmtKind::Select { cases, default } => {
                self.out.push_str("SELECT");
                self.cases(cases, default.as_deref(), indent, end);
            }
            StmtKind::For {
                var,
                start,
                end: last,
                body,
            } => {
                self.out.push_str(&format!(
                    "FOR {var} = {} TO {}",
                    format_expr(start),
                    format_expr(last)
                ));
                self.block(body, indent, end);
            }
            StmtKind::ForEach { var, array, body } => {
                self.out
                    .push_str(&format!("FOREACH {var} IN {}", format_expr(array)));
                self.block(body, indent, end);
            }
            StmtKind::Repeat { count, body } => {
                self.out.push_str(&format!("REPEAT {}", format_expr(count)));
                self.block(body, indent, end);
            }
            StmtKind::Break => self.out.push_str("BREAK"),
            StmtKind::Dynamic(names) => {
                self.out.push_str("DYNAMIC ");
                self.out.push_str(&names.join(", "));
            }
            StmtKind::Function(FunctionDecl {
                name, params, body, ..
            }) => {
                self.out
                    .push_str(&format!("FUNCTION {name}({})", params.join(", ")));
                self.block(body, indent, end);
            }
            StmtKind::Return(value) => {
                self.out.push_str("RETURN");
                if let Some(v) = value {
                    self.out.push(' ');
                    self.out.push_str(&format_expr(v));
                }
            }
            StmtKind::Trace(value) => {
                self.out.push_str("TRACE ");
                self.out.push_str(&format_expr(value));
            }
            StmtKind::Call(call) => self.out.push_str(&format_expr(call)),
        }
    }

    /// An `ELSE { }` with an empty block is written too (it parses the same
    /// either way; keeping it keeps the author's text).
    fn has_else(&self, stmt: &Stmt) -> bool {
        let text = &self.code[self.start(stmt)..self.end(stmt)];
        let trimmed = text.trim_end().trim_end_matches('}').trim_end();
        trimmed.ends_with('{') && {
            let before = trimmed.trim_end_matches('{').trim_end();
            // (`get`: the last four bytes may cut a character in two.)
            before
                .len()
                .checked_sub(4)
                .and_then(|at| before.get(at..))
                .is_some_and(|tail| tail.eq_ignore_ascii_case("else"))
        }
    }

    /// `{` on its own line, each `CASE v` and `DEFAULT` with its block,
    /// `}` on its own line.
    fn cases(
        &mut self,
        cases: &[(Vec<Expr>, Vec<Stmt>)],
        default: Option<&[Stmt]>,
        indent: &str,
        end: usize,
    ) {
        self.out.push('\n');
        self.out.push_str(indent);
        self.out.push_str("{\n");
        let inner = format!("{indent}  ");
        let label_start = |label: &Expr| case_start(self.code, label.span.start);
        let starts: Vec<usize> = cases
            .iter()
            .map(|(labels, _)| labels.first().map_or(0, label_start))
            .collect();
        let default_start = default.map(|body| {
            let after_cases = cases
                .last()
                .map_or(0, |(_, b)| b.last().map_or(0, |s| s.span.end));
            let before = body.first().map_or(end, |s| self.start(s));
            let from = after_cases.max(starts.last().copied().unwrap_or(0));
            self.code[from..before]
                .to_ascii_lowercase()
                .rfind("default")
                .map_or(before, |i| from + i)
        });
        let mut bounds: Vec<usize> = starts.iter().skip(1).copied().collect();
        bounds.push(default_start.unwrap_or(end));
        for (k, (labels, body)) in cases.iter().enumerate() {
            // Stacked labels: one `CASE` line each, with its own comment.
            for (j, label) in labels.iter().enumerate() {
                self.leading(case_start(self.code, label.span.start), &inner);
                self.out.push_str(&inner);
                self.out.push_str("CASE ");
                self.out.push_str(&format_expr(label));
                match labels.get(j + 1) {
                    Some(next) => {
                        self.trailing(label.span.end, case_start(self.code, next.span.start));
                        self.out.push('\n');
                    }
                    None => {
                        let limit = body.first().map_or(bounds[k], |s| self.start(s));
                        self.trailing(label.span.end, limit);
                    }
                }
            }
            self.block(body, &inner, bounds[k]);
            self.out.push('\n');
        }
        if let (Some(body), Some(at)) = (default, default_start) {
            self.leading(at, &inner);
            self.out.push_str(&inner);
            self.out.push_str("DEFAULT");
            self.block(body, &inner, end);
            self.out.push('\n');
        }
        self.leading(end, &inner);
        self.out.push_str(indent);
        self.out.push('}');
    }
}

/// Where the `CASE` keyword before a case value starts.
fn case_start(code: &str, value_start: usize) -> usize {
    code[..value_start]
        .to_ascii_lowercase()
        .rfind("case")
        .unwrap_or(value_start)
}

fn target_text(target: &Target) -> String {
    let mut out = String::new();
    if target.global {
        out.push_str("global:");
    }
    out.push_str(&target.name);
    for step in &target.path {
        match step {
            PathStep::Member(m) => {
                out.push('.');
                out.push_str(m);
            }
            PathStep::Index(e) => {
                out.push('[');
                out.push_str(&format_expr(e));
                out.push(']');
            }
        }
    }
    out
}

/// Snippet statements with every span zeroed: two codes that mean the same
/// compare equal.
///
/// ```
/// use studioflow::format::snippet_without_spans;
/// use studioflow::snippet::parse;
/// let a = snippet_without_spans(parse("x=1\nIF x>0 {TRACE x}", 0).unwrap());
/// let b = snippet_without_spans(parse("  x = 1 IF x > 0 { TRACE x }", 7).unwrap());
/// assert_eq!(a, b);
/// ```
pub fn snippet_without_spans(stmts: Vec<Stmt>) -> Vec<Stmt> {
    without_spans(stmts)
}

fn without_spans(mut stmts: Vec<Stmt>) -> Vec<Stmt> {
    stmts.iter_mut().for_each(stmt_zero);
    stmts
}

const ZERO: Span = Span { start: 0, end: 0 };

/// Zeroes every span of an expression.
pub(crate) fn expr_zero(e: &mut Expr) {
    e.span = ZERO;
    match &mut e.kind {
        ExprKind::Literal(_) | ExprKind::Variable(_) => {}
        ExprKind::Template(parts) => parts.iter_mut().for_each(|p| {
            if let TemplatePart::Expr(e) = p {
                expr_zero(e)
            }
        }),
        ExprKind::List(items) => items.iter_mut().for_each(expr_zero),
        ExprKind::Call(_, span, items) => {
            *span = ZERO;
            items.iter_mut().for_each(expr_zero)
        }
        ExprKind::Member(a, _) | ExprKind::Unary(_, a) => expr_zero(a),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            expr_zero(a);
            expr_zero(b)
        }
    }
}

fn stmt_zero(s: &mut Stmt) {
    s.span = ZERO;
    let body = |b: &mut Vec<Stmt>| b.iter_mut().for_each(stmt_zero);
    match &mut s.kind {
        StmtKind::Assign { target, value } => {
            target.span = ZERO;
            for step in &mut target.path {
                if let PathStep::Index(e) = step {
                    expr_zero(e);
                }
            }
            expr_zero(value);
        }
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            expr_zero(cond);
            body(then);
            body(otherwise);
        }
        StmtKind::Switch {
            subject,
            cases,
            default,
        } => {
            expr_zero(subject);
            for (labels, b) in cases {
                labels.iter_mut().for_each(expr_zero);
                body(b);
            }
            if let Some(b) = default {
                body(b);
            }
        }
        StmtKind::Select { cases, default } => {
            for (labels, b) in cases {
                labels.iter_mut().for_each(expr_zero);
                body(b);
            }
            if let Some(b) = default {
                body(b);
            }
        }
        StmtKind::For {
            start,
            end,
            body: b,
            ..
        } => {
            expr_zero(start);
            expr_zero(end);
            body(b);
        }
        StmtKind::ForEach { array, body: b, .. } => {
            expr_zero(array);
            body(b);
        }
        StmtKind::Repeat { count, body: b } => {
            expr_zero(count);
            body(b);
        }
        StmtKind::Function(f) => {
            f.name_span = ZERO;
            body(&mut f.body);
        }
        StmtKind::Return(v) => {
            if let Some(v) = v {
                expr_zero(v);
            }
        }
        StmtKind::Trace(v) | StmtKind::Call(v) => expr_zero(v),
        StmtKind::Break | StmtKind::Dynamic(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::format_snippet;

    #[test]
    fn blank_line_before_a_comment_is_kept() {
        // Multi-line blocks stay multi-line (item 30 of issue 17).
        let code = "\n  FOREACH l IN c {\n    x = 1\n  }\n\n  // note\n  y = 2\n";
        assert_eq!(
            format_snippet(code, "  ").unwrap(),
            "  FOREACH l IN c\n  {\n    x = 1\n  }\n\n  // note\n  y = 2\n"
        );
    }
}
