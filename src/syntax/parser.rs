//! pest grammar → AST, with readable parse errors.

use pest::Parser;

use super::ast::*;
use super::errors::pest_error;
use super::expr::{build_expr, number_value, raw_string_value};
use super::grammar::{action_starts, leading_id, Rule, StudioParser};
use super::tree::{Id, Nodes, Tree};

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
    let Ok(start) = StudioParser::parse(Rule::file_start, text) else {
        return false;
    };
    // The parse's nodes, one buffer for every piece.
    let mut nodes = Nodes::default();
    nodes.fill(&start);
    let t = nodes.tree(text, 0);
    let Some(root) = t.roots().next() else {
        return false;
    };
    let mut pos = t.span(root).end;
    for p in t.children(root) {
        if t.rule(p) == Rule::header && !each(ParsedPiece::Header(build_header(&t, p))) {
            return false;
        }
    }
    loop {
        let rest = &text[pos..];
        let Ok(pairs) = StudioParser::parse(Rule::next_piece, rest) else {
            return false;
        };
        nodes.fill(&pairs);
        let t = nodes.tree(rest, pos);
        let Some(piece) = t.roots().next() else {
            return false;
        };
        let end = t.span(piece).end;
        let mut actions = 0;
        for action in t.children(piece) {
            if t.rule(action) != Rule::action {
                continue;
            }
            actions += 1;
            if !each(action_piece(&t, action)) {
                return false;
            }
        }
        // The token queue goes only now (see `Nodes::fill`).
        drop(pairs);
        if actions == 0 {
            // The end of the input (after blanks and comments).
            return true;
        }
        pos = end;
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

/// Builds one parsed action (spans relative to the whole script): its AST,
/// or, when it matches the grammar but cannot be built, its error and its id.
fn action_piece(t: &Tree<'_, '_>, action: Id) -> ParsedPiece {
    match build_action(t, action) {
        Ok(action) => ParsedPiece::Action(action),
        Err(e) => {
            let id = t.first_child(action).expect("action id");
            ParsedPiece::Unbuilt(
                e,
                UnparsedAction {
                    id: t.str(id).to_string(),
                    id_span: t.span(id),
                },
                t.span(action),
            )
        }
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
    let pairs = StudioParser::parse(Rule::file, piece)
        .map_err(|e| pest_error(e, piece))
        .map_err(shifted)?;
    let mut nodes = Nodes::default();
    nodes.fill(&pairs);
    let t = nodes.tree(piece, offset);
    let file = t
        .roots()
        .next()
        .expect("the file rule always yields one pair");
    for p in t.children(file) {
        match t.rule(p) {
            Rule::header => {
                let header = build_header(&t, p);
                out.ast.header.get_or_insert(header);
            }
            Rule::action => push_piece(out, action_piece(&t, p)),
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
    let pairs = StudioParser::parse(Rule::expr, text).map_err(|e| pest_error(e, text))?;
    let mut nodes = Nodes::default();
    nodes.fill(&pairs);
    let t = nodes.tree(text, 0);
    let expr = t.roots().next().expect("the expr rule yields one pair");
    let end = t.span(expr).end;
    if text[end..].trim() != "" {
        return Err(Diagnostic::new(
            DiagnosticCode::SyntaxError,
            Span::new(end, text.len()),
            "unexpected text after the expression",
        ));
    }
    build_expr(&t, expr)
}

fn build_header(t: &Tree<'_, '_>, header: Id) -> Header {
    let mut name = String::new();
    let mut script_type = None;
    let mut inputs = Vec::new();
    let mut studio = None;
    for p in t.children(header) {
        match t.rule(p) {
            Rule::raw_string => name = raw_string_value(t, p),
            Rule::studio_block => studio = Some(build_studio_block(t, p)),
            Rule::script_type => script_type = Some((t.str(p).to_string(), t.span(p))),
            Rule::input_name => inputs.push((t.str(p).to_string(), t.span(p))),
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

fn build_action(t: &Tree<'_, '_>, action: Id) -> Result<ActionAst, Diagnostic> {
    let mut inner = t.children(action).filter(|&p| t.rule(p) != Rule::colon);
    let id = inner.next().expect("action id");
    let action_type = inner.next().expect("action type");
    let mut built = ActionAst {
        id: t.str(id).to_string(),
        id_span: t.span(id),
        action_type: t.str(action_type).to_string(),
        type_span: t.span(action_type),
        caption: None,
        properties: Vec::new(),
        branches: Vec::new(),
        studio: None,
        span: t.span(action),
    };
    for p in inner {
        match t.rule(p) {
            Rule::caption => {
                let raw = t.first_child(p).expect("caption string");
                built.caption = Some(raw_string_value(t, raw));
            }
            Rule::body => build_body(t, p, &mut built)?,
            _ => {}
        }
    }
    Ok(built)
}

/// The properties and branches of a body. Both start with an `entry_name`;
/// an `expr` after it makes a property, a `case_label` or `arrow` a branch.
fn build_body(t: &Tree<'_, '_>, body: Id, action: &mut ActionAst) -> Result<(), Diagnostic> {
    let mut items = t.children(body);
    while let Some(name) = items.next() {
        if t.rule(name) == Rule::studio_block {
            if action.studio.is_some() {
                return Err(Diagnostic::new(
                    DiagnosticCode::SyntaxError,
                    t.span(name),
                    "a second `studio { ... }` block in one action",
                ));
            }
            action.studio = Some(build_studio_block(t, name));
            continue;
        }
        if t.rule(name) != Rule::entry_name {
            continue; // the closing brace
        }
        let name_span = t.span(name);
        let name = t.str(name).to_string();
        let mut next = items.next().expect("an entry goes on after its name");
        if t.rule(next) == Rule::expr {
            action.properties.push(PropertyAst {
                name,
                name_span,
                value: build_expr(t, next)?,
            });
            continue;
        }
        let mut label = None;
        if t.rule(next) == Rule::case_label {
            label = Some(build_case_label(t, next)?);
            next = items.next().expect("the arrow after a case label");
        }
        debug_assert_eq!(t.rule(next), Rule::arrow);
        let target = items.next().expect("a branch target");
        action.branches.push(BranchAst {
            name,
            name_span,
            label,
            target: t.str(target).to_string(),
            target_span: t.span(target),
        });
    }
    Ok(())
}

/// `studio { Name = value ... }`.
fn build_studio_block(t: &Tree<'_, '_>, block: Id) -> StudioBlock {
    let span = t.span(block);
    let mut keyword_span = span;
    let mut entries = Vec::new();
    for p in t.children(block) {
        match t.rule(p) {
            Rule::kw_studio => keyword_span = t.span(p),
            Rule::studio_entry => {
                let mut inner = t.children(p);
                let name = inner.next().expect("an entry's name");
                let value = inner.next().expect("an entry's value");
                let value_span = t.span(value);
                let value = match t.rule(value) {
                    Rule::raw_string => StudioValue::Text(raw_string_value(t, value)),
                    Rule::studio_list => StudioValue::List(
                        t.children(value)
                            .filter(|&v| t.rule(v) == Rule::raw_string)
                            .map(|v| raw_string_value(t, v))
                            .collect(),
                    ),
                    _ => StudioValue::Number(t.str(value).to_string()),
                };
                entries.push(StudioEntry {
                    name: t.str(name).to_string(),
                    name_span: t.span(name),
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

fn build_case_label(t: &Tree<'_, '_>, label: Id) -> Result<Literal, Diagnostic> {
    let p = t.first_child(label).expect("label literal");
    Ok(match t.rule(p) {
        Rule::raw_string => Literal::String(raw_string_value(t, p)),
        Rule::number | Rule::neg_number => Literal::Number(number_value(t, p)?),
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

    /// The same piece, from the node builder and from the `Pair` builder it
    /// replaced (`pair_builder`): the same AST, or the same error, id and
    /// span.
    fn assert_same_piece(nodes: ParsedPiece, pairs: ParsedPiece, text: &str) {
        match (nodes, pairs) {
            (ParsedPiece::Action(a), ParsedPiece::Action(b)) => assert_eq!(a, b, "{text}"),
            (ParsedPiece::Unbuilt(e, u, s), ParsedPiece::Unbuilt(f, v, r)) => {
                assert_eq!(
                    (e.code, &e.message, e.span),
                    (f.code, &f.message, f.span),
                    "{text}"
                );
                assert_eq!((u, s), (v, r), "{text}");
            }
            _ => panic!("one builder built the action, the other did not:\n{text}"),
        }
    }

    /// Texts whose actions match the grammar, some of which cannot be
    /// built: every expression form, spans ending before blanks and
    /// comments, and each build error.
    fn builder_samples() -> Vec<String> {
        let deep = format!("1{}", "+1".repeat(300));
        let prefixes = format!("{}x", "-".repeat(300));
        let long_number = "9".repeat(400);
        let exprs = [
            "x",
            "f()",
            "f(a, b + 1, [1, 2,])",
            "a.b.c // comment\n",
            "a.f(1, 2) .g()",
            "a[1][b + 2]  ",
            "(a + b) * c ^ 2 ^ 3 - -d",
            "not x and !y or z ~ w",
            "a \\ b % c / d",
            "a <> b",
            "(a < b) = true",
            "a < b < c",
            "(a < b) < c",
            "x = 1 and y == 2 || z != 3 && w <= 4",
            "\"plain\"",
            "\"\"",
            "\"a {x} b {{ c }} {f(\"{y}\")} \\n\\t\\\" \\{\"",
            "'it\\'s {x}' + $\"{y} }\"",
            "#\"02/09/2023 8:00 AM\"",
            "\"\"\"code // not a comment\n\"\"\"",
            "global:Lang + Global:x",
            "null = false or true",
            "[]",
            "$value.x",
            "x.$value",
            "- - - 2",
            "1.5 + 2",
            &deep,
            &prefixes,
            &long_number,
        ];
        let mut out = Vec::new();
        for (k, e) in exprs.iter().enumerate() {
            out.push(format!(
                "start: Begin {{ Default -> a{k} }}\na{k}: Assign \"c\\\"{k}\" {{ Variable = x Value = {e}\n  Default -> e }}\ne: End\n"
            ));
        }
        out.push(
            "script \"H\\n\" type Phone inputs a, b studio { Version = 3 }\n\
             c: Case { Value = x Case \"a\" -> e Case 2 -> e Case -3.5 -> e Case true -> e \
             Case false -> e Case null -> e Default -> e studio { ActionID = 4 L = [\"a\", \"b\",] T = \"t\" } }\n\
             d: Assign { studio { X = 1 } studio { Y = 2 } }\n\
             n: Assign { Value = 1 Case 99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999 -> e }\n\
             e: End"
                .to_string(),
        );
        out
    }

    /// The node builder gives what the `Pair` builder gave, on every script
    /// of the repository and the samples above, at an offset (as for a
    /// piece of a larger script).
    #[test]
    fn node_builder_equals_pair_builder() {
        use super::super::pair_builder;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        crate::test_support::script_files(&root.join("scripts"), &mut files);
        crate::test_support::script_files(&root.join("tests"), &mut files);
        let mut texts = builder_samples();
        for path in &files {
            texts.push(std::fs::read_to_string(path).unwrap());
        }
        let (mut actions, mut unbuilt) = (0, 0);
        for text in &texts {
            let Ok(pairs) = StudioParser::parse(Rule::file, text) else {
                continue;
            };
            let mut nodes = Nodes::default();
            nodes.fill(&pairs);
            let t = nodes.tree(text, 7);
            let file = t.roots().next().unwrap();
            let mut children = t.children(file);
            for pair in pairs.into_iter().next().unwrap().into_inner() {
                let id = children.next().expect("as many nodes as pairs");
                assert_eq!(t.rule(id), pair.as_rule(), "{text}");
                match pair.as_rule() {
                    Rule::header => {
                        let mut expected = pair_builder::build_header(pair);
                        expected.shift(7);
                        assert_eq!(build_header(&t, id), expected, "{text}");
                    }
                    Rule::action => {
                        let piece = action_piece(&t, id);
                        match &piece {
                            ParsedPiece::Unbuilt(..) => unbuilt += 1,
                            _ => actions += 1,
                        }
                        assert_same_piece(piece, pair_builder::action_piece(pair, 7), text);
                    }
                    _ => {}
                }
            }
            assert!(children.next().is_none(), "{text}");
        }
        assert!(
            actions > 500 && unbuilt >= 5,
            "{actions} actions, {unbuilt} unbuilt"
        );
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
