//! `GetAvailableFeatures`: the feature catalog. Needs feature `role`.

use super::common::{actor, register_api, store};
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, BranchId};

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, _) = actor(call)?;
    let features = call.directory().available_features(actor)?;
    store(call, features)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(builder, "GetAvailableFeatures", "Features", vec![], execute);
}
