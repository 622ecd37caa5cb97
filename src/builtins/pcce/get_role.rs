//! `GetRole`: one role by id or name. Needs feature `role`.

use super::common::{actor, own_ref, register_api, store};
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const ROLE: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, _) = actor(call)?;
    let role = own_ref(call, ROLE);
    let view = call.directory().get_role(actor, &role)?;
    store(call, view)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "GetRole",
        "Role",
        vec![PropertySchema::required("Role", PropertyKind::Template)],
        execute,
    );
}
