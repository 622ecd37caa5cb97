//! The run loop: one action at a time along compiled branch slots.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use indexmap::IndexMap;
use smallvec::SmallVec;

use super::clock::Clock;
use super::eval::{Evaluator, VarId};
use super::functions::FunctionContext;
use super::limits::{
    bounded_one_line, drop_iteratively, Deadline, MemoryExceeded, MemoryMeter, Pacer, SizeLimits,
    MAX_ERROR_TEXT_BYTES,
};
use super::security::{RunId, SecurityUser};
use super::RuntimeError;
use super::{Value, Variables};

mod properties;
use crate::action::{ActionError, BranchId, ScriptType};
use crate::compile::{CompiledAction, PropSlot, ScriptInner};
use crate::engine::EngineInner;
use crate::permissions::{ApiError, Directory};

/// Lets another thread stop a run: between two actions, and every 1,024
/// statements inside a Snippet.
///
/// ```
/// let token = studioflow::CancelToken::new();
/// let other = token.clone();
/// other.cancel();
/// assert!(token.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A fresh token.
    ///
    /// ```
    /// assert!(!studioflow::CancelToken::new().is_cancelled());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks the run to stop before its next action.
    ///
    /// ```
    /// let t = studioflow::CancelToken::new();
    /// t.cancel();
    /// assert!(t.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// True once cancelled.
    ///
    /// ```
    /// assert!(!studioflow::CancelToken::default().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A callback told about every executed action.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
/// let steps = Arc::new(AtomicU64::new(0));
/// let seen = steps.clone();
/// let observer: studioflow::StepObserver = Arc::new(move |_step| { seen.fetch_add(1, Ordering::Relaxed); });
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> done }\ndone: End", "o").unwrap();
/// e.run(&s, studioflow::RunOptions::default().observer(observer));
/// assert_eq!(steps.load(Ordering::Relaxed), 2);
/// ```
pub type StepObserver = Arc<dyn Fn(&TraceStep) + Send + Sync>;

/// Replaces what chosen actions do, for one run: the hook test mocks use.
///
/// Before each action, a run with an override asks it first. `None` lets the
/// action run as written; `Some(result)` is used *instead of* evaluating the
/// action's properties and calling its handler, and then goes through exactly
/// the branch resolution a real result does: an own branch that is not
/// connected falls back to Default, an `Err` sets `_ERR` and takes Error if
/// connected, else stops the run. The [`ActionCall`] it gets has no evaluated
/// properties ([`ActionCall::property`] is `None`) but can read and write
/// variables and mint a security user. A run without an override pays one
/// `Option` check per action.
///
/// ```
/// use std::sync::Arc;
/// use studioflow::{ActionCall, ActionError, ActionOverride, BranchId, Engine, RunOptions, Value};
///
/// /// Pretends every `lookup` action timed out.
/// struct LookupTimesOut;
/// impl ActionOverride for LookupTimesOut {
///     fn run_instead(&self, call: &mut ActionCall<'_>) -> Option<Result<BranchId, ActionError>> {
///         (call.action_id() == "lookup").then(|| Err(ActionError::failed("timeout")))
///     }
/// }
///
/// let engine = Engine::new();
/// let script = engine.compile(r#"
///     start: Begin { Default -> lookup }
///     lookup: Assign { Variable = Found Value = "yes" Default -> done Error -> failed }
///     failed: Assign { Variable = Found Value = "no: {_ERR}" Default -> done }
///     done: End
/// "#, "mocked.script").unwrap();
/// let run = engine.run(&script, RunOptions::default().action_override(Arc::new(LookupTimesOut)));
/// assert_eq!(run.variables["Found"], Value::from("no: timeout"));
/// ```
pub trait ActionOverride: Send + Sync {
    /// What to do instead of running the action `call` describes, or `None`
    /// to run it as written.
    fn run_instead(&self, call: &mut ActionCall<'_>) -> Option<Result<BranchId, ActionError>>;
}

/// A callback told about every executed action together with the variables
/// that action changed (a run report shows them as before → after).
///
/// Costs a copy of the variable slots per step, so it is a separate option
/// from [`StepObserver`], which costs nothing extra.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let observer: studioflow::ChangeObserver = Arc::new(move |step, changes| {
///     for c in changes {
///         log.lock().unwrap().push((step.step, c.name.to_string(), c.before.clone(), c.after.clone()));
///     }
/// });
/// let e = studioflow::Engine::new();
/// let s = e.compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = 2 Default -> done }\ndone: End", "c").unwrap();
/// e.run(&s, studioflow::RunOptions::default().change_observer(observer));
/// assert_eq!(*seen.lock().unwrap(), [(2, "x".to_string(), None, Some(studioflow::Value::from(2.0)))]);
/// ```
pub type ChangeObserver = Arc<dyn Fn(&TraceStep, &[VariableChange]) + Send + Sync>;

/// One variable an executed action changed.
///
/// See [`ChangeObserver`] for an example.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableChange {
    /// The variable's name.
    pub name: Arc<str>,
    /// Its value before the action ran (`None`: not set).
    pub before: Option<Value>,
    /// Its value after.
    pub after: Option<Value>,
}

/// True when a slot holds the same value of the same type before and after.
fn unchanged(before: &Option<Value>, after: &Option<Value>) -> bool {
    match (before, after) {
        (None, None) => true,
        (Some(a), Some(b)) => a.type_name() == b.type_name() && a == b,
        _ => false,
    }
}

/// How to run a script: built with a chainable setter per field.
///
/// ```
/// use studioflow::RunOptions;
/// let options = RunOptions::default().trace(true).max_steps(50).var("Tier", "gold").var("Calls", 3);
/// assert_eq!(options.variables["Calls"], studioflow::Value::from(3));
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RunOptions {
    /// Input variables.
    pub variables: IndexMap<String, Value>,
    /// Overrides the engine's step budget. `Some(0)` stops the run before
    /// its first action: outcome [`Outcome::Limit`], no step, `end` `None`,
    /// and the error names the Begin that was about to run.
    pub max_steps: Option<u64>,
    /// Record a trace in [`Run::trace`] (bounded: see there) and the
    /// coverage counts in [`Run::counts`].
    pub trace: bool,
    /// Called after every executed action, in step order: a RunSub's own
    /// step (with the branch it took) comes before its subscript's steps,
    /// which are therefore held back until the RunSub ends (memory in
    /// proportion to the steps the subscript ran).
    pub observer: Option<StepObserver>,
    /// Called after every executed action with the variables it changed,
    /// in the same order as [`RunOptions::observer`].
    pub change_observer: Option<ChangeObserver>,
    /// Checked before every action, after every host action, every 1,024
    /// Snippet statements and while expressions evaluate. Like the deadline
    /// ([`crate::Limits::timeout`]), it cannot interrupt a host action's
    /// handler while it runs: the run stops when the handler returns.
    pub cancel: Option<CancelToken>,
    /// Asked before every action whether to replace it (test mocks); see [`ActionOverride`].
    pub action_override: Option<Arc<dyn ActionOverride>>,
    /// Overrides the engine's wall-clock deadline ([`crate::Limits::timeout`],
    /// which says what a blocking host action can and cannot be stopped
    /// from doing).
    pub timeout: Option<std::time::Duration>,
}

impl RunOptions {
    /// Sets the input variable `name` (replacing an earlier value of it).
    ///
    /// ```
    /// use studioflow::{Engine, RunOptions, Value};
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> a }\na: Assign { Variable = Sum Value = x + 1 }", "v").unwrap();
    /// let run = engine.run(&script, RunOptions::default().var("x", 41));
    /// assert_eq!(run.variable("Sum"), Some(&Value::from(42)));
    /// ```
    pub fn var(mut self, name: impl Into<String>, value: impl Into<Value>) -> RunOptions {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Sets [`RunOptions::variables`], all the inputs at once.
    pub fn variables(mut self, variables: IndexMap<String, Value>) -> RunOptions {
        self.variables = variables;
        self
    }

    /// Sets [`RunOptions::max_steps`] (`RunOptions::default().max_steps(50)`).
    pub fn max_steps(mut self, max_steps: u64) -> RunOptions {
        self.max_steps = Some(max_steps);
        self
    }

    /// Sets [`RunOptions::trace`].
    pub fn trace(mut self, trace: bool) -> RunOptions {
        self.trace = trace;
        self
    }

    /// Sets [`RunOptions::observer`].
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let options = studioflow::RunOptions::default()
    ///     .observer(Arc::new(move |step| log.lock().unwrap().push(step.action.clone())));
    /// let engine = studioflow::Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "o").unwrap();
    /// engine.run(&script, options);
    /// assert_eq!(seen.lock().unwrap().len(), 2);
    /// ```
    pub fn observer(mut self, observer: StepObserver) -> RunOptions {
        self.observer = Some(observer);
        self
    }

    /// Sets [`RunOptions::change_observer`].
    pub fn change_observer(mut self, observer: ChangeObserver) -> RunOptions {
        self.change_observer = Some(observer);
        self
    }

    /// Sets [`RunOptions::cancel`].
    ///
    /// ```
    /// let token = studioflow::CancelToken::new();
    /// let options = studioflow::RunOptions::default().cancel(token.clone());
    /// assert!(options.cancel.is_some());
    /// ```
    pub fn cancel(mut self, token: CancelToken) -> RunOptions {
        self.cancel = Some(token);
        self
    }

    /// Sets [`RunOptions::action_override`].
    pub fn action_override(mut self, action_override: Arc<dyn ActionOverride>) -> RunOptions {
        self.action_override = Some(action_override);
        self
    }

    /// Sets [`RunOptions::timeout`], overriding the engine's deadline.
    pub fn timeout(mut self, timeout: Duration) -> RunOptions {
        self.timeout = Some(timeout);
        self
    }
}

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
}

impl Outcome {
    /// The word used in JSON output: `completed`, or `stopped` for the other three.
    ///
    /// ```
    /// assert_eq!(studioflow::Outcome::Limit.json_name(), "stopped");
    /// ```
    pub fn json_name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            _ => "stopped",
        }
    }

    /// `completed`, `stopped`, `limit` or `cancelled` (what test files
    /// write in `expect.outcome`, and what [`Outcome`]'s `Display` shows).
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
    pub counts: Option<super::RunCounts>,
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
        })
    }
}

/// Mutable per-run state, kept apart from the immutable script.
pub(crate) struct RunState {
    pub run_id: RunId,
    pub vars: Vec<Option<Value>>,
    pub extra: Vec<(String, Value)>,
    /// Per-action counters (Loop); inline for small scripts, so a run of a
    /// typical flow allocates nothing for them.
    pub counters: SmallVec<[u64; 16]>,
    /// The time zone `now()` and API timestamps use: the last security user's, else the business unit's.
    pub time_zone: Tz,
    /// Snippet statements this run may still execute.
    pub snippet_budget: u64,
    /// TRACE output of the current step, when the run is traced or observed.
    pub trace_output: Option<crate::snippet::exec::TraceOutput>,
    /// Executed actions so far, in every frame.
    pub steps: u64,
    pub max_steps: u64,
    pub trace: Option<TraceLog>,
    /// Coverage counts, when the run is traced.
    pub counts: Option<super::RunCounts>,
    /// Steps of running subscripts held back from the observers, one level
    /// per RunSub being run, so that a RunSub's own step (whose branch is
    /// known only when its subscript ends) reaches them first.
    pub deferred: Vec<Vec<DeferredStep>>,
    pub observer: Option<StepObserver>,
    pub cancel: Option<CancelToken>,
    /// RunSub frames below the main script.
    pub depth: usize,
    /// The value the last Return action returned.
    pub returned: Option<Value>,
    /// A limit or cancellation met inside an action (its Snippet, its
    /// subscript, the evaluation of its properties): it ends the whole run
    /// when the action returns, whatever the handler returned.
    pub stop: Option<RunError>,
    /// The host's override (test mocks), for every frame.
    pub action_override: Option<Arc<dyn ActionOverride>>,
    /// Told each step's variable changes, in every frame.
    pub change_observer: Option<ChangeObserver>,
    /// What every stored value is checked against.
    pub limits: SizeLimits,
    /// The estimated bytes the variables hold, against the memory budget:
    /// those of every frame (a RunSub's caller keeps its variables while
    /// the subscript runs) and of every Snippet statement.
    pub memory: MemoryMeter,
    /// The bytes each variable of the current frame is counted as (parallel
    /// to `vars`), so replacing a value frees exactly what it was charged.
    pub sizes: SlotSizes,
    /// Bytes stored since the deadline was last checked.
    pub stored_since_check: usize,
    /// A failure or limit met while a handler stored a value through
    /// [`ActionCall::set`] (which cannot return it); reported when the
    /// handler returns.
    pub pending: Option<Pending>,
    /// The run's wall-clock deadline, seen by every frame and snippet.
    pub deadline: Option<Deadline>,
}

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
    fn push(&mut self, step: TraceStep) {
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
    fn record(&mut self, step: TraceStep) {
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

/// A subscript's step waiting for its RunSub's step (see [`RunState::deferred`]).
pub(crate) struct DeferredStep {
    step: TraceStep,
    changes: Option<Vec<VariableChange>>,
}

impl RunState {
    /// Hands a finished step to the observers, or holds it back while a
    /// RunSub's subscript runs.
    fn deliver(&mut self, step: TraceStep, changes: Option<Vec<VariableChange>>) {
        match self.deferred.last_mut() {
            Some(level) => level.push(DeferredStep { step, changes }),
            None => self.observe(&step, changes.as_deref()),
        }
    }

    /// Tells the observers about a step now.
    fn observe(&self, step: &TraceStep, changes: Option<&[VariableChange]>) {
        if let Some(observer) = &self.observer {
            observer(step);
        }
        if let (Some(observer), Some(changes)) = (&self.change_observer, changes) {
            observer(step, changes);
        }
    }

    /// The trace and its omitted count, for [`Run`].
    fn take_trace(&mut self) -> (Option<Vec<TraceStep>>, u64) {
        match self.trace.take().map(TraceLog::finish) {
            Some((steps, omitted)) => (Some(steps), omitted),
            None => (None, 0),
        }
    }
}

/// The bytes each variable of a frame is counted as; inline for small
/// scripts, so a run of a typical flow allocates nothing for them.
pub(crate) type SlotSizes = SmallVec<[usize; 16]>;

/// How one frame (the main script or a subscript) ended.
pub(crate) struct FrameEnd {
    pub outcome: Outcome,
    pub last: Option<usize>,
    pub error: Option<RunError>,
}

/// See [`RunState::pending`].
pub(crate) enum Pending {
    Failure(ActionError),
    Limit(MemoryExceeded),
}

/// Why a store was refused.
enum StoreError {
    TooLarge(ActionError),
    Memory(MemoryExceeded),
}

impl RunState {
    /// The timeout, when the run's deadline has passed. The clock is read
    /// only every [`DEADLINE_CHECK_STEPS`] actions or after
    /// [`DEADLINE_CHECK_BYTES`] stored bytes, unless `now` asks for a
    /// reading at once (long built-ins and snippets, which pace themselves).
    pub(crate) fn past_deadline(&mut self, clock: &dyn Clock, now: bool) -> Option<Duration> {
        let deadline = self.deadline?;
        let due = now
            || (self.steps % DEADLINE_CHECK_STEPS == 0 && self.steps > 0)
            || self.stored_since_check >= DEADLINE_CHECK_BYTES;
        if !due {
            return None;
        }
        self.stored_since_check = 0;
        (clock.monotonic() >= deadline.at).then_some(deadline.timeout)
    }

    /// Stores a value in a variable slot, through the size limits and the
    /// memory budget; on refusal the slot keeps its old value.
    fn store(&mut self, slot: usize, value: Value, names: &[Arc<str>]) -> Result<(), StoreError> {
        let new = self.limits.measure(&value).map_err(|source| {
            StoreError::TooLarge(ActionError::OversizedResult {
                variable: names.get(slot).map(|n| n.to_string()).unwrap_or_default(),
                source,
            })
        })?;
        let (Some(target), Some(counted)) = (self.vars.get_mut(slot), self.sizes.get_mut(slot))
        else {
            return Ok(());
        };
        let old = *counted;
        self.memory.replace(old, new).map_err(StoreError::Memory)?;
        *counted = new;
        self.stored_since_check = self.stored_since_check.saturating_add(new);
        let previous = target.replace(value);
        if old > DROP_INLINE_BYTES {
            if let Some(previous) = previous {
                drop_iteratively(previous);
            }
        }
        Ok(())
    }
}

/// Values counted above this are dropped without recursion (a value that
/// small cannot nest deep enough to matter).
const DROP_INLINE_BYTES: usize = 4096;

/// The deadline is checked before every action whose step number is a
/// multiple of this, and whenever more than [`DEADLINE_CHECK_BYTES`] were
/// stored since the last check: reading the clock on every step would cost
/// a measurable share of a small action.
const DEADLINE_CHECK_STEPS: u64 = 8;
const DEADLINE_CHECK_BYTES: usize = 1 << 20;

/// What an action handler sees: its evaluated properties and the run.
///
/// Properties are addressed by their index in the action's schema. The
/// example below uses every method of the handler's view of the run.
///
/// ```
/// use studioflow::{
///     ActionCall, ActionError, ActionSchema, BranchId, Engine, FixedClock, PropertyKind,
///     PropertySchema, RunOptions, ScriptType, Value,
/// };
///
/// const WHO: usize = 0; // InputVariable: the security user
/// const TARGET: usize = 1; // Template
/// const RESULT: usize = 2; // OutputVariable
/// const SEEN: BranchId = BranchId::own(0);
///
/// fn audit(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
///     let user = call.security_user(WHO)?; // only a handle issued in this run
///     let target = call.text(TARGET).unwrap_or_default();
///     assert_eq!(call.text_ref(TARGET).as_deref(), Some(target.as_str()));
///     assert_eq!(call.property(TARGET), Some(&Value::from(target.as_str())));
///     assert_eq!(call.action_id(), "audit");
///     assert_eq!(call.subscript(), None); // not inside a RunSub
///     assert_eq!(call.script_type(), ScriptType::Generic);
///     assert!(call.labels().is_empty());
///     assert_eq!(call.time_zone(), user.time_zone());
///     assert!(call.directory().agent(user.agent_id()).is_some());
///     *call.counter() += 1; // private to this action in this run
///     let stamp = call.now().to_rfc3339();
///     let out = call.variable(RESULT).expect("an output variable");
///     let before = call.get(out); // "" when unset
///     call.set(out, Value::from(format!("{before}{} saw {target} at {stamp};", user.user_name())));
///     if *call.counter() > 1 {
///         return Ok(SEEN);
///     }
///     call.set_output(RESULT, call.get(out))?;
///     Ok(BranchId::DEFAULT)
/// }
///
/// let engine = Engine::builder()
///     .clock(FixedClock::parse("2026-03-08T06:30:00Z").unwrap())
///     .register_action(
///         ActionSchema::new("Audit")
///             .property(PropertySchema::optional("SecurityUser", PropertyKind::InputVariable)
///                 .with_default(Value::from("SecurityUser")))
///             .property(PropertySchema::required("Target", PropertyKind::Template))
///             .property(PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
///                 .with_default(Value::from("Log")))
///             .branch("Seen"),
///         audit,
///     )
///     .build();
/// let script = engine.compile(r#"
///     start: Begin { Default -> who }
///     who: SetSecurityUser { Agent = "sysadmin" TimeZone = "UTC" Default -> audit }
///     audit: Audit { Target = "agent {1000 + 4}" Default -> audit Seen -> done }
///     done: End
/// "#, "audit.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// assert_eq!(
///     run.variables["Log"].to_text(),
///     "sysadmin saw agent 1004 at 2026-03-08T06:30:00+00:00;sysadmin saw agent 1004 at 2026-03-08T06:30:00+00:00;"
/// );
/// ```
pub struct ActionCall<'a> {
    engine: &'a EngineInner,
    root: &'a ScriptInner,
    script: &'a ScriptInner,
    action: &'a CompiledAction,
    index: usize,
    props: &'a [PropValue<'a>],
    /// The values evaluated for this step, which [`PropValue::Owned`]
    /// points into; a handler may take one instead of cloning it.
    owned: &'a mut SmallVec<[Value; 4]>,
    state: &'a mut RunState,
}

/// One property's value for one step.
///
/// The script's own constants are borrowed, not cloned: cloning an
/// `Arc`-backed value writes its reference count, a cache line every thread
/// running the same compiled script shares, so a clone per step would make
/// threads contend on the script itself.
pub(crate) enum PropValue<'s> {
    /// Left out, with no default.
    Absent,
    /// The script's constant (a literal, or a variable or subscript name).
    Const(&'s Value),
    /// Evaluated for this step: an index into the step's owned values.
    Owned(usize),
}

impl<'a> ActionCall<'a> {
    /// Runs the subscript named by the action's Subscript property with
    /// `args` as p1, p2, ... (and the names of its Begin's Parameters), and
    /// returns what its Return action returned ("" when none ran). The
    /// subscript starts with the caller's `SecurityUser` and `_ERR`;
    /// variables it writes as `global:name` come back to the caller. A
    /// failure inside it is this action's failure; a limit or a cancellation
    /// ends the whole run.
    pub(crate) fn run_subscript(&mut self, args: Vec<Value>) -> Result<Value, ActionError> {
        let Some(unit) = self.action.properties.iter().find_map(|p| match p {
            PropSlot::Subscript(unit, _) => Some(*unit),
            _ => None,
        }) else {
            return Err(ActionError::failed("no subscript to run"));
        };
        let (root, caller) = (self.root, self.script);
        let sub = root.unit(unit);
        if self.state.depth >= self.engine.limits.max_subscript_depth {
            let message = format!(
                "RunSub calls nest deeper than {} levels",
                self.engine.limits.max_subscript_depth
            );
            return Err(self.stop_run(Outcome::Limit, message));
        }
        // The subscript's variables are counted against the run's memory
        // budget like the caller's (which it keeps meanwhile): a parameter
        // shared with the caller counts again, as every shared part does.
        let mut vars: Vec<Option<Value>> = vec![None; sub.var_names.len()];
        let mut sizes: SlotSizes = smallvec::smallvec![0; sub.var_names.len()];
        let (limits, memory) = (self.state.limits, &mut self.state.memory);
        let mut put = |name: &str, value: Value| -> Result<(), StoreError> {
            let Some(id) = sub.var_index.get(name) else {
                return Ok(());
            };
            let slot = id.0 as usize;
            let size = limits.measure(&value).map_err(|source| {
                StoreError::TooLarge(ActionError::OversizedResult {
                    variable: format!("{}:{name}", sub.label),
                    source,
                })
            })?;
            memory
                .replace(sizes[slot], size)
                .map_err(StoreError::Memory)?;
            sizes[slot] = size;
            vars[slot] = Some(value);
            Ok(())
        };
        let mut setup = Ok(());
        for (i, value) in args.into_iter().enumerate() {
            if let Some(name) = sub.param_names.get(i) {
                setup = setup.and_then(|()| put(name, value.clone()));
            }
            setup = setup.and_then(|()| put(&format!("p{}", i + 1), value));
        }
        let inherited = [crate::ERR_VARIABLE, "SecurityUser"];
        for name in inherited
            .iter()
            .copied()
            .chain(sub.global_names.iter().map(|n| &**n))
        {
            if let Some(Some(v)) = caller
                .var_index
                .get(name)
                .map(|id| self.state.vars[id.0 as usize].clone())
            {
                setup = setup.and_then(|()| put(name, v));
            }
        }
        if let Err(e) = setup {
            self.state.memory.release(sizes.iter().sum());
            return Err(match e {
                StoreError::TooLarge(e) => e,
                StoreError::Memory(m) => self.stop_run(Outcome::Limit, m.to_string()),
            });
        }
        let caller_vars = std::mem::replace(&mut self.state.vars, vars);
        let caller_sizes = std::mem::replace(&mut self.state.sizes, sizes);
        let caller_counters = std::mem::replace(
            &mut self.state.counters,
            smallvec::smallvec![0; sub.actions.len()],
        );
        // This RunSub's step comes before its subscript's steps everywhere:
        // its place in the trace is taken now (completed when the action
        // ends, with the branch it took), and the observers are told about
        // the subscript's steps after it.
        if let Some(trace) = self.state.trace.as_mut() {
            trace.push(TraceStep {
                step: self.state.steps,
                action: self.action.id.clone(),
                action_type: self.action.type_name.clone(),
                caption: self.action.caption.clone(),
                branch: None,
                action_index: self.index,
                edge: None,
                output: Vec::new(),
                script: (!std::ptr::eq(root, caller)).then(|| caller.label.clone()),
                depth: self.state.depth,
            });
        }
        if self.state.observer.is_some() || self.state.change_observer.is_some() {
            self.state.deferred.push(Vec::new());
        }
        self.state.depth += 1;
        self.state.returned = None;
        let label = sub.label.clone();
        // Frames nest (up to max_subscript_depth): make sure this one has
        // the stack its deepest expression needs, as Engine::run does.
        let need =
            crate::engine::RUN_STACK_BASE + sub.max_expr_depth * crate::engine::RUN_STACK_PER_LEVEL;
        let (engine, state) = (self.engine, &mut *self.state);
        let end = stacker::maybe_grow(need, need + (1 << 20), || {
            engine.run_frame(root, sub, unit, Some(&label), state)
        });
        self.state.depth -= 1;
        let sub_vars = std::mem::replace(&mut self.state.vars, caller_vars);
        let sub_sizes = std::mem::replace(&mut self.state.sizes, caller_sizes);
        self.state.counters = caller_counters;
        // The subscript's variables are gone; its globals come back to the
        // caller through the same limits as every other store.
        self.state.memory.release(sub_sizes.iter().sum());
        let mut copied_back = Ok(());
        for name in sub.global_names.iter() {
            if let (Some(from), Some(to)) =
                (sub.var_index.get(&**name), caller.var_index.get(&**name))
            {
                if let Some(value) = sub_vars[from.0 as usize].clone() {
                    let stored = self.state.store(to.0 as usize, value, &caller.var_names);
                    copied_back = copied_back.and(stored);
                }
            }
        }
        let returned = self.state.returned.take();
        match (end.outcome, end.error, copied_back) {
            (Outcome::Completed, _, Err(StoreError::Memory(m))) => {
                Err(self.stop_run(Outcome::Limit, m.to_string()))
            }
            (Outcome::Completed, _, Err(StoreError::TooLarge(e))) => Err(e),
            (Outcome::Completed, _, Ok(())) => Ok(returned.unwrap_or_else(Value::empty)),
            (Outcome::Stopped, Some(e), _) => Err(ActionError::Failed(format!(
                "subscript {label} stopped in {}: {}",
                e.action, e.message
            ))),
            (outcome, error, _) => {
                let mut error = error.unwrap_or_else(|| RunError {
                    action: label.to_string(),
                    message: "the subscript stopped".into(),
                    kind: Outcome::Limit,
                });
                // Stopped before the subscript's first action: this RunSub
                // is the action that was running.
                if end.last.is_none() {
                    error.action = match self.subscript() {
                        Some(caller) => format!("{caller}:{}", self.action.id),
                        None => self.action.id.to_string(),
                    };
                }
                error.kind = outcome;
                let message = error.message.clone();
                self.state.stop = Some(error);
                Err(ActionError::Failed(message))
            }
        }
    }

    /// The subscript this action runs in, as the RunSub named it (`None` in
    /// the script that was run): mocks address actions inside subscripts as
    /// `subscript:action`.
    ///
    /// See the example on [`ActionCall`].
    pub fn subscript(&self) -> Option<&str> {
        (!std::ptr::eq(self.root, self.script)).then_some(&*self.script.label)
    }

    /// Ends the whole run from inside this action (a limit or a
    /// cancellation met by code the action runs): the run stops with
    /// `outcome` when the handler returns, whatever it returns, naming this
    /// action as the executor names it (`subscript:action` inside a RunSub).
    /// The error returned (the message as a failure) is for the handler to
    /// return; the run loop does not read it.
    pub(crate) fn stop_run(&mut self, outcome: Outcome, message: String) -> ActionError {
        let action = match self.subscript() {
            Some(label) => format!("{label}:{}", self.action.id),
            None => self.action.id.to_string(),
        };
        let error = RunError {
            action,
            message: message.clone(),
            kind: outcome,
        };
        // The first stop is the one reported.
        self.state.stop.get_or_insert(error);
        ActionError::Failed(message)
    }

    /// Sets the value the running subscript returns (Return's ReturnValue).
    pub(crate) fn set_return(&mut self, value: Value) {
        self.state.returned = Some(value);
    }

    /// The engine, the script, the action and the run's state, for built-in
    /// actions that run compiled code of their own (Snippet).
    pub(crate) fn internals(
        &mut self,
    ) -> (&EngineInner, &ScriptInner, &CompiledAction, &mut RunState) {
        (self.engine, self.script, self.action, self.state)
    }

    /// The evaluated value of property `i` (schema order); `None` when left out without default.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn property(&self, i: usize) -> Option<&Value> {
        match self.props.get(i)? {
            PropValue::Absent => None,
            PropValue::Const(v) => Some(v),
            PropValue::Owned(k) => self.owned.get(*k),
        }
    }
    /// Property `i`, moved out when it was evaluated for this step (its
    /// place then reads as null), cloned when it is one of the script's
    /// constants: a handler that stores a property writes no reference count.
    pub(crate) fn take_property(&mut self, i: usize) -> Option<Value> {
        match self.props.get(i)? {
            PropValue::Absent => None,
            PropValue::Const(v) => Some((*v).clone()),
            PropValue::Owned(k) => self.owned.get_mut(*k).map(std::mem::take),
        }
    }
    /// Property `i` detached from the call, so a handler can read it while
    /// it changes the run: the script's constants borrowed, values evaluated
    /// for this step taken out (as [`ActionCall::take_property`]).
    pub(crate) fn detach_property(&mut self, i: usize) -> Option<std::borrow::Cow<'a, Value>> {
        match self.props.get(i)? {
            PropValue::Absent => None,
            PropValue::Const(v) => Some(std::borrow::Cow::Borrowed(*v)),
            PropValue::Owned(k) => self
                .owned
                .get_mut(*k)
                .map(|v| std::borrow::Cow::Owned(std::mem::take(v))),
        }
    }
    /// Property `i` as text (`None` when absent).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn text(&self, i: usize) -> Option<String> {
        self.property(i).map(Value::to_text)
    }
    /// Property `i` as text, borrowed when it already is a string.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn text_ref(&self, i: usize) -> Option<std::borrow::Cow<'_, str>> {
        self.property(i).map(Value::text)
    }
    /// The variable named by property `i` (an input or output variable property).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn variable(&self, i: usize) -> Option<VarId> {
        match self.action.properties.get(i)? {
            PropSlot::Var(id, _) => Some(*id),
            _ => None,
        }
    }
    /// Reads a variable (unset reads as the empty string).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn get(&self, var: VarId) -> Value {
        self.state
            .vars
            .get(var.0 as usize)
            .cloned()
            .flatten()
            .unwrap_or_else(Value::empty)
    }
    /// Writes a variable.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    ///
    /// The value goes through the engine's size limits and the run's memory
    /// budget. A value over the size limits is not stored and the action
    /// fails (its `_ERR` names the variable); passing the memory budget stops
    /// the run with [`Outcome::Limit`]. Both are reported when the handler
    /// returns; [`ActionCall::set_output`] also returns them at once.
    pub fn set(&mut self, var: VarId, value: Value) {
        if let Err(e) = self
            .state
            .store(var.0 as usize, value, &self.script.var_names)
        {
            let pending = match e {
                StoreError::TooLarge(e) => Pending::Failure(e),
                StoreError::Memory(m) => Pending::Limit(m),
            };
            // The first problem is the one reported.
            self.state.pending.get_or_insert(pending);
        }
    }
    /// Writes the variable named by output-variable property `i`, through
    /// the same limits as [`ActionCall::set`]; a refused value is an `Err`
    /// the handler can return as it is.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn set_output(&mut self, i: usize, value: Value) -> Result<(), ActionError> {
        let var = self.variable(i).ok_or_else(|| {
            ActionError::failed(format!(
                "property {} of {} is not a variable name",
                i, self.action.type_name
            ))
        })?;
        match self
            .state
            .store(var.0 as usize, value, &self.script.var_names)
        {
            Ok(()) => Ok(()),
            Err(StoreError::TooLarge(e)) => Err(e),
            Err(StoreError::Memory(m)) => {
                self.state.pending.get_or_insert(Pending::Limit(m));
                Err(ActionError::failed(m.to_string()))
            }
        }
    }

    /// The engine's limits, for handlers that can check a result's size
    /// before building it (e.g. a list of matches against
    /// [`crate::Limits::max_list_len`]).
    ///
    /// ```
    /// use studioflow::{ActionCall, ActionError, BranchId};
    /// fn page(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    ///     let matches = 250_000; // counted, not yet built
    ///     if matches > call.limits().max_list_len {
    ///         return Err(ActionError::failed("too many matches: narrow the query"));
    ///     }
    ///     Ok(BranchId::DEFAULT)
    /// }
    /// let _ = page;
    /// ```
    pub fn limits(&self) -> &crate::Limits {
        &self.engine.limits
    }
    /// The literal labels of the action's labeled branches (`Case "x"`), in source order.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn labels(&self) -> &[Arc<str>] {
        &self.action.labels
    }
    /// The case branch (`Case "1" -> x`) a handler takes for `label`,
    /// compared as the `Case` action compares (the language's `=`: `"1"`
    /// matches `Case 1` and `Case "1.0"`); Default when the script wrote no
    /// branch with that label. An action type without case branches (a
    /// host action declared without `cases = true`) is an error.
    ///
    /// ```
    /// use studioflow::{ActionSchema, BranchId, Engine};
    /// let engine = Engine::builder()
    ///     .register_action(ActionSchema::new("Menu").labeled_branch("Case"), |call: &mut studioflow::ActionCall<'_>| {
    ///         call.case_branch("2")
    ///     })
    ///     .build();
    /// let script = engine.compile("start: Begin { Default -> m }\nm: Menu { Case \"1\" -> one Case \"2\" -> two }\none: End\ntwo: End", "m").unwrap();
    /// assert_eq!(engine.run(&script, Default::default()).end.as_deref(), Some("two"));
    /// ```
    pub fn case_branch(&self, label: &str) -> Result<BranchId, ActionError> {
        if self.action.schema.labeled_branch.is_none() {
            return Err(ActionError::failed(format!(
                "{} has no case branches (declare the action with `cases = true`)",
                self.action.type_name
            )));
        }
        let label = Value::from(label);
        Ok(self
            .action
            .labels
            .iter()
            .position(|l| crate::runtime::eval::equals_str(&label, l))
            .map_or(BranchId::DEFAULT, |i| BranchId::label(i as u32)))
    }
    /// A counter private to this action in this run (Loop's count).
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn counter(&mut self) -> &mut u64 {
        &mut self.state.counters[self.index]
    }
    /// The action's id.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn action_id(&self) -> &str {
        &self.action.id
    }
    /// The script's type.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn script_type(&self) -> ScriptType {
        self.script.script_type
    }
    /// The permission model.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn directory(&self) -> &Directory {
        &self.engine.directory
    }
    /// The engine clock's current time.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn now(&self) -> DateTime<Utc> {
        self.engine.clock.now()
    }
    /// The time zone for displaying times: the current security user's, else the business unit's.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn time_zone(&self) -> Tz {
        self.state.time_zone
    }

    /// Writes a variable by name; a name the script never mentions is kept
    /// with the run's other variables (it shows in [`Run::variables`]).
    /// Meant for [`ActionOverride`]s, which set what a mocked action would.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use studioflow::{ActionCall, ActionError, ActionOverride, BranchId, Engine, RunOptions, Value};
    ///
    /// struct SetsTier;
    /// impl ActionOverride for SetsTier {
    ///     fn run_instead(&self, call: &mut ActionCall<'_>) -> Option<Result<BranchId, ActionError>> {
    ///         (call.action_id() == "lookup").then(|| {
    ///             call.set_variable("Tier", Value::from("gold"));
    ///             Ok(BranchId::DEFAULT)
    ///         })
    ///     }
    /// }
    /// let engine = Engine::new();
    /// let script = engine
    ///     .compile("start: Begin { Default -> lookup }\nlookup: Assign { Variable = x Value = 1 }", "s")
    ///     .unwrap();
    /// let run = engine.run(&script, RunOptions::default().action_override(Arc::new(SetsTier)));
    /// assert_eq!(run.variables["Tier"], Value::from("gold"));
    /// assert!(run.variables.get("x").is_none_or(|v| v.is_null_or_empty()));
    /// ```
    pub fn set_variable(&mut self, name: &str, value: Value) {
        match self.script.var_index.get(name) {
            // Through the same size limits and memory budget as `set`.
            Some(id) => self.set(*id, value),
            // A name the script never mentions: measured here (this is the
            // rare path of mocks), with the same outcome as `set`.
            None => {
                let state = &mut *self.state;
                let new = match state.limits.measure(&value) {
                    Ok(size) => size,
                    Err(source) => {
                        let failure = ActionError::OversizedResult {
                            variable: name.to_string(),
                            source,
                        };
                        state.pending.get_or_insert(Pending::Failure(failure));
                        return;
                    }
                };
                let index = state.extra.iter().position(|(n, _)| n == name);
                let old = index.map_or(0, |i| state.limits.measure(&state.extra[i].1).unwrap_or(0));
                if let Err(m) = state.memory.replace(old, new) {
                    state.pending.get_or_insert(Pending::Limit(m));
                    return;
                }
                match index {
                    Some(i) => state.extra[i].1 = value,
                    None => state.extra.push((name.to_string(), value)),
                }
            }
        }
    }

    /// The security user held by the variable that input-variable property `i`
    /// names. Only a handle issued in this run is accepted; anything else —
    /// a string, an object, a handle from another run — is refused.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn security_user(&self, i: usize) -> Result<SecurityUser, ActionError> {
        self.security_user_ref(i).cloned()
    }

    /// [`ActionCall::security_user`], borrowed from the variable.
    pub(crate) fn security_user_ref(&self, i: usize) -> Result<&SecurityUser, ActionError> {
        let var = self
            .variable(i)
            .ok_or_else(|| ActionError::Api(ApiError::no_security_user()))?;
        match self.state.vars.get(var.0 as usize).and_then(Option::as_ref) {
            Some(Value::SecurityUser(user)) if user.issued_by(self.state.run_id) => Ok(user),
            Some(Value::SecurityUser(_)) => Err(ActionError::Api(ApiError::invalid_security_user(
                "the security user was issued by another run",
            ))),
            None => Err(ActionError::Api(ApiError::no_security_user())),
            Some(v) if v.is_null_or_empty() => Err(ActionError::Api(ApiError::no_security_user())),
            Some(other) => Err(ActionError::Api(ApiError::invalid_security_user(format!(
                "variable `{}` holds {}, not a security user set by SetSecurityUser",
                self.script.var_names[var.0 as usize],
                other.type_name()
            )))),
        }
    }

    /// The checked call that mints a security user: the agent (an id, else a
    /// userName) must exist and be active. `time_zone` is an IANA name, or
    /// `None`/`"Default"` for the agent's own time zone. Later `now()` calls and
    /// API timestamps in this run use that time zone.
    ///
    /// See the example on [`ActionCall`], which uses every method.
    pub fn set_security_user(
        &mut self,
        agent: &str,
        time_zone: Option<&str>,
    ) -> Result<SecurityUser, ActionError> {
        // One borrowing read of the store. The userName and role name are
        // copied from the snapshot when short (inline, no String between),
        // so no reference count of the store's strings is written.
        let (agent_id, user_name, agent_time_zone, role) = self
            .engine
            .directory
            .with_security_user(agent, |agent, role| {
                let role = role.map_or(Value::Null, |role| Value::from(role.name.as_str()));
                let user_name = super::value::text_of_shared(&agent.user_name);
                (agent.id, user_name, agent.time_zone, role)
            })?;
        let tz = match time_zone.map(str::trim) {
            None | Some("") => agent_time_zone,
            Some(t) if t.eq_ignore_ascii_case("default") => agent_time_zone,
            Some(t) => t.parse::<Tz>().map_err(|_| ActionError::UnknownTimeZone {
                name: t.to_string(),
            })?,
        };
        let user = SecurityUser::mint(self.state.run_id, agent_id, user_name, tz, role);
        self.state.time_zone = tz;
        Ok(user)
    }
}

impl EngineInner {
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
            .then(crate::snippet::exec::TraceOutput::default),
            steps: 0,
            max_steps,
            trace: options.trace.then(TraceLog::default),
            counts: options.trace.then(super::RunCounts::default),
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
                        engine: self,
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
                        engine: self,
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

/// The message of a run stopped by its deadline.
pub(crate) fn time_limit_message(timeout: Duration) -> String {
    format!(
        "time limit of {} exceeded (the run's wall-clock deadline)",
        Seconds(timeout)
    )
}

/// A duration as the limit message shows it: `30 s`, `0.5 s`.
struct Seconds(Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.as_secs_f64();
        if secs.fract() == 0.0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{secs} s")
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
                    got: super::error::shown(v),
                });
            }
        }
    }
    Ok(())
}
