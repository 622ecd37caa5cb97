//! `studioflow::testing` from a Rust host: its own actions and functions
//! through an engine factory, mocks still applying, per-case tenants and
//! clocks, the report and coverage.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use studioflow::testing::{Mismatch, TestRunner};
use studioflow::{ActionCall, ActionSchema, BranchId, Engine, PropertyKind, PropertySchema, Value};

const SCRIPT: &str = r#"
start: Begin { Default -> tell }
tell: Notify { Message = "Hi {shout(Name)} at {now()}" Default -> done Busy -> busy Error -> failed }
busy: End
failed: End
done: End
"#;

const TESTS: &str = r#"
inputs = ["Name"]

[[case]]
name = "the host's action runs"
vars = { Name = "ada" }
now = "2026-11-01T09:30:00Z"
expect = { end = "done", variables = { Sent = "Hi ADA! at 2026-11-01T02:30:00-07:00" } }

[[case]]
name = "a mock replaces the host's action"
vars = { Name = "ada" }
mock = [{ action = "tell", results = [{ branch = "Busy" }] }]
expect = { end = "busy", not_visits = ["done"] }

[[case]]
name = "fails on purpose"
vars = { Name = "bob" }
expect = { end = "failed" }
"#;

fn notify(call: &mut ActionCall<'_>) -> Result<BranchId, studioflow::ActionError> {
    let text = call.text(0).unwrap_or_default();
    call.set_variable("Sent", Value::from(text));
    Ok(BranchId::DEFAULT)
}

#[test]
fn a_host_tests_its_scripts_with_its_own_engine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notify.script"), SCRIPT).unwrap();
    std::fs::write(dir.path().join("notify.test.toml"), TESTS).unwrap();

    let engines_built = Arc::new(AtomicUsize::new(0));
    let counter = engines_built.clone();
    let runner = TestRunner::new().engine_factory(move |tenant, clock| {
        counter.fetch_add(1, Ordering::Relaxed);
        Engine::builder()
            .directory(tenant)
            .clock(clock)
            .register_fn("shout", |text: Value| {
                format!("{}!", text.to_text().to_uppercase())
            })
            .register_action(
                ActionSchema::new("Notify")
                    .property(PropertySchema::required("Message", PropertyKind::Template))
                    .branch("Busy"),
                notify,
            )
    });
    let report = runner.run_paths(&[dir.path()]).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // One engine to check the file, then one per case.
    assert_eq!(engines_built.load(Ordering::Relaxed), 4);
    let cases = &report.files[0].cases;
    assert!(cases[0].passed(), "{:?}", cases[0].mismatches);
    assert!(cases[1].passed(), "{:?}", cases[1].mismatches);
    assert_eq!(
        cases[2].mismatches,
        [Mismatch::Expect {
            key: "end".into(),
            expected: "\"failed\"".into(),
            actual: "\"done\"".into(),
            diff: None,
        }]
    );
    assert_eq!(report.summary(), "2 passed, 1 failed");
    let coverage = &report.coverage().scripts()[0];
    // Written branches: start Default, tell Default, Busy and Error.
    assert_eq!((coverage.branches_taken(), coverage.branches.len()), (3, 4));
    assert_eq!(
        coverage.untaken_lines(),
        [format!(
            "{}:3:85: branch Error of tell (Notify) never taken",
            dir.path().join("notify.script").display()
        )]
    );
}

#[test]
fn the_filter_and_update_apply_through_the_library() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.script"),
        "start: Begin { Default -> done }\ndone: End\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.test.toml"),
        "[[case]]\nname = \"kept\"\nsnapshot = true\n[[case]]\nname = \"skipped\"\n",
    )
    .unwrap();
    let runner = TestRunner::new().filter("kept").update_snapshots(true);
    let report = runner.run_paths(&[dir.path()]).unwrap();
    assert_eq!(report.summary(), "1 passed, 0 failed, 1 filtered out");
    let snapshot = dir.path().join("__snapshots__/a/kept.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(snapshot).unwrap()).unwrap();
    assert_eq!(doc["steps"], 2);
}
