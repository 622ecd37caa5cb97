//! Where the tenant lives: the [`TenantStore`] trait and the default [`InMemoryStore`].
//!
//! Writes that must not race (create, update, delete of roles) are single
//! trait calls so each implementation can make them atomic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rpds::HashTrieMapSync;

use super::agents::{Agent, AgentId, AgentStatus, BusinessUnit};
use super::case_folding::{eq_folded, fold_case};
use super::features::{FeatureCatalog, FeatureId, FeatureSet};
use super::ids::MAX_EXACT_ID;
use super::roles::{BuiltInRole, Role, RoleId, FIRST_CUSTOM_ROLE_ID};

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

/// Multiply-xor hasher for integer ids: ids are not attacker-chosen at run time
/// (they come from the tenant file), and SipHash would dominate the hot check.
///
/// ```
/// use std::hash::{BuildHasher, BuildHasherDefault};
/// let build = BuildHasherDefault::<studioflow::permissions::IdHasher>::default();
/// assert_ne!(build.hash_one(1001u64), build.hash_one(1002u64));
/// ```
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
/// A persistent (structurally shared) map: a write copies the O(log n) path
/// to the changed entry and shares the rest with the previous version.
type IdTrie<V> = HashTrieMapSync<u64, V, BuildHasherDefault<IdHasher>>;

fn id_trie<V>() -> IdTrie<V> {
    IdTrie::new_with_hasher_and_ptr_kind(BuildHasherDefault::default())
}

/// One immutable version of the mutable tenant data. Published whole through
/// `InMemoryStore::tenant`; never changed once published.
#[derive(Debug, Clone)]
struct State {
    roles: IdTrie<Role>,
    agents: IdTrie<Agent>,
    /// Case-folded userName ([`fold_case`]) → agent id.
    /// (foldhash: looked up on every SetSecurityUser and agent reference.)
    user_names: HashTrieMapSync<String, AgentId, foldhash::fast::RandomState>,
    next_role_id: RoleId,
}

impl TenantView for State {
    fn agent(&self, id: AgentId) -> Option<&Agent> {
        self.agents.get(&id)
    }

    fn agent_by_user_name(&self, user_name: &str) -> Option<&Agent> {
        // The same fold as the keys (borrowed for lower-case ASCII references).
        let id = self.user_names.get(fold_case(user_name).as_ref())?;
        self.agents.get(id)
    }

    fn role(&self, id: RoleId) -> Option<&Role> {
        self.roles.get(&id)
    }
}

impl State {
    fn name_taken(&self, name: &str, except: Option<RoleId>) -> Option<&Role> {
        self.roles
            .values()
            .find(|role| Some(role.id) != except && eq_folded(&role.name, name))
    }

    fn holders(&self, role: RoleId) -> Vec<RoleHolder> {
        let mut holders: Vec<RoleHolder> = self
            .agents
            .values()
            .filter(|agent| agent.role == Some(role))
            .map(|agent| RoleHolder {
                agent_id: agent.id,
                user_name: agent.user_name.to_string(),
            })
            .collect();
        holders.sort_by_key(|holder| holder.agent_id);
        holders
    }
}

/// A role's feature set readable without a lock: one atomic word per 64 features.
/// A check reads one bit, so it reads one word and can never see a torn set.
#[derive(Debug)]
struct AccessCell([AtomicU64; 2]);

impl AccessCell {
    fn new(set: FeatureSet) -> AccessCell {
        let (low, high) = set.halves();
        AccessCell([AtomicU64::new(low), AtomicU64::new(high)])
    }

    fn store(&self, set: FeatureSet) {
        let (low, high) = set.halves();
        self.0[0].store(low, Ordering::Release);
        self.0[1].store(high, Ordering::Release);
    }

    #[inline]
    fn contains(&self, feature: FeatureId) -> bool {
        let index = feature.index();
        let word = self.0[index / 64].load(Ordering::Acquire);
        word & (1u64 << (index % 64)) != 0
    }
}

/// What the hot check needs about one agent. The role slot is fixed at
/// construction; the status can change ([`TenantStore::set_agent_status`]).
#[derive(Debug)]
struct HotAgent {
    active: AtomicBool,
    /// Index into `InMemoryStore::held_access`, or `None` without a role.
    slot: Option<u32>,
}

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
    /// The current version; replaced whole by each write.
    tenant: ArcSwap<State>,
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
        let mut user_names =
            HashTrieMapSync::new_with_hasher_and_ptr_kind(foldhash::fast::RandomState::default());
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
            if user_names.contains_key(&folded) {
                return Err(SeedProblem::DuplicateUserName(index));
            }
            user_names.insert_mut(folded, agent.id);
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
            tenant: ArcSwap::from_pointee(State {
                roles,
                agents: by_id,
                user_names,
                next_role_id,
            }),
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
        let state = self.tenant.load();
        visit(&**state);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::permissions::Directory;

    /// A host store that keeps the default `grant` (answered from `access`).
    struct Delegating(InMemoryStore);

    impl TenantStore for Delegating {
        fn business_unit(&self) -> &BusinessUnit {
            self.0.business_unit()
        }
        fn catalog(&self) -> &FeatureCatalog {
            self.0.catalog()
        }
        fn access(&self, agent: AgentId) -> Option<AgentAccess> {
            self.0.access(agent)
        }
        fn role(&self, id: RoleId) -> Option<Role> {
            self.0.role(id)
        }
        fn role_by_name(&self, name: &str) -> Option<Role> {
            self.0.role_by_name(name)
        }
        fn role_holders(&self, role: RoleId) -> Vec<RoleHolder> {
            self.0.role_holders(role)
        }
        fn agent(&self, id: AgentId) -> Option<Agent> {
            self.0.agent(id)
        }
        fn agent_by_user_name(&self, user_name: &str) -> Option<Agent> {
            self.0.agent_by_user_name(user_name)
        }
        fn snapshot(&self) -> TenantSnapshot {
            self.0.snapshot()
        }
        fn create_role(&self, role: NewRole) -> Result<Role, StoreConflict> {
            self.0.create_role(role)
        }
        fn update_role(
            &self,
            id: RoleId,
            expected_change_stamp: u64,
            change: RoleChange,
        ) -> Result<Role, StoreConflict> {
            self.0.update_role(id, expected_change_stamp, change)
        }
        fn delete_role(&self, id: RoleId) -> Result<Role, StoreConflict> {
            self.0.delete_role(id)
        }
        fn set_agent_status(
            &self,
            agent: AgentId,
            status: AgentStatus,
        ) -> Result<Agent, StoreConflict> {
            self.0.set_agent_status(agent, status)
        }
    }

    fn demo_store() -> InMemoryStore {
        let demo = Directory::demo();
        let snapshot = demo.store().snapshot();
        let custom = snapshot
            .roles
            .into_iter()
            .filter(|role| !role.system_defined)
            .collect();
        InMemoryStore::new(
            demo.business_unit().clone(),
            demo.catalog().clone(),
            custom,
            snapshot.agents,
            Some(snapshot.next_role_id),
        )
        .unwrap()
    }

    #[test]
    fn default_grant_agrees_with_the_lock_free_one() {
        let fast = demo_store();
        let slow = Delegating(demo_store());
        for agent in [1001, 1002, 1003, 1004, 1005, 1006, 1007, 9999] {
            for index in 0..fast.catalog().len() {
                let feature = FeatureId::from_index(index).unwrap();
                assert_eq!(
                    fast.grant(agent, feature),
                    slow.grant(agent, feature),
                    "agent {agent} feature {index}"
                );
            }
        }
        let directory = Directory::new(Arc::new(slow));
        let role = directory.feature_id("role").unwrap();
        assert!(directory.check_feature(1001, role).is_ok());
        assert_eq!(
            directory
                .check_feature(1002, role)
                .unwrap_err()
                .error_type(),
            "forbidden"
        );
    }

    #[test]
    fn hot_mirror_follows_role_updates() {
        let store = demo_store();
        let agent = store.catalog().id("agent").unwrap();
        assert_eq!(store.grant(1005, agent), Grant::NotInRole);
        let access = store
            .role(5000)
            .unwrap()
            .access
            .union([agent].into_iter().collect());
        store
            .update_role(
                5000,
                0,
                RoleChange {
                    access: Some(access),
                    ..RoleChange::default()
                },
            )
            .unwrap();
        assert_eq!(store.grant(1005, agent), Grant::Allowed);
        assert_eq!(store.grant(1006, agent), Grant::Inactive);
        assert_eq!(store.grant(1007, agent), Grant::NoRole);
        assert_eq!(store.grant(4242, agent), Grant::UnknownAgent);
    }

    #[test]
    fn snapshot_reads_and_default_reads_agree() {
        let fast = demo_store();
        let slow = Delegating(demo_store());
        let lookups = |store: &dyn TenantStore| {
            let mut seen = Vec::new();
            store.read(&mut |tenant| {
                for id in [1001, 1005, 1006, 4242] {
                    seen.push(tenant.agent(id).map(|a| (a.user_name.to_string(), a.role)));
                }
                for name in ["SysAdmin", "supervisor", "ghost"] {
                    seen.push(
                        tenant
                            .agent_by_user_name(name)
                            .map(|a| (a.user_name.to_string(), a.role)),
                    );
                }
                for role in [1, 5000, 5001] {
                    seen.push(tenant.role(role).map(|r| (r.name.clone(), Some(r.id))));
                }
            });
            seen
        };
        assert_eq!(lookups(&fast), lookups(&slow));
        assert_eq!(
            lookups(&fast)[4].as_ref().map(|a| a.0.as_str()),
            Some("sysadmin")
        );
        assert_eq!(fast.is_active(1006), Some(false));
        assert_eq!(slow.is_active(1001), Some(true));
        assert_eq!(fast.is_active(4242), None);
    }

    #[test]
    fn a_reader_keeps_its_version_while_writers_publish() {
        let store = demo_store();
        store.read(&mut |before| {
            let stamp = before.role(5000).unwrap().change_stamp;
            let change = RoleChange {
                description: Some("new".into()),
                ..RoleChange::default()
            };
            store.update_role(5000, stamp, change).unwrap();
            store.set_agent_status(1005, AgentStatus::Inactive).unwrap();
            // The borrowed version is immutable: no torn or changed read.
            assert_eq!(before.role(5000).unwrap().change_stamp, stamp);
            assert_eq!(before.agent(1005).unwrap().status, AgentStatus::Active);
        });
        assert_eq!(store.role(5000).unwrap().change_stamp, 1);
        assert_eq!(store.agent(1005).unwrap().status, AgentStatus::Inactive);
        assert_eq!(store.is_active(1005), Some(false));
        // Refused writes publish nothing.
        let stale = store
            .update_role(5000, 0, RoleChange::default())
            .unwrap_err();
        assert_eq!(stale, StoreConflict::StaleChangeStamp { current: 1 });
        assert_eq!(store.role(5000).unwrap().change_stamp, 1);
    }

    #[test]
    fn seed_problems_are_detected() {
        let demo = Directory::demo();
        let snapshot = demo.store().snapshot();
        let mut agents = snapshot.agents.clone();
        agents[1].user_name = "SYSADMIN".into();
        let problem = InMemoryStore::new(
            demo.business_unit().clone(),
            demo.catalog().clone(),
            vec![],
            agents,
            None,
        )
        .unwrap_err();
        // Agents are checked in order; agents[1] repeats agents[0]'s userName case-insensitively.
        assert_eq!(problem, SeedProblem::DuplicateUserName(1));
    }
}
