//! Where the tenant lives: the [`TenantStore`] trait and the default [`InMemoryStore`].
//!
//! Writes that must not race (create, update, delete of roles) are single
//! trait calls so each implementation can make them atomic.
//!
//! - this file: the trait, what it answers ([`AgentAccess`], [`Grant`],
//!   [`TenantSnapshot`], ...) and its write requests and conflicts;
//! - `maps.rs`: the persistent maps one published version of the tenant is
//!   made of, and the lock-free mirror the hot check reads;
//! - `memory.rs`: [`InMemoryStore`], the default store (its readers and its
//!   writers).

mod maps;
mod memory;
#[cfg(test)]
mod tests;

use super::agents::{Agent, AgentId, AgentStatus, BusinessUnit};
use super::case_folding::eq_folded;
use super::features::{FeatureCatalog, FeatureId, FeatureSet};
use super::roles::{Role, RoleId};

pub use maps::IdHasher;
pub use memory::{InMemoryStore, SeedProblem};

/// What the authorization hot path needs about one person; `Copy`, no allocation.
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// let access = d.store().access(1005).unwrap();
/// assert_eq!(access.role, Some(5000));
/// assert_eq!(access.features.len(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentAccess {
    /// Active or inactive.
    pub status: AgentStatus,
    /// The role held, if any.
    pub role: Option<RoleId>,
    /// The role's effective features (empty without a role).
    pub features: FeatureSet,
}

/// The answer of the hot check [`TenantStore::grant`].
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// use studioflow::permissions::Grant;
/// let role = d.feature_id("role").unwrap();
/// assert_eq!(d.store().grant(1001, role), Grant::Allowed);
/// assert_eq!(d.store().grant(1007, role), Grant::NoRole);
/// assert_eq!(d.store().grant(1006, role), Grant::Inactive);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The agent is active and their role gives the feature.
    Allowed,
    /// No agent with this id.
    UnknownAgent,
    /// The agent is inactive.
    Inactive,
    /// The agent holds no role.
    NoRole,
    /// The agent's role does not give the feature.
    NotInRole,
}

/// A user holding a role.
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// let holders = d.store().role_holders(4);
/// assert_eq!(holders.iter().map(|h| h.user_name.as_str()).collect::<Vec<_>>(), ["sysadmin", "former"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleHolder {
    /// The holder's agent id.
    pub agent_id: AgentId,
    /// The holder's userName.
    pub user_name: String,
}

/// A consistent copy of the mutable tenant data.
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// let snapshot = d.store().snapshot();
/// assert_eq!((snapshot.roles.len(), snapshot.agents.len(), snapshot.next_role_id), (5, 7, 5001));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSnapshot {
    /// Every role (built-ins first), by id.
    pub roles: Vec<Role>,
    /// Every agent, by id.
    pub agents: Vec<Agent>,
    /// The id the next created role gets.
    pub next_role_id: RoleId,
}

/// One consistent state of a tenant, lent by [`TenantStore::read`]: every
/// lookup in one visit sees the same state, and returns a borrow (no copy, no
/// reference count).
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// let mut department = String::new();
/// d.store().read(&mut |tenant| {
///     let agent = tenant.agent_by_user_name("AgentAdmin").unwrap();
///     department = agent.department.to_string();
///     assert_eq!(tenant.role(agent.role.unwrap()).unwrap().name, "AgentAdmin");
/// });
/// assert_eq!(department, "Austin");
/// ```
pub trait TenantView {
    /// One agent by id.
    fn agent(&self, id: AgentId) -> Option<&Agent>;
    /// One agent by userName, case-insensitively.
    fn agent_by_user_name(&self, user_name: &str) -> Option<&Agent>;
    /// One role by id.
    fn role(&self, id: RoleId) -> Option<&Role>;
}

/// The view behind the default [`TenantStore::read`]: lookups by id use
/// binary search (a snapshot is sorted by id), by userName a linear scan.
impl TenantView for TenantSnapshot {
    fn agent(&self, id: AgentId) -> Option<&Agent> {
        let index = self
            .agents
            .binary_search_by_key(&id, |agent| agent.id)
            .ok()?;
        self.agents.get(index)
    }

    fn agent_by_user_name(&self, user_name: &str) -> Option<&Agent> {
        self.agents
            .iter()
            .find(|agent| eq_folded(&agent.user_name, user_name))
    }

    fn role(&self, id: RoleId) -> Option<&Role> {
        let index = self.roles.binary_search_by_key(&id, |role| role.id).ok()?;
        self.roles.get(index)
    }
}

/// A validated role to insert; the store assigns the id.
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// use studioflow::permissions::{FeatureSet, NewRole};
/// let role = d.store().create_role(NewRole { name: "Direct".into(), description: String::new(), access: FeatureSet::EMPTY }).unwrap();
/// assert_eq!(role.id, 5001); // stores do no validation: the Directory does
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRole {
    /// Role name (already checked against the name rule).
    pub name: String,
    /// Description.
    pub description: String,
    /// Granted features.
    pub access: FeatureSet,
}

/// A validated change to a role; `None` keeps the current value.
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// use studioflow::permissions::RoleChange;
/// let change = RoleChange { description: Some("x".into()), ..Default::default() };
/// assert_eq!(d.store().update_role(5000, 0, change).unwrap().change_stamp, 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleChange {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New feature set.
    pub access: Option<FeatureSet>,
}

/// Why a store write was refused.
///
/// ```
/// use studioflow::permissions::Directory;
/// let d = Directory::demo();
/// use studioflow::permissions::{RoleChange, StoreConflict};
/// let stale = d.store().update_role(5000, 7, RoleChange::default()).unwrap_err();
/// assert_eq!(stale, StoreConflict::StaleChangeStamp { current: 0 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConflict {
    /// No role with this id.
    NotFound,
    /// Built-in roles cannot change.
    BuiltIn,
    /// Another role already has this name (case-insensitively).
    DuplicateName {
        /// The existing role's name.
        existing: String,
    },
    /// The expected changeStamp is not the current one.
    StaleChangeStamp {
        /// The current changeStamp.
        current: u64,
    },
    /// The role is still held by these users.
    InUse {
        /// The holders, by agent id.
        holders: Vec<RoleHolder>,
    },
    /// The role id space is exhausted.
    IdsExhausted,
    /// The store (a database) could not be reached or failed; nothing was
    /// written.
    Unavailable {
        /// What went wrong, on one line.
        message: String,
    },
}

/// Storage for one tenant. Implementations must make each write atomic:
/// `create_role` checks name uniqueness and assigns the id in one step,
/// `update_role` is a compare-and-swap on the changeStamp, `delete_role`
/// checks that nobody holds the role in the same step as removing it.
///
/// ```
/// use std::sync::Arc;
/// use studioflow::permissions::{Directory, TenantStore};
/// let store: Arc<dyn TenantStore> = Directory::demo().store().clone();
/// let directory = Directory::new(store); // a host would pass its own store here
/// assert_eq!(directory.store().snapshot().next_role_id, 5001);
/// ```
pub trait TenantStore: Send + Sync {
    /// The business unit (fixed for the store's life).
    fn business_unit(&self) -> &BusinessUnit;
    /// The feature catalog (fixed for the store's life).
    fn catalog(&self) -> &FeatureCatalog;
    /// Hot path: may `agent` use `feature`? Must not allocate; should not block.
    /// The default answers from [`TenantStore::access`].
    fn grant(&self, agent: AgentId, feature: FeatureId) -> Grant {
        match self.access(agent) {
            None => Grant::UnknownAgent,
            Some(access) if access.status != AgentStatus::Active => Grant::Inactive,
            Some(access) if access.role.is_none() => Grant::NoRole,
            Some(access) if access.features.contains(feature) => Grant::Allowed,
            Some(_) => Grant::NotInRole,
        }
    }
    /// Status, role and effective features of one person, without allocating.
    fn access(&self, agent: AgentId) -> Option<AgentAccess>;
    /// Whether the agent is active (`None`: no such agent). Hot path of every
    /// API action (security-user re-validation): should not write shared memory.
    /// The default answers from [`TenantStore::access`].
    fn is_active(&self, agent: AgentId) -> Option<bool> {
        self.access(agent)
            .map(|access| access.status == AgentStatus::Active)
    }
    /// Calls `visit` exactly once with one consistent state of the tenant.
    /// Hot path (security users, agent lookups): lends borrows instead of
    /// copies. The default visits a [`TenantStore::snapshot`], which copies
    /// the whole tenant: stores meant for hot paths override it.
    fn read(&self, visit: &mut dyn FnMut(&dyn TenantView)) {
        visit(&self.snapshot());
    }
    /// One role by id.
    fn role(&self, id: RoleId) -> Option<Role>;
    /// One role by name, case-insensitively.
    fn role_by_name(&self, name: &str) -> Option<Role>;
    /// The users holding a role, by agent id.
    fn role_holders(&self, role: RoleId) -> Vec<RoleHolder>;
    /// A copy of one agent by id (hot paths borrow through [`TenantStore::read`]).
    fn agent(&self, id: AgentId) -> Option<Agent>;
    /// A copy of one agent by userName, case-insensitively.
    fn agent_by_user_name(&self, user_name: &str) -> Option<Agent>;
    /// The name of a role, without copying the rest of it.
    fn role_name(&self, id: RoleId) -> Option<String> {
        self.role(id).map(|role| role.name)
    }
    /// A consistent copy of roles, agents and the next role id.
    fn snapshot(&self) -> TenantSnapshot;
    /// Atomically: refuse a duplicate name, assign the next id, insert with changeStamp 0.
    fn create_role(&self, role: NewRole) -> Result<Role, StoreConflict>;
    /// Atomically: refuse built-ins, stale stamps and duplicate names; apply; changeStamp + 1.
    fn update_role(
        &self,
        id: RoleId,
        expected_change_stamp: u64,
        change: RoleChange,
    ) -> Result<Role, StoreConflict>;
    /// Atomically: refuse built-ins and roles in use; remove and return the role.
    fn delete_role(&self, id: RoleId) -> Result<Role, StoreConflict>;
    /// Activates or deactivates an employee profile (employees are deactivated,
    /// never deleted). Takes effect for every later check, including security
    /// users already issued. `NotFound` when no agent has this id.
    fn set_agent_status(&self, agent: AgentId, status: AgentStatus)
        -> Result<Agent, StoreConflict>;
}
