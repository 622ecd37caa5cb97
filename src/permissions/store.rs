//! Where the tenant lives: the [`TenantStore`] trait and the default [`InMemoryStore`].
//!
//! Writes that must not race (create, update, delete of roles) are single
//! trait calls so each implementation can make them atomic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use parking_lot::RwLock;

use super::agents::{Agent, AgentId, AgentStatus, BusinessUnit};
use super::features::{FeatureCatalog, FeatureSet};
use super::roles::{BuiltInRole, Role, RoleId, FIRST_CUSTOM_ROLE_ID};

/// What the authorization hot path needs about one person; `Copy`, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentAccess {
    /// Active or inactive.
    pub status: AgentStatus,
    /// The role held, if any.
    pub role: Option<RoleId>,
    /// The role's effective features (empty without a role).
    pub features: FeatureSet,
}

/// A user holding a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleHolder {
    /// The holder's agent id.
    pub agent_id: AgentId,
    /// The holder's userName.
    pub user_name: String,
}

/// A consistent copy of the mutable tenant data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSnapshot {
    /// Every role (built-ins first), by id.
    pub roles: Vec<Role>,
    /// Every agent, by id.
    pub agents: Vec<Agent>,
    /// The id the next created role gets.
    pub next_role_id: RoleId,
}

/// A validated role to insert; the store assigns the id.
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
}

/// Storage for one tenant. Implementations must make each write atomic:
/// `create_role` checks name uniqueness and assigns the id in one step,
/// `update_role` is a compare-and-swap on the changeStamp, `delete_role`
/// checks that nobody holds the role in the same step as removing it.
pub trait TenantStore: Send + Sync {
    /// The business unit (fixed for the store's life).
    fn business_unit(&self) -> &BusinessUnit;
    /// The feature catalog (fixed for the store's life).
    fn catalog(&self) -> &FeatureCatalog;
    /// Hot path: status, role and effective features of one person, without allocating.
    fn access(&self, agent: AgentId) -> Option<AgentAccess>;
    /// One role by id.
    fn role(&self, id: RoleId) -> Option<Role>;
    /// One role by name, case-insensitively.
    fn role_by_name(&self, name: &str) -> Option<Role>;
    /// The users holding a role, by agent id.
    fn role_holders(&self, role: RoleId) -> Vec<RoleHolder>;
    /// One agent by id.
    fn agent(&self, id: AgentId) -> Option<Agent>;
    /// One agent by userName, case-insensitively.
    fn agent_by_user_name(&self, user_name: &str) -> Option<Agent>;
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
}

/// Multiply-xor hasher for integer ids: ids are not attacker-chosen at run time
/// (they come from the tenant file), and SipHash would dominate the hot check.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

#[derive(Debug)]
struct State {
    roles: IdMap<Role>,
    agents: IdMap<Agent>,
    /// Lowercased userName → agent id.
    user_names: HashMap<String, AgentId>,
    next_role_id: RoleId,
}

impl State {
    fn name_taken(&self, name: &str, except: Option<RoleId>) -> Option<&Role> {
        self.roles
            .values()
            .find(|role| Some(role.id) != except && role.name.eq_ignore_ascii_case(name))
    }

    fn holders(&self, role: RoleId) -> Vec<RoleHolder> {
        let mut holders: Vec<RoleHolder> = self
            .agents
            .values()
            .filter(|agent| agent.role == Some(role))
            .map(|agent| RoleHolder {
                agent_id: agent.id,
                user_name: agent.user_name.clone(),
            })
            .collect();
        holders.sort_by_key(|holder| holder.agent_id);
        holders
    }
}

/// The default store: everything in memory behind one `parking_lot::RwLock`.
#[derive(Debug)]
pub struct InMemoryStore {
    business_unit: BusinessUnit,
    catalog: FeatureCatalog,
    state: RwLock<State>,
}

/// Why tenant data cannot form a store (the tenant file loader reports these with places).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedProblem {
    /// Two roles share an id (index of the second custom role).
    DuplicateRoleId(usize),
    /// A custom role id is below [`FIRST_CUSTOM_ROLE_ID`].
    ReservedRoleId(usize),
    /// Two roles share a name (index of the second custom role).
    DuplicateRoleName(usize, String),
    /// Two agents share an id (index of the second agent).
    DuplicateAgentId(usize),
    /// Two agents share a userName (index of the second agent, name of the first holder).
    DuplicateUserName(usize),
    /// An agent's role id does not exist.
    UnknownRole(usize),
    /// nextRoleId is not above every custom role id.
    NextRoleIdTooSmall,
}

impl InMemoryStore {
    /// Builds a store from custom roles and agents; built-ins are added from `catalog`.
    /// `next_role_id` defaults to one past the highest id (at least 5000).
    pub fn new(
        business_unit: BusinessUnit,
        catalog: FeatureCatalog,
        custom_roles: Vec<Role>,
        agents: Vec<Agent>,
        next_role_id: Option<RoleId>,
    ) -> Result<InMemoryStore, SeedProblem> {
        let mut roles: IdMap<Role> = IdMap::default();
        for built_in in BuiltInRole::ALL {
            roles.insert(built_in.id(), built_in.to_role(&catalog));
        }
        let mut highest = FIRST_CUSTOM_ROLE_ID - 1;
        for (index, mut role) in custom_roles.into_iter().enumerate() {
            if role.id < FIRST_CUSTOM_ROLE_ID {
                return Err(SeedProblem::ReservedRoleId(index));
            }
            if roles.contains_key(&role.id) {
                return Err(SeedProblem::DuplicateRoleId(index));
            }
            if let Some(existing) = roles
                .values()
                .find(|other| other.name.eq_ignore_ascii_case(&role.name))
            {
                return Err(SeedProblem::DuplicateRoleName(index, existing.name.clone()));
            }
            role.system_defined = false;
            highest = highest.max(role.id);
            roles.insert(role.id, role);
        }
        let minimum_next = highest.saturating_add(1);
        let next_role_id = match next_role_id {
            Some(next) if next < minimum_next => return Err(SeedProblem::NextRoleIdTooSmall),
            Some(next) => next,
            None => minimum_next,
        };
        let mut by_id: IdMap<Agent> = IdMap::default();
        let mut user_names = HashMap::new();
        for (index, agent) in agents.into_iter().enumerate() {
            if by_id.contains_key(&agent.id) {
                return Err(SeedProblem::DuplicateAgentId(index));
            }
            if agent.role.is_some_and(|role| !roles.contains_key(&role)) {
                return Err(SeedProblem::UnknownRole(index));
            }
            if user_names
                .insert(agent.user_name.to_lowercase(), agent.id)
                .is_some()
            {
                return Err(SeedProblem::DuplicateUserName(index));
            }
            by_id.insert(agent.id, agent);
        }
        Ok(InMemoryStore {
            business_unit,
            catalog,
            state: RwLock::new(State {
                roles,
                agents: by_id,
                user_names,
                next_role_id,
            }),
        })
    }
}

impl TenantStore for InMemoryStore {
    fn business_unit(&self) -> &BusinessUnit {
        &self.business_unit
    }

    fn catalog(&self) -> &FeatureCatalog {
        &self.catalog
    }

    #[inline]
    fn access(&self, agent: AgentId) -> Option<AgentAccess> {
        let state = self.state.read();
        let agent = state.agents.get(&agent)?;
        let features = agent
            .role
            .and_then(|role| state.roles.get(&role))
            .map_or(FeatureSet::EMPTY, |role| role.access);
        Some(AgentAccess {
            status: agent.status,
            role: agent.role,
            features,
        })
    }

    fn role(&self, id: RoleId) -> Option<Role> {
        self.state.read().roles.get(&id).cloned()
    }

    fn role_by_name(&self, name: &str) -> Option<Role> {
        self.state.read().name_taken(name, None).cloned()
    }

    fn role_holders(&self, role: RoleId) -> Vec<RoleHolder> {
        self.state.read().holders(role)
    }

    fn agent(&self, id: AgentId) -> Option<Agent> {
        self.state.read().agents.get(&id).cloned()
    }

    fn agent_by_user_name(&self, user_name: &str) -> Option<Agent> {
        let state = self.state.read();
        let id = state.user_names.get(&user_name.to_lowercase())?;
        state.agents.get(id).cloned()
    }

    fn snapshot(&self) -> TenantSnapshot {
        let state = self.state.read();
        let mut roles: Vec<Role> = state.roles.values().cloned().collect();
        roles.sort_by_key(|role| role.id);
        let mut agents: Vec<Agent> = state.agents.values().cloned().collect();
        agents.sort_by_key(|agent| agent.id);
        TenantSnapshot {
            roles,
            agents,
            next_role_id: state.next_role_id,
        }
    }

    fn create_role(&self, role: NewRole) -> Result<Role, StoreConflict> {
        let mut state = self.state.write();
        if let Some(existing) = state.name_taken(&role.name, None) {
            return Err(StoreConflict::DuplicateName {
                existing: existing.name.clone(),
            });
        }
        let id = state.next_role_id;
        let Some(next) = id.checked_add(1) else {
            return Err(StoreConflict::IdsExhausted);
        };
        state.next_role_id = next;
        let role = Role {
            id,
            name: role.name,
            description: role.description,
            access: role.access,
            change_stamp: 0,
            system_defined: false,
        };
        state.roles.insert(id, role.clone());
        Ok(role)
    }

    fn update_role(
        &self,
        id: RoleId,
        expected_change_stamp: u64,
        change: RoleChange,
    ) -> Result<Role, StoreConflict> {
        let mut state = self.state.write();
        let current = state.roles.get(&id).ok_or(StoreConflict::NotFound)?;
        if current.system_defined {
            return Err(StoreConflict::BuiltIn);
        }
        if current.change_stamp != expected_change_stamp {
            return Err(StoreConflict::StaleChangeStamp {
                current: current.change_stamp,
            });
        }
        if let Some(name) = &change.name {
            if let Some(existing) = state.name_taken(name, Some(id)) {
                return Err(StoreConflict::DuplicateName {
                    existing: existing.name.clone(),
                });
            }
        }
        let role = state.roles.get_mut(&id).ok_or(StoreConflict::NotFound)?;
        let next_stamp =
            role.change_stamp
                .checked_add(1)
                .ok_or(StoreConflict::StaleChangeStamp {
                    current: role.change_stamp,
                })?;
        if let Some(name) = change.name {
            role.name = name;
        }
        if let Some(description) = change.description {
            role.description = description;
        }
        if let Some(access) = change.access {
            role.access = access;
        }
        role.change_stamp = next_stamp;
        Ok(role.clone())
    }

    fn delete_role(&self, id: RoleId) -> Result<Role, StoreConflict> {
        let mut state = self.state.write();
        let current = state.roles.get(&id).ok_or(StoreConflict::NotFound)?;
        if current.system_defined {
            return Err(StoreConflict::BuiltIn);
        }
        let holders = state.holders(id);
        if !holders.is_empty() {
            return Err(StoreConflict::InUse { holders });
        }
        state.roles.remove(&id).ok_or(StoreConflict::NotFound)
    }
}
