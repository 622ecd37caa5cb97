//! Tenant file loading (one test per error kind, each naming its JSON place),
//! atomic saving, round trips, and ids never reused across save + load.

use serde_json::{json, Value};
use studioflow::permissions::{Directory, LoadError, RoleDraft, RolePatch};

const SYSADMIN: u64 = 1001;

/// A small valid tenant to break in one place at a time.
fn base() -> Value {
    json!({
        "businessUnit": {"name": "Test BU", "timeZone": "UTC"},
        "roles": [
            {"id": 5000, "name": "Lead", "description": "", "accessList": ["agent", "calltype", "script"], "changeStamp": 3}
        ],
        "nextRoleId": 5001,
        "agents": [
            {"id": 1, "userName": "bob", "firstName": "Bob", "lastName": "B", "status": "active",
             "timeZone": "UTC", "role": "SystemAdmin", "department": "D", "administers": [], "lastLogin": null},
            {"id": 2, "userName": "amy", "status": "active", "timeZone": "Europe/Paris",
             "role": "Lead", "department": "D"},
            {"id": 3, "userName": "cid", "status": "inactive", "timeZone": "Asia/Tokyo",
             "role": 5000, "department": "E", "administers": ["E"], "lastLogin": "2026-01-02T03:04:05+09:00"},
            {"id": 4, "userName": "dee", "status": "active", "timeZone": "America/Denver", "department": "E"}
        ]
    })
}

/// Loads `doc` and returns the error text.
fn error_of(doc: &Value) -> String {
    let text = serde_json::to_string_pretty(doc).unwrap();
    match Directory::from_json_str(&text) {
        Ok(_) => panic!("expected a load error for {text}"),
        Err(error) => error.to_string(),
    }
}

fn with(mutate: impl FnOnce(&mut Value)) -> String {
    let mut doc = base();
    mutate(&mut doc);
    error_of(&doc)
}

#[test]
fn base_loads() {
    const BOB: u64 = 1;
    let directory = Directory::from_json_str(&base().to_string()).unwrap();
    assert_eq!(directory.business_unit().name, "Test BU");
    assert_eq!(directory.agent(2).unwrap().role.as_deref(), Some("Lead"));
    assert_eq!(directory.agent(3).unwrap().role.as_deref(), Some("Lead"));
    assert_eq!(directory.agent(4).unwrap().role, None);
    assert_eq!(directory.agent(2).unwrap().first_name, "");
    let lead = directory.get_role(BOB, "Lead").unwrap();
    assert_eq!(lead.change_stamp, 3);
    let names: Vec<&str> = lead.access_list.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["agent", "calltype", "script"]);
}

#[test]
fn json_syntax_error_has_line_and_column() {
    let error =
        Directory::from_json_str("{\n  \"businessUnit\": {\n    \"name\": \"x\",,\n}").unwrap_err();
    assert!(
        matches!(error, LoadError::Syntax { line: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with("line 3, column "), "{error}");
}

#[test]
fn root_must_be_an_object() {
    assert_eq!(
        Directory::from_json_str("[]").unwrap_err().to_string(),
        "(root): expected an object, found an array"
    );
}

#[test]
fn unknown_fields_are_errors() {
    assert_eq!(
        with(|doc| doc["owner"] = json!("me")),
        "owner: unknown field; allowed fields: businessUnit, features, roles, nextRoleId, agents"
    );
    let text = with(|doc| doc["agents"][1]["nickname"] = json!("A"));
    assert!(
        text.starts_with("agents[1].nickname: unknown field; allowed fields: id, userName"),
        "{text}"
    );
    let text = with(|doc| doc["roles"][0]["systemDefined"] = json!(false));
    assert!(
        text.starts_with("roles[0].systemDefined: unknown field"),
        "{text}"
    );
}

#[test]
fn missing_fields_are_named() {
    assert_eq!(
        with(|doc| {
            doc.as_object_mut().unwrap().remove("businessUnit");
        }),
        "businessUnit: missing required field"
    );
    assert_eq!(
        with(|doc| {
            doc["agents"][2].as_object_mut().unwrap().remove("timeZone");
        }),
        "agents[2].timeZone: missing required field"
    );
    assert_eq!(
        with(|doc| {
            doc["roles"][0]
                .as_object_mut()
                .unwrap()
                .remove("accessList");
        }),
        "roles[0].accessList: missing required field"
    );
}

#[test]
fn wrong_types_are_named() {
    assert_eq!(
        with(|doc| doc["agents"][0]["id"] = json!("1")),
        "agents[0].id: expected a non-negative integer, found a string"
    );
    assert_eq!(
        with(|doc| doc["roles"][0]["accessList"] = json!("agent")),
        "roles[0].accessList: expected an array, found a string"
    );
    assert_eq!(
        with(|doc| doc["agents"][1]["role"] = json!(true)),
        "agents[1].role: expected a role name or id, found a boolean"
    );
}

#[test]
fn unknown_time_zones() {
    assert_eq!(
        with(|doc| doc["agents"][3]["timeZone"] = json!("Mars/Base")),
        "agents[3].timeZone: unknown time zone \"Mars/Base\""
    );
    assert_eq!(
        with(|doc| doc["businessUnit"]["timeZone"] = json!("EST5")),
        "businessUnit.timeZone: unknown time zone \"EST5\""
    );
}

#[test]
fn unknown_feature_in_an_access_list() {
    assert_eq!(
        with(|doc| doc["roles"][0]["accessList"][2] = json!("foo")),
        "roles[0].accessList[2]: unknown feature \"foo\""
    );
}

#[test]
fn access_feature_in_a_custom_role() {
    assert_eq!(
        with(|doc| doc["roles"][0]["accessList"][1] = json!("administrator")),
        "roles[0].accessList[1]: feature \"administrator\" is in the access category; only the SystemAdmin role gives it"
    );
}

#[test]
fn duplicate_user_names() {
    assert_eq!(
        with(|doc| doc["agents"][1]["userName"] = json!("BOB")),
        "agents[1].userName: duplicate userName \"BOB\" (also agents[0])"
    );
}

#[test]
fn empty_user_name() {
    assert_eq!(
        with(|doc| doc["agents"][1]["userName"] = json!(" ")),
        "agents[1].userName: must not be empty"
    );
}

#[test]
fn duplicate_agent_ids() {
    assert_eq!(
        with(|doc| doc["agents"][3]["id"] = json!(2)),
        "agents[3].id: duplicate agent id 2 (also agents[1])"
    );
}

#[test]
fn unknown_roles() {
    assert_eq!(
        with(|doc| doc["agents"][2]["role"] = json!("x")),
        "agents[2].role: unknown role \"x\""
    );
    assert_eq!(
        with(|doc| doc["agents"][2]["role"] = json!(77)),
        "agents[2].role: unknown role \"77\""
    );
}

#[test]
fn bad_status_and_timestamp() {
    assert_eq!(
        with(|doc| doc["agents"][0]["status"] = json!("Active")),
        "agents[0].status: invalid status \"Active\"; use active or inactive"
    );
    let text = with(|doc| doc["agents"][0]["lastLogin"] = json!("yesterday"));
    assert!(
        text.starts_with("agents[0].lastLogin: invalid timestamp \"yesterday\""),
        "{text}"
    );
}

#[test]
fn role_id_problems() {
    assert_eq!(
        with(|doc| doc["roles"][0]["id"] = json!(4)),
        "roles[0].id: custom role ids start at 5000; 4 is reserved"
    );
    assert_eq!(
        with(|doc| {
            let copy = json!({"id": 5000, "name": "Other", "accessList": []});
            doc["roles"].as_array_mut().unwrap().push(copy);
        }),
        "roles[1].id: duplicate role id 5000 (also roles[0])"
    );
}

#[test]
fn role_name_problems() {
    assert_eq!(
        with(|doc| doc["roles"][0]["name"] = json!("systemadmin")),
        "roles[0].name: duplicate role name \"systemadmin\" (also built-in role SystemAdmin)"
    );
    assert_eq!(
        with(|doc| {
            let copy = json!({"id": 5001, "name": "LEAD", "accessList": []});
            doc["roles"].as_array_mut().unwrap().push(copy);
            doc["nextRoleId"] = json!(5002);
        }),
        "roles[1].name: duplicate role name \"LEAD\" (also roles[0])"
    );
    let text = with(|doc| doc["roles"][0]["name"] = json!("team lead"));
    assert!(
        text.starts_with("roles[0].name: invalid role name \"team lead\""),
        "{text}"
    );
    assert_eq!(
        with(|doc| doc["roles"][0]["name"] = json!("")),
        "roles[0].name: must not be empty"
    );
}

#[test]
fn description_too_long() {
    assert_eq!(
        with(|doc| doc["roles"][0]["description"] = json!("x".repeat(256))),
        "roles[0].description: has 256 characters; at most 255 are allowed"
    );
}

#[test]
fn next_role_id_must_not_reuse_ids() {
    assert_eq!(
        with(|doc| doc["nextRoleId"] = json!(5000)),
        "nextRoleId: nextRoleId 5000 must be at least 5001 (above every role id)"
    );
    // Absent: one past the highest id.
    let mut doc = base();
    doc.as_object_mut().unwrap().remove("nextRoleId");
    let directory = Directory::from_json_str(&doc.to_string()).unwrap();
    let created = directory
        .create_role(
            1,
            RoleDraft {
                name: "N".into(),
                ..RoleDraft::default()
            },
        )
        .unwrap();
    assert_eq!(created.id, 5001);
}

fn custom_catalog(extra: Vec<Value>) -> Vec<Value> {
    let mut features = vec![
        json!({"name": "agent", "category": "agent"}),
        json!({"name": "role", "category": "access"}),
        json!({"name": "script", "category": "system"}),
        json!({"name": "bulkjob", "category": "system"}),
        json!({"name": "calltype", "category": "call"}),
    ];
    features.extend(extra);
    features
}

#[test]
fn custom_catalogs_load_and_are_saved() {
    let mut doc = base();
    doc["features"] = json!(custom_catalog(vec![]));
    let directory = Directory::from_json_str(&doc.to_string()).unwrap();
    assert_eq!(directory.catalog().len(), 5);
    assert_eq!(directory.to_tenant_json()["features"], doc["features"]);
    // The default catalog is not written out.
    let default = Directory::from_json_str(&base().to_string()).unwrap();
    assert!(default.to_tenant_json().get("features").is_none());
}

#[test]
fn catalog_problems() {
    let too_many: Vec<Value> = (0..124)
        .map(|i| json!({"name": format!("f{i}"), "category": "call"}))
        .collect();
    assert_eq!(
        with(|doc| doc["features"] = json!(custom_catalog(too_many))),
        "features: the catalog has 129 features; at most 128 are supported"
    );
    let exactly: Vec<Value> = (0..123)
        .map(|i| json!({"name": format!("f{i}"), "category": "call"}))
        .collect();
    let mut doc = base();
    doc["features"] = json!(custom_catalog(exactly));
    assert_eq!(
        Directory::from_json_str(&doc.to_string())
            .unwrap()
            .catalog()
            .len(),
        128
    );

    assert_eq!(
        with(|doc| doc["features"] = json!(custom_catalog(vec![
            json!({"name": "agent", "category": "agent"})
        ]))),
        "features[5].name: duplicate feature \"agent\" (also features[0])"
    );
    assert_eq!(
        with(|doc| doc["features"] = json!(custom_catalog(vec![json!({"name": "Bad", "category": "agent"})]))),
        "features[5].name: invalid feature name \"Bad\": use 1 to 32 lowercase letters, digits, '.' or '_', starting with a letter"
    );
    assert_eq!(
        with(|doc| doc["features"] = json!(custom_catalog(vec![
            json!({"name": "x", "category": "misc"})
        ]))),
        "features[5].category: unknown category \"misc\"; use agent, call, system or access"
    );
    assert_eq!(
        with(|doc| doc["features"] = json!([{"name": "agent", "category": "agent"}])),
        "features: the catalog must contain feature \"role\" with category \"access\""
    );
    assert_eq!(
        with(|doc| {
            let mut features = custom_catalog(vec![]);
            features[2] = json!({"name": "script", "category": "call"});
            doc["features"] = json!(features);
        }),
        "features[2].category: feature \"script\" must have category \"system\", not \"call\""
    );
}

#[test]
fn load_file_errors_name_the_file() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("nope.json");
    let error = Directory::load_file(&missing).unwrap_err();
    assert!(matches!(error, LoadError::File(_)));
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: cannot read: ", missing.display())),
        "{error}"
    );

    let bad = folder.path().join("bad.json");
    let mut doc = base();
    doc["agents"][3]["timeZone"] = json!("Mars/Base");
    std::fs::write(&bad, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let error = Directory::load_file(&bad).unwrap_err();
    assert_eq!(error.place(), Some("agents[3].timeZone"));
    assert_eq!(
        error.to_string(),
        format!(
            "{}: agents[3].timeZone: unknown time zone \"Mars/Base\"",
            bad.display()
        )
    );
}

// ----- saving ------------------------------------------------------------------------

fn leftovers(folder: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

#[test]
fn save_and_load_round_trip() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tenant.json");
    let directory = Directory::demo();
    directory
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "Auditor".into(),
                description: Some("Reads call data".into()),
                access_list: vec!["dialednumber".into(), "calltype".into()],
            },
        )
        .unwrap();
    directory
        .update_role(
            SYSADMIN,
            "Supervisor",
            0,
            RolePatch {
                description: Some("changed".into()),
                ..RolePatch::default()
            },
        )
        .unwrap();
    directory.save_file(&path).unwrap();
    assert!(leftovers(folder.path()).is_empty());
    let loaded = Directory::load_file(&path).unwrap();
    assert_eq!(loaded.to_tenant_json(), directory.to_tenant_json());
    assert_eq!(loaded.roles(), directory.roles());
    let supervisor = loaded.get_role(SYSADMIN, "Supervisor").unwrap();
    assert_eq!(supervisor.change_stamp, 1);
    assert_eq!(supervisor.description, "changed");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["nextRoleId"], json!(5002));
    for id in [1001u64, 1003, 1006] {
        assert_eq!(loaded.agent(id), directory.agent(id));
    }
    // Saving again over the existing file works and leaves no temp file.
    loaded.save_file(&path).unwrap();
    assert!(leftovers(folder.path()).is_empty());
}

#[test]
fn ids_are_never_reused_across_save_and_load() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tenant.json");
    let directory = Directory::demo();
    let temp = directory
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "Temp".into(),
                ..RoleDraft::default()
            },
        )
        .unwrap();
    assert_eq!(temp.id, 5001);
    directory.delete_role(SYSADMIN, "Temp").unwrap();
    directory.save_file(&path).unwrap();
    let loaded = Directory::load_file(&path).unwrap();
    let again = loaded
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "Temp".into(),
                ..RoleDraft::default()
            },
        )
        .unwrap();
    assert_eq!(again.id, 5002);
}

#[test]
fn failed_save_leaves_the_old_file_and_no_temp() {
    let folder = tempfile::tempdir().unwrap();
    // The target is a non-empty folder: refused, untouched.
    let target = folder.path().join("occupied");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let error = Directory::demo().save_file(&target).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{}: not a regular file (a directory)", target.display())
    );
    assert!(leftovers(folder.path()).is_empty());
    assert!(target.join("keep").exists());
    // A folder that does not exist: the error names the target, not a temporary file.
    let missing = folder.path().join("no/such/dir/t.json");
    let error = Directory::demo().save_file(&missing).unwrap_err();
    assert!(
        error.to_string().starts_with(&format!(
            "{}: cannot use the folder {}: ",
            missing.display(),
            folder.path().join("no/such/dir").display()
        )),
        "{error}"
    );
    assert!(!error.to_string().contains("studioflow-"), "{error}");
}

#[test]
fn digit_only_role_names_survive_a_round_trip() {
    let directory = Directory::demo();
    // "5000" is Supervisor's id, so a role named "5000" must be saved by id.
    let shadow = directory
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "5000".into(),
                ..RoleDraft::default()
            },
        )
        .unwrap();
    let mut doc = directory.to_tenant_json();
    doc["agents"][6]["role"] = json!(shadow.id);
    let reloaded = Directory::from_json_str(&doc.to_string()).unwrap();
    assert_eq!(reloaded.agent(1007).unwrap().role.as_deref(), Some("5000"));
    let saved = reloaded.to_tenant_json();
    assert_eq!(saved["agents"][6]["role"], json!(shadow.id));
    let again = Directory::from_json_str(&saved.to_string()).unwrap();
    assert_eq!(again.to_tenant_json(), saved);
}

#[test]
fn duplicate_keys_are_refused_with_their_place() {
    let text = serde_json::to_string_pretty(&base()).unwrap();
    // Repeat a key inside agents[2] (JSON parsers would keep the last silently).
    let marker = "\"userName\": \"cid\"";
    assert!(text.contains(marker), "{text}");
    let doubled = text.replacen(marker, &format!("{marker}, \"userName\": \"mallory\""), 1);
    let error = Directory::from_json_str(&doubled).unwrap_err();
    assert_eq!(error.place(), Some("agents[2]"));
    assert_eq!(error.to_string(), "agents[2]: duplicate key \"userName\"");
    // An escalating role given twice: refused, not "last wins".
    let doubled = text.replacen(
        "\"nextRoleId\": 5001",
        "\"nextRoleId\": 5001, \"nextRoleId\": 5001",
        1,
    );
    assert_eq!(
        Directory::from_json_str(&doubled).unwrap_err().to_string(),
        "(root): duplicate key \"nextRoleId\""
    );
    let doubled = text.replacen(
        "\"timeZone\": \"UTC\"",
        "\"timeZone\": \"UTC\", \"timeZone\": \"UTC\"",
        1,
    );
    assert_eq!(
        Directory::from_json_str(&doubled).unwrap_err().to_string(),
        "businessUnit: duplicate key \"timeZone\""
    );
}

#[test]
fn a_held_tenant_file_is_not_saved_over_a_change_made_since_loading() {
    use studioflow::files::DEFAULT_MAX_INPUT_BYTES;
    use studioflow::permissions::{SaveError, TenantFile};
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("tenant.json");
    Directory::demo().save_file(&path).unwrap();

    // Unchanged: saved, and the update is there.
    let (held, directory) = TenantFile::open(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert!(held.is_file(&path));
    directory
        .update_role(1001, "Supervisor", 0, RolePatch::default())
        .unwrap();
    held.save(&directory).unwrap();
    drop(held);
    let reloaded = Directory::load_file(&path).unwrap();
    assert_eq!(
        reloaded.get_role(1001, "Supervisor").unwrap().change_stamp,
        1
    );

    // A writer that ignores the lock changes the file in place, then another
    // replaces it: either way the held copy refuses to save over it.
    for replace in [false, true] {
        let (held, directory) = TenantFile::open(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
        let mut edited: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        edited["businessUnit"]["name"] = json!(format!("Edited {replace}"));
        let text = serde_json::to_string_pretty(&edited).unwrap();
        if replace {
            let other = folder.path().join("other.json");
            std::fs::write(&other, &text).unwrap();
            std::fs::rename(&other, &path).unwrap();
        } else {
            std::fs::write(&path, &text).unwrap();
        }
        let error = held.save(&directory).unwrap_err();
        assert!(matches!(error, SaveError::Changed { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "{}: the tenant file changed since it was loaded; not saved (run again on the new content)",
                path.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
