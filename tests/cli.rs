//! The command line: exit codes, `--json`, `--trace`, `check` output, and bad
//! input of every kind (never a panic).

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use tempfile::TempDir;

fn studioflow() -> Command {
    let mut cmd = cargo_bin_cmd!("studioflow");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs the command and checks its exit code, returning its output.
fn exits(cmd: &mut Command, code: i32) -> Output {
    let output = cmd.output().expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!err.contains("panicked"), "panic:\n{err}");
    output
}

/// A temporary directory holding one script.
fn script(text: impl AsRef<[u8]>) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("case.script");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const COMPLETES: &str = "start: Begin { Default -> greet }\n\
greet: Assign \"Say hi\" { Variable = Greeting Value = \"Hello {Name}\" Default -> done }\n\
done: End\n";

const STOPS: &str = "start: Begin { Default -> a }\n\
a: Assign { Variable = x Value = 1 / 0 Default -> done }\n\
done: End\n";

const SPINS: &str = "start: Begin { Default -> spin }\n\
spin: Assign { Variable = n Value = n + 1 Default -> spin }\n";

// ------------------------------------------------------------ exit codes

#[test]
fn exit_0_when_completed() {
    let (_d, path) = script(COMPLETES);
    let out = exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--var", "Name=Ada"]),
        0,
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("outcome: completed at done after 3 steps"),
        "{text}"
    );
    assert!(text.contains("Greeting = \"Hello Ada\""), "{text}");
}

#[test]
fn exit_1_when_stopped_by_an_action_error() {
    let (_d, path) = script(STOPS);
    let out = exits(studioflow().arg("run").arg(&path), 1);
    let text = stdout(&out);
    assert!(!text.contains("error"), "run errors go to stderr: {text}");
    assert!(
        text.starts_with("outcome: stopped at a after 2 steps"),
        "{text}"
    );
    assert_eq!(
        stderr(&out).trim_end(),
        "error: action `a` failed: Value: division by zero"
    );
}

#[test]
fn exit_2_when_the_script_does_not_check() {
    let (_d, path) = script("start: Begin { Default -> nowhere }\n");
    let out = exits(studioflow().arg("run").arg(&path), 2);
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("error[missing-target]: branch target `nowhere` does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_3_when_the_step_budget_runs_out() {
    let (_d, path) = script(SPINS);
    let out = exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--max-steps", "25", "--var", "n=0", "--json"]),
        3,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["outcome"], "stopped");
    assert_eq!(json["steps"], 25);
    assert_eq!(json["error"]["kind"], "limit");
    assert_eq!(
        json["error"]["message"],
        "step budget of 25 executed actions exceeded"
    );
    assert!(json["variables"].get("_ERR").is_none());
    // The default budget is 10,000.
    let out = exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--var", "n=0", "--json"]),
        3,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["steps"], 10_000);
}

// ------------------------------------------------------------ --json and --trace

#[test]
fn json_prints_exactly_one_object() {
    let (_d, path) = script(COMPLETES);
    let out = exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--json", "--var", "Name=Ada"]),
        0,
    );
    let text = stdout(&out);
    // Exactly one JSON value, and nothing else, on stdout.
    let mut values = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let json = values.next().expect("one value").expect("valid JSON");
    assert!(values.next().is_none(), "more than one JSON value:\n{text}");
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "outcome",
            "end",
            "error",
            "steps",
            "trace",
            "trace_omitted",
            "return",
            "variables",
            "transcript",
            "waiting",
            "diagnostics",
            "not_shown"
        ]
    );
    assert_eq!(json["trace_omitted"], 0);
    assert_eq!(json["return"], serde_json::Value::Null);
    // No contact: nothing happened on it, and the run does not wait.
    assert_eq!(json["transcript"], serde_json::json!([]));
    assert_eq!(json["waiting"], serde_json::Value::Null);
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    assert_eq!(json["outcome"], "completed");
    assert_eq!(json["end"], "done");
    assert_eq!(json["error"], serde_json::Value::Null);
    assert_eq!(json["steps"], 3);
    assert_eq!(
        json["trace"],
        serde_json::json!([
            {"step": 1, "action": "start", "type": "Begin", "branch": "Default"},
            {"step": 2, "action": "greet", "type": "Assign", "branch": "Default"},
            {"step": 3, "action": "done", "type": "End", "branch": null},
        ])
    );
    assert_eq!(
        json["variables"],
        serde_json::json!({"Greeting": "Hello Ada", "Name": "Ada"})
    );
}

#[test]
fn json_reports_an_action_stop() {
    let (_d, path) = script(STOPS);
    let out = exits(studioflow().arg("run").arg(&path).arg("--json"), 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["outcome"], "stopped");
    assert_eq!(
        json["error"],
        serde_json::json!({"action": "a", "message": "Value: division by zero", "kind": "action"})
    );
    assert_eq!(json["variables"]["_ERR"], "Value: division by zero");
    assert_eq!(json["trace"][1]["branch"], "Error");
}

#[test]
fn var_values_are_json_when_they_parse() {
    let (_d, path) = script(
        "start: Begin { Default -> a }\na: Assign { Variable = r Value = [n + 1, s, l[2], o.k] }\n",
    );
    let out = exits(
        studioflow().arg("run").arg(&path).args([
            "--json",
            "--var",
            "n=5",
            "--var",
            "s=plain text",
            "--var",
            "l=[1,2]",
            "--var",
            r#"o={"k":"v"}"#,
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        json["variables"]["r"],
        serde_json::json!([6, "plain text", 2, "v"])
    );
}

#[test]
fn trace_goes_to_stderr_and_results_to_stdout() {
    let (_d, path) = script(COMPLETES);
    let out = exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--trace", "--var", "Name=Ada"]),
        0,
    );
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], r#"1 start Begin "Begin" -> Default"#);
    assert_eq!(lines[1], r#"2 greet Assign "Say hi" -> Default"#);
    assert!(lines[2].starts_with(r#"3 done End "End""#), "{}", lines[2]);
    let text = stdout(&out);
    assert!(text.starts_with("outcome: completed"), "{text}");
    assert!(!text.contains(" -> "), "trace leaked to stdout:\n{text}");
}

#[test]
fn trace_with_json_keeps_stdout_one_json_object() {
    let (_d, path) = script(STOPS);
    let out = exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--trace", "--json"]),
        1,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["outcome"], "stopped");
    let err = stderr(&out);
    assert!(err.contains(r#"2 a Assign "Assign" -> Error"#), "{err}");
}

// ------------------------------------------------------------ check

#[test]
fn check_prints_errors_with_source_line_and_caret() {
    let (_d, path) = script(
        "start: Begin { Default -> a }\n\
         a: Frobnicate { Default -> nowhere }\n",
    );
    let out = exits(studioflow().arg("check").arg(&path), 2);
    let text = stdout(&out);
    let name = path.display().to_string();
    let expected = format!(
        "{name}:2:4: error[unknown-action-type]: unknown action type `Frobnicate`; known types: "
    );
    assert!(text.starts_with(&expected), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "  a: Frobnicate { Default -> nowhere }");
    assert_eq!(lines[2], "     ^^^^^^^^^^");
}

#[test]
fn check_reports_warnings_and_exits_0() {
    let (_d, path) = script(
        "start: Begin { Default -> a }\n\
         a: Assign { Variable = x Value = Tier Default -> done }\n\
         done: End\n\
         orphan: End\n",
    );
    let out = exits(studioflow().arg("check").arg(&path), 0);
    let text = stdout(&out);
    let name = path.display().to_string();
    assert!(
        text.contains(&format!(
            "{name}:2:34: warning[unassigned-variable]: variable `Tier` is read but never assigned"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{name}:4:1: warning[unreachable-action]: action `orphan` is unreachable from Begin\n  orphan: End\n  ^^^^^^"
        )),
        "{text}"
    );
    // Declaring the input silences its warning.
    let out = exits(
        studioflow().arg("check").arg(&path).args(["--var", "Tier"]),
        0,
    );
    assert!(!stdout(&out).contains("Tier"), "{}", stdout(&out));
}

#[test]
fn check_clean_script_prints_nothing() {
    let out = exits(studioflow().args(["check", "scripts/greeting.script"]), 0);
    assert_eq!(stdout(&out), "");
}

#[test]
fn check_several_files_exits_2_if_any_fails() {
    let (_d, bad) = script("start: Begin { Default -> nowhere }\n");
    let out = exits(
        studioflow()
            .args(["check", "scripts/greeting.script"])
            .arg(&bad),
        2,
    );
    assert!(stdout(&out).contains("does not exist"));
}

#[test]
fn check_var_declares_the_name_with_or_without_a_value() {
    let (_d, path) = script(
        "start: Begin { Default -> a }\n\
         a: Assign { Variable = x Value = Language Default -> done }\n\
         done: End\n",
    );
    let warned = exits(studioflow().arg("check").arg(&path), 0);
    assert!(
        stdout(&warned).contains("`Language`"),
        "{}",
        stdout(&warned)
    );
    for declaration in ["Language", "Language=en", "Language=", "Language={\"a\":1}"] {
        let out = exits(
            studioflow()
                .arg("check")
                .arg(&path)
                .args(["--var", declaration]),
            0,
        );
        assert_eq!(stdout(&out), "", "--var {declaration}");
    }
}

#[test]
fn invalid_var_names_exit_2_naming_the_name() {
    let (_d, path) = script(COMPLETES);
    for command in ["check", "run"] {
        for bad in ["1x", "1x=2", "a-b=1", "=5", "", "x y=1", "é=1"] {
            let out = exits(studioflow().arg(command).arg(&path).args(["--var", bad]), 2);
            let err = stderr(&out);
            assert!(
                err.contains("is not a variable name"),
                "{command} --var {bad:?}: {err}"
            );
            assert!(stdout(&out).is_empty(), "{command} --var {bad:?}");
        }
    }
}

/// The one JSON object `--json` printed.
fn json_object(out: &Output) -> serde_json::Value {
    let text = stdout(out);
    let mut docs = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let doc = docs
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", stderr(out)))
        .expect("valid JSON");
    assert!(docs.next().is_none(), "more than one JSON value:\n{text}");
    assert!(doc.is_object(), "{doc}");
    doc
}

#[test]
fn run_json_prints_one_object_when_loading_fails() {
    let (dir, path) = script("start: Begin { Default -> nowhere }\nlost: Frobnicate\n");
    let (_g, good) = script(COMPLETES);
    let bad_tenant = dir.path().join("tenant.json");
    std::fs::write(&bad_tenant, "{ not json").unwrap();
    // A script that does not compile: every diagnostic, with its place.
    let out = exits(studioflow().arg("run").arg(&path).arg("--json"), 2);
    let doc = json_object(&out);
    assert_eq!(doc["outcome"], "error");
    assert_eq!(doc["error"]["kind"], "input");
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "missing-target",
            "unreachable-action",
            "unknown-action-type"
        ],
        "{doc}"
    );
    let first = &doc["diagnostics"][0];
    assert_eq!(first["file"], path.display().to_string());
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(1), Some(27))
    );
    assert_eq!(
        (first["end_line"].as_u64(), first["end_column"].as_u64()),
        (Some(1), Some(34))
    );
    assert_eq!(first["severity"], "error");
    // People still read the diagnostics on stderr.
    assert!(
        stderr(&out).contains("error[missing-target]"),
        "{}",
        stderr(&out)
    );

    // Everything else that stops a run before it starts.
    let missing = dir.path().join("missing.script");
    for (what, args) in [
        ("missing script", vec![missing.as_os_str().to_owned()]),
        (
            "bad tenant",
            vec![
                good.as_os_str().to_owned(),
                "--directory".into(),
                bad_tenant.as_os_str().to_owned(),
            ],
        ),
        (
            "bad --var",
            vec![good.as_os_str().to_owned(), "--var".into(), "1x=2".into()],
        ),
        (
            "--var without value",
            vec![good.as_os_str().to_owned(), "--var".into(), "x".into()],
        ),
        (
            "bad --now",
            vec![
                good.as_os_str().to_owned(),
                "--now".into(),
                "yesterday".into(),
            ],
        ),
    ] {
        let out = exits(studioflow().arg("run").args(&args).arg("--json"), 2);
        let doc = json_object(&out);
        assert_eq!(doc["outcome"], "error", "{what}: {doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            !message.is_empty() && stderr(&out).contains(message),
            "{what}: {doc}"
        );
        assert_eq!(doc["diagnostics"], serde_json::json!([]), "{what}");
    }
}

#[test]
fn json_is_one_object_even_for_a_refused_command_line() {
    let (_d, path) = script(COMPLETES);
    let p = path.to_str().unwrap();
    for args in [
        vec!["run", p, "--json", "--max-steps", "0"],
        vec!["run", p, "--json", "--frobnicate"],
        vec!["check", "--json"],
        vec!["check", p, "--json", "--var", "1x"],
    ] {
        let out = exits(studioflow().args(&args), 2);
        let doc = json_object(&out);
        assert_eq!(doc["outcome"], "error", "{args:?}: {doc}");
        assert!(
            !doc["error"]["message"].as_str().unwrap().is_empty(),
            "{args:?}"
        );
        assert!(
            !stderr(&out).is_empty(),
            "{args:?}: people still read stderr"
        );
    }
    // Without --json, stdout stays empty.
    let out = exits(studioflow().args(["run", p, "--max-steps", "0"]), 2);
    assert!(stdout(&out).is_empty());
}

#[test]
fn check_json_lists_every_diagnostic_of_every_file() {
    let (dir, bad) = script("start: Begin { Default -> a }\na: Assign { Variable = x Value = nosuch(Tier) Default -> done }\ndone: End\n");
    let warns = dir.path().join("warns.script");
    std::fs::write(&warns, "start: Begin\norphan: End\n").unwrap();
    let missing = dir.path().join("missing.script");
    let out = exits(
        studioflow()
            .arg("check")
            .arg(&bad)
            .arg(&warns)
            .arg(&missing)
            .arg("--json"),
        2,
    );
    let doc = json_object(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(
        (doc["errors"].as_u64(), doc["warnings"].as_u64()),
        (Some(2), Some(2)),
        "{doc}"
    );
    let found: Vec<(String, String, u64, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap();
            let file = Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file,
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("case.script", "unknown-function", 2, 34),
        ("case.script", "unassigned-variable", 2, 41),
        ("warns.script", "unreachable-action", 2, 1),
        ("missing.script", "unreadable-file", 1, 1),
    ];
    let expected: Vec<(String, String, u64, u64)> = expected
        .iter()
        .map(|(f, c, l, col)| (f.to_string(), c.to_string(), *l, *col))
        .collect();
    assert_eq!(found, expected, "{doc}");
    for d in doc["diagnostics"].as_array().unwrap() {
        for key in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "severity",
            "code",
            "message",
        ] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
    }
    // A clean file: ok, nothing listed, exit 0.
    let out = exits(
        studioflow().args(["check", "scripts/greeting.script", "--json"]),
        0,
    );
    let doc = json_object(&out);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["diagnostics"], serde_json::json!([]));
}

#[test]
fn check_json_names_a_bad_manifest() {
    let (dir, path) = script(COMPLETES);
    std::fs::write(dir.path().join("studioflow.toml"), "[actions\n").unwrap();
    let out = exits(studioflow().arg("check").arg(&path).arg("--json"), 2);
    let doc = json_object(&out);
    assert_eq!(doc["diagnostics"][0]["code"], "invalid-manifest", "{doc}");
    assert_eq!(doc["diagnostics"][0]["severity"], "error");
    assert!(
        doc["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("studioflow.toml"),
        "{doc}"
    );
    // The same failure stops `run` with its one JSON object.
    let out = exits(studioflow().arg("run").arg(&path).arg("--json"), 2);
    assert_eq!(json_object(&out)["outcome"], "error");
}

#[test]
fn check_json_keeps_the_per_file_cap() {
    // 80 unknown (and unreachable) action types: 160 diagnostics, 50 listed, 110 counted.
    let mut text = String::from("start: Begin\n");
    for i in 0..80 {
        text.push_str(&format!("a{i}: Nope\n"));
    }
    let (_d, path) = script(text);
    let out = exits(studioflow().arg("check").arg(&path).arg("--json"), 2);
    let doc = json_object(&out);
    assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 50);
    assert_eq!(doc["not_shown"], 110);
    assert_eq!(
        (doc["errors"].as_u64(), doc["warnings"].as_u64()),
        (Some(80), Some(80))
    );
}

// ------------------------------------------------------------ bad command lines and input

#[test]
fn bad_command_lines_exit_2() {
    let (_d, path) = script(COMPLETES);
    let p = path.to_str().unwrap();
    for args in [
        vec!["run", p, "--frobnicate"],
        vec!["run"],
        vec!["check"],
        vec!["run", p, "--var", "NoEquals"],
        vec!["run", p, "--var", "1bad=2"],
        vec!["check", p, "--var", "1bad"],
        vec!["run", p, "--max-steps", "abc"],
        vec!["run", p, "--max-steps", "-1"],
        vec!["run", p, "--now", "yesterday"],
        vec!["fly", p],
        vec![],
    ] {
        let out = exits(studioflow().args(&args), 2);
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        assert!(!stderr(&out).is_empty(), "{args:?}: no message");
    }
}

#[test]
fn help_and_version_exit_0() {
    exits(studioflow().arg("--help"), 0);
    exits(studioflow().arg("--version"), 0);
}

#[test]
fn unreadable_file_exits_2() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.script");
    let out = exits(studioflow().arg("run").arg(&missing), 2);
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    let out = exits(studioflow().arg("check").arg(&missing), 2);
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    // A directory is not a readable script either.
    exits(studioflow().arg("run").arg(dir.path()), 2);
}

#[test]
fn invalid_utf8_exits_2() {
    let (_d, path) = script(b"start: Begin { Default -> d }\nd: End \xff\xfe\x00\x9f\n");
    let out = exits(studioflow().arg("run").arg(&path), 2);
    assert!(
        stderr(&out).contains("not a UTF-8 text file"),
        "{}",
        stderr(&out)
    );
    let out = exits(studioflow().arg("check").arg(&path), 2);
    assert!(
        stderr(&out).contains("not a UTF-8 text file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_inputs_exit_2_with_a_diagnostic() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty", b"", "the script is empty"),
        ("blank", b"  \n\t\n", "the script is empty"),
        ("garbage", "\u{00bf}\u{2603} \u{00a7}\u{00a7} GIF89a ###".as_bytes(), "expected an action"),
        ("nul", b"\x00\x01\x02\x03", "NUL byte"),
        (
            "unterminated",
            b"start: Begin { Default -> a }\na: Assign { Variable = x Value = \"abc\n Default -> a }\n",
            "unterminated string literal",
        ),
        (
            "missing target",
            b"start: Begin { Default -> nowhere }\n",
            "branch target `nowhere` does not exist",
        ),
        (
            "two begins",
            b"start: Begin { Default -> b }\nb: Begin\n",
            "a second Begin action",
        ),
        ("unknown type", b"start: Begin { Default -> b }\nb: Teleport\n", "unknown action type `Teleport`"),
        ("no begin", b"a: End\n", "no Begin action"),
    ];
    for (what, text, message) in cases {
        let (_d, path) = script(text);
        for cmd in ["run", "check"] {
            let out = exits(studioflow().arg(cmd).arg(&path), 2);
            let all = format!("{}{}", stdout(&out), stderr(&out));
            assert!(all.contains(message), "{what} ({cmd}): {all}");
            assert!(all.contains(": error["), "{what} ({cmd}): {all}");
        }
    }
}

#[test]
fn deep_nesting_exits_2_without_panic() {
    let n = 100_000;
    let shapes = [
        format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        format!("{}1", "-".repeat(n)),
        format!("{}true", "not ".repeat(n)),
        format!("x{}", ".y".repeat(n)),
        format!("x{}", "[0]".repeat(n)),
        format!("1{}", " + 1".repeat(n)),
        format!("\"{}\"", "{\"".repeat(n)),
    ];
    for (i, expr) in shapes.iter().enumerate() {
        let (_d, path) = script(format!(
            "start: Begin {{ Default -> a }}\na: Assign {{ Variable = x Value = {expr} }}\n"
        ));
        for cmd in ["run", "check"] {
            let out = exits(studioflow().arg(cmd).arg(&path), 2);
            let all = format!("{}{}", stdout(&out), stderr(&out));
            assert!(
                all.contains(": error["),
                "shape {i} ({cmd}): {}",
                &all[..all.len().min(400)]
            );
        }
    }
    // 100,000 parentheses, exactly as the issue puts it.
    let (_d, path) = script(format!(
        "start: Begin {{ Default -> a }}\na: Assign {{ Variable = x Value = {}1{} }}\n",
        "(".repeat(n),
        ")".repeat(n)
    ));
    let out = exits(studioflow().arg("run").arg(&path), 2);
    assert!(stderr(&out).contains("nesting is deeper than 256 levels"));
}

#[test]
fn diagnostics_output_stays_bounded_on_a_huge_one_line_script() {
    // 1.1 MB on one line holding 20,000 errors: each diagnostic shows a
    // window of the line, and only the first few are printed.
    let call = format!("no_such_function_{}(1)", "x".repeat(32));
    let items = vec![call.as_str(); 20_000].join(",");
    let (_d, path) = script(format!(
        "start: Begin {{ Default -> a }} a: Assign {{ Variable = x Value = [{items}] }}"
    ));
    assert!(std::fs::metadata(&path).unwrap().len() > 1_000_000);
    let out = exits(studioflow().arg("check").arg(&path), 2);
    let text = stdout(&out);
    assert!(text.len() < 64 * 1024, "{} bytes of output", text.len());
    assert_eq!(
        text.matches("error[unknown-function]").count(),
        studioflow::SHOWN_DIAGNOSTICS
    );
    let more = 20_000 - studioflow::SHOWN_DIAGNOSTICS;
    assert!(
        text.contains(&format!(
            "{more} more diagnostics not shown (20000 in all: 20000 errors, 0 warnings)"
        )),
        "{}",
        &text[text.len().saturating_sub(300)..]
    );
    // The echoed line is clipped, with a marker.
    assert!(text.lines().nth(1).unwrap().ends_with('…'));
}

#[test]
fn a_byte_order_mark_and_lone_carriage_returns_are_read_as_editors_write_them() {
    let (_d, path) = script(
        "\u{feff}start: Begin { Default -> a }\r// a comment ends at CR\ra: Assign { Variable = x Value = nosuch() Default -> b }\rb: End\r",
    );
    let out = exits(studioflow().arg("check").arg(&path), 2);
    let name = path.display().to_string();
    assert!(
        stdout(&out).starts_with(&format!("{name}:3:34: error[unknown-function]")),
        "{}",
        stdout(&out)
    );
}

// ------------------------------------------------------------ the examples

#[test]
fn every_example_script_exits_0() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("script") {
            continue;
        }
        count += 1;
        // The phone flow waits for its caller (exit 5) when no events are given.
        let ran = match path.file_name().and_then(|n| n.to_str()) {
            Some("phone.script") => 5,
            _ => 0,
        };
        exits(studioflow().arg("run").arg(&path), ran);
        exits(studioflow().arg("run").arg(&path).arg("--json"), ran);
        exits(studioflow().arg("check").arg(&path), 0);
    }
    assert!(
        count >= 3,
        "expected at least three example scripts, found {count}"
    );
}

#[test]
fn greeting_runs_with_and_without_inputs() {
    let out = exits(
        studioflow().args(["run", "scripts/greeting.script", "--json"]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        json["variables"]["Greeting"],
        "Hello caller, you have 3 items"
    );
    let out = exits(
        studioflow().args([
            "run",
            "scripts/greeting.script",
            "--json",
            "--var",
            "Name=Ada",
            "--var",
            "count=1",
            "--var",
            "Tier=gold",
        ]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["variables"]["Greeting"], "Hello Ada, you have 2 items");
    assert_eq!(json["variables"]["count"], 4);
}

/// `studioflow run ... | head` closes stdout early: the CLI must end quietly,
/// never panic on the broken pipe.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    use std::io::Read;
    use std::process::{Command as StdCommand, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("big.script");
    // 1 KiB doubled 9 times: 512 KiB of output, far more than a pipe holds.
    std::fs::write(
        &script,
        r#"start: Begin { Default -> init }
init: Assign { Variable = s Value = replace(substr("0123456789abcdef", 1, 16), "0", "0") Default -> widen }
widen: Assign { Variable = s Value = "{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}" Default -> grow }
grow: Loop { Repeat = 9 Repeat -> double Finished -> done }
double: Assign { Variable = s Value = "{s}{s}" Default -> grow }
done: End
"#,
    )
    .unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("studioflow"))
        .arg("run")
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then hang up.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
}
