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
    super::to_script::script_value(text, kind)
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
