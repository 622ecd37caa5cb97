//! The action API, in one room: what an action type declares
//! ([`ActionSchema`]: properties, branches, [`BranchId`]; the data itself is
//! `crate::program::schema`), what runs ([`handler`]), what it
//! sees of the run ([`call`]: [`ActionCall`], with typed access to
//! properties by name in [`properties`]) and how it fails ([`error`]).
//!
//! The built-in actions (`crate::builtins`) are written against exactly
//! this API and registered the way a host registers its own (see
//! [`crate::EngineBuilder::register_action`]); what they use besides the
//! public methods is listed in `crate::builtins`.

mod call;
mod contact;
mod error;
mod handler;
mod properties;

pub use call::ActionCall;
pub(crate) use call::StepValues;
pub use error::ActionError;
pub use handler::ActionHandler;
// The schemas are data compile reads without the handler API: they live in
// `crate::program::schema` and are re-exported here, with the rest of the API.
pub use crate::program::schema::{
    ActionSchema, BranchId, Choices, PropertyKind, PropertySchema, ScriptType, ScriptTypes,
};
