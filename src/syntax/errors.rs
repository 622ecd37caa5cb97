//! Readable parse errors: pest's rules named as a user reads them, and the
//! real problem named where pest's "expected ..." would mislead.

use super::grammar::{action_starts, is_ident_byte, leading_id, Rule};

use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};

/// The words a user sees for a grammar rule in "expected ..." messages.
pub(super) fn describe_rule(rule: Rule) -> &'static str {
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
        Rule::string | Rule::raw_string | Rule::squote_string | Rule::dollar_string => "a string",
        Rule::text
        | Rule::raw_text
        | Rule::text_char
        | Rule::raw_char
        | Rule::escape
        | Rule::squote_text
        | Rule::squote_part
        | Rule::dollar_part
        | Rule::lone_rbrace => "string text",
        Rule::global_name => "a variable",
        Rule::interpolation => "`{expression}`",
        Rule::interpolation_end => "`}`",
        Rule::lbrace_escape => "`{{`",
        Rule::rbrace_escape => "`}}`",
        Rule::kw_script => "`script`",
        Rule::studio_block | Rule::kw_studio => "a `studio { ... }` block",
        Rule::studio_entry => "a studio entry such as `ActionID = 4`",
        Rule::studio_number => "a number",
        Rule::studio_list => "a list of strings",
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
            | Rule::squote_string
            | Rule::dollar_string
            | Rule::global_name
            | Rule::code_block
            | Rule::datetime
    )
}

/// Turns a pest error in `text` into a diagnostic. Where pest's "expected
/// ..." would point at the wrong problem or place, the text around the error
/// is looked at to name the real one (see [`explain`]).
pub(super) fn pest_error(err: pest::error::Error<Rule>, text: &str) -> Diagnostic {
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
    // A `studio { ... }` block is written by `import`, rarely by hand: it
    // would be noise in every "expected a property, a branch or `}`".
    let quiet = |r: &Rule| {
        matches!(r, Rule::studio_block | Rule::kw_studio) && positives.contains(&Rule::entry_name)
    };
    for r in positives
        .iter()
        .filter(|r| !starts_expression(**r) && !quiet(r))
    {
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
