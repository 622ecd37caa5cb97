//! Issue 17, the front end: what the parser, `check` and `fmt` got wrong,
//! one test per item (each fails on the code before its fix).

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use studioflow::format::{format_script, ReplaceError, ScriptFile};
use studioflow::{Diagnostics, Engine};

/// Every diagnostic of `source` (errors, or the warnings of a script that
/// compiles), rendered as `check` prints them.
fn diagnostics(source: &str) -> Diagnostics {
    match Engine::new().compile(source, "t.script") {
        Ok(script) => script.warnings().clone(),
        Err(d) => d,
    }
}

#[allow(dead_code)]
fn messages(source: &str) -> Vec<String> {
    let d = diagnostics(source);
    d.items().iter().map(|i| i.message.clone()).collect()
}

/// `(line, column, end_line, end_column)` of each diagnostic, from `--json`'s fields.
fn positions(source: &str) -> Vec<(u64, u64, u64, u64)> {
    let d = diagnostics(source);
    d.items()
        .iter()
        .map(|i| {
            let j = d.to_json(i);
            let n = |k: &str| j[k].as_u64().unwrap();
            (n("line"), n("column"), n("end_line"), n("end_column"))
        })
        .collect()
}

// ---------------------------------------------------------------- item 9

const COMMENT_AFTER_BLOCK: &str = "start: Begin { Default -> s }\ns: Snippet {\n  Data = \"\"\"\nASSIGN x = 1\n\"\"\" // why\n  Default -> e\n}\ne: End\n";

#[test]
fn item_9_a_comment_after_a_code_block_is_accepted() {
    let d = diagnostics(COMMENT_AFTER_BLOCK);
    assert_eq!(d.errors().count(), 0, "{d}");
}

#[test]
fn item_9_fmt_keeps_a_script_with_comments_around_data_valid() {
    for text in [
        "start: Begin { Default -> s }\ns: Snippet {\n  Data // c\n  = \"\"\"\nASSIGN x = 1\n\"\"\"\n  Default -> e\n}\ne: End\n",
        "start: Begin { Default -> s }\ns: Snippet {\n  Data = // c\n \"\"\"\nASSIGN x = 1\n\"\"\"\n  Default -> e\n}\ne: End\n",
        COMMENT_AFTER_BLOCK,
    ] {
        let formatted = format_script(text).unwrap();
        let d = diagnostics(&formatted);
        assert_eq!(d.errors().count(), 0, "{formatted}\n{d}");
        assert!(formatted.contains("// c") || formatted.contains("// why"));
    }
}

// ---------------------------------------------------------------- item 10

#[test]
fn item_10_fmt_does_not_write_over_an_edit_made_while_it_ran() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.script");
    std::fs::write(&path, "start:Begin").unwrap();
    let read = ScriptFile::read(&path, 1 << 20).unwrap();
    let formatted = format_script(read.text()).unwrap();
    // Someone appends a line while fmt works.
    std::fs::write(&path, "start:Begin\n// added meanwhile\n").unwrap();
    let err = read.replace(formatted.as_bytes()).unwrap_err();
    assert!(matches!(err, ReplaceError::Changed { .. }), "{err}");
    assert!(err.to_string().contains("changed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "start:Begin\n// added meanwhile\n"
    );
    // Replaced by another file (an editor's save): refused too.
    let read = ScriptFile::read(&path, 1 << 20).unwrap();
    let other = dir.path().join("other");
    std::fs::write(&other, read.text()).unwrap();
    std::fs::rename(&other, &path).unwrap();
    assert!(matches!(
        read.replace(b"start: Begin\n"),
        Err(ReplaceError::Changed { .. })
    ));
    // Unchanged: written.
    let read = ScriptFile::read(&path, 1 << 20).unwrap();
    read.replace(b"start: Begin\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "start: Begin\n");
}

// ---------------------------------------------------------------- item 11

#[test]
fn item_11_fmt_is_idempotent_around_a_blank_line() {
    let text = "start: Begin { Default -> s }\ns: Assign {\n  Variable = x\n  Value = // c0\n    1 // c1\n\n  Default -> e\n}\ne: End\n";
    let once = format_script(text).unwrap();
    let twice = format_script(&once).unwrap();
    assert_eq!(twice, once);
    assert!(once.contains("// c1\n\n  Default"), "{once}");
}

// ---------------------------------------------------------------- item 16

#[test]
fn item_16_a_span_on_a_name_ends_with_the_name() {
    let text = "start: Begin { Default -> a }\na: Assign {\n  Variable = x\n  Value = OtherVar   \n  Default -> e\n}\ne: End\n";
    assert_eq!(positions(text), [(4, 11, 4, 19)]);
    let d = diagnostics(text);
    let rendered = d.render(&d.items()[0]);
    assert!(
        rendered.contains("\n            ^^^^^^^^\n") || rendered.ends_with("            ^^^^^^^^"),
        "{rendered}"
    );
    // A comment after the name does not count either.
    let text = "start: Begin { Default -> a }\na: Assign { Variable = x Value = Other // c\n}\n";
    assert_eq!(positions(text), [(2, 34, 2, 39)]);
}

fn studioflow(dir: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("studioflow");
    cmd.current_dir(dir);
    cmd
}

#[test]
fn item_16_json_span_stays_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.script"),
        "start: Begin { Default -> a }\na: SetSecurityUser {\n  Agent = WantedAgent\n\n  Default -> e\n  Error -> e\n}\ne: End\n",
    )
    .unwrap();
    let out = studioflow(dir.path())
        .args(["check", "--json", "a.script"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(
        (&d["line"], &d["end_line"], &d["end_column"]),
        (&3.into(), &3.into(), &22.into()),
        "{json}"
    );
}
