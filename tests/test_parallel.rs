//! `studioflow test -j N`: cases run in parallel, and what the user reads
//! (the output, JUnit, coverage) is the same as one after another.

use std::process::Command;

fn test_run(jobs: &str, dir: &std::path::Path) -> (String, String, String) {
    let junit = dir.join(format!("junit-{jobs}.xml"));
    let coverage = dir.join(format!("coverage-{jobs}.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .args(["test", "scripts", "--coverage", "-j", jobs])
        .arg("--junit")
        .arg(&junit)
        .arg("--coverage-json")
        .arg(&coverage)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CI", "true")
        .output()
        .expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // JUnit's durations differ from run to run; everything else must not.
    let junit = std::fs::read_to_string(&junit).unwrap();
    let junit = regex::Regex::new(r#"time="[^"]*""#)
        .unwrap()
        .replace_all(&junit, "time=\"\"")
        .into_owned();
    (
        String::from_utf8(out.stdout).unwrap(),
        junit,
        std::fs::read_to_string(&coverage).unwrap(),
    )
}

#[test]
fn parallel_cases_report_in_file_then_case_order() {
    let dir = tempfile::tempdir().unwrap();
    let serial = test_run("1", dir.path());
    let parallel = test_run("4", dir.path());
    assert!(serial.0.contains(" passed, 0 failed"), "{}", serial.0);
    assert_eq!(serial.0, parallel.0, "the output");
    assert_eq!(serial.1, parallel.1, "JUnit");
    assert_eq!(serial.2, parallel.2, "coverage");
    // File-then-case order: the files in path order, each file's cases as written.
    let files: Vec<&str> = serial
        .0
        .lines()
        .filter_map(|l| l.strip_prefix("ok ").and_then(|l| l.split(':').next()))
        .collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
}

#[test]
fn jobs_must_be_at_least_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .args(["test", "scripts", "-j", "0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jobs"));
}
