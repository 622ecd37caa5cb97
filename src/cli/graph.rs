//! `studioflow graph FILE [--format dot|mermaid|svg] [-o OUT]`

use studioflow::graph::{render, FlowGraph, Format};
use studioflow::manifest::Manifest;
use studioflow::{CompileOptions, FileResolver};

use super::args::{GraphArgs, GraphFormat};
use super::exit::{EXIT_INPUT, EXIT_OK};
use super::io::{read_script, refuse_over_inputs, script_inputs, var_hint, write_output};

pub(super) fn graph(args: GraphArgs) -> i32 {
    let source = match read_script(&args.file, args.input.max_file_size) {
        Ok(s) => s,
        Err(message) => {
            errln!("error: {message}");
            return EXIT_INPUT;
        }
    };
    // A RunSub's subscript is read relative to the script, as `run` does.
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
    let format = match args.format {
        GraphFormat::Dot => Format::Dot,
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Svg => Format::Svg,
    };
    let flow = FlowGraph::from_script(&script);
    if format == Format::Svg {
        if let Some(why) = studioflow::graph::svg_size_error(&flow) {
            errln!("error: {name}: {why}");
            return EXIT_INPUT;
        }
    }
    let text = render(&flow, format);
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
