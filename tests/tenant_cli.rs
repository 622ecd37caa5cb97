//! The CLI with tenant files: --directory, --save (atomic, after completed and
//! stopped runs, never after a load failure), --now, and id persistence.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn studioflow() -> Command {
    Command::cargo_bin("studioflow").expect("binary builds")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Runs a `--json` command that must complete (exit 0) and parses its stdout.
fn completed_json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.assert().code(0).get_output().stdout.clone();
    serde_json::from_slice(&out).expect("stdout is one JSON document")
}

const CREATE: &str = r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> make }
make: CreateRole { Name = RoleName Features = ["attribute"] Default -> done }
done: End
"#;

const DELETE: &str = r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> drop }
drop: DeleteRole { Role = RoleName Default -> done }
done: End
"#;

#[test]
fn save_writes_the_model_after_the_run_and_leaves_the_input_alone() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = dir.path().join("tenant.json");
    fs::copy("tests/fixtures/tenant.json", &tenant).unwrap();
    let before = fs::read(&tenant).unwrap();
    let script = write(dir.path(), "create.script", CREATE);
    let out = dir.path().join("out.json");

    studioflow()
        .args(["run", "--json", "--var", "RoleName=QualityLead"])
        .arg(&script)
        .arg("--directory")
        .arg(&tenant)
        .arg("--save")
        .arg(&out)
        .assert()
        .code(0);
    assert_eq!(fs::read(&tenant).unwrap(), before, "input file untouched");
    let saved: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    let names: Vec<&str> = saved["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Supervisor", "QualityLead"]);
    assert_eq!(saved["nextRoleId"], 5002);
    // No temporary files are left beside the output.
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn role_ids_are_never_reused_across_save_and_load() {
    let dir = tempfile::tempdir().unwrap();
    let create = write(dir.path(), "create.script", CREATE);
    let delete = write(dir.path(), "delete.script", DELETE);
    let t1 = dir.path().join("t1.json");
    let t2 = dir.path().join("t2.json");
    let t3 = dir.path().join("t3.json");
    studioflow()
        .args(["run", "--var", "RoleName=Temp"])
        .arg(&create)
        .arg("--save")
        .arg(&t1)
        .assert()
        .code(0);
    studioflow()
        .args(["run", "--var", "RoleName=Temp"])
        .arg(&delete)
        .arg("--directory")
        .arg(&t1)
        .arg("--save")
        .arg(&t2)
        .assert()
        .code(0);
    let doc = completed_json(
        studioflow()
            .args(["run", "--json", "--var", "RoleName=Again"])
            .arg(&create)
            .arg("--directory")
            .arg(&t2)
            .arg("--save")
            .arg(&t3),
    );
    assert_eq!(
        doc["variables"]["Role"]["id"], 5002,
        "5001 was used by Temp"
    );
}

#[test]
fn the_model_is_saved_after_a_stopped_run_too() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "stops.script",
        r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> make }
make: CreateRole { Name = "Kept" Default -> fail }
fail: Assign { Variable = x Value = 1 / 0 Default -> done }
done: End
"#,
    );
    let out = dir.path().join("out.json");
    studioflow()
        .arg("run")
        .arg(&script)
        .arg("--save")
        .arg(&out)
        .assert()
        .code(1);
    let saved = fs::read_to_string(&out).unwrap();
    assert!(saved.contains("\"Kept\""), "{saved}");
}

#[test]
fn nothing_is_saved_when_the_script_or_tenant_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let bad_script = write(
        dir.path(),
        "bad.script",
        "start: Begin { Default -> nowhere }",
    );
    let good_script = write(dir.path(), "good.script", CREATE);
    let bad_tenant = write(dir.path(), "bad.json", "{\"businessUnit\": 3}");
    let out = dir.path().join("out.json");
    studioflow()
        .arg("run")
        .arg(&bad_script)
        .arg("--save")
        .arg(&out)
        .assert()
        .code(2);
    assert!(!out.exists());
    let assert = studioflow()
        .arg("run")
        .arg(&good_script)
        .arg("--directory")
        .arg(&bad_tenant)
        .arg("--save")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("businessUnit"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn tenant_errors_name_their_place_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "s.script",
        "start: Begin { Default -> done }\ndone: End",
    );
    let mut tenant: serde_json::Value =
        serde_json::from_str(&fs::read_to_string("tests/fixtures/tenant.json").unwrap()).unwrap();
    tenant["agents"][3]["timeZone"] = "Mars/Base".into();
    let path = write(dir.path(), "t.json", &tenant.to_string());
    let assert = studioflow()
        .arg("run")
        .arg(&script)
        .arg("--directory")
        .arg(&path)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("agents[3].timeZone: unknown time zone \"Mars/Base\""),
        "{stderr}"
    );
}

#[test]
fn now_uses_the_fixed_clock_and_the_security_users_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "now.script",
        r#"
start: Begin { Default -> before }
before: Assign { Variable = BusinessUnitNow Value = now() Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> after }
after: Assign { Variable = UserNow Value = now() Default -> london }
london: SetSecurityUser { Agent = "sysadmin" TimeZone = "Europe/London" ScriptVariable = Other Default -> last }
last: Assign { Variable = LondonNow Value = now() Default -> done }
done: End
"#,
    );
    let doc = completed_json(
        studioflow()
            .args(["run", "--json", "--now", "2026-03-08T06:30:00Z"])
            .arg(&script),
    );
    let vars = &doc["variables"];
    // Business unit: America/Denver (MST, -07:00 before the 2026-03-08 change at 09:00Z).
    assert_eq!(vars["BusinessUnitNow"], "2026-03-07T23:30:00-07:00");
    // sysadmin: America/New_York; 06:30Z is 01:30 EST, just before the jump.
    assert_eq!(vars["UserNow"], "2026-03-08T01:30:00-05:00");
    assert_eq!(vars["LondonNow"], "2026-03-08T06:30:00+00:00");
}

#[test]
fn last_login_renders_in_the_security_users_zone_across_dst() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "agent.script",
        r#"
start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" TimeZone = Zone Default -> a }
a: GetAgent { Agent = "sysadmin" ScriptVariable = A Default -> b }
b: GetAgent { Agent = "scriptadmin" ScriptVariable = B Default -> c }
c: GetAgent { Agent = "configadmin" ScriptVariable = C Default -> done }
done: End
"#,
    );
    let cases = [
        // sysadmin 06:30Z is before the US change (07:00Z), scriptadmin 07:30Z after.
        (
            "America/New_York",
            "2026-03-08T01:30:00-05:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-28T20:30:00-04:00",
        ),
        // London changes 2026-03-29 01:00Z: configadmin's 00:30Z is still GMT.
        (
            "Europe/London",
            "2026-03-08T06:30:00+00:00",
            "2026-03-08T07:30:00+00:00",
            "2026-03-29T00:30:00+00:00",
        ),
    ];
    for (zone, a, b, c) in cases {
        let doc = completed_json(
            studioflow()
                .args(["run", "--json", "--var", &format!("Zone={zone}")])
                .arg(&script),
        );
        let vars = &doc["variables"];
        assert_eq!(vars["A"]["lastLogin"], a, "{zone}");
        assert_eq!(vars["B"]["lastLogin"], b, "{zone}");
        assert_eq!(vars["C"]["lastLogin"], c, "{zone}");
    }
}
