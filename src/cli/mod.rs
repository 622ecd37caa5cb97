//! Argument parsing and the `run` and `check` commands.
//!
//! Exit codes: 0 completed (or check clean), 1 stopped by an unhandled action
//! error, 2 bad input (script does not parse or check, unreadable file, bad
//! tenant file, bad command line, unwritable `--save` target), 3 a limit was
//! exceeded, 4 `--save` refused because the tenant file changed since it was loaded.

/// `println!` that never panics: a closed pipe (`studioflow run ... | head`)
/// just ends the output.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod check;
mod fmt;
mod graph;
mod run;
mod test;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use studioflow::syntax::is_variable_name;
use studioflow::{Diagnostics, Value, SHOWN_DIAGNOSTICS};

/// Exit code: the run completed, or `check` found no error.
pub const EXIT_OK: i32 = 0;
/// Exit code: an action failed with no Error branch connected.
pub const EXIT_STOPPED: i32 = 1;
/// Exit code: bad input of any kind.
pub const EXIT_INPUT: i32 = 2;
/// Exit code: the step budget (or another limit) was exceeded.
pub const EXIT_LIMIT: i32 = 3;
/// Exit code: `--save` refused to overwrite a tenant file that changed since
/// it was loaded (another writer not taking the lock); nothing was saved.
pub const EXIT_SAVE_CONFLICT: i32 = 4;

#[derive(Parser)]
#[command(
    name = "studioflow",
    version,
    about = "Run and check Studio-style contact-center flow scripts",
    after_help = "Exit codes: 0 completed, 1 stopped by an action error, 2 bad input, 3 limit exceeded, 4 --save refused: the tenant file changed since it was loaded."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script and print its outcome and final variables.
    Run(RunArgs),
    /// Parse and check scripts; print every diagnostic.
    Check(CheckArgs),
    /// Run test files (NAME.test.toml): cases with expectations, mocks, snapshots and coverage.
    #[command(
        after_help = "Exit codes: 0 all cases passed, 1 a case failed or coverage is below --min-coverage, 2 bad input (a test file, script, tenant or manifest with an error; no test file found)."
    )]
    Test(TestArgs),
    /// Draw a script's flow as Graphviz DOT, a Mermaid flowchart or SVG.
    Graph(GraphArgs),
    /// Rewrite .script files in the canonical layout (comments kept); --check only lists them.
    Fmt(FmtArgs),
}

#[derive(Args)]
struct FmtArgs {
    /// Files or folders (searched recursively for *.script); default: the current folder.
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
    /// Skip files matching GLOB (relative to the current folder; `**` crosses folders). Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Args)]
struct GraphArgs {
    /// The .script file to draw.
    file: PathBuf,
    /// Output format: dot (Graphviz input), mermaid (a Markdown flowchart) or svg (laid out by studioflow).
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
    /// Write to OUT (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

#[derive(Args)]
struct RunArgs {
    /// The .script file to run.
    file: PathBuf,
    /// An input variable; VALUE is JSON when it parses as JSON (5, true, [1,2], {"a":1}, "quoted"), else a string.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The step budget (executed actions), 1 or more (default 10000).
    #[arg(long, value_name = "N", value_parser = parse_step_budget, allow_hyphen_values = true)]
    max_steps: Option<u64>,
    /// Write one line per executed action to stderr.
    #[arg(long)]
    trace: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// A JSON tenant file (default: the built-in demo tenant).
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// Write the permission model as it stands after the run to FILE (atomically; a symlink is
    /// followed, permissions kept). With --directory, that file stays locked from load to save.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Fix the clock at an RFC 3339 instant, e.g. 2026-03-08T06:30:00Z.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    #[command(flatten)]
    input: InputArgs,
    /// Write a self-contained HTML report of the run (flow, path taken, steps, variables) to OUT.html.
    #[arg(long, value_name = "OUT.html")]
    report: Option<PathBuf>,
    /// The run's memory budget: bytes, or with a K, M or G suffix (binary units; KiB, MiB, GiB also read) (default 64M).
    #[arg(long, value_name = "SIZE", value_parser = parse_byte_size)]
    max_memory: Option<u64>,
    /// The run's wall-clock deadline in seconds, more than 0, e.g. 2 or 0.5 (default 30).
    // Hyphen values reach `parse_seconds`, whose message beats clap's "use '-- -1'" tip.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, allow_hyphen_values = true)]
    timeout: Option<std::time::Duration>,
}

/// A step budget of 1 or more: a budget of 0 could not even run Begin, so
/// the run would stop before it started; that is refused as a mistake.
fn parse_step_budget(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("the step budget must be at least 1 (a budget of 0 would stop the run before its Begin)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number of steps (1 or more)")),
    }
}

/// Seconds as a decimal number above 0. A deadline of 0 (or less) would stop
/// the run before its Begin, so it is refused as `--max-steps 0` is.
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds, e.g. 2 or 0.5"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!(
            "{text:?}: the deadline must be more than 0 seconds (a deadline of 0 would stop the run before its Begin)"
        ));
    }
    std::time::Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} is not a number of seconds, e.g. 2 or 0.5"))
}

#[derive(Args)]
struct CheckArgs {
    /// The .script files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declare an input variable the host supplies (no "never assigned" warning); a value, as
    /// `run` takes it, is allowed and ignored.
    #[arg(long = "var", value_name = "NAME[=VALUE]")]
    vars: Vec<String>,
    /// Print one JSON object on stdout: every diagnostic with file, line, column, end, severity,
    /// code and message.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    input: InputArgs,
}

/// How input files are read (shared by every command that reads files).
#[derive(Args)]
struct InputArgs {
    /// Refuse input files (scripts, tenant files) larger than SIZE: bytes, or with a K, M or G suffix (binary units).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_byte_size)]
    max_file_size: u64,
}

#[derive(Args)]
struct TestArgs {
    /// Test files, or folders searched recursively for *.test.toml (default: the current folder).
    paths: Vec<PathBuf>,
    /// Write missing and changed snapshots (refused under CI=true).
    #[arg(long)]
    update: bool,
    /// Run only cases whose name or test-file path contains TEXT.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Print action and branch coverage per script after the summary.
    #[arg(long)]
    coverage: bool,
    /// Write coverage per script, action and branch (with hit counts) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    coverage_json: Option<PathBuf>,
    /// Write coverage pages to DIR: one HTML page per script (its flow with
    /// every branch coloured taken or not, hit counts, untaken branches at
    /// file:line) and index.html with each script's percentages.
    #[arg(long, value_name = "DIR")]
    coverage_html: Option<PathBuf>,
    /// Fail (exit 1) when any script's branch coverage is below PCT.
    #[arg(long, value_name = "PCT")]
    min_coverage: Option<f64>,
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // `--json` promises one JSON object even for a command line
            // clap refuses (`--max-steps 0`, `--timeout soon`); clap's own
            // message still goes to stderr.
            let _ = e.print();
            let asked_for_json = std::env::args_os().any(|a| a == "--json");
            // Its first paragraph, without the usage that follows.
            let text = e.to_string();
            let message = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            return if asked_for_json {
                input_failure_json_only(message)
            } else {
                EXIT_INPUT
            };
        }
        Err(e) => {
            let _ = e.print();
            return EXIT_OK;
        }
    };
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
        Command::Test(args) => test::test(args),
        Command::Graph(args) => graph::graph(args),
        Command::Fmt(args) => fmt::fmt(args),
    }
}

/// Reads a script file: a regular UTF-8 file of at most `max_bytes` bytes.
fn read_script(path: &std::path::Path, max_bytes: u64) -> Result<String, String> {
    studioflow::files::read_text(path, max_bytes).map_err(|e| e.to_string())
}

/// Parses a `--var` argument: `NAME=VALUE` or a bare `NAME` (no value).
/// VALUE is JSON when it parses as JSON, else a string; NAME must be a
/// variable name, so that a typo such as `--var 1x` is not silently ignored.
fn parse_var(text: &str) -> Result<(String, Option<Value>), String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    if !is_variable_name(name) {
        return Err(format!(
            "--var {text:?}: {name:?} is not a variable name (an ASCII letter or `_`, then letters, digits, `_` or `$`)"
        ));
    }
    let value = value.map(var_value);
    Ok((name.to_string(), value))
}

/// The value of `--var NAME=TEXT`. Caller ids and account numbers are digit
/// strings, so TEXT is a number only when it is written as plain digits
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`) and the number holds it exactly (it
/// prints back as the same text): `12345678901234567890`, `007`, `1e3` and
/// `1.50` stay text. Other JSON (`true`, `null`, `[1,2]`, `{"a":1}`,
/// `"quoted"`) is JSON; anything else is text.
fn var_value(text: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Number(_)) => match exact_plain_number(text) {
            Some(number) => Value::Number(number),
            None => Value::from(text),
        },
        Ok(json) => Value::from_json(&json),
        Err(_) => Value::from(text),
    }
}

/// `text` as a number when it is plain digits that a number holds exactly.
fn exact_plain_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let plain_whole = whole == "0"
        || (!whole.is_empty()
            && !whole.starts_with('0')
            && whole.bytes().all(|b| b.is_ascii_digit()));
    let plain_fraction =
        fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !(plain_whole && plain_fraction) {
        return None;
    }
    let number: f64 = text.parse().ok()?;
    // Exactly: the number prints back as the text the user wrote.
    (Value::Number(number).to_text() == text).then_some(number)
}

/// Reports a failure that comes before any result: on stderr for a person
/// (the diagnostics rendered, or `error: MESSAGE`) and, with `--json`, as
/// the command's one JSON object on stdout:
/// `{"outcome": "error", "error": {"kind": "input", "message"}, "diagnostics": [...], "not_shown": n}`.
/// Returns the exit code (bad input).
/// How the command line takes a host input: library diagnostics say
/// `CompileOptions::inputs`, the command line says `--var NAME`.
fn var_hint(name: &str) -> String {
    format!("--var {name}")
}

fn input_failure(json: bool, message: &str, diagnostics: Option<&Diagnostics>) -> i32 {
    match diagnostics {
        Some(d) => errln!("{d}"),
        None => errln!("error: {message}"),
    }
    if json {
        let doc = failure_json(message, diagnostics);
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    EXIT_INPUT
}

/// [`input_failure`]'s JSON object alone (the message is already on stderr).
fn input_failure_json_only(message: &str) -> i32 {
    let doc = failure_json(message, None);
    outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    EXIT_INPUT
}

/// The JSON object of a failure before any result.
fn failure_json(message: &str, diagnostics: Option<&Diagnostics>) -> serde_json::Value {
    serde_json::json!({
        "outcome": "error",
        "error": {"kind": "input", "message": message},
        "diagnostics": diagnostics.map(diagnostics_json).unwrap_or_default(),
        "not_shown": diagnostics.map_or(0, not_shown),
    })
}

/// The diagnostics of one file as JSON objects (see [`Diagnostics::to_json`]),
/// at most [`SHOWN_DIAGNOSTICS`], as in the text output.
fn diagnostics_json(diagnostics: &Diagnostics) -> Vec<serde_json::Value> {
    diagnostics
        .items()
        .iter()
        .take(SHOWN_DIAGNOSTICS)
        .map(|d| diagnostics.to_json(d))
        .collect()
}

/// How many of the diagnostics of one file [`diagnostics_json`] leaves out.
fn not_shown(diagnostics: &Diagnostics) -> usize {
    diagnostics.items().len().saturating_sub(SHOWN_DIAGNOSTICS)
}

/// Parses `--max-file-size` and `--max-memory`: a byte count, optionally with a
/// binary `K`, `M` or `G` suffix (`KiB`, `MiB`, `GiB`, `KB`... read the same).
fn parse_byte_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    // `64MiB` and `64MB` read as `64M` (binary units either way).
    let lower = trimmed.to_ascii_lowercase();
    let trimmed = if lower.ends_with("ib") && trimmed.len() > 2 {
        &trimmed[..trimmed.len() - 2]
    } else if lower.ends_with('b') && trimmed.len() > 1 {
        &trimmed[..trimmed.len() - 1]
    } else {
        trimmed
    };
    let (digits, unit) = match trimmed.char_indices().last() {
        Some((at, 'k' | 'K')) => (&trimmed[..at], 1u64 << 10),
        Some((at, 'm' | 'M')) => (&trimmed[..at], 1 << 20),
        Some((at, 'g' | 'G')) => (&trimmed[..at], 1 << 30),
        _ => (trimmed, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!(
                "{text:?} is not a size: use a positive byte count, e.g. 1048576, 512K, 64M or 1G"
            )
        })
}

/// The files a command reads for `script_path`: the script, the subscripts
/// its RunSubs call (once compiled), and its project's `studioflow.toml`.
/// No output of the command may be one of them.
fn script_inputs(script_path: &Path, script: Option<&studioflow::Script>) -> Vec<PathBuf> {
    let mut inputs = vec![script_path.to_path_buf()];
    if let Some(script) = script {
        inputs.extend(script.subscript_names().map(PathBuf::from));
    }
    if let Ok(Some(manifest)) = studioflow::manifest::Manifest::for_script(script_path) {
        inputs.push(manifest.path().to_path_buf());
    }
    inputs
}

/// Refuses (with the message for `option`) an output that is one of `inputs`.
fn refuse_over_inputs(option: &str, output: &Path, inputs: &[PathBuf]) -> Result<(), String> {
    studioflow::files::refuse_overwriting_inputs(output, inputs.iter().map(PathBuf::as_path))
        .map_err(|e| format!("{option}: {e}"))
}

/// Writes an output file atomically; never over a folder, a link or
/// anything else that is not a regular file.
fn write_output(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    studioflow::files::write_atomically(path, bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_byte_size;

    #[test]
    fn var_numbers_are_plain_digits_held_exactly() {
        use super::var_value;
        use studioflow::Value;
        for (text, number) in [
            ("5", 5.0),
            ("-12", -12.0),
            ("0", 0.0),
            ("2.5", 2.5),
            ("9007199254740992", 9007199254740992.0),
        ] {
            assert_eq!(var_value(text), Value::Number(number), "{text}");
        }
        for text in [
            "12345678901234567890",
            "1e3",
            "007",
            "1.50",
            "-0",
            "00",
            "1.",
            ".5",
            "+1",
            "9007199254740993",
        ] {
            assert_eq!(var_value(text), Value::from(text), "{text}");
        }
        assert_eq!(var_value("true"), Value::Bool(true));
        assert_eq!(var_value("\"q\""), Value::from("q"));
        assert_eq!(var_value("gold"), Value::from("gold"));
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("1000"), Ok(1000));
        assert_eq!(parse_byte_size("512K"), Ok(512 << 10));
        assert_eq!(parse_byte_size("64m"), Ok(64 << 20));
        assert_eq!(parse_byte_size("2G"), Ok(2 << 30));
        for bad in ["", "0", "-1", "12X", "M", "99999999999999999999G"] {
            assert!(parse_byte_size(bad).is_err(), "{bad}");
        }
    }
}
