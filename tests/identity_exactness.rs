//! Identity safety at script level: ids survive values, templates and JSON
//! exactly (or are refused when the tenant loads), and userNames and role
//! names match under a real Unicode case fold.

use serde_json::json;
use studioflow::permissions::{Directory, MAX_EXACT_ID};
use studioflow::{Engine, Outcome, RunOptions, Value};

fn tenant(agents: serde_json::Value, next_role_id: Option<u64>) -> serde_json::Value {
    let mut doc = json!({
        "businessUnit": {"name": "Edge", "timeZone": "UTC"},
        "roles": [],
        "agents": agents,
    });
    if let Some(next) = next_role_id {
        doc["nextRoleId"] = json!(next);
    }
    doc
}

fn agent(id: u64, user_name: &str, role: &str) -> serde_json::Value {
    json!({"id": id, "userName": user_name, "status": "active", "timeZone": "UTC",
           "role": role, "department": "HQ"})
}

fn engine_for(doc: &serde_json::Value) -> Engine {
    let directory = Directory::from_json_str(&doc.to_string()).expect("tenant loads");
    Engine::builder().directory(directory).build()
}

fn run(engine: &Engine, source: &str) -> studioflow::Run {
    let script = engine.compile(source, "t.script").expect("compiles");
    engine.run(&script, RunOptions::default())
}

fn text(run: &studioflow::Run, path: &[&str]) -> String {
    let mut json = run.variables[path[0]].to_json();
    for key in &path[1..] {
        json = json[*key].clone();
    }
    match json {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// The issue's reproduction: lowpriv 2^53 + 1, bigadmin 2^53.
#[test]
fn ids_a_script_cannot_carry_exactly_are_refused_with_their_place() {
    let doc = tenant(
        json!([
            agent(9_007_199_254_740_992, "bigadmin", "SystemAdmin"),
            agent(9_007_199_254_740_993, "lowpriv", "AgentAdmin"),
        ]),
        None,
    );
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "agents[0].id: 9007199254740992 is too large: ids and changeStamps go up to \
         9007199254740991 (2^53 - 1), the largest whole number a script carries exactly"
    );

    let doc = tenant(
        json!([agent(1001, "a", "SystemAdmin")]),
        Some(MAX_EXACT_ID + 2),
    );
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(e.place(), Some("nextRoleId"));

    let mut doc = tenant(json!([]), None);
    doc["roles"] = json!([{"id": 9_007_199_254_740_993u64, "name": "Big", "accessList": []}]);
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(e.place(), Some("roles[0].id"));
    doc["roles"] = json!([{"id": 5000, "name": "Big", "accessList": [], "changeStamp": 9_007_199_254_740_992u64}]);
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(e.place(), Some("roles[0].changeStamp"));
}

#[test]
fn the_largest_ids_round_trip_through_templates_and_pick_the_same_person() {
    let doc = tenant(
        json!([
            agent(MAX_EXACT_ID - 1, "bigadmin", "SystemAdmin"),
            agent(MAX_EXACT_ID, "lowpriv", "AgentAdmin"),
        ]),
        None,
    );
    let engine = engine_for(&doc);
    let run = run(
        &engine,
        r#"
start: Begin { Default -> me }
me: SetSecurityUser { Agent = "lowpriv" Default -> again }
again: SetSecurityUser { Agent = "{SecurityUser.agentId}" ScriptVariable = Again Default -> bare }
bare: SetSecurityUser { Agent = SecurityUser.agentId ScriptVariable = Bare Default -> done }
done: End
"#,
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(text(&run, &["Again", "userName"]), "lowpriv");
    assert_eq!(text(&run, &["Bare", "userName"]), "lowpriv");
    assert_eq!(text(&run, &["Again", "agentId"]), MAX_EXACT_ID.to_string());
}

#[test]
fn role_ids_stop_at_the_exact_maximum() {
    let doc = tenant(
        json!([agent(1001, "sysadmin", "SystemAdmin")]),
        Some(MAX_EXACT_ID),
    );
    let engine = engine_for(&doc);
    let run = run(
        &engine,
        r#"
start: Begin { Default -> me }
me: SetSecurityUser { Agent = "sysadmin" Default -> make }
make: CreateRole { Name = "Last" Default -> get }
get: GetRole { Role = "{Role.id}" ScriptVariable = Got Default -> more }
more: CreateRole { Name = "OneTooMany" ScriptVariable = Extra Default -> done Error -> done }
done: End
"#,
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    let id = MAX_EXACT_ID.to_string();
    assert_eq!(text(&run, &["Role", "id"]), id);
    assert!(text(&run, &["Role", "refURL"]).ends_with(&format!("/{id}")));
    assert_eq!(text(&run, &["Got", "name"]), "Last");
    assert_eq!(text(&run, &["Got", "id"]), id);
    assert!(!run.variables.contains_key("Extra"));
    let err = run.variables["_ERR"].to_json();
    assert!(
        err.as_str().unwrap().starts_with("invalidInput.outOfRange"),
        "{err}"
    );
}

/// Runs one `SetSecurityUser` per reference and returns the agent id each picked.
fn agent_ids_picked(doc: &serde_json::Value, references: &[&str]) -> Vec<String> {
    let mut source = String::from("start: Begin { Default -> a0 }\n");
    for (i, reference) in references.iter().enumerate() {
        source.push_str(&format!(
            "a{i}: SetSecurityUser {{ Agent = \"{reference}\" ScriptVariable = U{i} Default -> a{} }}\n",
            i + 1
        ));
    }
    source.push_str(&format!("a{}: End\n", references.len()));
    let run = run(&engine_for(doc), &source);
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    (0..references.len())
        .map(|i| text(&run, &[&format!("U{i}"), "agentId"]))
        .collect()
}

#[test]
fn numeric_references_are_exact_and_canonical() {
    // A userName that looks like an id beyond the exact range is a name,
    // and "01001" is not agent 1001.
    let doc = tenant(
        json!([
            agent(1001, "sysadmin", "SystemAdmin"),
            agent(1002, "9007199254740993", "AgentAdmin"),
            agent(1003, "01001", "AgentAdmin"),
        ]),
        None,
    );
    assert_eq!(
        agent_ids_picked(&doc, &["9007199254740993", "01001", "1001"]),
        ["1002", "1003", "1001"]
    );
}

#[test]
fn user_names_match_under_unicode_case_folding() {
    let doc = tenant(
        json!([
            agent(1001, "sysadmin", "SystemAdmin"),
            agent(1002, "ǅmir", "AgentAdmin"),
            agent(1003, "Straße", "AgentAdmin"),
        ]),
        None,
    );
    assert_eq!(
        agent_ids_picked(&doc, &["ǅmir", "ǆMIR", "ǄMIR", "STRASSE"]),
        ["1002", "1002", "1002", "1003"]
    );
    // The Agent and Role APIs resolve references the same way.
    let run = run(
        &engine_for(&doc),
        r#"
start: Begin { Default -> me }
me: SetSecurityUser { Agent = "sysadmin" Default -> get }
get: GetAgent { Agent = "ǅMIR" Default -> role }
role: GetRole { Role = "ſystemadmin" ScriptVariable = R Default -> done }
done: End
"#,
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(text(&run, &["Agent", "userName"]), "ǅmir");
    assert_eq!(text(&run, &["R", "name"]), "SystemAdmin");
    assert_eq!(run.variables.get("_ERR"), None::<&Value>);
}

#[test]
fn uniqueness_uses_the_same_fold() {
    let doc = tenant(
        json!([
            agent(1001, "ǅmir", "SystemAdmin"),
            agent(1002, "ǆmir", "AgentAdmin"),
        ]),
        None,
    );
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "agents[1].userName: duplicate userName \"ǆmir\" (also agents[0])"
    );
    let doc = tenant(
        json!([
            agent(1001, "Strasse", "SystemAdmin"),
            agent(1002, "STRAßE", "AgentAdmin")
        ]),
        None,
    );
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(e.place(), Some("agents[1].userName"));

    let mut doc = tenant(json!([]), None);
    doc["roles"] = json!([
        {"id": 5000, "name": "lead", "accessList": []},
        {"id": 5001, "name": "LEAD", "accessList": []},
    ]);
    let e = Directory::from_json_str(&doc.to_string()).unwrap_err();
    assert_eq!(e.place(), Some("roles[1].name"));
}
