//! The run loop, by concept: how to run ([`options`]), how a run ended
//! ([`outcome`]), the run's whole mutable state ([`state`]) and its trace
//! ([`trace`]), RunSub frames
//! ([`subscript`]), starting a run ([`run`]) and the step loop of a frame
//! ([`frame`]). What a handler sees
//! of the run, [`crate::ActionCall`], is the action API's (`src/action/`).

mod frame;
mod identity;
mod options;
mod outcome;
mod resume;
mod run;
mod state;
mod subscript;
mod suspend;
mod trace;
mod trace_log;

pub use options::{ActionOverride, ChangeObserver, RunOptions, StepObserver, VariableChange};
pub use outcome::{Outcome, Run, RunError, TraceStep};
pub(crate) use resume::check_identity;
pub use resume::ResumeError;
pub(crate) use state::{Pending, RunState, StoreError};
pub use suspend::Resumed;
pub(crate) use suspend::{SavedFrame, Suspension};
pub(crate) use trace_log::TraceOutput;
pub use trace_log::{TRACE_KEEP_FIRST, TRACE_KEEP_LAST};
