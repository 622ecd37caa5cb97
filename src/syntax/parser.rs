//! pest grammar → AST, with readable parse errors.

use std::iter::Peekable;

use pest::iterators::{Pair, Pairs};
use pest::Parser;
use pest_derive::Parser;

use super::ast::*;
use super::prescan::{prescan, MAX_NESTING};
use crate::diagnostics::BOM;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};

#[derive(Parser)]
#[grammar = "../grammar/studio.pest"]
pub(crate) struct StudioParser;

/// The longest run of prefix operators (`- - - x`) accepted; each one is a
/// level of recursion when the tree is built and evaluated.
const MAX_PREFIX_RUN: usize = MAX_NESTING;

/// Parses a whole script. The first problem found is returned; see
/// [`parse_script_recovering`] for every syntax error at once.
///
/// ```
/// let err = studioflow::syntax::parse_script("start Begin").unwrap_err();
/// assert_eq!(err.message, "expected `:`");
/// ```
pub fn parse_script(text: &str) -> Result<ScriptAst, Diagnostic> {
    let mut parsed = parse_script_recovering(text);
    if parsed.errors.is_empty() {
        Ok(parsed.ast)
    } else {
        Err(parsed.errors.swap_remove(0))
    }
}

/// Parses a whole script, recovering from syntax errors at the next action:
/// the result holds every action that parsed and one error for each stretch
/// of text that did not.
///
/// A file that parses whole is parsed in one pass. Otherwise it is cut at
/// every line that starts like an action (`id:`), and each piece is parsed
/// on its own (pre-scan included), so a broken action cannot hide the
/// errors of the actions after it, and a missing `}` is reported where the
/// action ends rather than at the next one. The cut is a linear scan and
/// each piece is parsed once, so recovery stays linear in the input.
///
/// ```
/// let parsed = studioflow::syntax::parse_script_recovering(
///     "start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 +\nb: End",
/// );
/// assert_eq!(parsed.errors.len(), 1);
/// assert_eq!(parsed.ast.actions.len(), 2); // start and b
/// ```
pub fn parse_script_recovering(text: &str) -> ParsedScript {
    if let Some(refused) = refused_input(text) {
        return refused;
    }
    if let Some(parsed) = parse_action_by_action(text) {
        return parsed;
    }
    let mut parsed = ParsedScript::default();
    let whole_error = match parse_piece(text, 0, &mut parsed) {
        Ok(()) => return parsed,
        Err(e) => e,
    };
    let mut parsed = ParsedScript::default();
    let starts = action_starts(text);
    let bounds = std::iter::once(0)
        .chain(starts.iter().copied())
        .zip(starts.iter().copied().chain(std::iter::once(text.len())));
    for (i, (start, end)) in bounds.enumerate() {
        if start == end {
            continue;
        }
        if let Err(e) = parse_piece(&text[start..end], start, &mut parsed) {
            parsed.unparsed_text.push(Span::new(start, end));
            if i > 0 {
                let (id, id_span) = leading_id(text, start);
                parsed.unparsed.push(UnparsedAction {
                    id: id.to_string(),
                    id_span,
                });
            }
            parsed.errors.push(e);
        }
    }
    // The pieces parse one by one but the whole did not (a cut inside a
    // multi-line string, say): report what the whole parse found.
    if parsed.errors.is_empty() {
        return ParsedScript {
            errors: vec![whole_error],
            ..Default::default()
        };
    }
    parsed
}

/// The error for a text that is not worth parsing (empty, or binary).
pub(crate) fn refused_input(text: &str) -> Option<ParsedScript> {
    let fatal = |code, span, message: &str| ParsedScript {
        errors: vec![Diagnostic::new(code, span, message)],
        ..Default::default()
    };
    if text.trim_start_matches(BOM).trim().is_empty() {
        return Some(fatal(
            DiagnosticCode::EmptyScript,
            Span::new(0, 0),
            "the script is empty: expected an action such as `start: Begin { Default -> next }`",
        ));
    }
    let pos = text.find('\0')?;
    Some(fatal(
        DiagnosticCode::BinaryInput,
        Span::new(pos, pos + 1),
        "the script contains a NUL byte: is this a binary file?",
    ))
}

/// The fast path for a script without syntax errors: the same grammar as
/// `file`, applied one action at a time, so that pest's token queue (about
/// 40 bytes of memory per byte of source when it holds a whole file) only
/// ever holds one action. `None` at the first syntax error: the caller then
/// parses the whole text, whose errors and recovery are the reference.
fn parse_action_by_action(text: &str) -> Option<ParsedScript> {
    let mut out = ParsedScript::default();
    parse_pieces(text, |piece| {
        push_piece(&mut out, piece);
        true
    })
    .then_some(out)
}

/// One piece of a script, as [`parse_pieces`] hands them over.
pub(crate) enum ParsedPiece {
    /// The `script "..."` header (first, when written).
    Header(Header),
    /// An action, spans relative to the whole script.
    Action(ActionAst),
    /// An action that matches the grammar but cannot be built (an
    /// expression nested too deep, a number out of range): its error, its
    /// id so that references to it are not reported as unknown, and its span.
    Unbuilt(Diagnostic, UnparsedAction, Span),
}

/// The action-by-action fast path as a stream: each piece is handed to
/// `each` as soon as it is built, so a consumer (the compiler) can lower an
/// action and drop its AST before the next one is parsed. `each` returns
/// false to stop. True when the whole text was parsed and every piece was
/// taken; false at the first syntax error (or stop), after which the caller
/// parses with [`parse_script_recovering`], whose errors are the reference.
/// (A caller checks [`refused_input`] first, as that function does.)
pub(crate) fn parse_pieces(text: &str, mut each: impl FnMut(ParsedPiece) -> bool) -> bool {
    if prescan(text).is_err() {
        return false;
    }
    let Some(start) = StudioParser::parse(Rule::file_start, text)
        .ok()
        .and_then(|mut pairs| pairs.next())
    else {
        return false;
    };
    let mut pos = start.as_span().end();
    for pair in start.into_inner() {
        if pair.as_rule() == Rule::header && !each(ParsedPiece::Header(build_header(pair))) {
            return false;
        }
    }
    loop {
        let rest = &text[pos..];
        let Some(piece) = StudioParser::parse(Rule::next_piece, rest)
            .ok()
            .and_then(|mut pairs| pairs.next())
        else {
            return false;
        };
        let end = piece.as_span().end();
        let Some(action) = piece.into_inner().find(|p| p.as_rule() == Rule::action) else {
            // The end of the input (after blanks and comments).
            return true;
        };
        if !each(action_piece(action, pos)) {
            return false;
        }
        pos += end;
    }
}

/// Adds one piece to a whole parse result.
fn push_piece(out: &mut ParsedScript, piece: ParsedPiece) {
    match piece {
        ParsedPiece::Header(header) => {
            out.ast.header.get_or_insert(header);
        }
        ParsedPiece::Action(action) => out.ast.actions.push(action),
        ParsedPiece::Unbuilt(error, unparsed, span) => {
            out.errors.push(error);
            out.unparsed.push(unparsed);
            out.unparsed_text.push(span);
        }
    }
}

/// Builds one parsed action (found at byte `offset` of the script): its AST,
/// or, when it matches the grammar but cannot be built, its error and its id.
fn action_piece(pair: Pair<'_, Rule>, offset: usize) -> ParsedPiece {
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

/// Parses `piece`, which starts at byte `offset` of the script, into `out`
/// (spans relative to the whole script). An action that matches the
/// grammar but cannot be built (an expression nested too deep, a number out
/// of range) is recorded as an error of its own and the others are still
/// built; only an error of the pre-scan or the grammar fails the piece.
fn parse_piece(piece: &str, offset: usize, out: &mut ParsedScript) -> Result<(), Diagnostic> {
    let shifted = |d: Diagnostic| d.shifted(offset);
    prescan(piece).map_err(shifted)?;
    let mut pairs = StudioParser::parse(Rule::file, piece)
        .map_err(|e| pest_error(e, piece))
        .map_err(shifted)?;
    let file = pairs.next().expect("the file rule always yields one pair");
    for pair in file.into_inner() {
        match pair.as_rule() {
            Rule::header => {
                let mut header = build_header(pair);
                header.shift(offset);
                out.ast.header.get_or_insert(header);
            }
            Rule::action => push_piece(out, action_piece(pair, offset)),
            _ => {}
        }
    }
    Ok(())
}

/// Byte offsets of the lines that start like an action (`id:` after
/// optional blanks): the places where recovery resumes.
fn action_starts(text: &str) -> Vec<usize> {
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

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The identifier at `at` (the start of an action piece) and its span.
fn leading_id(text: &str, at: usize) -> (&str, Span) {
    let len = text.as_bytes()[at..]
        .iter()
        .take_while(|b| is_ident_byte(**b))
        .count();
    (&text[at..at + len], Span::new(at, at + len))
}

/// Parses one expression on its own (used by tests and hosts).
///
/// ```
/// assert!(studioflow::syntax::parse_expression("1 < 2 < 3").unwrap_err().message.contains("do not chain"));
/// ```
pub fn parse_expression(text: &str) -> Result<Expr, Diagnostic> {
    prescan(text)?;
    let mut pairs = StudioParser::parse(Rule::expr, text).map_err(|e| pest_error(e, text))?;
    let pair = pairs.next().expect("the expr rule yields one pair");
    let end = pair.as_span().end();
    if text[end..].trim() != "" {
        return Err(Diagnostic::new(
            DiagnosticCode::SyntaxError,
            Span::new(end, text.len()),
            "unexpected text after the expression",
        ));
    }
    build_expr(pair)
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
    let text = span.get_input();
    let mut from = span.start();
    let mut p = pair.clone();
    loop {
        if matches!(
            p.as_rule(),
            Rule::string
                | Rule::raw_string
                | Rule::code_block
                | Rule::datetime
                | Rule::caption
                | Rule::case_label
        ) {
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

fn build_header(pair: Pair<'_, Rule>) -> Header {
    let mut name = String::new();
    let mut script_type = None;
    let mut inputs = Vec::new();
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::raw_string => name = raw_string_value(p),
            Rule::script_type => script_type = Some((p.as_str().to_string(), span_of(&p))),
            Rule::input_name => inputs.push((p.as_str().to_string(), span_of(&p))),
            _ => {}
        }
    }
    Header {
        name,
        script_type,
        inputs,
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
    unescape(text)
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Builds an expression tree from an `expr` pair: the grammar gives a flat
/// run of operands and operators, the tree comes from their precedence.
fn build_expr(pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
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
    check_prefix_runs(&pair)?;
    let span = exact_span(&pair);
    let mut expr = precedence_expr(&mut pair.into_inner().peekable(), 0)?;
    expr.span = span;
    Ok(expr)
}

/// pest matches `prefix_op*` iteratively, but the tree builder recurses once
/// per prefix operator, so long runs are refused here first.
fn check_prefix_runs(pair: &Pair<'_, Rule>) -> Result<(), Diagnostic> {
    let mut run = 0usize;
    for p in pair.clone().into_inner() {
        if p.as_rule() == Rule::prefix_op {
            run += 1;
            if run > MAX_PREFIX_RUN {
                return Err(Diagnostic::new(
                    DiagnosticCode::NestingTooDeep,
                    span_of(&p),
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

fn infix_power(op: BinaryOp) -> u8 {
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
fn binary_op(text: &str) -> BinaryOp {
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
fn precedence_expr<'i>(
    pairs: &mut Peekable<Pairs<'i, Rule>>,
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

fn binary(lhs: Expr, op: BinaryOp, op_span: Span, rhs: Expr) -> Result<Expr, Diagnostic> {
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
fn node(kind: ExprKind, span: Span) -> Result<Expr, Diagnostic> {
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
        Rule::string => build_template(pair)?,
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
fn build_template(pair: Pair<'_, Rule>) -> Result<ExprKind, Diagnostic> {
    let mut parts: Vec<TemplatePart> = Vec::new();
    let push_text = |parts: &mut Vec<TemplatePart>, s: &str| match parts.last_mut() {
        Some(TemplatePart::Text(t)) => t.push_str(s),
        _ => parts.push(TemplatePart::Text(s.to_string())),
    };
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::text => push_text(&mut parts, &unescape(p.as_str())),
            Rule::lbrace_escape => push_text(&mut parts, "{"),
            Rule::rbrace_escape => push_text(&mut parts, "}"),
            Rule::interpolation => {
                let e = p.into_inner().next().expect("interpolated expr");
                parts.push(TemplatePart::Expr(build_expr(e)?));
            }
            _ => {}
        }
    }
    Ok(match parts.as_slice() {
        [] => ExprKind::Literal(Literal::String(String::new())),
        [TemplatePart::Text(t)] => ExprKind::Literal(Literal::String(t.clone())),
        _ => ExprKind::Template(parts),
    })
}

/// The words a user sees for a grammar rule in "expected ..." messages.
fn describe_rule(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file | Rule::file_start | Rule::next_piece => {
            "an action such as `start: Begin { Default -> next }`"
        }
        Rule::header => "a script header",
        Rule::colon => "`:`",
        Rule::close_brace => "`}`",
        Rule::close_paren => "`)`",
        Rule::close_bracket => "`]`",
        Rule::action => "an action",
        Rule::action_id => "an action id",
        Rule::action_type => "an action type",
        Rule::caption => "a caption string",
        Rule::body => "`{`",
        // A name that starts a property or a branch: see `expected_message`.
        Rule::entry | Rule::entry_name => "a property or a branch",
        Rule::arrow => "`->`",
        Rule::target => "a target action id",
        Rule::case_label => "a case label",
        Rule::expr => "an expression",
        Rule::infix_op => "an operator",
        Rule::prefix_op => "a prefix operator",
        Rule::member => "`.member`",
        Rule::method_args => "`(`",
        Rule::code_block | Rule::code_block_text => "a `\"\"\"` code block",
        Rule::datetime => "a datetime such as `#\"02/09/2023 8:00 AM\"`",
        Rule::member_name => "a member name",
        Rule::index => "`[index]`",
        Rule::paren => "`(`",
        Rule::list => "a list",
        Rule::name_expr | Rule::call_args => "a variable or a function call",
        Rule::name => "a name",
        Rule::number | Rule::neg_number => "a number",
        Rule::kw_true | Rule::kw_false => "a boolean",
        Rule::kw_null => "null",
        Rule::string | Rule::raw_string => "a string",
        Rule::text | Rule::raw_text | Rule::escape => "string text",
        Rule::interpolation => "`{expression}`",
        Rule::interpolation_end => "`}`",
        Rule::lbrace_escape => "`{{`",
        Rule::rbrace_escape => "`}}`",
        Rule::kw_script => "`script`",
        Rule::kw_type => "`type`",
        Rule::script_type => "a script type",
        Rule::kw_inputs => "`inputs`",
        Rule::input_name => "an input variable name",
        Rule::keyword | Rule::value_word => "a keyword",
        Rule::postfix => "`.member` or `[index]`",
        Rule::primary => "a value",
        Rule::string_part => "string text",
        Rule::ident_char | Rule::ident => "a name",
        Rule::WHITESPACE | Rule::COMMENT | Rule::comment_text | Rule::bom => "whitespace",
    }
}

/// Rules pest reports where an expression could begin.
fn starts_expression(rule: Rule) -> bool {
    matches!(
        rule,
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
            | Rule::code_block
            | Rule::datetime
    )
}

/// Turns a pest error in `text` into a diagnostic. Where pest's "expected
/// ..." would point at the wrong problem or place, the text around the error
/// is looked at to name the real one (see [`explain`]).
fn pest_error(err: pest::error::Error<Rule>, text: &str) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match err.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    let positives: &[Rule] = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    if let Some(d) = explain(text, start, positives) {
        return d;
    }
    let message = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_message(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::new(
        DiagnosticCode::SyntaxError,
        Span::new(start, end.max(start)),
        message,
    )
}

/// "expected a, b or c" from the rules pest tried.
fn expected_message(positives: &[Rule]) -> String {
    let mut words: Vec<&str> = Vec::new();
    // Anything that can start an expression is summed up as one word.
    if positives.iter().any(|r| starts_expression(*r)) {
        words.push("an expression");
    }
    for r in positives.iter().filter(|r| !starts_expression(**r)) {
        // A body's entry name starts a property or a branch: two words.
        let these: &[&str] = match r {
            Rule::entry_name => &["a property", "a branch"],
            _ => &[describe_rule(*r)],
        };
        for w in these {
            if !words.contains(w) {
                words.push(w);
            }
        }
    }
    // After a complete value an operator could always follow: noise in an
    // "expected" list.
    if positives.contains(&Rule::infix_op) {
        words.retain(|w| !matches!(*w, "an operator" | "`.member`" | "`[index]`"));
    }
    match words.len() {
        0 => "unexpected input".to_string(),
        1 => format!("expected {}", words[0]),
        n => format!("expected {} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// Names the real problem behind a few errors whose pest wording misleads:
///
/// - a body that is still open where the text (or the action's piece) ends:
///   a missing `}`, reported at the end of the action, not at the next one;
/// - `Name => target`: a wrong arrow, not a missing expression;
/// - `a: Type Name = value` or `a: Type Name -> b`: a missing `{`, not a
///   missing `:`.
fn explain(text: &str, pos: usize, positives: &[Rule]) -> Option<Diagnostic> {
    let rest = text.get(pos..)?;
    if positives.contains(&Rule::close_brace) && only_trivia(rest) {
        let at = end_of_code(&text[..pos]);
        let action = action_starts_in(text)
            .into_iter()
            .rfind(|&s| s < pos)
            .map(|s| leading_id(text, s).0);
        let message = match action {
            Some(id) => {
                format!("missing `}}` at the end of action `{id}`: its body is never closed")
            }
            None => "missing `}` at the end of an action body".to_string(),
        };
        return Some(Diagnostic::new(
            DiagnosticCode::MissingBrace,
            Span::new(at, at),
            message,
        ));
    }
    // `Case gold -> x`: a bare word where a case label goes.
    let before = text[..pos].trim_end();
    let after_case = before
        .len()
        .checked_sub(4)
        .and_then(|at| Some((before.get(at..)?, before.get(..at)?)))
        .is_some_and(|(word, ahead)| {
            word.eq_ignore_ascii_case("case")
                && !ahead.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        });
    if after_case
        && positives.contains(&Rule::case_label)
        && rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    {
        let len = rest.bytes().take_while(|b| is_ident_byte(*b)).count();
        let word = &rest[..len];
        return Some(Diagnostic::new(
            DiagnosticCode::SyntaxError,
            Span::new(pos, pos + len),
            format!(
                "a case label is a quoted string (or a number, true, false, null): write `Case \"{word}\" -> target`"
            ),
        ));
    }
    if rest.starts_with('>') && text[..pos].trim_end().ends_with('=') {
        let eq = text[..pos].trim_end().len() - 1;
        return Some(Diagnostic::new(
            DiagnosticCode::SyntaxError,
            Span::new(eq, pos + 1),
            "`=>` is not an arrow: a branch is written `Name -> target`",
        ));
    }
    if positives.contains(&Rule::colon) && (rest.starts_with('=') || rest.starts_with("->")) {
        let before = text[..pos].trim_end();
        let name_len = before
            .bytes()
            .rev()
            .take_while(|b| is_ident_byte(*b))
            .count();
        let name_start = before.len() - name_len;
        let name = &before[name_start..];
        let what = if rest.starts_with('=') {
            "property"
        } else {
            "branch"
        };
        return Some(Diagnostic::new(
            DiagnosticCode::MissingBrace,
            Span::new(name_start, before.len()),
            format!(
                "missing `{{` before the {what} `{name}`: an action's properties and branches go inside `{{ ... }}` after its type"
            ),
        ));
    }
    None
}

/// Action starts in `text`, including one on its first line.
fn action_starts_in(text: &str) -> Vec<usize> {
    let first = text.len() - text.trim_start_matches([' ', '\t']).len();
    let mut starts = action_starts(text);
    let (id, _) = leading_id(text, first);
    if !id.is_empty()
        && text[first + id.len()..]
            .trim_start_matches([' ', '\t'])
            .starts_with(':')
    {
        starts.insert(0, first);
    }
    starts
}

/// True when `text` holds only whitespace and `//` comments.
fn only_trivia(mut text: &str) -> bool {
    loop {
        text = text.trim_start();
        match text.strip_prefix("//") {
            Some(comment) => {
                text = comment.find(['\n', '\r']).map_or("", |n| &comment[n..]);
            }
            None => return text.is_empty(),
        }
    }
}

/// The offset just past the last code (not whitespace, not a `//` comment)
/// in `text`. A quote count per line tells a comment from `//` in a string.
fn end_of_code(text: &str) -> usize {
    let mut end = text.len();
    loop {
        let line_start = text[..end].rfind(['\n', '\r']).map_or(0, |n| n + 1);
        let line = &text[line_start..end];
        let mut in_string = false;
        let mut escaped = false;
        let mut code_end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '/' if !in_string && line[i..].starts_with("//") => {
                    code_end = i;
                    break;
                }
                _ => {}
            }
        }
        let code = line[..code_end].trim_end();
        if !code.is_empty() || line_start == 0 {
            return line_start + code.len();
        }
        end = line_start - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_operator_chains_are_bounded() {
        let text = format!("1{}", "+1".repeat(10_000));
        let err = parse_expression(&text).unwrap_err();
        assert!(err.message.contains("deeper than"), "{}", err.message);
    }

    #[test]
    fn keywords_are_whole_words() {
        let e = parse_expression("order and notes").unwrap();
        assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::And, _, _)));
    }

    #[test]
    fn chained_comparison_is_refused() {
        assert!(parse_expression("1 < 2 < 3")
            .unwrap_err()
            .message
            .contains("do not chain"));
        assert!(parse_expression("(1 < 2) = true").is_ok());
    }

    /// The whole-file parse, as the reference the fast path must equal.
    fn parse_whole(text: &str) -> Option<ParsedScript> {
        let mut parsed = ParsedScript::default();
        parse_piece(text, 0, &mut parsed).ok()?;
        Some(parsed)
    }

    /// Every script in the repository (examples, golden cases, malformed
    /// ones) gets the same AST, spans and build errors from the
    /// action-by-action fast path as from one parse of the whole file, and
    /// the fast path gives up exactly where the whole parse fails.
    #[test]
    fn action_by_action_equals_whole_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        crate::test_support::script_files(&root.join("scripts"), &mut files);
        crate::test_support::script_files(&root.join("tests"), &mut files);
        assert!(files.len() > 20, "found only {} scripts", files.len());
        let mut extra = vec![
            "\u{FEFF}script \"X\" type Chat\n// c\nstart: Begin { Default -> e }\n\n// tail"
                .to_string(),
            "start: Begin{Default->e}e: End   ".to_string(),
            "// only a comment\n".to_string(),
            "start: Begin { Default -> e }\ne: End\n}".to_string(),
        ];
        let mut compared = 0;
        for path in &files {
            extra.push(std::fs::read_to_string(path).unwrap());
        }
        for text in &extra {
            let whole = parse_whole(text);
            let fast = parse_action_by_action(text);
            match (&whole, &fast) {
                (Some(w), Some(f)) => {
                    assert_eq!(w.ast, f.ast, "{text}");
                    assert_eq!(w.errors.len(), f.errors.len(), "{text}");
                    for (a, b) in w.errors.iter().zip(&f.errors) {
                        assert_eq!((&a.message, a.span), (&b.message, b.span), "{text}");
                    }
                    compared += 1;
                }
                (None, None) => {}
                _ => panic!(
                    "whole parse {} but action by action {}:\n{text}",
                    if whole.is_some() { "succeeds" } else { "fails" },
                    if fast.is_some() { "succeeds" } else { "fails" },
                ),
            }
        }
        assert!(compared > 20, "only {compared} scripts parsed");
    }
}
