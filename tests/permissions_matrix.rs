//! Authorization matrix over the demo tenant: every kind of actor × every
//! Directory operation, and every default-catalog feature × every built-in role.
//! Expectations are written out by hand from docs/permissions.md.

use studioflow::permissions::{
    AgentStatusFilter, ApiError, BuiltInRole, Directory, FeatureCategory, RoleDraft, RolePatch,
    RoleQuery,
};

/// The tenant each check starts from: the demo tenant, or what
/// [`with_tenant`] says (tests/postgres_store.rs runs this whole matrix on
/// the PostgreSQL store).
fn tenant() -> Directory {
    TENANT.with(|make| {
        make.borrow()
            .as_ref()
            .map_or_else(Directory::demo, |make| make())
    })
}

thread_local! {
    static TENANT: std::cell::RefCell<Option<Box<dyn Fn() -> Directory>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `body` with every check's tenant made by `make`.
#[allow(dead_code)]
pub fn with_tenant<T>(make: impl Fn() -> Directory + 'static, body: impl FnOnce() -> T) -> T {
    TENANT.with(|slot| *slot.borrow_mut() = Some(Box::new(make)));
    let result = body();
    TENANT.with(|slot| *slot.borrow_mut() = None);
    result
}

/// Every check of the matrix, by name.
#[allow(dead_code)]
pub const CHECKS: [(&str, fn()); 6] = [
    ("operation_matrix", operation_matrix),
    (
        "unknown_actor_is_an_invalid_security_user",
        unknown_actor_is_an_invalid_security_user,
    ),
    (
        "default_catalog_has_the_named_features",
        default_catalog_has_the_named_features,
    ),
    (
        "feature_matrix_of_built_in_roles",
        feature_matrix_of_built_in_roles,
    ),
    (
        "built_in_views_list_their_effective_sets",
        built_in_views_list_their_effective_sets,
    ),
    (
        "department_scope_limits_the_agent_api",
        department_scope_limits_the_agent_api,
    ),
];

const SYSADMIN: u64 = 1001;
const CONFIGADMIN: u64 = 1002;
const SCRIPTADMIN: u64 = 1003;
const AGENTADMIN: u64 = 1004;
const SUPERVISOR: u64 = 1005;
const FORMER: u64 = 1006;
const NOROLE: u64 = 1007;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListRoles,
    GetRole,
    AvailableFeatures,
    CreateRole,
    UpdateRole,
    DeleteRole,
    GetAgent,
    ListAgents,
}

const OPS: [Op; 8] = [
    Op::ListRoles,
    Op::GetRole,
    Op::AvailableFeatures,
    Op::CreateRole,
    Op::UpdateRole,
    Op::DeleteRole,
    Op::GetAgent,
    Op::ListAgents,
];

/// Expected outcome: `Ok(())` or the errorType of the refusal.
type Expect = Result<(), &'static str>;
const OK: Expect = Ok(());
const FORBIDDEN: Expect = Err("forbidden");
const INACTIVE: Expect = Err("unauthorized.inactiveUser");

/// Rows: actor; columns in the order of `OPS`.
const MATRIX: [(&str, u64, [Expect; 8]); 7] = [
    // SystemAdmin: everything.
    ("sysadmin", SYSADMIN, [OK, OK, OK, OK, OK, OK, OK, OK]),
    // ConfigAdmin: no access category, so no Role API; Agent API yes.
    (
        "configadmin",
        CONFIGADMIN,
        [
            FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
        ],
    ),
    (
        "scriptadmin",
        SCRIPTADMIN,
        [
            FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
        ],
    ),
    (
        "agentadmin",
        AGENTADMIN,
        [
            FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK,
        ],
    ),
    // Supervisor holds attribute, reasoncode, bucketinterval: neither `agent` nor `role`.
    (
        "supervisor",
        SUPERVISOR,
        [
            FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
        ],
    ),
    // Inactive SystemAdmin: nothing.
    (
        "former",
        FORMER,
        [
            INACTIVE, INACTIVE, INACTIVE, INACTIVE, INACTIVE, INACTIVE, INACTIVE, INACTIVE,
        ],
    ),
    // No role: nothing.
    (
        "norole",
        NOROLE,
        [
            FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN,
        ],
    ),
];

/// Runs one operation as `actor` on a fresh demo tenant.
fn run(op: Op, actor: u64) -> Result<(), ApiError> {
    let directory = tenant();
    match op {
        Op::ListRoles => directory.list_roles(actor, &RoleQuery::default()).map(drop),
        Op::GetRole => directory.get_role(actor, "Supervisor").map(drop),
        Op::AvailableFeatures => directory.available_features(actor).map(drop),
        Op::CreateRole => directory
            .create_role(
                actor,
                RoleDraft {
                    name: "Auditor".into(),
                    description: None,
                    access_list: vec!["calltype".into()],
                },
            )
            .map(drop),
        Op::UpdateRole => directory
            .update_role(
                actor,
                "Supervisor",
                0,
                RolePatch {
                    description: Some("changed".into()),
                    ..RolePatch::default()
                },
            )
            .map(drop),
        Op::DeleteRole => {
            // An unheld role, created by the SystemAdmin, so only authorization can refuse.
            directory
                .create_role(
                    SYSADMIN,
                    RoleDraft {
                        name: "Temporary".into(),
                        description: None,
                        access_list: vec![],
                    },
                )
                .expect("sysadmin creates a role");
            directory.delete_role(actor, "Temporary").map(drop)
        }
        // Each actor looks at their own record, which is inside their departments.
        Op::GetAgent => directory.get_agent(actor, &actor.to_string()).map(drop),
        Op::ListAgents => directory
            .list_agents(actor, "", AgentStatusFilter::All)
            .map(drop),
    }
}

pub fn operation_matrix() {
    let mut failures = Vec::new();
    for (name, actor, row) in MATRIX {
        for (op, expected) in OPS.iter().zip(row) {
            let outcome = run(*op, actor);
            let got: Result<(), String> = outcome.map_err(|error| error.error_type().to_owned());
            let want: Result<(), String> = expected.map_err(str::to_owned);
            if got != want {
                failures.push(format!("{name} {op:?}: expected {want:?}, got {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub fn unknown_actor_is_an_invalid_security_user() {
    let directory = tenant();
    let error = directory
        .list_roles(999_999, &RoleQuery::default())
        .unwrap_err();
    assert_eq!(error.error_type(), "unauthorized.invalidSecurityUser");
    let error = directory.get_agent(999_999, "sysadmin").unwrap_err();
    assert_eq!(error.error_type(), "unauthorized.invalidSecurityUser");
}

/// The categories every named feature of the issue must have.
const NAMED_FEATURES: [(&str, FeatureCategory); 17] = [
    ("agent", FeatureCategory::Agent),
    ("attribute", FeatureCategory::Agent),
    ("reasoncode", FeatureCategory::Agent),
    ("skillgroup", FeatureCategory::Agent),
    ("agentteam", FeatureCategory::Agent),
    ("desksettings", FeatureCategory::Agent),
    ("calltype", FeatureCategory::Call),
    ("bucketinterval", FeatureCategory::Call),
    ("dialednumber", FeatureCategory::Call),
    ("callvariable", FeatureCategory::Call),
    ("script", FeatureCategory::System),
    ("bulkjob", FeatureCategory::System),
    ("mediaroutingdomain", FeatureCategory::System),
    ("network", FeatureCategory::System),
    ("administrator", FeatureCategory::Access),
    ("department", FeatureCategory::Access),
    ("role", FeatureCategory::Access),
];

/// The documented rule, restated: which categories and extra named tools each built-in gets.
fn built_in_allows(role: BuiltInRole, name: &str, category: FeatureCategory) -> bool {
    use FeatureCategory::*;
    match role {
        BuiltInRole::AgentAdmin => category == Agent,
        BuiltInRole::ScriptAdmin => {
            matches!(category, Agent | Call) || name == "script" || name == "bulkjob"
        }
        BuiltInRole::ConfigAdmin => matches!(category, Agent | Call | System),
        BuiltInRole::SystemAdmin => true,
    }
}

pub fn default_catalog_has_the_named_features() {
    let directory = tenant();
    let catalog = directory.catalog();
    assert!(
        catalog.len() >= 20,
        "catalog has {} features",
        catalog.len()
    );
    for (name, category) in NAMED_FEATURES {
        let id = catalog
            .id(name)
            .unwrap_or_else(|| panic!("missing feature {name}"));
        assert_eq!(catalog.get(id).unwrap().category, category, "{name}");
    }
    for feature in catalog.features() {
        assert_eq!(feature.name, feature.name.to_lowercase());
    }
}

pub fn feature_matrix_of_built_in_roles() {
    let directory = tenant();
    let holders = [
        (BuiltInRole::SystemAdmin, SYSADMIN),
        (BuiltInRole::ConfigAdmin, CONFIGADMIN),
        (BuiltInRole::ScriptAdmin, SCRIPTADMIN),
        (BuiltInRole::AgentAdmin, AGENTADMIN),
    ];
    let mut failures = Vec::new();
    for feature in directory.catalog().features() {
        let id = directory.feature_id(&feature.name).unwrap();
        for (role, agent) in holders {
            let expected = built_in_allows(role, &feature.name, feature.category);
            if directory.may_use(agent, id) != expected
                || directory.check_feature(agent, id).is_ok() != expected
            {
                failures.push(format!(
                    "{:?} × {} ({}): expected {expected}",
                    role, feature.name, feature.category
                ));
            }
        }
        // The inactive SystemAdmin and the role-less agent get nothing at all.
        assert!(!directory.may_use(FORMER, id), "former × {}", feature.name);
        assert!(!directory.may_use(NOROLE, id), "norole × {}", feature.name);
        // Supervisor: exactly attribute, reasoncode, bucketinterval.
        let supervisor_expected = matches!(
            feature.name.as_str(),
            "attribute" | "reasoncode" | "bucketinterval"
        );
        assert_eq!(
            directory.may_use(SUPERVISOR, id),
            supervisor_expected,
            "supervisor × {}",
            feature.name
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub fn built_in_views_list_their_effective_sets() {
    let directory = tenant();
    let role = directory.get_role(SYSADMIN, "ScriptAdmin").unwrap();
    assert_eq!(role.id, 2);
    assert!(role.system_defined);
    assert_eq!(role.change_stamp, 0);
    let names: Vec<&str> = role.access_list.iter().map(|f| f.name.as_str()).collect();
    for (name, category) in NAMED_FEATURES {
        let expected = built_in_allows(BuiltInRole::ScriptAdmin, name, category);
        assert_eq!(names.contains(&name), expected, "ScriptAdmin lists {name}");
    }
    let ids: Vec<u64> = ["AgentAdmin", "ScriptAdmin", "ConfigAdmin", "SystemAdmin"]
        .iter()
        .map(|name| directory.get_role(SYSADMIN, name).unwrap().id)
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
}

pub fn department_scope_limits_the_agent_api() {
    let directory = tenant();
    // agentadmin administers Austin only: sysadmin and configadmin are in Boston.
    let error = directory.get_agent(AGENTADMIN, "sysadmin").unwrap_err();
    assert_eq!(error.error_type(), "forbidden");
    assert_eq!(error.errors[0].error_data, "department");
    assert!(directory.get_agent(AGENTADMIN, "norole").is_ok());
    let seen: Vec<u64> = directory
        .list_agents(AGENTADMIN, "", AgentStatusFilter::All)
        .unwrap()
        .iter()
        .map(|agent| agent.id)
        .collect();
    assert_eq!(seen, vec![SCRIPTADMIN, AGENTADMIN, NOROLE]);
    // configadmin administers Boston, including the inactive former.
    let seen: Vec<u64> = directory
        .list_agents(CONFIGADMIN, "", AgentStatusFilter::All)
        .unwrap()
        .iter()
        .map(|agent| agent.id)
        .collect();
    assert_eq!(seen, vec![SYSADMIN, CONFIGADMIN, SUPERVISOR, FORMER]);
    // scriptadmin administers all departments.
    let all = directory
        .list_agents(SCRIPTADMIN, "", AgentStatusFilter::All)
        .unwrap();
    assert_eq!(all.len(), 7);
    let inactive: Vec<u64> = directory
        .list_agents(SCRIPTADMIN, "", AgentStatusFilter::Inactive)
        .unwrap()
        .iter()
        .map(|agent| agent.id)
        .collect();
    assert_eq!(inactive, vec![FORMER]);
    let active = directory
        .list_agents(SCRIPTADMIN, "", AgentStatusFilter::Active)
        .unwrap();
    assert_eq!(active.len(), 6);
    // Case-insensitive substring of userName, firstName or lastName.
    let admins: Vec<u64> = directory
        .list_agents(SYSADMIN, "ADMIN", AgentStatusFilter::All)
        .unwrap()
        .iter()
        .map(|agent| agent.id)
        .collect();
    assert_eq!(admins, vec![SYSADMIN, CONFIGADMIN, SCRIPTADMIN, AGENTADMIN]);
}

// The checks on the in-memory store (each its own test).

#[test]
fn operation_matrix_in_memory() {
    operation_matrix();
}

#[test]
fn unknown_actor_is_an_invalid_security_user_in_memory() {
    unknown_actor_is_an_invalid_security_user();
}

#[test]
fn default_catalog_has_the_named_features_in_memory() {
    default_catalog_has_the_named_features();
}

#[test]
fn feature_matrix_of_built_in_roles_in_memory() {
    feature_matrix_of_built_in_roles();
}

#[test]
fn built_in_views_list_their_effective_sets_in_memory() {
    built_in_views_list_their_effective_sets();
}

#[test]
fn department_scope_limits_the_agent_api_in_memory() {
    department_scope_limits_the_agent_api();
}
