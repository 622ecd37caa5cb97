//! Issue 17, the testing and graph tools: links without a scheme, snapshot
//! paths that stay in `__snapshots__`, test files confined to the project,
//! expectations inside subscripts, every mistake of a test file at once,
//! stopped runs failing, `contains`/`matches`, output folders and bounds.
#![cfg(feature = "cli")]

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

impl Output {
    fn all(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
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
    let output = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!output.stderr.contains("panicked"), "{}", output.all());
    output
}

// ---------------------------------------------------------------- item 6

const CALLS_EVIL: &str = "start: Begin { Default -> call }\ncall: RunSub { ScriptName = \"javascript:alert(document.domain)\" Default -> done }\ndone: End\n";
const SUB: &str = "start: Begin { Default -> back }\nback: Return\n";

#[test]
fn item6_subscript_links_carry_no_scheme() {
    let dir = project(&[
        ("main.script", CALLS_EVIL),
        ("javascript:alert(document.domain).script", SUB),
    ]);
    for format in ["svg", "dot", "mermaid"] {
        let out = run_in(dir.path(), &["graph", "main.script", "--format", format]);
        assert_eq!(out.code, 0, "{}", out.all());
        assert!(
            !out.stdout.contains("\"javascript:"),
            "{format}: a link with a scheme:\n{}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("\"./javascript%3Aalert%28document.domain%29.script\""),
            "{format}: a relative, percent-encoded link:\n{}",
            out.stdout
        );
    }
}

// ---------------------------------------------------------------- item 7

const TINY: &str = "start: Begin { Default -> done }\ndone: End\n";

#[test]
fn item7_update_never_writes_outside_snapshots() {
    let dir = project(&[
        ("x.script", TINY),
        (
            "...test.toml",
            "script = \"x.script\"\n[[case]]\nname = \"package\"\nsnapshot = true\n",
        ),
        ("__snapshots__/keep.txt", "x"),
        ("package.json", "{\"name\": \"mine\"}\n"),
    ]);
    let out = run_in(dir.path(), &["test", "...test.toml", "--update"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("snapshot folder name \"..\""),
        "{}",
        out.all()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("package.json")).unwrap(),
        "{\"name\": \"mine\"}\n"
    );
}

#[cfg(unix)]
#[test]
fn item7_update_does_not_follow_a_symlinked_snapshot_folder_out() {
    let outside = tempfile::tempdir().unwrap();
    let dir = project(&[
        ("x.script", TINY),
        (
            "x.test.toml",
            "[[case]]\nname = \"package\"\nsnapshot = true\n",
        ),
    ]);
    std::fs::create_dir(dir.path().join("__snapshots__")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("__snapshots__/x")).unwrap();
    let out = run_in(dir.path(), &["test", "--update"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.contains("leads out of"), "{}", out.all());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn item7_a_symlinked_snapshot_is_neither_shown_nor_replaced() {
    let outside = project(&[("secret.json", "{\"token\": \"hunter2\"}\n")]);
    let dir = project(&[
        ("x.script", TINY),
        ("x.test.toml", "[[case]]\nname = \"a\"\nsnapshot = true\n"),
    ]);
    std::fs::create_dir_all(dir.path().join("__snapshots__/x")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.json"),
        dir.path().join("__snapshots__/x/a.json"),
    )
    .unwrap();
    for args in [&["test"][..], &["test", "--update"][..]] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(out.stdout.contains("is a symbolic link"), "{}", out.all());
        assert!(!out.all().contains("hunter2"), "{}", out.all());
    }
    assert_eq!(
        std::fs::read_to_string(outside.path().join("secret.json")).unwrap(),
        "{\"token\": \"hunter2\"}\n"
    );
}

// ---------------------------------------------------------------- item 12

#[test]
fn item12_script_and_tenant_stay_inside_the_project() {
    let outside = project(&[
        ("secret.script", "CI_TOKEN=hunter2-outside\n"),
        ("tenant.json", "{\"token\": \"hunter2-tenant\"}\n"),
    ]);
    let project_dir = outside.path().join("project");
    std::fs::create_dir(&project_dir).unwrap();
    std::fs::write(project_dir.join("studioflow.toml"), "").unwrap();
    std::fs::write(project_dir.join("x.script"), TINY).unwrap();
    std::fs::write(project_dir.join("notes.txt"), "CI_TOKEN=hunter2-notes\n").unwrap();
    let cases = [
        (
            "script = \"/proc/self/environ\"",
            "outside the project root",
        ),
        ("script = \"../secret.script\"", "outside the project root"),
        ("script = \"notes.txt\"", "not a .script file"),
        ("tenant = \"../tenant.json\"", "outside the project root"),
    ];
    for (line, expected) in cases {
        std::fs::write(
            project_dir.join("x.test.toml"),
            format!("{line}\n[[case]]\nname = \"a\"\n"),
        )
        .unwrap();
        let out = run_env(&project_dir, &["test"], &[("CI_TOKEN", "hunter2-env")]);
        assert_eq!(out.code, 2, "{line}: {}", out.all());
        assert!(out.stderr.contains(expected), "{line}: {}", out.all());
        assert!(
            out.stderr.contains("x.test.toml:1:"),
            "{line}: names the place: {}",
            out.all()
        );
        assert!(
            !out.all().contains("hunter2"),
            "{line}: echoed: {}",
            out.all()
        );
    }
}

#[cfg(unix)]
#[test]
fn item12_a_symlink_does_not_lead_out_of_the_project() {
    let outside = project(&[("secret.script", "CI_TOKEN=hunter2-outside\n")]);
    let dir = project(&[
        (
            "x.test.toml",
            "script = \"link.script\"\n[[case]]\nname = \"a\"\n",
        ),
        ("studioflow.toml", ""),
    ]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.script"),
        dir.path().join("link.script"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("outside the project root"),
        "{}",
        out.all()
    );
    assert!(!out.all().contains("hunter2"), "{}", out.all());
}

// ---------------------------------------------------------------- item 15

const MAIN: &str = r#"
start: Begin { Default -> find }
find: Assign { Variable = Who Value = "root" Default -> call }
call: RunSub { ScriptName = "lookup" Parameters = [Who] ReturnVariable = Found Default -> done Error -> failed }
done: End
failed: End
"#;

const LOOKUP: &str = r#"
start: Begin { Parameters = "who" Default -> find }
find: Assign { Variable = r Value = "real {who}" Default -> back Error -> oops }
back: Return { ReturnValue = r }
oops: Return { ReturnValue = "oops {_ERR}" }
"#;

fn with_subscript(test: &str) -> TempDir {
    project(&[
        ("main.script", MAIN),
        ("lookup.script", LOOKUP),
        ("main.test.toml", test),
    ])
}

#[test]
fn item15_expectations_name_subscript_actions_as_script_colon_action() {
    let dir = with_subscript(
        r#"
[[case]]
name = "passes"
expect = { visits = ["lookup:find", "lookup:back", "find"], not_visits = ["lookup:oops"], end = "done" }

[[case]]
name = "subscript error path"
mock = [{ action = "lookup:find", results = [{ branch = "Error", err = "gone" }] }]
expect = { visits = ["lookup:oops"], not_visits = ["lookup:back"] }

[[case]]
name = "fails, naming subscript steps"
expect = { visits = ["lookup:oops"], path = ["start", "find", "call", "done"] }
"#,
    );
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("ok main.test.toml: passes"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("ok main.test.toml: subscript error path"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("FAILED main.test.toml: fails, naming subscript steps"),
        "{}",
        out.all()
    );
    // The failure shows the subscript's steps as `lookup:...`, never bare.
    let path_line = out
        .stdout
        .lines()
        .find(|l| l.contains("expect.path"))
        .unwrap_or_else(|| panic!("{}", out.all()));
    assert!(path_line.contains("\"lookup:start\""), "{path_line}");
    assert!(path_line.contains("\"lookup:find\""), "{path_line}");
    assert!(path_line.contains("\"lookup:back\""), "{path_line}");
    assert_eq!(path_line.matches("\"find\"").count(), 2, "{path_line}");
}

#[test]
fn item15_a_bare_subscript_id_or_unknown_subscript_is_bad_input_with_a_hint() {
    let dir = with_subscript(
        "[[case]]\nname = \"x\"\nexpect = { visits = [\"back\"], end = \"lokup:find\" }\n",
    );
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains(
            "main.test.toml:3:22: expect.visits names action `back`, which the script does not have (did you mean `lookup:back`?)"
        ),
        "{}",
        out.all()
    );
    assert!(
        out.stderr.contains("expect.end names `lokup:find`, but `lokup` is not a subscript this script calls (it calls lookup) (did you mean `lookup:find`?)"),
        "{}",
        out.all()
    );
}

// ---------------------------------------------------------------- item 23

const FLOW: &str = r#"
start: Begin { Default -> lookup }
lookup: Assign { Variable = Found Value = "real" Default -> tier Error -> retry }
retry: Loop { Repeat = 3 Repeat -> lookup Finished -> sorry }
tier: Case { Value = Tier  Case "gold" -> vip  Case "silver" -> done  Default -> done }
vip: Assign { Variable = Greeting Value = "Hello {Name}" Default -> done }
sorry: Assign { Variable = Greeting Value = "Sorry: {_ERR}" Default -> done }
done: End
"#;

#[test]
fn item23_every_mistake_of_a_test_file_at_once() {
    let dir = project(&[
        ("t.script", FLOW),
        (
            "t.test.toml",
            r#"colour = "red"
[[case]]
name = "one"
expect = { outcome = "passed", variables = { Found = { matches = "(" } } }
[[case.mock]]
action = "lokup"
results = [{}]
[[case]]
name = "two"
steps = 3
[[case.mock]]
action = "lookup"
results = [{ branch = "Busy" }]
[[case]]
name = "one"
"#,
        ),
    ]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 2, "{}", out.all());
    let expected = [
        "error: t.test.toml:1:1: unknown field `colour`",
        "error: t.test.toml:4:22: unknown outcome \"passed\"",
        "error: t.test.toml:4:54: `matches` is not a regular expression: unclosed group",
        "error: t.test.toml:6:10: mock names action `lokup`, which the script does not have (did you mean `lookup`?)",
        "error: t.test.toml:10:1: unknown field `steps`",
        "error: t.test.toml:13:23: action `lookup` (Assign) has no branch `Busy`",
        "error: t.test.toml:15:8: a second case named \"one\"",
    ];
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), expected.len(), "{}", out.all());
    for (line, expected) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(expected),
            "{line}\nexpected {expected}\n{}",
            out.all()
        );
    }
    assert!(
        out.stdout.ends_with("0 passed, 0 failed\n"),
        "{}",
        out.all()
    );
}

#[test]
fn item23_the_library_gives_every_mistake_and_counts_the_file_once() {
    let dir = project(&[
        ("t.script", FLOW),
        (
            "t.test.toml",
            "[[case]]\nname = \"x\"\nexpect = { end = \"dnoe\", visits = [\"vipp\"] }\n",
        ),
    ]);
    let runner = studioflow::testing::TestRunner::new();
    let errors = runner.load_all(dir.path().join("t.test.toml")).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let report = runner.run_paths(&[dir.path()]).unwrap();
    assert_eq!((report.errors.len(), report.bad_files()), (2, 1));
}

// ---------------------------------------------------------------- item 27

#[test]
fn item27_a_stopped_run_fails_unless_the_case_expects_it() {
    let dir = project(&[
        (
            "s.script",
            "start: Begin { Default -> boom }\nboom: Assign { Variable = X Value = 1 / 0 Default -> done }\ndone: End\n",
        ),
        (
            "s.test.toml",
            r#"
[[case]]
name = "expects nothing"
expect = { steps = 2 }

[[case]]
name = "expects the outcome"
expect = { outcome = "stopped" }

[[case]]
name = "expects the error"
expect = { error = "zero" }

[[case]]
name = "hits the step limit"
max_steps = 1
"#,
        ),
    ]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.contains("FAILED s.test.toml: expects nothing\n    expect.outcome: expected completed (a case whose run stops must expect it"), "{}", out.all());
    assert!(
        out.stdout.contains("got stopped (in `boom`:"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains("ok s.test.toml: expects the outcome"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains("ok s.test.toml: expects the error"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("FAILED s.test.toml: hits the step limit"),
        "{}",
        out.all()
    );
    assert!(out.stdout.contains("2 passed, 2 failed"), "{}", out.all());
}

// ---------------------------------------------------------------- item 28

#[test]
fn item28_contains_and_matches_for_any_variable_and_err() {
    let dir = project(&[
        ("t.script", FLOW),
        (
            "t.test.toml",
            r#"
[[case]]
name = "passes"
vars = { Tier = "gold", Name = "Ada Lovelace" }
mock = [{ action = "lookup", results = [{ branch = "Error", err = "timeout after 30s" }, { set = { Found = 42 } }] }]
[case.expect.variables]
Greeting = { contains = "Ada" }
Found = { matches = '^4\d$' }
_ERR = { matches = "timeout after \\d+s" }

[[case]]
name = "fails"
vars = { Tier = "gold", Name = "Ada" }
[case.expect.variables]
Greeting = { contains = "Grace" }
_ERR = { matches = "^timeout" }
Missing = { contains = "" }
"#,
        ),
    ]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("ok t.test.toml: passes"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains(
            "expect.variables.Greeting: expected text containing \"Grace\", got \"Hello Ada\""
        ),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("expect.variables._ERR: expected text matching /^timeout/"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains(
            "expect.variables.Missing: expected text containing \"\", got no such variable"
        ),
        "{}",
        out.all()
    );
}

#[test]
fn item28_patterns_are_checked_and_bounded() {
    let dir = project(&[
        ("t.script", FLOW),
        (
            "t.test.toml",
            r#"
[[case]]
name = "x"
[case.expect.variables]
A = { matches = "a{1000}{1000}" }
B = { matches = 5 }
C = { contains = ["x"] }
"#,
        ),
    ]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("t.test.toml:5:5: `matches` pattern compiles to more than"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr
            .contains("t.test.toml:6:5: `matches` takes a string, not integer"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr
            .contains("t.test.toml:7:5: `contains` takes a string, not array"),
        "{}",
        out.all()
    );
}

// ---------------------------------------------------------------- item 14

#[test]
fn item14_outputs_never_create_missing_folders() {
    let dir = project(&[
        ("x.script", TINY),
        ("x.test.toml", "[[case]]\nname = \"a\"\n"),
        ("file", "keep me"),
    ]);
    for (option, target) in [
        ("--junit", "missing/junit.xml"),
        ("--coverage-json", "missing/cov.json"),
        ("--coverage-html", "missing/cov"),
    ] {
        let out = run_in(dir.path(), &["test", option, target]);
        assert_eq!(out.code, 2, "{option}: {}", out.all());
        assert!(
            out.stderr.contains(&format!("error: {option} {target}:")),
            "{option}: {}",
            out.all()
        );
        assert!(
            out.stderr.contains("No such file or directory"),
            "{option}: {}",
            out.all()
        );
        assert!(
            !dir.path().join("missing").exists(),
            "{option} made a folder"
        );
    }
    for option in ["--junit", "--coverage-json"] {
        let out = run_in(dir.path(), &["test", option, "file/y"]);
        assert_eq!(out.code, 2, "{option}: {}", out.all());
        assert!(
            out.stderr.contains(&format!(
                "error: {option} file/y: not a file path (its folder is not a directory)"
            )),
            "{option}: {}",
            out.all()
        );
        assert!(!out.stderr.contains("os error 17"), "{}", out.all());
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("file")).unwrap(),
        "keep me"
    );
}

#[test]
fn item14_large_test_files_are_refused_before_parsing_and_cases_are_bounded() {
    let big = "#".repeat(studioflow::testing::MAX_TEST_FILE_BYTES as usize + 1);
    let dir = project(&[("x.script", TINY), ("x.test.toml", &big)]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("over the limit of 4194304 bytes"),
        "{}",
        out.all()
    );

    let many: String = (0..=studioflow::testing::MAX_CASES)
        .map(|i| format!("[[case]]\nname = \"{i}\"\n"))
        .collect();
    std::fs::write(dir.path().join("x.test.toml"), many).unwrap();
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("x.test.toml:20001:1: the file has 10001 cases, over the limit of 10000"),
        "{}",
        out.all()
    );
}

// ---------------------------------------------------------------- item 4

/// `n` Case actions in a chain, each with five labels to one End.
fn many_cases(n: usize) -> String {
    let mut text = String::from("start: Begin { Default -> c0 }\n");
    for i in 0..n {
        let next = if i + 1 < n {
            format!("c{}", i + 1)
        } else {
            "done".to_string()
        };
        text += &format!(
            "c{i}: Case {{ Value = X Case \"a\" -> {next} Case \"b\" -> done Case \"c\" -> done Case \"d\" -> done Case \"e\" -> done Default -> {next} }}\n"
        );
    }
    text + "done: End\n"
}

#[test]
fn item4_a_large_flow_gets_the_simpler_drawing_quickly_and_small() {
    let dir = project(&[("big.script", &many_cases(1000))]);
    for args in [
        &["graph", "big.script", "--format", "svg", "-o", "big.svg"][..],
        &["run", "big.script", "--report", "report.html"][..],
    ] {
        let out = run_in(dir.path(), args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.all());
    }
    for file in ["big.svg", "report.html"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(
            text.contains("Simplified drawing: 1002 actions and 6001 branches"),
            "{file}"
        );
        assert!(text.len() < 8 << 20, "{file}: {} bytes", text.len());
        assert_eq!(text.matches("class=\"node ").count(), 1002, "{file}");
    }
}

#[test]
fn item4_the_simpler_drawing_keeps_nodes_apart() {
    use studioflow::graph::{compute_layout, Decorations, FlowGraph};
    let script = studioflow::Engine::new()
        .compile(&many_cases(300), "big.script")
        .unwrap();
    let flow = FlowGraph::from_script(&script);
    let (sizes, layout) = compute_layout(&flow, &Decorations::default());
    assert!(layout.simplified);
    assert_eq!(layout.edges.len(), flow.edges.len());
    let boxes: Vec<(f64, f64, f64, f64)> = layout
        .centers
        .iter()
        .zip(&sizes)
        .map(|(c, (w, h))| (c.x - w / 2.0, c.y - h / 2.0, c.x + w / 2.0, c.y + h / 2.0))
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        assert!(a.0 >= 0.0 && a.1 >= 0.0 && a.2 <= layout.width && a.3 <= layout.height);
        for b in &boxes[i + 1..] {
            let apart = a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
    // A small flow keeps the full layout.
    let small = studioflow::Engine::new()
        .compile(&many_cases(3), "small.script")
        .unwrap();
    let (_, layout) = compute_layout(&FlowGraph::from_script(&small), &Decorations::default());
    assert!(!layout.simplified);
}

#[test]
fn item4_past_the_drawing_bound_svg_is_refused_and_reports_say_so() {
    let n = studioflow::graph::MAX_DRAWN_NODES;
    let dir = project(&[("huge.script", &many_cases(n))]);
    let out = run_in(dir.path(), &["graph", "huge.script", "--format", "svg"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains(&format!(
            "error: huge.script: the flow has {} actions and {} branches, over the SVG drawing's bound of 5000 actions and 20000 branches: use `--format dot` or `--format mermaid`",
            n + 2,
            6 * n + 1
        )),
        "{}",
        out.all()
    );
    assert!(out.stdout.is_empty());
    let out = run_in(dir.path(), &["graph", "huge.script", "--format", "dot"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = run_in(dir.path(), &["run", "huge.script", "--report", "r.html"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let page = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        page.contains("Not drawn: the flow has"),
        "the report says so"
    );
}

#[test]
fn item15_the_path_a_failure_shows_can_be_written_back() {
    let dir = with_subscript("[[case]]\nname = \"x\"\nexpect = { path = [\"start\"] }\n");
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("expect.path"))
        .unwrap_or_else(|| panic!("{}", out.all()));
    let shown = line.rsplit_once(", got ").unwrap().1;
    assert!(shown.contains("\"lookup:find\""), "{line}");
    std::fs::write(
        dir.path().join("main.test.toml"),
        format!("[[case]]\nname = \"x\"\nexpect = {{ path = {shown} }}\n"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("ok main.test.toml: x"), "{}", out.all());
}

// ---------------------------------------------------------------- item 22

#[test]
fn item22_expect_return_checks_what_a_subscript_returns() {
    let dir = project(&[
        ("lookup.script", LOOKUP),
        (
            "lookup.test.toml",
            r#"
[[case]]
name = "returns"
vars = { who = "ada" }
expect = { return = "real ada" }

[[case]]
name = "returns text matching"
vars = { who = "ada" }
expect = { return = { matches = "^real " } }

[[case]]
name = "wrong"
vars = { who = "ada" }
expect = { return = "real bob" }
"#,
        ),
        ("main.script", MAIN),
        (
            "main.test.toml",
            "[[case]]\nname = \"no return\"\nexpect = { return = \"x\" }\n",
        ),
    ]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("ok lookup.test.toml: returns\n"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("ok lookup.test.toml: returns text matching"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains("FAILED lookup.test.toml: wrong\n    expect.return: expected \"real bob\", got \"real ada\""),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("expect.return: expected \"x\", got no return (the run ended at `done`)"),
        "{}",
        out.all()
    );
}

// ---------------------------------------------------------------- item 5

/// 3,000 rounds; `mid` runs once, in round 1,500: in the middle the trace leaves out.
const LOOPS: &str = r#"
start: Begin { Default -> init }
init: Assign { Variable = n Value = 0 Default -> spin }
spin: Loop { Repeat = 3000 Repeat -> inc Finished -> done }
inc: Assign { Variable = n Value = n + 1 Default -> check }
check: If { Expression = n = 1500 True -> mid False -> spin }
mid: Assign { Variable = hit Value = 1 Default -> spin }
never: Assign { Variable = x Value = 1 Default -> spin }
done: End
"#;

#[test]
fn item5_snapshots_hold_the_bounded_trace_and_long_runs_keep_visits_exact() {
    let dir = project(&[
        ("loop.script", LOOPS),
        (
            "loop.test.toml",
            r#"
[[case]]
name = "long"
max_steps = 20000
snapshot = true
expect = { visits = ["mid", "done"], end = "done", steps = 9005 }

[[case]]
name = "not_visits sees the middle"
max_steps = 20000
expect = { not_visits = ["mid", "never"] }

[[case]]
name = "path of a long run"
max_steps = 20000
expect = { path = ["start", "spin", "done"] }
"#,
        ),
    ]);
    let out = run_in(dir.path(), &["test", "--update"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("ok loop.test.toml: long"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains("FAILED loop.test.toml: not_visits sees the middle\n    expect.not_visits: expected [\"mid\"] never executed"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout.contains("expect.path: expected [\"start\", \"spin\", \"done\"] (3 steps), got a run of 9005 steps, too long to compare step by step"),
        "{}",
        out.all()
    );
    let snapshot: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("__snapshots__/loop/long.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(snapshot["trace"].as_array().unwrap().len(), 2_000);
    assert_eq!(snapshot["trace_omitted"], 7_005);
    // The stored snapshot matches the next run.
    let out = run_in(dir.path(), &["test", "--filter", "long"]);
    assert!(
        out.stdout.contains("ok loop.test.toml: long"),
        "{}",
        out.all()
    );
}

#[test]
fn item15_end_names_the_subscript_action_a_run_stopped_in() {
    let dir = with_subscript(
        r#"
[[case]]
name = "stops inside"
max_steps = 4
expect = { outcome = "limit", end = "lookup:start" }

[[case]]
name = "wrong end"
max_steps = 4
expect = { outcome = "limit", end = "done" }
"#,
    );
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("ok main.test.toml: stops inside"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("expect.end: expected \"done\", got \"lookup:start\""),
        "{}",
        out.all()
    );
}

#[test]
fn item14_a_large_changed_snapshot_is_compared_quickly() {
    let junk: String = (0u64..300_000)
        .map(|i| format!("line {i} {}\n", i * 7919 % 10007))
        .collect();
    let dir = project(&[
        ("s.script", TINY),
        ("s.test.toml", "[[case]]\nname = \"a\"\nsnapshot = true\n"),
        ("__snapshots__/s/a.json", &junk),
    ]);
    let out = run_in(dir.path(), &["test"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("(too large for a line diff: 300000 lines stored"),
        "{}",
        out.all()
    );
}
