//! `ListRoles`: search, sort and page the roles. Needs feature `role`.

use super::common::{actor, own_text, own_whole, register_api, store};
use crate::builtins::list::ActionList;
use crate::permissions::RoleQuery;
use crate::{ActionCall, ActionError, BranchId, PropertyKind, PropertySchema};

const QUERY: usize = 0;
const SORT: usize = 1;
const START_INDEX: usize = 2;
const RESULTS_PER_PAGE: usize = 3;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let (actor, _) = actor(call)?;
    let query = RoleQuery {
        q: own_text(call, QUERY).filter(|s| !s.is_empty()),
        sort: own_text(call, SORT).filter(|s| !s.is_empty()),
        start_index: own_whole(call, START_INDEX, "StartIndex")?,
        results_per_page: own_whole(call, RESULTS_PER_PAGE, "ResultsPerPage")?,
    };
    let page = call.directory().list_roles(actor, &query)?;
    store(call, page)?;
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    register_api(
        builder,
        "ListRoles",
        "Roles",
        vec![
            PropertySchema::optional("Query", PropertyKind::Template),
            // `Sort = name` bare; "name desc" and the like are written quoted.
            PropertySchema::optional("Sort", PropertyKind::Template)
                .with_keywords(&["name", "description"]),
            PropertySchema::optional("StartIndex", PropertyKind::Expression),
            PropertySchema::optional("ResultsPerPage", PropertyKind::Expression),
        ],
        execute,
    );
}
