//! The handler of Studio actions studioflow does not simulate (Transfer,
//! PlaceCall, Voicemail, framework and custom actions, ...): imported from
//! Studio's files as opaque actions, they fail when run, so that a test
//! mocks them, and the message names the keyword.

use std::sync::Arc;

use crate::action::{ActionCall, ActionError, ActionHandler, BranchId};

struct NotSimulated;

impl ActionHandler for NotSimulated {
    fn execute(&self, call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
        Err(ActionError::failed(format!(
            "{} is not simulated: mock it in a test",
            call.action_type()
        )))
    }
}

/// The handler every opaque Studio action runs.
pub(crate) fn not_simulated() -> Arc<dyn ActionHandler> {
    Arc::new(NotSimulated)
}
