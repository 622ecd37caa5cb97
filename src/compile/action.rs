//! One action's compile: its type, its properties and its branches.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::{smallvec, SmallVec};

use super::builder::ScriptBuilder;
use super::properties::properties;
use super::registry::RegisteredAction;
use crate::diagnostics::{suggestion, Diagnostic, DiagnosticCode, Span};
use crate::program::{CompiledAction, FlowBranch, LabelBranch, PropSlot};
use crate::runtime::Value;
use crate::syntax::ast::{ActionAst, Literal};

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

        let properties = properties(ctx, compiler, snippets, a, action_index, reg);

        // Branches.
        let mut targets: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut set_at: SmallVec<[Option<Span>; 8]> = smallvec![None; reg.branch_names.len()];
        let mut labels: Vec<Arc<str>> = Vec::new();
        // The labels so far, for the duplicate check: `labels` scanned while
        // they are few, a set once they are many (an imported Menu or Case
        // may have tens of thousands of them).
        let mut label_set: Option<std::collections::HashSet<Arc<str>>> = None;
        let mut label_branches: Vec<LabelBranch> = Vec::new();
        let mut target_edges: Vec<Option<u32>> = vec![None; reg.branch_names.len()];
        let mut flow_branches: Vec<FlowBranch> = Vec::with_capacity(a.branches.len());
        // An opaque Studio action may name thousands of branches: then they
        // are indexed once rather than scanned for each.
        let many: Option<std::collections::HashMap<String, u32>> = (reg.branch_names.len() > 32)
            .then(|| {
                let names = reg.branch_names.iter().enumerate().rev();
                names
                    .map(|(i, n)| (n.to_ascii_lowercase(), i as u32))
                    .collect()
            });
        let branch_index = |name: &str| match &many {
            Some(index) => index.get(&name.to_ascii_lowercase()).copied(),
            None => reg.branch_index(name),
        };
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
                    let seen = match &label_set {
                        Some(set) => set.contains(&*text),
                        None => labels.iter().any(|l| **l == *text),
                    };
                    if seen {
                        ctx.errors.push(Diagnostic::new(
                            DiagnosticCode::DuplicateBranch,
                            b.name_span,
                            format!("duplicate branch `{} {:?}`", b.name, text),
                        ));
                        continue;
                    }
                    let labeled = schema.labeled_branch.as_deref().unwrap_or("Case");
                    let taken_name = {
                        use std::fmt::Write as _;
                        let written = &mut self.label_text;
                        written.clear();
                        let _ = write!(written, "{labeled} {text:?}");
                        ctx.shared(written)
                    };
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
                    match &mut label_set {
                        Some(set) => {
                            set.insert(label.clone());
                        }
                        None if labels.len() >= 16 => {
                            label_set = Some(labels.iter().chain([&label]).cloned().collect());
                        }
                        None => {}
                    }
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
                (None, false) => match branch_index(&b.name) {
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
                expression_slots: {
                    let is_code = |slot: &PropSlot| matches!(slot, PropSlot::Code(..));
                    let first = properties.iter().position(is_code).unwrap_or(0);
                    let end = properties
                        .iter()
                        .rposition(is_code)
                        .map_or(0, |last| last + 1);
                    first as u32..end as u32
                },
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

fn literal_text(l: &Literal) -> Cow<'_, str> {
    match l {
        Literal::Null => Cow::Borrowed(""),
        Literal::Bool(b) => Cow::Owned(b.to_string()),
        Literal::Number(n) => Cow::Owned(Value::Number(*n).to_text()),
        Literal::String(s) | Literal::DateTime(s) => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    /// A Case's duplicate labels are found whether the labels so far are
    /// few (scanned) or many (a set, from the seventeenth on): the same
    /// label written as a string, a number or a boolean, early and late.
    #[test]
    fn duplicate_labels_are_found_among_few_and_many() {
        let mut branches = String::new();
        for k in 0..40 {
            branches.push_str(&format!("Case \"{k}\" -> e "));
        }
        // Duplicates of label 1 (while few), 3 (once many), 39 (the last).
        let text = format!(
            "start: Begin {{ Default -> c }}\nc: Case {{ Value = 1 {branches}Case 1 -> e Case \"3\" -> e Case true -> e Case \"true\" -> e Case 39 -> e Default -> e }}\ne: End"
        );
        let short = "start: Begin { Default -> c }\nc: Case { Value = 1 Case \"a\" -> e Case 2 -> e Case \"2\" -> e Default -> e }\ne: End";
        let engine = crate::Engine::new();
        let duplicates = |text: &str| -> Vec<String> {
            let diagnostics = engine.compile(text, "s").unwrap_err();
            diagnostics
                .items()
                .iter()
                .map(|d| d.message.clone())
                .collect()
        };
        assert_eq!(
            duplicates(&text),
            [
                "duplicate branch `Case \"1\"`",
                "duplicate branch `Case \"3\"`",
                "duplicate branch `Case \"true\"`",
                "duplicate branch `Case \"39\"`",
            ]
        );
        assert_eq!(duplicates(short), ["duplicate branch `Case \"2\"`"]);
    }
}
