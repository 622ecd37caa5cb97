//! Expression trees from the grammar's flat runs of operands and
//! operators: precedence, prefix and postfix operators, literals, templates.
//! Read from the parse's nodes ([`super::tree`]).

use super::ast::*;
use super::errors::describe_rule;
use super::grammar::Rule;
use super::tree::{Children, Id, Tree};

use super::prescan::MAX_NESTING;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};

/// The longest run of prefix operators (`- - - x`) accepted; each one is a
/// level of recursion when the tree is built and evaluated.
const MAX_PREFIX_RUN: usize = MAX_NESTING;

/// The value of a number literal; one too large for a number (it would
/// silently become infinity) is an error.
pub(super) fn number_value(t: &Tree<'_, '_>, i: Id) -> Result<f64, Diagnostic> {
    let text = t.str(i);
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => {
            let shown = if text.len() > 24 {
                format!("{}…", &text[..20])
            } else {
                text.to_string()
            };
            Err(Diagnostic::new(
                DiagnosticCode::NumberOutOfRange,
                t.span(i),
                format!(
                    "the number `{shown}` ({} digits) is too large: numbers go up to about 1.8e308",
                    text.bytes().filter(u8::is_ascii_digit).count()
                ),
            ))
        }
    }
}

/// The value of a `raw_string` node.
pub(super) fn raw_string_value(t: &Tree<'_, '_>, i: Id) -> String {
    let text = t.first_child(i).map(|p| t.str(p)).unwrap_or("");
    unescape(text, '"')
}

/// The text of a string literal closed by `quote`, its escapes applied:
/// `\n`, `\t`, `\\`, `\{`, `\}` and a backslash before the closing quote.
/// Any other backslash pair is kept as written: Snippet code copied from
/// Studio writes `"\bwd\b"` (a `.script` file's pre-scan refuses such a pair
/// before this runs), and `'\"'` is the two characters `\"`.
pub(super) fn unescape(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    unescape_into(&mut out, text, quote);
    out
}

/// [`unescape`], appended to `out`.
pub(super) fn unescape_into(out: &mut String, text: &str, quote: char) {
    if !text.contains('\\') {
        out.push_str(text);
        return;
    }
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(c @ ('\\' | '{' | '}')) => out.push(c),
                Some(c) if c == quote => out.push(c),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
}

/// Builds an expression tree from an `expr` node: the grammar gives a flat
/// run of operands and operators, the tree comes from their precedence.
pub(super) fn build_expr(t: &Tree<'_, '_>, i: Id) -> Result<Expr, Diagnostic> {
    // One level of brackets is a few frames of this builder (kilobytes each
    // in a debug build); nesting is bounded by the pre-scan, and the stack
    // grows here when a host's thread has little left, whatever its size.
    stacker::maybe_grow(BUILD_RED_ZONE, BUILD_STACK_SEGMENT, || {
        build_expr_here(t, i)
    })
}

/// Stack left below which [`build_expr`] continues on a new segment.
const BUILD_RED_ZONE: usize = 64 * 1024;
/// The size of such a segment: room for the deepest nesting the pre-scan
/// lets through, in a debug build.
const BUILD_STACK_SEGMENT: usize = 4 * 1024 * 1024;

fn build_expr_here(t: &Tree<'_, '_>, i: Id) -> Result<Expr, Diagnostic> {
    let last = check_prefix_runs(t, t.children(i))?;
    // What `exact_span` gives: an `expr` is no opaque rule, so its span
    // ends where its last child's exact span does.
    let span = t.exact_span_below(i, last);
    let mut expr = precedence_expr(t, &mut t.children(i), 0)?;
    expr.span = span;
    Ok(expr)
}

/// pest matches `prefix_op*` iteratively, but the tree builder recurses once
/// per prefix operator, so long runs are refused here first. The last child.
fn check_prefix_runs(t: &Tree<'_, '_>, children: Children<'_>) -> Result<Option<Id>, Diagnostic> {
    let mut run = 0usize;
    let mut last = None;
    for p in children {
        last = Some(p);
        if t.rule(p) == Rule::prefix_op {
            run += 1;
            if run > MAX_PREFIX_RUN {
                return Err(Diagnostic::new(
                    DiagnosticCode::NestingTooDeep,
                    t.span(p),
                    format!("more than {MAX_PREFIX_RUN} prefix operators in a row"),
                ));
            }
        } else {
            run = 0;
        }
    }
    Ok(last)
}

/// Binding powers, loosest first, in Studio's order: parentheses, `^`,
/// `* / \ %`, `+ -`, comparisons, then logic (`&` before `|` and `~`).
/// Prefix `-` and `not` bind looser than `^` (`-2^2` is -4) and tighter than
/// the rest; `.member` and `[index]` tightest. Every infix operator is
/// left-associative.
const PREFIX_POWER: u8 = 70;
const POSTFIX_POWER: u8 = 90;

pub(super) fn infix_power(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or | BinaryOp::Xor => 10,
        BinaryOp::And => 20,
        BinaryOp::Eq | BinaryOp::Ne => 30,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 40,
        BinaryOp::Add | BinaryOp::Sub => 50,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::IntDiv | BinaryOp::Mod => 60,
        BinaryOp::Pow => 80,
    }
}

/// Which operator an `infix_op` token is, from its text.
pub(super) fn binary_op(text: &str) -> BinaryOp {
    match text.as_bytes() {
        b"||" | b"|" => BinaryOp::Or,
        b"~" => BinaryOp::Xor,
        b"&&" | b"&" => BinaryOp::And,
        b"==" | b"=" => BinaryOp::Eq,
        b"<>" | b"!=" => BinaryOp::Ne,
        b"<=" => BinaryOp::Le,
        b">=" => BinaryOp::Ge,
        b"<" => BinaryOp::Lt,
        b">" => BinaryOp::Gt,
        b"+" => BinaryOp::Add,
        b"-" => BinaryOp::Sub,
        b"*" => BinaryOp::Mul,
        b"/" => BinaryOp::Div,
        b"\\" => BinaryOp::IntDiv,
        b"%" => BinaryOp::Mod,
        b"^" => BinaryOp::Pow,
        _ if text.eq_ignore_ascii_case("or") => BinaryOp::Or,
        _ => BinaryOp::And,
    }
}

/// The binding power of the token that would continue an expression.
fn continuation_power(t: &Tree<'_, '_>, i: Id) -> u8 {
    match t.rule(i) {
        Rule::infix_op => infix_power(binary_op(t.str(i))),
        _ => POSTFIX_POWER, // member, index
    }
}

/// Top-down operator precedence over the flat run (as pest's Pratt parser
/// did: the same order of evaluation, so the same first error). Recursion
/// is once per prefix operator (runs are bounded) and once per rising
/// binding power (a fixed number of levels); operators of one level loop.
fn precedence_expr(
    t: &Tree<'_, '_>,
    run: &mut Children<'_>,
    min_power: u8,
) -> Result<Expr, Diagnostic> {
    let first = run.next().expect("an expression has an operand");
    let mut lhs = if t.rule(first) == Rule::prefix_op {
        let rhs = precedence_expr(t, run, PREFIX_POWER - 1)?;
        let span = Span::new(t.start(first), rhs.span.end);
        let op = if t.str(first).starts_with('-') {
            UnaryOp::Neg
        } else {
            UnaryOp::Not
        };
        node(ExprKind::Unary(op, Box::new(rhs)), span)?
    } else {
        build_primary(t, first)?
    };
    while let Some(next) = run.peek() {
        if continuation_power(t, next) <= min_power {
            break;
        }
        let op = run.next().expect("peeked");
        lhs = match t.rule(op) {
            Rule::infix_op => {
                let kind = binary_op(t.str(op));
                let rhs = precedence_expr(t, run, infix_power(kind))?;
                binary(lhs, kind, t.span(op), rhs)?
            }
            _ => postfix(t, lhs, op)?,
        };
    }
    Ok(lhs)
}

fn postfix(t: &Tree<'_, '_>, lhs: Expr, op: Id) -> Result<Expr, Diagnostic> {
    let end = t.exact_span(op).end;
    let span = Span::new(lhs.span.start, end);
    let kind = match t.rule(op) {
        Rule::member => {
            let mut inner = t.children(op);
            let name = inner.next().expect("member name");
            match inner.next() {
                // `value.f(args)` is sugar for `f(value, args)`.
                Some(call) => {
                    let mut args = vec![lhs];
                    for a in t.children(call).filter(|&p| t.rule(p) == Rule::expr) {
                        args.push(build_expr(t, a)?);
                    }
                    ExprKind::Call(t.str(name).to_string(), t.span(name), args)
                }
                None => ExprKind::Member(Box::new(lhs), t.str(name).to_string()),
            }
        }
        _ => {
            let idx = t.first_child(op).expect("index expr");
            ExprKind::Index(Box::new(lhs), Box::new(build_expr(t, idx)?))
        }
    };
    node(kind, span)
}

pub(super) fn binary(
    lhs: Expr,
    op: BinaryOp,
    op_span: Span,
    rhs: Expr,
) -> Result<Expr, Diagnostic> {
    if op.is_comparison() {
        for side in [&lhs, &rhs] {
            if let ExprKind::Binary(inner, _, _) = &side.kind {
                if inner.is_comparison() && !side.parenthesized {
                    return Err(Diagnostic::new(
                        DiagnosticCode::ChainedComparison,
                        op_span,
                        format!(
                            "comparisons do not chain: `{}` after `{}`; use parentheses or `and`",
                            op.symbol(),
                            inner.symbol()
                        ),
                    ));
                }
            }
        }
    }
    let span = Span::new(lhs.span.start, rhs.span.end);
    node(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span)
}

/// Builds a node, refusing trees higher than MAX_NESTING: long operator
/// chains (`1+1+...+1`) and brackets nested inside chains grow a tree without
/// growing bracket nesting, and everything downstream walks trees recursively.
pub(super) fn node(kind: ExprKind, span: Span) -> Result<Expr, Diagnostic> {
    let depth = 1 + kind.child_depth();
    if depth as usize > MAX_NESTING {
        return Err(Diagnostic::new(
            DiagnosticCode::NestingTooDeep,
            span,
            format!("the expression nests deeper than {MAX_NESTING} operations"),
        ));
    }
    Ok(Expr {
        kind,
        span,
        parenthesized: false,
        depth,
    })
}

/// The expressions among the children of `i`.
fn exprs(t: &Tree<'_, '_>, i: Id) -> Result<Vec<Expr>, Diagnostic> {
    t.children(i)
        .filter(|&p| t.rule(p) == Rule::expr)
        .map(|p| build_expr(t, p))
        .collect()
}

fn build_primary(t: &Tree<'_, '_>, i: Id) -> Result<Expr, Diagnostic> {
    let span = t.span(i);
    let kind = match t.rule(i) {
        Rule::paren => {
            let inner = t.first_child(i).expect("paren expr");
            let mut e = build_expr(t, inner)?;
            e.parenthesized = true;
            e.span = span;
            return Ok(e);
        }
        Rule::list => ExprKind::List(exprs(t, i)?),
        Rule::name_expr => {
            let name = t.first_child(i).expect("a name");
            if t.has_next_sibling(name, i) {
                let args = t
                    .children(i)
                    .skip(1)
                    .filter(|&p| t.rule(p) == Rule::expr)
                    .map(|p| build_expr(t, p))
                    .collect::<Result<_, _>>()?;
                ExprKind::Call(t.str(name).to_string(), t.span(name), args)
            } else {
                // A variable: its span is the name's (the rule's own may
                // end after blanks that pest skipped looking for `(`).
                return node(ExprKind::Variable(t.str(name).to_string()), t.span(name));
            }
        }
        Rule::number => ExprKind::Literal(Literal::Number(number_value(t, i)?)),
        Rule::kw_true => ExprKind::Literal(Literal::Bool(true)),
        Rule::kw_false => ExprKind::Literal(Literal::Bool(false)),
        Rule::kw_null => ExprKind::Literal(Literal::Null),
        Rule::string | Rule::dollar_string => build_template(t, i, '"')?,
        Rule::squote_string => build_template(t, i, '\'')?,
        // Kept with its prefix (spelled `global:`): the Snippet compiler
        // shares it with a calling script, the formatter writes it back.
        Rule::global_name => {
            let name = &t.str(i)["global:".len()..];
            ExprKind::Variable(format!("{GLOBAL_PREFIX}{name}"))
        }
        Rule::datetime => ExprKind::Literal(Literal::DateTime(
            t.first_child(i)
                .map(|p| t.str(p).to_string())
                .unwrap_or_default(),
        )),
        Rule::code_block => ExprKind::Literal(Literal::String(
            t.first_child(i)
                .map(|p| t.str(p).to_string())
                .unwrap_or_default(),
        )),
        other => {
            return Err(Diagnostic::new(
                DiagnosticCode::SyntaxError,
                span,
                format!("unexpected {}", describe_rule(other)),
            ))
        }
    };
    node(kind, span)
}

/// A string literal: plain text becomes a string literal, anything with
/// `{expression}` parts a template.
fn build_template(t: &Tree<'_, '_>, i: Id, quote: char) -> Result<ExprKind, Diagnostic> {
    let children = t.children(i);
    let count = children.clone().count();
    if count == 1 && matches!(t.rule(i + 1), Rule::text | Rule::squote_text) {
        // Plain text: no parts to gather.
        return Ok(ExprKind::Literal(Literal::String(unescape(
            t.str(i + 1),
            quote,
        ))));
    }
    // Never more parts than nodes (a text part may gather several).
    let mut parts: Vec<TemplatePart> = Vec::with_capacity(count);
    // The text part being written (the last part), or a new one.
    fn text_part(parts: &mut Vec<TemplatePart>) -> &mut String {
        if !matches!(parts.last(), Some(TemplatePart::Text(_))) {
            parts.push(TemplatePart::Text(String::new()));
        }
        match parts.last_mut() {
            Some(TemplatePart::Text(t)) => t,
            _ => unreachable!("a text part was just pushed"),
        }
    }
    let push_text = |parts: &mut Vec<TemplatePart>, s: &str| text_part(parts).push_str(s);
    for p in children {
        match t.rule(p) {
            Rule::text | Rule::squote_text => unescape_into(text_part(&mut parts), t.str(p), quote),
            Rule::lbrace_escape => push_text(&mut parts, "{"),
            Rule::rbrace_escape | Rule::lone_rbrace => push_text(&mut parts, "}"),
            Rule::interpolation => {
                let e = t.first_child(p).expect("interpolated expr");
                parts.push(TemplatePart::Expr(build_expr(t, e)?));
            }
            _ => {}
        }
    }
    Ok(match parts.as_mut_slice() {
        [] => ExprKind::Literal(Literal::String(String::new())),
        [TemplatePart::Text(t)] => ExprKind::Literal(Literal::String(std::mem::take(t))),
        _ => ExprKind::Template(parts),
    })
}
