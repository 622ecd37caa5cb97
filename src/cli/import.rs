//! `studioflow import FILE.json|FILE.xml [-o OUT.script]`: a Studio file as `.script`
//! text, formatted as `fmt` formats it; stdout without `-o`. Exit 2 on bad
//! input (unreadable, malformed, an action type import does not take yet).

use std::path::Path;

use studioflow::files::{read_bytes, write_atomically};
use studioflow::format::format_script;
use studioflow::studio::{import_bytes, StudioFormat};

use super::args::ImportArgs;
use super::exit::{EXIT_INPUT, EXIT_OK};

pub(super) fn import(args: ImportArgs) -> i32 {
    let file = &args.file;
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let xml = match extension.as_deref() {
        Some("json") => false,
        Some("xml") => true,
        _ => {
            errln!(
                "error: {}: not a Studio file (expected FILE.json or FILE.xml)",
                file.display()
            );
            return EXIT_INPUT;
        }
    };
    if let Some(out) = &args.output {
        if same_file(file, out) {
            errln!(
                "error: {}: -o names the input file; import never writes over it",
                out.display()
            );
            return EXIT_INPUT;
        }
    }
    // Bytes, not text: a Studio file may be UTF-16 (see `studio::decode`).
    let bytes = match read_bytes(file, args.input.max_file_size) {
        Ok(bytes) => bytes,
        Err(e) => {
            errln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let fallback = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = if xml {
        StudioFormat::Xml
    } else {
        StudioFormat::Json
    };
    let imported = import_bytes(&bytes, format, &fallback);
    let imported = match imported {
        Ok(imported) => imported,
        Err(e) => {
            errln!("error: {}: {e}", file.display());
            return EXIT_INPUT;
        }
    };
    for warning in &imported.warnings {
        errln!("warning: {}: {warning}", file.display());
    }
    let formatted = match format_script(&imported.text) {
        Ok(text) => text,
        Err(d) => {
            errln!(
                "error: {}: the imported text does not parse ({}); a property value may be no valid expression",
                file.display(),
                d.message
            );
            return EXIT_INPUT;
        }
    };
    match &args.output {
        None => {
            use std::io::Write as _;
            let _ = std::io::stdout().lock().write_all(formatted.as_bytes());
        }
        Some(out) => {
            if let Err(e) = write_atomically(out, formatted.as_bytes()) {
                errln!("error: {e}");
                return EXIT_INPUT;
            }
        }
    }
    EXIT_OK
}

/// Whether `out` names `input` (the same path, or the same file through
/// another path).
fn same_file(input: &Path, out: &Path) -> bool {
    if input == out {
        return true;
    }
    match (std::fs::canonicalize(input), std::fs::canonicalize(out)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
