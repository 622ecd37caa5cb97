//! The CLI's file handling: bounded, regular-file-only inputs (--max-file-size),
//! safe --save targets (symlinks, permissions, devices, folders, errors naming
//! the target), and no lost update between processes sharing a tenant file.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;

fn studioflow() -> Command {
    Command::cargo_bin("studioflow").expect("binary builds")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn stderr_of(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().clone();
    String::from_utf8(out.stderr).unwrap()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

const NOOP: &str = "start: Begin { Default -> done }\ndone: End\n";

const UPDATE_STAMP_0: &str = r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> update }
update: UpdateRole { Role = "Supervisor" ChangeStamp = 0 Description = "updated" Default -> done }
done: End
"#;

/// Reads the current stamp, then updates with it: every run should count.
const UPDATE_CURRENT: &str = r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> get }
get: GetRole { Role = "Supervisor" Default -> update }
update: UpdateRole { Role = "Supervisor" ChangeStamp = Role.changeStamp Description = "updated" Default -> done }
done: End
"#;

#[test]
fn non_regular_inputs_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "ok.script", NOOP);
    let fifo = dir.path().join("pipe.json");
    mkfifo(&fifo);
    for (input, kind) in [
        (PathBuf::from("/dev/urandom"), "a character device"),
        (dir.path().to_owned(), "a directory"),
        (fifo.clone(), "a FIFO"),
    ] {
        let err = stderr_of(
            studioflow()
                .arg("run")
                .arg(&script)
                .arg("--directory")
                .arg(&input),
            2,
        );
        assert_eq!(
            err,
            format!("error: {}: not a regular file ({kind})\n", input.display())
        );
        let err = stderr_of(studioflow().arg("run").arg(&input), 2);
        assert_eq!(
            err,
            format!("error: {}: not a regular file ({kind})\n", input.display())
        );
        let err = stderr_of(studioflow().arg("check").arg(&input), 2);
        assert!(err.contains("not a regular file"), "{err}");
    }
}

#[test]
fn inputs_over_max_file_size_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "ok.script", NOOP);
    let size = NOOP.len();
    // At the limit: fine.
    studioflow()
        .arg("run")
        .arg(&script)
        .arg("--max-file-size")
        .arg(size.to_string())
        .assert()
        .code(0);
    let err = stderr_of(
        studioflow()
            .arg("run")
            .arg(&script)
            .arg("--max-file-size")
            .arg((size - 1).to_string()),
        2,
    );
    assert_eq!(
        err,
        format!(
            "error: {}: the file has {size} bytes, over the limit of {} bytes\n",
            script.display(),
            size - 1
        )
    );
    // The tenant file obeys the same bound.
    let tenant = dir.path().join("tenant.json");
    fs::copy("tests/fixtures/tenant.json", &tenant).unwrap();
    let err = stderr_of(
        studioflow()
            .arg("run")
            .arg(&script)
            .args(["--max-file-size", "1K", "--directory"])
            .arg(&tenant),
        2,
    );
    assert!(err.contains("over the limit of 1024 bytes"), "{err}");
    let err = stderr_of(
        studioflow()
            .arg("check")
            .arg(&script)
            .args(["--max-file-size", "10"]),
        2,
    );
    assert!(err.contains("over the limit of 10 bytes"), "{err}");
    // A bad size is a bad command line.
    studioflow()
        .arg("run")
        .arg(&script)
        .args(["--max-file-size", "lots"])
        .assert()
        .code(2);
}

#[test]
fn save_refuses_targets_that_are_not_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "ok.script", NOOP);
    let folder = dir.path().join("folder");
    fs::create_dir(&folder).unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    // A link to /dev/null: before the fix the link (not /dev/null) was replaced.
    let null_link = dir.path().join("null-link");
    symlink("/dev/null", &null_link).unwrap();
    for (target, kind) in [
        (&folder, "a directory"),
        (&fifo, "a FIFO"),
        (&null_link, "a character device"),
    ] {
        let err = stderr_of(
            studioflow()
                .arg("run")
                .arg(&script)
                .arg("--save")
                .arg(target),
            2,
        );
        assert_eq!(
            err,
            format!("error: {}: not a regular file ({kind})\n", target.display())
        );
    }
    assert!(folder.is_dir());
    assert!(fs::symlink_metadata(&null_link)
        .unwrap()
        .file_type()
        .is_symlink());
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|name| !name.ends_with(".tmp")),
        "{names:?}"
    );
}

#[test]
fn save_writes_through_a_symlink_and_keeps_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "ok.script", NOOP);
    let real = dir.path().join("real.json");
    fs::write(&real, "{}").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("link.json");
    symlink(&real, &link).unwrap();
    studioflow()
        .arg("run")
        .arg(&script)
        .arg("--save")
        .arg(&link)
        .assert()
        .code(0);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let saved: serde_json::Value = serde_json::from_slice(&fs::read(&real).unwrap()).unwrap();
    assert_eq!(saved["businessUnit"]["name"], "Demo Contact Center");
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A read-only file is refused, not replaced.
    let read_only = write(dir.path(), "ro.json", "keep");
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o444)).unwrap();
    let err = stderr_of(
        studioflow()
            .arg("run")
            .arg(&script)
            .arg("--save")
            .arg(&read_only),
        2,
    );
    assert_eq!(
        err,
        format!(
            "error: {}: the file is read-only; not replaced\n",
            read_only.display()
        )
    );
    assert_eq!(fs::read_to_string(&read_only).unwrap(), "keep");
}

#[test]
fn save_errors_name_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(dir.path(), "ok.script", NOOP);
    let err = stderr_of(
        studioflow()
            .arg("run")
            .arg(&script)
            .args(["--save", "/nonexistent/dir/out.json"]),
        2,
    );
    assert!(
        err.starts_with(
            "error: /nonexistent/dir/out.json: cannot use the folder /nonexistent/dir: "
        ),
        "{err}"
    );
    assert!(!err.contains(".tmp"), "{err}");
}

/// Starts `count` processes that each run `script` on `tenant` with
/// `--save tenant`, all at once, and returns their exit codes.
fn run_together(script: &Path, tenant: &Path, count: usize) -> Vec<i32> {
    let binary = assert_cmd::cargo::cargo_bin("studioflow");
    let children: Vec<_> = (0..count)
        .map(|_| {
            std::process::Command::new(&binary)
                .arg("run")
                .arg(script)
                .arg("--directory")
                .arg(tenant)
                .arg("--save")
                .arg(tenant)
                // Enough work between load and save that unlocked runs overlap.
                .args(["--max-steps", "100000"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|mut child| child.wait().unwrap().code().unwrap())
        .collect()
}

fn supervisor_stamp(tenant: &Path) -> u64 {
    let saved: serde_json::Value = serde_json::from_slice(&fs::read(tenant).unwrap()).unwrap();
    saved["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|role| role["name"] == "Supervisor")
        .unwrap()["changeStamp"]
        .as_u64()
        .unwrap()
}

/// A busy prefix (a loop of 20,000 steps) before the script's own start.
fn with_busy_prefix(script: &str) -> String {
    let body = script.replacen("start: Begin { Default -> who }", "", 1);
    format!(
        "start: Begin {{ Default -> spin }}\n\
         spin: Loop {{ Repeat = 20000 Repeat -> spin Finished -> who }}\n{body}"
    )
}

#[test]
fn processes_sharing_a_tenant_file_never_lose_an_update() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = dir.path().join("shared.json");
    studioflow()
        .arg("run")
        .arg(write(dir.path(), "ok.script", NOOP))
        .arg("--save")
        .arg(&tenant)
        .assert()
        .code(0);
    assert_eq!(supervisor_stamp(&tenant), 0);

    // Every process updates with the stamp it read: all of them must count.
    let script = write(
        dir.path(),
        "current.script",
        &with_busy_prefix(UPDATE_CURRENT),
    );
    let codes = run_together(&script, &tenant, 4);
    assert_eq!(codes, [0, 0, 0, 0]);
    assert_eq!(supervisor_stamp(&tenant), 4);

    // Every process claims stamp 4: exactly one may win.
    let script = write(
        dir.path(),
        "stale.script",
        &with_busy_prefix(&UPDATE_STAMP_0.replace("ChangeStamp = 0", "ChangeStamp = 4")),
    );
    let codes = run_together(&script, &tenant, 3);
    let wins = codes.iter().filter(|&&code| code == 0).count();
    assert_eq!(wins, 1, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|&&code| code == 1).count(),
        2,
        "{codes:?}"
    );
    assert_eq!(supervisor_stamp(&tenant), 5);
}

#[test]
fn a_run_waits_for_the_lock_says_so_and_reads_the_file_after_it() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let tenant = dir.path().join("shared.json");
    fs::copy("tests/fixtures/tenant.json", &tenant).unwrap();
    let script = write(dir.path(), "current.script", UPDATE_CURRENT);

    // Hold the lock as another studioflow process would.
    let holder = fs::File::open(&tenant).unwrap();
    fs4::FileExt::lock(&holder).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("studioflow"))
        .arg("run")
        .arg(&script)
        .arg("--directory")
        .arg(&tenant)
        .arg("--save")
        .arg(&tenant)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(
        line,
        format!(
            "studioflow: waiting for another process to finish with {}\n",
            tenant.display()
        )
    );
    // While we hold the lock, "our" save lands: Supervisor at changeStamp 7.
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&tenant).unwrap()).unwrap();
    doc["roles"][0]["changeStamp"] = serde_json::json!(7);
    fs::write(&tenant, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    drop(holder);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // The waiting run loaded our save, so its update counted on top of it.
    assert_eq!(supervisor_stamp(&tenant), 8);
}
