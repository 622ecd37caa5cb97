//! `run` (and `resume`) at a terminal act as the phone: driven here through
//! a pseudo-terminal (python3's `pty` module, so no dev-dependency), with
//! a skip and its reason printed where no pseudo-terminal can be opened.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use tempfile::TempDir;

/// Runs `argv` on a pseudo-terminal in `cwd`, and plays `steps`:
/// `["expect", TEXT]` waits for TEXT in the output (30 s at most, a guard
/// against a hang, not a measurement), `["send", TEXT]` types TEXT.
/// Prints `{"output", "code", "failed"}` or `{"skipped": reason}`.
const DRIVER: &str = r#"
import json, os, sys, time, select
spec = json.loads(sys.argv[1])
try:
    import pty
    pid, fd = pty.fork()
except Exception as e:
    print(json.dumps({"skipped": "no pseudo-terminal: %s" % e}))
    sys.exit(0)
if pid == 0:
    try:
        os.chdir(spec["cwd"])
        env = dict(os.environ)
        for k, v in spec["env"].items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        os.execve(spec["argv"][0], spec["argv"], env)
    finally:
        os._exit(127)
out = b""
def pump(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    if not data:
        return False
    out += data
    return True
failed = None
pos = 0
for kind, text in spec["steps"]:
    if failed:
        break
    if kind == "expect":
        needle = text.encode()
        deadline = time.monotonic() + 30
        while needle not in out[pos:]:
            if time.monotonic() > deadline:
                failed = "timed out waiting for %r" % text
                break
            if not pump(0.1) and needle not in out[pos:]:
                failed = "the program ended before %r" % text
                break
        if not failed:
            pos = out.index(needle, pos) + len(needle)
    else:
        os.write(fd, text.encode())
deadline = time.monotonic() + 30
status = None
while time.monotonic() < deadline:
    pump(0.05)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        # What it wrote last (the read ends once the terminal closes).
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.05)
            if not r or not pump(0):
                break
        break
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    failed = failed or "the program did not end"
code = os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None
print(json.dumps({"output": out.decode("utf-8", "replace"), "code": code, "failed": failed}))
"#;

struct Terminal {
    output: String,
    code: Option<i32>,
}

/// Plays `steps` against `studioflow ARGS` on a pseudo-terminal; `None`
/// (with the reason printed) where that cannot be done here.
fn on_terminal(cwd: &Path, config: &Path, args: &[&str], steps: Value) -> Option<Terminal> {
    let mut argv = vec![env!("CARGO_BIN_EXE_studioflow").to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let spec = json!({
        "cwd": cwd,
        "argv": argv,
        "env": {"XDG_CONFIG_HOME": config, "STUDIOFLOW_PAUSE_KEY": null, "TERM": "dumb"},
        "steps": steps,
    });
    let output = match Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(spec.to_string())
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            println!("skipped: python3 cannot be started ({e})");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let Ok(result) = serde_json::from_str::<Value>(&text) else {
        println!(
            "skipped: the pseudo-terminal driver did not run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    };
    if let Some(reason) = result["skipped"].as_str() {
        println!("skipped: {reason}");
        return None;
    }
    let out = result["output"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        result["failed"].is_null(),
        "{}\noutput so far:\n{out}",
        result["failed"]
    );
    assert!(!out.contains("panicked"), "{out}");
    Some(Terminal {
        output: out,
        code: result["code"].as_i64().map(|c| c as i32),
    })
}

const HOLD: &str = r#"start: Begin { Default -> count }
count: Assign { Variable = n Value = 1 Default -> hold }
hold: Wait { Seconds = 2.5 Default -> after }
after: Assign { Variable = n Value = n + 1 Default -> done }
done: End
"#;

fn place() -> (TempDir, TempDir) {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("hold.script"), HOLD).unwrap();
    (dir, TempDir::new().unwrap())
}

#[test]
fn at_a_wait_the_time_passes_by_itself() {
    let (dir, config) = place();
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["run", "hold.script"],
        json!([["expect", "outcome: completed"]]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(0), "{}", t.output);
    assert!(
        t.output.contains("    2.5 s  time passes: 2.5 s\n"),
        "{}",
        t.output
    );
    assert!(t.output.contains("n = 2"), "{}", t.output);
    // Without a terminal the same run waits for its events (exit 5).
    let out = Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .current_dir(dir.path())
        .args(["run", "hold.script"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn events_on_the_command_line_mean_no_conversation() {
    let (dir, config) = place();
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["run", "hold.script", "--event", "answer:supervisor"],
        json!([["expect", "outcome: waiting"]]),
    ) else {
        return;
    };
    // The events ran out: exit 5, nothing asked.
    assert_eq!(t.code, Some(5), "{}", t.output);
    assert!(!t.output.contains("hangs up>"), "{}", t.output);
}

/// A paused run that waits for an event (an agent answered at the Wait of
/// a script without OnAnswer).
fn paused_for_an_event(dir: &Path, config: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", config)
        .env_remove("STUDIOFLOW_PAUSE_KEY")
        .args([
            "run",
            "hold.script",
            "--event",
            "answer:supervisor",
            "--pause",
            "p.pause",
        ])
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(5));
}

#[test]
fn a_resumed_run_asks_the_person_and_h_hangs_up() {
    let (dir, config) = place();
    paused_for_an_event(dir.path(), config.path());
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["resume", "p.pause"],
        json!([
            [
                "expect",
                "resuming: hold waits for an event (answer or hangup)"
            ],
            ["expect", "`h` hangs up> "],
            ["send", "5\n"],
            ["expect", "not understood"],
            ["expect", "`h` hangs up> "],
            ["send", "h\n"],
            ["expect", "outcome: completed"],
        ]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(0), "{}", t.output);
    assert!(
        t.output.contains("    0.0 s  hangup: caller\n"),
        "{}",
        t.output
    );
}

#[test]
fn the_end_of_input_leaves_the_run_waiting() {
    let (dir, config) = place();
    paused_for_an_event(dir.path(), config.path());
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["resume", "p.pause"],
        json!([
            ["expect", "`h` hangs up> "],
            ["send", "\u{4}"],
            ["expect", "outcome: waiting"]
        ]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(5), "{}", t.output);
    assert!(
        t.output.contains("waiting: hold waits for an event"),
        "{}",
        t.output
    );
}

const MENU: &str = r#"start: Begin { Default -> ask }
ask: Menu { Sequence = "Press 1 for sales, 2 for support" Case "1" -> sales Case "2" -> support Default -> ask }
sales: Play { Sequence = "Connecting you to sales" Default -> done }
support: Play { Sequence = "Connecting you to support" Default -> done }
done: End
"#;

#[test]
fn the_caller_types_digits_at_a_menu() {
    let (dir, config) = place();
    std::fs::write(dir.path().join("menu.script"), MENU).unwrap();
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["run", "menu.script"],
        json!([
            ["expect", "caller hears: Press 1 for sales, 2 for support"],
            ["expect", "keys ("],
            ["expect", "> "],
            ["send", "\n"],
            // A timeout takes Default: the menu again.
            ["expect", "caller hears: Press 1 for sales, 2 for support"],
            ["expect", "> "],
            ["send", "2\n"],
            ["expect", "caller hears: Connecting you to support"],
            ["expect", "outcome: completed"],
        ]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(0), "{}", t.output);
}

#[test]
fn the_caller_hangs_up_at_a_menu() {
    let (dir, config) = place();
    std::fs::write(dir.path().join("menu.script"), MENU).unwrap();
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["run", "menu.script"],
        json!([
            ["expect", "keys ("],
            ["expect", "> "],
            ["send", "h\n"],
            ["expect", "hangup: caller"],
            ["expect", "outcome: completed"],
        ]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(0), "{}", t.output);
}

#[test]
fn the_person_types_the_reply_to_an_http_request() {
    let (dir, config) = place();
    std::fs::write(
        dir.path().join("rest.script"),
        r#"start: Begin { Default -> lookup }
lookup: Snippet {
  Data = """
    p = GetRESTProxy()
    r = p.MakeRestRequest("https://crm.example/callers/5551234", "", 0, "GET")
    status = p.StatusCode
  """
  Default -> done
}
done: End
"#,
    )
    .unwrap();
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["run", "rest.script"],
        json!([
            [
                "expect",
                "GET https://crm.example/callers/5551234 waits for its reply"
            ],
            ["expect", "> "],
            ["send", "404 {\"error\":\"no such caller\"}\n"],
            ["expect", "outcome: completed"],
        ]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(0), "{}", t.output);
    assert!(t.output.contains("status = 404"), "{}", t.output);
}

#[test]
fn while_queued_the_person_lets_time_pass_until_an_agent_answers() {
    let (dir, config) = place();
    std::fs::write(
        dir.path().join("queue.script"),
        r#"start: Begin { Default -> ask }
ask: Menu { Sequence = "Press 1 for sales" Case "1" -> sales Default -> ask }
sales: ReqAgent { Skill = "Sales" Default -> hold }
hold: Music { MusicFile = "Autumn-Breezes.wav" SecondstoPlay = 30 Default -> pause OnComplete -> pause }
pause: Wait { Seconds = 1 Default -> hold }
answered: OnAnswer { Default -> talk }
talk: Play { Sequence = "You are talking to {FIRST}" Default -> done }
done: End
"#,
    )
    .unwrap();
    let Some(t) = on_terminal(
        dir.path(),
        config.path(),
        &["run", "queue.script"],
        json!([
            ["expect", "keys ("],
            ["expect", "> "],
            ["send", "1\n"],
            ["expect", "queued for: Sales"],
            ["expect", "on hold ("],
            ["expect", "hangs up> "],
            // Enter: the hold time passes; the holding pattern goes on.
            ["send", "\n"],
            ["expect", "on hold ("],
            ["expect", "hangs up> "],
            ["send", "a supervisor\n"],
            ["expect", "agent answers: supervisor"],
            ["expect", "caller hears: You are talking to Sam"],
            ["expect", "outcome: completed"],
        ]),
    ) else {
        return;
    };
    assert_eq!(t.code, Some(0), "{}", t.output);
}
