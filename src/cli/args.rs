//! The command line as clap reads it: one `Args` struct per command, and the
//! value parsers that refuse nonsense with studioflow's own messages.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "studioflow",
    version,
    about = "Run and check Studio-style contact-center flow scripts",
    after_help = "Exit codes: 0 completed, 1 stopped by an action error, 2 bad input, 3 limit exceeded, 4 --save refused: the tenant file changed since it was loaded, 5 the run waits (its events ran out)."
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run a script and print its outcome and final variables.
    Run(RunArgs),
    /// Continue a paused run (written by `run --pause`) with more events.
    Resume(ResumeArgs),
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
    /// Write a Studio file (CXone Studio JSON or Desktop Studio XML) as .script text, formatted as fmt formats it.
    Import(ImportArgs),
    /// Write any script as Studio's own file: CXone Studio JSON (default) or Desktop Studio XML.
    Export(ExportArgs),
    /// The permission model in PostgreSQL: create or update its schema, import or export the tenant.
    #[cfg(feature = "postgres")]
    #[command(subcommand)]
    Db(DbCommand),
    /// A language server for editors (LSP 3.17 over stdin/stdout): diagnostics, completion, hover, navigation, rename, formatting.
    #[command(
        after_help = "Exit codes: 0 after the client's shutdown and exit, 1 when the client exits (or closes the stream) without shutdown, 2 a broken protocol (no initialize first)."
    )]
    Lsp(LspArgs),
}

#[derive(Args)]
pub(super) struct LspArgs {
    /// Talk over stdin/stdout (the only transport; accepted because clients pass it).
    #[arg(long)]
    pub(super) stdio: bool,
}

/// `--store URL` on `run`, `resume` and `test` (nothing without the
/// `postgres` feature).
#[derive(Args, Default)]
pub(super) struct StoreOption {
    /// The permission model in PostgreSQL, shared with other hosts (default: $STUDIOFLOW_STORE): the run's API actions read and write it; `test` copies its tenant for each case.
    #[cfg(feature = "postgres")]
    #[arg(
        long,
        value_name = "URL",
        env = "STUDIOFLOW_STORE",
        hide_env_values = true
    )]
    pub(super) store: Option<String>,
}

impl StoreOption {
    /// The store URL given, if any.
    pub(super) fn url(&self) -> Option<&str> {
        #[cfg(feature = "postgres")]
        return self.store.as_deref();
        #[cfg(not(feature = "postgres"))]
        return None;
    }
}

/// `studioflow db ...`.
#[cfg(feature = "postgres")]
#[derive(Subcommand)]
pub(super) enum DbCommand {
    /// Create or update the store's schema (idempotent; safe while hosts run).
    Migrate(StoreArgs),
    /// Replace the store's tenant with a tenant file (as --directory reads it), in one transaction.
    Import(DbImportArgs),
    /// Write the store's tenant as a tenant file (the format --directory reads).
    Export(DbExportArgs),
}

/// `--store URL`.
#[cfg(feature = "postgres")]
#[derive(Args)]
pub(super) struct StoreArgs {
    /// The PostgreSQL store: postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=disable|prefer|require] (default: $STUDIOFLOW_STORE).
    #[arg(
        long,
        value_name = "URL",
        env = "STUDIOFLOW_STORE",
        hide_env_values = true
    )]
    pub(super) store: String,
}

#[cfg(feature = "postgres")]
#[derive(Args)]
pub(super) struct DbImportArgs {
    /// The tenant file to import.
    pub(super) tenant: PathBuf,
    #[command(flatten)]
    pub(super) store: StoreArgs,
    #[command(flatten)]
    pub(super) input: InputArgs,
}

#[cfg(feature = "postgres")]
#[derive(Args)]
pub(super) struct DbExportArgs {
    /// Where to write the tenant file (atomically; never over a folder or other non-regular file).
    pub(super) out: PathBuf,
    #[command(flatten)]
    pub(super) store: StoreArgs,
}

#[derive(Args)]
pub(super) struct ExportArgs {
    /// The script to export: FILE.script, or a Studio file (FILE.json, FILE.xml).
    pub(super) file: PathBuf,
    /// json: CXone Studio (what NICE's GitHub sync stores); xml: Desktop Studio.
    #[arg(long, value_enum, default_value = "json", ignore_case = true)]
    pub(super) format: ExportFormatArg,
    /// Write to OUT (atomically) instead of stdout; never over an input of the command.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub(super) output: Option<PathBuf>,
    #[command(flatten)]
    pub(super) input: InputArgs,
}

/// `export --format`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ExportFormatArg {
    /// CXone Studio JSON.
    Json,
    /// Desktop Studio XML.
    Xml,
}

#[derive(Args)]
pub(super) struct ImportArgs {
    /// The Studio file to import: FILE.json (CXone Studio) or FILE.xml (Desktop Studio).
    pub(super) file: PathBuf,
    /// Write the .script text to OUT (atomically) instead of stdout; never over the input.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub(super) output: Option<PathBuf>,
    #[command(flatten)]
    pub(super) input: InputArgs,
}

#[derive(Args)]
pub(super) struct FmtArgs {
    /// Files or folders (searched recursively for *.script); default: the current folder.
    pub(super) paths: Vec<PathBuf>,
    /// Change nothing: list the files that would change and exit 1 if any.
    #[arg(long)]
    pub(super) check: bool,
    /// Skip files matching GLOB (relative to the current folder; `**` crosses folders). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub(super) exclude: Vec<String>,
    #[command(flatten)]
    pub(super) input: InputArgs,
}

#[derive(Args)]
pub(super) struct GraphArgs {
    /// The script to draw: FILE.script, or a Studio file (FILE.json, FILE.xml).
    pub(super) file: PathBuf,
    /// Output format: dot (Graphviz input), mermaid (a Markdown flowchart) or svg (laid out by studioflow).
    #[arg(long, value_enum, default_value = "dot")]
    pub(super) format: GraphFormat,
    /// Write to OUT (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub(super) output: Option<PathBuf>,
    #[command(flatten)]
    pub(super) input: InputArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

#[derive(Args)]
pub(super) struct RunArgs {
    /// The script to run: FILE.script, or a Studio file (FILE.json, FILE.xml).
    pub(super) file: PathBuf,
    /// An input variable; VALUE is JSON when it parses as JSON (5, true, [1,2], {"a":1}, "quoted"), else a string.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub(super) vars: Vec<String>,
    /// The step budget (executed actions), 1 or more (default 10000).
    #[arg(long, value_name = "N", value_parser = parse_step_budget, allow_hyphen_values = true)]
    pub(super) max_steps: Option<u64>,
    /// Write one line per executed action to stderr.
    #[arg(long)]
    pub(super) trace: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) tenant: TenantArgs,
    /// Fix the clock at an RFC 3339 instant, e.g. 2026-03-08T06:30:00Z.
    #[arg(long, value_name = "TIME")]
    pub(super) now: Option<String>,
    #[command(flatten)]
    pub(super) input: InputArgs,
    /// Write a self-contained HTML report of the run (flow, path taken, steps, variables) to OUT.html.
    #[arg(long, value_name = "OUT.html")]
    pub(super) report: Option<PathBuf>,
    /// The run's memory budget: bytes, or with a K, M or G suffix (binary units; KiB, MiB, GiB also read) (default 64M).
    #[arg(long, value_name = "SIZE", value_parser = parse_byte_size)]
    pub(super) max_memory: Option<u64>,
    /// The run's wall-clock deadline in seconds, more than 0, e.g. 2 or 0.5 (default 30).
    // Hyphen values reach `parse_seconds`, whose message beats clap's "use '-- -1'" tip.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, allow_hyphen_values = true)]
    pub(super) timeout: Option<std::time::Duration>,
    #[command(flatten)]
    pub(super) contact: ContactArgs,
}

/// What `run` and `resume` share about the permission model: where it
/// comes from, and where it is saved.
#[derive(Args)]
pub(super) struct TenantArgs {
    /// A JSON tenant file (default: the built-in demo tenant).
    #[arg(long, value_name = "FILE")]
    pub(super) directory: Option<PathBuf>,
    #[command(flatten)]
    pub(super) store: StoreOption,
    /// Write the permission model as it stands after the run to FILE (atomically; a symlink is
    /// followed, permissions kept). With --directory, that file stays locked from load to save.
    #[arg(long, value_name = "FILE")]
    pub(super) save: Option<PathBuf>,
}

/// What `run` and `resume` share about a contact: its events, the pause
/// written when it ends waiting, real HTTP calls.
#[derive(Args)]
pub(super) struct ContactArgs {
    /// An event at the run's next wait, in order (repeatable): digits:DIGITS, timeout, hangup,
    /// answer:AGENT, wait:SECONDS or reply:STATUS:BODY.
    #[arg(long = "event", value_name = "E", allow_hyphen_values = true)]
    pub(super) events: Vec<String>,
    /// When the run ends waiting, write it, signed, to FILE (atomically) for `studioflow resume`;
    /// with --store, keep it in the store under the id FILE.
    #[arg(long, value_name = "FILE")]
    pub(super) pause: Option<PathBuf>,
    /// How long a pause written by --pause can be resumed: a number with s, m, h or d
    /// (e.g. 90m, 12h, 30d), from 1 second to 3650 days (default 30d), on the wall clock.
    #[arg(long, value_name = "DURATION", value_parser = parse_expiry, allow_hyphen_values = true)]
    pub(super) pause_expiry: Option<std::time::Duration>,
    /// Make the run's HTTP requests for real (32 KB response cap, the request's timeout, at
    /// most 90 s); without it an HTTP wait needs a reply: event.
    #[arg(long)]
    pub(super) allow_http: bool,
}

#[derive(Args)]
pub(super) struct ResumeArgs {
    /// The pause file (written by `run --pause` or `resume --pause`); with --store, the paused run's id there.
    pub(super) file: PathBuf,
    /// Write one line per executed action to stderr.
    #[arg(long)]
    pub(super) trace: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) tenant: TenantArgs,
    /// Write a self-contained HTML report of the resumed part to OUT.html.
    #[arg(long, value_name = "OUT.html")]
    pub(super) report: Option<PathBuf>,
    #[command(flatten)]
    pub(super) input: InputArgs,
    #[command(flatten)]
    pub(super) contact: ContactArgs,
    /// Refused: a resumed run's variables come from the pause.
    #[arg(long = "var", value_name = "NAME=VALUE", hide = true)]
    pub(super) vars: Vec<String>,
    /// Refused: a resumed run's clock comes from the pause.
    #[arg(long, value_name = "TIME", hide = true)]
    pub(super) now: Option<String>,
    /// Refused: a resumed run's limits come from the pause.
    #[arg(long, value_name = "N", hide = true, allow_hyphen_values = true)]
    pub(super) max_steps: Option<String>,
    /// Refused: a resumed run's limits come from the pause.
    #[arg(long, value_name = "SIZE", hide = true, allow_hyphen_values = true)]
    pub(super) max_memory: Option<String>,
    /// Refused: a resumed run's limits come from the pause.
    #[arg(long, value_name = "SECONDS", hide = true, allow_hyphen_values = true)]
    pub(super) timeout: Option<String>,
}

/// The longest `--pause-expiry`: ten years.
const MAX_EXPIRY_SECONDS: u64 = 3650 * 24 * 3600;

/// `--pause-expiry`: a whole number with a unit, `s`, `m`, `h` or `d`
/// (a plain number is seconds), from 1 second to 3650 days.
pub(super) fn parse_expiry(text: &str) -> Result<std::time::Duration, String> {
    let trimmed = text.trim();
    let (digits, unit) = match trimmed.char_indices().last() {
        Some((at, 's' | 'S')) => (&trimmed[..at], 1),
        Some((at, 'm' | 'M')) => (&trimmed[..at], 60),
        Some((at, 'h' | 'H')) => (&trimmed[..at], 3600),
        Some((at, 'd' | 'D')) => (&trimmed[..at], 24 * 3600),
        _ => (trimmed, 1),
    };
    let bad = || {
        format!("{text:?} is not a duration: use a whole number with s, m, h or d, e.g. 90m, 12h or 30d")
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let seconds = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(bad)?;
    if seconds == 0 || seconds > MAX_EXPIRY_SECONDS {
        return Err(format!(
            "{text:?}: a pause must expire from 1 second to 3650 days after it is written"
        ));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// A step budget of 1 or more: a budget of 0 could not even run Begin, so
/// the run would stop before it started; that is refused as a mistake.
pub(super) fn parse_step_budget(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("the step budget must be at least 1 (a budget of 0 would stop the run before its Begin)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a whole number of steps (1 or more)")),
    }
}

/// Seconds as a decimal number above 0. A deadline of 0 (or less) would stop
/// the run before its Begin, so it is refused as `--max-steps 0` is.
pub(super) fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
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
pub(super) struct CheckArgs {
    /// The scripts to check: .script files, or Studio files (.json, .xml).
    #[arg(required = true)]
    pub(super) files: Vec<PathBuf>,
    /// Declare an input variable the host supplies (no "never assigned" warning); a value, as
    /// `run` takes it, is allowed and ignored.
    #[arg(long = "var", value_name = "NAME[=VALUE]")]
    pub(super) vars: Vec<String>,
    /// Print one JSON object on stdout: every diagnostic with file, line, column, end, severity,
    /// code and message.
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) input: InputArgs,
}

/// How input files are read (shared by every command that reads files).
#[derive(Args)]
pub(super) struct InputArgs {
    /// Refuse input files (scripts, tenant files) larger than SIZE: bytes, or with a K, M or G suffix (binary units).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_byte_size)]
    pub(super) max_file_size: u64,
}

#[derive(Args)]
pub(super) struct TestArgs {
    /// Test files, or folders searched recursively for *.test.toml (default: the current folder).
    pub(super) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) store: StoreOption,
    /// Write missing and changed snapshots (refused under CI=true).
    #[arg(long)]
    pub(super) update: bool,
    /// Run only cases whose name or test-file path contains TEXT.
    /// Run up to N cases at once (default: the machine's cores; 1: one after another). Output, JUnit and coverage keep file-then-case order either way.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(super) jobs: Option<u16>,
    #[arg(long, value_name = "TEXT")]
    pub(super) filter: Option<String>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub(super) junit: Option<PathBuf>,
    /// Print action and branch coverage per script after the summary.
    #[arg(long)]
    pub(super) coverage: bool,
    /// Write coverage per script, action and branch (with hit counts) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub(super) coverage_json: Option<PathBuf>,
    /// Write coverage pages to DIR: one HTML page per script (its flow with
    /// every branch coloured taken or not, hit counts, untaken branches at
    /// file:line) and index.html with each script's percentages.
    #[arg(long, value_name = "DIR")]
    pub(super) coverage_html: Option<PathBuf>,
    /// Fail (exit 1) when any script's branch coverage is below PCT.
    #[arg(long, value_name = "PCT")]
    pub(super) min_coverage: Option<f64>,
}

/// Parses `--max-file-size` and `--max-memory`: a byte count, optionally with a
/// binary `K`, `M` or `G` suffix (`KiB`, `MiB`, `GiB`, `KB`... read the same).
pub(super) fn parse_byte_size(text: &str) -> Result<u64, String> {
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

#[cfg(test)]
mod tests {
    use super::{parse_byte_size, parse_expiry};

    #[test]
    fn expiries() {
        use std::time::Duration;
        assert_eq!(parse_expiry("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert_eq!(parse_expiry("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_expiry("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_expiry("1s"), Ok(Duration::from_secs(1)));
        for bad in [
            "",
            "0",
            "0d",
            "-1d",
            "1.5h",
            "3651d",
            "d",
            "1w",
            "99999999999999999999d",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
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

/// The command line when its first argument names a command: clap builds
/// only that command's arguments instead of every command's (building and
/// dropping the whole tree is ≈ 0.3 M instructions, a tenth of a short
/// run's process). `None` sends the caller to [`Cli::try_parse`] with the
/// whole tree: no command, `db` (nested), an option first, and every
/// failure of the one command's parse (help, a bad value, an unknown
/// argument), so help and every error message are clap's, as before.
pub(super) fn parse_one_command() -> Option<Cli> {
    use clap::FromArgMatches;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let (command, matches) = one_command(&args)?;
    let cli = Cli::from_arg_matches(&matches).ok();
    // The process runs one command and exits: the tree's memory goes with
    // it, and freeing it argument by argument would cost ≈ 80 k instructions.
    std::mem::forget(command);
    std::mem::forget(matches);
    cli
}

/// The parser for the command `args[1]` names, alone under `studioflow`,
/// and what it matched.
fn one_command(args: &[std::ffi::OsString]) -> Option<(clap::Command, clap::ArgMatches)> {
    let one = match args.get(1)?.to_str()? {
        "run" => RunArgs::augment_args(clap::Command::new("run")),
        "resume" => ResumeArgs::augment_args(clap::Command::new("resume")),
        "check" => CheckArgs::augment_args(clap::Command::new("check")),
        "test" => TestArgs::augment_args(clap::Command::new("test")),
        "graph" => GraphArgs::augment_args(clap::Command::new("graph")),
        "fmt" => FmtArgs::augment_args(clap::Command::new("fmt")),
        "import" => ImportArgs::augment_args(clap::Command::new("import")),
        "export" => ExportArgs::augment_args(clap::Command::new("export")),
        "lsp" => LspArgs::augment_args(clap::Command::new("lsp")),
        _ => return None,
    };
    let mut command = clap::Command::new("studioflow")
        .subcommand(one)
        .subcommand_required(true);
    let matches = command.try_get_matches_from_mut(args).ok()?;
    Some((command, matches))
}

#[cfg(test)]
mod one_command_tests {
    use clap::CommandFactory;

    /// Whenever the one-command parser accepts a command line, the whole
    /// tree matches the same arguments with the same values.
    #[test]
    fn one_command_matches_like_the_whole_tree() {
        let lines: &[&str] = &[
            "run s.script",
            "run s.script --json --max-steps 5 --var a=1 --var b=2",
            "run s.script --directory t.json --save t2.json",
            "run",
            "run --help",
            "run s.script --max-steps 0",
            "run s.script --bogus",
            "resume p.json",
            "check a.script b.script --json",
            "check",
            "test",
            "test tests -j 2 --junit out.xml",
            "graph s.script --format mermaid",
            "fmt --check a.script",
            "import f.json -o out.script",
            "export s.script --format XML",
            "lsp --stdio",
            "lsp --version",
            "db migrate",
            "--version",
            "help",
            "",
        ];
        let mut accepted = 0;
        for line in lines {
            let args: Vec<std::ffi::OsString> = std::iter::once("studioflow")
                .chain(line.split_whitespace())
                .map(Into::into)
                .collect();
            let whole = super::Cli::command().try_get_matches_from(&args);
            match super::one_command(&args) {
                Some((_, one)) => {
                    accepted += 1;
                    let whole = whole.unwrap_or_else(|e| panic!("{line}: {e}"));
                    assert_eq!(whole.subcommand(), one.subcommand(), "{line}");
                }
                None => assert!(
                    whole.is_err() || line.starts_with("db"),
                    "{line}: refused by one command, accepted by the tree"
                ),
            }
        }
        assert_eq!(accepted, 12);
    }
}
