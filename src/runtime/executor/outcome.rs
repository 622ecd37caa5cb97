//! How a run ended: [`Outcome`] (the one stop type), [`RunError`],
//! [`TraceStep`] and [`Run`].

use std::sync::Arc;

use crate::program::{Script, ScriptUnit};
use crate::runtime::contact::{TranscriptEntry, Waiting};
use crate::runtime::pause::PausedRun;
use crate::runtime::{RunCounts, Value, Variables};

/// How a run ended.
///
/// ```
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 }", "o").unwrap();
/// assert_eq!(e.run(&s, Default::default()).outcome, studioflow::Outcome::Stopped);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Reached End or an unconnected branch.
    Completed,
    /// An action failed with no Error branch connected.
    Stopped,
    /// A limit stopped the run: the step budget, the memory budget, the
    /// deadline, or an input value over the size limits.
    Limit,
    /// Cancelled through a [`CancelToken`].
    Cancelled,
    /// An action waits for the contact (digits, time, an HTTP reply, an
    /// event): [`Run::waiting`] says what for, and [`Run::paused`] holds
    /// the run for [`crate::Engine::resume`].
    Waiting,
}

impl Outcome {
    /// The word used in JSON output: `completed`, `waiting`, or `stopped` for
    /// the other three.
    ///
    /// ```
    /// assert_eq!(studioflow::Outcome::Limit.json_name(), "stopped");
    /// ```
    pub fn json_name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Waiting => "waiting",
            _ => "stopped",
        }
    }

    /// `completed`, `stopped`, `limit`, `cancelled` or `waiting` (what test
    /// files write in `expect.outcome`, and what [`Outcome`]'s `Display` shows).
    ///
    /// ```
    /// use studioflow::Outcome;
    /// assert_eq!(Outcome::Limit.name(), "limit");
    /// assert_eq!(Outcome::Cancelled.to_string(), "cancelled");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Stopped => "stopped",
            Outcome::Limit => "limit",
            Outcome::Cancelled => "cancelled",
            Outcome::Waiting => "waiting",
        }
    }

    /// What kind of stop, as the `--json` error object's `kind` says it:
    /// `action` (an action failed: [`Outcome::Stopped`]), `limit` or
    /// `cancelled`; `completed` for a run that did not stop.
    ///
    /// ```
    /// assert_eq!(studioflow::Outcome::Stopped.stop_kind(), "action");
    /// ```
    pub fn stop_kind(self) -> &'static str {
        match self {
            Outcome::Stopped => "action",
            other => other.name(),
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a run stopped early.
///
/// ```
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 }", "o").unwrap();
/// let error = e.run(&s, Default::default()).error.unwrap();
/// assert_eq!((error.action.as_str(), error.message.as_str()), ("bad", "Value: division by zero"));
/// assert_eq!(error.kind, studioflow::Outcome::Stopped);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunError {
    /// The action that failed, or that was running (the last one executed)
    /// when a limit or a cancellation stopped the run: `name:action` inside
    /// a subscript, and the same action as [`Run::end`]. Only a run stopped
    /// before its first action names the one about to run.
    pub action: String,
    /// The `_ERR` text, or the limit message.
    pub message: String,
    /// What kind of stop: [`Outcome::Stopped`] (an action failed),
    /// [`Outcome::Limit`] or [`Outcome::Cancelled`]; the same as [`Run::outcome`].
    pub kind: Outcome,
}

/// `action `a` failed: Value: division by zero`, `limit exceeded in action `a`: ...`.
///
/// ```
/// use studioflow::{Engine, RunOptions};
/// let engine = Engine::new();
/// let script = engine.compile("start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 }", "e").unwrap();
/// let error = engine.run(&script, RunOptions::default()).error.unwrap();
/// assert_eq!(error.to_string(), "action `bad` failed: Value: division by zero");
/// // It is a std error, so `?` takes it into `Box<dyn Error>` or anyhow.
/// let boxed: Box<dyn std::error::Error + Send + Sync> = error.into();
/// assert!(boxed.to_string().starts_with("action `bad` failed"));
/// ```
impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |f: &mut std::fmt::Formatter<'_>, what: &str| {
            if self.action.is_empty() {
                write!(f, "{what}: {}", self.message)
            } else {
                write!(f, "{what} in action `{}`: {}", self.action, self.message)
            }
        };
        match self.kind {
            Outcome::Limit => at(f, "limit exceeded"),
            Outcome::Cancelled => at(f, "cancelled"),
            _ if self.action.is_empty() => f.write_str(&self.message),
            _ => write!(f, "action `{}` failed: {}", self.action, self.message),
        }
    }
}

impl std::error::Error for RunError {}

impl RunError {
    fn with_kind(mut self, kind: Outcome) -> RunError {
        self.kind = kind;
        self
    }
}

/// One executed action.
///
/// ```
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> done }\ndone: End", "t").unwrap();
/// let trace = e.run(&s, studioflow::RunOptions::default().trace(true)).trace.unwrap();
/// assert_eq!((&*trace[1].action, trace[1].branch.as_deref()), ("done", None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// 1-based step number.
    pub step: u64,
    /// Action id.
    pub action: Arc<str>,
    /// Canonical action type.
    pub action_type: Arc<str>,
    /// Caption.
    pub caption: Arc<str>,
    /// The branch actually taken (after the fallback to Default); `None` for terminal actions.
    pub branch: Option<Arc<str>>,
    /// Index of the action in [`crate::Script::flow`].
    pub action_index: usize,
    /// The written branch taken, as an index into that action's
    /// [`crate::FlowAction::branches`]; `None` when the branch taken is not
    /// written (an unconnected Default ends the script, an unconnected
    /// Error stops it) and for terminal actions.
    pub edge: Option<usize>,
    /// What Snippet code's TRACE statements wrote during this step, in order.
    pub output: Vec<Arc<str>>,
    /// The subscript the step ran in (as its RunSub named it); `None` in
    /// the script that was run.
    pub script: Option<Arc<str>>,
    /// How many RunSub frames deep the step ran: 0 in the script that was
    /// run, 1 in a subscript it called, and so on.
    pub depth: usize,
}

/// The result of a run.
///
/// ```
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> done }\ndone: End", "r").unwrap();
/// let run = e.run(&s, Default::default());
/// assert_eq!((run.steps, run.end.as_deref()), (2, Some("done")));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Run {
    /// How it ended.
    pub outcome: Outcome,
    /// The last action executed; for a stopped run, the action its error
    /// names (`name:action` when that was inside a subscript).
    pub end: Option<String>,
    /// Why it stopped, unless completed.
    pub error: Option<RunError>,
    /// Executed actions.
    pub steps: u64,
    /// The trace, when asked for: the first [`TRACE_KEEP_FIRST`] and the
    /// last [`TRACE_KEEP_LAST`] executed actions, in step order (a RunSub's
    /// own step before its subscript's steps). A longer run leaves out the
    /// steps between them (their step numbers are missing) and counts them
    /// in [`Run::trace_omitted`]; the kept steps are all the run ever holds,
    /// however long it runs.
    pub trace: Option<Vec<TraceStep>>,
    /// The executed actions left out of [`Run::trace`] (0 when it holds
    /// every step, and when there is no trace).
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin { Default -> a }\na: Assign { Variable = n Value = 1 Default -> a }", "l").unwrap();
    /// let run = e.run(&s, studioflow::RunOptions::default().trace(true).max_steps(5_000));
    /// let trace = run.trace.as_ref().unwrap();
    /// assert_eq!(trace.len(), 2_000);
    /// assert_eq!((trace[999].step, trace[1000].step), (1_000, 4_001));
    /// assert_eq!(run.trace_omitted, 3_000);
    /// assert_eq!(run.to_json()["trace_omitted"], 3_000);
    /// ```
    pub trace_omitted: u64,
    /// Every action, written branch and Snippet branch the run took, with
    /// how often (collected when [`RunOptions::trace`] is on; coverage reads
    /// it, so it is complete however long the run and whatever the trace kept).
    pub counts: Option<RunCounts>,
    /// What the script's own `Return` action returned: `None` when the run
    /// did not end at a Return (an `End`, a stop), `Some(Value::Null)` for a
    /// Return without ReturnValue. A subscript run on its own shows here what
    /// it would hand its RunSub (`"return"` in [`Run::to_json`]).
    ///
    /// ```
    /// let e = studioflow::Engine::new();
    /// let s = e.compile("start: Begin { Default -> r }\nr: Return { ReturnValue = \"gold\" }", "sub.script").unwrap();
    /// let run = e.run(&s, Default::default());
    /// assert_eq!(run.returned, Some(studioflow::Value::from("gold")));
    /// assert_eq!(run.to_json()["return"], "gold");
    /// ```
    pub returned: Option<Value>,
    /// Final variables, sorted by name.
    pub variables: Variables,
    /// What happened on the contact, in order (prompts, keys, queue,
    /// agent, music, waits, HTTP calls, hangup): the first
    /// [`crate::TRANSCRIPT_KEEP_FIRST`] and the last
    /// [`crate::TRANSCRIPT_KEEP_LAST`] entries of this run (a resumed run
    /// has those since it resumed).
    pub transcript: Vec<TranscriptEntry>,
    /// Entries left out of [`Run::transcript`].
    pub transcript_omitted: u64,
    /// What the run waits for, when [`Run::outcome`] is [`Outcome::Waiting`].
    pub waiting: Option<Box<Waiting>>,
    /// The waiting run itself, to resume with [`crate::Engine::resume`]
    /// or to seal into bytes with [`crate::PauseKey::seal`].
    pub paused: Option<Box<PausedRun>>,
}

impl Run {
    /// The run when it completed, else why it stopped: success in one
    /// place, for `?`.
    ///
    /// ```
    /// use studioflow::{Engine, RunOptions};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 / 0 }", "r").unwrap();
    /// let error = engine.run(&script, RunOptions::default()).into_result().unwrap_err();
    /// assert_eq!(error.to_string(), "action `a` failed: Value: division by zero");
    /// let fine = engine.compile("start: Begin { Default -> done }\ndone: End", "f").unwrap();
    /// let run = engine.run(&fine, RunOptions::default()).into_result()?;
    /// assert_eq!(run.steps, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_result(self) -> Result<Run, RunError> {
        match (self.outcome, self.error) {
            (Outcome::Completed, error) => Ok(Run { error, ..self }),
            (kind, Some(error)) => Err(error.with_kind(kind)),
            (kind, None) => Err(RunError {
                action: self.end.clone().unwrap_or_default(),
                message: format!("the run ended with outcome {kind}"),
                kind,
            }),
        }
    }

    /// The final value of variable `name`; `None` when the run never set it
    /// (nor was given it).
    ///
    /// ```
    /// use studioflow::{Engine, RunOptions, Value};
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> a }\na: Assign { Variable = Tier Value = \"gold\" }", "v").unwrap();
    /// let run = engine.run(&script, RunOptions::default());
    /// assert_eq!(run.variable("Tier"), Some(&Value::from("gold")));
    /// assert_eq!(run.variable("Nope"), None);
    /// ```
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    /// The `--json` document: outcome, end, error, steps, trace,
    /// trace_omitted, return, variables.
    ///
    /// ```
    /// let engine = studioflow::Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "j.script").unwrap();
    /// let doc = engine.run(&script, Default::default()).to_json();
    /// assert_eq!(doc["outcome"], "completed");
    /// assert_eq!(doc["end"], "done");
    /// assert_eq!(doc["steps"], 2);
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "outcome": self.outcome.json_name(),
            "end": self.end,
            "error": self.error.as_ref().map(|e| serde_json::json!({
                "action": e.action,
                "message": e.message,
                "kind": e.kind.stop_kind(),
            })),
            "steps": self.steps,
            "trace": self.trace.as_ref().map(|t| t.iter().map(|s| {
                let mut step = serde_json::json!({
                    "step": s.step,
                    "action": &*s.action,
                    "type": &*s.action_type,
                    "branch": s.branch.as_deref(),
                });
                // Only steps that traced something carry `output`.
                if !s.output.is_empty() {
                    step["output"] = s.output.iter().map(|l| &**l).collect();
                }
                // Only steps inside subscripts carry `script`.
                if let Some(script) = &s.script {
                    step["script"] = (&**script).into();
                }
                step
            }).collect::<Vec<_>>()).unwrap_or_default(),
            "trace_omitted": self.trace_omitted,
            "return": self.returned.as_ref().map(Value::to_json),
            "variables": self.variables.to_json(),
            "transcript": self.transcript.iter().map(TranscriptEntry::to_json).collect::<Vec<_>>(),
            "waiting": self.waiting.as_deref().map(Waiting::to_json),
        })
    }
}

/// Steps read against the script that ran them (the run side of
/// [`Script`]: a compiled script knows nothing of runs).
impl Script {
    /// The unit a traced step ran in ([`TraceStep::script`] names it;
    /// `None` there is unit 0). `None` for a step of another script.
    ///
    /// ```
    /// let mut scripts = studioflow::MemoryResolver::default();
    /// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return { ReturnValue = 1 }");
    /// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
    /// let main = engine
    ///     .compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup Default -> done }\ndone: End", "main")
    ///     .unwrap();
    /// let run = engine.run(&main, studioflow::RunOptions::default().trace(true));
    /// let units: Vec<usize> = run.trace.unwrap().iter().map(|s| main.unit_of_step(s).unwrap().index()).collect();
    /// // start, the RunSub `c` itself, then the subscript's two steps, and `done`.
    /// assert_eq!(units, [0, 0, 1, 1, 0]);
    /// ```
    pub fn unit_of_step(&self, step: &TraceStep) -> Option<ScriptUnit<'_>> {
        let Some(label) = &step.script else {
            return Some(self.as_unit());
        };
        // The executor hands each step its unit's own label: compare the
        // pointer first (two units may share a written name), then the text.
        // A RunSub may call the script that was run (recursion): unit 0.
        if Arc::ptr_eq(&self.inner.label, label) {
            return Some(self.as_unit());
        }
        let by_pointer = self
            .inner
            .subscripts
            .iter()
            .position(|s| Arc::ptr_eq(&s.label, label));
        let by_text = || {
            self.inner
                .subscripts
                .iter()
                .position(|s| *s.label == **label)
        };
        by_pointer.or_else(by_text).and_then(|i| self.unit(i + 1))
    }
}
