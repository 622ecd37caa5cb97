//! The run's trace: the bounded log of executed steps ([`TraceLog`]) and
//! the Snippet TRACE output of the step being run ([`TraceOutput`]).

use std::sync::Arc;

use super::options::{unchanged, VariableChange};
#[cfg(doc)]
use super::outcome::Run;
use super::outcome::TraceStep;
use super::state::RunState;
use crate::program::{CompiledAction, ScriptInner};
use crate::runtime::Value;

/// How many executed actions at the start of a run [`Run::trace`] keeps.
pub const TRACE_KEEP_FIRST: usize = 1_000;
/// How many executed actions at the end of a run [`Run::trace`] keeps.
pub const TRACE_KEEP_LAST: usize = 1_000;

/// The trace as a run records it: the first [`TRACE_KEEP_FIRST`] steps, a
/// ring of the last [`TRACE_KEEP_LAST`], and the count of those that fell
/// out of the ring. Bounded while the run goes, not cut afterwards: a run
/// of millions of steps holds 2,000.
#[derive(Debug, Default)]
pub(crate) struct TraceLog {
    head: Vec<TraceStep>,
    tail: std::collections::VecDeque<TraceStep>,
    omitted: u64,
    /// The highest step number recorded: a step at or below it was
    /// reserved (a RunSub's) and is completed in place, never added again.
    last: u64,
}

impl TraceLog {
    pub(super) fn push(&mut self, step: TraceStep) {
        self.last = self.last.max(step.step);
        if self.head.len() < TRACE_KEEP_FIRST {
            self.head.push(step);
            return;
        }
        if self.tail.len() >= TRACE_KEEP_LAST {
            self.tail.pop_front();
            self.omitted += 1;
        }
        self.tail.push_back(step);
    }

    /// Records `step`, or completes the reserved step of the same number
    /// (`None` when it already fell out of the ring).
    pub(super) fn record(&mut self, step: TraceStep) {
        if step.step > self.last {
            return self.push(step);
        }
        let n = step.step;
        let slot = match self.head.binary_search_by_key(&n, |s| s.step) {
            Ok(i) => self.head.get_mut(i),
            Err(_) => match self.tail.binary_search_by_key(&n, |s| s.step) {
                Ok(i) => self.tail.get_mut(i),
                Err(_) => None,
            },
        };
        if let Some(slot) = slot {
            *slot = step;
        }
    }

    /// The kept steps in order and the number left out.
    pub(crate) fn finish(self) -> (Vec<TraceStep>, u64) {
        let mut steps = self.head;
        steps.extend(self.tail);
        (steps, self.omitted)
    }
}

/// The Snippet TRACE output of the current step (it goes into that
/// step's [`TraceStep::output`]), bounded per run.
#[derive(Debug, Default)]
pub(crate) struct TraceOutput {
    pub lines: Vec<Arc<str>>,
    pub bytes: usize,
    pub truncated: bool,
}

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
