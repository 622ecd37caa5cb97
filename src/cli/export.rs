//! `studioflow export FILE [--format xml|json] [-o OUT]`: any script (a
//! `.script`, or a Studio file, imported first) written as Studio's own
//! files; CXone Studio JSON by default (what NICE's GitHub sync stores).
//! The script must compile (exit 2 with its diagnostics otherwise), so that
//! Studio receives a flow that checks. Positions the script does not keep
//! come from the graph layout `graph --format svg` draws.

use studioflow::export::{export as export_script, ExportFormat, Positions};
use studioflow::graph::{compute_layout, Decorations, FlowGraph};

use super::args::{ExportArgs, ExportFormatArg};
use super::exit::{EXIT_INPUT, EXIT_OK};
use super::io::{compile_for_output, write_output};

pub(super) fn export(args: ExportArgs) -> i32 {
    let (source, script) =
        match compile_for_output(&args.file, args.input.max_file_size, args.output.as_deref()) {
            Ok(compiled) => compiled,
            Err(code) => return code,
        };
    let name = args.file.display().to_string();
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
