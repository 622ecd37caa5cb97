//! `studioflow graph` and `studioflow run --report` as a user runs them.

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

fn exits(cmd: &mut Command, code: i32) -> Output {
    let output = cmd.output().expect("the binary runs");
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    output
}

fn script(dir: &TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("case.script");
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

const BROKEN: &str = "start: Begin { Default -> nowhere }\n";
const SPINS: &str =
    "start: Begin { Default -> spin }\nspin: Assign { Variable = n Value = 1 Default -> spin }\n";

#[test]
fn graph_defaults_to_dot_on_stdout() {
    let out = exits(studioflow().args(["graph", "scripts/router.script"]), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("digraph \"scripts/router.script\" {"),
        "{text}"
    );
    assert!(
        text.contains(r#"n3 -> n4 [label="\"1\""]"#),
        "Case labels as written: {text}"
    );
}

#[test]
fn graph_formats_and_atomic_output_file() {
    let dir = TempDir::new().unwrap();
    for (format, start) in [
        ("dot", "digraph"),
        ("mermaid", "---\ntitle:"),
        ("svg", "<svg"),
    ] {
        let out = dir.path().join(format!("flow.{format}"));
        let o = exits(
            studioflow()
                .args([
                    "graph",
                    "scripts/retry_lookup.script",
                    "--format",
                    format,
                    "-o",
                ])
                .arg(&out),
            0,
        );
        assert!(o.stdout.is_empty(), "-o writes nothing to stdout");
        assert!(read(&out).starts_with(start), "{format}: {}", read(&out));
    }
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn graph_of_a_script_that_does_not_compile_prints_diagnostics_and_exits_2() {
    let dir = TempDir::new().unwrap();
    let path = script(&dir, BROKEN);
    let out = exits(studioflow().arg("graph").arg(&path), 2);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("case.script:1:") && err.contains("nowhere"),
        "{err}"
    );
}

#[test]
fn graph_bad_input_exits_2() {
    exits(
        studioflow().args(["graph", "scripts/router.script", "--format", "png"]),
        2,
    );
    exits(studioflow().args(["graph", "no/such.script"]), 2);
    let dir = TempDir::new().unwrap();
    // -o naming a folder: refused, and the folder is untouched.
    let out = exits(
        studioflow()
            .args(["graph", "scripts/router.script", "-o"])
            .arg(dir.path()),
        2,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    assert!(dir.path().is_dir());
}

#[test]
fn graph_marks_unreachable_actions_and_api_actions_without_error_branch() {
    let dir = TempDir::new().unwrap();
    let path = script(
        &dir,
        "start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"sysadmin\" Default -> done }\nlost: Assign { Variable = x Value = 1 Default -> done }\ndone: End\n",
    );
    let svg = String::from_utf8(
        exits(
            studioflow()
                .arg("graph")
                .arg(&path)
                .args(["--format", "svg"]),
            0,
        )
        .stdout,
    )
    .unwrap();
    assert!(
        svg.contains("class=\"node kind-api noerror\" id=\"node-1\" data-action=\"who\""),
        "{svg}"
    );
    assert!(
        svg.contains("class=\"node kind-plain unreachable\" id=\"node-2\" data-action=\"lost\""),
        "{svg}"
    );
    let mermaid = String::from_utf8(
        exits(
            studioflow()
                .arg("graph")
                .arg(&path)
                .args(["--format", "mermaid"]),
            0,
        )
        .stdout,
    )
    .unwrap();
    assert!(
        mermaid.contains("class n2 unreachable") && mermaid.contains("class n1 noerror"),
        "{mermaid}"
    );
    let dot = String::from_utf8(exits(studioflow().arg("graph").arg(&path), 0).stdout).unwrap();
    assert!(
        dot.contains("Error branch not connected") && dot.contains("dashed"),
        "{dot}"
    );
}

#[test]
fn error_edges_are_red_and_dashed() {
    let svg = String::from_utf8(
        exits(
            studioflow().args(["graph", "scripts/retry_lookup.script", "--format", "svg"]),
            0,
        )
        .stdout,
    )
    .unwrap();
    assert!(svg.contains("<g class=\"edge error\""), "{svg}");
    assert!(svg.contains(".flow .edge.error path{stroke:#d32f2f;stroke-dasharray"));
    let dot = String::from_utf8(
        exits(
            studioflow().args(["graph", "scripts/retry_lookup.script"]),
            0,
        )
        .stdout,
    )
    .unwrap();
    assert!(
        dot.contains("[label=\"Error\", color=\"#d32f2f\", fontcolor=\"#d32f2f\", style=dashed]"),
        "{dot}"
    );
}

fn report_of(args: &[&str], code: i32) -> (Output, String, TempDir) {
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("r.html");
    let out = exits(
        studioflow()
            .arg("run")
            .args(args)
            .arg("--report")
            .arg(&report),
        code,
    );
    let page = read(&report);
    (out, page, dir)
}

#[test]
fn report_does_not_change_stdout_or_the_exit_code() {
    for (args, code) in [
        (
            vec![
                "scripts/greeting.script",
                "--var",
                "Name=Ada",
                "--json",
                "--now",
                "2026-03-08T06:30:00Z",
            ],
            0,
        ),
        (
            vec![
                "scripts/roles_admin.script",
                "--now",
                "2026-03-08T06:30:00Z",
            ],
            0,
        ),
    ] {
        let plain = exits(studioflow().arg("run").args(&args), code);
        let (with, page, _d) = report_of(&args, code);
        assert_eq!(plain.stdout, with.stdout);
        assert!(page.starts_with("<!DOCTYPE html>"));
    }
}

#[test]
fn report_lists_steps_changes_and_the_path() {
    let (out, page, _d) = report_of(&["scripts/retry_lookup.script", "--json"], 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = doc["steps"].as_u64().unwrap() as usize;
    assert_eq!(page.matches("<tr class=\"step\"").count(), steps);
    // Step 4 sets attempt from unset to 1 (Studio's arrays start at 1),
    // step 7 from 1 to 2.
    assert!(
        page.contains("<b>attempt</b>: (unset) <span class=\"arrow\">→</span> 1"),
        "{page}"
    );
    assert!(page.contains("<b>attempt</b>: 1 <span class=\"arrow\">→</span> 2"));
    // The Error edge of lookup was taken twice.
    assert!(page.contains("Error ×2"), "{page}");
    assert!(page.contains("<span class=\"badge completed\" id=\"outcome\">completed</span>"));
    // Self-contained: nothing is fetched.
    for needle in ["http://", "https://", "src=\"", "<link"] {
        let hits: Vec<_> = page
            .match_indices(needle)
            .filter(|(i, _)| !page[..*i].ends_with("xmlns=\""))
            .collect();
        assert!(hits.is_empty(), "{needle} in the page");
    }
    assert!(page.contains("Content-Security-Policy") && page.contains("default-src 'none'"));
}

#[test]
fn report_of_a_stopped_run_shows_the_error_and_err() {
    let dir = TempDir::new().unwrap();
    let path = script(&dir, "start: Begin { Default -> a }\na: Assign \"Divide\" { Variable = x Value = 1 / 0 Default -> done }\ndone: End\n");
    let report = dir.path().join("r.html");
    exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .arg("--report")
            .arg(&report),
        1,
    );
    let page = read(&report);
    assert!(
        page.contains("id=\"run-error\">action in action <code>a</code>: Value: division by zero"),
        "{page}"
    );
    assert!(page.contains("id=\"err\">&quot;Value: division by zero&quot;"));
    assert!(page.contains("class=\"node kind-plain visited failed\""));
}

#[test]
fn report_of_a_limit_run_is_written_and_keeps_the_first_thousand_steps() {
    let dir = TempDir::new().unwrap();
    let path = script(&dir, SPINS);
    let report = dir.path().join("r.html");
    exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .args(["--max-steps", "1500", "--report"])
            .arg(&report),
        3,
    );
    let page = read(&report);
    assert_eq!(page.matches("<tr class=\"step\"").count(), 1000);
    assert!(
        page.contains("… and 500 more steps not shown"),
        "more steps"
    );
    assert!(
        page.contains("Default ×1499"),
        "the picture counts every step"
    );
    assert!(page.contains("<span class=\"badge limit\""));
}

#[test]
fn report_clips_long_values() {
    let dir = TempDir::new().unwrap();
    let path = script(&dir, "start: Begin { Default -> a }\na: Assign { Variable = x Value = Long Default -> done }\ndone: End\n");
    let report = dir.path().join("r.html");
    let long = "y".repeat(5000);
    exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .arg("--var")
            .arg(format!("Long={long}"))
            .arg("--report")
            .arg(&report),
        0,
    );
    let page = read(&report);
    assert!(!page.contains(&"y".repeat(300)));
    assert!(page.contains(&format!("&quot;{}…", "y".repeat(198))));
}

#[test]
fn report_shows_a_security_user_by_readable_fields_only() {
    let dir = TempDir::new().unwrap();
    let path = script(&dir, "start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"sysadmin\" Default -> done Error -> done }\ndone: End\n");
    let report = dir.path().join("r.html");
    let json = exits(studioflow().arg("run").arg(&path).arg("--json"), 0);
    exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .arg("--report")
            .arg(&report),
        0,
    );
    let page = read(&report);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let shown = studioflow::graph::escape::html(&doc["variables"]["SecurityUser"].to_string());
    assert!(page.contains(&shown), "{shown} in {page}");
    assert!(!page.to_lowercase().contains("handle"));
}

#[test]
fn report_errors_exit_2_and_a_non_compiling_script_writes_none() {
    let dir = TempDir::new().unwrap();
    let broken = script(&dir, BROKEN);
    let report = dir.path().join("r.html");
    exits(
        studioflow()
            .arg("run")
            .arg(&broken)
            .arg("--report")
            .arg(&report),
        2,
    );
    assert!(!report.exists());
    // Cannot be written: a folder in the way, or a missing folder.
    exits(
        studioflow()
            .args(["run", "scripts/greeting.script", "--report"])
            .arg(dir.path()),
        2,
    );
    exits(
        studioflow()
            .args(["run", "scripts/greeting.script", "--report"])
            .arg(dir.path().join("no/such/r.html")),
        2,
    );
}

#[test]
fn hostile_captions_stay_text_in_the_report() {
    let dir = TempDir::new().unwrap();
    let path = script(&dir, "script \"</script><img src=x onerror=alert(1)>\"\nstart: Begin \"</script><img src=x onerror=alert(1)>\" { Default -> done }\ndone: End\n");
    let report = dir.path().join("r.html");
    exits(
        studioflow()
            .arg("run")
            .arg(&path)
            .arg("--var")
            .arg("v=</script><img src=y>")
            .arg("--report")
            .arg(&report),
        0,
    );
    let page = read(&report);
    assert!(!page.contains("<img"), "{page}");
    assert_eq!(
        page.matches("</script>").count(),
        1,
        "only the page's own script closes"
    );
    assert!(page.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
}
