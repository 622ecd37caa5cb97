//! `studioflow::testing` across RunSub: mocks address actions inside a
//! subscript as `script:action`, and coverage counts each subscript's
//! branches as a script of its own.

use std::path::Path;

use studioflow::testing::{Problem, TestRunner};

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

fn project(tests: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.script"), MAIN).unwrap();
    std::fs::write(dir.path().join("lookup.script"), LOOKUP).unwrap();
    std::fs::write(dir.path().join("main.test.toml"), tests).unwrap();
    dir
}

fn run(dir: &Path) -> studioflow::testing::Report {
    TestRunner::new().run_paths(&[dir]).unwrap()
}

#[test]
fn a_mock_named_script_colon_action_replaces_only_the_subscripts_action() {
    let dir = project(
        r#"
[[case]]
name = "real"
expect = { variables = { Found = "real root" } }

[[case]]
name = "the subscript's find fails"
mock = [{ action = "lookup:find", results = [{ branch = "Error", err = "no such caller" }] }]
expect = { variables = { Found = "oops no such caller", Who = "root" } }

[[case]]
name = "the caller's find is mocked, the subscript's is not"
mock = [{ action = "find", results = [{ set = { Who = "mocked" } }] }]
expect = { variables = { Found = "real mocked" } }
"#,
    );
    let report = run(dir.path());
    assert_eq!(report.errors.len(), 0, "{:?}", report.errors);
    for case in &report.files[0].cases {
        assert!(case.passed(), "{}: {:?}", case.name, case.mismatches);
    }
    assert_eq!(report.passed(), 3);
}

#[test]
fn coverage_counts_subscript_branches_per_script() {
    let dir = project(
        r#"
[[case]]
name = "real"

[[case]]
name = "the subscript's find fails"
mock = [{ action = "lookup:find", results = [{ branch = "Error" }] }]
"#,
    );
    let report = run(dir.path());
    let lines: Vec<String> = report
        .coverage()
        .scripts()
        .iter()
        .map(|s| {
            s.summary_line()
                .replace(&*dir.path().to_string_lossy(), "DIR")
        })
        .collect();
    assert_eq!(
        lines,
        [
            "DIR/lookup.script: actions 4/4 (100.0%), branches 3/3 (100.0%)",
            "DIR/main.script: actions 4/5 (80.0%), branches 3/4 (75.0%)",
        ]
    );
    let lookup = &report.coverage().scripts()[0];
    let hits: Vec<(&str, &str, u64)> = lookup
        .branches
        .iter()
        .map(|b| (b.action.as_str(), b.branch.as_str(), b.hits))
        .collect();
    assert_eq!(
        hits,
        [
            ("start", "Default", 2),
            ("find", "Default", 1),
            ("find", "Error", 1)
        ]
    );
    // The untaken branch of the caller is listed at its own file:line:col.
    let untaken = report.coverage().scripts()[1].untaken_lines();
    assert_eq!(untaken.len(), 1);
    assert!(
        untaken[0].ends_with("main.script:4:96: branch Error of call (RunSub) never taken"),
        "{untaken:?}"
    );
}

#[test]
fn a_mock_of_an_unknown_subscript_or_action_is_bad_input_with_a_suggestion() {
    for (mock, expected) in [
        (
            "lokup:find",
            "mock names `lokup:find`, but `lokup` is not a subscript this script calls (it calls lookup) (did you mean `lookup:find`?)",
        ),
        (
            "lookup:fnd",
            "mock names action `lookup:fnd`, which the script does not have (did you mean `lookup:find`?)",
        ),
    ] {
        let dir = project(&format!(
            "[[case]]\nname = \"x\"\nmock = [{{ action = \"{mock}\", results = [{{ branch = \"Default\" }}] }}]\n"
        ));
        let report = run(dir.path());
        assert_eq!(report.errors.len(), 1, "{mock}");
        let error = &report.errors[0];
        assert!(
            matches!(
                *error.problem,
                Problem::UnknownSubscript { .. } | Problem::UnknownAction { .. }
            ),
            "{error}"
        );
        assert_eq!(error.problem.to_string(), expected);
        assert_eq!((error.line, error.column), (3, 20), "{mock}");
    }
}
