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
