//! The command line's share of issue 17: outputs that would replace an input
//! (item 8), one rule for output folders and links (item 14), `--var`
//! numbers (item 17), deadlines of 0 or less (items 18 and 26), warnings of
//! a run (item 29). Each test failed before its fix.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use tempfile::TempDir;

fn studioflow(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("studioflow");
    cmd.current_dir(dir);
    cmd
}

fn exits(cmd: &mut Command, code: i32) -> Output {
    let output = cmd.output().expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    output
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const FLOW: &str = "start: Begin { Default -> greet }\n\
greet: Assign { Variable = Greeting Value = \"Hello {Name}\" Default -> done }\n\
done: End\n";

/// A project folder with `flow.script` (and a subscript it calls).
fn project() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("flow.script");
    std::fs::write(
        &path,
        "start: Begin { Default -> call }\n\
         call: RunSub { ScriptName = \"helper\" Default -> greet }\n\
         greet: Assign { Variable = Greeting Value = \"Hello\" Default -> done }\n\
         done: End\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("helper.script"),
        "start: Begin { Default -> r }\nr: Return\n",
    )
    .unwrap();
    (dir, path)
}

fn unchanged(path: &Path, before: &[u8]) {
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "{} was replaced",
        path.display()
    );
}

// ------------------------------------------------------------ item 8

#[test]
fn run_refuses_a_report_or_save_over_its_own_script() {
    let (dir, script) = project();
    let before = std::fs::read(&script).unwrap();
    for option in ["--report", "--save"] {
        let out = exits(
            studioflow(dir.path()).args(["run", "flow.script", option, "flow.script"]),
            2,
        );
        assert!(
            stderr(&out)
                .contains("is the input flow.script of this command; refusing to overwrite it"),
            "{option}: {}",
            stderr(&out)
        );
        unchanged(&script, &before);
    }
    // The same file by another spelling, and the subscript it calls.
    let helper = dir.path().join("helper.script");
    let helper_before = std::fs::read(&helper).unwrap();
    exits(
        studioflow(dir.path()).args(["run", "flow.script", "--report", "./sub/../flow.script"]),
        2,
    );
    exits(
        studioflow(dir.path()).args(["run", "flow.script", "--report", "helper.script"]),
        2,
    );
    unchanged(&script, &before);
    unchanged(&helper, &helper_before);
    // --json still prints its one object.
    let out = exits(
        studioflow(dir.path()).args(["run", "flow.script", "--json", "--report", "flow.script"]),
        2,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["outcome"], "error");
}

#[test]
fn run_refuses_a_report_over_the_tenant_file_but_save_may_update_it() {
    let (dir, _) = project();
    let tenant = dir.path().join("tenant.json");
    // The demo tenant, saved once as the starting file.
    exits(
        studioflow(dir.path()).args(["run", "flow.script", "--save", "tenant.json"]),
        0,
    );
    let before = std::fs::read(&tenant).unwrap();
    let out = exits(
        studioflow(dir.path()).args([
            "run",
            "flow.script",
            "--directory",
            "tenant.json",
            "--report",
            "tenant.json",
        ]),
        2,
    );
    assert!(
        stderr(&out).contains("--report: tenant.json: is the input tenant.json"),
        "{}",
        stderr(&out)
    );
    unchanged(&tenant, &before);
    exits(
        studioflow(dir.path()).args([
            "run",
            "flow.script",
            "--directory",
            "tenant.json",
            "--save",
            "tenant.json",
        ]),
        0,
    );
}

#[test]
fn graph_refuses_an_output_over_its_script() {
    let (dir, script) = project();
    let before = std::fs::read(&script).unwrap();
    let out = exits(
        studioflow(dir.path()).args(["graph", "flow.script", "-o", "flow.script"]),
        2,
    );
    assert!(
        stderr(&out).contains("-o: flow.script: is the input flow.script"),
        "{}",
        stderr(&out)
    );
    unchanged(&script, &before);
    exits(
        studioflow(dir.path()).args(["graph", "flow.script", "-o", "helper.script"]),
        2,
    );
    exits(
        studioflow(dir.path()).args(["graph", "flow.script", "-o", "flow.dot"]),
        0,
    );
}

// ------------------------------------------------------------ item 14

#[cfg(unix)]
#[test]
fn outputs_refuse_dangling_links_and_missing_folders() {
    let (dir, _) = project();
    std::os::unix::fs::symlink("nowhere/report.html", dir.path().join("dangling.html")).unwrap();
    std::os::unix::fs::symlink("made.html", dir.path().join("dangling2.html")).unwrap();
    let out = exits(
        studioflow(dir.path()).args(["run", "flow.script", "--report", "dangling2.html"]),
        2,
    );
    assert!(
        stderr(&out).contains("a symbolic link to a file that does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("made.html").exists());
    exits(
        studioflow(dir.path()).args(["run", "flow.script", "--report", "dangling.html"]),
        2,
    );
    exits(
        studioflow(dir.path()).args(["graph", "flow.script", "-o", "dangling2.html"]),
        2,
    );
    assert!(!dir.path().join("made.html").exists());
    // A missing folder is refused, never created.
    exits(
        studioflow(dir.path()).args(["run", "flow.script", "--report", "new/report.html"]),
        2,
    );
    exits(
        studioflow(dir.path()).args(["graph", "flow.script", "-o", "new/flow.dot"]),
        2,
    );
    assert!(!dir.path().join("new").exists());
    // A file where a folder should be.
    let out = exits(
        studioflow(dir.path()).args(["graph", "flow.script", "-o", "flow.script/x.dot"]),
        2,
    );
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
}

// ------------------------------------------------------------ item 17

#[test]
fn var_numbers_are_plain_digits_that_a_number_holds_exactly() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("flow.script"), FLOW).unwrap();
    let run = |value: &str| {
        let out = exits(
            studioflow(dir.path())
                .args(["run", "flow.script", "--json", "--var"])
                .arg(format!("ANI={value}")),
            0,
        );
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        doc["variables"]["ANI"].clone()
    };
    assert_eq!(
        run("12345678901234567890"),
        serde_json::json!("12345678901234567890")
    );
    assert_eq!(run("1e3"), serde_json::json!("1e3"));
    assert_eq!(run("007"), serde_json::json!("007"));
    assert_eq!(run("42"), serde_json::json!(42));
    assert_eq!(run("-2.5"), serde_json::json!(-2.5));
    assert_eq!(run("[1,2]"), serde_json::json!([1, 2]));
}

// ------------------------------------------------------------ item 29

#[test]
fn run_prints_the_scripts_warnings_on_stderr_and_in_json() {
    let dir = TempDir::new().unwrap();
    let text = format!("{FLOW}lost: End\n");
    std::fs::write(dir.path().join("flow.script"), text).unwrap();
    let out = exits(
        studioflow(dir.path()).args(["run", "flow.script", "--var", "Name=x"]),
        0,
    );
    assert!(stderr(&out).contains("unreachable"), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("unreachable"),
        "stdout keeps the results: {}",
        stdout(&out)
    );
    let out = exits(
        studioflow(dir.path()).args(["run", "flow.script", "--json", "--var", "Name=x"]),
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let diagnostics = doc["diagnostics"].as_array().expect("a diagnostics list");
    assert_eq!(diagnostics.len(), 1, "{doc}");
    assert_eq!(diagnostics[0]["severity"], "warning");
    assert_eq!(diagnostics[0]["line"], 4);
    // A clean script has an empty list, not a missing key.
    std::fs::write(dir.path().join("clean.script"), FLOW).unwrap();
    let out = exits(
        studioflow(dir.path()).args(["run", "clean.script", "--json", "--var", "Name=x"]),
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["diagnostics"], serde_json::json!([]));
}

#[test]
fn test_refuses_junit_or_coverage_json_over_its_inputs() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("flow.script"), FLOW).unwrap();
    std::fs::write(
        dir.path().join("flow.test.toml"),
        "[[case]]\nname = \"greets\"\nsnapshot = false\nvars = { Name = \"Ann\" }\nexpect.variables = { Greeting = \"Hello Ann\" }\n",
    )
    .unwrap();
    let script_before = std::fs::read(dir.path().join("flow.script")).unwrap();
    let test_before = std::fs::read(dir.path().join("flow.test.toml")).unwrap();
    let out = exits(
        studioflow(dir.path()).args(["test", "flow.test.toml", "--junit", "flow.script"]),
        2,
    );
    assert!(
        stderr(&out).contains("--junit: flow.script: is the input"),
        "{}",
        stderr(&out)
    );
    exits(
        studioflow(dir.path()).args([
            "test",
            "flow.test.toml",
            "--coverage-json",
            "flow.test.toml",
        ]),
        2,
    );
    exits(
        studioflow(dir.path()).args(["test", ".", "--junit", "./flow.test.toml"]),
        2,
    );
    unchanged(&dir.path().join("flow.script"), &script_before);
    unchanged(&dir.path().join("flow.test.toml"), &test_before);
    exits(
        studioflow(dir.path()).args(["test", "flow.test.toml", "--junit", "junit.xml"]),
        0,
    );
}

// ------------------------------------------------------------ item 22

#[test]
fn a_subscript_run_alone_shows_what_it_returned() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("sub.script"),
        "start: Begin { Default -> r }\nr: Return { ReturnValue = [1, \"two\"] }\n",
    )
    .unwrap();
    let out = exits(studioflow(dir.path()).args(["run", "sub.script"]), 0);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("outcome: completed at r"), "{text}");
    assert_eq!(lines[1], "return = [1,\"two\"]", "{text}");
    let out = exits(
        studioflow(dir.path()).args(["run", "sub.script", "--json"]),
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["return"], serde_json::json!([1, "two"]));
    // No Return: no line, and null in JSON.
    std::fs::write(dir.path().join("flow.script"), FLOW).unwrap();
    let out = exits(
        studioflow(dir.path()).args(["run", "flow.script", "--var", "Name=x"]),
        0,
    );
    assert!(!stdout(&out).contains("return ="), "{}", stdout(&out));
}
