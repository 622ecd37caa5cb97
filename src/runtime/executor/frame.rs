//! The step loop of one frame (the script that was run, or a subscript a
//! RunSub runs): before each action the stops (cancellation, deadline, step
//! budget), then the action (its properties evaluated, its handler run),
//! the branch it takes, and the step recorded.

use std::sync::Arc;

use super::outcome::{Outcome, RunError};
use super::state::{FrameEnd, Pending, RunState, StoreError};
use super::suspend::{ResumePoint, SavedFrame};
use super::trace::StepRecord;
use crate::action::{ActionCall, ActionError, BranchId, StepValues};
use crate::compile::{CompiledAction, PropSlot, ScriptInner};
use crate::runtime::cancel::CancelToken;
use crate::runtime::env::RunEnv;
use crate::runtime::error::time_limit_message;
use crate::runtime::eval::Evaluator;
use crate::runtime::functions::FunctionContext;
use crate::runtime::limits::{
    bounded_one_line, MemoryExceeded, Pacer, SizeLimits, MAX_ERROR_TEXT_BYTES,
};
use crate::runtime::{RuntimeError, Value};

/// The frame being run: its script and its label.
struct Frame<'s, 'f> {
    script: &'s ScriptInner,
    label: Option<&'f Arc<str>>,
}

impl Frame<'_, '_> {
    /// An action's id as errors and `end` show it: `subscript:action` inside a RunSub.
    fn shown_id(&self, id: &Arc<str>) -> String {
        match self.label {
            Some(l) => format!("{l}:{id}"),
            None => id.to_string(),
        }
    }
}

/// Where an action's step goes: the next action (`None` ends the frame),
/// the branch taken and its written edge. What stops the run is written to
/// the frame's own `error` and `memory_exceeded` (no copy per step).
struct Followed<'s> {
    next: Option<u32>,
    branch: Option<&'s Arc<str>>,
    edge: Option<u32>,
    /// The action waits: no branch is taken, the frame is saved.
    waits: bool,
}

impl RunEnv {
    /// Runs one frame: `script` (the root or one of its subscripts: unit
    /// `unit` of the call graph, named `label` in traces and errors) from
    /// its Begin to its end.
    pub(crate) fn run_frame(
        &self,
        root: &ScriptInner,
        script: &ScriptInner,
        unit: u32,
        label: Option<&Arc<str>>,
        start: Option<ResumePoint>,
        state: &mut RunState,
    ) -> FrameEnd {
        let frame = Frame { script, label };
        let hook = state.action_override.clone();
        let FrameBuffers {
            scratch,
            mut values,
        } = FrameBuffers::take();
        let scratch = std::cell::RefCell::new(scratch);
        // Evaluation looks at the deadline and the cancel token while it
        // works (one per frame: its work count carries from step to step).
        let pacer = Pacer::new(&*self.clock, state.deadline, state.cancel.clone());
        let limits = state.limits;
        let mut current = script.entry as usize;
        let mut last: Option<usize> = None;
        // A resumed frame re-enters the action it waited in, under the
        // step number it already has.
        // (Step numbers start at 1: 0 is "not resuming".)
        let mut resume_step: u64 = 0;
        if let Some(point) = start {
            current = point.action as usize;
            resume_step = point.step.unwrap_or(0);
        }
        let outcome;
        let mut error: Option<RunError> = None;
        // Only a traced, counted or observed run records its steps (what it
        // records with is set before the run and kept to its end).
        let records = state.counts.is_some()
            || state.trace.is_some()
            || state.observer.is_some()
            || state.change_observer.is_some();

        loop {
            let action = &script.actions[current];
            // A stop between two actions names the one that ran last (the
            // run's `end`): it used the time or the last step. Only before
            // a frame's first action does it name the one about to run.
            let step_number = if resume_step == 0 {
                if let Some(stop) = self.stop_before(&frame, last.unwrap_or(current), state) {
                    outcome = stop.kind;
                    error = Some(stop);
                    break;
                }
                state.steps += 1;
                // A RunSub's own number: its subscript's steps follow it.
                state.steps
            } else {
                cold_path();
                std::mem::take(&mut resume_step)
            };
            last = Some(current);
            let snapshot = state.change_observer.as_ref().map(|_| state.vars.clone());
            let deferred_before = state.deferred.len();

            // A host override (a test mock) replaces the action; otherwise
            // evaluate the properties, then run the handler.
            values.clear();
            let overridden = match &hook {
                None => None,
                Some(hook) => hook.run_instead(&mut ActionCall {
                    env: self,
                    root,
                    script,
                    action,
                    index: current,
                    step: step_number,
                    values: &mut values,
                    state,
                }),
            };
            let result = match overridden {
                Some(result) => result,
                None => {
                    let evaluated = self.evaluate_properties(
                        &frame,
                        action,
                        state,
                        limits,
                        &scratch,
                        &pacer,
                        &mut values,
                    );
                    evaluated.and_then(|()| {
                        action.handler.execute(&mut ActionCall {
                            env: self,
                            root,
                            script,
                            action,
                            index: current,
                            step: step_number,
                            values: &mut values,
                            state,
                        })
                    })
                }
            };

            let mut memory_exceeded = None;
            let followed = follow_branch(
                &frame,
                action,
                result,
                state,
                &mut error,
                &mut memory_exceeded,
            );
            // The action waits: the frame is saved (its owner adds the
            // variables) and the run unwinds to return the wait.
            if followed.waits {
                let counters = std::mem::take(&mut state.counters).into_vec();
                if let Some(suspension) = state.contact.as_mut().and_then(|c| c.suspension.as_mut())
                {
                    suspension.frames.push(SavedFrame {
                        unit,
                        action: current as u32,
                        step: step_number,
                        vars: Vec::new(),
                        counters,
                    });
                }
                outcome = Outcome::Waiting;
                break;
            }
            if records {
                let step = StepRecord {
                    script,
                    unit,
                    label,
                    action,
                    index: current,
                    number: step_number,
                    branch: followed.branch,
                    edge: followed.edge,
                };
                step.record(snapshot, deferred_before, state);
            }

            if let Some(m) = memory_exceeded {
                outcome = Outcome::Limit;
                error = Some(RunError {
                    action: frame.shown_id(&action.id),
                    message: m.to_string(),
                    kind: Outcome::Limit,
                });
                break;
            }
            if let Some(e) = &error {
                outcome = e.kind;
                break;
            }
            if let Some(stop) = self.stop_after(&frame, action, state) {
                outcome = stop.kind;
                error = Some(stop);
                break;
            }
            // The contact was released or answered: the root frame goes on
            // at the event action, a subscript's frame ends (its caller's
            // RunSub sees the divert and ends too).
            // The contact was released or answered: the root frame goes on
            // at the event action, a subscript's frame ends (its caller's
            // RunSub sees the divert and ends too).
            let next = match state.contact_events {
                false => followed.next,
                true => {
                    cold_path();
                    self.divert_next(root, label.is_some(), followed.next, state)
                }
            };
            match next {
                Some(t) => current = t as usize,
                None => {
                    outcome = Outcome::Completed;
                    break;
                }
            }
        }

        FrameBuffers {
            scratch: scratch.into_inner(),
            values,
        }
        .give_back();
        FrameEnd {
            outcome,
            last,
            error,
        }
    }

    /// Where a divert (an event, the contact's end) takes the run after
    /// this action: the event action in the script that was run, or the
    /// end of this frame (`None`; a subscript's frame leaves the divert for
    /// its caller). No divert pending: the branch taken.
    #[cold]
    #[inline(never)]
    fn divert_next(
        &self,
        root: &ScriptInner,
        in_subscript: bool,
        next: Option<u32>,
        state: &mut RunState,
    ) -> Option<u32> {
        let Some(divert) = state.contact.as_ref().and_then(|c| c.divert) else {
            return next;
        };
        if in_subscript {
            return None;
        }
        if let Some(c) = state.contact.as_mut() {
            c.divert = None;
        }
        state.contact_events = false;
        self.divert_target(root, divert, state).map(|t| t as u32)
    }

    /// What stops the run before the next action: a cancellation, the
    /// deadline, the step budget. The stop names action `ran_last`.
    #[inline]
    fn stop_before(
        &self,
        frame: &Frame<'_, '_>,
        ran_last: usize,
        state: &mut RunState,
    ) -> Option<RunError> {
        let name = || frame.shown_id(&frame.script.actions[ran_last].id);
        if state.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Some(RunError {
                action: name(),
                message: "the run was cancelled by the host".into(),
                kind: Outcome::Cancelled,
            });
        }
        // Neither the step budget nor the deadline is due before `check_at`.
        if state.steps < state.check_at {
            return None;
        }
        state.check_at = state.next_check_at();
        if let Some(timeout) = state.past_deadline(&*self.clock, false) {
            return Some(RunError {
                action: name(),
                message: time_limit_message(timeout),
                kind: Outcome::Limit,
            });
        }
        if state.steps >= state.max_steps {
            return Some(RunError {
                action: name(),
                message: format!(
                    "step budget of {} executed actions exceeded",
                    state.max_steps
                ),
                kind: Outcome::Limit,
            });
        }
        None
    }

    /// What stops the run after a host action: it may have blocked past
    /// the deadline or while the run was cancelled. Built-in actions are
    /// quick, and check the deadline while they evaluate; the check before
    /// the next action covers them.
    #[inline]
    fn stop_after(
        &self,
        frame: &Frame<'_, '_>,
        action: &CompiledAction,
        state: &mut RunState,
    ) -> Option<RunError> {
        if !action.host {
            return None;
        }
        if state.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Some(RunError {
                action: frame.shown_id(&action.id),
                message: "the run was cancelled by the host".into(),
                kind: Outcome::Cancelled,
            });
        }
        let timeout = state.past_deadline(&*self.clock, true)?;
        Some(RunError {
            action: frame.shown_id(&action.id),
            message: time_limit_message(timeout),
            kind: Outcome::Limit,
        })
    }

    /// Evaluates the action's expressions for this step into `values`
    /// (the script's constants stay where they are), then checks the closed
    /// word sets. The deadline or a cancellation met while evaluating stops
    /// the run (recorded in `state.stop`), not an Error branch.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn evaluate_properties(
        &self,
        frame: &Frame<'_, '_>,
        action: &CompiledAction,
        state: &mut RunState,
        limits: SizeLimits,
        scratch: &std::cell::RefCell<String>,
        pacer: &Pacer<'_>,
        values: &mut StepValues,
    ) -> Result<(), ActionError> {
        values.evaluated = true;
        // Built at the first expression: many actions have none.
        let mut evaluator: Option<Evaluator<'_>> = None;
        for i in action.expression_slots.start as usize..action.expression_slots.end as usize {
            let Some(PropSlot::Code(code, _)) = action.properties.get(i) else {
                continue;
            };
            let evaluated = evaluator
                .get_or_insert_with(|| Evaluator {
                    vars: &state.vars,
                    functions: &self.functions,
                    limits,
                    context: FunctionContext::with_limit(
                        match state
                            .contact
                            .as_ref()
                            .and_then(|c| c.virtual_clock.as_ref())
                        {
                            Some(clock) => clock,
                            None => &*self.clock,
                        },
                        state.time_zone,
                        limits.max_string_bytes,
                    ),
                    scratch,
                    pace: pacer,
                })
                .eval(code);
            match evaluated {
                // In slot order: the `k` of this slot.
                Ok(v) => values.owned.push(v),
                Err(e @ (RuntimeError::Cancelled | RuntimeError::TimeLimit { .. })) => {
                    let kind = match e {
                        RuntimeError::Cancelled => Outcome::Cancelled,
                        _ => Outcome::Limit,
                    };
                    let message = e.to_string();
                    state.stop = Some(RunError {
                        action: frame.shown_id(&action.id),
                        message: message.clone(),
                        kind,
                    });
                    return Err(ActionError::Failed(message));
                }
                Err(source) => {
                    return Err(ActionError::Property {
                        property: action.schema.properties[i].name.clone(),
                        source,
                    });
                }
            }
        }
        if action.checks_choices {
            check_choices(action, values)?;
        }
        Ok(())
    }
}

/// Where the action's result leads. A stop recorded while the action ran
/// (a limit, a cancellation, a stopped subscript) ends the run whatever the
/// handler returned; a problem met while the handler stored a value
/// outranks what it returned (a memory limit stops the run, a value over
/// the size limits fails the action); a failure sets `_ERR` and takes
/// Error if connected, else stops the frame right there (never Default).
#[inline]
fn follow_branch<'s>(
    frame: &Frame<'s, '_>,
    action: &'s CompiledAction,
    result: Result<BranchId, ActionError>,
    state: &mut RunState,
    error: &mut Option<RunError>,
    memory_exceeded: &mut Option<MemoryExceeded>,
) -> Followed<'s> {
    // The usual step: a branch returned, nothing stopped, pending or
    // waiting. The same answer as below, without building the general one.
    if !state.contact_events && state.stop.is_none() && state.pending.is_none() {
        if let Ok(branch) = &result {
            if action.terminal {
                return Followed {
                    next: None,
                    branch: None,
                    edge: None,
                    waits: false,
                };
            }
            if let Some(f) = action.follow(*branch) {
                return Followed {
                    next: f.target,
                    branch: Some(f.name),
                    edge: f.edge,
                    waits: false,
                };
            }
        }
    }
    follow_branch_general(frame, action, result, state, error, memory_exceeded)
}

/// [`follow_branch`] for every case: a failure, a stop, a pending problem,
/// a wait, an undeclared branch.
#[inline(never)]
fn follow_branch_general<'s>(
    frame: &Frame<'s, '_>,
    action: &'s CompiledAction,
    mut result: Result<BranchId, ActionError>,
    state: &mut RunState,
    error: &mut Option<RunError>,
    memory_exceeded: &mut Option<MemoryExceeded>,
) -> Followed<'s> {
    let script = frame.script;
    // A wait asked for (a stop met meanwhile outranks it); what a resumed
    // action was handed is its alone.
    if state.contact_events {
        cold_path();
        let waits = state
            .contact
            .as_ref()
            .is_some_and(|c| c.suspension.is_some());
        if waits && state.stop.is_none() && state.pending.is_none() {
            return Followed {
                next: None,
                branch: None,
                edge: None,
                waits: true,
            };
        }
        if let Some(c) = state.contact.as_mut() {
            c.suspension = None;
            c.resumed = None;
            state.contact_events = c.divert.is_some();
        }
    }
    // Read first, taken only when set: most steps record no stop.
    let stop = match state.stop.is_some() {
        true => state.stop.take(),
        false => None,
    };
    // Replaced only when a problem is pending (no copy of the result
    // otherwise); the pending problem is taken either way.
    if let Some(pending) = state.pending.take() {
        if stop.is_none() {
            result = match pending {
                Pending::Failure(e) => Err(e),
                Pending::Limit(m) => {
                    *memory_exceeded = Some(m);
                    Err(ActionError::failed(m.to_string()))
                }
            };
        }
    }
    // The branch actually taken (after the fallback to Default); a
    // terminal action takes none.
    let followed = result.and_then(|branch| {
        if action.terminal {
            return Ok(None);
        }
        action
            .follow(branch)
            .map(Some)
            .ok_or_else(|| ActionError::UndeclaredBranch {
                action_type: action.type_name.to_string(),
            })
    });
    let (next, branch, edge) = match followed {
        _ if stop.is_some() => {
            *error = stop;
            (None, None, None)
        }
        Ok(None) => (None, None, None),
        Ok(Some(f)) => (f.target, Some(f.name), f.edge),
        Err(_) if memory_exceeded.is_some() => (None, Some(&script.error_branch), None),
        Err(e) => {
            // `_ERR` is cut to a bounded length, however long the error.
            let message = bounded_one_line(&e, MAX_ERROR_TEXT_BYTES);
            let stored = state.store(
                script.err_var.0 as usize,
                Value::from(message.as_str()),
                &script.var_names,
            );
            if let Err(StoreError::Memory(m)) = stored {
                *memory_exceeded = Some(m);
            }
            let error_target = action
                .targets
                .get(BranchId::ERROR.0 as usize)
                .copied()
                .flatten();
            if error_target.is_none() {
                *error = Some(RunError {
                    action: frame.shown_id(&action.id),
                    message,
                    kind: Outcome::Stopped,
                });
            }
            let error_edge = action
                .target_edges
                .get(BranchId::ERROR.0 as usize)
                .copied()
                .flatten();
            (error_target, Some(&script.error_branch), error_edge)
        }
    };
    Followed {
        next,
        branch,
        edge,
        waits: false,
    }
}

/// What a frame works in, kept by the thread between frames so that a run
/// allocates none of it: the buffer templates are built in and the step's
/// evaluated values. A frame nested in another (a RunSub) takes fresh ones;
/// buffers grown past the `KEEP` bounds are not kept.
struct FrameBuffers {
    scratch: String,
    values: StepValues,
}

impl FrameBuffers {
    const KEEP_SCRATCH_BYTES: usize = 16 << 10;
    const KEEP_ENTRIES: usize = 256;

    thread_local! {
        static SPARE: std::cell::Cell<Option<FrameBuffers>> =
            const { std::cell::Cell::new(None) };
    }

    fn take() -> FrameBuffers {
        Self::SPARE
            .with(std::cell::Cell::take)
            .unwrap_or_else(|| FrameBuffers {
                scratch: String::with_capacity(256),
                values: StepValues {
                    evaluated: false,
                    owned: Vec::with_capacity(8),
                    overrides: Vec::new(),
                },
            })
    }

    fn give_back(self) {
        let FrameBuffers {
            mut scratch,
            mut values,
        } = self;
        if scratch.capacity() > Self::KEEP_SCRATCH_BYTES
            || values.owned.capacity() > Self::KEEP_ENTRIES
            || values.overrides.capacity() > Self::KEEP_ENTRIES
        {
            return;
        }
        scratch.clear();
        values.clear();
        let spare = FrameBuffers { scratch, values };
        Self::SPARE.with(|cell| cell.set(Some(spare)));
    }
}

/// Properties with a closed set of words: each value must be one of them
/// (any case; replaced by its listed spelling) or `""` (as if left out).
fn check_choices(action: &CompiledAction, values: &mut StepValues) -> Result<(), ActionError> {
    for (i, (ps, slot)) in action
        .schema
        .properties
        .iter()
        .zip(action.properties.iter())
        .enumerate()
    {
        let Some(choices) = &ps.choices else {
            continue;
        };
        let v = match slot {
            PropSlot::Absent | PropSlot::Snippet(_) => continue,
            PropSlot::Code(_, k) => match values.owned.get(*k as usize) {
                Some(v) => v,
                None => continue,
            },
            PropSlot::Const(v) | PropSlot::Var(_, v) | PropSlot::Subscript(_, v) => v,
        };
        if !choices.only || v.is_null_or_empty() {
            continue;
        }
        let word = match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => choices.find(&v.text()),
            _ => None,
        };
        match word {
            Some(word) => {
                if v.as_str() != Some(word) {
                    let word = Value::from(word);
                    match slot {
                        PropSlot::Code(_, k) => {
                            if let Some(kept) = values.owned.get_mut(*k as usize) {
                                *kept = word;
                            }
                        }
                        _ => {
                            values.owned.push(word);
                            let at = (values.owned.len() - 1) as u32;
                            values.overrides.push((i as u32, at));
                        }
                    }
                }
            }
            None => {
                return Err(ActionError::InvalidProperty {
                    property: ps.name.clone(),
                    expected: choices.expected(),
                    got: crate::runtime::error::shown(v),
                });
            }
        }
    }
    Ok(())
}

/// Marks the path that calls it as rarely taken (resuming, waiting, an
/// event taking the run elsewhere), so the run loop is laid out for the
/// run that never waits. `std::hint::cold_path` does this from Rust 1.95;
/// this crate supports 1.85.
#[cold]
#[inline(never)]
fn cold_path() {}
