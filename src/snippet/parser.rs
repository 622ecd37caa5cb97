//! Snippet text → statement tree. The grammar is `grammar/snippet.pest`
//! combined with `grammar/studio.pest`; expressions are built by the one
//! expression parser ([`crate::syntax::parse_expression`]).

use pest::iterators::Pair;
use pest::Parser;
use pest_derive::Parser;

use super::ast::{FunctionDecl, PathStep, Stmt, StmtKind, Target};
use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};
use crate::syntax::ast::{Expr, ExprKind, TemplatePart};
use crate::syntax::Dialect;

#[derive(Parser)]
#[grammar = "../grammar/studio.pest"]
#[grammar = "../grammar/snippet.pest"]
struct SnippetParser;

/// Parses Snippet code. `offset` is where `code` starts in its `.script`
/// file: every span in the result (and in an error) is shifted by it.
///
/// ```
/// let code = "ASSIGN total = 0\nFOR i = 1 TO 3 { total = total + i }";
/// let stmts = studioflow::snippet::parse(code, 100).unwrap();
/// assert_eq!(stmts.len(), 2);
/// assert_eq!(stmts[1].span.start, 117);
///
/// let err = studioflow::snippet::parse("IF x { y = }", 0).unwrap_err();
/// assert_eq!(err.span.start, 11);
/// ```
pub fn parse(code: &str, offset: usize) -> Result<Vec<Stmt>, Diagnostic> {
    let shifted = |mut d: Diagnostic| {
        d.span = Span::new(d.span.start + offset, d.span.end + offset);
        d
    };
    // pest recurses once per nesting level: bound nesting first, without recursion.
    crate::syntax::prescan_in(code, Dialect::Snippet).map_err(shifted)?;
    let mut pairs =
        SnippetParser::parse(Rule::snippet, code).map_err(|e| shifted(pest_error(e)))?;
    let root = pairs.next().expect("the snippet rule yields one pair");
    let builder = Builder { code, offset };
    builder.statements(root)
}

/// Parses Snippet code as [`parse`] does; when the code's only problem is
/// blocks left open at its end, the error names the construct whose `{`
/// is never closed (not the end of the code), and the statements parsed
/// with the missing `}` supplied come with it, so that the Snippet's other
/// errors are reported too.
pub(crate) fn parse_recovering(
    code: &str,
    offset: usize,
) -> Result<Vec<Stmt>, (Diagnostic, Option<Vec<Stmt>>)> {
    let err = match parse(code, offset) {
        Ok(stmts) => return Ok(stmts),
        Err(e) => e,
    };
    let open = unclosed_braces(code);
    let at_end = err.span.start >= offset + end_of_code(code);
    let Some(&innermost) = open.last().filter(|_| at_end) else {
        return Err((err, None));
    };
    let (head, word) = opening_construct(code, innermost);
    let what = match word.to_ascii_uppercase().as_str() {
        w @ ("IF" | "ELSE" | "FOR" | "FOREACH" | "REPEAT" | "WHILE" | "SWITCH" | "SELECT"
        | "CASE" | "DEFAULT" | "FUNCTION") => format!("this `{w}` block"),
        _ => "this block".to_string(),
    };
    let diagnostic = Diagnostic::new(
        DiagnosticCode::MissingBrace,
        Span::new(offset + head, offset + head + word.len().max(1)),
        format!("{what} is never closed: its `{{` has no matching `}}`"),
    );
    let mut closed = code.to_string();
    for _ in &open {
        closed.push_str("\n}");
    }
    Err((diagnostic, parse(&closed, offset).ok()))
}

/// Where the code ends (before trailing whitespace and comments).
fn end_of_code(code: &str) -> usize {
    let mut end = code.trim_end().len();
    // A trailing `// comment` line is no code.
    loop {
        let line_start = code[..end].rfind('\n').map_or(0, |n| n + 1);
        let line = code[line_start..end].trim_start();
        if line.starts_with("//") {
            end = code[..line_start].trim_end().len();
            if line_start == 0 {
                return 0;
            }
        } else {
            return end;
        }
    }
}

/// Offsets of the `{` of code blocks left open at the end of `code`,
/// outermost first (strings, their `{...}` parts and comments skipped).
fn unclosed_braces(code: &str) -> Vec<usize> {
    #[derive(PartialEq)]
    enum Mode {
        Block(usize),
        /// A string closed by this quote (`"` or `'`; `$"..."` is a `"`).
        Text(u8),
        Interpolation,
    }
    let bytes = code.as_bytes();
    let mut modes: Vec<Mode> = Vec::new();
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
                b'}' if bytes.get(i + 1) == Some(&b'}') => i += 1,
                b'{' => modes.push(Mode::Interpolation),
                _ => {}
            },
            _ => match b {
                b'"' | b'\'' => modes.push(Mode::Text(b)),
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'{' => modes.push(Mode::Block(i)),
                b'}' => {
                    modes.pop();
                }
                _ => {}
            },
        }
        i += 1;
    }
    modes
        .iter()
        .filter_map(|m| match m {
            Mode::Block(at) => Some(*at),
            _ => None,
        })
        .collect()
}

/// The first word of the statement a `{` at `brace` opens: on the brace's
/// line, or (for a brace on a line of its own, as NICE writes them) on the
/// last line with code before it. Its offset and text.
fn opening_construct(code: &str, brace: usize) -> (usize, &str) {
    let line_start = code[..brace].rfind('\n').map_or(0, |n| n + 1);
    let mut start = line_start;
    if code[line_start..brace].trim().is_empty() {
        let mut end = line_start;
        loop {
            let before = code[..end].trim_end();
            let prev_start = before.rfind('\n').map_or(0, |n| n + 1);
            let line = before[prev_start..].trim_start();
            if line.is_empty() || !line.starts_with("//") || prev_start == 0 {
                start = prev_start;
                break;
            }
            end = prev_start;
        }
    }
    let start = start + (code[start..].len() - code[start..].trim_start().len());
    let len = code[start..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if len == 0 {
        return (brace, "{");
    }
    (start, &code[start..start + len])
}

struct Builder<'a> {
    code: &'a str,
    offset: usize,
}

impl Builder<'_> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(s.start() + self.offset, s.end() + self.offset)
    }

    fn statements(&self, parent: Pair<'_, Rule>) -> Result<Vec<Stmt>, Diagnostic> {
        parent
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::EOI | Rule::close_brace))
            .map(|p| self.statement(p))
            .collect()
    }

    fn block(&self, pair: Pair<'_, Rule>) -> Result<Vec<Stmt>, Diagnostic> {
        debug_assert_eq!(pair.as_rule(), Rule::block);
        self.statements(pair)
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let start = pair.as_span().start();
        let text = &self.code[start..pair.as_span().end()];
        let by = self.offset + start;
        let mut e =
            crate::syntax::parse_expression_in(text, Dialect::Snippet).map_err(|mut d| {
                d.span = Span::new(d.span.start + by, d.span.end + by);
                d
            })?;
        shift(&mut e, by);
        Ok(e)
    }

    fn statement(&self, pair: Pair<'_, Rule>) -> Result<Stmt, Diagnostic> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().filter(|p| !is_keyword(p.as_rule()));
        let kind = match rule {
            Rule::s_assign => {
                let target = inner.next().expect("target");
                let _op = inner.next().expect("=");
                let value = inner.next().expect("value");
                StmtKind::Assign {
                    target: self.target(target)?,
                    value: self.expr(value)?,
                }
            }
            Rule::s_if => {
                let cond = self.expr(inner.next().expect("condition"))?;
                let then = self.block(inner.next().expect("block"))?;
                let otherwise = match inner.next() {
                    None => Vec::new(),
                    Some(p) if p.as_rule() == Rule::else_if => {
                        return Err(Diagnostic::new(
                            DiagnosticCode::SyntaxError,
                            self.span(&p),
                            "Snippet has no ELSE IF: write ELSE { IF ... { } }",
                        ))
                    }
                    Some(p) => self.block(p)?,
                };
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                }
            }
            Rule::s_else => {
                return Err(Diagnostic::new(
                    DiagnosticCode::SyntaxError,
                    span,
                    "ELSE must follow the `}` of an IF block",
                ))
            }
            Rule::s_switch | Rule::s_select => {
                let subject = if rule == Rule::s_switch {
                    Some(self.expr(inner.next().expect("subject"))?)
                } else {
                    None
                };
                let mut cases = Vec::new();
                let mut default: Option<Vec<Stmt>> = None;
                for p in inner {
                    let at = self.span(&p);
                    let body = match p.as_rule() {
                        Rule::switch_case => {
                            let mut labels = Vec::new();
                            let mut body = None;
                            for part in p.into_inner().filter(|p| !is_keyword(p.as_rule())) {
                                match part.as_rule() {
                                    Rule::block => body = Some(self.block(part)?),
                                    _ => labels.push(self.expr(part)?),
                                }
                            }
                            let body = body.expect("case block");
                            if !labels.iter().any(is_other) {
                                cases.push((labels, body));
                                continue;
                            }
                            if labels.len() > 1 {
                                let other = labels.iter().find(|l| is_other(l)).expect("found");
                                return Err(Diagnostic::new(
                                    DiagnosticCode::SyntaxError,
                                    other.span,
                                    "CASE OTHER is the DEFAULT: it cannot share a block with other CASE labels",
                                ));
                            }
                            body
                        }
                        Rule::default_case => {
                            let body = p.into_inner().find(|p| p.as_rule() == Rule::block);
                            self.block(body.expect("default block"))?
                        }
                        _ => continue,
                    };
                    if default.is_some() {
                        return Err(Diagnostic::new(
                            DiagnosticCode::SyntaxError,
                            at,
                            "a second DEFAULT (or CASE OTHER): a SWITCH or SELECT has at most one",
                        ));
                    }
                    default = Some(body);
                }
                match subject {
                    Some(subject) => StmtKind::Switch {
                        subject,
                        cases,
                        default,
                    },
                    None => StmtKind::Select { cases, default },
                }
            }
            Rule::s_for => {
                let var = inner.next().expect("loop variable").as_str().to_string();
                let start = self.expr(inner.next().expect("start"))?;
                let end = self.expr(inner.next().expect("end"))?;
                let body = self.block(inner.next().expect("body"))?;
                StmtKind::For {
                    var,
                    start,
                    end,
                    body,
                }
            }
            Rule::s_foreach => {
                let var = inner.next().expect("loop variable").as_str().to_string();
                let array = self.expr(inner.next().expect("array"))?;
                let body = self.block(inner.next().expect("body"))?;
                StmtKind::ForEach { var, array, body }
            }
            Rule::s_repeat => {
                let count = self.expr(inner.next().expect("count"))?;
                let body = self.block(inner.next().expect("body"))?;
                StmtKind::Repeat { count, body }
            }
            Rule::s_while => return Err(Diagnostic::new(
                DiagnosticCode::UnsupportedStatement,
                span,
                "WHILE is not part of Studio's Snippet language: use REPEAT n { ... BREAK } or FOR",
            )),
            Rule::s_uses => {
                return Err(Diagnostic::new(
                    DiagnosticCode::UnsupportedStatement,
                    span,
                    "USES (web-service proxies) is not supported by studioflow",
                ))
            }
            Rule::s_break => StmtKind::Break,
            Rule::s_dynamic => StmtKind::Dynamic(inner.map(|p| p.as_str().to_string()).collect()),
            Rule::s_function => {
                let name = inner.next().expect("function name");
                let name_span = self.span(&name);
                let mut params = Vec::new();
                let mut body = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::declared_name => {
                            let param = p.as_str().to_string();
                            if params.contains(&param) {
                                return Err(Diagnostic::new(
                                    DiagnosticCode::DuplicateDeclaration,
                                    self.span(&p),
                                    format!("parameter `{param}` is declared twice"),
                                ));
                            }
                            params.push(param);
                        }
                        Rule::block => body = self.block(p)?,
                        _ => {}
                    }
                }
                StmtKind::Function(FunctionDecl {
                    name: name.as_str().to_string(),
                    name_span,
                    params,
                    body,
                })
            }
            Rule::s_return => StmtKind::Return(inner.next().map(|p| self.expr(p)).transpose()?),
            Rule::s_trace => StmtKind::Trace(self.expr(inner.next().expect("trace value"))?),
            Rule::s_call => {
                let e = self.expr(inner.next().expect("expression"))?;
                if !matches!(e.kind, ExprKind::Call(..)) {
                    return Err(Diagnostic::new(
DiagnosticCode::SyntaxError,
                        e.span,
                        "expected a statement: an expression on its own does nothing (did you mean `name = value`?)",
                    ));
                }
                StmtKind::Call(e)
            }
            other => {
                return Err(Diagnostic::new(
                    DiagnosticCode::SyntaxError,
                    span,
                    format!("unexpected {}", describe(other)),
                ))
            }
        };
        Ok(Stmt { kind, span })
    }

    fn target(&self, pair: Pair<'_, Rule>) -> Result<Target, Diagnostic> {
        let mut inner = pair.into_inner();
        let root = inner.next().expect("target root");
        let span = self.span(&root);
        let text = root.as_str();
        let (global, name) = match text.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("global:") => (true, &text[7..]),
            _ => (false, text),
        };
        let mut path = Vec::new();
        for step in inner {
            match step.as_rule() {
                Rule::member => {
                    let name = step.into_inner().next().expect("member name");
                    path.push(PathStep::Member(name.as_str().to_string()));
                }
                Rule::index => {
                    let e = step.into_inner().next().expect("index expression");
                    path.push(PathStep::Index(self.expr(e)?));
                }
                _ => {}
            }
        }
        Ok(Target {
            name: name.to_string(),
            global,
            span,
            path,
        })
    }
}

/// `CASE OTHER`: real Studio code's DEFAULT (a bare `OTHER`, any case).
fn is_other(label: &Expr) -> bool {
    matches!(&label.kind, ExprKind::Variable(v) if v.eq_ignore_ascii_case("other"))
        && !label.parenthesized
}

/// Moves every span in an expression tree by `by` bytes. Trees are at most
/// MAX_NESTING high (the expression parser refuses higher ones).
fn shift(e: &mut Expr, by: usize) {
    e.span = Span::new(e.span.start + by, e.span.end + by);
    match &mut e.kind {
        ExprKind::Literal(_) | ExprKind::Variable(_) => {}
        ExprKind::Template(parts) => {
            for p in parts {
                if let TemplatePart::Expr(e) = p {
                    shift(e, by);
                }
            }
        }
        ExprKind::List(items) => items.iter_mut().for_each(|e| shift(e, by)),
        ExprKind::Call(_, name_span, args) => {
            *name_span = Span::new(name_span.start + by, name_span.end + by);
            args.iter_mut().for_each(|e| shift(e, by));
        }
        ExprKind::Member(a, _) | ExprKind::Unary(_, a) => shift(a, by),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            shift(a, by);
            shift(b, by);
        }
    }
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_assign
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_switch
            | Rule::kw_select
            | Rule::kw_case
            | Rule::kw_default
            | Rule::kw_for
            | Rule::kw_to
            | Rule::kw_foreach
            | Rule::kw_in
            | Rule::kw_repeat
            | Rule::kw_while
            | Rule::kw_break
            | Rule::kw_dynamic
            | Rule::kw_function
            | Rule::kw_return
            | Rule::kw_trace
            | Rule::kw_uses
            | Rule::close_paren
            | Rule::close_brace
    )
}

/// The words a user sees for a rule in "expected ..." messages.
fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of the code",
        Rule::snippet | Rule::statement => "a statement",
        Rule::s_assign | Rule::assign_target | Rule::target_root => "a statement",
        Rule::s_call => "a statement",
        Rule::block => "`{`",
        Rule::close_brace | Rule::interpolation_end => "`}`",
        Rule::close_paren => "`)`",
        Rule::close_bracket => "`]`",
        Rule::assign_op => "`=`",
        Rule::kw_to => "`TO`",
        Rule::kw_in => "`IN`",
        Rule::kw_case => "`CASE`",
        Rule::kw_default => "`DEFAULT`",
        Rule::kw_else => "`ELSE`",
        Rule::switch_case | Rule::default_case => "`CASE` or `DEFAULT`",
        Rule::loop_var | Rule::declared_name => "a name",
        Rule::member => "`.member`",
        Rule::index => "`[index]`",
        Rule::expr
        | Rule::prefix_op
        | Rule::paren
        | Rule::list
        | Rule::name_expr
        | Rule::name
        | Rule::kw_true
        | Rule::kw_false
        | Rule::kw_null
        | Rule::number
        | Rule::string
        | Rule::squote_string
        | Rule::dollar_string
        | Rule::global_name
        | Rule::code_block
        | Rule::datetime => "an expression",
        Rule::infix_op => "an operator",
        _ => "a statement",
    }
}

fn pest_error(err: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let message = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = Vec::new();
            for r in positives {
                let w = describe(*r);
                if !words.contains(&w) {
                    words.push(w);
                }
            }
            // After a complete value an operator could always follow: noise.
            if positives.contains(&Rule::infix_op) {
                words.retain(|w| !matches!(*w, "an operator" | "`.member`" | "`[index]`"));
            }
            match words.len() {
                0 => "unexpected input".to_string(),
                1 => format!("expected {}", words[0]),
                n => format!("expected {} or {}", words[..n - 1].join(", "), words[n - 1]),
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::new(
        DiagnosticCode::SyntaxError,
        Span::new(start, end.max(start)),
        message,
    )
}
