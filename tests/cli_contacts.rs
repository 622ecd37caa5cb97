//! Simulated contacts from the command line: `run --event`, exit 5 and the
//! `waiting` object, `--pause` and `resume` in other processes, every
//! tampering refused, events that do not fit or are left unused, the pause
//! key, `--allow-http` against a local server.

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use serde_json::{json, Value};
use tempfile::TempDir;

/// A folder with the scripts, where every command runs, with its own
/// configuration folder (so the pause key is made there) and no key in
/// the environment.
struct Place {
    dir: TempDir,
    config: TempDir,
}

impl Place {
    fn new() -> Place {
        let place = Place {
            dir: TempDir::new().unwrap(),
            config: TempDir::new().unwrap(),
        };
        place.write("hold.script", HOLD);
        place
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn key_file(&self) -> PathBuf {
        self.config.path().join("studioflow").join("pause.key")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = cargo_bin_cmd!("studioflow");
        cmd.current_dir(self.dir.path())
            .env("XDG_CONFIG_HOME", self.config.path())
            .env_remove("STUDIOFLOW_PAUSE_KEY")
            .args(args);
        cmd
    }

    /// Runs the command, checks its exit code, returns (stdout, stderr).
    fn exits(&self, args: &[&str], code: i32) -> (String, String) {
        exits(&mut self.cmd(args), code)
    }

    /// The command with `--json`: its one JSON object.
    fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let (out, _) = self.exits(&all, code);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not one JSON object ({e}):\n{out}"))
    }
}

fn exits(cmd: &mut Command, code: i32) -> (String, String) {
    let output: Output = cmd.output().expect("the binary runs");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "panic:\n{err}");
    (out, err)
}

/// Counts to 1, waits 2.5 s of virtual time, counts to 2.
const HOLD: &str = r#"start: Begin { Default -> count }
count: Assign { Variable = n Value = 1 Default -> hold }
hold: Wait { Seconds = 2.5 Default -> after }
after: Assign { Variable = n Value = n + 1 Default -> done }
done: End
"#;

fn keys(object: &Value) -> Vec<&str> {
    object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

// ------------------------------------------------------------ run --event

#[test]
fn a_run_goes_through_its_events_to_the_end() {
    let place = Place::new();
    let (out, _) = place.exits(
        &[
            "run",
            "hold.script",
            "--event",
            "wait:1",
            "--event",
            "wait:1.5",
        ],
        0,
    );
    // The transcript as a conversation, with virtual times, before the variables.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "    2.5 s  time passes: 2.5 s",
            "outcome: completed at done after 5 steps",
            "n = 2",
        ],
        "{out}"
    );
    let doc = place.json(
        &[
            "run",
            "hold.script",
            "--event",
            "wait:1",
            "--event",
            "wait:1.5",
        ],
        0,
    );
    assert_eq!(doc["outcome"], "completed");
    assert_eq!(doc["waiting"], Value::Null);
    assert_eq!(
        doc["transcript"],
        json!([{"step": 3, "action": "hold", "kind": "wait", "text": "2.5"}])
    );
    // The trace holds every step across the waits.
    let steps: Vec<&str> = doc["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["start", "count", "hold", "after", "done"]);
}

#[test]
fn a_run_whose_events_run_out_exits_5_with_what_it_waits_for() {
    let place = Place::new();
    let (out, _) = place.exits(&["run", "hold.script", "--event", "wait:1"], 5);
    assert_eq!(
        out,
        "outcome: waiting at hold after 3 steps\nwaiting: hold waits for time (1.5 s left)\nn = 1\n"
    );
    let doc = place.json(&["run", "hold.script", "--event", "wait:1"], 5);
    assert_eq!(
        keys(&doc),
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
    assert_eq!(doc["outcome"], "waiting");
    assert_eq!(doc["end"], "hold");
    assert_eq!(doc["error"], Value::Null);
    assert_eq!(
        doc["waiting"],
        json!({"action": "hold", "for": "time", "seconds": 1.5, "at": 1.0, "queued": null})
    );
    assert_eq!(
        keys(&doc["waiting"]),
        ["action", "for", "seconds", "at", "queued"]
    );
    assert_eq!(doc["variables"], json!({"n": 1}));

    // An agent answering at the Wait of a script without OnAnswer: the run
    // idles, waiting for an event.
    let doc = place.json(&["run", "hold.script", "--event", "answer:supervisor"], 5);
    assert_eq!(
        doc["waiting"],
        json!({"action": "hold", "for": "event", "at": 0.0, "queued": null})
    );
    assert_eq!(
        doc["transcript"],
        json!([{"step": 3, "action": "hold", "kind": "answered", "text": "supervisor"}])
    );
    // Then the caller hangs up: the contact ends.
    let doc = place.json(
        &[
            "run",
            "hold.script",
            "--event",
            "answer:supervisor",
            "--event",
            "hangup",
        ],
        0,
    );
    assert_eq!(doc["transcript"][1]["text"], "caller");
}

#[test]
fn an_event_that_does_not_fit_the_wait_is_exit_2_and_nothing_runs_past_it() {
    let place = Place::new();
    let pause = place.path("p.pause");
    let (out, err) = place.exits(
        &[
            "run",
            "hold.script",
            "--event",
            "digits:1",
            "--event",
            "wait:5",
            "--pause",
            "p.pause",
        ],
        2,
    );
    assert!(
        err.contains(
            "error: event 1 of 2: event `digits:1` does not fit the wait of action `hold`: it waits for time, which takes wait, answer and hangup"
        ),
        "{err}"
    );
    // The run as far as it went: at the wait, `after` never ran.
    assert!(out.contains("outcome: waiting at hold"), "{out}");
    assert!(out.contains("n = 1"), "{out}");
    assert!(!pause.exists(), "a refused command writes no pause");

    let doc = place.json(&["run", "hold.script", "--event", "reply:200:{}"], 2);
    assert_eq!(doc["outcome"], "error");
    assert_eq!(doc["error"]["kind"], "input");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("event `reply:200:{}` does not fit the wait of action `hold`"),
        "{message}"
    );
}

#[test]
fn events_left_unused_are_exit_2_naming_them() {
    let place = Place::new();
    let (out, err) = place.exits(
        &[
            "run",
            "hold.script",
            "--event",
            "wait:3",
            "--event",
            "digits:12",
            "--event",
            "hangup",
        ],
        2,
    );
    assert!(
        err.contains(
            "error: 2 events were left unused: the run ended (completed at done) before `digits:12`, `hangup`"
        ),
        "{err}"
    );
    assert!(out.contains("outcome: completed at done"), "{out}");
    let doc = place.json(
        &[
            "run",
            "hold.script",
            "--event",
            "wait:3",
            "--event",
            "wait:1",
        ],
        2,
    );
    assert_eq!(doc["outcome"], "error");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 event was left unused"),
        "{doc}"
    );
}

#[test]
fn a_malformed_event_is_exit_2_naming_it() {
    let place = Place::new();
    for (event, says) in [
        ("digits:12a", "event `digits:12a`: `a` is not a key"),
        ("press:1", "unknown event `press:1`"),
        ("wait:-1", "event `wait:-1`: expected seconds"),
        (
            "reply:99:x",
            "event `reply:99:x`: expected reply:STATUS:BODY",
        ),
    ] {
        let (out, err) = place.exits(&["run", "hold.script", "--event", event], 2);
        assert!(err.contains(says), "{event}: {err}");
        assert!(out.is_empty(), "nothing ran: {out}");
    }
    let doc = place.json(&["run", "hold.script", "--event", "timeout:5"], 2);
    assert_eq!(doc["outcome"], "error");
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("timeout:5"));
}

// ------------------------------------------------------------ pause and resume

#[test]
fn a_paused_run_resumes_in_another_process_to_its_end() {
    let place = Place::new();
    let (out, _) = place.exits(
        &[
            "run",
            "hold.script",
            "--event",
            "wait:1",
            "--pause",
            "p.pause",
        ],
        5,
    );
    assert!(
        out.contains("waiting: hold waits for time (1.5 s left)"),
        "{out}"
    );
    let bytes = std::fs::read_to_string(place.path("p.pause")).unwrap();
    assert!(bytes.starts_with("studioflow-pause 1\n"), "{bytes}");
    // Another process (the binary again) finishes it.
    let doc = place.json(&["resume", "p.pause", "--event", "wait:1.5"], 0);
    assert_eq!(doc["outcome"], "completed");
    assert_eq!(doc["end"], "done");
    assert_eq!(doc["variables"], json!({"n": 2}));
    // The step budget counts across the resume: 5 steps in all.
    assert_eq!(doc["steps"], 5);
    assert_eq!(
        doc["transcript"],
        json!([{"step": 3, "action": "hold", "kind": "wait", "text": "2.5"}])
    );
    // The pause file is read, never changed, by a resume without --pause.
    assert_eq!(
        std::fs::read_to_string(place.path("p.pause")).unwrap(),
        bytes
    );
    // Text output, as `run` prints it.
    let (out, _) = place.exits(&["resume", "p.pause", "--event", "wait:2"], 0);
    assert!(
        out.ends_with("outcome: completed at done after 5 steps\nn = 2\n"),
        "{out}"
    );
}

#[test]
fn a_resume_can_pause_again_over_its_own_pause_file() {
    let place = Place::new();
    place.exits(&["run", "hold.script", "--pause", "p.pause"], 5);
    let first = std::fs::read(place.path("p.pause")).unwrap();
    // `resume P --pause P`: the run moves on in place (an agent answers,
    // the run idles for the next event).
    let doc = place.json(
        &[
            "resume",
            "p.pause",
            "--event",
            "answer:supervisor",
            "--pause",
            "p.pause",
        ],
        5,
    );
    assert_eq!(doc["waiting"]["for"], "event");
    assert_ne!(std::fs::read(place.path("p.pause")).unwrap(), first);
    let (out, _) = place.exits(&["resume", "p.pause", "--event", "hangup"], 0);
    assert!(out.contains("hangup: caller"), "{out}");
    assert!(out.contains("outcome: completed at hold"), "{out}");
    // A run that ends waiting writes its pause; one that ends does not.
    place.exits(
        &[
            "run",
            "hold.script",
            "--event",
            "wait:3",
            "--pause",
            "q.pause",
        ],
        0,
    );
    assert!(!place.path("q.pause").exists());
}

#[test]
fn a_resumed_run_reads_its_script_from_the_path_it_recorded() {
    let place = Place::new();
    let script = place.path("hold.script");
    let elsewhere = TempDir::new().unwrap();
    // Paused with an absolute path, resumed from another folder.
    let pause = elsewhere.path().join("p.pause");
    let mut run = place.cmd(&[
        "run",
        script.to_str().unwrap(),
        "--pause",
        pause.to_str().unwrap(),
    ]);
    run.current_dir(elsewhere.path());
    exits(&mut run, 5);
    let mut resume = place.cmd(&["resume", "p.pause", "--event", "wait:3"]);
    resume.current_dir(elsewhere.path());
    let (out, _) = exits(&mut resume, 0);
    assert!(out.contains("n = 2"), "{out}");
    // The script gone: a clear error naming it, nothing runs.
    std::fs::remove_file(&script).unwrap();
    let mut resume = place.cmd(&["resume", "p.pause", "--event", "wait:3"]);
    resume.current_dir(elsewhere.path());
    let (out, err) = exits(&mut resume, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("the paused run's script"), "{err}");
    assert!(err.contains("hold.script"), "{err}");
}

#[test]
fn flags_that_come_from_the_pause_are_refused_on_resume() {
    let place = Place::new();
    place.exits(&["run", "hold.script", "--pause", "p.pause"], 5);
    for (flag, value, says) in [
        (
            "--var",
            "n=7",
            "--var is not accepted by resume: the pause holds the run's variables",
        ),
        (
            "--now",
            "2026-03-08T06:30:00Z",
            "--now is not accepted by resume",
        ),
        ("--max-steps", "10", "--max-steps is not accepted by resume"),
        (
            "--max-memory",
            "1M",
            "--max-memory is not accepted by resume",
        ),
        ("--timeout", "2", "--timeout is not accepted by resume"),
    ] {
        let (out, err) = place.exits(&["resume", "p.pause", "--event", "wait:3", flag, value], 2);
        assert!(err.contains(says), "{flag}: {err}");
        assert!(out.is_empty(), "{flag}: nothing runs: {out}");
    }
    let doc = place.json(&["resume", "p.pause", "--var", "n=7"], 2);
    assert_eq!(doc["outcome"], "error");
}

/// Every way a pause file can be wrong is exit 2, the library's message on
/// stderr, and nothing runs (no output on stdout, nothing written).
fn refused(place: &Place, pause: &str, extra_env: Option<(&str, &str)>, says: &str) {
    let mut cmd = place.cmd(&["resume", pause, "--event", "wait:3", "--pause", "out.pause"]);
    if let Some((name, value)) = extra_env {
        cmd.env(name, value);
    }
    let (out, err) = exits(&mut cmd, 2);
    assert!(err.contains(says), "{pause}: expected {says:?} in:\n{err}");
    assert!(out.is_empty(), "{pause}: nothing runs:\n{out}");
    assert!(!place.path("out.pause").exists());
}

#[test]
fn every_tampering_with_a_pause_is_refused() {
    let place = Place::new();
    place.write(
        "greet.script",
        "start: Begin { Default -> count }\ncount: Assign { Variable = greeting Value = \"hello\" Default -> hold }\nhold: Wait { Seconds = 2.5 Default -> done }\ndone: End\n",
    );
    place.exits(&["run", "greet.script", "--pause", "p.pause"], 5);
    let good = std::fs::read_to_string(place.path("p.pause")).unwrap();
    let signature =
        "the pause file's signature does not match: it was altered, or signed with another key";

    // A byte of a variable.
    let altered = good.replacen("\"hello\"", "\"jello\"", 1);
    assert_ne!(altered, good, "the variable is in the pause: {good}");
    place.write("variable.pause", &altered);
    refused(&place, "variable.pause", None, signature);

    // The signature.
    let mut lines: Vec<String> = good.lines().map(str::to_string).collect();
    let flipped = if lines[1].starts_with('0') { "1" } else { "0" };
    lines[1].replace_range(0..1, flipped);
    place.write("signature.pause", &(lines.join("\n") + "\n"));
    refused(&place, "signature.pause", None, signature);

    // Another key (from the environment this time).
    let other = "ab".repeat(32);
    refused(
        &place,
        "p.pause",
        Some(("STUDIOFLOW_PAUSE_KEY", &other)),
        signature,
    );

    // Another format version.
    place.write(
        "version.pause",
        &good.replacen("studioflow-pause 1\n", "studioflow-pause 2\n", 1),
    );
    refused(
        &place,
        "version.pause",
        None,
        "pause format version 2: this studioflow reads version 1",
    );

    // Not a pause at all.
    place.write("junk.pause", "hello\n");
    refused(&place, "junk.pause", None, "not a studioflow pause file");

    // The script changed (a comment is a change).
    let script = place.path("greet.script");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, format!("{text}// a comment\n")).unwrap();
    refused(
        &place,
        "p.pause",
        None,
        "script `greet.script` changed since the run was paused",
    );
    // Even with no event to resume with, it is refused.
    let (_, err) = place.exits(&["resume", "p.pause"], 2);
    assert!(err.contains("changed since the run was paused"), "{err}");
    std::fs::write(&script, text).unwrap();

    // And the untouched pause still resumes.
    let (out, _) = place.exits(&["resume", "p.pause", "--event", "wait:3"], 0);
    assert!(out.contains("greeting = \"hello\""), "{out}");
}

#[test]
fn an_expired_pause_is_refused_naming_its_expiry() {
    let place = Place::new();
    place.exits(
        &[
            "run",
            "hold.script",
            "--pause",
            "p.pause",
            "--pause-expiry",
            "1s",
        ],
        5,
    );
    // The wall clock has to pass the expiry (a second after the pause).
    std::thread::sleep(Duration::from_millis(1500));
    refused(&place, "p.pause", None, "the paused run expired at ");
    let (_, err) = place.exits(&["resume", "p.pause", "--event", "wait:3"], 2);
    assert!(err.contains("it can no longer be resumed"), "{err}");
    // The default is 30 days: a fresh pause resumes.
    place.exits(&["run", "hold.script", "--pause", "q.pause"], 5);
    let text = std::fs::read_to_string(place.path("q.pause")).unwrap();
    let payload: Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
    let paused =
        chrono::DateTime::parse_from_rfc3339(payload["paused_at"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(payload["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - paused).num_days(), 30);
    // Nonsense expiries are refused.
    for bad in ["0s", "-1d", "soon", "3651d"] {
        place.exits(
            &[
                "run",
                "hold.script",
                "--pause",
                "r.pause",
                "--pause-expiry",
                bad,
            ],
            2,
        );
    }
}

#[test]
fn a_pause_never_replaces_an_input() {
    let place = Place::new();
    place.write(
        "tenant.json",
        include_str!("../src/permissions/demo_tenant.json"),
    );
    for target in ["hold.script", "tenant.json"] {
        let (_, err) = place.exits(
            &[
                "run",
                "hold.script",
                "--directory",
                "tenant.json",
                "--pause",
                target,
            ],
            2,
        );
        assert!(
            err.contains("--pause") && err.contains("refusing to overwrite"),
            "{target}: {err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(place.path("hold.script")).unwrap(),
        HOLD
    );
    // Nor another output of the same command.
    let (_, err) = place.exits(
        &[
            "run",
            "hold.script",
            "--report",
            "r.html",
            "--pause",
            "r.html",
        ],
        2,
    );
    assert!(err.contains("--pause"), "{err}");
    // A pause over a folder is refused after the run, with exit 2.
    std::fs::create_dir(place.path("folder")).unwrap();
    let (_, err) = place.exits(&["run", "hold.script", "--pause", "folder"], 2);
    assert!(
        err.contains("error: --pause: ") && err.contains("not a regular file"),
        "{err}"
    );
    // resume: its pause file is an input of --report and --save.
    place.exits(&["run", "hold.script", "--pause", "p.pause"], 5);
    let (_, err) = place.exits(&["resume", "p.pause", "--report", "p.pause"], 2);
    assert!(err.contains("--report"), "{err}");
}

// ------------------------------------------------------------ the key

#[test]
fn the_key_file_is_made_on_first_use_with_mode_0600_and_kept() {
    let place = Place::new();
    assert!(!place.key_file().exists());
    // A run that never pauses needs no key.
    place.exits(&["run", "hold.script", "--event", "wait:3"], 0);
    assert!(!place.key_file().exists());
    place.exits(&["run", "hold.script", "--pause", "p.pause"], 5);
    let key = std::fs::read_to_string(place.key_file()).unwrap();
    assert_eq!(key.trim().len(), 64, "{key}");
    assert!(key.trim().bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(place.key_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let folder = std::fs::metadata(place.key_file().parent().unwrap()).unwrap();
        assert_eq!(
            folder.permissions().mode() & 0o077,
            0,
            "the folder is private"
        );
    }
    // The next pause uses the same key.
    place.exits(&["run", "hold.script", "--pause", "q.pause"], 5);
    assert_eq!(std::fs::read_to_string(place.key_file()).unwrap(), key);
    // The key from the environment wins; no file is needed for it.
    let env_place = Place::new();
    let hex = "5a".repeat(32);
    let mut cmd = env_place.cmd(&["run", "hold.script", "--pause", "p.pause"]);
    cmd.env("STUDIOFLOW_PAUSE_KEY", &hex);
    exits(&mut cmd, 5);
    assert!(!env_place.key_file().exists());
    let mut cmd = env_place.cmd(&["resume", "p.pause", "--event", "wait:3"]);
    cmd.env("STUDIOFLOW_PAUSE_KEY", &hex);
    exits(&mut cmd, 0);
}

#[test]
fn a_bad_key_is_a_clear_error_before_anything_runs() {
    let place = Place::new();
    // Too short, not hex: from the environment.
    for (value, says) in [
        ("abcd", "STUDIOFLOW_PAUSE_KEY: the pause key must be at least 32 bytes"),
        ("zz", "STUDIOFLOW_PAUSE_KEY: the pause key must be at least 32 bytes, written in hex (not hex)"),
    ] {
        let mut cmd = place.cmd(&["run", "hold.script", "--pause", "p.pause"]);
        cmd.env("STUDIOFLOW_PAUSE_KEY", value);
        let (out, err) = exits(&mut cmd, 2);
        assert!(err.contains(says), "{err}");
        assert!(out.is_empty(), "nothing ran: {out}");
    }
    // A key file that is not hex.
    std::fs::create_dir_all(place.key_file().parent().unwrap()).unwrap();
    std::fs::write(place.key_file(), "not a key\n").unwrap();
    let (out, err) = place.exits(&["run", "hold.script", "--pause", "p.pause"], 2);
    assert!(
        err.contains("pause key") && err.contains("not hex"),
        "{err}"
    );
    assert!(out.is_empty(), "nothing ran: {out}");
    // A key file that is a folder.
    std::fs::remove_file(place.key_file()).unwrap();
    std::fs::create_dir(place.key_file()).unwrap();
    let (_, err) = place.exits(&["run", "hold.script", "--pause", "p.pause"], 2);
    assert!(err.contains("not a regular file"), "{err}");
    assert!(!place.path("p.pause").exists());
}

// ------------------------------------------------------------ the contact actions

const MENU: &str = r#"start: Begin { Default -> ask }
ask: Menu { Sequence = "Press 1 for sales, 2 for support" Case "1" -> sales Case "2" -> support Default -> ask }
sales: Play { Sequence = "Connecting you to sales" Default -> done }
support: Play { Sequence = "Connecting you to support" Default -> done }
done: End
"#;

#[test]
fn a_menu_takes_digits_and_the_transcript_reads_as_a_conversation() {
    let place = Place::new();
    place.write("menu.script", MENU);
    let (out, _) = place.exits(&["run", "menu.script", "--event", "digits:2"], 0);
    let transcript: Vec<&str> = out.lines().take(3).collect();
    assert_eq!(
        transcript,
        [
            "    0.0 s  caller hears: Press 1 for sales, 2 for support",
            "    0.0 s  caller presses: 2",
            "    0.0 s  caller hears: Connecting you to support",
        ],
        "{out}"
    );
    let doc = place.json(&["run", "menu.script"], 5);
    assert_eq!(doc["waiting"]["action"], "ask");
    assert_eq!(doc["waiting"]["for"], "digits");
    let (_, err) = place.exits(
        &[
            "run",
            "menu.script",
            "--event",
            "wait:1",
            "--event",
            "reply:200:x",
        ],
        2,
    );
    assert!(
        err.contains("does not fit the wait of action `ask`"),
        "{err}"
    );
}

/// A Snippet calling a web service through Studio's REST proxy.
fn rest_script(url: &str) -> String {
    format!(
        r#"start: Begin {{ Default -> lookup }}
lookup: Snippet {{
  Data = """
    p = GetRESTProxy()
    r = p.MakeRestRequest("{url}", "", 0, "GET")
    status = p.StatusCode
  """
  Default -> done
  Error -> failed
}}
failed: Assign {{ Variable = status Value = "failed" Default -> done }}
done: End
"#
    )
}

/// A server on 127.0.0.1 answering one request with `status` and `body`;
/// it stops by itself after that one (or after 30 s with none).
fn serve_once(status: &str, body: String) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/callers/5551234", listener.local_addr().unwrap());
    let status = status.to_string();
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(_) => return,
            }
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        // The request head (a GET has no body).
        let (mut head, mut buf) = (Vec::new(), [0u8; 1024]);
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes());
    });
    (url, handle)
}

#[test]
fn allow_http_makes_the_request_and_any_status_is_a_reply() {
    let place = Place::new();
    let (url, server) = serve_once("404 Not Found", "{\"error\":\"no such caller\"}".into());
    place.write("rest.script", &rest_script(&url));
    let doc = place.json(&["run", "rest.script", "--allow-http"], 0);
    server.join().unwrap();
    assert_eq!(doc["variables"]["status"], 404);
    assert!(doc["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "http" && e["text"].as_str().unwrap().contains(&url)));

    // Over 32 KB: a transport failure, the Error branch.
    let (url, server) = serve_once("200 OK", format!("\"{}\"", "a".repeat(40 * 1024)));
    place.write("big.script", &rest_script(&url));
    let doc = place.json(&["run", "big.script", "--allow-http"], 0);
    server.join().unwrap();
    assert_eq!(doc["variables"]["status"], "failed");
}

#[test]
fn without_allow_http_an_http_wait_takes_a_reply_event() {
    let place = Place::new();
    place.write(
        "rest.script",
        &rest_script("http://127.0.0.1:9/callers/5551234"),
    );
    let doc = place.json(&["run", "rest.script"], 5);
    assert_eq!(doc["waiting"]["for"], "http");
    assert_eq!(doc["waiting"]["request"]["method"], "GET");
    assert_eq!(
        doc["waiting"]["request"]["url"],
        "http://127.0.0.1:9/callers/5551234"
    );
    let doc = place.json(&["run", "rest.script", "--event", "reply:500:oops"], 0);
    assert_eq!(doc["variables"]["status"], 500);
    let (_, err) = place.exits(&["run", "rest.script", "--event", "digits:1"], 2);
    assert!(
        err.contains("it waits for http, which takes reply, answer and hangup"),
        "{err}"
    );
}

#[test]
fn a_run_paused_inside_a_subscript_resumes_there() {
    let place = Place::new();
    std::fs::create_dir(place.path("shared")).unwrap();
    place.write(
        "shared/hold_on.script",
        "start: Begin { Default -> w }\nw: Wait { Seconds = p1 Default -> r }\nr: Return { ReturnValue = \"held {p1}\" }\n",
    );
    place.write(
        "main.script",
        "start: Begin { Default -> call }\ncall: RunSub { ScriptName = \"shared/hold_on\" Parameters = 3 ReturnVariable = got Default -> done }\ndone: End\n",
    );
    let doc = place.json(&["run", "main.script", "--pause", "p.pause"], 5);
    assert_eq!(doc["waiting"]["action"], "shared/hold_on:w");
    let doc = place.json(&["resume", "p.pause", "--event", "wait:3"], 0);
    assert_eq!(doc["variables"]["got"], "held 3");
    // The subscript changed: refused, naming it.
    place.write(
        "shared/hold_on.script",
        "start: Begin { Default -> w }\nw: Wait { Seconds = p1 Default -> r }\nr: Return { ReturnValue = \"changed {p1}\" }\n",
    );
    let (out, err) = place.exits(&["resume", "p.pause", "--event", "wait:3"], 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("hold_on.script` changed since the run was paused"),
        "{err}"
    );
}
