//! How to run a script: [`RunOptions`], the observers and the action override.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;

use super::outcome::TraceStep;
use crate::action::ActionCall;
use crate::action::{ActionError, BranchId};
use crate::runtime::cancel::CancelToken;
use crate::runtime::Value;

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
pub(super) fn unchanged(before: &Option<Value>, after: &Option<Value>) -> bool {
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
