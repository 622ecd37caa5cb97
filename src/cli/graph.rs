//! `studioflow graph FILE [--format dot|mermaid|svg] [-o OUT]`

use studioflow::graph::{render, FlowGraph, Format};

use super::args::{GraphArgs, GraphFormat};
use super::exit::{EXIT_INPUT, EXIT_OK};
use super::io::{compile_for_output, write_output};

pub(super) fn graph(args: GraphArgs) -> i32 {
    let (_, script) =
        match compile_for_output(&args.file, args.input.max_file_size, args.output.as_deref()) {
            Ok(compiled) => compiled,
            Err(code) => return code,
        };
    let name = args.file.display().to_string();
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
