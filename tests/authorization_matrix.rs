//! The authorization matrix at the script level: every kind of security user
//! × every API action, run as real scripts. The expectations come from the
//! documented role definitions (the Cisco built-in role table and the demo
//! tenant), written out here by hand, not from the code under test.

use studioflow::permissions::AgentStatus;
use studioflow::{
    ActionCall, ActionError, ActionSchema, BranchId, Engine, PropertyKind, PropertySchema,
    RunOptions, Value,
};

/// Which features each demo user's role gives, by the documented definitions:
/// AgentAdmin = agent category; ScriptAdmin = + call category, script, bulkjob;
/// ConfigAdmin = all but the access category (administrator, department,
/// role); SystemAdmin = everything; Supervisor = attribute, reasoncode,
/// bucketinterval; no role = nothing. Only the two features the API actions
/// need matter here: `role` and `agent`.
struct User {
    name: &'static str,
    has_role_feature: bool,
    has_agent_feature: bool,
    /// Deactivated after SetSecurityUser succeeded (a user deactivated
    /// meanwhile): every call must then be refused.
    deactivate_midway: bool,
}

const USERS: &[User] = &[
    User {
        name: "sysadmin",
        has_role_feature: true,
        has_agent_feature: true,
        deactivate_midway: false,
    },
    User {
        name: "configadmin",
        has_role_feature: false,
        has_agent_feature: true,
        deactivate_midway: false,
    },
    User {
        name: "scriptadmin",
        has_role_feature: false,
        has_agent_feature: true,
        deactivate_midway: false,
    },
    User {
        name: "agentadmin",
        has_role_feature: false,
        has_agent_feature: true,
        deactivate_midway: false,
    },
    User {
        name: "supervisor",
        has_role_feature: false,
        has_agent_feature: false,
        deactivate_midway: false,
    },
    User {
        name: "norole",
        has_role_feature: false,
        has_agent_feature: false,
        deactivate_midway: false,
    },
    // An otherwise all-powerful user who is deactivated after picking them.
    User {
        name: "sysadmin",
        has_role_feature: true,
        has_agent_feature: true,
        deactivate_midway: true,
    },
];

enum Needs {
    Role,
    /// The `agent` feature; the target is the user themself, always in scope.
    Agent,
}

/// Every API action, with properties that succeed for an authorized user.
/// `{Me}` is replaced by the acting user's name.
const ACTIONS: &[(&str, &str, Needs)] = &[
    ("ListRoles", "", Needs::Role),
    ("GetRole", r#"Role = "Supervisor""#, Needs::Role),
    ("GetAvailableFeatures", "", Needs::Role),
    (
        "CreateRole",
        r#"Name = "Matrix_{Me}" Features = ["attribute"]"#,
        Needs::Role,
    ),
    (
        "UpdateRole",
        r#"Role = "Supervisor" ChangeStamp = 0 Description = "by {Me}""#,
        Needs::Role,
    ),
    ("DeleteRole", r#"Role = "Spare""#, Needs::Role),
    ("GetAgent", r#"Agent = "{Me}""#, Needs::Agent),
    ("ListAgents", r#"Query = "{Me}""#, Needs::Agent),
];

fn engine() -> Engine {
    // A tenant with one unused custom role, `Spare`, so DeleteRole can succeed.
    let mut tenant: serde_json::Value =
        serde_json::from_str(studioflow::permissions::DEMO_TENANT_JSON).unwrap();
    tenant["roles"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"id": 5001, "name": "Spare", "description": "", "accessList": [], "changeStamp": 0}));
    tenant["nextRoleId"] = 5002.into();
    let directory = studioflow::permissions::Directory::from_json_str(&tenant.to_string()).unwrap();
    Engine::builder()
        .directory(directory)
        .register_action(
            ActionSchema::new("DeactivateMe").property(
                PropertySchema::optional("SecurityUser", PropertyKind::InputVariable)
                    .with_default(Value::from("SecurityUser")),
            ),
            |call: &mut ActionCall<'_>| -> Result<BranchId, ActionError> {
                let me = call.security_user(0)?;
                call.directory()
                    .set_agent_status(me.agent_id(), AgentStatus::Inactive)?;
                Ok(BranchId::DEFAULT)
            },
        )
        .build()
}

#[test]
fn every_user_kind_times_every_api_action() {
    let mut checked = 0;
    for user in USERS {
        for (action, props, needs) in ACTIONS {
            // A fresh model per cell, so one cell's changes cannot decide another's.
            let engine = engine();
            let props = props.replace("{Me}", user.name);
            let middle = if user.deactivate_midway {
                "off: DeactivateMe { Default -> call }"
            } else {
                "off: Assign { Variable = x Value = 1 Default -> call }"
            };
            let source = format!(
                r#"start: Begin {{ Default -> who }}
who: SetSecurityUser {{ Agent = "{}" Default -> off }}
{middle}
call: {action} {{ {props} ScriptVariable = Result Default -> allowed Error -> denied }}
allowed: Assign {{ Variable = Verdict Value = "allowed" Default -> done }}
denied: Assign {{ Variable = Verdict Value = "denied" Default -> done }}
done: End
"#,
                user.name
            );
            let script = engine
                .compile(&source, "matrix.script")
                .unwrap_or_else(|d| panic!("{d}"));
            let run = engine.run(&script, RunOptions::default());
            let expected_allowed = !user.deactivate_midway
                && match needs {
                    Needs::Role => user.has_role_feature,
                    Needs::Agent => user.has_agent_feature,
                };
            let verdict = run
                .variables
                .get("Verdict")
                .map(Value::to_text)
                .unwrap_or_default();
            let err = run
                .variables
                .get("_ERR")
                .map(Value::to_text)
                .unwrap_or_default();
            let label = format!(
                "{}{} × {action}",
                user.name,
                if user.deactivate_midway {
                    " (deactivated)"
                } else {
                    ""
                }
            );
            if expected_allowed {
                assert_eq!(verdict, "allowed", "{label}: {err}");
                assert!(run.variables.contains_key("Result"), "{label}");
            } else {
                assert_eq!(verdict, "denied", "{label}");
                assert!(
                    !run.variables.contains_key("Result"),
                    "{label}: a denied call produced a result"
                );
                let expected_type = if user.deactivate_midway {
                    "unauthorized.inactiveUser:"
                } else {
                    "forbidden:"
                };
                assert!(err.starts_with(expected_type), "{label}: {err}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, USERS.len() * ACTIONS.len());
}

#[test]
fn an_inactive_agent_cannot_even_become_the_security_user() {
    let engine = engine();
    let script = engine
        .compile(
            "start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"former\" Default -> done Error -> done }\ndone: End",
            "former.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    assert!(!run.variables.contains_key("SecurityUser"));
    assert!(run.variables["_ERR"]
        .to_text()
        .starts_with("unauthorized.inactiveUser:"));
}
