//! The embedded demo tenant (`Directory::demo()`), fixed because tests rely on it.

use std::sync::{Arc, OnceLock};

use crate::tz::Tz;
use chrono::{DateTime, Utc};

use super::agents::{Agent, AgentId, AgentStatus, BusinessUnit};
use super::directory::Directory;
use super::features::{FeatureCatalog, FeatureId};
use super::roles::{BuiltInRole, Role, RoleId};
use super::store::{
    AgentAccess, Grant, InMemoryStore, NewRole, RoleChange, RoleHolder, StoreConflict,
    TenantSnapshot, TenantStore, TenantView,
};

/// The demo tenant document (see docs/permissions.md for its people and roles).
///
/// ```
/// let d = studioflow::permissions::Directory::from_json_str(studioflow::permissions::DEMO_TENANT_JSON).unwrap();
/// assert_eq!(d.to_tenant_json(), studioflow::permissions::Directory::demo().to_tenant_json());
/// ```
pub const DEMO_TENANT_JSON: &str = include_str!("demo_tenant.json");

impl Directory {
    /// An empty permission model: the default feature catalog and the
    /// built-in roles, no custom roles, no people; the business unit is
    /// unnamed and keeps UTC. What [`crate::Engine::new`] starts from: a
    /// `SetSecurityUser` finds no one until the host supplies its tenant.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::empty();
    /// assert!(d.agent(1001).is_none());
    /// assert_eq!(d.business_unit().time_zone, studioflow::Tz::UTC);
    /// assert_eq!(d.roles().len(), 4);
    /// ```
    pub fn empty() -> Directory {
        let business_unit = BusinessUnit {
            name: String::new(),
            time_zone: Tz::UTC,
        };
        match InMemoryStore::new(
            business_unit,
            FeatureCatalog::default_catalog(),
            Vec::new(),
            Vec::new(),
            None,
        ) {
            Ok(store) => Directory::new(Arc::new(store)),
            Err(problem) => unreachable!("the empty tenant is invalid: {problem:?}"),
        }
    }

    /// The demo tenant: "Demo Contact Center" with seven people and the custom role Supervisor.
    ///
    /// Built from Rust values, not by parsing [`DEMO_TENANT_JSON`]: every
    /// `studioflow run` starts from this tenant, and the JSON loader's strict
    /// parse and per-field validation cost more than a short run itself. The
    /// store still checks every seed rule; a unit test keeps both forms equal.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::Directory::demo().agent(1005).unwrap().role.as_deref(), Some("Supervisor"));
    /// ```
    pub fn demo() -> Directory {
        // The people and roles are seeded (and checked) on the first
        // question about them: a run that never asks pays only for the
        // business unit and the catalog.
        Directory::new(Arc::new(DemoStore {
            business_unit: demo_business_unit(),
            catalog: FeatureCatalog::default_catalog(),
            seeded: OnceLock::new(),
        }))
    }
}

fn demo_business_unit() -> BusinessUnit {
    BusinessUnit {
        name: "Demo Contact Center".to_owned(),
        time_zone: "America/Denver".parse::<Tz>().expect("a bundled zone"),
    }
}

/// The demo tenant's seeded store: the people, the Supervisor role and the
/// store's checks of them.
fn demo_store() -> InMemoryStore {
    let catalog = FeatureCatalog::default_catalog();
    let access = SUPERVISOR_ACCESS
        .iter()
        .filter_map(|name| catalog.id(name))
        .collect();
    let supervisor = Role {
        id: SUPERVISOR_ROLE_ID,
        name: "Supervisor".to_owned(),
        description: "Team supervisors".to_owned(),
        access,
        change_stamp: 0,
        system_defined: false,
    };
    let agents = DEMO_AGENTS.iter().map(DemoAgent::to_agent).collect();
    match InMemoryStore::new(
        demo_business_unit(),
        catalog,
        vec![supervisor],
        agents,
        Some(SUPERVISOR_ROLE_ID + 1),
    ) {
        Ok(store) => store,
        // Constant seeds; the unit test below builds them.
        Err(problem) => unreachable!("demo tenant seeds are invalid: {problem:?}"),
    }
}

/// The demo tenant as a store that seeds itself on first use. The business
/// unit and the catalog are answered without seeding (they are fixed for the
/// store's life, and `Directory::new` reads the catalog); everything else
/// is the seeded [`InMemoryStore`]'s answer.
struct DemoStore {
    business_unit: BusinessUnit,
    catalog: FeatureCatalog,
    seeded: OnceLock<InMemoryStore>,
}

impl DemoStore {
    fn seeded(&self) -> &InMemoryStore {
        self.seeded.get_or_init(demo_store)
    }
}

impl TenantStore for DemoStore {
    fn business_unit(&self) -> &BusinessUnit {
        &self.business_unit
    }
    fn catalog(&self) -> &FeatureCatalog {
        &self.catalog
    }
    fn grant(&self, agent: AgentId, feature: FeatureId) -> Grant {
        self.seeded().grant(agent, feature)
    }
    fn access(&self, agent: AgentId) -> Option<AgentAccess> {
        self.seeded().access(agent)
    }
    fn is_active(&self, agent: AgentId) -> Option<bool> {
        self.seeded().is_active(agent)
    }
    fn read(&self, visit: &mut dyn FnMut(&dyn TenantView)) {
        self.seeded().read(visit)
    }
    fn role(&self, id: RoleId) -> Option<Role> {
        self.seeded().role(id)
    }
    fn role_by_name(&self, name: &str) -> Option<Role> {
        self.seeded().role_by_name(name)
    }
    fn role_holders(&self, role: RoleId) -> Vec<RoleHolder> {
        self.seeded().role_holders(role)
    }
    fn agent(&self, id: AgentId) -> Option<Agent> {
        self.seeded().agent(id)
    }
    fn agent_by_user_name(&self, user_name: &str) -> Option<Agent> {
        self.seeded().agent_by_user_name(user_name)
    }
    fn role_name(&self, id: RoleId) -> Option<String> {
        self.seeded().role_name(id)
    }
    fn snapshot(&self) -> TenantSnapshot {
        self.seeded().snapshot()
    }
    fn create_role(&self, role: NewRole) -> Result<Role, StoreConflict> {
        self.seeded().create_role(role)
    }
    fn update_role(
        &self,
        id: RoleId,
        expected_change_stamp: u64,
        change: RoleChange,
    ) -> Result<Role, StoreConflict> {
        self.seeded().update_role(id, expected_change_stamp, change)
    }
    fn delete_role(&self, id: RoleId) -> Result<Role, StoreConflict> {
        self.seeded().delete_role(id)
    }
    fn set_agent_status(
        &self,
        agent: AgentId,
        status: AgentStatus,
    ) -> Result<Agent, StoreConflict> {
        self.seeded().set_agent_status(agent, status)
    }
}

const SUPERVISOR_ROLE_ID: RoleId = 5000;
const SUPERVISOR_ACCESS: [&str; 3] = ["attribute", "reasoncode", "bucketinterval"];

/// One person of the demo tenant, as constant data.
struct DemoAgent {
    id: AgentId,
    user_name: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    active: bool,
    /// An IANA name of the bundled database.
    time_zone: &'static str,
    role: Option<RoleId>,
    department: &'static str,
    administers: &'static [&'static str],
    /// Seconds since the Unix epoch.
    last_login: Option<i64>,
}

impl DemoAgent {
    fn to_agent(&self) -> Agent {
        Agent {
            id: self.id,
            user_name: self.user_name.into(),
            first_name: self.first_name.into(),
            last_name: self.last_name.into(),
            status: if self.active {
                AgentStatus::Active
            } else {
                AgentStatus::Inactive
            },
            time_zone: self.time_zone.parse().expect("a bundled zone"),
            role: self.role,
            department: self.department.into(),
            administers: self.administers.iter().map(|&d| d.into()).collect(),
            last_login: self
                .last_login
                .and_then(|seconds| DateTime::<Utc>::from_timestamp(seconds, 0)),
        }
    }
}

const DEMO_AGENTS: [DemoAgent; 7] = [
    DemoAgent {
        id: 1001,
        user_name: "sysadmin",
        first_name: "Sofia",
        last_name: "Reyes",
        active: true,
        time_zone: "America/New_York",
        role: Some(BuiltInRole::SystemAdmin.id()),
        department: "Boston",
        administers: &[],
        last_login: Some(1_772_951_400), // 2026-03-08T06:30:00Z
    },
    DemoAgent {
        id: 1002,
        user_name: "configadmin",
        first_name: "Colin",
        last_name: "Hughes",
        active: true,
        time_zone: "Europe/London",
        role: Some(BuiltInRole::ConfigAdmin.id()),
        department: "Boston",
        administers: &["Boston"],
        last_login: Some(1_774_744_200), // 2026-03-29T00:30:00Z
    },
    DemoAgent {
        id: 1003,
        user_name: "scriptadmin",
        first_name: "Priya",
        last_name: "Sharma",
        active: true,
        time_zone: "Asia/Kolkata",
        role: Some(BuiltInRole::ScriptAdmin.id()),
        department: "Austin",
        administers: &[],
        last_login: Some(1_772_955_000), // 2026-03-08T07:30:00Z
    },
    DemoAgent {
        id: 1004,
        user_name: "agentadmin",
        first_name: "Adam",
        last_name: "Novak",
        active: true,
        time_zone: "America/Los_Angeles",
        role: Some(BuiltInRole::AgentAdmin.id()),
        department: "Austin",
        administers: &["Austin"],
        last_login: Some(1_793_525_400), // 2026-11-01T09:30:00Z
    },
    DemoAgent {
        id: 1005,
        user_name: "supervisor",
        first_name: "Sam",
        last_name: "Okafor",
        active: true,
        time_zone: "America/Chicago",
        role: Some(SUPERVISOR_ROLE_ID),
        department: "Boston",
        administers: &["Boston"],
        last_login: None,
    },
    DemoAgent {
        id: 1006,
        user_name: "former",
        first_name: "Frank",
        last_name: "Moreau",
        active: false,
        time_zone: "UTC",
        role: Some(BuiltInRole::SystemAdmin.id()),
        department: "Boston",
        administers: &[],
        last_login: Some(1_767_222_000), // 2025-12-31T23:00:00Z
    },
    DemoAgent {
        id: 1007,
        user_name: "norole",
        first_name: "Nora",
        last_name: "Lindqvist",
        active: true,
        time_zone: "Australia/Sydney",
        role: None,
        department: "Austin",
        administers: &[],
        last_login: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_loads_and_round_trips() {
        let demo = Directory::from_json_str(DEMO_TENANT_JSON).unwrap();
        let saved = demo.to_tenant_json();
        let original: serde_json::Value = serde_json::from_str(DEMO_TENANT_JSON).unwrap();
        assert_eq!(saved, original, "demo file is in canonical saved form");
    }

    /// `Directory::demo()` is built from Rust values for speed; the JSON file
    /// is what the docs show and what `--directory` users copy. Same tenant.
    #[test]
    fn rust_built_demo_equals_the_json_file() {
        let from_json = Directory::from_json_str(DEMO_TENANT_JSON).unwrap();
        let built = Directory::demo();
        assert_eq!(built.to_tenant_json(), from_json.to_tenant_json());
        assert_eq!(built.business_unit(), from_json.business_unit());
        for id in 1001..=1007 {
            assert_eq!(
                built.store().agent(id),
                from_json.store().agent(id),
                "agent {id}"
            );
        }
    }

    /// What the demo store answers before seeding is what the seeded store
    /// would answer.
    #[test]
    fn unseeded_answers_equal_the_seeded_store() {
        let seeded = demo_store();
        assert_eq!(seeded.business_unit(), &demo_business_unit());
        assert_eq!(seeded.catalog(), &FeatureCatalog::default_catalog());
        let demo = Directory::demo();
        assert_eq!(demo.catalog(), seeded.catalog());
        assert_eq!(demo.business_unit(), seeded.business_unit());
    }
}
