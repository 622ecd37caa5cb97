//! `studioflow check FILE...`

use studioflow::manifest::Manifest;
use studioflow::{CompileOptions, DiagnosticCode, FileResolver};

use super::args::CheckArgs;
use super::exit::{EXIT_INPUT, EXIT_OK};
use super::io::{diagnostics_json, input_failure, not_shown, parse_var, read_script, var_hint};

pub(super) fn check(args: CheckArgs) -> i32 {
    // `--var NAME` and `--var NAME=VALUE` both declare NAME (the value is
    // what `run` would take; checking needs only the name).
    let mut inputs = Vec::new();
    for v in &args.vars {
        match parse_var(v) {
            Ok((name, _)) => inputs.push(name),
            Err(message) => return input_failure(args.json, &message, None),
        }
    }
    let options = CompileOptions { inputs };
    let mut failed = false;
    let mut report = JsonReport::default();
    for path in &args.files {
        let name = path.display().to_string();
        let source = match read_script(path, args.input.max_file_size) {
            Ok(s) => s,
            Err(message) => {
                errln!("error: {message}");
                report.file_problem(&name, DiagnosticCode::UnreadableFile, &message);
                failed = true;
                continue;
            }
        };
        // Each script is checked with the host actions its project declares.
        // RunSub targets are read relative to the checked script.
        let engine = match Manifest::builder_for_script(path) {
            Ok(builder) => builder
                .script_resolver(FileResolver::new(args.input.max_file_size))
                .build(),
            Err(e) => {
                errln!("error: {e}");
                report.file_problem(&name, DiagnosticCode::InvalidManifest, &e.to_string());
                failed = true;
                continue;
            }
        };
        let diagnostics = match engine.compile_with(&source, &name, &options) {
            Ok(script) => script.warnings().clone(),
            Err(diagnostics) => {
                failed = true;
                diagnostics
            }
        }
        .with_input_hint(var_hint);
        if args.json {
            report.errors += diagnostics.errors().count();
            report.warnings += diagnostics.warnings().count();
            report.not_shown += not_shown(&diagnostics);
            report.diagnostics.extend(diagnostics_json(&diagnostics));
        } else if !diagnostics.is_empty() {
            // Display caps the count and clips long lines: output stays bounded.
            outln!("{diagnostics}");
        }
    }
    if args.json {
        let doc = serde_json::json!({
            "ok": !failed,
            "errors": report.errors,
            "warnings": report.warnings,
            "not_shown": report.not_shown,
            "diagnostics": report.diagnostics,
        });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if failed {
        EXIT_INPUT
    } else {
        EXIT_OK
    }
}

/// What `check --json` prints: counts over every file, and the diagnostics
/// (at most as many per file as the text output shows).
#[derive(Default)]
struct JsonReport {
    errors: usize,
    warnings: usize,
    not_shown: usize,
    diagnostics: Vec<serde_json::Value>,
}

impl JsonReport {
    /// A problem with a whole file (it cannot be read, its project's
    /// studioflow.toml is bad): one error placed at the file's start.
    fn file_problem(&mut self, file: &str, code: DiagnosticCode, message: &str) {
        self.errors += 1;
        self.diagnostics.push(serde_json::json!({
            "file": file,
            "line": 1,
            "column": 1,
            "end_line": 1,
            "end_column": 1,
            "severity": code.severity().name(),
            "code": code.name(),
            "message": message,
        }));
    }
}
