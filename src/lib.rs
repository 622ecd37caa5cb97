//! # studioflow
//!
//! An embeddable interpreter for Studio-style contact-center flow scripts.
//!
//! A script is a graph of actions. Each action runs, then takes one of its
//! named branches (Default, Error, True/False, ...) to the next. Data flows
//! one way through three stages:
//!
//! ```text
//! text ─► syntax (pest → AST with spans) ─► compile (→ immutable Script) ─► runtime (Engine::run → Run)
//! ```
//!
//! API actions run as the identity chosen by `SetSecurityUser`, resolved
//! against the [`permissions`] model (Cisco PCCE Role API semantics), which
//! knows nothing of scripts.
//!
//! ```
//! use studioflow::{Engine, Outcome, RunOptions, Value};
//!
//! let engine = Engine::new();
//! let script = engine.compile(r#"
//!     start: Begin { Default -> check }
//!     check: If { Expression = count > 3  True -> vip  False -> done }
//!     vip: Assign { Variable = Tier  Value = "gold"  Default -> done }
//!     done: End
//! "#, "example.script").expect("compiles");
//!
//! let run = engine.run(&script, RunOptions::default().var("count", 5));
//! assert_eq!(run.outcome, Outcome::Completed);
//! assert_eq!(run.variable("Tier"), Some(&Value::from("gold")));
//! ```

#![warn(missing_docs)]

// pest's derive, built without its `std` feature (which would switch on a
// native stack probe at every rule entry; `syntax::prescan` bounds nesting
// instead), names `::alloc` in the code it generates.
extern crate alloc;

mod action;
mod builtins;
mod compile;
mod diagnostics;
mod engine;
pub mod export;
pub mod files;
pub mod format;
pub mod graph;
#[cfg(feature = "lsp")]
pub mod lsp;
pub mod manifest;
pub mod permissions;
mod program;
pub mod report;
mod resolver;
pub mod runtime;
pub mod snippet;
pub mod studio;
pub mod syntax;
#[cfg(test)]
mod test_support;
pub mod testing;
pub mod tz;

pub use action::{
    ActionCall, ActionError, ActionHandler, ActionSchema, BranchId, Choices, PropertyKind,
    PropertySchema, ScriptType, ScriptTypes,
};
pub use compile::{
    system_variables, ActionKind, CompileOptions, FlowAction, FlowBranch, Script, ScriptUnit,
    ERR_VARIABLE,
};
pub use diagnostics::{
    Diagnostic, DiagnosticCode, Diagnostics, Severity, SourceFile, Span, INPUTS_HINT,
    SHOWN_DIAGNOSTICS, SHOWN_LINE_CHARS,
};
pub use engine::{BuildError, Engine, EngineBuilder, Responder, Simulation, SimulationError};
pub use resolver::{FileResolver, MemoryResolver, ResolveError, ResolvedScript, ScriptResolver};
/// Paused runs in PostgreSQL, taken by one host exactly once (feature `postgres`).
#[cfg(feature = "postgres")]
pub use runtime::pause::store::{PauseStore, Repause, Take, Taken};
pub use runtime::{
    ActionOverride, CancelToken, ChangeObserver, Clock, FixedClock, FromValue, FunctionContext,
    HostFunction, IntoFunctionResult, Limits, NativeFunction, Object, Outcome, Run, RunCounts,
    RunError, RunOptions, RuntimeError, SecurityUser, StepObserver, SystemClock, Text, TraceStep,
    Value, VarId, VariableChange, Variables, MAX_ERROR_TEXT_BYTES, TRACE_KEEP_FIRST,
    TRACE_KEEP_LAST, TRUNCATION_MARKER,
};
pub use runtime::{
    Event, EventError, HttpReply, HttpRequest, PauseError, PauseKey, PausedRun, PausedScript,
    ResumeError, Resumed, TranscriptEntry, TranscriptKind, Wait, WaitFor, Waiting,
    PAUSE_FORMAT_VERSION, TRANSCRIPT_KEEP_FIRST, TRANSCRIPT_KEEP_LAST,
};
pub use tz::Tz;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The reference documents' examples (`docs/`), compiled and run as doc
/// tests like the README's.
#[cfg(doctest)]
mod docs_doctests {
    #[doc = include_str!("../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../docs/language.md")]
    pub struct Language;
    #[doc = include_str!("../docs/snippet.md")]
    pub struct Snippet;
    #[doc = include_str!("../docs/testing.md")]
    pub struct Testing;
    #[doc = include_str!("../docs/embedding.md")]
    pub struct Embedding;
    #[doc = include_str!("../docs/permissions.md")]
    pub struct Permissions;
    #[doc = include_str!("../docs/limits.md")]
    pub struct Limits;
    #[doc = include_str!("../docs/architecture.md")]
    pub struct Architecture;
    #[doc = include_str!("../docs/studio.md")]
    pub struct Studio;
    #[doc = include_str!("../docs/contacts.md")]
    pub struct Contacts;
}
