//! `studioflow run FILE ...`

use std::sync::Arc;

use studioflow::manifest::Manifest;
use studioflow::{
    CompileOptions, FileResolver, FixedClock, Limits, RunOptions, StepObserver, TraceStep,
};

use super::args::RunArgs;
use super::io::{input_failure, parse_var, read_script, script_inputs, var_hint};
use super::session::{self, Inputs, Session, Start};

pub(super) fn run(args: RunArgs) -> i32 {
    let mut options = RunOptions::default().trace(args.json || args.trace);
    options.max_steps = args.max_steps;
    for v in &args.vars {
        match parse_var(v) {
            Ok((name, Some(value))) => {
                options.variables.insert(name, value);
            }
            Ok((_, None)) => {
                let message = format!("--var {v:?}: expected NAME=VALUE (a run needs the value)");
                return input_failure(args.json, &message, None);
            }
            Err(message) => return input_failure(args.json, &message, None),
        }
    }
    let events = match session::parse_events(&args.contact.events) {
        Ok(events) => events,
        Err(message) => return input_failure(args.json, &message, None),
    };
    if args.trace {
        options.observer = Some(trace_observer());
    }

    let max_file_size = args.input.max_file_size;
    let source = match read_script(&args.file, max_file_size) {
        Ok(s) => s,
        Err(message) => return input_failure(args.json, &message, None),
    };
    let mut builder = match Manifest::builder_for_script(&args.file) {
        Ok(builder) => builder.script_resolver(FileResolver::new(max_file_size)),
        Err(e) => return input_failure(args.json, &e.to_string(), None),
    };
    let mut limits = Limits::default();
    if let Some(bytes) = args.max_memory {
        limits.max_memory_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
    }
    if let Some(timeout) = args.timeout {
        limits.timeout = Some(timeout);
    }
    // An input over the value limits is bad input (exit 2), named here
    // rather than as a stopped run.
    for (name, value) in &options.variables {
        if let Err(e) = limits.check_value(value) {
            return input_failure(args.json, &format!("--var {name}: {e}"), None);
        }
    }
    builder = builder.limits(limits);
    if let Some(now) = &args.now {
        match FixedClock::parse(now) {
            Ok(clock) => builder = builder.clock(clock),
            Err(e) => {
                let message =
                    format!("--now {now:?}: not an RFC 3339 time ({e}); e.g. 2026-03-08T06:30:00Z");
                return input_failure(args.json, &message, None);
            }
        }
    }
    // A bad pause key refuses the command before anything runs.
    let key = match session::key_if(args.contact.pause.is_some()) {
        Ok(key) => key,
        Err(message) => return input_failure(args.json, &message, None),
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
    let name = args.file.display().to_string();
    let inputs = options.variables.keys().cloned().collect();
    let script = match engine.compile_with(&source, &name, &CompileOptions { inputs }) {
        Ok(script) => script,
        Err(diagnostics) => {
            let count = diagnostics.errors().count();
            let message = format!(
                "{name}: the script does not compile ({count} error{})",
                if count == 1 { "" } else { "s" }
            );
            return input_failure(
                args.json,
                &message,
                Some(&diagnostics.with_input_hint(var_hint)),
            );
        }
    };

    // With a store, `--pause ID` names a paused run in it, not a file.
    let pauses = match session::StorePauses::at(args.tenant.store.url()) {
        Ok(pauses) => pauses,
        Err(message) => return input_failure(args.json, &message, None),
    };
    let pause_file = args.contact.pause.as_deref().filter(|_| pauses.is_none());
    // No output may replace a file this command reads (checked before the
    // run, so a refused command changes nothing). Without an output there
    // is nothing to check, and the inputs (the subscripts, the manifest read
    // again) are not listed.
    let writes = args.tenant.save.is_some() || args.report.is_some() || pause_file.is_some();
    if writes {
        let inputs = Inputs {
            script: script_inputs(&args.file, Some(&script)),
            directory: args.tenant.directory.as_deref(),
            pause: None,
        };
        if let Err(message) = session::refuse_outputs_over_inputs(
            &inputs,
            args.tenant.save.as_deref(),
            args.report.as_deref(),
            pause_file,
        ) {
            return input_failure(args.json, &message, None);
        }
    }

    // Warnings are for the person at the terminal: stderr, so that stdout
    // keeps only the results (`--json` also lists them in its object).
    let warnings = script.warnings().clone().with_input_hint(var_hint);
    if !warnings.is_empty() {
        errln!("{warnings}");
    }

    let code = session::execute(Session {
        engine: &engine,
        script: &script,
        start: Start::Fresh(options),
        json: args.json,
        contact: &args.contact,
        events,
        key,
        save: args.tenant.save.as_deref(),
        held,
        report: args.report.as_deref(),
        warnings,
        pauses,
    });
    // The process exits after this command, and without a store the engine
    // (its tenant, registries) and the compiled script are memory only:
    // freeing them block by block would cost ≈ 45 k instructions for nothing.
    // A store's connection is closed properly, by dropping it.
    if args.tenant.store.url().is_none() {
        std::mem::forget(script);
        std::mem::forget(engine);
    }
    code
}

/// `--trace`: one line per executed action on stderr.
pub(super) fn trace_observer() -> StepObserver {
    Arc::new(|step: &TraceStep| errln!("{}", trace_line(step)))
}

fn trace_line(step: &TraceStep) -> String {
    // Steps inside a subscript show it: `lookup:find`.
    let action = match &step.script {
        Some(script) => format!("{script}:{}", step.action),
        None => step.action.to_string(),
    };
    let mut line = format!(
        "{} {} {} {:?} -> {}",
        step.step,
        action,
        step.action_type,
        &*step.caption,
        step.branch.as_deref().unwrap_or("(end)")
    );
    // Snippet TRACE output, one quoted line each (quoted: it may hold line breaks).
    for out in &step.output {
        line.push_str(&format!("\n    TRACE {:?}", &**out));
    }
    line
}
