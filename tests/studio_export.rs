//! Exporting scripts as Studio's own files (issue 20): `export(import(x))`
//! keeps every action, caption, property value, branch, position and
//! unknown element of a Studio file; `import(export(s))` is the same script
//! for the repository's scripts and for random ones, in both formats;
//! opaque actions; `studioflow export`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use proptest::prelude::*;
use studioflow::export::{export, ExportFormat, Positions};
use studioflow::format::{format_script, script_without_spans};
use studioflow::studio::{import_json, import_xml, json, xml, StudioScript};
use studioflow::syntax::ast::{ExprKind, Literal, ScriptAst, StudioValue, TemplatePart};
use studioflow::syntax::parse_script;
use studioflow::{Engine, Event, RunOptions};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/studio").join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A Studio file imported, formatted as `fmt` formats it.
fn import(text: &str, format: ExportFormat) -> String {
    let imported = match format {
        ExportFormat::Json => import_json(text, "fallback"),
        ExportFormat::Xml => import_xml(text, "fallback"),
    }
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    format_script(&imported.text).unwrap_or_else(|d| panic!("{}\n{}", d.message, imported.text))
}

fn export_as(text: &str, format: ExportFormat) -> String {
    export(text, &Positions::default(), format).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The model with what only says where things were in the file cleared.
fn model(text: &str, format: ExportFormat) -> StudioScript {
    let mut script = match format {
        ExportFormat::Json => json::parse(text),
        ExportFormat::Xml => xml::parse(text),
    }
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    for a in &mut script.actions {
        a.origin.clear();
        for b in &mut a.branches {
            b.origin.clear();
        }
        a.branches.sort_by_key(|b| format!("{:?}", b.kind));
    }
    script
}

// ---- export(import(x)) keeps the file

#[test]
fn a_json_file_survives_import_then_export() {
    let original = read(&fixture("phone.json"));
    let script = import(&original, ExportFormat::Json);
    let exported = export_as(&script, ExportFormat::Json);
    assert_eq!(
        model(&exported, ExportFormat::Json),
        model(&original, ExportFormat::Json)
    );
    // The unknown field of the VOICEMAIL action comes back as written.
    let value: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(
        value["actions"]["11"]["comment"],
        serde_json::json!({"kept": ["as", "written"]})
    );
    assert_eq!(value["header"]["scriptName"], "Support\\Phone line");
    assert_eq!(value["header"]["nextActionId"], 12);
    // And again: an export of the re-import is the same text.
    let again = export_as(&import(&exported, ExportFormat::Json), ExportFormat::Json);
    assert_eq!(again, exported);
}

#[test]
fn an_xml_file_survives_import_then_export() {
    let original = read(&fixture("phone.xml"));
    let script = import(&original, ExportFormat::Xml);
    let exported = export_as(&script, ExportFormat::Xml);
    assert_eq!(
        model(&exported, ExportFormat::Xml),
        model(&original, ExportFormat::Xml)
    );
    assert!(exported.contains("<Comment>kept as written</Comment>"));
    // Desktop Studio's serializer: declaration, CRLF, no final newline.
    assert!(exported.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ScriptContainer "));
    assert!(!exported.replace("\r\n", "").contains('\n'));
    assert!(exported.ends_with("</ScriptContainer>"));
    assert!(exported.contains("<string />"));
    let again = export_as(&import(&exported, ExportFormat::Xml), ExportFormat::Xml);
    assert_eq!(again, exported);
}

#[test]
fn an_edited_property_wins_over_the_text_the_import_kept() {
    let script = import(&read(&fixture("phone.json")), ExportFormat::Json);
    // Snippet code with CRLF is kept verbatim in the block...
    let exported = export_as(&script, ExportFormat::Json);
    let value: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(
        value["properties"]["5"]["0"]["value"],
        "skill = \"Billing\"\r\nIF MRES = \"2\"\r\n{\r\n  skill = \"Support\"\r\n}"
    );
    // ...until the body's code says something else.
    let edited = script.replace("skill = \"Support\"\n", "skill = \"Help desk\"\n");
    assert_ne!(edited, script);
    let value: serde_json::Value =
        serde_json::from_str(&export_as(&edited, ExportFormat::Json)).unwrap();
    let code = value["properties"]["5"]["0"]["value"].as_str().unwrap();
    assert!(code.contains("Help desk"), "{code}");
    // Unsimulated properties are written back unchanged, in their place.
    assert_eq!(value["properties"]["9"]["2"]["name"], "Type");
    assert_eq!(value["properties"]["9"]["2"]["value"], "String");
}

// ---- import(export(s)) is the same script

/// A script's shape up to action ids: its header and actions without their
/// studio blocks, ids renamed to their ActionID order, properties and
/// branches sorted. `ids` gives each action's ActionID.
fn shape(ast: ScriptAst, ids: &dyn Fn(usize, &ScriptAst) -> i64) -> ScriptAst {
    let mut ast = ast;
    let mut order: Vec<(i64, usize)> = (0..ast.actions.len()).map(|i| (ids(i, &ast), i)).collect();
    order.sort();
    let rename: HashMap<String, String> = order
        .iter()
        .enumerate()
        .map(|(n, (_, i))| (ast.actions[*i].id.clone(), format!("a{n}")))
        .collect();
    let mut actions = Vec::new();
    for (_, i) in &order {
        let mut a = ast.actions[*i].clone();
        a.id = rename[&a.id].clone();
        a.studio = None;
        for b in &mut a.branches {
            b.target = rename.get(&b.target).cloned().unwrap_or_default();
            // A case label is compared as its text (`Case 1` is `Case "1"`).
            b.label = b.label.take().map(|l| match l {
                Literal::Number(n) => Literal::String(format!("{n}")),
                Literal::Bool(v) => Literal::String(v.to_string()),
                other => other,
            });
        }
        // Studio writes `"{x}"` and `x` alike (`{x}`): one form each.
        for p in &mut a.properties {
            if let ExprKind::Template(parts) = &p.value.kind {
                if let [TemplatePart::Expr(e)] = parts.as_slice() {
                    p.value = e.clone();
                }
            }
        }
        // Studio writes every property; an empty one is an absent one.
        a.properties.retain(
            |p| !matches!(&p.value.kind, ExprKind::Literal(Literal::String(s)) if s.is_empty()),
        );
        a.properties.sort_by(|x, y| x.name.cmp(&y.name));
        a.branches
            .sort_by_key(|b| (b.name.to_ascii_lowercase(), format!("{:?}", b.label)));
        actions.push(a);
    }
    ast.actions = actions;
    if let Some(h) = &mut ast.header {
        h.studio = None;
        // `inputs` only quiets check's warnings; Studio's files have no place for it.
        h.inputs.clear();
    }
    script_without_spans(ast)
}

fn source_order(i: usize, _: &ScriptAst) -> i64 {
    i as i64
}

fn block_action_id(i: usize, ast: &ScriptAst) -> i64 {
    match ast.actions[i]
        .studio
        .as_ref()
        .and_then(|b| b.get("ActionID"))
        .map(|e| &e.value)
    {
        Some(StudioValue::Number(n)) => n.parse::<i64>().unwrap() - 1,
        other => panic!("no ActionID: {other:?}"),
    }
}

fn assert_same_script(original: &str, format: ExportFormat) {
    let exported = export_as(original, format);
    let imported = import(&exported, format);
    let before = shape(parse_script(original).unwrap(), &source_order);
    let after = shape(parse_script(&imported).unwrap(), &block_action_id);
    if after != before {
        let (a, b) = (format!("{after:#?}"), format!("{before:#?}"));
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let context = |t: &str| {
            t.lines()
                .skip(first.saturating_sub(8))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "not the same script after export and import:\n--- original\n{original}\n--- imported\n{imported}\n--- imported shape near the difference\n{}\n--- original shape\n{}",
            context(&a),
            context(&b)
        );
    }
}

/// The repository's scripts made of actions Studio's files know.
fn studio_scripts() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join("scripts")).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "script") {
            let ast = parse_script(&read(&path)).unwrap();
            if ast
                .actions
                .iter()
                .all(|a| studioflow::studio::table::by_name(&a.action_type).is_some())
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_repository_scripts_survive_export_then_import_in_both_formats() {
    let scripts = studio_scripts();
    assert!(scripts.len() >= 4, "{scripts:?}");
    for path in scripts {
        let text = read(&path);
        assert_same_script(&text, ExportFormat::Json);
        assert_same_script(&text, ExportFormat::Xml);
    }
}

/// One action of a random script: type, caption, properties, and how many
/// branches (targets chosen by index).
fn action_strategy() -> impl Strategy<Value = (usize, String, u8, Vec<usize>)> {
    (
        0usize..9,
        prop::sample::select(vec![
            "",
            "Greet",
            "Main menu",
            "Main menu",
            "2 Sales!",
            "Queue",
            "x",
            "ünï cödé",
            "Check it",
        ])
        .prop_map(str::to_string),
        any::<u8>(),
        prop::collection::vec(0usize..64, 4),
    )
}

/// A script over the actions import and export both know: Begin, then the
/// actions, with properties and branches drawn from `seed`.
fn random_script(actions: &[(usize, String, u8, Vec<usize>)]) -> String {
    let n = actions.len() + 1;
    let target = |k: usize| format!("a{}", k % n);
    let words = [
        "Sales",
        "Support",
        "{skill}",
        "a \"quoted\" word",
        "50%",
        "",
    ];
    let mut out = String::from("script \"Random\" type Phone\na0: Begin { Default -> a1 }\n");
    for (i, (kind, caption, seed, to)) in actions.iter().enumerate() {
        let id = format!("a{}", i + 1);
        let caption = if caption.is_empty() {
            String::new()
        } else {
            format!(" {caption:?}")
        };
        let word = words[*seed as usize % words.len()];
        let body = match kind {
            0 => format!(
                "Variable = v{seed}\n Value = {word:?}\n Default -> {}",
                target(to[0])
            ),
            1 => format!(
                "Expression = v{seed} = {}\n True -> {}\n False -> {}",
                seed % 7,
                target(to[0]),
                target(to[1])
            ),
            2 => format!(
                "Value = v{seed}\n Case \"1\" -> {}\n Case \"two\" -> {}\n Default -> {}",
                target(to[0]),
                target(to[1]),
                target(to[2])
            ),
            3 => format!(
                "Sequence = {word:?}\n Timeout = {}\n Variable = choice\n Case \"1\" -> {}\n Timeout -> {}\n Default -> {}",
                seed % 9 + 1,
                target(to[0]),
                target(to[1]),
                target(to[2])
            ),
            4 => format!(
                "Data = \"\"\"\n    x = {seed}\n    IF x > 3\n    {{\n      y = \"big\"\n    }}\n  \"\"\"\n Default -> {}",
                target(to[0])
            ),
            5 => format!("Skill = {word:?}\n Default -> {}", target(to[0])),
            6 => format!("Seconds = {}\n Default -> {}", seed % 30, target(to[0])),
            7 => format!(
                "Repeat = {}\n Finished -> {}\n Repeat -> {}",
                seed % 5 + 1,
                target(to[0]),
                target(to[1])
            ),
            _ => String::new(),
        };
        let kind_name = [
            "Assign", "If", "Case", "Menu", "Snippet", "ReqAgent", "Wait", "Loop", "End",
        ][*kind];
        if body.is_empty() {
            out.push_str(&format!("{id}: {kind_name}{caption}\n"));
        } else {
            out.push_str(&format!("{id}: {kind_name}{caption} {{\n {body}\n}}\n"));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_scripts_survive_export_then_import(actions in prop::collection::vec(action_strategy(), 1..12)) {
        let text = random_script(&actions);
        prop_assert!(parse_script(&text).is_ok(), "{}", text);
        assert_same_script(&text, ExportFormat::Json);
        assert_same_script(&text, ExportFormat::Xml);
    }
}

// ---- opaque actions

fn phone_with_two_voicemails() -> String {
    let script = import(&read(&fixture("phone.json")), ExportFormat::Json);
    // A second VOICEMAIL (its own ActionID) for the once-per-type warning.
    script.replace(
        "Goodbye: End \"Goodbye\" {",
        "Another: VOICEMAIL {\n  studio {\n    ActionID = 99\n    Parameters = []\n  }\n}\n\nGoodbye: End \"Goodbye\" {",
    )
}

#[test]
fn check_warns_once_per_opaque_keyword() {
    let engine = Engine::demo();
    let script = engine
        .compile(&phone_with_two_voicemails(), "phone.script")
        .unwrap();
    let warnings: Vec<&str> = script
        .warnings()
        .items()
        .iter()
        .filter(|d| d.code.name() == "not-simulated")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        warnings,
        ["VOICEMAIL is not simulated: mock it in a test (Studio ActionID 99)"]
    );
}

#[test]
fn a_run_takes_an_opaque_actions_error_branch_with_a_clear_err() {
    let engine = Engine::demo();
    let text = import(&read(&fixture("phone.json")), ExportFormat::Json);
    let script = engine.compile(&text, "phone.script").unwrap();
    let events: Vec<Event> = ["digits:3"].iter().map(|e| e.parse().unwrap()).collect();
    let sim = engine
        .simulate(&script, RunOptions::default().trace(true), events, None)
        .unwrap();
    let steps: Vec<String> = sim
        .run
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| format!("{}:{}", s.action, s.branch.as_deref().unwrap_or("-")))
        .collect();
    assert!(
        steps.contains(&"Leave_a_message:Error".to_string()),
        "{steps:?}"
    );
    assert_eq!(
        sim.run.variable("_ERR").unwrap().to_text(),
        "VOICEMAIL is not simulated: mock it in a test"
    );
}

#[test]
fn a_test_file_mocks_an_opaque_action() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("phone.json"), dir.path().join("phone.json")).unwrap();
    std::fs::write(
        dir.path().join("phone.test.toml"),
        r#"
[[case]]
name = "the caller leaves a message"
events = ["digits:3"]
mock = [{ action = "Leave_a_message", results = [{ branch = "Default" }] }]
expect.path = ["BEGIN", "Welcome", "Main_menu", "Leave_a_message", "Goodbye", "Caller_hangs_up", "Note_the_end"]
expect.unused_events = []
"#,
    )
    .unwrap();
    let out = cargo_bin_cmd!("studioflow")
        .arg("test")
        .arg(dir.path().join("phone.test.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[test]
fn the_graph_draws_an_opaque_action_with_its_keyword_and_caption() {
    let out = cargo_bin_cmd!("studioflow")
        .arg("graph")
        .arg(fixture("phone.xml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(
        dot.contains("Leave_a_message\\nVOICEMAIL: Leave a message"),
        "{dot}"
    );
}

// ---- studioflow export

#[test]
fn export_writes_json_by_default_and_xml_on_request() {
    let script = root().join("scripts/greeting.script");
    let out = cargo_bin_cmd!("studioflow")
        .arg("export")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(value["header"]["nextActionId"].as_i64().unwrap() > 1);
    assert!(
        value["actions"]["1"]["x"].is_i64(),
        "positions from the layout"
    );
    assert_eq!(value["actions"]["1"]["name"], "BEGIN");
    assert_eq!(
        value["actions"]["1"]["libraryId"],
        "b2f794c5-0232-40e7-9830-76d573bf57d7"
    );

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("greeting.xml");
    let out = cargo_bin_cmd!("studioflow")
        .args(["export", "--format", "xml", "-o"])
        .arg(&target)
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = read(&target);
    assert!(xml.contains("<Action>BEGIN</Action>\r\n"));
    // The export imports again and runs.
    let out = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_refuses_bad_input_and_never_writes_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("phone.json");
    std::fs::copy(fixture("phone.json"), &json).unwrap();
    let before = read(&json);
    let out = cargo_bin_cmd!("studioflow")
        .args(["export", "-o"])
        .arg(&json)
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&json), before, "the input is untouched");

    let bad = dir.path().join("bad.script");
    std::fs::write(&bad, "start: Begin { Default -> nowhere }").unwrap();
    let out = cargo_bin_cmd!("studioflow")
        .arg("export")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));

    let out = cargo_bin_cmd!("studioflow")
        .args(["export", "--format", "yaml"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diagnostics_name_the_studio_action_id_and_the_line_import_writes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(
        &file,
        r#"{"header": {"scriptName": "Broken", "mediaType": 4},
 "actions": {"7": {"name": "BEGIN"}, "8": {"name": "SNIPPET", "label": "Is it late?"}, "9": {"name": "END"}},
 "properties": {"8": {"0": {"name": "Data", "value": "late = nosuchfunction(hour)"}}},
 "branches": {"7": [{"to": 8, "type": "default"}], "8": [{"to": 9, "type": "default"}]}}"#,
    )
    .unwrap();
    let out = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stderr.contains("(Studio ActionID 8)"), "{stderr}");
    // The line is the line of `studioflow import`'s text.
    let imported = cargo_bin_cmd!("studioflow")
        .arg("import")
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&imported.stdout);
    let line = text
        .lines()
        .position(|l| l.contains("late = nosuchfunction(hour)"))
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!("broken.json:{line}:")),
        "{stderr}\n{text}"
    );
}

#[test]
fn an_expression_that_does_not_parse_is_refused_with_its_json_path() {
    let text = r#"{"actions": {"7": {"name": "BEGIN"}, "8": {"name": "IF"}, "9": {"name": "END"}},
 "properties": {"8": {"0": {"name": "Expression", "value": "hour >"}}},
 "branches": {"7": [{"to": 8, "type": "default"}], "8": [{"to": 9, "type": "branch", "label": "True"}]}}"#;
    let e = import_json(text, "x").unwrap_err().to_string();
    assert!(
        e.starts_with("/properties/8/0: IF Expression of ActionID 8: \"hour >\" is no expression"),
        "{e}"
    );
}

#[test]
fn the_repository_example_is_the_export_of_phone_script_in_both_formats() {
    for (format, file) in [("json", "phone.json"), ("xml", "phone.xml")] {
        let out = cargo_bin_cmd!("studioflow")
            .args(["export", "--format", format])
            .arg(root().join("scripts/phone.script"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let checked_in = read(&root().join("scripts/studio").join(file));
        assert!(
            String::from_utf8_lossy(&out.stdout) == checked_in,
            "scripts/studio/{file} is not `studioflow export --format {format} scripts/phone.script`: regenerate it with -o"
        );
    }
}

#[test]
fn every_property_the_table_puts_in_a_body_is_one_the_schema_takes() {
    let engine = Engine::demo();
    for def in studioflow::studio::table::ACTIONS {
        for p in def.properties {
            let Some(name) = p.name else { continue };
            let text = format!(
                "script \"t\" type Phone\nstart: Begin {{ Default -> a }}\na: {} {{ {name} = x }}",
                def.name
            );
            let text = if def.name == "Begin" {
                format!("script \"t\" type Phone\nstart: Begin {{ {name} = x }}")
            } else {
                text
            };
            if let Err(d) = engine.compile(&text, "t.script") {
                let unknown: Vec<String> = d
                    .errors()
                    .filter(|e| e.code.name() == "unknown-property")
                    .map(|e| e.message.clone())
                    .collect();
                assert!(unknown.is_empty(), "{}.{name}: {unknown:?}", def.name);
            }
        }
    }
}
