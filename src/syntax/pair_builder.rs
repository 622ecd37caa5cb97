//! The tree builder as it was before it read pest's parse as flat nodes
//! ([`super::tree`]): kept, for the tests only, as the reference the node
//! builder must equal (the same ASTs, the same errors, on the same parses).

use std::iter::Peekable;

use pest::iterators::Pair;
use smallvec::SmallVec;

use super::ast::*;
use super::errors::describe_rule;
use super::expr::{binary, binary_op, infix_power, node, unescape, unescape_into};
use super::grammar::Rule;
use super::parser::ParsedPiece;
use super::prescan::MAX_NESTING;
use super::tree::{is_opaque, last_code_end};
use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};

/// The longest run of prefix operators (`- - - x`) accepted; each one is a
/// level of recursion when the tree is built and evaluated.
const MAX_PREFIX_RUN: usize = MAX_NESTING;

/// The value of a number literal; one too large for a number (it would
/// silently become infinity) is an error.
fn number_value(pair: &Pair<'_, Rule>) -> Result<f64, Diagnostic> {
    let text = pair.as_str();
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
                span_of(pair),
                format!(
                    "the number `{shown}` ({} digits) is too large: numbers go up to about 1.8e308",
                    text.bytes().filter(u8::is_ascii_digit).count()
                ),
            ))
        }
    }
}

fn raw_string_value(pair: Pair<'_, Rule>) -> String {
    let text = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
    unescape(text, '"')
}

/// Builds an expression tree from an `expr` pair: the grammar gives a flat
/// run of operands and operators, the tree comes from their precedence.
pub(super) fn build_expr(pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
    // One level of brackets is a few frames of this builder (kilobytes each
    // in a debug build); nesting is bounded by the pre-scan, and the stack
    // grows here when a host's thread has little left, whatever its size.
    stacker::maybe_grow(BUILD_RED_ZONE, BUILD_STACK_SEGMENT, || {
        build_expr_here(pair)
    })
}

/// Stack left below which [`build_expr`] continues on a new segment.
const BUILD_RED_ZONE: usize = 64 * 1024;
/// The size of such a segment: room for the deepest nesting the pre-scan
/// lets through, in a debug build.
const BUILD_STACK_SEGMENT: usize = 4 * 1024 * 1024;

fn build_expr_here(pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
    // The operands and operators, read once (each walk of a pair's children
    // counts them first).
    let whole = pair.as_span();
    let children: SmallVec<[Pair<'_, Rule>; 8]> = pair.into_inner().collect();
    check_prefix_runs(&children)?;
    // What `exact_span(&pair)` gives: an `expr` is no opaque rule, so its
    // span ends where its last child's exact span does.
    let span = exact_span_below(whole, children.last().cloned());
    let mut expr = precedence_expr(&mut children.into_iter().peekable(), 0)?;
    expr.span = span;
    Ok(expr)
}

/// pest matches `prefix_op*` iteratively, but the tree builder recurses once
/// per prefix operator, so long runs are refused here first.
fn check_prefix_runs(children: &[Pair<'_, Rule>]) -> Result<(), Diagnostic> {
    let mut run = 0usize;
    for p in children {
        if p.as_rule() == Rule::prefix_op {
            run += 1;
            if run > MAX_PREFIX_RUN {
                return Err(Diagnostic::new(
                    DiagnosticCode::NestingTooDeep,
                    span_of(p),
                    format!("more than {MAX_PREFIX_RUN} prefix operators in a row"),
                ));
            }
        } else {
            run = 0;
        }
    }
    Ok(())
}

/// Binding powers, loosest first, in Studio's order: parentheses, `^`,
/// `* / \ %`, `+ -`, comparisons, then logic (`&` before `|` and `~`).
/// Prefix `-` and `not` bind looser than `^` (`-2^2` is -4) and tighter than
/// the rest; `.member` and `[index]` tightest. Every infix operator is
/// left-associative.
const PREFIX_POWER: u8 = 70;
const POSTFIX_POWER: u8 = 90;

/// The binding power of the token that would continue an expression.
fn continuation_power(pair: &Pair<'_, Rule>) -> u8 {
    match pair.as_rule() {
        Rule::infix_op => infix_power(binary_op(pair.as_str())),
        _ => POSTFIX_POWER, // member, index
    }
}

/// Top-down operator precedence over the flat run (as pest's Pratt parser
/// did: the same order of evaluation, so the same first error). Recursion
/// is once per prefix operator (runs are bounded) and once per rising
/// binding power (a fixed number of levels); operators of one level loop.
fn precedence_expr<'i, I: Iterator<Item = Pair<'i, Rule>>>(
    pairs: &mut Peekable<I>,
    min_power: u8,
) -> Result<Expr, Diagnostic> {
    let first = pairs.next().expect("an expression has an operand");
    let mut lhs = if first.as_rule() == Rule::prefix_op {
        let rhs = precedence_expr(pairs, PREFIX_POWER - 1)?;
        let span = Span::new(first.as_span().start(), rhs.span.end);
        let op = if first.as_str().starts_with('-') {
            UnaryOp::Neg
        } else {
            UnaryOp::Not
        };
        node(ExprKind::Unary(op, Box::new(rhs)), span)?
    } else {
        build_primary(first)?
    };
    while let Some(next) = pairs.peek() {
        if continuation_power(next) <= min_power {
            break;
        }
        let op = pairs.next().expect("peeked");
        lhs = match op.as_rule() {
            Rule::infix_op => {
                let kind = binary_op(op.as_str());
                let rhs = precedence_expr(pairs, infix_power(kind))?;
                binary(lhs, kind, span_of(&op), rhs)?
            }
            _ => postfix(lhs, op)?,
        };
    }
    Ok(lhs)
}

fn postfix(lhs: Expr, op: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
    let end = exact_span(&op).end;
    let span = Span::new(lhs.span.start, end);
    let kind = match op.as_rule() {
        Rule::member => {
            let mut inner = op.into_inner();
            let name = inner.next().expect("member name");
            match inner.next() {
                // `value.f(args)` is sugar for `f(value, args)`.
                Some(call) => {
                    let mut args = vec![lhs];
                    for a in call.into_inner().filter(|p| p.as_rule() == Rule::expr) {
                        args.push(build_expr(a)?);
                    }
                    ExprKind::Call(name.as_str().to_string(), span_of(&name), args)
                }
                None => ExprKind::Member(Box::new(lhs), name.as_str().to_string()),
            }
        }
        _ => {
            let idx = op.into_inner().next().expect("index expr");
            ExprKind::Index(Box::new(lhs), Box::new(build_expr(idx)?))
        }
    };
    node(kind, span)
}

fn build_primary(pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
    let span = span_of(&pair);
    let kind = match pair.as_rule() {
        Rule::paren => {
            let inner = pair.into_inner().next().expect("paren expr");
            let mut e = build_expr(inner)?;
            e.parenthesized = true;
            e.span = span;
            return Ok(e);
        }
        Rule::list => ExprKind::List(
            pair.into_inner()
                .filter(|p| p.as_rule() == Rule::expr)
                .map(build_expr)
                .collect::<Result<_, _>>()?,
        ),
        Rule::name_expr => {
            let mut inner = pair.into_inner();
            let name = inner.next().expect("a name");
            if inner.peek().is_none() {
                // A variable: its span is the name's (the rule's own may
                // end after blanks that pest skipped looking for `(`).
                let name_span = span_of(&name);
                return node(ExprKind::Variable(name.as_str().to_string()), name_span);
            }
            let args = inner
                .filter(|p| p.as_rule() == Rule::expr)
                .map(build_expr)
                .collect::<Result<_, _>>()?;
            ExprKind::Call(name.as_str().to_string(), span_of(&name), args)
        }
        Rule::number => ExprKind::Literal(Literal::Number(number_value(&pair)?)),
        Rule::kw_true => ExprKind::Literal(Literal::Bool(true)),
        Rule::kw_false => ExprKind::Literal(Literal::Bool(false)),
        Rule::kw_null => ExprKind::Literal(Literal::Null),
        Rule::string | Rule::dollar_string => build_template(pair, '"')?,
        Rule::squote_string => build_template(pair, '\'')?,
        // Kept with its prefix (spelled `global:`): the Snippet compiler
        // shares it with a calling script, the formatter writes it back.
        Rule::global_name => {
            let name = &pair.as_str()["global:".len()..];
            ExprKind::Variable(format!("{GLOBAL_PREFIX}{name}"))
        }
        Rule::datetime => ExprKind::Literal(Literal::DateTime(
            pair.into_inner()
                .next()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
        )),
        Rule::code_block => ExprKind::Literal(Literal::String(
            pair.into_inner()
                .next()
                .map(|p| p.as_str().to_string())
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
fn build_template(pair: Pair<'_, Rule>, quote: char) -> Result<ExprKind, Diagnostic> {
    let mut parts: Vec<TemplatePart> = Vec::new();
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
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::text | Rule::squote_text => {
                unescape_into(text_part(&mut parts), p.as_str(), quote)
            }
            Rule::lbrace_escape => push_text(&mut parts, "{"),
            Rule::rbrace_escape | Rule::lone_rbrace => push_text(&mut parts, "}"),
            Rule::interpolation => {
                let e = p.into_inner().next().expect("interpolated expr");
                parts.push(TemplatePart::Expr(build_expr(e)?));
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

/// Builds one parsed action (found at byte `offset` of the script): its AST,
/// or, when it matches the grammar but cannot be built, its error and its id.
pub(super) fn action_piece(pair: Pair<'_, Rule>, offset: usize) -> ParsedPiece {
    let id = pair.clone().into_inner().next().expect("action id");
    let (id_text, id_span) = (id.as_str().to_string(), span_of(&id));
    let whole = span_of(&pair);
    match build_action(pair) {
        Ok(mut action) => {
            action.shift(offset);
            ParsedPiece::Action(action)
        }
        Err(e) => ParsedPiece::Unbuilt(
            e.shifted(offset),
            UnparsedAction {
                id: id_text,
                id_span: Span::new(id_span.start + offset, id_span.end + offset),
            },
            Span::new(whole.start + offset, whole.end + offset),
        ),
    }
}

pub(super) fn build_header(pair: Pair<'_, Rule>) -> Header {
    let mut name = String::new();
    let mut script_type = None;
    let mut inputs = Vec::new();
    let mut studio = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::raw_string => name = raw_string_value(p),
            Rule::studio_block => studio = Some(build_studio_block(p)),
            Rule::script_type => script_type = Some((p.as_str().to_string(), span_of(&p))),
            Rule::input_name => inputs.push((p.as_str().to_string(), span_of(&p))),
            _ => {}
        }
    }
    Header {
        name,
        script_type,
        inputs,
        studio,
    }
}

fn build_action(pair: Pair<'_, Rule>) -> Result<ActionAst, Diagnostic> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::colon);
    let id_pair = inner.next().expect("action id");
    let type_pair = inner.next().expect("action type");
    let mut action = ActionAst {
        id: id_pair.as_str().to_string(),
        id_span: span_of(&id_pair),
        action_type: type_pair.as_str().to_string(),
        type_span: span_of(&type_pair),
        caption: None,
        properties: Vec::new(),
        branches: Vec::new(),
        studio: None,
        span,
    };
    for p in inner {
        match p.as_rule() {
            Rule::caption => {
                let raw = p.into_inner().next().expect("caption string");
                action.caption = Some(raw_string_value(raw));
            }
            Rule::body => build_body(p, &mut action)?,
            _ => {}
        }
    }
    Ok(action)
}

/// The properties and branches of a body. Both start with an `entry_name`;
/// an `expr` after it makes a property, a `case_label` or `arrow` a branch.
fn build_body(body: Pair<'_, Rule>, action: &mut ActionAst) -> Result<(), Diagnostic> {
    let mut items = body.into_inner();
    while let Some(name) = items.next() {
        if name.as_rule() == Rule::studio_block {
            if action.studio.is_some() {
                return Err(Diagnostic::new(
                    DiagnosticCode::SyntaxError,
                    span_of(&name),
                    "a second `studio { ... }` block in one action",
                ));
            }
            action.studio = Some(build_studio_block(name));
            continue;
        }
        if name.as_rule() != Rule::entry_name {
            continue; // the closing brace
        }
        let name_span = span_of(&name);
        let name = name.as_str().to_string();
        let mut next = items.next().expect("an entry goes on after its name");
        if next.as_rule() == Rule::expr {
            action.properties.push(PropertyAst {
                name,
                name_span,
                value: build_expr(next)?,
            });
            continue;
        }
        let mut label = None;
        if next.as_rule() == Rule::case_label {
            label = Some(build_case_label(next)?);
            next = items.next().expect("the arrow after a case label");
        }
        debug_assert_eq!(next.as_rule(), Rule::arrow);
        let target = items.next().expect("a branch target");
        action.branches.push(BranchAst {
            name,
            name_span,
            label,
            target: target.as_str().to_string(),
            target_span: span_of(&target),
        });
    }
    Ok(())
}

/// `studio { Name = value ... }`.
fn build_studio_block(pair: Pair<'_, Rule>) -> StudioBlock {
    let span = span_of(&pair);
    let mut keyword_span = span;
    let mut entries = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_studio => keyword_span = span_of(&p),
            Rule::studio_entry => {
                let mut inner = p.into_inner();
                let name = inner.next().expect("an entry's name");
                let value = inner.next().expect("an entry's value");
                let value_span = span_of(&value);
                let value = match value.as_rule() {
                    Rule::raw_string => StudioValue::Text(raw_string_value(value)),
                    Rule::studio_list => StudioValue::List(
                        value
                            .into_inner()
                            .filter(|v| v.as_rule() == Rule::raw_string)
                            .map(raw_string_value)
                            .collect(),
                    ),
                    _ => StudioValue::Number(value.as_str().to_string()),
                };
                entries.push(StudioEntry {
                    name: name.as_str().to_string(),
                    name_span: span_of(&name),
                    value,
                    value_span,
                });
            }
            _ => {}
        }
    }
    StudioBlock {
        entries,
        keyword_span,
        span,
    }
}

fn build_case_label(pair: Pair<'_, Rule>) -> Result<Literal, Diagnostic> {
    let p = pair.into_inner().next().expect("label literal");
    Ok(match p.as_rule() {
        Rule::raw_string => Literal::String(raw_string_value(p)),
        Rule::number | Rule::neg_number => Literal::Number(number_value(&p)?),
        Rule::kw_true => Literal::Bool(true),
        Rule::kw_false => Literal::Bool(false),
        _ => Literal::Null,
    })
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
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
fn exact_span(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    if is_opaque(pair.as_rule()) {
        return Span::new(span.start(), span.end());
    }
    exact_span_below(span, pair.clone().into_inner().last())
}

/// [`exact_span`] of a pair whose text is not opaque, given its span and
/// its last child (the caller may already hold it).
fn exact_span_below(span: pest::Span<'_>, last: Option<Pair<'_, Rule>>) -> Span {
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
