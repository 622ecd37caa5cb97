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

// ---------------------------------------------------------------- item 30

#[test]
fn item_30_snippet_blocks_are_not_folded_onto_one_line() {
    let text = "s: Snippet {\n  Data = \"\"\"\nFUNCTION grade(score)\n{\n  IF score > 90\n  {\n    RETURN \"A\"\n  }\n  ELSE\n  {\n    RETURN \"B\"\n  }\n}\nx = grade(95)\n\"\"\"\n}\n";
    let formatted = format_script(text).unwrap();
    assert_eq!(
        formatted,
        "s: Snippet {\n  Data = \"\"\"\n    FUNCTION grade(score)\n    {\n      IF score > 90\n      {\n        RETURN \"A\"\n      }\n      ELSE\n      {\n        RETURN \"B\"\n      }\n    }\n    x = grade(95)\n  \"\"\"\n}\n"
    );
    assert_eq!(format_script(&formatted).unwrap(), formatted);
    // One-line blocks as written are laid out the same way.
    let folded = "s: Snippet {\n  Data = \"\"\"\nFUNCTION grade(score) { IF score > 90 { RETURN \"A\" } ELSE { RETURN \"B\" } }\nx = grade(95)\n\"\"\"\n}\n";
    assert_eq!(format_script(folded).unwrap(), formatted);
}

// ---------------------------------------------------------------- items 19, 20

#[test]
fn item_19_no_begin_is_reported_with_the_other_errors() {
    let m = messages("a: Assign { Variable = x Value = nosuch(1) Default -> e }\ne: End\n");
    assert!(m.iter().any(|m| m.contains("no Begin")), "{m:?}");
    assert!(
        m.iter().any(|m| m.contains("unknown function `nosuch`")),
        "{m:?}"
    );
    // A Begin with an error of its own is still a Begin.
    let m = messages("start: Begin { Nope = 1 Default -> e }\ne: End\n");
    assert!(!m.iter().any(|m| m.contains("no Begin")), "{m:?}");
    // With a syntax error elsewhere too (the broken text holds no Begin).
    let m = messages("a: Assign { Variable = x Value = ( Default -> e }\ne: End\n");
    assert!(m.iter().any(|m| m.contains("no Begin")), "{m:?}");
    // A Begin that does not parse is not reported missing.
    let m = messages("start: Begin { Default -> }\ne: End\n");
    assert!(!m.iter().any(|m| m.contains("no Begin")), "{m:?}");
    // A misspelt Begin is one mistake, reported once.
    let m = messages("start: Begn { Default -> e }\ne: End\n");
    assert_eq!(m.len(), 1, "{m:?}");
}

#[test]
fn item_20_a_misspelt_error_target_is_one_diagnostic() {
    let m = messages(
        "start: Begin { Default -> r }\nr: ListRoles { ScriptVariable = x Default -> e Error -> opps }\ne: End\n",
    );
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("`opps` does not exist"), "{m:?}");
    // Not written at all: the warning stays.
    let m = messages(
        "start: Begin { Default -> r }\nr: ListRoles { ScriptVariable = x Default -> e }\ne: End\n",
    );
    assert!(
        m.iter()
            .any(|m| m.contains("Error branch is not connected")),
        "{m:?}"
    );
}

// ---------------------------------------------------------------- items 25, 26

#[test]
fn item_25_an_unclosed_block_is_reported_at_its_construct_with_the_other_errors() {
    let text = "start: Begin { Default -> s }\ns: Snippet { Data = \"\"\"\nx = 1\nFOR i = 1 TO 3 {\n  y = nosuch(i)\nz = 2\n\"\"\"\n}\n";
    let d = diagnostics(text);
    let found: Vec<(u64, String)> = d
        .items()
        .iter()
        .map(|i| (d.to_json(i)["line"].as_u64().unwrap(), i.message.clone()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, 4, "{found:?}");
    assert!(
        found[0].1.contains("`FOR` block is never closed"),
        "{found:?}"
    );
    assert!(
        found[1].1.contains("unknown function `nosuch`"),
        "{found:?}"
    );
    // A brace on a line of its own, as NICE writes them.
    let text = "start: Begin { Default -> s }\ns: Snippet { Data = \"\"\"\nIF x > 0\n{\n  y = 1\n\"\"\"\n}\n";
    let d = diagnostics(text);
    assert_eq!(positions(text)[0].0, 3, "{d}");
    assert!(d.items()[0].message.contains("`IF` block"), "{d}");
}

#[test]
fn item_26_a_bare_case_label_says_labels_are_quoted() {
    let m = messages(
        "start: Begin { Default -> c }\nc: Case { Value = x\n  Case gold -> e }\ne: End\n",
    );
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("`Case \"gold\" -> target`"), "{m:?}");
}

// ---------------------------------------------------------------- item 36

#[test]
fn item_36_a_syntax_error_does_not_hide_the_sure_warnings() {
    let text = "start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 + Default -> b }\nb: Assign { Variable = y Value = w Default -> done }\ndone: End\nlost: End\n";
    let m = messages(text);
    assert!(m.iter().any(|m| m.contains("expected")), "{m:?}");
    assert!(
        m.iter().any(|m| m.contains("`lost` is unreachable")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|m| m.contains("`w` is read but never assigned")),
        "{m:?}"
    );
    // What the broken action names may be reached, or assigned, by it.
    assert!(!m.iter().any(|m| m.contains("`b` is unreachable")), "{m:?}");
    let text = "start: Begin { Default -> a }\na: Assign { Variable = w Value = ( Default -> b }\nb: Assign { Variable = y Value = w Default -> done }\ndone: End\n";
    let m = messages(text);
    assert_eq!(m.len(), 1, "{m:?}");
}

// ---------------------------------------------------------------- item 32

#[test]
fn item_32_studio_variables_and_header_inputs_are_known_to_check() {
    let phone = "script \"P\" type Phone\nstart: Begin { Default -> a }\na: Assign { Variable = x Value = \"{ANI} {DNIS} {CONTACTID} {MASTERID} {BUSNO} {SKILL}\" Default -> e }\ne: End\n";
    assert_eq!(messages(phone), Vec::<String>::new());
    // A Generic script has no caller.
    let generic = phone.replace(" type Phone", "");
    let m = messages(&generic);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m[0].contains("`ANI`") && m[1].contains("`DNIS`"), "{m:?}");

    let declared = "script \"V\" type Phone inputs Tier, LastAgent\nstart: Begin { Default -> a }\na: Assign { Variable = x Value = \"{Tier} {LastAgent} {Other}\" Default -> e }\ne: End\n";
    let m = messages(declared);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("`Other`"), "{m:?}");
    // fmt keeps the inputs.
    let formatted = format_script(declared).unwrap();
    assert!(
        formatted.starts_with("script \"V\" type Phone inputs Tier, LastAgent\n"),
        "{formatted}"
    );
    // Names are checked: a keyword is no name, a name is declared once.
    let m = messages("script \"V\" inputs Tier, Tier\nstart: Begin\n");
    assert_eq!(m, ["input `Tier` is declared twice in the header"]);
    assert!(!messages("script \"V\" inputs true\nstart: Begin\n").is_empty());
}

#[test]
fn item_32_the_repository_examples_check_without_warnings_and_studio_variables_are_settable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = Vec::new();
    for folder in ["scripts", "scripts/shared"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "script") {
                files.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    assert!(files.len() > 5);
    let out = studioflow(root).arg("check").args(&files).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stderr.contains("warning") && !stdout.contains("warning"),
        "{stdout}{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.script"),
        "script \"P\" type Phone\nstart: Begin { Default -> a }\na: Assign { Variable = caller Value = \"from {ANI}\" Default -> e }\ne: End\n",
    )
    .unwrap();
    let out = studioflow(dir.path())
        .args(["run", "p.script", "--var", "ANI=5551234"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("caller = \"from 5551234\""),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---------------------------------------------------------------- items 13, 24, 14 (End mock)

fn manifest_error(text: &str) -> String {
    studioflow::manifest::Manifest::parse(text, "studioflow.toml".as_ref())
        .unwrap_err()
        .to_string()
}

#[test]
fn item_13_the_manifest_is_checked_in_linear_time_and_bounded() {
    // 100 actions of 100 branches and 100 properties each: accepted, fast.
    let mut text = String::new();
    for a in 0..100 {
        text += &format!("[actions.Act{a}]\nbranches = [");
        text += &(0..100)
            .map(|b| format!("\"B{b}\""))
            .collect::<Vec<_>>()
            .join(",");
        text += "]\nproperties = [";
        text += &(0..100)
            .map(|p| format!("{{ name = \"P{p}\", kind = \"name\" }}"))
            .collect::<Vec<_>>()
            .join(",");
        text += "]\n";
    }
    let m = studioflow::manifest::Manifest::parse(&text, "studioflow.toml".as_ref()).unwrap();
    assert_eq!(m.actions().len(), 100);
    // 160,000 branches in one action: refused at once, with the bound.
    let many = format!(
        "[actions.Big]\nbranches = [{}]\n",
        (0..160_000)
            .map(|b| format!("\"B{b}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let e = manifest_error(&many);
    assert!(e.contains("at most 100"), "{e}");
    assert!(e.contains("actions.Big.branches"), "{e}");
    let e = manifest_error(&format!(
        "[actions.P]\nproperties = [{}]\n",
        (0..101)
            .map(|p| format!("{{ name = \"P{p}\", kind = \"name\" }}"))
            .collect::<Vec<_>>()
            .join(",")
    ));
    assert!(
        e.contains("101 properties declared: an action has at most 100"),
        "{e}"
    );
}

#[test]
fn item_24_manifest_names_and_case_branches() {
    let e = manifest_error("[actions.assign]\n");
    assert!(e.contains("`assign`") && e.contains("`Assign`"), "{e}");
    let e = manifest_error("[actions.Notify]\n[actions.notify]\n");
    assert!(e.contains("`notify`") && e.contains("`Notify`"), "{e}");
    let e = manifest_error("[actions.Choice]\nbranches = [\"1\"]\n");
    assert!(e.contains("cases = true"), "{e}");
    let m = studioflow::manifest::Manifest::parse(
        "[actions.Choice]\ncases = true\n",
        "studioflow.toml".as_ref(),
    )
    .unwrap();
    assert_eq!(m.actions()[0].labeled_branch.as_deref(), Some("Case"));
}

#[test]
fn item_24_a_declared_action_with_cases_is_checked_and_mocked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("studioflow.toml"),
        "[actions.Choice]\ncases = true\n[actions.Plain]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("menu.script"),
        "start: Begin { Default -> m }\nm: Choice { Case \"1\" -> one Case \"2\" -> two Default -> one Error -> one }\none: End\ntwo: End\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("menu.test.toml"),
        "[[case]]\nname = \"picks 2\"\n[[case.mock]]\naction = \"m\"\nresults = [{ case = \"2\" }]\n[case.expect]\npath = [\"start\", \"m\", \"two\"]\n",
    )
    .unwrap();
    let out = studioflow(dir.path())
        .args(["check", "menu.script"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = studioflow(dir.path())
        .args(["test", "menu.test.toml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Without `cases = true`, a case branch is refused.
    std::fs::write(
        dir.path().join("plain.script"),
        "start: Begin { Default -> m }\nm: Plain { Case \"1\" -> one Default -> one Error -> one }\none: End\n",
    )
    .unwrap();
    let out = studioflow(dir.path())
        .args(["check", "plain.script"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn item_14_mocking_an_end_with_a_branch_says_it_has_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("e.script"),
        "start: Begin { Default -> done }\ndone: End\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("e.test.toml"),
        "[[case]]\nname = \"end\"\n[[case.mock]]\naction = \"done\"\nresults = [{ branch = \"Default\" }]\n",
    )
    .unwrap();
    let out = studioflow(dir.path())
        .args(["test", "e.test.toml"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("its branches are Error"), "{text}");
    assert!(
        text.contains("ends the script and has no branches"),
        "{text}"
    );
}

#[test]
fn item_25_recovered_snippet_spans_stay_inside_the_text() {
    for text in [
        "s: Snippet { Data = \"\"\"\nFOR i = 1 TO 3 {\nIF i > 1 {\nBREAK\nx = nosuch()\n\"\"\"",
        "s: Snippet { Data = \"\"\"FUNCTION f() { IF 1 { SWITCH 2 { CASE 1 { y = nosuch(",
        "s: Snippet { Data = \"\"\"FUNCTION f() { IF 1 { SWITCH 2 { CASE 1 { y = 1\"\"\"",
    ] {
        let d = diagnostics(text);
        for item in d.items() {
            assert!(
                item.span.end <= text.len() && item.span.start <= item.span.end,
                "{d}"
            );
        }
    }
}

#[test]
fn item_10_an_edit_made_while_fmt_runs_is_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.script");
    let n = 6000;
    let mut text = String::from("start: Begin { Default -> a0 }\n");
    for i in 0..n {
        let next = if i + 1 < n {
            format!("a{}", i + 1)
        } else {
            "done".into()
        };
        text += &format!("a{i}:Assign{{Variable=v{i} Value={i}+x*2 Default->{next}}}\n");
    }
    text += "done: End\n";
    std::fs::write(&path, &text).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .current_dir(dir.path())
        .args(["fmt", "big.script"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // An editor appends a line while fmt works (or before it read: then fmt keeps it).
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"// added while fmt ran\n").unwrap();
    drop(file);
    let out = child.wait_with_output().unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("// added while fmt ran"),
        "the edit was lost"
    );
    match out.status.code() {
        Some(4) => assert!(
            String::from_utf8_lossy(&out.stderr).contains("changed while it was being formatted"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Some(0) => {}
        other => panic!("exit {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
    }
}
