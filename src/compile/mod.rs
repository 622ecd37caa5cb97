//! Stage 2: AST → an immutable, fully resolved [`Script`].
//!
//! Every static error is found here: unknown action types, properties and
//! branches, missing targets, broken expressions in reachable and unreachable
//! actions alike. Names are resolved once: action ids to indices, branch
//! names to slots, variables to slots, functions to registry entries.
//!
//! The rooms, in the order a compile visits them:
//! - [`subscripts`]: the call graph (the script, then each subscript a
//!   RunSub names) and the checks across it;
//! - this file: the options and what an engine gives a compile; [`compiler`]:
//!   one script's compile within the graph ([`graph`]), whose entry points
//!   are in [`session`] (streamed action by action when it can);
//! - [`builder`]: ids and targets interned, each action added;
//! - [`snippets`]: Snippet code parsed and its FUNCTIONs declared first;
//! - [`action`] and [`properties`]: one action's type, properties, branches;
//! - [`expr`]: expressions to [`crate::program::code::Code`], in the shared [`ctx`];
//! - [`lints`]: the whole-script checks, then the [`Script`]; the checks
//!   of a phone flow's contact actions are in [`contact_lints`].

mod action;
mod builder;
mod compiler;
mod contact_lints;
pub(crate) mod ctx;
pub(crate) mod expr;
mod graph;
mod lints;
mod properties;
pub(crate) mod registry;
mod session;
mod snippets;
mod studio_block;
mod subscripts;

use crate::program::schema::ScriptType;
use crate::program::Signatures;
use registry::ActionRegistry;

// The compiled form lives in `program`; these names are re-exported at
// their old paths for the runtime and the tools until they import
// `crate::program` directly.
pub use crate::program::{ActionKind, FlowAction, FlowBranch, Script, ScriptUnit, ERR_VARIABLE};
pub(crate) use crate::program::{CompiledAction, PropSlot, ScriptInner};
pub(crate) use subscripts::compile_script;

/// What the host declares about a compile.
///
/// ```
/// let options = studioflow::CompileOptions { inputs: vec!["Tier".into()] };
/// let s = studioflow::Engine::new().compile_with("start: Begin { Default -> a }\na: Assign { Variable = x Value = Tier }", "i", &options).unwrap();
/// assert!(s.warnings().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Variables the host will supply (no "never assigned" warning for them).
    pub inputs: Vec<String>,
}

/// The variables Studio itself gives a script of type `t` before its Begin
/// runs (NICE's "Pre-Defined Variables": set by the system scripts and the
/// carrier). `check` does not warn that they are never assigned; a run
/// gets them from `--var` (or `RunOptions::variables`) like any input.
///
/// ```
/// use studioflow::{system_variables, ScriptType};
/// assert!(system_variables(ScriptType::Phone).contains(&"ANI"));
/// assert!(system_variables(ScriptType::Generic).contains(&"CONTACTID"));
/// assert!(!system_variables(ScriptType::Generic).contains(&"ANI"));
/// ```
pub fn system_variables(t: ScriptType) -> &'static [&'static str] {
    // Every contact has these; a contact with a caller or sender (every
    // media type but Generic) has an ANI and a DNIS too.
    const CONTACT: &[&str] = &["BUSNO", "CONTACTID", "MASTERID", "SKILL", "SKILLNAME"];
    const ADDRESSED: &[&str] = &[
        "ANI",
        "BUSNO",
        "CONTACTID",
        "DNIS",
        "MASTERID",
        "SKILL",
        "SKILLNAME",
    ];
    match t {
        ScriptType::Generic => CONTACT,
        _ => ADDRESSED,
    }
}

/// What an engine gives a compile: its registries and limits, and where
/// RunSub finds subscripts ([`compile_script`] compiles the call graph).
pub(crate) struct CompileSetup<'a> {
    pub actions: &'a ActionRegistry,
    pub functions: &'a dyn Signatures,
    pub engine_id: u64,
    pub max_value_depth: usize,
    pub max_string_bytes: usize,
    pub resolver: Option<&'a dyn crate::resolver::ScriptResolver>,
}
