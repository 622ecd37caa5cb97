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
