//! Role API behaviour: escalation attempts, validation, views, lost-update
//! protection (also across threads), and security-user resolution.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use serde_json::json;
use studioflow::permissions::{ApiError, Directory, RoleDraft, RolePatch, RoleView};

const SYSADMIN: u64 = 1001;
const CONFIGADMIN: u64 = 1002;
const SUPERVISOR: u64 = 1005;
const FORMER: u64 = 1006;
const NOROLE: u64 = 1007;

fn draft(name: &str, features: &[&str]) -> RoleDraft {
    RoleDraft {
        name: name.into(),
        description: None,
        access_list: features.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn types_of(error: &ApiError) -> Vec<(&str, &str)> {
    error
        .errors
        .iter()
        .map(|item| (item.error_type.as_str(), item.error_data.as_str()))
        .collect()
}

// ----- escalation attempts ---------------------------------------------------

#[test]
fn config_admin_cannot_create_a_role() {
    let directory = Directory::demo();
    let error = directory
        .create_role(CONFIGADMIN, draft("Escalate", &["role"]))
        .unwrap_err();
    assert_eq!(error.error_type(), "forbidden");
    assert_eq!(error.errors[0].error_data, "role");
    assert!(error
        .to_string()
        .starts_with("forbidden: role \"ConfigAdmin\""));
    assert!(directory.get_role(SYSADMIN, "Escalate").is_err());
}

#[test]
fn custom_roles_cannot_hold_access_features() {
    let directory = Directory::demo();
    for feature in ["role", "administrator", "department", "ROLE"] {
        let error = directory
            .create_role(SYSADMIN, draft("Sneaky", &["agent", feature]))
            .unwrap_err();
        assert_eq!(
            types_of(&error),
            vec![("invalidInput.accessFeature", "accessList")]
        );
    }
    // Not through an update either.
    let error = directory
        .update_role(
            SYSADMIN,
            "Supervisor",
            0,
            RolePatch {
                access_list: Some(vec!["attribute".into(), "administrator".into()]),
                ..RolePatch::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        types_of(&error),
        vec![("invalidInput.accessFeature", "accessList")]
    );
    assert_eq!(
        directory
            .get_role(SYSADMIN, "Supervisor")
            .unwrap()
            .change_stamp,
        0
    );
}

#[test]
fn built_ins_cannot_be_updated_or_deleted() {
    let directory = Directory::demo();
    for name in [
        "AgentAdmin",
        "ScriptAdmin",
        "ConfigAdmin",
        "SystemAdmin",
        "1",
        "4",
    ] {
        let error = directory
            .update_role(
                SYSADMIN,
                name,
                0,
                RolePatch {
                    description: Some("mine now".into()),
                    ..RolePatch::default()
                },
            )
            .unwrap_err();
        assert_eq!(error.error_type(), "invalidInput.builtInRole", "{name}");
        let error = directory.delete_role(SYSADMIN, name).unwrap_err();
        assert_eq!(error.error_type(), "invalidInput.builtInRole", "{name}");
    }
    assert_eq!(directory.roles().len(), 5);
}

#[test]
fn a_role_in_use_cannot_be_deleted() {
    let directory = Directory::demo();
    let error = directory.delete_role(SYSADMIN, "supervisor").unwrap_err();
    assert_eq!(
        types_of(&error),
        vec![("invalidInput.roleInUse", "administrators")]
    );
    assert_eq!(
        error.to_string(),
        "invalidInput.roleInUse: role \"Supervisor\" is held by 1 user (supervisor), reassign them first"
    );
    assert!(directory.get_role(SYSADMIN, "5000").is_ok());
}

#[test]
fn renaming_to_a_built_in_name_in_another_case_is_refused() {
    let directory = Directory::demo();
    let error = directory
        .update_role(
            SYSADMIN,
            "Supervisor",
            0,
            RolePatch {
                name: Some("systemadmin".into()),
                ..RolePatch::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        types_of(&error),
        vec![("invalidInput.duplicateName", "name")]
    );
    assert_eq!(
        error.to_string(),
        "invalidInput.duplicateName: a role named \"SystemAdmin\" already exists"
    );
    let error = directory
        .create_role(SYSADMIN, draft("AGENTADMIN", &[]))
        .unwrap_err();
    assert_eq!(error.error_type(), "invalidInput.duplicateName");
    // Renaming a role to its own name in another case is fine.
    let renamed = directory
        .update_role(
            SYSADMIN,
            "Supervisor",
            0,
            RolePatch {
                name: Some("SUPERVISOR".into()),
                ..RolePatch::default()
            },
        )
        .unwrap();
    assert_eq!(renamed.name, "SUPERVISOR");
    assert_eq!(renamed.change_stamp, 1);
}

#[test]
fn inactive_and_roleless_users_cannot_touch_roles() {
    let directory = Directory::demo();
    let error = directory.create_role(FORMER, draft("X", &[])).unwrap_err();
    assert_eq!(error.error_type(), "unauthorized.inactiveUser");
    assert_eq!(
        error.to_string(),
        "unauthorized.inactiveUser: user \"former\" is inactive"
    );
    let error = directory.delete_role(NOROLE, "Supervisor").unwrap_err();
    assert_eq!(error.error_type(), "forbidden");
    let error = directory.get_role(SUPERVISOR, "Supervisor").unwrap_err();
    assert_eq!(error.error_type(), "forbidden");
}

// ----- validation ----------------------------------------------------------------

#[test]
fn create_reports_every_field_problem_at_once() {
    let directory = Directory::demo();
    let error = directory
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "bad name!".into(),
                description: Some("d".repeat(256)),
                access_list: vec!["nosuch".into(), "role".into(), "agent".into()],
            },
        )
        .unwrap_err();
    assert_eq!(
        types_of(&error),
        vec![
            ("invalidInput.invalidCharacters", "name"),
            ("invalidInput.fieldLengthExceeded", "description"),
            ("invalidInput.unknownFeature", "accessList"),
            ("invalidInput.accessFeature", "accessList"),
        ]
    );
    let text = error.to_string();
    assert_eq!(text.matches("; ").count(), 3, "{text}");
    assert!(!text.contains('\n'));
}

#[test]
fn name_rules() {
    let directory = Directory::demo();
    let cases: [(&str, Option<&str>); 8] = [
        ("", Some("invalidInput.missingField")),
        (&"n".repeat(33), Some("invalidInput.fieldLengthExceeded")),
        ("_lead", Some("invalidInput.invalidCharacters")),
        (".lead", Some("invalidInput.invalidCharacters")),
        ("team lead", Some("invalidInput.invalidCharacters")),
        ("équipe", Some("invalidInput.invalidCharacters")),
        ("Team_Lead.2", None),
        ("42", None),
    ];
    for (name, expected) in cases {
        let outcome = directory.create_role(SYSADMIN, draft(name, &[]));
        assert_eq!(
            outcome.as_ref().err().map(ApiError::error_type),
            expected,
            "name {name:?}"
        );
    }
    // 32 characters and a 255-character description are allowed.
    let long = directory
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "a".repeat(32),
                description: Some("é".repeat(255)),
                access_list: vec![],
            },
        )
        .unwrap();
    assert_eq!(long.description.chars().count(), 255);
}

#[test]
fn created_role_view_has_the_pcce_shape() {
    let directory = Directory::demo();
    let view = directory
        .create_role(
            SYSADMIN,
            RoleDraft {
                name: "testAttribute".into(),
                description: Some("testAttribute".into()),
                // Out of order, repeated and in another case: stored once, in catalog order.
                access_list: vec![
                    "bucketinterval".into(),
                    "reasoncode".into(),
                    "Attribute".into(),
                    "reasoncode".into(),
                ],
            },
        )
        .unwrap();
    let expected = json!({
        "id": 5001,
        "name": "testAttribute",
        "description": "testAttribute",
        "systemDefined": false,
        "changeStamp": 0,
        "refURL": "/unifiedconfig/config/role/5001",
        "accessList": [
            {"name": "attribute", "category": "agent"},
            {"name": "reasoncode", "category": "agent"},
            {"name": "bucketinterval", "category": "call"}
        ],
        "administrators": []
    });
    let text = serde_json::to_string(&view).unwrap();
    assert_eq!(
        text,
        serde_json::to_string(&expected).unwrap(),
        "key order too"
    );
    assert_eq!(view.to_json(), expected);
}

#[test]
fn supervisor_view_lists_its_administrator() {
    let directory = Directory::demo();
    let view: RoleView = directory.get_role(SYSADMIN, "SUPERVISOR").unwrap();
    assert_eq!(
        serde_json::to_value(&view).unwrap(),
        json!({
            "id": 5000,
            "name": "Supervisor",
            "description": "Team supervisors",
            "systemDefined": false,
            "changeStamp": 0,
            "refURL": "/unifiedconfig/config/role/5000",
            "accessList": [
                {"name": "attribute", "category": "agent"},
                {"name": "reasoncode", "category": "agent"},
                {"name": "bucketinterval", "category": "call"}
            ],
            "administrators": [
                {"userName": "supervisor", "refURL": "/unifiedconfig/config/administrator/1005"}
            ]
        })
    );
    // Inactive holders are listed too.
    let admins: Vec<String> = directory
        .get_role(SYSADMIN, "SystemAdmin")
        .unwrap()
        .administrators
        .into_iter()
        .map(|admin| admin.user_name)
        .collect();
    assert_eq!(admins, vec!["sysadmin", "former"]);
}

#[test]
fn references_are_ids_first_then_names() {
    let directory = Directory::demo();
    // A role whose name is all digits and equals no id is found by name.
    let digits = directory.create_role(SYSADMIN, draft("123", &[])).unwrap();
    assert_eq!(directory.get_role(SYSADMIN, "123").unwrap().id, digits.id);
    // A role named like an existing id loses to the id.
    let shadow = directory.create_role(SYSADMIN, draft("5000", &[])).unwrap();
    assert_eq!(
        directory.get_role(SYSADMIN, "5000").unwrap().name,
        "Supervisor"
    );
    assert_ne!(shadow.id, 5000);
    let error = directory.get_role(SYSADMIN, "nosuch").unwrap_err();
    assert_eq!(error.to_string(), "notFound: role \"nosuch\" not found");
    let error = directory.get_agent(SYSADMIN, "nobody").unwrap_err();
    assert_eq!(error.to_string(), "notFound: agent \"nobody\" not found");
    assert_eq!(directory.get_agent(SYSADMIN, "SysAdmin").unwrap().id, 1001);
    assert_eq!(
        directory.get_agent(SYSADMIN, "1005").unwrap().user_name,
        "supervisor"
    );
}

#[test]
fn update_keeps_unset_fields_and_bumps_the_stamp() {
    let directory = Directory::demo();
    let updated = directory
        .update_role(
            SYSADMIN,
            "Supervisor",
            0,
            RolePatch {
                description: Some("Floor supervisors".into()),
                ..RolePatch::default()
            },
        )
        .unwrap();
    assert_eq!(updated.name, "Supervisor");
    assert_eq!(updated.description, "Floor supervisors");
    assert_eq!(updated.access_list.len(), 3);
    assert_eq!(updated.change_stamp, 1);
    let emptied = directory
        .update_role(
            SYSADMIN,
            "5000",
            1,
            RolePatch {
                access_list: Some(vec![]),
                ..RolePatch::default()
            },
        )
        .unwrap();
    assert!(emptied.access_list.is_empty());
    assert_eq!(emptied.change_stamp, 2);
    // The holder's rights follow the role at once.
    let attribute = directory.feature_id("attribute").unwrap();
    assert!(!directory.may_use(SUPERVISOR, attribute));
}

#[test]
fn delete_returns_the_role_and_ids_are_not_reused() {
    let directory = Directory::demo();
    let created = directory
        .create_role(SYSADMIN, draft("Temp", &["agent"]))
        .unwrap();
    assert_eq!(created.id, 5001);
    let deleted = directory.delete_role(SYSADMIN, "temp").unwrap();
    assert_eq!(deleted.id, 5001);
    assert_eq!(deleted.name, "Temp");
    assert_eq!(
        directory
            .get_role(SYSADMIN, "Temp")
            .unwrap_err()
            .error_type(),
        "notFound"
    );
    let again = directory.create_role(SYSADMIN, draft("Temp", &[])).unwrap();
    assert_eq!(again.id, 5002);
}

// ----- lost-update protection --------------------------------------------------------

fn describe(directory: &Directory, stamp: u64, text: &str) -> Result<RoleView, ApiError> {
    directory.update_role(
        SYSADMIN,
        "Supervisor",
        stamp,
        RolePatch {
            description: Some(text.into()),
            ..RolePatch::default()
        },
    )
}

#[test]
fn two_updates_with_the_same_stamp_one_wins() {
    let directory = Directory::demo();
    let first = describe(&directory, 0, "first");
    let second = describe(&directory, 0, "second");
    assert!(first.is_ok());
    let error = second.unwrap_err();
    assert_eq!(
        types_of(&error),
        vec![("invalidInput.staleChangeStamp", "changeStamp")]
    );
    assert_eq!(
        error.to_string(),
        "invalidInput.staleChangeStamp: changeStamp 0 is stale: role \"Supervisor\" is at changeStamp 1, get the role again and retry"
    );
    let role = directory.get_role(SYSADMIN, "Supervisor").unwrap();
    assert_eq!(role.description, "first");
    assert_eq!(role.change_stamp, 1);
    // A stamp from the future is just as wrong.
    assert!(describe(&directory, 7, "future").is_err());
}

#[test]
fn concurrent_updates_never_lose_one() {
    const THREADS: usize = 8;
    const ATTEMPTS: usize = 300;
    let directory = Directory::demo();
    let successes = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|thread| {
            let directory = directory.clone();
            let successes = Arc::clone(&successes);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut won_stamps = Vec::new();
                for attempt in 0..ATTEMPTS {
                    let current = directory
                        .get_role(SYSADMIN, "Supervisor")
                        .unwrap()
                        .change_stamp;
                    // Every third attempt deliberately uses an older stamp.
                    let stamp = if attempt % 3 == 2 {
                        current.saturating_sub(1)
                    } else {
                        current
                    };
                    match describe(&directory, stamp, &format!("t{thread} a{attempt}")) {
                        Ok(view) => {
                            assert_eq!(view.change_stamp, stamp + 1);
                            won_stamps.push(stamp);
                            successes.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(error) => {
                            assert_eq!(error.error_type(), "invalidInput.staleChangeStamp")
                        }
                    }
                }
                won_stamps
            })
        })
        .collect();
    let mut won: Vec<u64> = handles
        .into_iter()
        .flat_map(|handle| handle.join().unwrap())
        .collect();
    let total = successes.load(Ordering::SeqCst);
    let role = directory.get_role(SYSADMIN, "Supervisor").unwrap();
    assert_eq!(role.change_stamp, total as u64);
    // Each stamp value was won exactly once: 0, 1, ..., total - 1.
    won.sort_unstable();
    assert_eq!(won, (0..total as u64).collect::<Vec<_>>());
    assert!(total > 0);
}

#[test]
fn concurrent_creates_with_one_name_yield_one_role() {
    let directory = Directory::demo();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let directory = directory.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                directory
                    .create_role(SYSADMIN, draft("Racer", &[]))
                    .map(|view| view.id)
                    .map_err(|error| error.error_type().to_owned())
            })
        })
        .collect();
    let outcomes: Vec<Result<u64, String>> = handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    let wins = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(wins, 1);
    for outcome in &outcomes {
        if let Err(kind) = outcome {
            assert_eq!(kind, "invalidInput.duplicateName");
        }
    }
}

#[test]
fn concurrent_creates_get_distinct_ids() {
    let directory = Directory::demo();
    let handles: Vec<_> = (0..8)
        .map(|thread| {
            let directory = directory.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|n| {
                        directory
                            .create_role(SYSADMIN, draft(&format!("r{thread}_{n}"), &[]))
                            .unwrap()
                            .id
                    })
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut ids: Vec<u64> = handles
        .into_iter()
        .flat_map(|handle| handle.join().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (5001..5201).collect::<Vec<u64>>());
}

// ----- security users --------------------------------------------------------------

#[test]
fn resolving_security_users() {
    let directory = Directory::demo();
    assert_eq!(
        directory.resolve_security_user("1003").unwrap().user_name,
        "scriptadmin"
    );
    assert_eq!(directory.resolve_security_user("NoRole").unwrap().id, 1007);
    let error = directory.resolve_security_user("former").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unauthorized.inactiveUser: user \"former\" is inactive"
    );
    let error = directory.resolve_security_user("ghost").unwrap_err();
    assert_eq!(error.to_string(), "notFound: agent \"ghost\" not found");
    let error = directory.resolve_security_user("").unwrap_err();
    assert_eq!(error.error_type(), "invalidInput.missingField");
    assert!(directory.agent_is_active(1001));
    assert!(!directory.agent_is_active(1006));
    assert!(!directory.agent_is_active(4242));
    assert!(directory.validate_security_user(1001).is_ok());
    assert_eq!(
        directory
            .validate_security_user(1006)
            .unwrap_err()
            .error_type(),
        "unauthorized.inactiveUser"
    );
    assert_eq!(
        directory
            .validate_security_user(4242)
            .unwrap_err()
            .error_type(),
        "unauthorized.invalidSecurityUser"
    );
    assert_eq!(
        ApiError::no_security_user().error_type(),
        "unauthorized.noSecurityUser"
    );
}

#[test]
fn available_features_serialize_as_name_and_category() {
    let directory = Directory::demo();
    let features = directory.available_features(SYSADMIN).unwrap();
    let json = serde_json::to_value(&features).unwrap();
    assert_eq!(json[0], json!({"name": "agent", "category": "agent"}));
    assert_eq!(features.len(), directory.catalog().len());
}
