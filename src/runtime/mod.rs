//! Stage 3: values, expression evaluation, functions and the executor loop.
//! Works only on compiled scripts; never looks at source text.

pub(crate) mod arrays;
pub(crate) mod cancel;
pub mod clock;
pub(crate) mod contact;
pub(crate) mod convert;
pub(crate) mod counts;
pub(crate) mod datetime;
pub(crate) mod env;
pub(crate) mod error;
pub(crate) mod eval;
pub(crate) mod executor;
pub(crate) use executor::check_identity;
pub(crate) mod functions;
pub(crate) mod limits;
pub(crate) mod ops;
pub(crate) mod pause;
pub(crate) mod security;
pub(crate) mod value;
pub(crate) mod variables;

pub use cancel::CancelToken;
pub use clock::{Clock, FixedClock, SystemClock};
pub use contact::{
    Event, EventError, HttpReply, HttpRequest, TranscriptEntry, TranscriptKind, Wait, WaitFor,
    Waiting, TRANSCRIPT_KEEP_FIRST, TRANSCRIPT_KEEP_LAST,
};
pub use convert::{FromValue, HostFunction, IntoFunctionResult};
pub use counts::RunCounts;
pub use env::Limits;
pub use error::RuntimeError;
pub use eval::VarId;
pub use executor::{
    ActionOverride, ChangeObserver, Outcome, ResumeError, Resumed, Run, RunError, RunOptions,
    StepObserver, TraceStep, VariableChange, TRACE_KEEP_FIRST, TRACE_KEEP_LAST,
};
pub use functions::{FunctionContext, NativeFunction};
pub use limits::{MAX_ERROR_TEXT_BYTES, TRUNCATION_MARKER};
pub use pause::{PauseError, PauseKey, PausedRun, PausedScript, PAUSE_FORMAT_VERSION};
pub use value::SecurityUser;
pub use value::{Object, Text, Value};
pub use variables::Variables;
