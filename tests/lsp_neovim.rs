//! `studioflow lsp` in a real editor: headless Neovim (0.7 or later) with
//! its built-in LSP client runs tests/lsp_neovim/session.lua, which opens a
//! script with an error and a typo, waits for the diagnostics through
//! `vim.diagnostic.get`, applies the typo's quick fix, asks for completion,
//! hover and symbols, renames an action and formats the buffer (Neovim
//! applying each edit, so the server gets Neovim's own incremental
//! `didChange`s), and writes what it saw as JSON; this file checks it.
//!
//! Its own harness, like tests/external_tools.rs: without `nvim` it prints
//! `skipped: neovim not installed` by name; `STUDIOFLOW_REQUIRE_TOOLS=1`
//! (set by `.ci/run`, which installs Debian's `neovim`) makes that a failure.

#[path = "tool_harness/mod.rs"]
mod tool_harness;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tool_harness::ToolCheck;

use serde_json::Value;

/// How long Neovim may take for the whole session (every wait inside it is
/// bounded to 10 s; this is the backstop).
const PATIENCE: Duration = Duration::from_secs(90);

/// A flow with an error (`contains` takes two arguments) and a typo (`dne`
/// where `done` exists, which leaves `done` unreachable), both after an emoji on their line: Neovim counts
/// bytes, the server UTF-16 units, and the columns must still agree.
const FLOW: &str = r#"// A flow edited in Neovim.
script "Hello" inputs Name
start: Begin { Default -> greet }

greet: Assign "Say hello" {
  Variable = Greeting
  Value = "Hello {upper(Name)}"
  Default -> ask
}

ask: Assign "😀 ask" { Variable = found  Value = contains("abc")  Default -> dne }

done:   End
"#;

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// The lines of a JSON array of strings.
fn text_lines(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|l| l.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the session; returns what it wrote.
fn run_session(nvim: &Path) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let script = dir.path().join("flow.script");
    std::fs::write(&script, FLOW).map_err(|e| e.to_string())?;
    let out = dir.path().join("out.json");
    let lua = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp_neovim/session.lua");
    let mut child = Command::new(nvim)
        .args([
            "--headless",
            "--clean",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-S",
        ])
        .arg(&lua)
        .current_dir(dir.path())
        .env("STUDIOFLOW_BIN", env!("CARGO_BIN_EXE_studioflow"))
        .env("STUDIOFLOW_NVIM_SCRIPT", &script)
        .env("STUDIOFLOW_NVIM_OUT", &out)
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", nvim.display()))?;
    let started = Instant::now();
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(_) => break,
            None if started.elapsed() > PATIENCE => {
                let _ = child.kill();
                let output = child.wait_with_output().map_err(|e| e.to_string())?;
                return Err(format!(
                    "Neovim did not finish within {PATIENCE:?} (killed); stderr: {}; so far: {}",
                    String::from_utf8_lossy(&output.stderr),
                    std::fs::read_to_string(&out).unwrap_or_default()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let written = std::fs::read_to_string(&out).map_err(|e| {
        format!(
            "Neovim wrote no result ({e}); exit {:?}; stdout: {}; stderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let seen: Value = serde_json::from_str(&written).map_err(|e| format!("{e}: {written}"))?;
    if let Some(error) = seen["error"].as_str() {
        return Err(format!(
            "the session failed after steps {}: {error}\nstderr: {}\nseen: {seen:#}",
            seen["steps"],
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(seen)
}

macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!("{} (at {}:{})", format!($($why)+), file!(), line!()));
        }
    };
}

/// The (0-based) line of `FLOW`-like `lines` holding `needle`, and the byte
/// column where it starts.
fn place(lines: &[String], needle: &str) -> Option<(u64, u64)> {
    lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i as u64, c as u64)))
}

fn neovim_edits_a_script_with_studioflow_lsp(nvim: &Path) -> Result<(), String> {
    let seen = run_session(nvim)?;
    let flow: Vec<String> = FLOW.lines().map(str::to_string).collect();
    ensure!(
        seen["offset_encoding"] == "utf-16",
        "Neovim 0.7 offers no UTF-8: {}",
        seen["offset_encoding"]
    );

    // 1. Both diagnostics, at the byte columns Neovim shows (after the emoji).
    let diagnostics = seen["diagnostics"].as_array().cloned().unwrap_or_default();
    // Two errors, and `done` unreachable while the branch misses it.
    ensure!(
        diagnostics.len() == 3,
        "three diagnostics: {diagnostics:#?}"
    );
    let unreachable = diagnostics
        .iter()
        .find(|d| d["code"] == "unreachable-action")
        .ok_or_else(|| format!("no unreachable-action: {diagnostics:#?}"))?;
    ensure!(
        unreachable["severity"] == 2 && unreachable["lnum"] == flow.len() as u64 - 1,
        "a warning on `done`: {unreachable}"
    );
    let (ask_line, dne_col) = place(&flow, "-> dne").unwrap();
    let (_, contains_col) = place(&flow, "contains(").unwrap();
    let arity = diagnostics
        .iter()
        .find(|d| d["code"] == "wrong-argument-count")
        .ok_or_else(|| format!("no wrong-argument-count: {diagnostics:#?}"))?;
    ensure!(
        arity["lnum"] == ask_line && arity["col"] == contains_col,
        "the arity error at {ask_line}:{contains_col}: {arity}"
    );
    ensure!(
        str_of(arity, "message") == "contains() takes 2 arguments, got 1",
        "{arity}"
    );
    ensure!(arity["severity"] == 1, "an error: {arity}");
    ensure!(arity["source"] == "studioflow", "{arity}");
    let typo = diagnostics
        .iter()
        .find(|d| d["code"] == "missing-target")
        .ok_or_else(|| format!("no missing-target: {diagnostics:#?}"))?;
    ensure!(
        typo["lnum"] == ask_line && typo["col"] == dne_col + 3 && typo["end_col"] == dne_col + 6,
        "the typo at {ask_line}:{}..{}: {typo}",
        dne_col + 3,
        dne_col + 6
    );
    ensure!(
        seen["dne_byte_col"] == dne_col + 3,
        "the Lua side found `dne` elsewhere: {}",
        seen["dne_byte_col"]
    );
    let message = str_of(typo, "message");
    ensure!(
        message.contains("`dne`") && message.contains("did you mean `done`"),
        "{message}"
    );
    ensure!(
        seen["published_version"].as_i64().is_some(),
        "the diagnostics carry the document's version: {}",
        seen["published_version"]
    );

    // 2. The quick fix, applied by Neovim; the typo's diagnostic goes.
    ensure!(
        seen["code_actions"][0]["kind"] == "quickfix",
        "{}",
        seen["code_actions"]
    );
    let fixed = text_lines(&seen["after_fix"]);
    ensure!(
        fixed[ask_line as usize].ends_with("Default -> done }"),
        "{fixed:#?}"
    );
    let after_fix = seen["diagnostics_after_fix"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!(
        after_fix.len() == 1 && after_fix[0]["code"] == "wrong-argument-count",
        "only the arity error is left (`done` is reachable again): {after_fix:#?}"
    );

    // 3. Completion after `-> ` offers the script's ids; hover on `Assign`
    // speaks of it.
    ensure!(
        seen["completion_error"].is_null(),
        "completion failed: {}",
        seen["completion_error"]
    );
    ensure!(
        seen["hover_error"].is_null(),
        "hover failed: {}",
        seen["hover_error"]
    );
    let completion = &seen["completion"];
    let items = completion["items"]
        .as_array()
        .or_else(|| completion.as_array())
        .cloned()
        .unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    for id in ["greet", "ask", "done"] {
        ensure!(
            labels.contains(&id),
            "completion after `-> ` offers `{id}`: {labels:?}"
        );
    }
    let hover = &seen["hover"];
    ensure!(
        hover["contents"].to_string().contains("Assign"),
        "hover on `Assign` speaks of it: {hover}"
    );

    // 4. One symbol per action.
    let names: Vec<&str> = seen["symbols"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    ensure!(
        names == ["start", "greet", "ask", "done"],
        "symbols: {names:?} ({})",
        seen["symbols_error"]
    );

    // 5. The rename: two edits in the script, applied by Neovim.
    let edits = seen["rename"]["changes"][str_of(&seen, "uri")]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ensure!(
        edits.len() == 2 && edits.iter().all(|e| e["newText"] == "welcome"),
        "rename: {}",
        seen["rename"]
    );
    let renamed = text_lines(&seen["after_rename"]);
    let mut expected: Vec<String> = fixed
        .iter()
        .map(|l| {
            l.replace("-> greet", "-> welcome")
                .replace("greet:", "welcome:")
        })
        .collect();
    ensure!(renamed == expected, "after the rename: {renamed:#?}");
    let (welcome_line, _) = place(&renamed, "welcome:").unwrap();
    ensure!(
        seen["definition_after_rename"]["range"]["start"]["line"] == welcome_line
            || seen["definition_after_rename"][0]["range"]["start"]["line"] == welcome_line,
        "the server saw Neovim's edits: definition of `welcome` is {}",
        seen["definition_after_rename"]
    );

    // 6. Formatting: the buffer is `studioflow fmt`'s text.
    let mut text = renamed.join("\n");
    text.push('\n');
    let formatted = studioflow::format::format_script(&text).map_err(|e| format!("{e:?}"))?;
    expected = formatted.lines().map(str::to_string).collect();
    let after_format = text_lines(&seen["after_format"]);
    ensure!(
        after_format == expected,
        "after formatting: {after_format:#?}\nexpected: {expected:#?}\nedits: {}",
        seen["formatting"]
    );
    ensure!(
        after_format.iter().any(|l| l == "done: End"),
        "fmt closes `done:   End` up: {after_format:#?}"
    );
    ensure!(
        seen["last_published_version"] == seen["final_version"],
        "the last diagnostics are for Neovim's last version: {} vs {}",
        seen["last_published_version"],
        seen["final_version"]
    );
    let last = seen["diagnostics_after_format"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (line, col) = place(&after_format, "contains(").unwrap();
    ensure!(
        last.len() == 1 && last[0]["lnum"] == line && last[0]["col"] == col,
        "the arity error moved with the formatting to {line}:{col}: {last:#?}"
    );
    ensure!(
        seen["steps"]
            .as_array()
            .is_some_and(|s| s.last() == Some(&"stopped".into())),
        "the server stopped when asked: {}",
        seen["steps"]
    );
    Ok(())
}

fn main() {
    tool_harness::run(&[ToolCheck {
        name: "neovim_edits_a_script_with_studioflow_lsp",
        tool: "nvim",
        package: "neovim",
        check: neovim_edits_a_script_with_studioflow_lsp,
    }]);
}
