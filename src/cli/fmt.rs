//! `studioflow fmt [PATH...] [--check] [--exclude GLOB]...`

use studioflow::format::{format_script, script_files, Exclusions, ReplaceError, ScriptFile};
use studioflow::{Diagnostics, SourceFile};

use super::args::FmtArgs;
use super::exit::{EXIT_INPUT, EXIT_OK, EXIT_SAVE_CONFLICT, EXIT_STOPPED};

pub(super) fn fmt(args: FmtArgs) -> i32 {
    let mut exclusions = Exclusions::default();
    let here = std::path::Path::new(".");
    if let Err(e) = exclusions.add(here, "--exclude", &args.exclude) {
        errln!("error: {e}");
        return EXIT_INPUT;
    }
    if let Err(e) = exclusions.add_manifest(here) {
        errln!("error: {e}");
        return EXIT_INPUT;
    }
    let paths = if args.paths.is_empty() {
        vec![here.to_path_buf()]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for path in &paths {
        match script_files(std::slice::from_ref(path), &exclusions) {
            Ok(found) => files.extend(found),
            Err(e) => {
                errln!("error: {}: {e}", path.display());
                return EXIT_INPUT;
            }
        }
    }
    let mut bad_input = false;
    let mut would_change = false;
    let mut changed_meanwhile = false;
    for file in &files {
        let read = match ScriptFile::read(file, args.input.max_file_size) {
            Ok(read) => read,
            Err(e) => {
                errln!("error: {e}");
                bad_input = true;
                continue;
            }
        };
        let source = read.text().to_string();
        let formatted = match format_script(&source) {
            Ok(text) => text,
            Err(diagnostic) => {
                // Reported as `check` would, and left untouched.
                let diagnostics = Diagnostics::new(
                    SourceFile::new(file.display().to_string(), source.clone()),
                    vec![diagnostic],
                );
                for d in diagnostics.items() {
                    errln!("{}", diagnostics.render(d));
                }
                bad_input = true;
                continue;
            }
        };
        if formatted == source {
            continue;
        }
        would_change = true;
        if args.check {
            outln!("{}", file.display());
        } else {
            // Written only over the text that was read: an edit made while
            // fmt ran is kept, and the file reported (exit 4).
            match read.replace(formatted.as_bytes()) {
                Ok(()) => outln!("formatted {}", file.display()),
                Err(e @ ReplaceError::Changed { .. }) => {
                    errln!("error: {e}");
                    changed_meanwhile = true;
                }
                Err(e) => {
                    errln!("error: {e}");
                    bad_input = true;
                }
            }
        }
    }
    if bad_input {
        EXIT_INPUT
    } else if changed_meanwhile {
        EXIT_SAVE_CONFLICT
    } else if args.check && would_change {
        EXIT_STOPPED
    } else {
        EXIT_OK
    }
}
