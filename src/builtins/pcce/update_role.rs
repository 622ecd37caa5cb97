//! `UpdateRole`: changes a custom role, given its current changeStamp (a
//! stale one is rejected: no lost update). Properties left out keep their
//! value. Needs feature `role`.

use super::common::{actor, own_features, own_ref, own_text, own_whole, register_api, store};
use crate::builtins::list::ActionList;
use crate::permissions::RolePatch;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const ROLE: usize = 0;
const CHANGE_STAMP: usize = 1;
const NAME: usize = 2;
const DESCRIPTION: usize = 3;
const FEATURES: usize = 4;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, _) = actor(call)?;
    let role = own_ref(call, ROLE).into_owned();
    let stamp = match own_whole(call, CHANGE_STAMP, "ChangeStamp")? {
        Some(n) if n >= 0 => n as u64,
        _ => {
            return Err(ActionError::invalid(
                "ChangeStamp",
                "the role's current changeStamp, a whole number >= 0",
                call.property(super::common::FIRST_OWN + CHANGE_STAMP)
                    .unwrap_or(&crate::Value::Null),
            ))
        }
    };
    let patch = RolePatch {
        name: own_text(call, NAME),
        description: own_text(call, DESCRIPTION),
        access_list: own_features(call, FEATURES)?,
    };
    let view = call.directory().update_role(actor, &role, stamp, patch)?;
    store(call, view)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "UpdateRole",
        "Role",
        vec![
            PropertySchema::required("Role", PropertyKind::Template),
            PropertySchema::required("ChangeStamp", PropertyKind::Expression),
            PropertySchema::optional("Name", PropertyKind::Template),
            PropertySchema::optional("Description", PropertyKind::Template),
            PropertySchema::optional("Features", PropertyKind::Expression),
        ],
        execute,
    );
}
