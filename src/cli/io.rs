//! What every command shares: reading a script, `--var` values, reporting a
//! failure before any result (in words and as `--json`), diagnostics as
//! JSON, and writing an output that never replaces an input.

use std::path::{Path, PathBuf};

use studioflow::syntax::is_variable_name;
use studioflow::{Diagnostics, Value, SHOWN_DIAGNOSTICS};

use super::exit::EXIT_INPUT;

/// How the command line takes a host input: library diagnostics say
/// `CompileOptions::inputs`, the command line says `--var NAME`.
pub(super) fn var_hint(name: &str) -> String {
    format!("--var {name}")
}

/// Reads a script file: a regular UTF-8 file of at most `max_bytes` bytes.
/// A Studio file (`.json`, `.xml`) is imported as `studioflow import`
/// would import it (its warnings on stderr); the commands then run,
/// check, draw or resume the imported text. (Diagnostics point into that
/// text as `studioflow import` writes it, and name the Studio ActionID;
/// see docs/studio.md.)
pub(super) fn read_script(path: &std::path::Path, max_bytes: u64) -> Result<String, String> {
    let Some(format) = studioflow::studio::StudioFormat::of_path(path) else {
        return studioflow::files::read_text(path, max_bytes).map_err(|e| e.to_string());
    };
    // Bytes, not text: a Studio file may be UTF-16 (see `studio::decode`).
    let bytes = studioflow::files::read_bytes(path, max_bytes).map_err(|e| e.to_string())?;
    let imported = studioflow::studio::import_bytes(&bytes, format, &stem(path))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for warning in &imported.warnings {
        errln!("warning: {}: {warning}", path.display());
    }
    // Formatted as `studioflow import` writes it, so that a diagnostic's
    // line is the line of that text (its message names the Studio ActionID).
    Ok(studioflow::format::format_script(&imported.text).unwrap_or(imported.text))
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Parses a `--var` argument: `NAME=VALUE` or a bare `NAME` (no value).
/// VALUE is JSON when it parses as JSON, else a string; NAME must be a
/// variable name, so that a typo such as `--var 1x` is not silently ignored.
pub(super) fn parse_var(text: &str) -> Result<(String, Option<Value>), String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    if !is_variable_name(name) {
        return Err(format!(
            "--var {text:?}: {name:?} is not a variable name (an ASCII letter or `_`, then letters, digits, `_` or `$`)"
        ));
    }
    let value = value.map(var_value);
    Ok((name.to_string(), value))
}

/// The value of `--var NAME=TEXT`. Caller ids and account numbers are digit
/// strings, so TEXT is a number only when it is written as plain digits
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`) and the number holds it exactly (it
/// prints back as the same text): `12345678901234567890`, `007`, `1e3` and
/// `1.50` stay text. Other JSON (`true`, `null`, `[1,2]`, `{"a":1}`,
/// `"quoted"`) is JSON; anything else is text.
fn var_value(text: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Number(_)) => match exact_plain_number(text) {
            Some(number) => Value::Number(number),
            None => Value::from(text),
        },
        Ok(json) => Value::from_json(&json),
        Err(_) => Value::from(text),
    }
}

/// `text` as a number when it is plain digits that a number holds exactly.
fn exact_plain_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let plain_whole = whole == "0"
        || (!whole.is_empty()
            && !whole.starts_with('0')
            && whole.bytes().all(|b| b.is_ascii_digit()));
    let plain_fraction =
        fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !(plain_whole && plain_fraction) {
        return None;
    }
    let number: f64 = text.parse().ok()?;
    // Exactly: the number prints back as the text the user wrote.
    (Value::Number(number).to_text() == text).then_some(number)
}

/// Reports a failure that comes before any result: on stderr for a person
/// (the diagnostics rendered, or `error: MESSAGE`) and, with `--json`, as
/// the command's one JSON object on stdout:
/// `{"outcome": "error", "error": {"kind": "input", "message"}, "diagnostics": [...], "not_shown": n}`.
/// Returns the exit code (bad input).
pub(super) fn input_failure(json: bool, message: &str, diagnostics: Option<&Diagnostics>) -> i32 {
    match diagnostics {
        Some(d) => errln!("{d}"),
        None => errln!("error: {message}"),
    }
    if json {
        let doc = failure_json(message, diagnostics);
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    EXIT_INPUT
}

/// [`input_failure`]'s JSON object alone (the message is already on stderr).
pub(super) fn input_failure_json_only(message: &str) -> i32 {
    let doc = failure_json(message, None);
    outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    EXIT_INPUT
}

/// The JSON object of a failure before any result.
fn failure_json(message: &str, diagnostics: Option<&Diagnostics>) -> serde_json::Value {
    serde_json::json!({
        "outcome": "error",
        "error": {"kind": "input", "message": message},
        "diagnostics": diagnostics.map(diagnostics_json).unwrap_or_default(),
        "not_shown": diagnostics.map_or(0, not_shown),
    })
}

/// The diagnostics of one file as JSON objects (see [`Diagnostics::to_json`]),
/// at most [`SHOWN_DIAGNOSTICS`], as in the text output.
pub(super) fn diagnostics_json(diagnostics: &Diagnostics) -> Vec<serde_json::Value> {
    diagnostics
        .items()
        .iter()
        .take(SHOWN_DIAGNOSTICS)
        .map(|d| diagnostics.to_json(d))
        .collect()
}

/// How many of the diagnostics of one file [`diagnostics_json`] leaves out.
pub(super) fn not_shown(diagnostics: &Diagnostics) -> usize {
    diagnostics.items().len().saturating_sub(SHOWN_DIAGNOSTICS)
}

/// The files a command reads for `script_path`: the script, the subscripts
/// its RunSubs call (once compiled), and its project's `studioflow.toml`.
/// No output of the command may be one of them.
pub(super) fn script_inputs(
    script_path: &Path,
    script: Option<&studioflow::Script>,
) -> Vec<PathBuf> {
    let mut inputs = vec![script_path.to_path_buf()];
    if let Some(script) = script {
        inputs.extend(script.subscript_names().map(PathBuf::from));
    }
    if let Ok(Some(manifest)) = studioflow::manifest::Manifest::for_script(script_path) {
        inputs.push(manifest.path().to_path_buf());
    }
    inputs
}

/// Refuses (with the message for `option`) an output that is one of `inputs`.
pub(super) fn refuse_over_inputs(
    option: &str,
    output: &Path,
    inputs: &[PathBuf],
) -> Result<(), String> {
    studioflow::files::refuse_overwriting_inputs(output, inputs.iter().map(PathBuf::as_path))
        .map_err(|e| format!("{option}: {e}"))
}

/// Writes an output file atomically; never over a folder, a link or
/// anything else that is not a regular file.
pub(super) fn write_output(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    studioflow::files::write_atomically(path, bytes).map_err(|e| e.to_string())
}

/// What `graph` and `export` share: the script read (a Studio file
/// imported), compiled with its project's host actions and subscripts, and
/// `output` checked to be no input of the command. The error is the exit
/// code, its message already printed.
pub(super) fn compile_for_output(
    file: &Path,
    max_bytes: u64,
    output: Option<&Path>,
) -> Result<(String, studioflow::Script), i32> {
    use studioflow::manifest::Manifest;
    use studioflow::{CompileOptions, FileResolver};
    let source = read_script(file, max_bytes).map_err(|message| {
        errln!("error: {message}");
        EXIT_INPUT
    })?;
    // A RunSub's subscript is read relative to the script, as `run` does.
    let engine = match Manifest::builder_for_script(file) {
        Ok(builder) => builder
            .script_resolver(FileResolver::new(max_bytes))
            .build(),
        Err(e) => {
            errln!("error: {e}");
            return Err(EXIT_INPUT);
        }
    };
    let name = file.display().to_string();
    let options = CompileOptions { inputs: Vec::new() };
    let script = engine
        .compile_with(&source, &name, &options)
        .map_err(|diagnostics| {
            errln!("{}", diagnostics.with_input_hint(var_hint));
            EXIT_INPUT
        })?;
    if let Some(path) = output {
        if let Err(message) = refuse_over_inputs("-o", path, &script_inputs(file, Some(&script))) {
            errln!("error: {message}");
            return Err(EXIT_INPUT);
        }
    }
    Ok((source, script))
}

#[cfg(test)]
mod tests {
    #[test]
    fn var_numbers_are_plain_digits_held_exactly() {
        use super::var_value;
        use studioflow::Value;
        for (text, number) in [
            ("5", 5.0),
            ("-12", -12.0),
            ("0", 0.0),
            ("2.5", 2.5),
            ("9007199254740992", 9007199254740992.0),
        ] {
            assert_eq!(var_value(text), Value::Number(number), "{text}");
        }
        for text in [
            "12345678901234567890",
            "1e3",
            "007",
            "1.50",
            "-0",
            "00",
            "1.",
            ".5",
            "+1",
            "9007199254740993",
        ] {
            assert_eq!(var_value(text), Value::from(text), "{text}");
        }
        assert_eq!(var_value("true"), Value::Bool(true));
        assert_eq!(var_value("\"q\""), Value::from("q"));
        assert_eq!(var_value("gold"), Value::from("gold"));
    }
}
