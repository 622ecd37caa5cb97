//! `studioflow run FILE ...`

use std::sync::Arc;

use studioflow::graph::FlowGraph;
use studioflow::manifest::Manifest;
use studioflow::permissions::{Directory, SaveError, TenantFile};
use studioflow::report::{run_report_html, RunRecorder};

use studioflow::{
    CompileOptions, FileResolver, FixedClock, Limits, Outcome, Run, RunOptions, StepObserver,
    TraceStep,
};

use super::args::RunArgs;
use super::exit::{EXIT_INPUT, EXIT_LIMIT, EXIT_OK, EXIT_SAVE_CONFLICT, EXIT_STOPPED};
use super::io::{
    diagnostics_json, input_failure, not_shown, parse_var, read_script, refuse_over_inputs,
    script_inputs, var_hint, write_output,
};

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
    if args.trace {
        let observer: StepObserver = Arc::new(|step: &TraceStep| errln!("{}", trace_line(step)));
        options.observer = Some(observer);
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
    // With --save, the tenant file stays locked from load to save so that
    // processes sharing it never lose each other's updates.
    let mut held: Option<TenantFile> = None;
    if let Some(path) = &args.directory {
        let loaded = if args.save.is_some() {
            let waiting = || {
                errln!(
                    "studioflow: waiting for another process to finish with {}",
                    path.display()
                )
            };
            TenantFile::open_with(path, max_file_size, waiting).map(|(file, directory)| {
                held = Some(file);
                directory
            })
        } else {
            Directory::load_file_with_limit(path, max_file_size)
        };
        match loaded {
            Ok(directory) => builder = builder.directory(directory),
            Err(e) => return input_failure(args.json, &e.to_string(), None),
        }
    } else {
        // The command line runs against the demo tenant unless told otherwise.
        builder = builder.directory(Directory::demo());
    }
    let engine = builder.build();
    let name = args.file.display().to_string();
    let inputs = options.variables.keys().cloned().collect();
    let script = match engine.compile_with(&source, &name, &CompileOptions { inputs }) {
        Ok(script) => script,
        Err(diagnostics) => {
            let message = format!(
                "{name}: the script does not compile ({} error{})",
                diagnostics.errors().count(),
                if diagnostics.errors().count() == 1 {
                    ""
                } else {
                    "s"
                }
            );
            return input_failure(
                args.json,
                &message,
                Some(&diagnostics.with_input_hint(var_hint)),
            );
        }
    };

    // No output may replace a file this command reads (checked before the
    // run, so a refused command changes nothing). `--save` may replace the
    // tenant file it loaded: that is what it is for.
    let mut inputs = script_inputs(&args.file, Some(&script));
    if let Some(save) = &args.save {
        if let Err(message) = refuse_over_inputs("--save", save, &inputs) {
            return input_failure(args.json, &message, None);
        }
    }
    inputs.extend(args.directory.clone());
    if let Some(report) = &args.report {
        let mut outputs_and_inputs = inputs.clone();
        outputs_and_inputs.extend(args.save.clone());
        if let Err(message) = refuse_over_inputs("--report", report, &outputs_and_inputs) {
            return input_failure(args.json, &message, None);
        }
    }

    // The report records the run itself through its change observer.
    let report = args.report.as_ref().map(|path| {
        let flow = FlowGraph::from_script(&script);
        let recorder = RunRecorder::new(&script);
        options.change_observer = Some(recorder.observer());
        (path, flow, recorder, options.variables.clone())
    });

    // Warnings are for the person at the terminal: stderr, so that stdout
    // keeps only the results (`--json` also lists them in its object).
    let warnings = &script.warnings().clone().with_input_hint(var_hint);
    if !warnings.is_empty() {
        errln!("{warnings}");
    }

    let run = engine.run(&script, options);

    if args.json {
        let mut doc = run.to_json();
        doc["diagnostics"] = serde_json::Value::Array(diagnostics_json(warnings));
        doc["not_shown"] = not_shown(warnings).into();
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print_text(&run);
    }

    // Changes made before a stop are real, so the model is saved after
    // completed and stopped runs alike.
    if let Some(path) = &args.save {
        let saved = match &held {
            Some(file) if file.is_file(path) => file.save(engine.directory()),
            _ => engine.directory().save_file(path),
        };
        if let Err(e) = saved {
            errln!("error: {e}");
            return match e {
                SaveError::Changed { .. } => EXIT_SAVE_CONFLICT,
                _ => EXIT_INPUT,
            };
        }
    }
    drop(held);

    if let Some((path, flow, recorder, inputs)) = report {
        let page = run_report_html(&flow, &run, &inputs, &recorder.finish());
        if let Err(message) = write_output(path, page.as_bytes()) {
            errln!("error: --report: {message}");
            return EXIT_INPUT;
        }
    }

    match run.outcome {
        Outcome::Completed => EXIT_OK,
        Outcome::Limit => EXIT_LIMIT,
        // Stopped, Cancelled (and any later outcome, `Outcome` being non_exhaustive).
        _ => EXIT_STOPPED,
    }
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

fn print_text(run: &Run) {
    let outcome = match run.outcome {
        Outcome::Completed => "completed",
        Outcome::Stopped => "stopped",
        Outcome::Limit => "stopped (limit)",
        other => other.name(),
    };
    match run.end.as_deref() {
        Some(end) => outln!(
            "outcome: {outcome} at {end} after {} step{}",
            run.steps,
            if run.steps == 1 { "" } else { "s" }
        ),
        // Stopped before its first action (a library host's refused input
        // or zero budget; the CLI refuses both up front).
        None => outln!("outcome: {outcome} before the first action"),
    }
    // A subscript run on its own: what its Return gave back.
    if let Some(value) = &run.returned {
        outln!("return = {}", value.to_json());
    }
    // The run error is a message for a person, not a result: stderr, worded
    // once by `RunError`'s Display (`action `a` failed: ...`).
    if let Some(e) = &run.error {
        errln!("error: {e}");
    }
    for (name, value) in &run.variables {
        outln!("{name} = {}", value.to_json());
    }
}
