//! Argument parsing and the `run` and `check` commands.
//!
//! Exit codes: 0 completed (or check clean), 1 stopped by an unhandled action
//! error, 2 bad input (script does not parse or check, unreadable file, bad
//! tenant file, bad command line), 3 a limit was exceeded.

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
mod run;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit code: the run completed, or `check` found no error.
pub const EXIT_OK: i32 = 0;
/// Exit code: an action failed with no Error branch connected.
pub const EXIT_STOPPED: i32 = 1;
/// Exit code: bad input of any kind.
pub const EXIT_INPUT: i32 = 2;
/// Exit code: the step budget (or another limit) was exceeded.
pub const EXIT_LIMIT: i32 = 3;

#[derive(Parser)]
#[command(
    name = "studioflow",
    version,
    about = "Run and check Studio-style contact-center flow scripts",
    after_help = "Exit codes: 0 completed, 1 stopped by an action error, 2 bad input, 3 limit exceeded."
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
}

#[derive(Args)]
struct RunArgs {
    /// The .script file to run.
    file: PathBuf,
    /// An input variable; VALUE is JSON when it parses as JSON (5, true, [1,2], {"a":1}, "quoted"), else a string.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The step budget (executed actions).
    #[arg(long, value_name = "N")]
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
    /// Write the permission model as it stands after the run to FILE (atomically).
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Fix the clock at an RFC 3339 instant, e.g. 2026-03-08T06:30:00Z.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    /// The .script files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Declare an input variable the host supplies (no "never assigned" warning).
    #[arg(long = "var", value_name = "NAME")]
    vars: Vec<String>,
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_INPUT } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::check(args),
    }
}

/// Reads a script file as UTF-8, with a message naming the file on failure.
fn read_script(path: &std::path::Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not a UTF-8 text file (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}
