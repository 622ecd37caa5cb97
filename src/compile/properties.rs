//! An action's properties: the written ones matched to its schema (unknown,
//! duplicate and missing ones reported), each lowered to its slot by kind.

use std::collections::HashMap;
use std::sync::Arc;

use super::compiler::Compiler;
use super::ctx::{ChoiceVariable, Ctx};
use super::registry::RegisteredAction;
use super::{expr, graph};
use crate::diagnostics::{suggestion, Diagnostic, DiagnosticCode};
use crate::program::schema::PropertyKind;
use crate::program::{Code, PropSlot};
use crate::runtime::Value;
use crate::snippet::program::Program;
use crate::syntax::ast::{ActionAst, Expr, ExprKind, Literal};
use crate::syntax::is_variable_name;

/// One slot per property of `reg`'s schema, in schema order.
pub(super) fn properties(
    ctx: &mut Ctx<'_>,
    compiler: &Compiler<'_>,
    snippets: &HashMap<(usize, usize), Arc<Program>>,
    a: &ActionAst,
    action_index: usize,
    reg: &RegisteredAction,
) -> Vec<PropSlot> {
    let schema = &reg.schema;
    let mut written: Vec<Option<&Expr>> = vec![None; schema.properties.len()];
    for p in &a.properties {
        match reg.property_index(&p.name) {
            None => {
                let known: Vec<&str> = schema.properties.iter().map(|p| p.name.as_str()).collect();
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::UnknownProperty,
                    p.name_span,
                    if known.is_empty() {
                        format!("{} has no properties, found `{}`", schema.name, p.name)
                    } else {
                        format!(
                            "unknown property `{}` for {}{}; expected one of {}",
                            p.name,
                            schema.name,
                            suggestion(&p.name, known.iter().copied()),
                            known.join(", ")
                        )
                    },
                ));
            }
            Some(i) if written[i].is_some() => ctx.errors.push(Diagnostic::new(
                DiagnosticCode::DuplicateProperty,
                p.name_span,
                format!("property `{}` is set twice", schema.properties[i].name),
            )),
            Some(i) => written[i] = Some(&p.value),
        }
    }
    let mut properties = Vec::with_capacity(schema.properties.len());
    let mut evaluated: u32 = 0;
    for (i, ps) in schema.properties.iter().enumerate() {
        let slot = match written[i] {
            None if ps.required => {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::MissingProperty,
                    a.id_span,
                    format!(
                        "{} `{}` is missing its required property `{}`",
                        schema.name, a.id, ps.name
                    ),
                ));
                PropSlot::Absent
            }
            None => match (&ps.default, ps.kind) {
                (None, _) => PropSlot::Absent,
                (Some(v), PropertyKind::OutputVariable | PropertyKind::InputVariable) => {
                    let name = v.to_text();
                    if ps.kind == PropertyKind::OutputVariable {
                        ctx.writes.insert(name.clone());
                    }
                    PropSlot::Var(ctx.var(&name), v.clone())
                }
                (Some(v), _) => PropSlot::Const(v.clone()),
            },
            Some(_) if ps.kind == PropertyKind::SnippetCode => {
                match snippets.get(&(action_index, i)) {
                    Some(program) => PropSlot::Snippet(program.clone()),
                    // Its parse error is already reported.
                    None => PropSlot::Absent,
                }
            }
            Some(e) if ps.kind == PropertyKind::Subscript => match name_text(e) {
                Some(name) => {
                    let resolved = compiler.subscripts.borrow_mut().unit_for(&name);
                    match resolved {
                        Ok(unit) => {
                            let args = a
                                .properties
                                .iter()
                                .find(|p| p.name.eq_ignore_ascii_case("Parameters"))
                                .and_then(|p| match &p.value.kind {
                                    ExprKind::List(items) => Some(items.len()),
                                    _ => None,
                                });
                            let mut graph = compiler.subscripts.borrow_mut();
                            let caller = graph.current;
                            graph.calls.push(graph::Call {
                                caller,
                                target: unit,
                                span: e.span,
                                args,
                            });
                            PropSlot::Subscript(unit, Value::from(ctx.shared(&name)))
                        }
                        Err(err) => {
                            ctx.errors.push(Diagnostic::new(
                                DiagnosticCode::UnresolvedSubscript,
                                e.span,
                                err.to_string(),
                            ));
                            PropSlot::Absent
                        }
                    }
                }
                None => {
                    ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::InvalidPropertyValue,
                        e.span,
                        format!(
                            "`{}` takes a script name: a bare identifier or a plain string",
                            ps.name
                        ),
                    ));
                    PropSlot::Absent
                }
            },
            Some(e) => match ps.kind {
                PropertyKind::SnippetCode | PropertyKind::Subscript => PropSlot::Absent,
                PropertyKind::Template | PropertyKind::Expression
                    if bare_choice(ps, e).is_some() =>
                {
                    let word = bare_choice(ps, e).unwrap_or_default();
                    PropSlot::Const(Value::from(ctx.shared(&word)))
                }
                PropertyKind::Template | PropertyKind::Expression => {
                    if let (Some(choices), ExprKind::Variable(name)) = (&ps.choices, &e.kind) {
                        if !e.parenthesized {
                            ctx.choice_variables.push(ChoiceVariable {
                                name: name.clone(),
                                span: e.span,
                                property: ps.name.clone(),
                                expected: choices.expected(),
                                suggestion: suggestion(
                                    name,
                                    choices.words.iter().map(String::as_str),
                                ),
                            });
                        }
                    }
                    ctx.max_depth = ctx.max_depth.max(e.depth as usize);
                    match expr::compile(e, ctx) {
                        Some(Code::Const(v)) => PropSlot::Const(v),
                        Some(code) => PropSlot::Code(code, 0),
                        None => PropSlot::Absent,
                    }
                }
                PropertyKind::Name => match name_text(e) {
                    Some(s) if !ctx.check_literal_len(s.len(), e.span) => PropSlot::Absent,
                    Some(s) => PropSlot::Const(Value::from(ctx.shared(&s))),
                    None => {
                        ctx.errors.push(Diagnostic::new(
DiagnosticCode::InvalidPropertyValue,
                            e.span,
                            format!("`{}` takes a name: a bare identifier or a plain string, not an expression", ps.name),
                        ));
                        PropSlot::Absent
                    }
                },
                PropertyKind::OutputVariable | PropertyKind::InputVariable => {
                    match name_text(e).filter(|n| is_variable_name(n)) {
                        Some(n) => {
                            if ps.kind == PropertyKind::OutputVariable {
                                ctx.writes.insert(n.clone());
                            } else {
                                let var = ctx.var(&n);
                                ctx.read(var, e.span);
                            }
                            PropSlot::Var(ctx.var(&n), Value::from(ctx.shared(&n)))
                        }
                        None => {
                            ctx.errors.push(Diagnostic::new(
DiagnosticCode::InvalidPropertyValue,
                                e.span,
                                format!("`{}` takes a variable name (letters, digits, `_`; not starting with a digit)", ps.name),
                            ));
                            PropSlot::Absent
                        }
                    }
                }
            },
        };
        // Evaluated values are kept in slot order, one per expression.
        let mut slot = slot;
        if let PropSlot::Code(_, k) = &mut slot {
            *k = evaluated;
            evaluated += 1;
        }
        properties.push(slot);
    }
    properties
}

/// The literal text of a Name property: a bare identifier or a plain string.
/// The word a bare identifier stands for in a property with choices.
fn bare_choice(ps: &crate::program::schema::PropertySchema, e: &Expr) -> Option<String> {
    match (&ps.choices, &e.kind) {
        (Some(choices), ExprKind::Variable(name)) if !e.parenthesized => {
            choices.find(name).map(str::to_string)
        }
        _ => None,
    }
}

fn name_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Variable(n) if !e.parenthesized => Some(n.clone()),
        ExprKind::Literal(Literal::String(s)) => Some(s.clone()),
        _ => None,
    }
}
