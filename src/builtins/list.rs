//! [`ActionList`]: what each built-in's `register` adds itself to.

use std::sync::Arc;

use crate::action::{ActionHandler, ActionSchema};

/// The built-in actions as a list of schemas and handlers.
#[derive(Default)]
pub(crate) struct ActionList(pub(super) Vec<(ActionSchema, Arc<dyn ActionHandler>)>);

impl ActionList {
    /// Adds one action type (the name matches `EngineBuilder::add_action`).
    pub(crate) fn add_action(&mut self, schema: ActionSchema, handler: Arc<dyn ActionHandler>) {
        self.0.push((schema, handler));
    }
}
