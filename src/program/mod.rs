//! The compiled form: what compile writes and the run loop reads.
//!
//! A [`Script`] is immutable data: its actions with their compiled
//! properties and branches, expression [`code`], variable ids, the action
//! [`schema`]s it was checked against, and the scripts its RunSubs call.
//! `program` imports only from the layers below it (files, diagnostics,
//! syntax, values); compile builds it and the runtime reads it, so neither
//! imports the other.

pub(crate) mod code;
pub(crate) mod flow;
pub(crate) mod handler;
pub(crate) mod names;
pub(crate) mod schema;
pub(crate) mod script;
pub(crate) mod units;

pub(crate) use code::{BinaryOp, Code, MemberName, Piece, Signature, Signatures};
pub use code::{FunctionId, VarId};
pub use flow::{ActionKind, FlowAction, FlowBranch};
pub use names::ERR_VARIABLE;
pub(crate) use names::{cmp_ignore_ascii_case, HIDDEN_PREFIX};
pub use script::Script;
pub(crate) use script::{CompiledAction, LabelBranch, PropSlot, ScriptInner};
pub use units::ScriptUnit;
