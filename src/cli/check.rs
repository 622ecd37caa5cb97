//! `studioflow check FILE...`

use studioflow::manifest::Manifest;
use studioflow::{CompileOptions, FileResolver};

use super::{read_script, CheckArgs, EXIT_INPUT, EXIT_OK};

pub(super) fn check(args: CheckArgs) -> i32 {
    let options = CompileOptions { inputs: args.vars };
    let mut failed = false;
    for path in &args.files {
        let name = path.display().to_string();
        let source = match read_script(path, args.input.max_file_size) {
            Ok(s) => s,
            Err(message) => {
                errln!("error: {message}");
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
        };
        // Display caps the count and clips long lines: output stays bounded.
        if !diagnostics.is_empty() {
            outln!("{diagnostics}");
        }
    }
    if failed {
        EXIT_INPUT
    } else {
        EXIT_OK
    }
}
