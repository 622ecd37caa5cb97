//! Expressions back to text, token for token as parsed.

use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Literal, TemplatePart, UnaryOp};

/// An expression as canonical text: the tokens it was parsed from, with
/// parentheses exactly where the author wrote them, one space around
/// infix operators and canonical operator spellings.
///
/// ```
/// let e = studioflow::syntax::parse_expression("a&&(b==1)||!c").unwrap();
/// assert_eq!(studioflow::format::format_expr(&e), "a and (b = 1) or not c");
/// ```
pub fn format_expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(e, &mut out);
    out
}

fn write_expr(e: &Expr, out: &mut String) {
    if e.parenthesized {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Literal(Literal::String(s)) => write_template_text(s, out, true),
        ExprKind::Literal(l) => out.push_str(&format_literal(l)),
        ExprKind::Template(parts) => {
            out.push('"');
            for part in parts {
                match part {
                    TemplatePart::Text(t) => write_escaped(t, out, true),
                    TemplatePart::Expr(inner) => {
                        out.push('{');
                        write_expr(inner, out);
                        out.push('}');
                    }
                }
            }
            out.push('"');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(item, out);
            }
            out.push(']');
        }
        ExprKind::Variable(name) => out.push_str(name),
        ExprKind::Member(base, name) => {
            write_expr(base, out);
            out.push('.');
            out.push_str(name);
        }
        ExprKind::Index(base, index) => {
            write_expr(base, out);
            out.push('[');
            write_expr(index, out);
            out.push(']');
        }
        ExprKind::Unary(op, operand) => {
            out.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "not ",
            });
            write_expr(operand, out);
        }
        ExprKind::Binary(op, a, b) => {
            write_expr(a, out);
            out.push(' ');
            out.push_str(symbol(*op));
            out.push(' ');
            write_expr(b, out);
        }
        // `value.f(args)` stays a method call (the name is written after
        // the value); both spellings parse to the same call.
        ExprKind::Call(name, name_span, args)
            if args
                .first()
                .is_some_and(|first| name_span.start >= first.span.end) =>
        {
            write_expr(&args[0], out);
            out.push('.');
            out.push_str(name);
            out.push('(');
            for (i, arg) in args.iter().skip(1).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(arg, out);
            }
            out.push(')');
        }
        ExprKind::Call(name, _, args) => {
            out.push_str(name);
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(arg, out);
            }
            out.push(')');
        }
    }
    if e.parenthesized {
        out.push(')');
    }
}

fn symbol(op: BinaryOp) -> &'static str {
    op.symbol()
}

/// A literal as written canonically (`null`, `true`, `3`, `2.5`, a string).
///
/// ```
/// use studioflow::syntax::ast::Literal;
/// assert_eq!(studioflow::format::format_literal(&Literal::Number(2.50)), "2.5");
/// ```
pub fn format_literal(l: &Literal) -> String {
    match l {
        Literal::Null => "null".into(),
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => format!("{n}"),
        Literal::String(s) => {
            let mut out = String::new();
            write_template_text(s, &mut out, true);
            out
        }
        // Raw text between `#"` and `"`, kept as written.
        Literal::DateTime(s) => format!("#\"{s}\""),
    }
}

fn write_template_text(s: &str, out: &mut String, braces: bool) {
    out.push('"');
    write_escaped(s, out, braces);
    out.push('"');
}

fn write_escaped(s: &str, out: &mut String, braces: bool) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '{' if braces => out.push_str("{{"),
            '}' if braces => out.push_str("}}"),
            c => out.push(c),
        }
    }
}

/// A raw string (caption, header name, `Case` label): escapes, no templates.
///
/// ```
/// assert_eq!(studioflow::format::raw_string("say \"{hi}\""), r#""say \"{hi}\"""#);
/// ```
pub fn raw_string(s: &str) -> String {
    let mut out = String::new();
    write_template_text(s, &mut out, false);
    out
}
