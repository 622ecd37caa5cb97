//! The Role and Agent API actions (Cisco PCCE semantics), one file each;
//! what they share is in `common.rs`.

mod agent_objects;
mod common;
mod create_role;
mod delete_role;
mod get_agent;
mod get_available_features;
mod get_role;
mod list_agents;
mod list_roles;
mod update_role;

use crate::builtins::list::ActionList;

pub(super) fn register(builder: &mut ActionList) {
    list_roles::register(builder);
    get_role::register(builder);
    get_available_features::register(builder);
    create_role::register(builder);
    update_role::register(builder);
    delete_role::register(builder);
    get_agent::register(builder);
    list_agents::register(builder);
}
