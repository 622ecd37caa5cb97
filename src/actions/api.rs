//! The Role and Agent API actions.
pub(super) fn register(_builder: &mut crate::EngineBuilder) {}
