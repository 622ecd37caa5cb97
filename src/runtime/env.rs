//! What a run reads besides its script: the engine's functions, clock,
//! permission model and limits ([`RunEnv`]), and the [`Limits`] themselves.
//! The engine holds one `RunEnv`; the run loop never sees the engine.

use std::sync::Arc;
use std::time::Duration;

use super::clock::Clock;
use super::functions::FunctionRegistry;
use super::{RuntimeError, Value};
use crate::permissions::Directory;

/// The part of an engine a run reads: functions, clock, permission model
/// and limits. Plain data, frozen with the engine.
pub(crate) struct RunEnv {
    pub functions: FunctionRegistry,
    pub clock: Arc<dyn Clock>,
    pub directory: Directory,
    pub limits: Limits,
}

/// Stack a run needs besides expression evaluation: handlers, the model, serde.
pub(crate) const RUN_STACK_BASE: usize = 256 * 1024;
/// Stack per level of expression nesting, generous enough for debug builds.
pub(crate) const RUN_STACK_PER_LEVEL: usize = 16 * 1024;

/// Bounds on what one run may do.
///
/// ```
/// let limits = studioflow::Limits::default();
/// assert_eq!(limits.max_steps, 10_000);
/// let tight = studioflow::Limits::default().max_steps(50).timeout(None);
/// assert_eq!((tight.max_steps, tight.timeout), (50, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Executed actions per run before it stops with a limit error (0 stops
    /// every run before its first action; the CLI refuses `--max-steps 0`).
    pub max_steps: u64,
    /// The longest string (bytes) an expression may build.
    pub max_string_bytes: usize,
    /// The most elements a list or object an expression builds may hold,
    /// counting the elements of nested lists and objects.
    pub max_list_len: usize,
    /// The deepest nesting of lists and objects an expression may build
    /// (and an input variable may hold).
    pub max_value_depth: usize,
    /// Snippet statements (loop iterations and user-function calls count as
    /// statements) executed per run before it stops with outcome limit.
    pub max_snippet_statements: u64,
    /// How deep RunSub calls may nest (a subscript calling a subscript ...)
    /// before the run stops with outcome limit.
    pub max_subscript_depth: usize,
    /// The memory budget of a run: the estimated bytes its variables may
    /// hold at once (strings, lists and objects, counted conservatively:
    /// a shared part counts at every place it appears). A store that would
    /// pass it stops the run with [`Outcome::Limit`].
    pub max_memory_bytes: usize,
    /// The wall-clock time a run may take, measured on the clock's
    /// [`Clock::monotonic`] source; `None` for no deadline. Passing it stops
    /// the run with [`Outcome::Limit`]. It is checked before actions, after
    /// every host action, every 1,024 Snippet statements and while an
    /// expression evaluates (every few hundred operations, and after every
    /// function call that built a large value), so a run overshoots it by
    /// milliseconds, not by the cost of an action.
    ///
    /// A host action's handler is the host's own code: the engine cannot
    /// interrupt it while it runs. A handler that blocks (a slow API call)
    /// keeps the run waiting; what it does meanwhile (writes to its own
    /// systems) happens. When it returns past the deadline, the run stops
    /// right there, with the limit naming that action: no further action
    /// runs, and the branch it chose is not taken. A handler that may block
    /// should bound its own wait (e.g. with a timeout of its own derived from
    /// the run's), or watch a [`crate::CancelToken`] it shares with the host.
    pub timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 10_000,
            max_string_bytes: 1 << 20,
            max_list_len: 100_000,
            max_value_depth: 64,
            max_snippet_statements: 1_000_000,
            max_subscript_depth: 64,
            max_memory_bytes: 64 << 20,
            timeout: Some(Duration::from_secs(30)),
        }
    }
}

impl Limits {
    // One chainable setter per field: `Limits::default().max_steps(50)`.

    /// Sets [`Limits::max_steps`].
    pub fn max_steps(mut self, max_steps: u64) -> Limits {
        self.max_steps = max_steps;
        self
    }

    /// Sets [`Limits::max_string_bytes`].
    pub fn max_string_bytes(mut self, max_string_bytes: usize) -> Limits {
        self.max_string_bytes = max_string_bytes;
        self
    }

    /// Sets [`Limits::max_list_len`].
    pub fn max_list_len(mut self, max_list_len: usize) -> Limits {
        self.max_list_len = max_list_len;
        self
    }

    /// Sets [`Limits::max_value_depth`].
    pub fn max_value_depth(mut self, max_value_depth: usize) -> Limits {
        self.max_value_depth = max_value_depth;
        self
    }

    /// Sets [`Limits::max_snippet_statements`].
    pub fn max_snippet_statements(mut self, max_snippet_statements: u64) -> Limits {
        self.max_snippet_statements = max_snippet_statements;
        self
    }

    /// Sets [`Limits::max_subscript_depth`].
    pub fn max_subscript_depth(mut self, max_subscript_depth: usize) -> Limits {
        self.max_subscript_depth = max_subscript_depth;
        self
    }

    /// Sets [`Limits::max_memory_bytes`].
    pub fn max_memory_bytes(mut self, max_memory_bytes: usize) -> Limits {
        self.max_memory_bytes = max_memory_bytes;
        self
    }

    /// Sets [`Limits::timeout`].
    pub fn timeout(mut self, timeout: Option<Duration>) -> Limits {
        self.timeout = timeout;
        self
    }

    /// Checks a value against the size limits (string bytes, elements,
    /// text inside lists, nesting depth) the way a run checks its inputs
    /// and every value it stores, without recursing deeper than the depth
    /// limit. A host can refuse an input up front with a message of its own.
    ///
    /// ```
    /// use studioflow::{Limits, Value};
    /// let mut deep = Value::from(1.0);
    /// for _ in 0..100 {
    ///     deep = Value::from(vec![deep]);
    /// }
    /// let error = Limits::default().check_value(&deep).unwrap_err();
    /// assert_eq!(error.to_string(), "a value nests deeper than the limit of 64 levels");
    /// assert!(Limits::default().check_value(&Value::from("fine")).is_ok());
    /// ```
    pub fn check_value(&self, value: &Value) -> Result<(), RuntimeError> {
        self.size_limits().measure(value).map(drop)
    }

    pub(crate) fn size_limits(&self) -> super::limits::SizeLimits {
        super::limits::SizeLimits {
            max_string_bytes: self.max_string_bytes,
            max_list_len: self.max_list_len,
            max_value_depth: self.max_value_depth,
        }
    }
}
