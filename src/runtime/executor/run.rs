//! Starting a run: its state from the options (inputs through the limits),
//! the main frame, and the [`Run`] it ends with (a waiting run's
//! [`PausedRun`] with it).

use std::sync::Arc;

use super::identity::identities;
use super::options::RunOptions;
use super::outcome::{Outcome, Run, RunError};
use super::state::{FrameEnd, RunState};
use super::suspend::Suspension;
use super::trace_log::TraceLog;
use crate::compile::ScriptInner;
use crate::runtime::contact::Waiting;
use crate::runtime::env::RunEnv;
use crate::runtime::limits::drop_iteratively;
use crate::runtime::pause::PausedRun;
use crate::runtime::Variables;

/// A fresh run's state (every variable unset, the budgets full), built in
/// the caller's frame: the state is large, and a function returning it
/// would copy it once per run (a measurable share of a small flow).
macro_rules! fresh_state {
    ($env:expr, $script:expr, $options:expr) => {{
        let (env, script, options): (
            &crate::runtime::env::RunEnv,
            &crate::compile::ScriptInner,
            &super::options::RunOptions,
        ) = ($env, $script, $options);
        let max_steps = options.max_steps.unwrap_or(env.limits.max_steps);
        let limits = env.limits.size_limits();
        // The deadline first: the state is the block's value, built in place.
        let deadline = options.timeout.or(env.limits.timeout).and_then(|timeout| {
            Some(crate::runtime::limits::Deadline {
                timeout,
                at: env.clock.monotonic().checked_add(timeout)?,
            })
        });
        super::state::RunState {
            run_id: crate::runtime::security::RunId::next(),
            vars: super::state::unset(script.var_names.len()),
            extra: Vec::new(),
            counters: super::state::zeroed(script.actions.len()),
            time_zone: env.directory.business_unit().time_zone,
            snippet_budget: env.limits.max_snippet_statements,
            // Whoever sees steps sees their TRACE output (the run report too).
            trace_output: (options.trace
                || options.observer.is_some()
                || options.change_observer.is_some())
            .then(super::trace_log::TraceOutput::default),
            steps: 0,
            max_steps,
            // The first action looks (and sets the next step to look at).
            check_at: 0,
            trace: options.trace.then(super::trace_log::TraceLog::default),
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
            memory: crate::runtime::limits::MemoryMeter {
                used: 0,
                budget: env.limits.max_memory_bytes,
            },
            sizes: super::state::zeroed(script.var_names.len()),
            stored_since_check: 0,
            pending: None,
            deadline,
            contact: None,
            contact_events: false,
        }
    }};
}
pub(super) use fresh_state;

impl RunEnv {
    pub(crate) fn execute(&self, shared: &Arc<ScriptInner>, options: RunOptions) -> Run {
        let script: &ScriptInner = shared;
        let mut state = fresh_state!(self, script, &options);
        self.start(shared, &mut state, options.variables)
    }

    /// Runs a fresh state from the script's Begin, its inputs stored first.
    #[inline(always)]
    fn start(
        &self,
        shared: &Arc<ScriptInner>,
        state: &mut RunState,
        variables: indexmap::IndexMap<String, crate::runtime::Value>,
    ) -> Run {
        let script: &ScriptInner = shared;
        let limits = state.limits;
        // Inputs go through the same limits as values a script builds: a
        // host's value nested 200,000 levels deep is refused here, before
        // anything renders, compares or copies it.
        let mut refused: Option<RunError> = None;
        for (name, value) in variables {
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
            let end = FrameEnd {
                outcome: Outcome::Limit,
                last: None,
                error: Some(error),
            };
            return self.finish(shared, state, end);
        }
        let end = self.run_frame(script, script, 0, None, None, state);
        self.finish(shared, state, end)
    }

    /// The [`Run`] a run's state ends with.
    #[inline(always)]
    pub(super) fn finish(
        &self,
        shared: &Arc<ScriptInner>,
        state: &mut RunState,
        end: FrameEnd,
    ) -> Run {
        let script: &ScriptInner = shared;
        // The meter's books balance: what it counts is what the variables
        // hold (checked in debug builds, i.e. by the whole test suite, for
        // runs that no limit cut short).
        #[cfg(debug_assertions)]
        if matches!(end.outcome, Outcome::Completed | Outcome::Stopped)
            && state
                .contact
                .as_ref()
                .is_none_or(|c| c.resume_frames.is_empty())
            && end.last.is_some()
        {
            let measure = |v: &crate::runtime::Value| state.limits.measure(v).unwrap_or(0);
            let held: usize = state.vars.iter().flatten().map(measure).sum::<usize>()
                + state.extra.iter().map(|(_, v)| measure(v)).sum::<usize>();
            debug_assert_eq!(state.memory.used, held, "the memory meter drifted");
            debug_assert_eq!(
                state.sizes.iter().sum::<usize>(),
                state.vars.iter().flatten().map(measure).sum::<usize>(),
                "a variable's counted size drifted"
            );
        }
        let suspension = match end.outcome {
            Outcome::Waiting => state.contact.as_mut().and_then(|c| c.suspension.take()),
            _ => None,
        };
        let (waiting, paused) = match (end.outcome, suspension) {
            (Outcome::Waiting, Some(suspension)) => {
                let (waiting, paused) = capture(self, shared, state, suspension);
                (Some(Box::new(waiting)), Some(Box::new(paused)))
            }
            _ => (None, None),
        };
        let (transcript, transcript_omitted) = match state.contact.as_mut() {
            Some(c) => std::mem::take(&mut c.transcript).finish(),
            None => (Vec::new(), 0),
        };
        // Moved out of the state (not taken): nothing is left to drop.
        let (trace, trace_omitted) = match state.trace.take().map(TraceLog::finish) {
            Some((steps, omitted)) => (Some(steps), omitted),
            None => (None, 0),
        };
        let counts = state.counts.take();
        let variables = Variables::new(
            shared.clone(),
            std::mem::take(&mut state.vars),
            std::mem::take(&mut state.extra),
        );
        // A run that stopped ends at the action its error names (inside a
        // subscript: `name:action`), so `end` and the error never disagree.
        let end_id = match (&end.error, &waiting) {
            (_, Some(w)) => Some(w.action.clone()),
            (Some(e), _) if end.last.is_some() && !e.action.is_empty() => Some(e.action.clone()),
            _ => end.last.map(|i| String::from(&*script.actions[i].id)),
        };
        Run {
            outcome: end.outcome,
            end: end_id,
            error: end.error,
            steps: state.steps,
            trace,
            trace_omitted,
            counts,
            // Only a Return of the script that was run is left here: a
            // RunSub takes its subscript's.
            returned: match end.outcome {
                Outcome::Completed => state.returned.take(),
                _ => None,
            },
            variables,
            transcript,
            transcript_omitted,
            waiting,
            paused,
        }
    }
}

/// The waiting run as a run ends waiting: its frames (the script's own gets
/// its variables here), the contact, the budgets and the clock.
fn capture(
    env: &RunEnv,
    root: &Arc<ScriptInner>,
    state: &mut RunState,
    suspension: Suspension,
) -> (Waiting, PausedRun) {
    let Suspension {
        wait,
        memo,
        action,
        mut frames,
    } = suspension;
    if let Some(own) = frames.last_mut() {
        own.vars = state.vars.clone();
    }
    let contact = state
        .contact
        .as_ref()
        .map(|c| c.contact.clone())
        .unwrap_or_default();
    let waiting = Waiting {
        action,
        wait,
        at: contact.elapsed,
        queued: contact.queued.clone(),
    };
    let clock = match state.virtual_clock() {
        Some(clock) => crate::runtime::Clock::now(clock),
        None => env.clock.now(),
    };
    let paused = PausedRun {
        scripts: identities(root),
        frames,
        extra: state.extra.clone(),
        waiting: waiting.clone(),
        memo,
        contact,
        steps: state.steps,
        max_steps: state.max_steps,
        snippet_budget: state.snippet_budget,
        memory_budget: state.memory.budget,
        clock,
        time_zone: state.time_zone,
    };
    (waiting, paused)
}
