//! `studioflow resume PAUSE ...`: a paused run (written by `run --pause`)
//! continued with more events, in this process or another machine's. The
//! pause is opened with the key (its signature and expiry checked), the
//! scripts are read again from the paths it records and must be the ones
//! it was paused in; variables, clock and limits come from the pause.

use std::path::PathBuf;

use studioflow::manifest::Manifest;
use studioflow::{
    CompileOptions, Diagnostics, FileResolver, PausedRun, ResumeError, RunOptions, Script,
    SourceFile,
};

use super::args::ResumeArgs;
use super::io::{input_failure, read_script, script_inputs, var_hint};
use super::run::trace_observer;
use super::session::{self, Inputs, Session, Start};

/// The largest pause file read: its variables are bounded by the run's
/// memory budget, this bounds what is read before that.
const MAX_PAUSE_FILE_BYTES: u64 = 256 << 20;

pub(super) fn resume(args: ResumeArgs) -> i32 {
    if let Some(message) = refused_flag(&args) {
        return input_failure(args.json, &message, None);
    }
    let events = match session::parse_events(&args.contact.events) {
        Ok(events) => events,
        Err(message) => return input_failure(args.json, &message, None),
    };
    let key = match session::key_if(true) {
        Ok(key) => key,
        Err(message) => return input_failure(args.json, &message, None),
    };
    let Some(opener) = key.as_ref() else {
        return input_failure(args.json, "no pause key", None);
    };
    let pause_path = args.file.as_path();
    // With a store, PAUSE is the id of a paused run there, taken for this
    // process (no other host can take it until this run ends).
    let mut pauses = match session::StorePauses::at(args.tenant.store.url()) {
        Ok(pauses) => pauses,
        Err(message) => return input_failure(args.json, &message, None),
    };
    let bytes = match &mut pauses {
        Some(pauses) => match take_from_store(pauses, pause_path) {
            Ok(bytes) => bytes,
            Err(message) => return input_failure(args.json, &message, None),
        },
        None => match studioflow::files::read_bytes(
            pause_path,
            args.input.max_file_size.min(MAX_PAUSE_FILE_BYTES),
        ) {
            Ok(bytes) => bytes,
            Err(e) => return input_failure(args.json, &e.to_string(), None),
        },
    };
    // Signature, format version and expiry, before anything in it is used.
    let paused = match opener.open(&bytes, chrono::Utc::now()) {
        Ok(paused) => paused,
        Err(e) => {
            let message = format!("{}: {e}", pause_path.display());
            return input_failure(args.json, &message, None);
        }
    };
    let Some(root) = paused.scripts().first().cloned() else {
        let message = format!("{}: the pause names no script", pause_path.display());
        return input_failure(args.json, &message, None);
    };
    // Read again from where `run` read it (a relative path is relative to
    // the folder `run` was started in, as the pause records it).
    let script_path = PathBuf::from(&root.name);

    let max_file_size = args.input.max_file_size;
    let source = match read_script(&script_path, max_file_size) {
        Ok(source) => source,
        Err(message) => {
            let message = format!(
                "{}: the paused run's script: {message}",
                pause_path.display()
            );
            return input_failure(args.json, &message, None);
        }
    };
    // The same resolver and manifest as `run`, so subscripts resolve alike.
    let builder = match Manifest::builder_for_script(&script_path) {
        Ok(builder) => builder.script_resolver(FileResolver::new(max_file_size)),
        Err(e) => return input_failure(args.json, &e.to_string(), None),
    };
    let (builder, held) = match session::with_tenant(
        builder,
        args.tenant.directory.as_deref(),
        args.tenant.store.url(),
        args.tenant.save.is_some(),
        max_file_size,
    ) {
        Ok(loaded) => loaded,
        Err(message) => return input_failure(args.json, &message, None),
    };
    let engine = builder.build();
    let script = match engine.compile_with(&source, &root.name, &CompileOptions::default()) {
        Ok(script) => script,
        Err(diagnostics) => {
            let count = diagnostics.errors().count();
            let message = format!(
                "{}: the script does not compile ({count} error{})",
                root.name,
                if count == 1 { "" } else { "s" }
            );
            return input_failure(
                args.json,
                &message,
                Some(&diagnostics.with_input_hint(var_hint)),
            );
        }
    };
    // A script (or subscript) changed since the pause: refused before
    // anything runs, whatever the events.
    if let Some(message) = changed_script(&script, &paused) {
        return input_failure(args.json, &message, None);
    }

    let inputs = Inputs {
        script: script_inputs(&script_path, Some(&script)),
        directory: args.tenant.directory.as_deref(),
        pause: Some(pause_path).filter(|_| pauses.is_none()),
    };
    if let Err(message) = session::refuse_outputs_over_inputs(
        &inputs,
        args.tenant.save.as_deref(),
        args.report.as_deref(),
        args.contact.pause.as_deref().filter(|_| pauses.is_none()),
    ) {
        return input_failure(args.json, &message, None);
    }

    let mut options = RunOptions::default().trace(args.json || args.trace);
    if args.trace {
        options.observer = Some(trace_observer());
    }
    session::execute(Session {
        engine: &engine,
        script: &script,
        start: Start::Paused(Box::new(paused), options),
        json: args.json,
        contact: &args.contact,
        events,
        key,
        save: args.tenant.save.as_deref(),
        held,
        report: args.report.as_deref(),
        // The script's warnings were shown by the `run` that paused it.
        warnings: Diagnostics::new(SourceFile::new(root.name.as_str(), ""), Vec::new()),
        pauses,
    })
}

/// Takes the paused run `id` from the store: its sealed bytes, the take
/// held in `pauses` until the run ends.
#[cfg(feature = "postgres")]
fn take_from_store(
    pauses: &mut session::StorePauses,
    id: &std::path::Path,
) -> Result<Vec<u8>, String> {
    let id = id.to_string_lossy();
    match pauses
        .store
        .take(&id, chrono::Utc::now())
        .map_err(|e| e.to_string())?
    {
        studioflow::Take::Taken(taken) => {
            let bytes = taken.sealed().to_vec();
            pauses.taken = Some(taken);
            Ok(bytes)
        }
        studioflow::Take::Absent => Err(format!(
            "no paused run {id:?} in the store (never paused there, resumed already, or being resumed by another host)"
        )),
        studioflow::Take::Expired { at } => Err(format!(
            "the paused run {id:?} expired at {} (removed from the store)",
            at.to_rfc3339()
        )),
    }
}

#[cfg(not(feature = "postgres"))]
fn take_from_store(_: &mut session::StorePauses, _: &std::path::Path) -> Result<Vec<u8>, String> {
    Err("this studioflow was built without the postgres feature".into())
}

/// A flag whose value comes from the pause, given anyway.
fn refused_flag(args: &ResumeArgs) -> Option<String> {
    let given = [
        ("--var", !args.vars.is_empty(), "variables"),
        ("--now", args.now.is_some(), "clock"),
        ("--max-steps", args.max_steps.is_some(), "limits"),
        ("--max-memory", args.max_memory.is_some(), "limits"),
        ("--timeout", args.timeout.is_some(), "limits"),
    ];
    given
        .iter()
        .find(|(_, set, _)| *set)
        .map(|(flag, _, what)| {
            format!("{flag} is not accepted by resume: the pause holds the run's {what}")
        })
}

/// The library's message when the compiled call graph is not the one the
/// run was paused in, checked before any event so that nothing runs (the
/// engine checks again when it resumes). A script's identity is the
/// SHA-256 of its text, as the engine computes it.
fn changed_script(script: &Script, paused: &PausedRun) -> Option<String> {
    use sha2::{Digest, Sha256};
    let now: Vec<(String, String)> = script
        .units()
        .map(|unit| {
            let digest = Sha256::digest(unit.source().text().as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            (unit.name().to_string(), hex)
        })
        .collect();
    let was = paused.scripts();
    let error = if now.len() != was.len() {
        ResumeError::OtherScripts {
            paused: was.len(),
            names: was
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            now: now.len(),
        }
    } else {
        let (was, (_, hash)) = was
            .iter()
            .zip(&now)
            .find(|(was, (_, hash))| was.sha256 != *hash)?;
        ResumeError::ScriptChanged {
            name: was.name.clone(),
            paused: was.sha256.clone(),
            now: hash.clone(),
        }
    };
    Some(error.to_string())
}
