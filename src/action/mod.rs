//! The action API, in one room: what an action type declares ([`schema`]:
//! properties, branches, [`BranchId`]), what runs ([`handler`]), what it
//! sees of the run ([`call`]: [`ActionCall`], with typed access to
//! properties by name in [`properties`]) and how it fails ([`error`]).
//!
//! The built-in actions (`crate::builtins`) are written against exactly
//! this API and registered the way a host registers its own (see
//! [`crate::EngineBuilder::register_action`]); what they use besides the
//! public methods is listed in `crate::builtins`.

mod call;
mod error;
mod handler;
mod properties;
mod schema;

pub use call::ActionCall;
pub(crate) use call::PropValue;
pub use error::ActionError;
pub use handler::ActionHandler;
pub(crate) use schema::LABEL_BASE;
pub use schema::{
    ActionSchema, BranchId, Choices, PropertyKind, PropertySchema, ScriptType, ScriptTypes,
};
