//! Property values between Studio's text and `.script` expressions, both
//! ways: [`script_value`] writes a Studio value as the expression `import`
//! puts in the body, [`studio_text`] writes a body expression back as
//! Studio's text (what `export` does). The import keeps Studio's exact text
//! in the action's `studio` block whenever `studio_text(script_value(t))`
//! is not `t`, so that an export restores it.

use super::table::ValueKind;
use crate::syntax::ast::{Expr, ExprKind, Literal, TemplatePart};

/// A Studio value written as a `.script` expression of `kind` (see
/// [`ValueKind`]).
///
/// ```
/// use studioflow::studio::{table::ValueKind, values::script_value};
/// assert_eq!(script_value("{skill}", ValueKind::Value), "skill");
/// assert_eq!(script_value("Hello {name}!", ValueKind::Text), "\"Hello {name}!\"");
/// ```
pub fn script_value(text: &str, kind: ValueKind) -> String {
    match kind {
        ValueKind::Text => template(text),
        ValueKind::Name | ValueKind::Names => name(text),
        ValueKind::Value | ValueKind::Spread => value(text),
        ValueKind::Assigned => assigned(text),
        ValueKind::Expression => text.replace(['\r', '\n'], " "),
        ValueKind::Code => {
            let code = text.replace("\r\n", "\n");
            let indented: Vec<String> = code
                .lines()
                .map(|l| {
                    if l.trim().is_empty() {
                        String::new()
                    } else {
                        format!("    {l}")
                    }
                })
                .collect();
            format!("\"\"\"\n{}\n  \"\"\"", indented.join("\n"))
        }
    }
}

/// A body expression written back as Studio's text: a string as its text
/// with each `{expression}` as written, a variable where a value is
/// expected as `{name}`, a boolean as `True`/`False`, an expression or a
/// number as written, Snippet code without the indentation `.script` gives
/// it. `source` is the text the expression's spans point into.
///
/// ```
/// use studioflow::studio::{table::ValueKind, values::studio_text};
/// let source = "\"Hello {caller.name}!\"";
/// let expr = studioflow::syntax::parse_expression(source).unwrap();
/// assert_eq!(studio_text(&expr, source, ValueKind::Text), "Hello {caller.name}!");
/// ```
pub fn studio_text(expr: &Expr, source: &str, kind: ValueKind) -> String {
    let written = |e: &Expr| {
        source
            .get(e.span.start..e.span.end)
            .unwrap_or("")
            .to_string()
    };
    match (&expr.kind, kind) {
        (ExprKind::Literal(Literal::String(s)), ValueKind::Code) => dedent(s),
        (ExprKind::Literal(Literal::String(s)), _) => s.clone(),
        (ExprKind::Template(parts), _) => {
            let mut out = String::new();
            for part in parts {
                match part {
                    TemplatePart::Text(t) => out.push_str(t),
                    TemplatePart::Expr(e) => {
                        out.push('{');
                        out.push_str(&written(e));
                        out.push('}');
                    }
                }
            }
            out
        }
        (ExprKind::Literal(Literal::Bool(b)), ValueKind::Value | ValueKind::Text) => {
            if *b { "True" } else { "False" }.to_string()
        }
        (ExprKind::Literal(Literal::Null), _) => String::new(),
        (ExprKind::Variable(name), ValueKind::Name | ValueKind::Names) => name.clone(),
        (ExprKind::Variable(name), ValueKind::Value | ValueKind::Text | ValueKind::Assigned) => {
            format!("{{{name}}}")
        }
        (ExprKind::Literal(Literal::Bool(b)), ValueKind::Assigned) => format!("{{{b}}}"),
        (ExprKind::Literal(Literal::Number(_)), _) => written(expr),
        (_, ValueKind::Expression | ValueKind::Name | ValueKind::Names | ValueKind::Code) => {
            written(expr)
        }
        _ => format!("{{{}}}", written(expr)),
    }
}

/// Snippet code as `.script` writes it in a `"""` block (one blank line
/// first, every line indented) back to the lines Studio keeps.
fn dedent(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: Vec<&str> = lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                &l[indent..]
            }
        })
        .collect();
    while out.first().is_some_and(|l| l.is_empty()) {
        out.remove(0);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A raw string literal (captions, case labels, the script name).
pub(super) fn raw_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name a value may be written as: an identifier that is no word of
/// the expression language (`true`, `and`, ...).
pub(super) fn is_identifier(text: &str) -> bool {
    is_name(text)
        && !["true", "false", "null", "and", "or", "not"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(text))
}

/// A name an action type or a branch may be written as: any identifier
/// (`true -> next` and `a: not` parse: they are no expressions).
pub(super) fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A template string literal: Studio's `{name}` substitutions (names,
/// dotted or indexed, and expressions without strings) stay; every other
/// brace is escaped.
fn template(text: &str) -> String {
    let escaped = raw_string(text);
    let inner = &escaped[1..escaped.len() - 1];
    let mut out = String::from("\"");
    let mut rest = inner;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            if let Some(end) = rest.find('}') {
                let name = &rest[1..end];
                // A name (dotted, indexed) or an expression without
                // strings: Studio substitutes it.
                let plausible = !name.trim().is_empty()
                    && !name.contains(['"', '\\', '{'])
                    && name
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '(')
                    && crate::syntax::parse_expression(name).is_ok();
                if plausible {
                    out.push_str(&rest[..=end]);
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            out.push_str("{{");
        } else if c == '}' {
            out.push_str("}}");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push('"');
    out
}

/// A value: a number, `true`/`false`, `{name}` as the variable, else a string.
pub(super) fn value(text: &str) -> String {
    let t = text.trim();
    if !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite) && !t.starts_with('+') {
        return t.to_string();
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return t.to_ascii_lowercase();
    }
    if t.is_empty() {
        return "\"\"".to_string();
    }
    whole_expression(text).unwrap_or_else(|| template(text))
}

/// `{expression}` filling the whole value (as Studio writes a computed
/// value): the expression, when it is one.
fn whole_expression(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['{', '}', '\r', '\n']) || inner.trim().is_empty() {
        return None;
    }
    crate::syntax::parse_expression(inner).ok()?;
    Some(inner.trim().to_string())
}

/// What ASSIGN assigns: a number, `{expression}`, else a template.
fn assigned(text: &str) -> String {
    let t = text.trim();
    if !t.is_empty()
        && t == text
        && t.parse::<f64>().is_ok_and(f64::is_finite)
        && !t.starts_with('+')
    {
        return t.to_string();
    }
    whole_expression(text).unwrap_or_else(|| template(text))
}

fn name(text: &str) -> String {
    let t = text.trim();
    if is_identifier(t) {
        t.to_string()
    } else {
        raw_string(t)
    }
}
