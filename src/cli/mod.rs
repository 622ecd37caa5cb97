//! The command line: one file per command (`check`, `fmt`, `graph`,
//! `import`, `run`, `resume`, `test`), the arguments as clap reads them (`args.rs`), what the
//! commands share (`io.rs`; `session.rs` for `run` and `resume`, with the
//! conversation in words in `show.rs`, the terminal as the phone in
//! `phone.rs`, real HTTP calls in `http.rs`, the pause key in
//! `pause_key.rs`) and the exit codes (`exit.rs`).
//!
//! Exit codes: 0 completed (or check clean), 1 stopped by an unhandled action
//! error, 2 bad input (script does not parse or check, unreadable file, bad
//! tenant file, bad command line, unwritable `--save` target, an event that
//! does not fit), 3 a limit was exceeded, 4 `--save` refused because the
//! tenant file changed since it was loaded, 5 the run waits.

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

mod args;
mod check;
#[cfg(feature = "postgres")]
mod db;
mod exit;
mod export;
mod fmt;
mod graph;
mod http;
mod import;
mod io;
mod lsp;
mod pause_key;
mod phone;
mod resume;
mod run;
mod session;
mod show;
mod test;

use clap::Parser;

use args::{Cli, Command};
use exit::{EXIT_INPUT, EXIT_OK};

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let parsed = match args::parse_one_command() {
        Some(cli) => Ok(cli),
        None => Cli::try_parse(),
    };
    let cli = match parsed {
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
                io::input_failure_json_only(message)
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
        Command::Resume(args) => resume::resume(args),
        Command::Check(args) => check::check(args),
        Command::Test(args) => test::test(args),
        Command::Graph(args) => graph::graph(args),
        Command::Fmt(args) => fmt::fmt(args),
        Command::Import(args) => import::import(args),
        Command::Export(args) => export::export(args),
        Command::Lsp(args) => lsp::lsp(args),
        #[cfg(feature = "postgres")]
        Command::Db(command) => db::db(command),
    }
}
