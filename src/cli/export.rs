//! `studioflow export FILE [--format xml|json] [-o OUT]`: any script (a
//! `.script`, or a Studio file, imported first) written as Studio's own
//! files; CXone Studio JSON by default (what NICE's GitHub sync stores).
//! The script must compile (exit 2 with its diagnostics otherwise), so that
//! Studio receives a flow that checks. Positions the script does not keep
//! come from the graph layout `graph --format svg` draws.

use studioflow::export::{export as export_script, ExportFormat, Positions};
use studioflow::graph::{compute_layout, Decorations, FlowGraph};
use studioflow::manifest::Manifest;
use studioflow::{CompileOptions, FileResolver};

use super::args::{ExportArgs, ExportFormatArg};
use super::exit::{EXIT_INPUT, EXIT_OK};
use super::io::{read_script, refuse_over_inputs, script_inputs, var_hint, write_output};

pub(super) fn export(args: ExportArgs) -> i32 {
    let source = match read_script(&args.file, args.input.max_file_size) {
        Ok(s) => s,
        Err(message) => {
            errln!("error: {message}");
            return EXIT_INPUT;
        }
    };
    let engine = match Manifest::builder_for_script(&args.file) {
        Ok(builder) => builder
            .script_resolver(FileResolver::new(args.input.max_file_size))
            .build(),
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let name = args.file.display().to_string();
    let options = CompileOptions { inputs: Vec::new() };
    let script = match engine.compile_with(&source, &name, &options) {
        Ok(script) => script,
        Err(diagnostics) => {
            errln!("{}", diagnostics.with_input_hint(var_hint));
            return EXIT_INPUT;
        }
    };
    if let Some(path) = &args.output {
        if let Err(message) =
            refuse_over_inputs("-o", path, &script_inputs(&args.file, Some(&script)))
        {
            errln!("error: {message}");
            return EXIT_INPUT;
        }
    }
    let flow = FlowGraph::from_script(&script);
    let (_, layout) = compute_layout(&flow, &Decorations::default());
    let positions: Positions = flow
        .nodes
        .iter()
        .zip(&layout.centers)
        .map(|(node, at)| (node.id.clone(), (at.x.round() as i64, at.y.round() as i64)))
        .collect();
    let format = match args.format {
        ExportFormatArg::Json => ExportFormat::Json,
        ExportFormatArg::Xml => ExportFormat::Xml,
    };
    let text = match export_script(&source, &positions, format) {
        Ok(text) => text,
        Err(e) => {
            errln!("error: {name}: {e}");
            return EXIT_INPUT;
        }
    };
    match &args.output {
        Some(path) => match write_output(path, text.as_bytes()) {
            Ok(()) => EXIT_OK,
            Err(message) => {
                errln!("error: {message}");
                EXIT_INPUT
            }
        },
        None => {
            use std::io::Write as _;
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            EXIT_OK
        }
    }
}
