//! Expression AST → `Code`: variables and functions resolved, templates split.

use super::ctx::Ctx;
use crate::diagnostics::{suggestion, Diagnostic, DiagnosticCode};
use crate::program::{Code, MemberName, Piece};
use crate::runtime::Value;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Literal, TemplatePart, UnaryOp};

/// Compiles an expression; problems are pushed to `ctx.errors` and `None` returned.
pub(crate) fn compile(e: &Expr, ctx: &mut Ctx<'_>) -> Option<Code> {
    Some(match &e.kind {
        ExprKind::Literal(l) => {
            if let Literal::String(text) = l {
                if !ctx.check_literal_len(text.len(), e.span) {
                    return None;
                }
            }
            if let Literal::DateTime(text) = l {
                let Some(d) = crate::runtime::datetime::parse_wall_clock(text) else {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::InvalidDatetime,
                        e.span,
                        format!(
                            "#\"{text}\" is not a date and time: write MM/dd/yyyy, optionally with h:mm[:ss] AM/PM or HH:mm[:ss], or yyyy-MM-dd[THH:mm:ss] (no offset: a literal is a wall-clock time in the run's time zone)"
                        ),
                    ));
                    return None;
                };
                return Some(Code::Const(Value::DateTime(d)));
            }
            Code::Const(literal(l, ctx))
        }
        ExprKind::Template(parts) => {
            let text_len: usize = parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Text(t) => t.len(),
                    TemplatePart::Expr(_) => 0,
                })
                .sum();
            if !ctx.check_literal_len(text_len, e.span) {
                return None;
            }
            let mut pieces = Vec::with_capacity(parts.len());
            let mut ok = true;
            for p in parts {
                match p {
                    TemplatePart::Text(t) => pieces.push(Piece::Text(ctx.shared(t))),
                    TemplatePart::Expr(e) => match compile(e, ctx) {
                        Some(c) => pieces.push(Piece::Expr(c)),
                        None => ok = false,
                    },
                }
            }
            if !ok {
                return None;
            }
            Code::Template(pieces.into_boxed_slice())
        }
        ExprKind::List(items) => {
            // A literal nested deeper than runs may build values would fail on
            // every run: say so now.
            if ctx.list_depth >= ctx.max_value_depth {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::ValueTooDeep,
                    e.span,
                    format!(
                        "list literals nest deeper than the limit of {} levels",
                        ctx.max_value_depth
                    ),
                ));
                return None;
            }
            ctx.list_depth += 1;
            let items: Vec<Option<Code>> = items.iter().map(|i| compile(i, ctx)).collect();
            ctx.list_depth -= 1;
            Code::List(
                items
                    .into_iter()
                    .collect::<Option<Vec<_>>>()?
                    .into_boxed_slice(),
            )
        }
        ExprKind::Variable(name) => {
            // `global:x` outside Snippet code is the script's own `x`.
            let var = match crate::syntax::ast::global_name(name) {
                Some(shared) => {
                    let spelled = ctx.global_spelling(shared);
                    ctx.var(&spelled)
                }
                None => ctx.var(name),
            };
            ctx.read(var, e.span);
            Code::Var(var)
        }
        ExprKind::Member(base, name) => Code::Member(
            Box::new(compile(base, ctx)?),
            MemberName::new(ctx.shared(name)),
        ),
        ExprKind::Index(base, index) => {
            warn_index_below_one(index, ctx);
            let b = compile(base, ctx);
            let i = compile(index, ctx);
            Code::Index(Box::new(b?), Box::new(i?))
        }
        ExprKind::Unary(op, inner) => {
            let inner = Box::new(compile(inner, ctx)?);
            match op {
                UnaryOp::Neg => Code::Neg(inner),
                UnaryOp::Not => Code::Not(inner),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let a = compile(a, ctx);
            let b = compile(b, ctx);
            let (a, b) = (Box::new(a?), Box::new(b?));
            match op {
                BinaryOp::And => Code::And(a, b),
                BinaryOp::Or => Code::Or(a, b),
                _ => Code::Binary((*op).into(), a, b),
            }
        }
        ExprKind::Call(name, name_span, args) => {
            let compiled: Vec<Option<Code>> = args.iter().map(|a| compile(a, ctx)).collect();
            let Some(def) = ctx.functions.signature(name) else {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::UnknownFunction,
                    *name_span,
                    format!(
                        "unknown function `{name}`{}",
                        suggestion(
                            name,
                            ctx.functions
                                .names()
                                .chain(ctx.snippet_function_names.iter().map(String::as_str))
                        )
                    ),
                ));
                return None;
            };
            if args.len() < def.min_args || args.len() > def.max_args {
                let expected = if def.min_args == def.max_args {
                    format!("{}", def.min_args)
                } else {
                    format!("{} to {}", def.min_args, def.max_args)
                };
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::WrongArgumentCount,
                    *name_span,
                    format!(
                        "{}() takes {expected} argument{}, got {}",
                        def.name,
                        if def.max_args == 1 { "" } else { "s" },
                        args.len()
                    ),
                ));
                return None;
            }
            let args = compiled.into_iter().collect::<Option<Vec<_>>>()?;
            Code::Call(def.id, args.into_boxed_slice())
        }
    })
}

/// Warns about a literal index of 0 or below (`a[0]`, `a[-1]`): Studio's
/// arrays start at 1, and scripts migrated from 0-based code are caught here.
pub(crate) fn warn_index_below_one(index: &Expr, ctx: &mut Ctx<'_>) {
    if let Some(n) = literal_number(index).filter(|n| *n < 1.0) {
        ctx.warnings.push(Diagnostic::new(
            DiagnosticCode::IndexBelowOne,
            index.span,
            format!(
                "index {} is below 1: Studio's arrays start at 1 (the first element is [1])",
                Value::Number(n).to_text()
            ),
        ));
    }
}

/// The number a literal index stands for: `0`, `-1`.
fn literal_number(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Literal(Literal::Number(n)) => Some(*n),
        ExprKind::Unary(UnaryOp::Neg, inner) => literal_number(inner).map(|n| -n),
        _ => None,
    }
}

fn literal(l: &Literal, ctx: &mut Ctx<'_>) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Number(n) => Value::Number(*n),
        Literal::String(s) => Value::from(ctx.shared(s)),
        // Read (and checked) by `compile`; text if ever reached otherwise.
        Literal::DateTime(s) => crate::runtime::datetime::parse_wall_clock(s)
            .map_or_else(|| Value::from(s.as_str()), Value::DateTime),
    }
}
