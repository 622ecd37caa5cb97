//! The default store: [`InMemoryStore`], its construction from seed data,
//! its readers and its writers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use super::maps::{id_trie, AccessCell, HotAgent, IdMap, IdTrie, State, UserNames};
use super::{
    AgentAccess, Grant, NewRole, RoleChange, RoleHolder, StoreConflict, TenantSnapshot,
    TenantStore, TenantView,
};
use crate::permissions::agents::{Agent, AgentId, AgentStatus, BusinessUnit};
use crate::permissions::case_folding::{eq_folded, fold_case};
use crate::permissions::features::{FeatureCatalog, FeatureId, FeatureSet};
use crate::permissions::ids::MAX_EXACT_ID;
use crate::permissions::roles::{BuiltInRole, Role, RoleId, FIRST_CUSTOM_ROLE_ID};

/// The default store: an immutable snapshot of the tenant published through
/// `arc-swap`, plus a lock-free mirror for the hot check.
///
/// Readers `load()` the current snapshot (arc-swap's fast path writes only
/// the reading thread's own debt slot, never a shared cache line) and borrow
/// from it, so readers on any number of cores never contend. Writers are
/// serialised by a mutex: each one loads the latest snapshot, checks its rule
/// (changeStamp compare-and-swap, unique names, no holders) against it, and
/// publishes a new snapshot. The maps are persistent (`rpds`), so a write
/// copies O(log n) nodes, not the whole tenant.
///
/// Agents and their roles are fixed at construction (only their status can
/// change, through an atomic flag), so the roles anyone holds are known then and can never be deleted (deleting a
/// held role is refused). The hot check therefore needs only an immutable
/// agent index and one atomic cell per held role, which `update_role` refreshes
/// while it holds the writer lock.
///
/// ```
/// let snapshot = studioflow::permissions::Directory::demo().store().snapshot();
/// assert_eq!(snapshot.roles.len(), 5);
/// ```
#[derive(Debug)]
pub struct InMemoryStore {
    business_unit: BusinessUnit,
    catalog: FeatureCatalog,
    /// The current version; replaced whole by each write. Shared with the
    /// reading threads' caches (see [`read_current`]).
    tenant: Arc<ArcSwap<State>>,
    /// Serialises writers (readers never take it).
    writer: Mutex<()>,
    hot_agents: IdMap<HotAgent>,
    /// Role id → slot in `held_access`, for roles held by at least one agent.
    held_slots: IdMap<u32>,
    held_access: Box<[AccessCell]>,
}

/// Why tenant data cannot form a store (the tenant file loader reports these with places).
///
/// ```
/// use studioflow::permissions::{InMemoryStore, SeedProblem};
/// let d = studioflow::permissions::Directory::demo();
/// let agents = d.store().snapshot().agents;
/// // No custom roles given, but agents[4] (supervisor) holds the custom role 5000.
/// let e = InMemoryStore::new(d.business_unit().clone(), d.catalog().clone(), vec![], agents, None).unwrap_err();
/// assert_eq!(e, SeedProblem::UnknownRole(4));
/// ```
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
    /// An agent id above [`MAX_EXACT_ID`] (index of the agent).
    AgentIdTooLarge(usize),
    /// A custom role id or changeStamp above [`MAX_EXACT_ID`] (index of the role).
    RoleIdTooLarge(usize),
    /// nextRoleId above `MAX_EXACT_ID + 1`.
    NextRoleIdTooLarge,
}

impl InMemoryStore {
    /// Builds a store from custom roles and agents; built-ins are added from `catalog`.
    /// `next_role_id` defaults to one past the highest id (at least 5000).
    ///
    /// ```
    /// use studioflow::permissions::{InMemoryStore, Directory};
    /// let d = Directory::demo();
    /// let store = InMemoryStore::new(d.business_unit().clone(), d.catalog().clone(), vec![], vec![], None).unwrap();
    /// assert_eq!(Directory::new(std::sync::Arc::new(store)).roles().len(), 4);
    /// ```
    pub fn new(
        business_unit: BusinessUnit,
        catalog: FeatureCatalog,
        custom_roles: Vec<Role>,
        agents: Vec<Agent>,
        next_role_id: Option<RoleId>,
    ) -> Result<InMemoryStore, SeedProblem> {
        let mut roles: IdTrie<Role> = id_trie();
        for built_in in BuiltInRole::ALL {
            roles.insert_mut(built_in.id(), built_in.to_role(&catalog));
        }
        let mut highest = FIRST_CUSTOM_ROLE_ID - 1;
        for (index, mut role) in custom_roles.into_iter().enumerate() {
            if role.id < FIRST_CUSTOM_ROLE_ID {
                return Err(SeedProblem::ReservedRoleId(index));
            }
            if role.id > MAX_EXACT_ID || role.change_stamp > MAX_EXACT_ID {
                return Err(SeedProblem::RoleIdTooLarge(index));
            }
            if roles.contains_key(&role.id) {
                return Err(SeedProblem::DuplicateRoleId(index));
            }
            if let Some(existing) = roles
                .values()
                .find(|other| eq_folded(&other.name, &role.name))
            {
                return Err(SeedProblem::DuplicateRoleName(index, existing.name.clone()));
            }
            role.system_defined = false;
            highest = highest.max(role.id);
            roles.insert_mut(role.id, role);
        }
        let minimum_next = highest.saturating_add(1);
        let next_role_id = match next_role_id {
            Some(next) if next < minimum_next => return Err(SeedProblem::NextRoleIdTooSmall),
            Some(next) if next > MAX_EXACT_ID + 1 => return Err(SeedProblem::NextRoleIdTooLarge),
            Some(next) => next,
            None => minimum_next,
        };
        let mut by_id: IdTrie<Agent> = id_trie();
        let mut user_names = UserNames::default();
        for (index, agent) in agents.into_iter().enumerate() {
            if agent.id > MAX_EXACT_ID {
                return Err(SeedProblem::AgentIdTooLarge(index));
            }
            if by_id.contains_key(&agent.id) {
                return Err(SeedProblem::DuplicateAgentId(index));
            }
            if agent.role.is_some_and(|role| !roles.contains_key(&role)) {
                return Err(SeedProblem::UnknownRole(index));
            }
            let folded = fold_case(&agent.user_name).into_owned();
            if user_names.contains_key(folded.as_str()) {
                return Err(SeedProblem::DuplicateUserName(index));
            }
            user_names.insert(folded.into_boxed_str(), agent.id);
            by_id.insert_mut(agent.id, agent);
        }
        let mut held_slots: IdMap<u32> = IdMap::default();
        let mut held_access = Vec::new();
        let mut hot_agents: IdMap<HotAgent> = IdMap::default();
        for agent in by_id.values() {
            let slot = agent.role.map(|role| {
                *held_slots.entry(role).or_insert_with(|| {
                    let slot = u32::try_from(held_access.len()).unwrap_or(u32::MAX);
                    let access = roles.get(&role).map_or(FeatureSet::EMPTY, |r| r.access);
                    held_access.push(AccessCell::new(access));
                    slot
                })
            });
            let active = AtomicBool::new(agent.status == AgentStatus::Active);
            hot_agents.insert(agent.id, HotAgent { active, slot });
        }
        Ok(InMemoryStore {
            business_unit,
            catalog,
            hot_agents,
            held_slots,
            held_access: held_access.into_boxed_slice(),
            tenant: Arc::new(ArcSwap::from_pointee(State {
                roles,
                agents: by_id,
                user_names: std::sync::Arc::new(user_names),
                next_role_id,
            })),
            writer: Mutex::new(()),
        })
    }

    /// Runs one write: under the writer lock, `change` checks its rule against
    /// the latest version and edits a copy (sharing all unchanged nodes), which
    /// is then published. A refused write publishes nothing.
    fn write<T>(
        &self,
        change: impl FnOnce(&mut State) -> Result<T, StoreConflict>,
    ) -> Result<T, StoreConflict> {
        let _writer = self.writer.lock();
        // Writers are serialised, so this stays the latest version until `store`.
        let mut next = State::clone(&self.tenant.load());
        let result = change(&mut next)?;
        self.tenant.store(Arc::new(next));
        Ok(result)
    }
}

/// Visits the current version of `tenant`.
///
/// Each thread keeps the version it read last, of the store it read last
/// (an [`arc_swap::Cache`]): while no write replaced it, a read costs one
/// plain load of the current pointer instead of `ArcSwap::load`'s
/// bookkeeping. The cache holds the store's version pointer, so the address
/// it compares cannot be another store's; it keeps that one version alive
/// until the thread reads another store. A read inside a read (a visitor
/// that reads again) takes the ordinary load.
fn read_current(tenant: &Arc<ArcSwap<State>>, visit: &mut dyn FnMut(&dyn TenantView)) {
    type Kept = arc_swap::Cache<Arc<ArcSwap<State>>, Arc<State>>;
    thread_local! {
        static LAST: std::cell::RefCell<Option<Kept>> = const { std::cell::RefCell::new(None) };
    }
    let mut visit = Some(visit);
    let _ = LAST.try_with(|last| {
        let Ok(mut last) = last.try_borrow_mut() else {
            return;
        };
        let same_store = last
            .as_ref()
            .is_some_and(|kept| std::ptr::eq(kept.arc_swap(), &**tenant));
        if !same_store {
            *last = Some(arc_swap::Cache::new(tenant.clone()));
        }
        if let (Some(kept), Some(visit)) = (last.as_mut(), visit.take()) {
            visit(&**kept.load());
        }
    });
    if let Some(visit) = visit {
        let state = tenant.load();
        visit(&**state);
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
    fn grant(&self, agent: AgentId, feature: FeatureId) -> Grant {
        let Some(hot) = self.hot_agents.get(&agent) else {
            return Grant::UnknownAgent;
        };
        if !hot.active.load(Ordering::Acquire) {
            return Grant::Inactive;
        }
        let Some(slot) = hot.slot else {
            return Grant::NoRole;
        };
        match self.held_access.get(slot as usize) {
            Some(cell) if cell.contains(feature) => Grant::Allowed,
            _ => Grant::NotInRole,
        }
    }

    fn access(&self, agent: AgentId) -> Option<AgentAccess> {
        let state = self.tenant.load();
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

    #[inline]
    fn is_active(&self, agent: AgentId) -> Option<bool> {
        // The lock-free mirror: one load, no snapshot needed.
        self.hot_agents
            .get(&agent)
            .map(|hot| hot.active.load(Ordering::Acquire))
    }

    #[inline]
    fn read(&self, visit: &mut dyn FnMut(&dyn TenantView)) {
        read_current(&self.tenant, visit);
    }

    fn role(&self, id: RoleId) -> Option<Role> {
        self.tenant.load().roles.get(&id).cloned()
    }

    fn role_by_name(&self, name: &str) -> Option<Role> {
        self.tenant.load().name_taken(name, None).cloned()
    }

    fn role_holders(&self, role: RoleId) -> Vec<RoleHolder> {
        self.tenant.load().holders(role)
    }

    fn agent(&self, id: AgentId) -> Option<Agent> {
        self.tenant.load().agents.get(&id).cloned()
    }

    fn agent_by_user_name(&self, user_name: &str) -> Option<Agent> {
        TenantView::agent_by_user_name(&**self.tenant.load(), user_name).cloned()
    }

    fn role_name(&self, id: RoleId) -> Option<String> {
        self.tenant
            .load()
            .roles
            .get(&id)
            .map(|role| role.name.clone())
    }

    fn snapshot(&self) -> TenantSnapshot {
        let state = self.tenant.load();
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
        self.write(|state| {
            if let Some(existing) = state.name_taken(&role.name, None) {
                return Err(StoreConflict::DuplicateName {
                    existing: existing.name.clone(),
                });
            }
            let id = state.next_role_id;
            // Ids stop where a script's numbers stop being exact.
            if id > MAX_EXACT_ID {
                return Err(StoreConflict::IdsExhausted);
            }
            state.next_role_id = id + 1;
            let role = Role {
                id,
                name: role.name,
                description: role.description,
                access: role.access,
                change_stamp: 0,
                system_defined: false,
            };
            state.roles.insert_mut(id, role.clone());
            Ok(role)
        })
    }

    fn update_role(
        &self,
        id: RoleId,
        expected_change_stamp: u64,
        change: RoleChange,
    ) -> Result<Role, StoreConflict> {
        self.write(|state| {
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
            let mut role = current.clone();
            role.change_stamp = role
                .change_stamp
                .checked_add(1)
                .filter(|&stamp| stamp <= MAX_EXACT_ID)
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
                // Still under the writer lock: mirror the new set for the hot check.
                if let Some(cell) = self
                    .held_slots
                    .get(&id)
                    .and_then(|slot| self.held_access.get(*slot as usize))
                {
                    cell.store(access);
                }
            }
            state.roles.insert_mut(id, role.clone());
            Ok(role)
        })
    }

    fn set_agent_status(
        &self,
        agent: AgentId,
        status: AgentStatus,
    ) -> Result<Agent, StoreConflict> {
        self.write(|state| {
            let mut record = state
                .agents
                .get(&agent)
                .ok_or(StoreConflict::NotFound)?
                .clone();
            record.status = status;
            // Readers holding the old snapshot keep their version; new reads see this one.
            state.agents.insert_mut(agent, record.clone());
            // Updated under the writer lock, so the lock-free mirror and the
            // published state never disagree for longer than this call.
            if let Some(hot) = self.hot_agents.get(&agent) {
                hot.active
                    .store(status == AgentStatus::Active, Ordering::Release);
            }
            Ok(record)
        })
    }

    fn delete_role(&self, id: RoleId) -> Result<Role, StoreConflict> {
        self.write(|state| {
            let current = state.roles.get(&id).ok_or(StoreConflict::NotFound)?;
            if current.system_defined {
                return Err(StoreConflict::BuiltIn);
            }
            let holders = state.holders(id);
            if !holders.is_empty() {
                return Err(StoreConflict::InUse { holders });
            }
            let removed = current.clone();
            state.roles.remove_mut(&id);
            Ok(removed)
        })
    }
}
