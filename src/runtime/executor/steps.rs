//! The step loop: one action at a time along compiled branch slots.

use std::sync::Arc;

use smallvec::SmallVec;

use super::options::{unchanged, RunOptions, VariableChange};
use super::outcome::{Outcome, Run, RunError, TraceStep};
use super::state::{FrameEnd, Pending, RunState, StoreError};
use super::trace::TraceLog;
use crate::action::ActionCall;
use crate::action::PropValue;
use crate::action::{ActionError, BranchId};
use crate::compile::{PropSlot, ScriptInner};
use crate::runtime::cancel::CancelToken;
use crate::runtime::env::RunEnv;
use crate::runtime::error::time_limit_message;
use crate::runtime::eval::Evaluator;
use crate::runtime::functions::FunctionContext;
use crate::runtime::limits::{
    bounded_one_line, drop_iteratively, Deadline, MemoryMeter, Pacer, MAX_ERROR_TEXT_BYTES,
};
use crate::runtime::security::RunId;
use crate::runtime::{RuntimeError, Value, Variables};

impl RunEnv {
    pub(crate) fn execute(&self, shared: &Arc<ScriptInner>, options: RunOptions) -> Run {
        let script: &ScriptInner = shared;
        let max_steps = options.max_steps.unwrap_or(self.limits.max_steps);
        let limits = self.limits.size_limits();
        let mut state = RunState {
            run_id: RunId::next(),
            vars: vec![None; script.var_names.len()],
            extra: Vec::new(),
            counters: smallvec::smallvec![0; script.actions.len()],
            time_zone: self.directory.business_unit().time_zone,
            snippet_budget: self.limits.max_snippet_statements,
            // Whoever sees steps sees their TRACE output (the run report too).
            trace_output: (options.trace
                || options.observer.is_some()
                || options.change_observer.is_some())
            .then(super::trace::TraceOutput::default),
            steps: 0,
            max_steps,
            trace: options.trace.then(TraceLog::default),
            counts: options.trace.then(crate::runtime::RunCounts::default),
            deferred: Vec::new(),
            observer: options.observer.clone(),
            cancel: options.cancel.clone(),
            depth: 0,
            returned: None,
            stop: None,
            action_override: options.action_override.clone(),
            change_observer: options.change_observer.clone(),
            limits,
            memory: MemoryMeter {
                used: 0,
                budget: self.limits.max_memory_bytes,
            },
            sizes: smallvec::smallvec![0; script.var_names.len()],
            stored_since_check: 0,
            pending: None,
            deadline: None,
        };
        state.deadline = options.timeout.or(self.limits.timeout).and_then(|timeout| {
            Some(Deadline {
                timeout,
                at: self.clock.monotonic().checked_add(timeout)?,
            })
        });
        // Inputs go through the same limits as values a script builds: a
        // host's value nested 200,000 levels deep is refused here, before
        // anything renders, compares or copies it.
        let mut refused: Option<RunError> = None;
        for (name, value) in options.variables {
            if refused.is_some() {
                drop_iteratively(value);
                continue;
            }
            let measured = limits
                .measure(&value)
                .map_err(|e| format!("input variable `{name}` is refused: {e}"))
                .and_then(|size| {
                    state
                        .memory
                        .replace(0, size)
                        .map(|()| size)
                        .map_err(|m| format!("input variable `{name}` is refused: {m}"))
                });
            let size = match measured {
                Ok(size) => size,
                Err(message) => {
                    drop_iteratively(value);
                    refused = Some(RunError {
                        action: script.actions[script.entry as usize].id.to_string(),
                        message,
                        kind: Outcome::Limit,
                    });
                    continue;
                }
            };
            match script.var_index.get(&name) {
                Some(id) => {
                    state.sizes[id.0 as usize] = size;
                    state.vars[id.0 as usize] = Some(value);
                }
                None => state.extra.push((name, value)),
            }
        }
        if let Some(error) = refused {
            let (trace, trace_omitted) = state.take_trace();
            return Run {
                outcome: Outcome::Limit,
                end: None,
                error: Some(error),
                steps: 0,
                trace,
                trace_omitted,
                counts: state.counts.take(),
                returned: None,
                variables: Variables::new(shared.clone(), state.vars, state.extra),
            };
        }
        let end = self.run_frame(script, script, 0, None, &mut state);
        // The meter's books balance: what it counts is what the variables
        // hold (checked in debug builds, i.e. by the whole test suite, for
        // runs that no limit cut short).
        #[cfg(debug_assertions)]
        if matches!(end.outcome, Outcome::Completed | Outcome::Stopped) {
            let measure = |v: &Value| state.limits.measure(v).unwrap_or(0);
            let held: usize = state.vars.iter().flatten().map(measure).sum::<usize>()
                + state.extra.iter().map(|(_, v)| measure(v)).sum::<usize>();
            debug_assert_eq!(state.memory.used, held, "the memory meter drifted");
            debug_assert_eq!(
                state.sizes.iter().sum::<usize>(),
                state.vars.iter().flatten().map(measure).sum::<usize>(),
                "a variable's counted size drifted"
            );
        }
        let (trace, trace_omitted) = state.take_trace();
        let variables = Variables::new(shared.clone(), state.vars, state.extra);
        // A run that stopped ends at the action its error names (inside a
        // subscript: `name:action`), so `end` and the error never disagree.
        let end_id = match &end.error {
            Some(e) if end.last.is_some() && !e.action.is_empty() => Some(e.action.clone()),
            _ => end.last.map(|i| script.actions[i].id.to_string()),
        };
        Run {
            outcome: end.outcome,
            end: end_id,
            error: end.error,
            steps: state.steps,
            trace,
            trace_omitted,
            counts: state.counts.take(),
            // Only a Return of the script that was run is left here: a
            // RunSub takes its subscript's.
            returned: match end.outcome {
                Outcome::Completed => state.returned.take(),
                _ => None,
            },
            variables,
        }
    }

    /// Runs one frame: `script` (the root or one of its subscripts: unit
    /// `unit` of the call graph, named `label` in traces and errors) from
    /// its Begin to its end.
    pub(crate) fn run_frame(
        &self,
        root: &ScriptInner,
        script: &ScriptInner,
        unit: u32,
        label: Option<&Arc<str>>,
        state: &mut RunState,
    ) -> FrameEnd {
        let hook = state.action_override.clone();
        let shown_id = |id: &Arc<str>| match label {
            Some(l) => format!("{l}:{id}"),
            None => id.to_string(),
        };
        let limits = state.limits;
        let mut props: SmallVec<[PropValue<'_>; 8]> = SmallVec::new();
        let mut owned: SmallVec<[Value; 4]> = SmallVec::new();
        let scratch = std::cell::RefCell::new(ScratchBuffer::take());
        // Evaluation looks at the deadline and the cancel token while it
        // works (one per frame: its work count carries from step to step).
        let pacer = Pacer::new(&*self.clock, state.deadline, state.cancel.clone());
        let mut current = script.entry as usize;
        let mut last: Option<usize> = None;
        let mut error: Option<RunError> = None;
        let outcome;

        loop {
            let action = &script.actions[current];
            // A stop between two actions names the one that ran last (the
            // run's `end`): it used the time or the last step. Only before
            // a frame's first action does it name the one about to run.
            let ran_last = || shown_id(&script.actions[last.unwrap_or(current)].id);
            if state.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                outcome = Outcome::Cancelled;
                error = Some(RunError {
                    action: ran_last(),
                    message: "the run was cancelled by the host".into(),
                    kind: Outcome::Cancelled,
                });
                break;
            }
            if let Some(timeout) = state.past_deadline(&*self.clock, false) {
                outcome = Outcome::Limit;
                error = Some(RunError {
                    action: ran_last(),
                    message: time_limit_message(timeout),
                    kind: Outcome::Limit,
                });
                break;
            }
            if state.steps >= state.max_steps {
                outcome = Outcome::Limit;
                error = Some(RunError {
                    action: ran_last(),
                    message: format!(
                        "step budget of {} executed actions exceeded",
                        state.max_steps
                    ),
                    kind: Outcome::Limit,
                });
                break;
            }
            state.steps += 1;
            // A RunSub's own number: its subscript's steps follow it.
            let step_number = state.steps;
            last = Some(current);
            let snapshot = state.change_observer.as_ref().map(|_| state.vars.clone());
            let deferred_before = state.deferred.len();

            // A host override (a test mock) replaces the action; otherwise
            // evaluate the properties, then run the handler.
            let overridden = match &hook {
                None => None,
                Some(hook) => {
                    props.clear();
                    owned.clear();
                    hook.run_instead(&mut ActionCall {
                        env: self,
                        root,
                        script,
                        action,
                        index: current,
                        props: &props,
                        owned: &mut owned,
                        state,
                    })
                }
            };
            let result = if let Some(result) = overridden {
                result
            } else {
                props.clear();
                owned.clear();
                let evaluator = Evaluator {
                    vars: &state.vars,
                    functions: &self.functions,
                    limits,
                    context: FunctionContext::new(&*self.clock, state.time_zone)
                        .with_max_string_bytes(limits.max_string_bytes),
                    scratch: &scratch,
                    pace: &pacer,
                };
                let mut failed = None;
                for (i, slot) in action.properties.iter().enumerate() {
                    props.push(match slot {
                        PropSlot::Absent | PropSlot::Snippet(_) => PropValue::Absent,
                        PropSlot::Const(v) | PropSlot::Var(_, v) | PropSlot::Subscript(_, v) => {
                            PropValue::Const(v)
                        }
                        PropSlot::Code(code) => match evaluator.eval(code) {
                            Ok(v) => {
                                owned.push(v);
                                PropValue::Owned(owned.len() - 1)
                            }
                            // The deadline or a cancellation met while
                            // evaluating stops the run (not an Error branch).
                            Err(e @ (RuntimeError::Cancelled | RuntimeError::TimeLimit { .. })) => {
                                let kind = match e {
                                    RuntimeError::Cancelled => Outcome::Cancelled,
                                    _ => Outcome::Limit,
                                };
                                state.stop = Some(RunError {
                                    action: shown_id(&action.id),
                                    message: e.to_string(),
                                    kind,
                                });
                                failed = Some(ActionError::Failed(e.to_string()));
                                break;
                            }
                            Err(source) => {
                                failed = Some(ActionError::Property {
                                    property: action.schema.properties[i].name.clone(),
                                    source,
                                });
                                break;
                            }
                        },
                    });
                }
                if failed.is_none() && action.checks_choices {
                    failed = check_choices(&action.schema, &mut props, &mut owned).err();
                }
                match failed {
                    Some(e) => Err(e),
                    None => action.handler.execute(&mut ActionCall {
                        env: self,
                        root,
                        script,
                        action,
                        index: current,
                        props: &props,
                        owned: &mut owned,
                        state,
                    }),
                }
            };

            // A problem met while the handler stored a value outranks what
            // the handler returned: a memory limit stops the run, a value
            // over the size limits fails the action.
            let mut memory_exceeded = None;
            let stop = state.stop.take();
            let result = match state.pending.take() {
                _ if stop.is_some() => result,
                None => result,
                Some(Pending::Failure(e)) => Err(e),
                Some(Pending::Limit(m)) => {
                    memory_exceeded = Some(m);
                    Err(ActionError::failed(m.to_string()))
                }
            };

            // Where to go next, and the branch actually taken (after the
            // fallback to Default); a terminal action takes none.
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
            let (next, branch, edge): (Option<u32>, Option<&Arc<str>>, Option<u32>) = match followed
            {
                // A budget ran out inside the action (or a subscript was
                // stopped, or the host cancelled): the run stops, whatever
                // the handler returned and whatever branches are connected.
                _ if stop.is_some() => {
                    error = stop;
                    (None, None, None)
                }
                Ok(None) => (None, None, None),
                Ok(Some(f)) => (f.target, Some(f.name), f.edge),
                Err(_) if memory_exceeded.is_some() => (None, Some(&script.error_branch), None),
                Err(e) => {
                    // A failure sets `_ERR` (cut to a bounded length, however
                    // long the error), then takes Error if connected, else
                    // stops the script right here (never Default).
                    let message = bounded_one_line(&e, MAX_ERROR_TEXT_BYTES);
                    let stored = state.store(
                        script.err_var.0 as usize,
                        Value::from(message.as_str()),
                        &script.var_names,
                    );
                    if let Err(StoreError::Memory(m)) = stored {
                        memory_exceeded = Some(m);
                    }
                    let error_target = action
                        .targets
                        .get(BranchId::ERROR.0 as usize)
                        .copied()
                        .flatten();
                    if error_target.is_none() {
                        error = Some(RunError {
                            action: shown_id(&action.id),
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

            if let Some(counts) = state.counts.as_mut() {
                counts.step(unit, current, script.actions.len(), edge);
            }
            if state.trace.is_some() || state.observer.is_some() || snapshot.is_some() {
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

            if let Some(m) = memory_exceeded {
                outcome = Outcome::Limit;
                error = Some(RunError {
                    action: shown_id(&action.id),
                    message: m.to_string(),
                    kind: Outcome::Limit,
                });
                break;
            }
            if let Some(e) = &error {
                outcome = e.kind;
                break;
            }
            // After a host action too: it may have blocked past the deadline
            // or while the run was cancelled. Built-in actions are quick, and
            // check the deadline while they evaluate; the check before the
            // next action covers them.
            if action.host && state.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
                outcome = Outcome::Cancelled;
                error = Some(RunError {
                    action: shown_id(&action.id),
                    message: "the run was cancelled by the host".into(),
                    kind: Outcome::Cancelled,
                });
                break;
            }
            let late = match action.host {
                true => state.past_deadline(&*self.clock, true),
                false => None,
            };
            if let Some(timeout) = late {
                outcome = Outcome::Limit;
                error = Some(RunError {
                    action: shown_id(&action.id),
                    message: time_limit_message(timeout),
                    kind: Outcome::Limit,
                });
                break;
            }
            match next {
                Some(t) => current = t as usize,
                None => {
                    outcome = Outcome::Completed;
                    break;
                }
            }
        }

        ScratchBuffer::give_back(scratch.into_inner());
        FrameEnd {
            outcome,
            last,
            error,
        }
    }
}

/// The buffer templates are built in, kept by the thread between runs so
/// that a run allocates none (a frame nested in another, a RunSub, takes a
/// fresh one; a buffer grown past [`ScratchBuffer::KEEP`] is not kept).
struct ScratchBuffer;

impl ScratchBuffer {
    const KEEP: usize = 16 << 10;

    thread_local! {
        static SPARE: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
    }

    fn take() -> String {
        let buffer = Self::SPARE.with(std::cell::Cell::take);
        if buffer.capacity() == 0 {
            String::with_capacity(256)
        } else {
            buffer
        }
    }

    fn give_back(mut buffer: String) {
        if buffer.capacity() <= Self::KEEP {
            buffer.clear();
            Self::SPARE.with(|spare| spare.set(buffer));
        }
    }
}

/// Properties with a closed set of words: each value must be one of them
/// (any case; replaced by its listed spelling) or `""` (as if left out).
fn check_choices(
    schema: &crate::action::ActionSchema,
    props: &mut [PropValue<'_>],
    owned: &mut SmallVec<[Value; 4]>,
) -> Result<(), ActionError> {
    for (ps, value) in schema.properties.iter().zip(props.iter_mut()) {
        let v = match value {
            PropValue::Absent => None,
            PropValue::Const(v) => Some(*v),
            PropValue::Owned(k) => owned.get(*k),
        };
        let (Some(choices), Some(v)) = (&ps.choices, v) else {
            continue;
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
                    owned.push(Value::from(word));
                    *value = PropValue::Owned(owned.len() - 1);
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
