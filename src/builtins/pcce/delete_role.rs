//! `DeleteRole`: removes a custom role nobody holds. The deleted role is the
//! result. Needs feature `role`.

use super::common::{actor, own_ref, register_api, store};
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const ROLE: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, _) = actor(call)?;
    let role = own_ref(call, ROLE);
    let deleted = call.directory().delete_role(actor, &role)?;
    store(call, deleted)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "DeleteRole",
        "DeletedRole",
        vec![PropertySchema::required("Role", PropertyKind::Template)],
        execute,
    );
}
