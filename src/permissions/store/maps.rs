//! The persistent maps one published version of the tenant is made of
//! ([`State`]), and the lock-free mirror of role feature sets the hot
//! check reads ([`AccessCell`], [`HotAgent`]).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rpds::HashTrieMapSync;

use super::{RoleHolder, TenantView};
use crate::permissions::agents::{Agent, AgentId};
use crate::permissions::case_folding::{eq_folded, fold_case};
use crate::permissions::features::{FeatureId, FeatureSet};
use crate::permissions::roles::{Role, RoleId};

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

pub(super) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
/// A persistent (structurally shared) map: a write copies the O(log n) path
/// to the changed entry and shares the rest with the previous version.
pub(super) type IdTrie<V> = HashTrieMapSync<u64, V, BuildHasherDefault<IdHasher>>;

/// See [`State::user_names`].
pub(super) type UserNames = HashMap<Box<str>, AgentId, foldhash::fast::RandomState>;

pub(super) fn id_trie<V>() -> IdTrie<V> {
    IdTrie::new_with_hasher_and_ptr_kind(BuildHasherDefault::default())
}

/// One immutable version of the mutable tenant data. Published whole through
/// `InMemoryStore::tenant`; never changed once published.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) roles: IdTrie<Role>,
    pub(super) agents: IdTrie<Agent>,
    /// Case-folded userName ([`fold_case`]) → agent id. Agents are neither
    /// added nor renamed after the store is made, so every version shares
    /// one plain hash table (foldhash: looked up on every SetSecurityUser
    /// and agent reference, where a persistent map's walk cost 2.5x more).
    pub(super) user_names: std::sync::Arc<UserNames>,
    pub(super) next_role_id: RoleId,
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
    pub(super) fn name_taken(&self, name: &str, except: Option<RoleId>) -> Option<&Role> {
        self.roles
            .values()
            .find(|role| Some(role.id) != except && eq_folded(&role.name, name))
    }

    pub(super) fn holders(&self, role: RoleId) -> Vec<RoleHolder> {
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
pub(super) struct AccessCell([AtomicU64; 2]);

impl AccessCell {
    pub(super) fn new(set: FeatureSet) -> AccessCell {
        let (low, high) = set.halves();
        AccessCell([AtomicU64::new(low), AtomicU64::new(high)])
    }

    pub(super) fn store(&self, set: FeatureSet) {
        let (low, high) = set.halves();
        self.0[0].store(low, Ordering::Release);
        self.0[1].store(high, Ordering::Release);
    }

    #[inline]
    pub(super) fn contains(&self, feature: FeatureId) -> bool {
        let index = feature.index();
        let word = self.0[index / 64].load(Ordering::Acquire);
        word & (1u64 << (index % 64)) != 0
    }
}

/// What the hot check needs about one agent. The role slot is fixed at
/// construction; the status can change ([`TenantStore::set_agent_status`]).
#[derive(Debug)]
pub(super) struct HotAgent {
    pub(super) active: AtomicBool,
    /// Index into `InMemoryStore::held_access`, or `None` without a role.
    pub(super) slot: Option<u32>,
}
