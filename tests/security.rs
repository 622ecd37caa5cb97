//! Security at the script level: a script can neither forge nor edit its way
//! to another identity, and every API action runs with exactly the rights of
//! the run's own, still-active security user.

use studioflow::{Engine, Outcome, RunOptions, Value};

/// Compiles and runs `body` after a Begin that jumps to `first`.
fn run_with(engine: &Engine, body: &str, options: RunOptions) -> studioflow::Run {
    let source = format!("start: Begin {{ Default -> first }}\n{body}\ndone: End\n");
    let script = engine
        .compile(&source, "security.script")
        .unwrap_or_else(|d| panic!("compile failed:\n{d}\n{source}"));
    engine.run(&script, options)
}

fn run(body: &str) -> studioflow::Run {
    run_with(&Engine::demo(), body, RunOptions::default())
}

fn err(run: &studioflow::Run) -> String {
    run.variables
        .get("_ERR")
        .map(Value::to_text)
        .unwrap_or_default()
}

/// A ListRoles that records success in `Listed` and failure in `_ERR`.
const LIST: &str = r#"
list: ListRoles { Default -> ok Error -> done }
ok: Assign { Variable = Listed Value = Roles.pageInfo.totalResults Default -> done }
"#;

#[test]
fn a_real_security_user_may_list_roles() {
    let r = run(&format!(
        "first: SetSecurityUser {{ Agent = \"sysadmin\" Default -> list }}\n{LIST}"
    ));
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(
        r.variables["Listed"],
        Value::from(5.0),
        "4 built-ins + Supervisor"
    );
}

#[test]
fn no_security_user_is_refused() {
    let r = run(&format!(
        "first: Assign {{ Variable = x Value = 1 Default -> list }}\n{LIST}"
    ));
    assert!(!r.variables.contains_key("Listed"));
    assert!(
        err(&r).starts_with("unauthorized.noSecurityUser:"),
        "{}",
        err(&r)
    );
}

#[test]
fn a_string_named_security_user_is_refused() {
    let r = run(&format!(
        "first: Assign {{ Variable = SecurityUser Value = \"sysadmin\" Default -> list }}\n{LIST}"
    ));
    assert!(!r.variables.contains_key("Listed"));
    assert!(
        err(&r).starts_with("unauthorized.invalidSecurityUser:"),
        "{}",
        err(&r)
    );
}

#[test]
fn an_object_that_looks_like_a_security_user_is_refused() {
    // The agent object of a real lookup has the same readable fields.
    let r = run(&format!(
        r#"first: SetSecurityUser {{ Agent = "sysadmin" ScriptVariable = Me Default -> look }}
look: GetAgent {{ SecurityUser = Me Agent = "sysadmin" Default -> forge Error -> done }}
forge: Assign {{ Variable = SecurityUser Value = Agent Default -> list }}
{LIST}"#
    ));
    assert!(!r.variables.contains_key("Listed"));
    assert!(
        err(&r).starts_with("unauthorized.invalidSecurityUser:"),
        "{}",
        err(&r)
    );
}

#[test]
fn input_variables_cannot_inject_a_security_user() {
    let mut options = RunOptions::default();
    options.variables.insert(
        "SecurityUser".into(),
        Value::from(serde_json::json!({
            "userName": "sysadmin", "agentId": 1001, "timeZone": "UTC", "role": "SystemAdmin"
        })),
    );
    let r = run_with(
        &Engine::demo(),
        &format!("first: Assign {{ Variable = x Value = 1 Default -> list }}\n{LIST}"),
        options,
    );
    assert!(!r.variables.contains_key("Listed"));
    assert!(
        err(&r).starts_with("unauthorized.invalidSecurityUser:"),
        "{}",
        err(&r)
    );
}

#[test]
fn a_handle_from_another_run_is_refused() {
    let engine = Engine::demo();
    let first = run_with(
        &engine,
        "first: SetSecurityUser { Agent = \"sysadmin\" Default -> done }",
        RunOptions::default(),
    );
    let stolen = first.variables["SecurityUser"].clone();
    assert!(matches!(stolen, Value::SecurityUser(_)));
    let mut options = RunOptions::default();
    options.variables.insert("SecurityUser".into(), stolen);
    let r = run_with(
        &engine,
        &format!("first: Assign {{ Variable = x Value = 1 Default -> list }}\n{LIST}"),
        options,
    );
    assert!(!r.variables.contains_key("Listed"));
    assert!(err(&r).contains("another run"), "{}", err(&r));
}

#[test]
fn copying_the_handle_keeps_it_and_serializing_hides_it() {
    let r = run(r#"first: SetSecurityUser { Agent = "1001" Default -> copy }
copy: Assign { Variable = Admin Value = SecurityUser Default -> clear }
clear: Assign { Variable = SecurityUser Value = "" Default -> list }
list: ListRoles { SecurityUser = Admin Default -> ok Error -> done }
ok: Assign { Variable = Listed Value = "{Admin.userName}/{Admin.agentId}/{Admin.timeZone}/{Admin.role}" Default -> done }"#);
    assert_eq!(
        r.variables["Listed"],
        Value::from("sysadmin/1001/America/New_York/SystemAdmin")
    );
    let json = r.to_json();
    assert_eq!(
        json["variables"]["Admin"],
        serde_json::json!({"userName": "sysadmin", "agentId": 1001, "timeZone": "America/New_York", "role": "SystemAdmin"})
    );
}

#[test]
fn a_failed_set_security_user_leaves_the_variable_as_it_was() {
    let r = run(&format!(
        r#"first: SetSecurityUser {{ Agent = "sysadmin" Default -> second }}
second: SetSecurityUser {{ Agent = "former" Default -> done Error -> list }}
{LIST}"#
    ));
    assert!(
        err(&r).starts_with("unauthorized.inactiveUser:"),
        "{}",
        err(&r)
    );
    assert_eq!(r.variables["Listed"], Value::from(5.0));
    let Value::SecurityUser(user) = &r.variables["SecurityUser"] else {
        panic!()
    };
    assert_eq!(user.user_name(), "sysadmin");
}

#[test]
fn set_security_user_failures_have_clear_messages() {
    let cases = [
        (r#"Agent = "nobody""#, "notFound:"),
        (r#"Agent = "9999""#, "notFound:"),
        (r#"Agent = "former""#, "unauthorized.inactiveUser:"),
        (
            r#"Agent = "sysadmin" TimeZone = "Mars/Base""#,
            "unknown time zone \"Mars/Base\"",
        ),
    ];
    for (props, expected) in cases {
        let r = run(&format!(
            "first: SetSecurityUser {{ {props} Default -> done }}"
        ));
        assert_eq!(r.outcome, Outcome::Stopped, "{props}");
        assert!(err(&r).contains(expected), "{props}: {}", err(&r));
        assert!(!r.variables.contains_key("SecurityUser"), "{props}");
        assert_eq!(r.error.as_ref().unwrap().kind, Outcome::Stopped);
    }
}

#[test]
fn a_script_cannot_name_a_member_of_the_handle_as_a_variable() {
    let engine = Engine::demo();
    let diags = engine
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = \"SecurityUser.agentId\" Value = 1001 Default -> b }\nb: End",
            "edit.script",
        )
        .unwrap_err();
    assert!(
        diags.to_string().contains("takes a variable name"),
        "{diags}"
    );
}

/// Each escalation attempt must fail with the named error type.
#[test]
fn escalation_attempts_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "configadmin",
            r#"x: CreateRole { Name = "Sneaky" Features = ["agent"] Default -> done Error -> done }"#,
            "forbidden:",
        ),
        (
            "agentadmin",
            r#"x: ListRoles { Default -> done Error -> done }"#,
            "forbidden:",
        ),
        (
            "supervisor",
            r#"x: GetAgent { Agent = "norole" Default -> done Error -> done }"#,
            "forbidden:",
        ),
        (
            "norole",
            r#"x: GetAgent { Agent = "norole" Default -> done Error -> done }"#,
            "forbidden:",
        ),
        (
            "sysadmin",
            r#"x: CreateRole { Name = "RoleMaker" Features = ["role"] Default -> done Error -> done }"#,
            "invalidInput.accessFeature:",
        ),
        (
            "sysadmin",
            r#"x: CreateRole { Name = "Admins" Features = "agent, administrator" Default -> done Error -> done }"#,
            "invalidInput.accessFeature:",
        ),
        (
            "sysadmin",
            r#"x: UpdateRole { Role = "AgentAdmin" ChangeStamp = 0 Features = ["role"] Default -> done Error -> done }"#,
            "invalidInput.builtInRole:",
        ),
        (
            "sysadmin",
            r#"x: DeleteRole { Role = "SystemAdmin" Default -> done Error -> done }"#,
            "invalidInput.builtInRole:",
        ),
        (
            "sysadmin",
            r#"x: DeleteRole { Role = "Supervisor" Default -> done Error -> done }"#,
            "invalidInput.roleInUse:",
        ),
        (
            "sysadmin",
            r#"x: UpdateRole { Role = "Supervisor" ChangeStamp = 0 Name = "SYSTEMADMIN" Default -> done Error -> done }"#,
            "invalidInput.duplicateName:",
        ),
    ];
    for (user, action, expected) in cases {
        let r = run(&format!(
            "first: SetSecurityUser {{ Agent = \"{user}\" Default -> x }}\n{action}"
        ));
        assert!(
            err(&r).starts_with(expected),
            "{user} / {action}: got {:?}",
            err(&r)
        );
        assert!(
            !r.variables.contains_key("Role"),
            "{user} / {action} produced a role"
        );
    }
}

#[test]
fn agent_data_is_limited_to_administered_departments() {
    // configadmin administers Boston only; agentadmin is in Austin.
    let r = run(
        r#"first: SetSecurityUser { Agent = "configadmin" Default -> x }
x: GetAgent { Agent = "agentadmin" Default -> done Error -> done }"#,
    );
    assert!(err(&r).starts_with("forbidden:"), "{}", err(&r));
    let r = run(
        r#"first: SetSecurityUser { Agent = "configadmin" Default -> x }
x: ListAgents { Default -> done }"#,
    );
    let Value::List(agents) = &r.variables["Agents"] else {
        panic!("{:?}", r.variables)
    };
    let names: Vec<String> = agents
        .iter()
        .map(|a| studioflow::runtime::Value::to_text(&a.to_json()["department"].clone().into()))
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|d| d == "Boston"), "{names:?}");
}

#[test]
fn set_security_user_is_not_available_in_email_scripts() {
    let diags = Engine::demo()
        .compile(
            "script \"Mail\" type Email\nstart: Begin { Default -> a }\na: SetSecurityUser { Agent = \"sysadmin\" }",
            "mail.script",
        )
        .unwrap_err();
    assert!(
        diags
            .to_string()
            .contains("SetSecurityUser is not supported in Email scripts"),
        "{diags}"
    );
}

#[test]
fn a_user_deactivated_meanwhile_loses_every_right_at_the_next_call() {
    use studioflow::permissions::AgentStatus;
    use studioflow::{ActionCall, ActionError, ActionSchema, BranchId};
    // A host action standing in for an administrator deactivating the
    // employee profile while the script runs.
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .register_action(
            ActionSchema::new("DeactivateSysadmin"),
            |call: &mut ActionCall<'_>| -> Result<BranchId, ActionError> {
                call.directory()
                    .set_agent_status(1001, AgentStatus::Inactive)?;
                Ok(BranchId::DEFAULT)
            },
        )
        .build();
    let r = run_with(
        &engine,
        &format!(
            r#"first: SetSecurityUser {{ Agent = "sysadmin" Default -> before }}
before: GetRole {{ Role = 1 Default -> off }}
off: DeactivateSysadmin {{ Default -> list }}
{LIST}"#
        ),
        RunOptions::default(),
    );
    assert_eq!(r.variables["Role"].to_json()["name"], "AgentAdmin");
    assert!(!r.variables.contains_key("Listed"));
    assert!(
        err(&r).starts_with("unauthorized.inactiveUser:"),
        "{}",
        err(&r)
    );
    // The hot check agrees with the API path.
    let role = engine.directory().feature_id("role").unwrap();
    assert!(!engine.directory().may_use(1001, role));
}
