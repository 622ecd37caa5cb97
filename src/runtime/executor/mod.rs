//! The run loop, by concept: how to run ([`options`]), how a run ended
//! ([`outcome`]), the run's whole mutable state ([`state`]) and its trace
//! ([`trace`]), RunSub frames
//! ([`subscript`]) and the step loop itself ([`steps`]). What a handler sees
//! of the run, [`crate::ActionCall`], is the action API's (`src/action/`).

mod options;
mod outcome;
mod state;
mod steps;
mod subscript;
mod trace;

pub use options::{ActionOverride, ChangeObserver, RunOptions, StepObserver, VariableChange};
pub use outcome::{Outcome, Run, RunError, TraceStep};
pub(crate) use state::{Pending, RunState, StoreError};
pub(crate) use trace::TraceOutput;
pub use trace::{TRACE_KEEP_FIRST, TRACE_KEEP_LAST};
