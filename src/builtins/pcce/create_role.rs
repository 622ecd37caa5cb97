//! `CreateRole`: a new custom role. Needs feature `role`.

use super::common::{actor, own_features, own_text, register_api, store};
use crate::builtins::list::ActionList;
use crate::permissions::RoleDraft;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const NAME: usize = 0;
const DESCRIPTION: usize = 1;
const FEATURES: usize = 2;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, _) = actor(call)?;
    let draft = RoleDraft {
        name: own_text(call, NAME).unwrap_or_default(),
        description: own_text(call, DESCRIPTION),
        access_list: own_features(call, FEATURES)?.unwrap_or_default(),
    };
    let view = call.directory().create_role(actor, draft)?;
    store(call, view)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "CreateRole",
        "Role",
        vec![
            PropertySchema::required("Name", PropertyKind::Template),
            PropertySchema::optional("Description", PropertyKind::Template),
            PropertySchema::optional("Features", PropertyKind::Expression),
        ],
        execute,
    );
}
