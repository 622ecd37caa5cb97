//! Golden-file tests: every `tests/golden/**/*.script` case and every
//! `scripts/*.script` example is one named test (datatest-stable), whose
//! outcome is compared with a snapshot (insta) under `tests/golden/snapshots/`.
//!
//! A case may start with a header comment giving its inputs:
//!
//! ```text
//! // golden: {"vars": {"Name": "Ada", "count": 2}, "max_steps": 50}
//! ```
//!
//! Keys: `vars` (name → JSON value), `directory` (a tenant JSON file, relative
//! to the case file), `now` (RFC 3339 clock; default 2026-03-08T06:30:00Z so
//! snapshots never depend on the wall clock), `max_steps`, `inputs` (names
//! declared as host inputs for `check`). The case runs through the public API
//! exactly as `studioflow run --json` does.
//!
//! Updating expectations:
//! - `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the snapshots;
//! - otherwise a mismatch or a missing snapshot fails (locally insta leaves a
//!   `.snap.new` beside it for `cargo insta review`);
//! - under CI (`CI=true`) nothing is ever written, whatever else is set.

use std::collections::BTreeSet;
use std::path::Path;

use datatest_stable::Utf8Path;
use serde::Deserialize;
use studioflow::permissions::Directory;
use studioflow::{CompileOptions, Engine, FixedClock, Outcome, RunOptions, Value};

/// The inputs a case declares in its `// golden: {...}` header line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(default)]
    vars: serde_json::Map<String, serde_json::Value>,
    directory: Option<String>,
    now: Option<String>,
    max_steps: Option<u64>,
    #[serde(default)]
    inputs: Vec<String>,
}

const HEADER_PREFIX: &str = "// golden:";

/// The clock of a case that does not set `now`.
const DEFAULT_NOW: &str = "2026-03-08T06:30:00Z";

fn parse_header(source: &str) -> Result<Header, String> {
    let Some(first) = source.lines().next() else {
        return Ok(Header::default());
    };
    match first.trim_start().strip_prefix(HEADER_PREFIX) {
        Some(json) => {
            serde_json::from_str(json.trim()).map_err(|e| format!("bad golden header: {e}"))
        }
        None => Ok(Header::default()),
    }
}

/// Exit codes, as the CLI reports them.
const EXIT_OK: i32 = 0;
const EXIT_STOPPED: i32 = 1;
const EXIT_INPUT: i32 = 2;
const EXIT_LIMIT: i32 = 3;

/// Runs one case the way `studioflow run FILE --json` does and renders the
/// readable document that is snapshotted.
fn render_case(path: &Utf8Path, bytes: &[u8]) -> Result<String, String> {
    // Diagnostics name the file by its crate-relative path, with `/`.
    let name = path.as_str().replace('\\', "/");
    let source = match String::from_utf8(bytes.to_vec()) {
        Ok(s) => s,
        Err(e) => {
            return Ok(format!(
                "exit: {EXIT_INPUT}\n--- error ---\n{name}: not a UTF-8 text file (invalid byte at offset {})\n",
                e.utf8_error().valid_up_to()
            ))
        }
    };
    let header = parse_header(&source)?;

    // Snapshots must not depend on the wall clock: without `now` the clock
    // stands still at DEFAULT_NOW (the CLI would use the system clock).
    let now = header.now.as_deref().unwrap_or(DEFAULT_NOW);
    let clock = FixedClock::parse(now).map_err(|e| format!("bad `now` {now:?}: {e}"))?;
    let mut builder = Engine::builder().clock(clock);
    if let Some(dir) = &header.directory {
        let base = path
            .parent()
            .map(Utf8Path::as_std_path)
            .unwrap_or(Path::new("."));
        match Directory::load_file(&base.join(dir)) {
            Ok(directory) => builder = builder.directory(directory),
            Err(e) => return Ok(format!("exit: {EXIT_INPUT}\n--- error ---\n{e}\n")),
        }
    }
    let engine = builder.build();

    // Host inputs: the declared ones plus every supplied variable, as
    // `run --var` declares them.
    let inputs: BTreeSet<String> = header
        .inputs
        .iter()
        .cloned()
        .chain(header.vars.keys().cloned())
        .collect();
    let options = CompileOptions {
        inputs: inputs.into_iter().collect(),
    };
    let script = match engine.compile_with(&source, &name, &options) {
        Ok(script) => script,
        Err(diagnostics) => {
            return Ok(format!(
                "exit: {EXIT_INPUT}\n--- diagnostics ---\n{diagnostics}\n"
            ))
        }
    };

    let mut run_options = RunOptions {
        max_steps: header.max_steps,
        trace: true,
        ..Default::default()
    };
    for (k, v) in &header.vars {
        run_options.variables.insert(k.clone(), Value::from_json(v));
    }
    let run = engine.run(&script, run_options);
    let (code, word) = match run.outcome {
        Outcome::Completed => (EXIT_OK, "completed"),
        Outcome::Stopped => (EXIT_STOPPED, "stopped"),
        Outcome::Cancelled => (EXIT_STOPPED, "cancelled"),
        Outcome::Limit => (EXIT_LIMIT, "limit"),
    };
    let json = serde_json::to_string_pretty(&run.to_json()).map_err(|e| e.to_string())?;
    let warnings = script.warnings();
    let warnings = if warnings.is_empty() {
        "(none)".to_string()
    } else {
        warnings.to_string()
    };
    Ok(format!(
        "exit: {code} ({word})\n--- warnings ---\n{warnings}\n--- run ---\n{json}\n"
    ))
}

/// Where a case's snapshot lives (relative to this file) and its name.
fn snapshot_place(path: &Utf8Path) -> (String, String) {
    let rel = path.as_str().replace('\\', "/");
    let (dir, rel) = if let Some(rest) = rel.strip_prefix("tests/golden/") {
        ("golden/snapshots".to_string(), rest.to_string())
    } else if let Some(rest) = rel.strip_prefix("scripts/") {
        ("golden/snapshots/scripts".to_string(), rest.to_string())
    } else {
        ("golden/snapshots/other".to_string(), rel)
    };
    let rel = rel.strip_suffix(".script").unwrap_or(&rel);
    match rel.rsplit_once('/') {
        Some((sub, stem)) => (format!("{dir}/{sub}"), stem.to_string()),
        None => (dir, rel.to_string()),
    }
}

fn golden(path: &Utf8Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    let doc = render_case(path, &bytes)?;
    let (dir, name) = snapshot_place(path);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(path.as_std_path());
    settings.bind(|| insta::assert_snapshot!(name, doc));
    Ok(())
}

/// Maps `UPDATE_GOLDEN` and `CI` onto insta's update mode. Runs before any
/// test thread starts (insta reads its configuration once, lazily).
fn configure_updates() -> &'static str {
    let is_ci = match std::env::var("CI").as_deref() {
        Ok("") | Ok("0") | Ok("false") => false,
        Ok(_) => true,
        Err(_) => std::env::var_os("TF_BUILD").is_some(),
    };
    let update = matches!(
        std::env::var("UPDATE_GOLDEN").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    );
    if is_ci {
        // CI never writes a snapshot and never passes a mismatch.
        // SAFETY (both calls): `harness!` evaluates `root` in `main` before
        // any test thread exists, so nothing reads the environment meanwhile.
        unsafe { std::env::set_var("INSTA_UPDATE", "no") };
        unsafe { std::env::remove_var("INSTA_FORCE_PASS") };
    } else if update {
        // SAFETY: as above, single-threaded `main`.
        unsafe { std::env::set_var("INSTA_UPDATE", "always") };
    }
    "tests/golden"
}

/// A case under `tests/golden/`.
fn case(path: &Utf8Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    golden(path, bytes)
}

/// An example under `scripts/`.
fn script(path: &Utf8Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    golden(path, bytes)
}

datatest_stable::harness! {
    { test = case, root = configure_updates(), pattern = r"\.script$" },
    { test = script, root = "scripts", pattern = r"^[^/]*\.script$" },
}
