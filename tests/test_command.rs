//! `studioflow test`: the test-file format, mocks, expectations, snapshots,
//! filter, JUnit, coverage, the manifest and every bad-input path, run
//! through the command line as a user would.

use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

/// A folder holding the given files.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `studioflow ARGS` in `dir`, with CI unset.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::cargo_bin("studioflow").unwrap();
    cmd.current_dir(dir).args(args).env_remove("CI");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn test_in(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// A flow with a lookup that can fail, a Case, and a retry loop.
const FLOW: &str = r#"
start: Begin { Default -> lookup }
lookup: Assign { Variable = Found Value = "real" Default -> tier Error -> retry }
retry: Loop { Repeat = 3 Repeat -> lookup Finished -> sorry }
tier: Case { Value = Tier  Case "gold" -> vip  Case "silver" -> done  Default -> done }
vip: Assign { Variable = Greeting Value = "Hello {Name}" Default -> done }
sorry: Assign { Variable = Greeting Value = "Sorry: {_ERR}" Default -> done }
done: End
"#;

fn flow_with(test: &str) -> TempDir {
    project(&[("flow.script", FLOW), ("flow.test.toml", test)])
}

#[test]
fn passing_cases_print_ok_lines_and_the_summary() {
    let dir = flow_with(
        r#"
[[case]]
name = "gold goes to vip"
vars = { Tier = "gold", Name = "Ada" }
[case.expect]
outcome = "completed"
end = "done"
path = ["start", "lookup", "tier", "vip", "done"]
visits = ["vip"]
not_visits = ["sorry", "retry"]
steps = 5
variables = { Greeting = "Hello Ada", Found = "real", Tier = "gold" }

[[case]]
name = "silver skips vip"
vars = { Tier = "silver" }
expect = { not_visits = ["vip"], steps = 4 }
"#,
    );
    let out = test_in(dir.path(), &[]);
    assert_eq!(
        out.stdout,
        "ok flow.test.toml: gold goes to vip\nok flow.test.toml: silver skips vip\n2 passed, 0 failed\n"
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn every_expect_key_can_fail_and_says_how() {
    let dir = flow_with(
        r#"
[[case]]
name = "all wrong"
vars = { Tier = "gold", Name = "Ada" }
[case.expect]
outcome = "stopped"
end = "sorry"
error = "boom"
path = ["start", "done"]
visits = ["sorry"]
not_visits = ["vip"]
steps = 9
variables = { Greeting = "Hello Bob", Missing = 1 }
warnings = ["unreachable"]
"#,
    );
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.starts_with("FAILED flow.test.toml: all wrong\n"),
        "{}",
        out.stdout
    );
    for needle in [
        "expect.outcome: expected stopped, got completed",
        "expect.end: expected \"sorry\", got \"done\"",
        "expect.error: expected a message containing \"boom\", got no error",
        "expect.path: expected [\"start\", \"done\"], got [\"start\", \"lookup\", \"tier\", \"vip\", \"done\"]",
        "expect.visits: expected [\"sorry\"] executed",
        "expect.not_visits: expected [\"vip\"] never executed",
        "expect.steps: expected 9, got 5",
        "expect.variables.Greeting: expected \"Hello Bob\", got \"Hello Ada\"",
        "expect.variables.Missing: expected 1, got no such variable",
        "expect.warnings: expected a warning containing \"unreachable\", got no warnings",
    ] {
        assert!(out.stdout.contains(needle), "missing {needle:?} in\n{}", out.stdout);
    }
    assert!(out.stdout.ends_with("0 passed, 1 failed\n"));
}

#[test]
fn numbers_compare_numerically_and_empty_string_means_null() {
    let dir = project(&[
        (
            "n.script",
            "start: Begin { Default -> a }\na: Assign { Variable = x Value = 10 / 4 Default -> b }\nb: Assign { Variable = y Value = 2 * 2 Default -> c }\nc: Assign { Variable = z Value = null }",
        ),
        (
            "n.test.toml",
            "[[case]]\nname = \"n\"\nexpect = { variables = { x = 2.5, y = 4, z = \"\", never = \"\" } }\n[[case]]\nname = \"wrong type\"\nexpect = { variables = { y = \"4\" } }\n",
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    assert!(out.stdout.contains("ok n.test.toml: n\n"), "{}", out.stdout);
    assert!(out.stdout.contains("FAILED n.test.toml: wrong type\n"));
    assert!(out
        .stdout
        .contains("expect.variables.y: expected \"4\", got 4"));
}

#[test]
fn structured_variable_mismatches_show_a_diff() {
    let dir = project(&[
        ("o.script", "start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 }"),
        ("o.test.toml", "[[case]]\nname = \"o\"\nmock = [{ action = \"a\", results = [{ set = { o = { a = 1, b = [1, 2] } } }] }]\nexpect = { variables = { o = { a = 1, b = [1, 3] } } }\n"),
    ]);
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("-    3\n") && out.stdout.contains("+    2\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn warnings_match_substrings_and_empty_means_none() {
    let script = "start: Begin { Default -> done }\ndone: End\nlost: End\n";
    let dir = project(&[
        ("w.script", script),
        (
            "w.test.toml",
            "[[case]]\nname = \"has it\"\nexpect = { warnings = [\"`lost` is unreachable\"] }\n[[case]]\nname = \"none\"\nexpect = { warnings = [] }\n",
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    assert!(
        out.stdout.contains("ok w.test.toml: has it\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("FAILED w.test.toml: none\n"));
    assert!(out.stdout.contains("expect.warnings: expected no warnings, got w.script:3:1: warning[unreachable-action]: action `lost` is unreachable"));
}

#[test]
fn expect_error_matches_a_substring_of_the_run_error() {
    let dir = project(&[
        ("e.script", "start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 }"),
        (
            "e.test.toml",
            "[[case]]\nname = \"div\"\nexpect = { outcome = \"stopped\", error = \"division by zero\", end = \"bad\" }\n[[case]]\nname = \"limit\"\nmax_steps = 1\nexpect = { outcome = \"limit\", error = \"step budget of 1\" }\n",
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    assert_eq!(
        out.stdout, "ok e.test.toml: div\nok e.test.toml: limit\n2 passed, 0 failed\n",
        "{}",
        out.stderr
    );
}

#[test]
fn mock_sequences_take_one_result_per_execution_and_the_last_repeats() {
    let dir = flow_with(
        r#"
[[case]]
name = "two timeouts then found"
vars = { Tier = "gold", Name = "Ada" }
[[case.mock]]
action = "lookup"
results = [
  { branch = "Error", err = "timeout" },
  { branch = "Error", err = "timeout" },
  { branch = "Default", set = { Found = "mocked", Count = 2 } },
]
[case.expect]
path = ["start", "lookup", "retry", "lookup", "retry", "lookup", "tier", "vip", "done"]
variables = { Found = "mocked", Count = 2, _ERR = "timeout" }

[[case]]
name = "always failing exhausts the retries"
[[case.mock]]
action = "lookup"
results = [{ branch = "Error" }]
[case.expect]
end = "done"
visits = ["sorry"]
variables = { Greeting = "Sorry: mocked error", Found = "" }
steps = 11
"#,
    );
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn mocked_branches_fall_back_like_real_results() {
    let dir = project(&[
        (
            "f.script",
            r#"
start: Begin { Default -> count }
count: Loop { Repeat = 2 Default -> done }
done: End
"#,
        ),
        (
            "f.test.toml",
            r#"
[[case]]
name = "own branch not connected falls back to Default"
mock = [{ action = "count", results = [{ branch = "Finished" }] }]
expect = { outcome = "completed", path = ["start", "count", "done"] }

[[case]]
name = "unconnected Error stops the run"
mock = [{ action = "count", results = [{ err = "no line" }] }]
expect = { outcome = "stopped", end = "count", error = "no line", variables = { _ERR = "no line" } }

[[case]]
name = "a mock for an action never reached is fine"
mock = [{ action = "done", results = [{ branch = "Error" }] }, { action = "count", results = [{ set = { Seen = true } }] }]
expect = { outcome = "stopped", error = "mocked error", variables = { Seen = true } }
"#,
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.ends_with("3 passed, 0 failed\n"));
}

#[test]
fn mocks_take_case_labels_as_case_compares() {
    let dir = flow_with(
        r#"
[[case]]
name = "label"
vars = { Tier = "bronze", Name = "Ada" }
mock = [{ action = "tier", results = [{ case = "gold" }] }]
expect = { visits = ["vip"] }

[[case]]
name = "numbers are labels as text"
mock = [{ action = "tier", results = [{ case = "silver" }] }]
expect = { path = ["start", "lookup", "tier", "done"] }
"#,
    );
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_mocked_security_user_is_genuine_and_cases_are_isolated() {
    let script = r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "nobody-real" Default -> make Error -> failed }
make: CreateRole { Name = "Night.Shift" Default -> done Error -> failed }
failed: End
done: End
"#;
    let dir = project(&[
        ("r.script", script),
        (
            "r.test.toml",
            r#"
[[case]]
name = "first creates the role"
mock = [{ action = "who", results = [{ security_user = "sysadmin" }] }]
expect = { end = "done", visits = ["make"] }

[[case]]
name = "second creates it again: the first case's role did not leak"
mock = [{ action = "who", results = [{ security_user = "sysadmin" }] }]
expect = { end = "done" }

[[case]]
name = "an unknown agent fails for real"
mock = [{ action = "who", results = [{ security_user = "ghost" }] }]
expect = { end = "failed" }

[[case]]
name = "a mocked string is no security user"
mock = [{ action = "who", results = [{ set = { SecurityUser = "sysadmin" } }] }]
expect = { end = "failed", variables = { _ERR = "" } }
"#,
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    // The last case's expectation on _ERR is deliberately wrong: the forged
    // string is refused with a message.
    assert!(
        out.stdout
            .contains("ok r.test.toml: first creates the role\n"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("ok r.test.toml: second creates it again"));
    assert!(out
        .stdout
        .contains("ok r.test.toml: an unknown agent fails for real\n"));
    assert!(out
        .stdout
        .contains("FAILED r.test.toml: a mocked string is no security user\n"));
    assert!(out.stdout.contains("not a security user"), "{}", out.stdout);
}

#[test]
fn snapshots_fail_when_missing_are_written_by_update_and_compared_after() {
    let dir = flow_with(
        "[[case]]\nname = \"gold / vip?\"\nvars = { Tier = \"gold\" }\nsnapshot = true\n",
    );
    let snap = dir.path().join("__snapshots__/flow/gold___vip_.json");

    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("snapshot __snapshots__/flow/gold___vip_.json does not exist; run `studioflow test --update`"), "{}", out.stdout);
    assert!(!snap.exists());

    // CI refuses --update and behaves as without it.
    let out = run_env(dir.path(), &["test", "--update"], &[("CI", "true")]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("--update is refused under CI=true"),
        "{}",
        out.stderr
    );
    assert!(!snap.exists());

    let out = test_in(dir.path(), &["--update"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("wrote snapshot"));
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    assert_eq!(stored["outcome"], "completed");
    assert_eq!(stored["trace"][3]["action"], "vip");
    assert_eq!(stored["variables"]["Tier"], "gold");

    assert_eq!(test_in(dir.path(), &[]).code, 0);

    // Change the behaviour: the snapshot differs, with a diff.
    std::fs::write(
        dir.path().join("flow.test.toml"),
        "[[case]]\nname = \"gold / vip?\"\nvars = { Tier = \"silver\" }\nsnapshot = true\n",
    )
    .unwrap();
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("differs"), "{}", out.stdout);
    assert!(
        out.stdout.contains("-    \"Tier\": \"gold\"")
            && out.stdout.contains("+    \"Tier\": \"silver\""),
        "{}",
        out.stdout
    );

    let out = test_in(dir.path(), &["--update"]);
    assert_eq!(out.code, 0);
    assert!(out.stderr.contains("updated snapshot"));
    assert!(std::fs::read_to_string(&snap).unwrap().contains("silver"));

    // Renaming the case leaves the old snapshot in place, with a note.
    std::fs::write(
        dir.path().join("flow.test.toml"),
        "[[case]]\nname = \"renamed\"\nvars = { Tier = \"silver\" }\nsnapshot = true\n",
    )
    .unwrap();
    let out = test_in(dir.path(), &["--update"]);
    assert_eq!(out.code, 0);
    assert!(snap.exists(), "--update deletes nothing");
    assert!(out.stderr.contains("belongs to no case"), "{}", out.stderr);
}

#[test]
fn snapshots_are_never_written_over_a_non_regular_file() {
    let dir = flow_with("[[case]]\nname = \"c\"\nsnapshot = true\n");
    std::fs::create_dir_all(dir.path().join("__snapshots__/flow/c.json")).unwrap();
    let out = test_in(dir.path(), &["--update"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("snapshot __snapshots__/flow/c.json: not a regular file"),
        "{}",
        out.stdout
    );
}

#[test]
fn filter_keeps_cases_by_name_or_path_and_counts_the_rest() {
    let dir = project(&[
        ("flow.script", FLOW),
        ("flow.test.toml", "[[case]]\nname = \"gold\"\n[[case]]\nname = \"silver\"\n[[case]]\nname = \"golden hour\"\n"),
        ("sub/other.script", FLOW),
        ("sub/other.test.toml", "[[case]]\nname = \"x\"\n"),
    ]);
    let out = test_in(dir.path(), &["--filter", "gold"]);
    assert_eq!(
        out.stdout,
        "ok flow.test.toml: gold\nok flow.test.toml: golden hour\n2 passed, 0 failed, 2 filtered out\n"
    );
    let out = test_in(dir.path(), &["--filter", "sub/"]);
    assert_eq!(
        out.stdout,
        "ok sub/other.test.toml: x\n1 passed, 0 failed, 3 filtered out\n"
    );
    let out = test_in(dir.path(), &["sub"]);
    assert_eq!(
        out.stdout,
        "ok sub/other.test.toml: x\n1 passed, 0 failed\n"
    );
}

#[test]
fn junit_has_one_suite_per_file_and_failures_with_messages() {
    let dir = project(&[
        ("flow.script", FLOW),
        (
            "flow.test.toml",
            "[[case]]\nname = \"good\"\n[[case]]\nname = \"bad <one>\"\nexpect = { steps = 1 }\n",
        ),
        ("broken.test.toml", "[[case]]\nname = 3\n"),
    ]);
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let out = test_in(dir.path(), &["--junit", "out/junit.xml"]);
    assert_eq!(out.code, 2);
    let xml = std::fs::read_to_string(dir.path().join("out/junit.xml")).unwrap();
    assert!(
        xml.contains("<testsuite name=\"flow.test.toml\" tests=\"2\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"good\""));
    assert!(xml.contains("<testcase name=\"bad &lt;one&gt;\""));
    assert!(
        xml.contains("<failure message=\"expect.steps: expected 1, got 4\""),
        "{xml}"
    );
    assert!(xml.contains("<testsuite name=\"broken.test.toml\""));
    // Every mistake of the bad file (its missing script, the name's type).
    assert!(xml.contains("<error message=\"broken.test.toml:"), "{xml}");
    assert!(
        xml.contains("\nbroken.test.toml:2:8: invalid type"),
        "{xml}"
    );
}

#[test]
fn coverage_counts_actions_and_written_branches() {
    let dir = flow_with(
        r#"
[[case]]
name = "gold"
vars = { Tier = "gold" }
[[case]]
name = "lookup fails once"
mock = [{ action = "lookup", results = [{ branch = "Error" }, { branch = "Default" }] }]
"#,
    );
    let out = test_in(dir.path(), &["--coverage", "--coverage-json", "cov.json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    // 7 actions, `sorry` never runs. Written branches: start 1, lookup 2,
    // retry 2, tier 3, vip 1, sorry 1 = 10; taken: start, lookup Default and
    // Error, retry Repeat, tier Case "gold" and Default, vip = 7.
    let expected = "2 passed, 0 failed\n\
flow.script: actions 6/7 (85.7%), branches 7/10 (70.0%)\n\
flow.script:4:43: branch Finished of retry (Loop) never taken\n\
flow.script:5:48: branch Case \"silver\" of tier (Case) never taken\n\
flow.script:7:61: branch Default of sorry (Assign) never taken\n";
    assert!(out.stdout.ends_with(expected), "{}", out.stdout);

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cov.json")).unwrap())
            .unwrap();
    let script = &json["scripts"][0];
    assert_eq!(script["script"], "flow.script");
    assert_eq!(
        script["branches"],
        serde_json::json!({"taken": 7, "total": 10, "percent": 70.0})
    );
    assert_eq!(
        script["actions"],
        serde_json::json!({"hit": 6, "total": 7, "percent": 85.7})
    );
    let lookup = script["action_hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "lookup")
        .unwrap();
    assert_eq!(lookup["hits"], 3);
    let error = script["branch_hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["action"] == "lookup" && b["branch"] == "Error")
        .unwrap();
    assert_eq!(
        (
            error["hits"].as_u64(),
            error["target"].as_str(),
            error["line"].as_u64()
        ),
        (Some(1), Some("retry"), Some(3))
    );

    let out = test_in(dir.path(), &["--min-coverage", "70"]);
    assert_eq!(out.code, 0);
    let out = test_in(dir.path(), &["--min-coverage", "70.1"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("flow.script has branch coverage 70.0%, below --min-coverage 70.1"),
        "{}",
        out.stderr
    );
}

#[test]
fn coverage_merges_every_test_file_of_a_script_and_counts_no_branches_as_full() {
    let dir = project(&[
        ("flow.script", FLOW),
        (
            "a.test.toml",
            "script = \"flow.script\"\n[[case]]\nname = \"gold\"\nvars = { Tier = \"gold\" }\n",
        ),
        (
            "b.test.toml",
            "script = \"flow.script\"\n[[case]]\nname = \"silver\"\nvars = { Tier = \"silver\" }\n",
        ),
        ("end.script", "start: Begin\n"),
        ("end.test.toml", "[[case]]\nname = \"x\"\n"),
    ]);
    let out = test_in(dir.path(), &["--coverage"]);
    assert!(
        out.stdout
            .contains("\nend.script: actions 1/1 (100.0%), branches 0/0 (100.0%)\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\nflow.script: actions 5/7 (71.4%), branches 5/10 (50.0%)\n"),
        "{}",
        out.stdout
    );
}

const MANIFEST: &str = r#"
[actions.Notify]
properties = [ { name = "Message", kind = "template", required = true }, { name = "Result", kind = "output", default = "NotifyResult" } ]
branches = ["Busy"]
script_types = ["Phone", "Chat", "Generic"]
"#;

const NOTIFY: &str = r#"
start: Begin { Default -> tell }
tell: Notify { Message = "hi {Name}" Default -> done Busy -> busy Error -> failed }
busy: End
failed: End
done: End
"#;

#[test]
fn manifest_actions_compile_run_as_failures_and_can_be_mocked() {
    let dir = project(&[
        ("studioflow.toml", MANIFEST),
        ("flows/notify.script", NOTIFY),
        (
            "flows/notify.test.toml",
            r#"
inputs = ["Name"]
[[case]]
name = "unmocked fails"
expect = { end = "failed", warnings = [] }
[[case]]
name = "mocked busy"
mock = [{ action = "tell", results = [{ branch = "Busy", set = { NotifyResult = "queued" } }] }]
expect = { end = "busy", variables = { NotifyResult = "queued" } }
"#,
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // check and run use the manifest too.
    let out = run_in(
        dir.path(),
        &["check", "flows/notify.script", "--var", "Name"],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    let out = run_in(
        dir.path(),
        &["run", "flows/notify.script", "--var", "Name=Ada"],
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("Notify is a host action declared in"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("mock it in a test or provide it in a host"));

    let out = run_in(dir.path(), &["graph", "flows/notify.script"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("tell"), "{}", out.stdout);

    // Without the manifest the script does not compile.
    std::fs::remove_file(dir.path().join("studioflow.toml")).unwrap();
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown action type `Notify`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bad_manifest_names_file_line_and_field() {
    let dir = project(&[
        (
            "studioflow.toml",
            "[actions.Notify]\nproperties = [ { name = \"Message\", kind = \"text\" } ]\n",
        ),
        ("flows/notify.script", NOTIFY),
        ("flows/notify.test.toml", "[[case]]\nname = \"x\"\n"),
    ]);
    for args in [
        &["test"][..],
        &["check", "flows/notify.script"],
        &["run", "flows/notify.script"],
        &["graph", "flows/notify.script"],
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(
            out.stderr.contains(
                "studioflow.toml:2:43: actions.Notify.properties[0].kind: unknown kind \"text\""
            ),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// Each bad input: the test file text, the expected `file:line:col: ...` start.
#[test]
fn every_bad_input_is_exit_2_with_file_line_and_what() {
    let cases: &[(&str, &str)] = &[
        ("[[case]\nname = \"x\"\n", "t.test.toml:1:8: unclosed array table"),
        ("colour = 1\n[[case]]\nname = \"x\"\n", "t.test.toml:1:1: unknown field `colour`"),
        ("[[case]]\nname = \"x\"\nvar = {}\n", "t.test.toml:3:1: unknown field `var`"),
        ("[[case]]\nname = \"x\"\n[case.expect]\nsteps = 1\npaths = []\n", "t.test.toml:5:1: unknown field `paths`"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lookup\"\nresult = []\n", "t.test.toml:5:1: unknown field `result`"),
        ("[[case]]\nname = \"x\"\nmock = [{ action = \"lookup\", results = [{ brunch = \"Error\" }] }]\n", "t.test.toml:3:43: unknown field `brunch`, expected one of `branch`"),
        ("[[case]]\nvars = {}\n", "t.test.toml:1:1: missing field `name`"),
        ("[[case]]\nname = \"x\"\nsnapshot = \"yes\"\n", "t.test.toml:3:12: invalid type"),
        ("script = \"missing.script\"\n[[case]]\nname = \"x\"\n", "t.test.toml:1:10: `script` names missing.script, which cannot be read"),
        ("script = \"broken.script\"\n[[case]]\nname = \"x\"\n", "t.test.toml:1:10: the script broken.script does not compile:\nbroken.script:1:8: error"),
        ("tenant = \"none.json\"\n[[case]]\nname = \"x\"\n", "t.test.toml:1:10: `tenant` names none.json, which cannot be read"),
        ("tenant = \"bad.json\"\n[[case]]\nname = \"x\"\n", "t.test.toml:1:10: bad tenant file: bad.json"),
        ("now = \"yesterday\"\n[[case]]\nname = \"x\"\n", "t.test.toml:1:7: `now` = \"yesterday\" is not an RFC 3339 time"),
        ("[[case]]\nname = \"x\"\nnow = \"2026-13-01T00:00:00Z\"\n", "t.test.toml:3:7: `now`"),
        ("inputs = [\"no good\"]\n[[case]]\nname = \"x\"\n", "t.test.toml:1:11: \"no good\" is not a variable name"),
        ("", "t.test.toml:1:1: the file has no [[case]] table"),
        ("[[case]]\nname = \"\"\n", "t.test.toml:2:8: a case name must not be empty"),
        ("[[case]]\nname = \"x\"\n[[case]]\nname = \"x\"\n", "t.test.toml:4:8: a second case named \"x\" (the first is on line 2)"),
        ("[[case]]\nname = \"a b\"\nsnapshot = true\n[[case]]\nname = \"a?b\"\nsnapshot = true\n", "t.test.toml:5:8: cases \"a b\" and \"a?b\" both store their snapshot in a_b.json"),
        ("[[case]]\nname = \"x\"\nvars = { \"a b\" = 1 }\n", "t.test.toml:3:10: \"a b\" is not a variable name"),
        ("[[case]]\nname = \"x\"\nexpect = { outcome = \"passed\" }\n", "t.test.toml:3:22: unknown outcome \"passed\"; expected completed, stopped, limit or cancelled"),
        ("[[case]]\nname = \"x\"\nexpect = { visits = [\"vipp\"] }\n", "t.test.toml:3:22: expect.visits names action `vipp`, which the script does not have (did you mean `vip`?)"),
        ("[[case]]\nname = \"x\"\nexpect = { not_visits = [\"nope\"] }\n", "t.test.toml:3:26: expect.not_visits names action `nope`"),
        ("[[case]]\nname = \"x\"\nexpect = { path = [\"start\", \"lokup\"] }\n", "t.test.toml:3:29: expect.path names action `lokup`, which the script does not have (did you mean `lookup`?)"),
        ("[[case]]\nname = \"x\"\nexpect = { end = \"dne\" }\n", "t.test.toml:3:18: expect.end names action `dne`"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lokup\"\nresults = [{}]\n", "t.test.toml:4:10: mock names action `lokup`, which the script does not have (did you mean `lookup`?)"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lookup\"\nresults = [{ branch = \"Busy\" }]\n", "t.test.toml:5:23: action `lookup` (Assign) has no branch `Busy`; its branches are Default, Error"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lookup\"\nresults = [{ branch = \"error\" }]\n", "t.test.toml:5:23: action `lookup` (Assign) has no branch `error`; its branches are Default, Error (did you mean `Error`?)"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"retry\"\nresults = [{ branch = \"Finished\" }, { branch = \"Finised\" }]\n", "t.test.toml:5:48: action `retry` (Loop) has no branch `Finised`; its branches are Default, Error, Repeat, Finished (did you mean `Finished`?)"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"tier\"\nresults = [{ case = \"platinum\" }]\n", "t.test.toml:5:21: action `tier` (Case) has no branch labeled \"platinum\"; its branches are \"gold\", \"silver\""),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"tier\"\nresults = [{ branch = \"Case\" }]\n", "t.test.toml:5:23: action `tier` (Case) has no branch `Case`"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"vip\"\nresults = [{ case = \"gold\" }]\n", "t.test.toml:5:21: action `vip` (Assign) has no branch labeled \"gold\"; its branches are none"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lookup\"\nresults = []\n", "t.test.toml:5:11: `results` is empty"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lookup\"\nresults = [{ branch = \"Default\", err = \"x\" }]\n", "t.test.toml:5:12: `err` is the _ERR text of `branch = \"Error\"`"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"tier\"\nresults = [{ security_user = \"sysadmin\" }]\n", "t.test.toml:5:12: `security_user` needs a result variable, and Case has no output-variable property"),
        ("[[case]]\nname = \"x\"\n[[case.mock]]\naction = \"lookup\"\nresults = [{}]\n[[case.mock]]\naction = \"lookup\"\nresults = [{}]\n", "t.test.toml:7:10: a second mock for action `lookup`"),
        ("[[case]]\nname = \"x\"\nmax_steps = -1\n", "t.test.toml:3:13: "),
    ];
    let mut wrong = Vec::new();
    for (text, expected) in cases {
        let dir = project(&[
            ("t.script", FLOW),
            ("t.test.toml", text),
            ("broken.script", "start: Begi { Default -> done }\n"),
            ("bad.json", "{\"agents\": 3}"),
        ]);
        let out = test_in(dir.path(), &["t.test.toml"]);
        if out.code != 2
            || !out.stderr.starts_with(&format!("error: {expected}"))
            || out.stdout != "0 passed, 0 failed\n"
        {
            wrong.push(format!(
                "{text}\nexpected exit 2 and error: {expected}\ngot exit {}: {}{}",
                out.code, out.stderr, out.stdout
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn a_bad_file_does_not_stop_the_others_and_exit_is_2() {
    let dir = project(&[
        ("a.script", FLOW),
        ("a.test.toml", "[[case]]\nname = \"fine\"\n"),
        ("b.script", FLOW),
        (
            "b.test.toml",
            "[[case]]\nname = \"typo\"\nmock = [{ action = \"lokup\", results = [{}] }]\n",
        ),
        ("c.test.toml", "[[case]]\nname = \"orphan\"\n"),
    ]);
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "ok a.test.toml: fine\n1 passed, 0 failed\n");
    assert!(
        out.stderr
            .contains("error: b.test.toml:3:20: mock names action `lokup`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("error: c.test.toml:1:1: `script` names c.script, which cannot be read"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_test_files_and_bad_arguments_are_exit_2() {
    let dir = project(&[("flow.script", FLOW)]);
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("no test files (*.test.toml) found in ."),
        "{}",
        out.stderr
    );
    let out = test_in(dir.path(), &["nowhere"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("error: nowhere: "), "{}", out.stderr);
    let out = test_in(dir.path(), &["--min-coverage", "120"]);
    assert_eq!(out.code, 2);
    let out = test_in(dir.path(), &["--min-coverage", "lots"]);
    assert_eq!(out.code, 2);
    let out = test_in(dir.path(), &["flow.script"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("error: flow.script:2:8: "),
        "{}",
        out.stderr
    );
}

#[test]
fn a_non_utf8_or_huge_test_file_is_bad_input_not_a_panic() {
    let dir = project(&[("t.script", FLOW)]);
    std::fs::write(
        dir.path().join("t.test.toml"),
        b"[[case]]\nname = \"\xff\"\n",
    )
    .unwrap();
    let out = test_in(dir.path(), &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("t.test.toml: not a UTF-8 text file"),
        "{}",
        out.stderr
    );
}

#[test]
fn file_level_keys_apply_and_cases_override_them() {
    let script = r#"
start: Begin { Default -> stamp }
stamp: Assign { Variable = Now Value = now() Default -> start }
"#;
    let dir = project(&[
        ("s.script", script),
        (
            "api/tenant.json",
            &studioflow::permissions::Directory::demo()
                .to_tenant_json()
                .to_string(),
        ),
        (
            "s.test.toml",
            r#"
now = "2026-11-01T09:30:00Z"
max_steps = 3
tenant = "api/tenant.json"
[[case]]
name = "file settings"
expect = { outcome = "limit", steps = 3, variables = { Now = "2026-11-01 09:30:00" } }
[[case]]
name = "case settings"
now = 2026-12-24T18:00:00Z
max_steps = 5
expect = { outcome = "limit", steps = 5 }
"#,
        ),
    ]);
    let out = test_in(dir.path(), &[]);
    assert!(
        out.stdout.contains("ok s.test.toml: case settings\n"),
        "{}",
        out.stdout
    );
    // The clock's text form is pinned by the first case, whichever format now() uses.
    if !out.stdout.contains("ok s.test.toml: file settings\n") {
        assert!(out.stdout.contains("2026-11-01"), "{}", out.stdout);
    }
}

/// docs/testing.md's complete test-file example passes against the example script.
#[test]
fn the_readme_test_file_example_works_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/testing.md")).unwrap();
    let section = &readme[readme.find("## The test-file format").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let script = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/vip_routing.script"
    ))
    .unwrap();
    let dir = project(&[
        ("vip_routing.script", &script),
        ("readme.test.toml", example),
    ]);
    let out = test_in(dir.path(), &["--update"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(dir
        .path()
        .join("__snapshots__/readme/gold_caller_reaches_their_agent.json")
        .is_file());
    let out = test_in(dir.path(), &["--coverage"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .starts_with("ok readme.test.toml: gold caller reaches their agent\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("3 passed, 0 failed\n"));
}

/// The repository's example passes and reaches every branch.
#[test]
fn the_scripts_example_reaches_full_branch_coverage() {
    let out = run_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "test",
            "--coverage",
            "--min-coverage",
            "100",
            "scripts/vip_routing.test.toml",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "scripts/vip_routing.script: actions 9/9 (100.0%), branches 14/14 (100.0%)\n"
        ),
        "{}",
        out.stdout
    );
}
