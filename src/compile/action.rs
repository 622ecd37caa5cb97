//! One action's compile: its type, its properties and its branches.

use std::sync::Arc;

use super::builder::ScriptBuilder;
use super::ctx::ChoiceVariable;
use super::registry::RegisteredAction;
use super::{expr, subscripts};
use crate::diagnostics::{suggestion, Diagnostic, DiagnosticCode, Span};
use crate::program::schema::PropertyKind;
use crate::program::{Code, CompiledAction, FlowBranch, LabelBranch, PropSlot};
use crate::runtime::Value;
use crate::syntax::ast::{ActionAst, Expr, ExprKind, Literal};
use crate::syntax::is_variable_name;

impl ScriptBuilder<'_, '_> {
    /// Checks and lowers one action (`id` is its id's name number). Branch
    /// targets are left as name numbers for [`ScriptBuilder::finish`].
    pub(super) fn compile_action(
        &mut self,
        a: &ActionAst,
        action_index: usize,
        id: u32,
        reg: Option<&RegisteredAction>,
        first_branch: usize,
    ) -> Option<(CompiledAction, Vec<FlowBranch>)> {
        let compiler = self.compiler;
        let script_type = self.script_type;
        let snippets = &self.snippet_programs;
        let ctx = &mut self.ctx;
        if let Some(caption) = &a.caption {
            ctx.check_literal_len(caption.len(), a.type_span);
        }
        let Some(reg) = reg else {
            let mut known: Vec<&str> = compiler.actions.names().collect();
            known.sort_unstable();
            ctx.errors.push(Diagnostic::new(
                DiagnosticCode::UnknownActionType,
                a.type_span,
                format!(
                    "unknown action type `{}`{}; known types: {}",
                    a.action_type,
                    suggestion(&a.action_type, known.iter().copied()),
                    known.join(", ")
                ),
            ));
            return None;
        };
        let schema = &reg.schema;
        if !schema.script_types.contains(script_type) {
            ctx.errors.push(Diagnostic::new(
                DiagnosticCode::UnsupportedActionType,
                a.type_span,
                format!(
                    "{} is not supported in {} scripts (supported: {})",
                    schema.name,
                    script_type,
                    schema
                        .script_types
                        .iter()
                        .map(|t| t.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }

        // Properties.
        let mut written: Vec<Option<&Expr>> = vec![None; schema.properties.len()];
        for p in &a.properties {
            match reg.property_index(&p.name) {
                None => {
                    let known: Vec<&str> =
                        schema.properties.iter().map(|p| p.name.as_str()).collect();
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
                                graph.calls.push(subscripts::Call {
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
                            Some(code) => PropSlot::Code(code),
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
            properties.push(slot);
        }

        // Branches.
        let mut targets: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut set_at: Vec<Option<Span>> = vec![None; reg.branch_names.len()];
        let mut labels: Vec<Arc<str>> = Vec::new();
        let mut label_branches: Vec<LabelBranch> = Vec::new();
        let mut target_edges: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut flow_branches: Vec<FlowBranch> = Vec::with_capacity(a.branches.len());
        for (j, b) in a.branches.iter().enumerate() {
            if schema.terminal {
                ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::BranchOnTerminal,
                    b.name_span,
                    format!("{} ends the script and has no branches", schema.name),
                ));
                continue;
            }
            // The target's name number: checked and resolved by `finish`.
            let target = Some(self.branches[first_branch + j].name);
            let is_labeled = schema
                .labeled_branch
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(&b.name));
            match (&b.label, is_labeled) {
                (Some(label), true) => {
                    let text = literal_text(label);
                    if !ctx.check_literal_len(text.len(), b.name_span) {
                        continue;
                    }
                    if labels.iter().any(|l| **l == *text) {
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::DuplicateBranch,
                            b.name_span,
                            format!("duplicate branch `{} {:?}`", b.name, text),
                        ));
                        continue;
                    }
                    let labeled = schema.labeled_branch.as_deref().unwrap_or("Case");
                    let taken_name = ctx.shared(&format!("{labeled} {text:?}"));
                    let label = ctx.shared(&text);
                    let edge;
                    if let Some(t) = target {
                        edge = flow_branches.len() as u32;
                        flow_branches.push(FlowBranch {
                            name: ctx.shared(labeled),
                            label: Some(label.clone()),
                            taken_name: taken_name.clone(),
                            target: t as usize,
                            span: b.name_span,
                        });
                    } else {
                        edge = u32::MAX;
                    }
                    label_branches.push(LabelBranch {
                        target,
                        taken_name,
                        edge,
                    });
                    labels.push(label);
                }
                (None, true) => ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::InvalidCaseLabel,
                    b.name_span,
                    format!(
                        "a `{}` branch needs a literal label, as in `{} \"value\" -> target`",
                        b.name, b.name
                    ),
                )),
                (Some(_), false) => ctx.errors.push(Diagnostic::new(
                    DiagnosticCode::InvalidCaseLabel,
                    b.name_span,
                    format!(
                        "only `{}` branches take a label",
                        schema.labeled_branch.as_deref().unwrap_or("Case")
                    ),
                )),
                (None, false) => match reg.branch_index(&b.name) {
                    None => ctx.errors.push(Diagnostic::new(
                        DiagnosticCode::UnknownBranch,
                        b.name_span,
                        format!(
                            "unknown branch `{}` for {}{}; expected one of {}",
                            b.name,
                            schema.name,
                            suggestion(&b.name, reg.branch_names.iter().map(|n| &**n)),
                            reg.branch_names
                                .iter()
                                .map(|n| &**n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )),
                    Some(slot) => {
                        let slot = slot as usize;
                        if set_at[slot].is_some() {
                            ctx.errors.push(Diagnostic::new(
                                DiagnosticCode::DuplicateBranch,
                                b.name_span,
                                format!("duplicate branch `{}`", reg.branch_names[slot]),
                            ));
                        } else {
                            set_at[slot] = Some(b.name_span);
                            targets[slot] = target;
                            if let Some(t) = target {
                                target_edges[slot] = Some(flow_branches.len() as u32);
                                flow_branches.push(FlowBranch {
                                    name: reg.branch_names[slot].clone(),
                                    label: None,
                                    taken_name: reg.branch_names[slot].clone(),
                                    target: t as usize,
                                    span: b.name_span,
                                });
                            }
                        }
                    }
                },
            }
        }

        let type_name = ctx.shared(&schema.name);
        Some((
            CompiledAction {
                id: self
                    .names
                    .get_index(id as usize)
                    .expect("interned")
                    .0
                    .clone(),
                caption: match &a.caption {
                    Some(caption) => Arc::from(caption.as_str()),
                    None => type_name.clone(),
                },
                type_name,
                handler: reg.handler.clone(),
                terminal: schema.terminal,
                properties: properties.into_boxed_slice(),
                schema: schema.clone(),
                targets: targets.into_boxed_slice(),
                branch_names: reg.branch_names.clone(),
                labels: labels.into_boxed_slice(),
                label_branches: label_branches.into_boxed_slice(),
                target_edges: target_edges.into_boxed_slice(),
                checks_choices: schema
                    .properties
                    .iter()
                    .any(|p| p.choices.as_ref().is_some_and(|c| c.only)),
                host: !reg.builtin,
            },
            flow_branches,
        ))
    }
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

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Null => String::new(),
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => Value::Number(*n).to_text(),
        Literal::String(s) | Literal::DateTime(s) => s.clone(),
    }
}
