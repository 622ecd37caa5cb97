//! What `run` and `resume` share once the script is compiled: the contact
//! driven through its events (or by a person at the terminal), the result
//! printed, the outputs written (`--save`, `--report`, `--pause`), the
//! exit code.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use studioflow::graph::FlowGraph;
use studioflow::permissions::{SaveError, TenantFile};
use studioflow::report::{run_report_html, RunRecorder};
use studioflow::{
    Diagnostics, Engine, Event, Outcome, PauseKey, PausedRun, Responder, Run, RunOptions, Script,
    Waiting,
};

use super::args::ContactArgs;
use super::exit::{
    EXIT_INPUT, EXIT_LIMIT, EXIT_OK, EXIT_SAVE_CONFLICT, EXIT_STOPPED, EXIT_WAITING,
};
use super::io::{diagnostics_json, input_failure, not_shown, refuse_over_inputs, write_output};
use super::{http, pause_key, phone, show};

/// How long a pause can be resumed unless `--pause-expiry` says otherwise.
pub(super) const DEFAULT_PAUSE_EXPIRY: Duration = Duration::from_secs(30 * 24 * 3600);

/// Where the contact begins: a new run, or a paused one.
pub(super) enum Start {
    Fresh(RunOptions),
    Paused(Box<PausedRun>, RunOptions),
}

impl Start {
    fn options_mut(&mut self) -> &mut RunOptions {
        match self {
            Start::Fresh(options) | Start::Paused(_, options) => options,
        }
    }
}

/// Everything a session needs once the script is compiled.
pub(super) struct Session<'a> {
    pub engine: &'a Engine,
    pub script: &'a Script,
    pub start: Start,
    pub json: bool,
    pub contact: &'a ContactArgs,
    pub events: Vec<Event>,
    /// Loaded before anything runs whenever a pause is read or may be written.
    pub key: Option<PauseKey>,
    pub save: Option<&'a Path>,
    pub held: Option<TenantFile>,
    pub report: Option<&'a Path>,
    /// The script's warnings: `--json` lists them.
    pub warnings: Diagnostics,
    /// With `--store`: paused runs live in the store (`--pause ID` names
    /// one there), and `resume` holds the one it took until the run ends.
    pub pauses: Option<StorePauses>,
}

/// Paused runs in the store, for one session.
pub(super) struct StorePauses {
    #[cfg(feature = "postgres")]
    pub store: studioflow::PauseStore,
    /// What `resume` took: settled when the resumed run ends (removed, or
    /// replaced by where it waits now); dropped unsettled on a refusal, so
    /// the paused run stays for another try.
    #[cfg(feature = "postgres")]
    pub taken: Option<Box<studioflow::Taken>>,
}

impl StorePauses {
    /// The paused runs of the store at `url`, when given.
    pub(super) fn at(url: Option<&str>) -> Result<Option<StorePauses>, String> {
        let Some(url) = url else {
            return Ok(None);
        };
        #[cfg(feature = "postgres")]
        {
            let url = studioflow::permissions::postgres::StoreUrl::parse(url)
                .map_err(|e| e.to_string())?;
            Ok(Some(StorePauses {
                store: studioflow::PauseStore::new(url),
                taken: None,
            }))
        }
        #[cfg(not(feature = "postgres"))]
        {
            Err(format!(
                "--store {url}: this studioflow was built without the postgres feature"
            ))
        }
    }
}

/// The files a command reads, for the rule that outputs never replace
/// inputs: the script's own (script, subscripts, manifest), the tenant
/// file, and the pause file `resume` reads.
pub(super) struct Inputs<'a> {
    pub script: Vec<PathBuf>,
    pub directory: Option<&'a Path>,
    pub pause: Option<&'a Path>,
}

/// Refuses an output that would replace an input, or another output. The
/// two exceptions are on purpose: `--directory X --save X` updates the
/// tenant file, `resume P --pause P` moves the paused run on in place.
pub(super) fn refuse_outputs_over_inputs(
    inputs: &Inputs<'_>,
    save: Option<&Path>,
    report: Option<&Path>,
    pause: Option<&Path>,
) -> Result<(), String> {
    let mut read: Vec<PathBuf> = inputs.script.clone();
    read.extend(inputs.pause.map(Path::to_path_buf));
    if let Some(save) = save {
        refuse_over_inputs("--save", save, &read)?;
    }
    read.extend(inputs.directory.map(Path::to_path_buf));
    if let Some(report) = report {
        let mut taken = read.clone();
        taken.extend(save.map(Path::to_path_buf));
        refuse_over_inputs("--report", report, &taken)?;
    }
    if let Some(pause) = pause {
        // Two outputs to one file not written yet: no inode to compare.
        for (flag, other) in [("--save", save), ("--report", report)] {
            if other.is_some_and(|other| same_place(pause, other)) {
                return Err(format!(
                    "--pause: {} is also the {flag} file of this command",
                    pause.display()
                ));
            }
        }
        let mut taken: Vec<PathBuf> = inputs.script.clone();
        taken.extend(inputs.directory.map(Path::to_path_buf));
        taken.extend(save.map(Path::to_path_buf));
        taken.extend(report.map(Path::to_path_buf));
        refuse_over_inputs("--pause", pause, &taken)?;
    }
    Ok(())
}

/// Whether two paths name the same place: their folders resolved, the
/// same file name.
fn same_place(a: &Path, b: &Path) -> bool {
    let place = |p: &Path| {
        let folder = match p.parent() {
            Some(f) if !f.as_os_str().is_empty() => f,
            _ => Path::new("."),
        };
        (
            folder.canonicalize().ok(),
            p.file_name().map(|n| n.to_owned()),
        )
    };
    let (a, b) = (place(a), place(b));
    a.0.is_some() && a == b
}

/// Parses the `--event` arguments (before anything is read or run).
pub(super) fn parse_events(texts: &[String]) -> Result<Vec<Event>, String> {
    texts
        .iter()
        .map(|text| text.parse::<Event>().map_err(|e| format!("--event: {e}")))
        .collect()
}

/// The pause key when this command needs it: `resume` always, `run` with
/// `--pause` (loaded up front, so that a bad key refuses the command
/// before anything runs).
pub(super) fn key_if(needed: bool) -> Result<Option<PauseKey>, String> {
    if needed {
        pause_key::pause_key().map(Some)
    } else {
        Ok(None)
    }
}

/// Whether the person at the terminal plays the caller: both ends are a
/// terminal and nothing asked for a scripted or machine-read run.
fn interactive(session: &Session<'_>) -> bool {
    session.contact.events.is_empty()
        && !session.json
        && session.contact.pause.is_none()
        && std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
}

/// A contact that could not go the way its events said (exit 2).
pub(super) struct Refused {
    pub message: String,
    /// The run as far as it went, shown in text mode.
    pub run: Option<Box<Run>>,
}

/// Runs the session to its end and returns the exit code.
pub(super) fn execute(mut session: Session<'_>) -> i32 {
    // The report records the run itself through its change observer.
    let report = session.report.map(|path| {
        let flow = FlowGraph::from_script(session.script);
        let recorder = RunRecorder::new(session.script);
        let options = session.start.options_mut();
        options.change_observer = Some(recorder.observer());
        (path, flow, recorder, options.variables.clone())
    });

    let phone = interactive(&session);
    let start = std::mem::replace(&mut session.start, Start::Fresh(RunOptions::default()));
    let result = if phone {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let start = match start {
            Start::Fresh(options) => (options, None),
            Start::Paused(paused, options) => (options, Some(*paused)),
        };
        phone::converse(
            session.engine,
            session.script,
            start,
            session.contact.allow_http,
            &mut input,
        )
        .map_err(|message| Refused { message, run: None })
    } else {
        simulate(&session, start)
    };
    let run = match result {
        Ok(run) => run,
        Err(refused) => {
            if !session.json {
                if let Some(run) = &refused.run {
                    show::print_text(run, true);
                }
            }
            return input_failure(session.json, &refused.message, None);
        }
    };

    if session.json {
        let mut doc = run.to_json();
        doc["diagnostics"] = serde_json::Value::Array(diagnostics_json(&session.warnings));
        doc["not_shown"] = not_shown(&session.warnings).into();
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        // The phone has shown the conversation as it went.
        show::print_text(&run, !phone);
    }

    // Changes made before a stop (or a wait) are real, so the model is
    // saved whatever the outcome.
    if let Some(path) = session.save {
        let saved = match &session.held {
            Some(file) if file.is_file(path) => file.save(session.engine.directory()),
            _ => session.engine.directory().save_file(path),
        };
        if let Err(e) = saved {
            errln!("error: {e}");
            return match e {
                SaveError::Changed { .. } => EXIT_SAVE_CONFLICT,
                _ => EXIT_INPUT,
            };
        }
    }
    drop(session.held.take());

    if let Some((path, flow, recorder, inputs)) = report {
        let page = run_report_html(&flow, &run, &inputs, &recorder.finish());
        if let Err(message) = write_output(path, page.as_bytes()) {
            errln!("error: --report: {message}");
            return EXIT_INPUT;
        }
    }

    if let Some(pauses) = session.pauses.take() {
        if let Err(message) = settle_in_store(&session, &run, pauses) {
            errln!("error: --pause: {message}");
            return EXIT_INPUT;
        }
    } else if let (Some(path), Outcome::Waiting) = (&session.contact.pause, run.outcome) {
        if let Err(message) = write_pause(&session, &run, path) {
            errln!("error: --pause: {message}");
            return EXIT_INPUT;
        }
    }

    match run.outcome {
        Outcome::Completed => EXIT_OK,
        Outcome::Limit => EXIT_LIMIT,
        Outcome::Waiting => EXIT_WAITING,
        // Stopped, Cancelled (and any later outcome, `Outcome` being non_exhaustive).
        _ => EXIT_STOPPED,
    }
}

/// The contact through its events, real HTTP calls answering HTTP waits
/// under `--allow-http`.
fn simulate(session: &Session<'_>, start: Start) -> Result<Run, Refused> {
    let mut respond = http::respond;
    let responder: Option<Responder<'_>> = if session.contact.allow_http {
        Some(&mut respond as &mut dyn FnMut(&Waiting) -> Option<Event>)
    } else {
        None
    };
    let events = session.events.clone();
    let simulated = match start {
        Start::Fresh(options) => {
            session
                .engine
                .simulate(session.script, options, events, responder)
        }
        Start::Paused(paused, options) => {
            session
                .engine
                .simulate_paused(session.script, *paused, options, events, responder)
        }
    };
    match simulated {
        Ok(simulation) if simulation.unused.is_empty() => Ok(simulation.run),
        Ok(simulation) => {
            let run = simulation.run;
            let unused = &simulation.unused;
            let message = format!(
                "{} event{} left unused: the run ended ({} at {}) before {}",
                unused.len(),
                if unused.len() == 1 { " was" } else { "s were" },
                run.outcome.name(),
                run.end.as_deref().unwrap_or("its first action"),
                unused
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Err(Refused {
                message,
                run: Some(Box::new(run)),
            })
        }
        Err(e) => {
            let message = e.to_string();
            Err(Refused {
                message,
                run: Some(e.run),
            })
        }
    }
}

/// With a store: the run that waits is kept there under `--pause ID` (or,
/// resumed, under the id it was taken by); a resumed run that ended leaves
/// it. One transaction with the take.
#[cfg(feature = "postgres")]
fn settle_in_store(session: &Session<'_>, run: &Run, pauses: StorePauses) -> Result<(), String> {
    let StorePauses { store, taken } = pauses;
    let waiting_id = session
        .contact
        .pause
        .as_deref()
        .map(|p| p.to_string_lossy().into_owned())
        .or_else(|| taken.as_ref().map(|t| t.id().to_string()));
    let again = match (run.outcome, &waiting_id, run.paused.as_deref()) {
        (Outcome::Waiting, Some(id), Some(paused)) => {
            let key = session.key.as_ref().ok_or("no pause key")?;
            let expiry = session.contact.pause_expiry.unwrap_or(DEFAULT_PAUSE_EXPIRY);
            let now = chrono::Utc::now();
            let sealed = key.seal(paused, now, expiry);
            let expires_at =
                now + chrono::Duration::from_std(expiry).unwrap_or(chrono::Duration::days(30));
            Some((
                id.clone(),
                sealed,
                paused.waiting().to_json().to_string(),
                expires_at,
            ))
        }
        _ => None,
    };
    let repause = again
        .as_ref()
        .map(|(id, sealed, waiting, expires_at)| studioflow::Repause {
            id,
            sealed,
            waiting,
            expires_at: *expires_at,
        });
    match (taken, repause) {
        (Some(taken), again) => taken.finish(again.as_ref()).map_err(|e| e.to_string()),
        (None, Some(run)) => store.save(&run).map_err(|e| e.to_string()),
        (None, None) => Ok(()),
    }
}

#[cfg(not(feature = "postgres"))]
fn settle_in_store(_: &Session<'_>, _: &Run, _: StorePauses) -> Result<(), String> {
    Ok(())
}

/// Seals the waiting run with the key and writes it atomically.
fn write_pause(session: &Session<'_>, run: &Run, path: &Path) -> Result<(), String> {
    let paused = run
        .paused
        .as_deref()
        .ok_or("the waiting run cannot be paused")?;
    let key = session.key.as_ref().ok_or("no pause key")?;
    let expiry = session.contact.pause_expiry.unwrap_or(DEFAULT_PAUSE_EXPIRY);
    let bytes = key.seal(paused, chrono::Utc::now(), expiry);
    // A paused run holds the caller's variables: only its owner reads it.
    studioflow::files::write_privately(path, &bytes).map_err(|e| e.to_string())
}

/// The tenant the run talks to: `--directory FILE`, locked from load to
/// save when `--save` is given (so processes sharing it never lose each
/// other's updates), else the built-in demo tenant.
pub(super) fn with_tenant(
    builder: studioflow::EngineBuilder,
    directory: Option<&Path>,
    store: Option<&str>,
    saving: bool,
    max_file_size: u64,
) -> Result<(studioflow::EngineBuilder, Option<TenantFile>), String> {
    use studioflow::permissions::Directory;
    if let Some(url) = store {
        if directory.is_some() || saving {
            return Err(
                "--store cannot be used with --directory or --save: the store is the tenant, and the run's API actions write to it"
                    .into(),
            );
        }
        return open_store(url).map(|d| (builder.directory(d), None));
    }
    let Some(path) = directory else {
        // The command line runs against the demo tenant unless told otherwise.
        return Ok((builder.directory(Directory::demo()), None));
    };
    if saving {
        let waiting = || {
            errln!(
                "studioflow: waiting for another process to finish with {}",
                path.display()
            )
        };
        let (file, loaded) =
            TenantFile::open_with(path, max_file_size, waiting).map_err(|e| e.to_string())?;
        Ok((builder.directory(loaded), Some(file)))
    } else {
        let loaded =
            Directory::load_file_with_limit(path, max_file_size).map_err(|e| e.to_string())?;
        Ok((builder.directory(loaded), None))
    }
}

/// The tenant in PostgreSQL (`--store URL`): connected, loaded and
/// listening before the run starts, so a store that cannot be reached is
/// exit 2 before anything runs.
fn open_store(url: &str) -> Result<studioflow::permissions::Directory, String> {
    #[cfg(feature = "postgres")]
    {
        use studioflow::permissions::postgres::{PostgresStore, StoreUrl};
        let url = StoreUrl::parse(url).map_err(|e| e.to_string())?;
        let store = PostgresStore::open(url).map_err(|e| e.to_string())?;
        Ok(studioflow::permissions::Directory::new(
            std::sync::Arc::new(store),
        ))
    }
    #[cfg(not(feature = "postgres"))]
    {
        Err(format!(
            "--store {url}: this studioflow was built without the postgres feature"
        ))
    }
}
