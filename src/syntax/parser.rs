//! pest grammar → AST, with readable parse errors.

use pest::iterators::Pair;
use pest::Parser;

use super::ast::*;
use super::errors::pest_error;
use super::expr::{build_expr, number_value, raw_string_value};
use super::grammar::{action_starts, leading_id, span_of, Rule, StudioParser};

use super::prescan::{prescan, prescan_in, Dialect};
use crate::diagnostics::BOM;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};

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
    recover(text)
}

/// [`parse_script_recovering`] for a text [`parse_pieces`] has already
/// failed on with a syntax error (the compiler's streaming pass): the same
/// result without trying the fast path again.
pub(crate) fn parse_script_recovering_after_error(text: &str) -> ParsedScript {
    if let Some(refused) = refused_input(text) {
        return refused;
    }
    recover(text)
}

/// The recovery: each action parsed on its own (cut where the next one
/// starts), so one bad action does not hide the others. The whole text is
/// parsed only when every piece parses (its error is then the one to
/// report, a cut inside a multi-line string, say) or when none could be
/// cut: a text with a syntax error is not parsed whole just to be set aside.
fn recover(text: &str) -> ParsedScript {
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
    // The pieces parse one by one: the whole decides (it parses, or its
    // error is the one to report: a cut inside a multi-line string, say).
    if parsed.errors.is_empty() {
        let mut whole = ParsedScript::default();
        return match parse_piece(text, 0, &mut whole) {
            Ok(()) => whole,
            Err(whole_error) => ParsedScript {
                errors: vec![whole_error],
                ..Default::default()
            },
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
        let mut actions = 0;
        for action in piece.into_inner() {
            if action.as_rule() != Rule::action {
                continue;
            }
            actions += 1;
            if !each(action_piece(action, pos)) {
                return false;
            }
        }
        if actions == 0 {
            // The end of the input (after blanks and comments).
            return true;
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

/// Parses one expression on its own (used by tests and hosts).
///
/// ```
/// assert!(studioflow::syntax::parse_expression("1 < 2 < 3").unwrap_err().message.contains("do not chain"));
/// ```
pub fn parse_expression(text: &str) -> Result<Expr, Diagnostic> {
    parse_expression_in(text, Dialect::Script)
}

/// [`parse_expression`] for `dialect` (Snippet code keeps unknown escapes).
pub(crate) fn parse_expression_in(text: &str, dialect: Dialect) -> Result<Expr, Diagnostic> {
    prescan_in(text, dialect)?;
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

fn build_header(pair: Pair<'_, Rule>) -> Header {
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
