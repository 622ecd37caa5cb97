//! Test files for contacts: `events`, `[[case.http]]`, `expect.heard`,
//! `expect.outcome = "waiting"`, `expect.unused_events`.

use studioflow::testing::TestRunner;

fn run(script: &str, tests: &str) -> Vec<(String, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flow.script"), script).unwrap();
    std::fs::write(dir.path().join("flow.test.toml"), tests).unwrap();
    let runner = TestRunner::new();
    let file = runner
        .load(dir.path().join("flow.test.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    runner
        .run_file(&file)
        .cases
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.mismatches.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

const HOLD: &str = r#"
start: Begin { Default -> hold }
hold: Wait { Seconds = 10 Default -> after }
after: Assign { Variable = done Value = "yes" Default -> end }
end: End
"#;

#[test]
fn events_drive_the_contact_and_waiting_must_be_expected() {
    let results = run(
        HOLD,
        r#"
[[case]]
name = "time passes"
events = ["wait:4", "wait:6"]
expect.variables = { done = "yes" }

[[case]]
name = "left waiting without saying so"
events = ["wait:4"]

[[case]]
name = "left waiting on purpose"
events = ["wait:4"]
expect.outcome = "waiting"
expect.end = "hold"

[[case]]
name = "an event too many"
events = ["wait:10", "wait:1"]

[[case]]
name = "an event too many, expected"
events = ["wait:10", "hangup"]
expect.unused_events = ["hangup"]

[[case]]
name = "an event that does not fit"
events = ["digits:1"]
"#,
    );
    let by_name = |n: &str| {
        results
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, m)| m.clone())
            .unwrap()
    };
    assert!(
        by_name("time passes").is_empty(),
        "{:?}",
        by_name("time passes")
    );
    let left = by_name("left waiting without saying so");
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].contains("waiting (action `hold` waits for time)"),
        "{left:?}"
    );
    assert!(by_name("left waiting on purpose").is_empty());
    let extra = by_name("an event too many");
    assert!(
        extra.iter().any(|m| m.contains("[\"wait:1\"] unused")),
        "{extra:?}"
    );
    assert!(by_name("an event too many, expected").is_empty());
    let misfit = by_name("an event that does not fit");
    assert!(
        misfit
            .iter()
            .any(|m| m.contains("event `digits:1` does not fit the wait of action `hold`")),
        "{misfit:?}"
    );
}

#[test]
fn bad_events_and_http_mocks_are_load_errors_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flow.script"), HOLD).unwrap();
    std::fs::write(
        dir.path().join("flow.test.toml"),
        r#"
[[case]]
name = "bad"
events = ["digits:12x", "wiat:3"]
[[case.http]]
method = "FETCH"
url = "https://x.example/"
[[case.http]]
url = "https://x.example/"
status = 999
"#,
    )
    .unwrap();
    let errors = TestRunner::new()
        .load_all(dir.path().join("flow.test.toml"))
        .unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let all = text.join("\n");
    assert!(all.contains("`x` is not a key"), "{all}");
    assert!(all.contains("unknown event `wiat:3`"), "{all}");
    assert!(all.contains("method \"FETCH\""), "{all}");
    assert!(all.contains("status 999"), "{all}");
    assert!(all.contains(":4:"), "the event's line is named: {all}");
}

const LOOKUP: &str = r#"
start: Begin { Default -> ask }
ask: RestApi { ServiceAddress = "https://crm.example/x" ResultSet = r Default -> said Error -> failed }
said: Play { Sequence = "status {r.status}" Default -> done }
failed: Play { Sequence = "sorry: {_ERR}" Default -> done }
done: End
"#;

#[test]
fn http_mocks_reply_fail_or_leave_a_request_unmatched() {
    let results = run(
        LOOKUP,
        r#"
[[case]]
name = "a reply"
[[case.http]]
url = "https://crm.example/x"
status = 503
body = { status = "busy" }
[case.expect]
heard = ["status busy"]

[[case]]
name = "a transport failure"
[[case.http]]
url = "https://crm.example/x"
fail = "connection refused"
[case.expect]
heard = ["sorry: the request failed: connection refused"]

[[case]]
name = "no mock"
[[case.http]]
method = "POST"
url = "https://crm.example/x"
[case.expect]
heard = ["sorry: the request failed: no [[case.http]] mock matches GET https://crm.example/x"]
"#,
    );
    let by_name = |n: &str| {
        results
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, m)| m.clone())
            .unwrap()
    };
    assert!(by_name("a reply").is_empty(), "{:?}", by_name("a reply"));
    assert!(
        by_name("a transport failure").is_empty(),
        "{:?}",
        by_name("a transport failure")
    );
    // The run goes down its Error path, and the case fails naming the request.
    let unmatched = by_name("no mock");
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert!(
        unmatched[0].contains("a [[case.http]] mock for GET https://crm.example/x"),
        "{unmatched:?}"
    );
}
