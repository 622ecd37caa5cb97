//! Resuming a waiting run with an event: the script checked against the
//! paused run's identity, the event against the wait, the frames entered
//! again down to the waiting action (or the run sent to an event action).

use std::sync::Arc;

use super::options::RunOptions;
use super::outcome::{Outcome, RunError};
use super::state::{FrameEnd, RunState};
use super::suspend::{ResumePoint, Resumed, Suspension, VirtualClock};
use crate::compile::ScriptInner;
use crate::runtime::contact::state::AnsweredBy;
use crate::runtime::contact::{Divert, Event, TranscriptEntry, TranscriptKind, Wait, WaitFor};
use crate::runtime::env::RunEnv;
use crate::runtime::pause::PausedRun;
use crate::runtime::value::Value;
use crate::runtime::Run;

/// Why a paused run could not be resumed. Nothing ran.
///
/// ```
/// use studioflow::{Engine, Event, ResumeError, RunOptions};
/// let engine = Engine::new();
/// let script = engine.compile("start: Begin { Default -> w }\nw: Wait { Seconds = 5 }", "w.script").unwrap();
/// let paused = *engine.run(&script, RunOptions::default()).paused.unwrap();
/// let e = engine.resume(&script, paused, Event::Timeout).unwrap_err();
/// assert!(matches!(e, ResumeError::EventDoesNotFit { .. }));
/// // The paused run comes back: nothing ran.
/// assert_eq!(e.into_paused().unwrap().steps(), 2);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The event is not one the wait takes (`digits` at a Wait, say).
    #[error("event `{event}` does not fit the wait of action `{action}`: it waits for {wait}, which takes {takes}")]
    EventDoesNotFit {
        /// The event as written.
        event: String,
        /// The waiting action.
        action: String,
        /// What it waits for.
        wait: WaitFor,
        /// The events that fit.
        takes: &'static str,
        /// The paused run, unchanged.
        paused: Box<PausedRun>,
    },
    /// A script of the run's call graph is not the one it was paused in.
    #[error("script `{name}` changed since the run was paused (its SHA-256 was {paused}, it is now {now}): a paused run resumes only in the scripts it was paused in")]
    ScriptChanged {
        /// The script's name (path).
        name: String,
        /// Its hash in the pause.
        paused: String,
        /// Its hash now.
        now: String,
    },
    /// The call graph has other scripts than when the run paused.
    #[error("the run was paused in {paused} script(s) ({names}); the script given calls {now}")]
    OtherScripts {
        /// How many the pause names.
        paused: usize,
        /// Their names.
        names: String,
        /// How many the given script has.
        now: usize,
    },
    /// `answer:AGENT` names no active agent.
    #[error("event `answer:{agent}`: no active agent `{agent}` in the tenant (give a userName or an agent id)")]
    UnknownAgent {
        /// The agent as written.
        agent: String,
        /// The paused run, unchanged.
        paused: Box<PausedRun>,
    },
    /// The script was compiled by another engine.
    #[error("the script was compiled by another engine")]
    OtherEngine,
    /// A host's event that its text form could not say (a negative wait,
    /// a key that is not one).
    #[error("{source}")]
    BadEvent {
        /// What is wrong with it.
        source: crate::runtime::contact::EventError,
        /// The paused run, unchanged.
        paused: Box<PausedRun>,
    },
    /// `answer` after the contact was released: nobody is there to answer.
    #[error(
        "event `{event}` at action `{action}`: the contact was released, no agent can answer it"
    )]
    Released {
        /// The event as written.
        event: String,
        /// The waiting action.
        action: String,
        /// The paused run, unchanged.
        paused: Box<PausedRun>,
    },
    /// The paused run's frames do not fit the script (signed, so written by
    /// a studioflow that had another idea of it, or by whoever has the key).
    #[error("the paused run does not fit script `{script}`: {reason}")]
    DoesNotFit {
        /// The script's name.
        script: String,
        /// What does not fit.
        reason: String,
    },
}

impl ResumeError {
    /// The paused run back, when the error leaves it usable.
    pub fn into_paused(self) -> Option<PausedRun> {
        match self {
            ResumeError::EventDoesNotFit { paused, .. }
            | ResumeError::UnknownAgent { paused, .. }
            | ResumeError::BadEvent { paused, .. }
            | ResumeError::Released { paused, .. } => Some(*paused),
            _ => None,
        }
    }
}

/// The events a wait takes, for messages.
pub(crate) fn takes(wait: WaitFor) -> &'static str {
    match wait {
        WaitFor::Digits => "digits, timeout, wait, answer and hangup",
        WaitFor::Time => "wait, answer and hangup",
        WaitFor::Http => "reply, answer and hangup",
        WaitFor::Event => "answer and hangup",
    }
}

impl RunEnv {
    pub(crate) fn resume(
        &self,
        shared: &Arc<ScriptInner>,
        paused: PausedRun,
        event: Event,
        options: RunOptions,
    ) -> Result<Run, ResumeError> {
        let root: &ScriptInner = shared;
        check_identity(root, &paused)?;
        check_shape(root, &paused)?;
        if let Err(source) = event.check() {
            return Err(ResumeError::BadEvent {
                source,
                paused: Box::new(paused),
            });
        }
        if matches!(event, Event::Answer(_)) && paused.contact.released {
            return Err(ResumeError::Released {
                event: event.to_string(),
                action: paused.waiting.action.clone(),
                paused: Box::new(paused),
            });
        }
        let kind = paused.waiting.wait.kind();
        if !event.fits(kind) {
            return Err(ResumeError::EventDoesNotFit {
                event: event.to_string(),
                action: paused.waiting.action.clone(),
                wait: kind,
                takes: takes(kind),
                paused: Box::new(paused),
            });
        }
        let answered = match &event {
            Event::Answer(agent) => match self.directory.resolve_security_user(agent) {
                Ok(record) => Some(AnsweredBy {
                    id: record.id,
                    user_name: record.user_name,
                    first_name: record.first_name,
                    last_name: record.last_name,
                    skill: paused.contact.queued.clone().unwrap_or_default(),
                }),
                Err(_) => {
                    return Err(ResumeError::UnknownAgent {
                        agent: agent.clone(),
                        paused: Box::new(paused),
                    });
                }
            },
            _ => None,
        };

        let mut state = super::run::fresh_state!(self, root, &options);
        self.resume_in(shared, &mut state, paused, event, answered)
    }

    /// [`RunEnv::resume`] once the event is known to fit: the paused run's
    /// state put back into a fresh one, then the event.
    fn resume_in(
        &self,
        shared: &Arc<ScriptInner>,
        state: &mut RunState,
        paused: PausedRun,
        event: Event,
        answered: Option<AnsweredBy>,
    ) -> Result<Run, ResumeError> {
        let root: &ScriptInner = shared;
        let PausedRun {
            mut frames,
            extra,
            waiting,
            memo,
            contact,
            steps,
            max_steps,
            snippet_budget,
            memory_budget,
            clock,
            time_zone,
            ..
        } = paused;
        state.steps = steps;
        state.max_steps = max_steps;
        state.snippet_budget = snippet_budget;
        state.memory.budget = memory_budget;
        state.time_zone = time_zone;
        let origin = clock
            .checked_sub_signed(chrono::TimeDelta::microseconds(
                (contact.elapsed * 1e6) as i64,
            ))
            .unwrap_or(clock);
        let clock = VirtualClock::new(origin, contact.elapsed);
        let run = state.contact_run();
        run.virtual_clock = Some(clock);
        run.contact = contact;
        // Security users are issued again, by this run, from the model as
        // it is now: a pause carries who, never what they may do.
        let run_id = state.run_id;
        let directory = &self.directory;
        let reissue = |v: &mut Option<Value>| {
            if let Some(Value::SecurityUser(user)) = v {
                *user = user.reissue(run_id, directory);
            }
        };
        for frame in &mut frames {
            frame.vars.iter_mut().for_each(reissue);
        }
        state.extra = extra;
        for (_, v) in &mut state.extra {
            if let Value::SecurityUser(user) = v {
                *user = user.reissue(run_id, directory);
            }
        }
        // The memory budget holds on resume: everything the run holds is
        // counted again.
        let limits = state.limits;
        // A value the limits refuse to measure (too long, too deep) is
        // refused as the run would refuse storing it.
        let held: Result<usize, String> = frames
            .iter()
            .flat_map(|f| f.vars.iter().flatten())
            .chain(state.extra.iter().map(|(_, v)| v))
            .try_fold(0usize, |sum, v| {
                limits
                    .measure(v)
                    .map(|n| sum.saturating_add(n))
                    .map_err(|e| e.to_string())
            });
        let measure = |v: &Value| limits.measure(v).unwrap_or(0);
        let Some(own) = frames.pop() else {
            return Ok(self.finish(
                shared,
                state,
                FrameEnd {
                    outcome: Outcome::Completed,
                    last: None,
                    error: None,
                },
            ));
        };
        state.sizes = own
            .vars
            .iter()
            .map(|v| v.as_ref().map_or(0, measure))
            .collect();
        state.vars = own.vars;
        state.counters = own.counters.into();
        let waiting_step = frames.first().map_or(own.step, |f| f.step);
        let charged =
            held.and_then(|held| state.memory.replace(0, held).map_err(|m| m.to_string()));
        if let Err(why) = charged {
            let end = FrameEnd {
                outcome: Outcome::Limit,
                last: None,
                error: Some(RunError {
                    action: waiting.action.clone(),
                    message: format!("the paused run is refused: {why}"),
                    kind: Outcome::Limit,
                }),
            };
            return Ok(self.finish(shared, state, end));
        }
        let note = |state: &mut RunState, kind: TranscriptKind, text: String| {
            let at = state.elapsed();
            state.note(TranscriptEntry {
                step: waiting_step,
                action: Arc::from(waiting.action.as_str()),
                kind,
                text: text.into(),
                at,
            });
        };

        let start = match event {
            Event::Hangup | Event::Answer(_) => {
                let divert = match answered {
                    Some(agent) => {
                        note(state, TranscriptKind::Answered, agent.user_name.clone());
                        let contact = &mut state.contact_run().contact;
                        contact.agent = Some(agent);
                        contact.queued = None;
                        Divert::Answer
                    }
                    None => {
                        note(state, TranscriptKind::Hangup, "caller".into());
                        Divert::Release
                    }
                };
                // The waiting action's step ends here (no branch taken)
                // unless an answer leaves the script idling in it.
                if divert == Divert::Release || root.on_answer.is_some() {
                    let (unit, action) = frames
                        .first()
                        .map_or((own.unit, own.action), |f| (f.unit, f.action));
                    record_interrupted(root, unit, action, waiting_step, frames.len(), state);
                }
                match self.divert_target(root, divert, state) {
                    Some(target) => {
                        // What the run was doing is abandoned: the frames
                        // below the script's own are gone.
                        let below: usize = frames
                            .iter()
                            .flat_map(|f| f.vars.iter().flatten())
                            .map(measure)
                            .sum();
                        state.memory.release(below);
                        ResumePoint {
                            action: target as u32,
                            step: None,
                        }
                    }
                    None if divert == Divert::Release => {
                        let mut run = self.finish(
                            shared,
                            state,
                            FrameEnd {
                                outcome: Outcome::Completed,
                                last: None,
                                error: None,
                            },
                        );
                        run.end = Some(waiting.action);
                        return Ok(run);
                    }
                    None => {
                        // Answered, and no OnAnswer: the script idles until
                        // the contact is released.
                        frames.push(super::suspend::SavedFrame {
                            unit: own.unit,
                            action: own.action,
                            step: own.step,
                            vars: Vec::new(),
                            counters: std::mem::take(&mut state.counters).into_vec(),
                        });
                        state.contact_events = true;
                        state.contact_run().suspension = Some(Suspension {
                            wait: Wait::Event,
                            memo: None,
                            action: waiting.action,
                            frames,
                        });
                        return Ok(self.finish(
                            shared,
                            state,
                            FrameEnd {
                                outcome: Outcome::Waiting,
                                last: None,
                                error: None,
                            },
                        ));
                    }
                }
            }
            event => {
                if let Event::Digits(keys) = &event {
                    note(state, TranscriptKind::Digits, keys.clone());
                }
                state.contact_run().resumed = Some(Resumed { event, memo });
                state.contact_events = true;
                state.contact_run().resume_frames = frames;
                ResumePoint {
                    action: own.action,
                    step: Some(own.step),
                }
            }
        };
        let end = self.run_frame(root, root, 0, None, Some(start), state);
        Ok(self.finish(shared, state, end))
    }

    /// The event action a divert leads to in the script that was run
    /// (`None`: the run completes, or idles when answered without OnAnswer).
    pub(super) fn divert_target(
        &self,
        root: &ScriptInner,
        divert: Divert,
        state: &mut RunState,
    ) -> Option<usize> {
        match divert {
            Divert::Release => {
                let contact = &mut state.contact_run().contact;
                contact.released = true;
                if contact.release_ran {
                    return None;
                }
                // Found at compile time: no search per release.
                let target = root.on_release? as usize;
                contact.release_ran = true;
                Some(target)
            }
            Divert::Answer => root.on_answer.map(|i| i as usize),
        }
    }
}

/// Every script of the call graph must be the one the run paused in.
pub(crate) fn check_identity(root: &ScriptInner, paused: &PausedRun) -> Result<(), ResumeError> {
    let units = root.subscripts.len() + 1;
    if units != paused.scripts.len() {
        return Err(ResumeError::OtherScripts {
            paused: paused.scripts.len(),
            names: paused
                .scripts
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            now: units,
        });
    }
    // The compiled scripts' hashes are computed once; comparing them with
    // the pause's text allocates nothing.
    for (i, was) in paused.scripts.iter().enumerate() {
        let sha = super::identity::source_sha256(root.unit(i as u32));
        if !crate::runtime::pause::hex_is(&was.sha256, &sha) {
            return Err(ResumeError::ScriptChanged {
                name: was.name.clone(),
                paused: was.sha256.clone(),
                now: crate::runtime::pause::hex(&sha),
            });
        }
    }
    Ok(())
}

/// Records the step of a waiting action an event interrupted (the caller
/// hung up, an agent answered): it ran, and took no branch. Coverage and
/// the trace see it like any other step.
fn record_interrupted(
    root: &ScriptInner,
    unit: u32,
    action: u32,
    step: u64,
    depth: usize,
    state: &mut RunState,
) {
    let script = root.unit(unit);
    let Some(compiled) = script.actions.get(action as usize) else {
        return;
    };
    let label = (unit != 0).then_some(&script.label);
    let depth_before = std::mem::replace(&mut state.depth, depth);
    let deferred = state.deferred.len();
    // The change observer (the run report) sees the step too: it changed nothing.
    let snapshot = state.change_observer.as_ref().map(|_| state.vars.clone());
    super::trace::StepRecord {
        script,
        unit,
        label,
        action: compiled,
        index: action as usize,
        number: step,
        branch: None,
        edge: None,
    }
    .record(snapshot, deferred, state);
    state.depth = depth_before;
}

/// Every frame of the paused run fits the script: the script that was run
/// at the bottom, each frame's unit, action, variables and counters as its
/// script has them, each frame above a RunSub of the one below.
fn check_shape(root: &ScriptInner, paused: &PausedRun) -> Result<(), ResumeError> {
    let units = root.subscripts.len() as u32 + 1;
    let fail = |reason: String| ResumeError::DoesNotFit {
        script: root.name.clone(),
        reason,
    };
    let frames = &paused.frames;
    match frames.last() {
        None => return Err(fail("it has no frames".into())),
        Some(own) if own.unit != 0 => {
            return Err(fail("its outermost frame is not the script's own".into()));
        }
        Some(_) => {}
    }
    for (i, frame) in frames.iter().enumerate() {
        if frame.unit >= units {
            return Err(fail(format!("frame {i} names script unit {}", frame.unit)));
        }
        let script = root.unit(frame.unit);
        let Some(action) = script.actions.get(frame.action as usize) else {
            return Err(fail(format!(
                "frame {i} is at action {} of {}",
                frame.action,
                script.actions.len()
            )));
        };
        if frame.vars.len() != script.var_names.len()
            || frame.counters.len() != script.actions.len()
        {
            return Err(fail(format!(
                "frame {i} has {} variables and {} counters, script `{}` {} and {}",
                frame.vars.len(),
                frame.counters.len(),
                script.label,
                script.var_names.len(),
                script.actions.len()
            )));
        }
        // Every frame but the innermost waits in a RunSub of the frame above it.
        if i > 0 {
            let inner = frames[i - 1].unit;
            let calls = action.properties.iter().any(
                |p| matches!(p, crate::compile::PropSlot::Subscript(unit, _) if *unit == inner),
            );
            if !calls {
                return Err(fail(format!(
                    "frame {i} waits at `{}`, which does not run the subscript of frame {}",
                    action.id,
                    i - 1
                )));
            }
        }
    }
    Ok(())
}
