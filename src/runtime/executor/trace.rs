//! Recording a step: coverage counts, the bounded trace (kept in
//! [`super::trace_log`]) and the observers.

use std::sync::Arc;

use super::options::{unchanged, VariableChange};
use super::outcome::TraceStep;
use super::state::RunState;
use crate::program::{CompiledAction, ScriptInner};
use crate::runtime::Value;

/// Records the step: coverage counts, the trace, the observers (a RunSub's
/// own step before the subscript's steps it held back).
pub(super) struct StepRecord<'s> {
    pub script: &'s ScriptInner,
    pub unit: u32,
    pub label: Option<&'s Arc<str>>,
    pub action: &'s CompiledAction,
    /// The action's index in its script.
    pub index: usize,
    /// The step number.
    pub number: u64,
    /// The branch taken and its written edge.
    pub branch: Option<&'s Arc<str>>,
    pub edge: Option<u32>,
}

impl StepRecord<'_> {
    /// `snapshot` holds the variables before the step (for the change
    /// observer); `deferred_before` the depth of held-back steps before it.
    #[inline]
    pub(super) fn record(
        self,
        snapshot: Option<Vec<Option<Value>>>,
        deferred_before: usize,
        state: &mut RunState,
    ) {
        let StepRecord {
            script,
            unit,
            label,
            action,
            index: current,
            number: step_number,
            branch,
            edge,
        } = self;
        if let Some(counts) = state.counts.as_mut() {
            counts.step(unit, current, script.actions.len(), edge);
        }
        if state.trace.is_none() && state.observer.is_none() && snapshot.is_none() {
            return;
        }
        // A RunSub held its subscript's steps back (see `deferred`).
        let held = (state.deferred.len() > deferred_before)
            .then(|| state.deferred.pop())
            .flatten();
        let step = TraceStep {
            step: step_number,
            script: label.cloned(),
            depth: state.depth,
            action: action.id.clone(),
            action_type: action.type_name.clone(),
            caption: action.caption.clone(),
            branch: branch.cloned(),
            action_index: current,
            edge: edge.map(|e| e as usize),
            output: state
                .trace_output
                .as_mut()
                .map(|o| std::mem::take(&mut o.lines))
                .unwrap_or_default(),
        };
        let changes = snapshot.as_ref().map(|before| {
            before
                .iter()
                .zip(&state.vars)
                .enumerate()
                .filter(|(_, (b, a))| !unchanged(b, a))
                .map(|(i, (b, a))| VariableChange {
                    name: script.var_names[i].clone(),
                    before: b.clone(),
                    after: a.clone(),
                })
                .collect::<Vec<_>>()
        });
        let observed = state.observer.is_some() || state.change_observer.is_some();
        if observed && !state.deferred.is_empty() {
            // Held back with this RunSub's caller: the trace gets a copy.
            if let Some(t) = state.trace.as_mut() {
                t.record(step.clone());
            }
            state.deliver(step, changes);
        } else {
            if observed {
                state.observe(&step, changes.as_deref());
            }
            if let Some(t) = state.trace.as_mut() {
                t.record(step);
            }
        }
        for d in held.into_iter().flatten() {
            state.deliver(d.step, d.changes);
        }
    }
}
