//! Importing CXone Studio JSON as `.script` text (issue 20, first part):
//! a phone flow imported, compiled and run; the action id rule; malformed
//! files refused with the place named, never a panic; `studioflow import`.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use studioflow::format::format_script;
use studioflow::studio::{import_json, import_xml, json, to_script, xml, StudioError};
use studioflow::{Engine, Event, Outcome, Run, RunOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/studio")
        .join(name)
}

fn phone_json() -> String {
    std::fs::read_to_string(fixture("phone.json")).unwrap()
}

/// The import, formatted as `fmt` formats it.
fn import(text: &str) -> String {
    let imported = import_json(text, "fallback").unwrap_or_else(|e| panic!("{e}"));
    format_script(&imported.text).unwrap_or_else(|d| panic!("{}\n{}", d.message, imported.text))
}

fn run_with(text: &str, events: &[&str]) -> Run {
    let engine = Engine::demo();
    let script = engine
        .compile(text, "imported.script")
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let events: Vec<Event> = events.iter().map(|e| e.parse().unwrap()).collect();
    let sim = engine
        .simulate(&script, RunOptions::default().trace(true), events, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sim.unused.is_empty(), "events left: {:?}", sim.unused);
    sim.run
}

fn path(run: &Run) -> Vec<String> {
    run.trace
        .as_ref()
        .expect("traced")
        .iter()
        .map(|s| s.action.to_string())
        .collect()
}

/// A minimal file: `actions` as (id, keyword, caption), every action
/// chained to the next by Default except the last.
fn chain(actions: &[(i64, &str, &str)]) -> String {
    let list: Vec<String> = actions
        .iter()
        .map(|(id, k, c)| format!(r#""{id}": {{"actionId": {id}, "name": "{k}", "label": {c:?}}}"#))
        .collect();
    let branches: Vec<String> = actions
        .windows(2)
        .map(|w| {
            format!(
                r#""{}": [{{"to": {}, "type": "default", "label": ""}}]"#,
                w[0].0, w[1].0
            )
        })
        .collect();
    format!(
        r#"{{"header": {{"scriptName": "t"}}, "actions": {{{}}}, "branches": {{{}}}}}"#,
        list.join(", "),
        branches.join(", ")
    )
}

fn ids(text: &str) -> Vec<String> {
    let script = json::parse(text).unwrap_or_else(|e| panic!("{e}"));
    to_script::action_ids(&script.actions)
}

// ---- the phone flow

#[test]
fn the_phone_flow_imports_compiles_and_runs_the_support_path() {
    let text = import(&phone_json());
    assert!(text.contains("script \"Phone line\" type Phone"), "{text}");
    assert!(text.contains("Main_menu: Menu \"Main menu\""), "{text}");
    let run = run_with(&text, &["digits:2"]);
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(
        path(&run),
        [
            "BEGIN",
            "Welcome",
            "Main_menu",
            "Pick_the_skill",
            "Queue",
            "Goodbye",
            "Caller_hangs_up",
            "Note_the_end"
        ]
    );
    assert_eq!(run.variable("skill").unwrap().to_text(), "Support");
    assert_eq!(
        run.variable("outcome").unwrap().to_text(),
        "released after Support"
    );
    let heard: Vec<&str> = run.transcript.iter().map(|e| &*e.text).collect();
    assert!(heard.contains(&"Thank you for calling."), "{heard:?}");
}

#[test]
fn the_phone_flow_takes_the_sales_case_and_the_timeout() {
    let text = import(&phone_json());
    let run = run_with(&text, &["digits:1"]);
    assert_eq!(
        path(&run)[..5],
        ["BEGIN", "Welcome", "Main_menu", "_2_Sales_", "Queue"]
    );
    assert_eq!(run.variable("skill").unwrap().to_text(), "Sales");
    let run = run_with(&text, &["timeout"]);
    assert_eq!(
        path(&run)[..4],
        ["BEGIN", "Welcome", "Main_menu", "Goodbye"]
    );
}

#[test]
fn the_import_is_canonical_and_keeps_studio_facts_in_studio_blocks() {
    let text = import(&phone_json());
    assert_eq!(format_script(&text).unwrap(), text);
    let menu = &text[text.find("Main_menu: Menu").unwrap()..];
    let menu = &menu[..menu.find("\n}\n").unwrap()];
    for kept in [
        "ActionID = 4",
        "LibraryID = \"daee9c00-12ce-4222-a42e-307c37d53b7f\"",
        "X = 40",
        "Y = 240",
        "DependencyOrder = \"6\"",
    ] {
        assert!(menu.contains(kept), "{kept} in {menu}");
    }
}

#[test]
fn properties_studioflow_does_not_use_are_kept_in_the_studio_block() {
    let imported = import_json(&phone_json(), "x").unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let text = format_script(&imported.text).unwrap();
    let assign = &text[text.find("Note_the_end: Assign").unwrap()..];
    let assign = &assign[..assign.find("\n}\n").unwrap()];
    assert!(assign.contains("Type = \"String\""), "{assign}");
    // Snippet code with CRLF keeps Studio's exact text beside the code.
    assert!(
        text.contains("Data = \"skill = \\\"Billing\\\"\\r\\n"),
        "{text}"
    );
}

#[test]
fn the_wrapper_a_bom_and_numbers_as_strings_are_tolerated() {
    let inner = chain(&[(1, "BEGIN", "go"), (2, "WAIT", "w"), (3, "END", "")]);
    let wrapped = format!("\u{feff}{{\"scriptContent\": {inner}}}");
    let with_props = wrapped.replace(
        r#""branches""#,
        r#""properties": {"2": {"0": {"name": "Seconds", "value": 2}}}, "branches""#,
    );
    let text = import(&with_props);
    assert!(text.contains("Seconds = 2"), "{text}");
    assert!(text.contains("END: End"), "{text}");
    assert_eq!(path(&run_with(&text, &["wait:2"])), ["go", "w", "END"]);
}

#[test]
fn the_entry_is_the_begin_with_the_highest_action_id() {
    let file = r#"{"actions": {"1": {"name": "BEGIN", "label": "old"}, "2": {"name": "END", "label": "a"},
        "5": {"name": "BEGIN", "label": "new"}, "6": {"name": "END", "label": "b"}},
        "branches": {"1": [{"to": 2, "type": "default"}], "5": [{"to": 6, "type": "default"}]}}"#;
    let imported = import_json(file, "x").unwrap();
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("2 BEGIN actions")),
        "{:?}",
        imported.warnings
    );
    let text = format_script(&imported.text).unwrap();
    assert!(!text.contains("old: Begin"), "{text}");
    let run = run_with(&text, &[]);
    assert_eq!(path(&run), ["new", "b"]);
}

#[test]
fn event_actions_are_roots_of_their_own() {
    let text = import(&phone_json());
    // End releases the contact: OnRelease, reached by no branch, runs.
    let run = run_with(&text, &["digits:1"]);
    assert!(
        path(&run).ends_with(&[
            "Goodbye".to_string(),
            "Caller_hangs_up".to_string(),
            "Note_the_end".to_string()
        ]),
        "{:?}",
        path(&run)
    );
}

// ---- the action id rule

#[test]
fn captions_become_identifiers() {
    let file = chain(&[
        (1, "BEGIN", "Main menu"),
        (2, "WAIT", "Is it open? (hours)"),
        (3, "WAIT", "2nd try"),
        (4, "WAIT", "café"),
        (5, "END", "under_score9"),
    ]);
    assert_eq!(
        ids(&file),
        [
            "Main_menu",
            "Is_it_open___hours_",
            "_2nd_try",
            "caf_",
            "under_score9"
        ]
    );
}

#[test]
fn empty_captions_use_the_keyword_as_written() {
    let file = chain(&[(1, "BEGIN", ""), (2, "Wait", ""), (3, "END", "")]);
    assert_eq!(ids(&file), ["BEGIN", "Wait", "END"]);
}

#[test]
fn duplicates_get_suffixes_in_action_id_order_skipping_taken_ones() {
    // Listed out of order: ActionID order decides.
    let file = chain(&[
        (7, "END", "Hold"),
        (1, "BEGIN", "Hold"),
        (3, "WAIT", "Hold_2"),
        (5, "WAIT", "Hold"),
        (6, "WAIT", "hold"),
    ]);
    // 1 Hold, 3 Hold_2 (its own), 5 Hold_3 (Hold_2 is taken), 6 hold, 7 Hold_4.
    assert_eq!(ids(&file), ["Hold", "Hold_2", "Hold_3", "hold", "Hold_4"]);
}

#[test]
fn twenty_thousand_actions_sharing_a_caption_get_their_suffixes() {
    // A caption of its own (`A_7`) in the middle is skipped by the others.
    let mut actions: Vec<studioflow::studio::StudioAction> = (1..=20_000)
        .map(|id| studioflow::studio::StudioAction {
            id,
            keyword: "WAIT".into(),
            caption: if id == 100 { "A_7".into() } else { "A".into() },
            library_id: None,
            properties: Vec::new(),
            branches: Vec::new(),
            position: None,
            extras: Default::default(),
            origin: String::new(),
        })
        .collect();
    actions.sort_by_key(|a| a.id);
    let ids = to_script::action_ids(&actions);
    assert_eq!(&ids[..3], ["A", "A_2", "A_3"]);
    assert_eq!(ids[6], "A_8", "A_7 is another action's own caption");
    assert_eq!(ids[99], "A_7");
    assert_eq!(ids[19_999], "A_20000");
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn an_imported_file_with_duplicate_captions_compiles() {
    let file = chain(&[
        (1, "BEGIN", "x"),
        (2, "WAIT", "x"),
        (3, "WAIT", "x"),
        (4, "END", "x"),
    ]);
    let text = import(&file);
    let run = run_with(&text, &["wait:5", "wait:5"]);
    assert_eq!(path(&run), ["x", "x_2", "x_3", "x_4"]);
}

// ---- malformed files

fn error(text: &str) -> StudioError {
    match import_json(text, "x") {
        Ok(imported) => panic!("imported:\n{}", imported.text),
        Err(e) => e,
    }
}

#[test]
fn truncated_json_names_line_and_column() {
    let json = phone_json();
    let cut = &json[..json.len() / 2];
    let e = error(cut);
    assert!(
        matches!(e, StudioError::Syntax { line, .. } if line > 1),
        "{e}"
    );
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    for n in (0..json.len()).step_by(97) {
        let _ = import_json(&json[..n], "x");
    }
}

#[test]
fn wrong_types_name_the_json_path() {
    let cases = [
        (r#"[1, 2]"#, "/: expected an object"),
        (r#"{"header": {}}"#, "no \"actions\""),
        (
            r#"{"actions": []}"#,
            "/actions: expected an object, found an array",
        ),
        (
            r#"{"actions": {"x": {"name": "BEGIN"}}}"#,
            "/actions/x: the key \"x\" is no ActionID",
        ),
        (
            r#"{"actions": {"1": {"name": 5}}}"#,
            "/actions/1/name: expected a string, found a number",
        ),
        (
            r#"{"actions": {"1": {"label": "a"}}}"#,
            "/actions/1/name: no action type",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN", "x": "left"}}}"#,
            "/actions/1/x: expected an integer, found \"left\"",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN", "label": []}}}"#,
            "/actions/1/label: expected a string, found an array",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}}, "branches": {"1": {"to": 1}}}"#,
            "/branches/1: expected an array, found an object",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}}, "branches": {"1": [{"to": "one"}]}}"#,
            "/branches/1/0/to: expected an integer",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}}, "branches": {"1": [{"to": 1, "type": "jump"}]}}"#,
            "/branches/1/0/type: unknown branch type",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}}, "properties": {"1": {"0": {"value": {}}}}}"#,
            "/properties/1/0/value: expected a string, found an object",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}}, "properties": {"2": {}}}"#,
            "/properties/2: properties of ActionID 2, which is no action",
        ),
        (
            r#"{"header": {"mediaType": "phone"}, "actions": {}}"#,
            "/header/mediaType: expected an integer",
        ),
    ];
    for (json, expected) in cases {
        let e = error(json);
        assert!(
            e.to_string().contains(expected),
            "{json}\n  gave: {e}\n  wanted: {expected}"
        );
    }
}

#[test]
fn duplicate_action_ids_are_refused() {
    let e = error(r#"{"actions": {"1": {"name": "BEGIN"}, "1": {"name": "END"}}}"#);
    assert_eq!(
        e,
        StudioError::DuplicateActionId {
            path: "/actions/1".into(),
            id: 1
        }
    );
    let e = error(r#"{"actions": {"1": {"name": "BEGIN"}, "01": {"name": "END"}}}"#);
    assert!(
        matches!(e, StudioError::DuplicateActionId { id: 1, .. }),
        "{e}"
    );
    let e = error(r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"actionId": 1, "name": "END"}}}"#);
    assert!(
        e.to_string()
            .contains("/actions/2/actionId: actionId 1 does not match its key \"2\""),
        "{e}"
    );
}

#[test]
fn dangling_targets_are_refused_and_minus_one_is_unconnected() {
    let e = error(
        r#"{"actions": {"1": {"name": "BEGIN"}}, "branches": {"1": [{"to": 9, "type": "default"}]}}"#,
    );
    assert_eq!(
        e,
        StudioError::DanglingTarget {
            path: "/branches/1/0/to".into(),
            target: 9
        }
    );
    let text = import(
        r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "END"}}, "branches": {"1": [{"to": -1, "type": "default"}, {"to": 2, "type": "default"}]}}"#,
    );
    assert!(text.contains("Default -> END"), "{text}");
}

#[test]
fn unknown_action_types_and_a_missing_begin_are_errors_naming_them() {
    let e = error(r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "XFER QUEUE"}}}"#);
    assert!(
        e.to_string().contains(
            "/actions/2/name: the action type \"XFER QUEUE\" is no name studioflow can write"
        ),
        "{e}"
    );
    let e = error(r#"{"actions": {"1": {"name": "END"}}}"#);
    assert_eq!(e, StudioError::NoBegin);
    let e = error(
        r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "END"}}, "branches": {"1": [{"to": 2, "type": "branch", "label": "Sideways"}]}}"#,
    );
    assert!(
        e.to_string()
            .contains("/branches/1/0: BEGIN has no branch \"Sideways\""),
        "{e}"
    );
}

#[test]
fn deep_nesting_and_odd_input_never_panic() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(error(&deep), StudioError::Syntax { .. }));
    let deep_inside = format!(
        r#"{{"actions": {{"1": {{"name": "BEGIN", "extra": {}{}}}}}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(matches!(error(&deep_inside), StudioError::Syntax { .. }));
    for odd in [
        "",
        "null",
        "\"\"",
        "{}",
        "{\"actions\": null}",
        "{\"actions\": {\"1\": null}}",
        "\u{0}",
    ] {
        let _ = import_json(odd, "x");
    }
}

// ---- Desktop Studio XML

fn phone_xml() -> String {
    std::fs::read_to_string(fixture("phone.xml")).unwrap()
}

fn import_from_xml(text: &str) -> String {
    let imported = import_xml(text, "fallback").unwrap_or_else(|e| panic!("{e}"));
    format_script(&imported.text).unwrap_or_else(|d| panic!("{}\n{}", d.message, imported.text))
}

fn xml_error(text: &str) -> StudioError {
    match import_xml(text, "x") {
        Ok(imported) => panic!("imported:\n{}", imported.text),
        Err(e) => e,
    }
}

/// A minimal ScriptContainer around `actions`.
fn container(actions: &str) -> String {
    format!(
        "<ScriptContainer><Actions>{actions}</Actions><MediaType>4</MediaType></ScriptContainer>"
    )
}

#[test]
fn the_xml_phone_flow_crlf_and_out_of_order_runs_as_the_json_one() {
    let xml = phone_xml();
    assert!(xml.contains("\r\n"));
    let text = import_from_xml(&xml);
    assert!(
        text.starts_with("// Imported from a Desktop Studio XML file"),
        "{text}"
    );
    assert!(text.contains("script \"Phone line\" type Phone"), "{text}");
    // The same flow as the JSON fixture (the XML also writes ReqAgent's defaults).
    let run = run_with(&text, &["digits:2"]);
    assert_eq!(
        path(&run),
        [
            "BEGIN",
            "Welcome",
            "Main_menu",
            "Pick_the_skill",
            "Queue",
            "Goodbye",
            "Caller_hangs_up",
            "Note_the_end"
        ]
    );
    assert_eq!(run.variable("skill").unwrap().to_text(), "Support");
    let run = run_with(&text, &["timeout"]);
    assert_eq!(
        path(&run)[..4],
        ["BEGIN", "Welcome", "Main_menu", "Goodbye"]
    );
    // Case "3" goes to an action studioflow does not simulate (kept opaque).
    assert!(text.contains("Case \"3\" -> Leave_a_message"), "{text}");
    assert!(text.contains("Leave_a_message: VOICEMAIL"), "{text}");
}

#[test]
fn the_xml_model_keeps_positions_library_ids_and_sorts_by_action_id() {
    let script = xml::parse(&phone_xml()).unwrap();
    let ids: Vec<i64> = script.actions.iter().map(|a| a.id).collect();
    assert_eq!(ids, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    let end = &script.actions[5];
    assert_eq!(
        end.library_id.as_deref(),
        Some("93FB8888-30CF-4DF3-8ED9-1F2986819080")
    );
    let release = &script.actions[6];
    assert_eq!(release.position.unwrap().xws, Some(440));
    assert_eq!(release.branches.len(), 1, "from ExtraInfo");
}

#[test]
fn xml_tolerates_a_bom_empty_strings_and_a_missing_default() {
    let file = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n{}",
        container(
            "<ActionStruct><ActionID>1</ActionID><Action>END</Action><Caption /><Parameters /></ActionStruct>\
             <ActionStruct><ActionID>2</ActionID><Action>BEGIN</Action><Caption>Go</Caption>\
             <Parameters><string /><string></string><string>0</string></Parameters>\
             <DefaultNextAction><Text /><ActionID>1</ActionID><Index>0</Index></DefaultNextAction>\
             <Unknown><Deep /></Unknown></ActionStruct>"
        )
    );
    let text = import_from_xml(&file);
    assert_eq!(path(&run_with(&text, &[])), ["Go", "END"]);
}

#[test]
fn malformed_xml_names_the_line_and_column() {
    let xml = phone_xml();
    let e = xml_error(&xml[..xml.find("</Actions>").unwrap()]);
    assert!(e.to_string().contains("never closed"), "{e}");
    let e = xml_error("<ScriptContainer>\r\n  <Actions>\r\n  </Action>\r\n</ScriptContainer>");
    assert!(matches!(e, StudioError::XmlSyntax { line: 3, .. }), "{e}");
    for n in (0..xml.len()).step_by(211) {
        let _ = import_xml(&xml[..n], "x");
    }
    let cases = [
        ("<Other/>", "line 1, column 1: the root element is <Other>"),
        ("<ScriptContainer/>", "no <Actions> element"),
        (
            &container("<ActionStruct><Action>END</Action></ActionStruct>"),
            "without <ActionID>",
        ),
        (
            &container("<ActionStruct><ActionID>one</ActionID></ActionStruct>"),
            "<ActionID> is \"one\", expected an integer",
        ),
        (
            &container("<ActionStruct><ActionID>1</ActionID></ActionStruct>"),
            "no action type",
        ),
    ];
    for (file, expected) in cases {
        let e = xml_error(file);
        assert!(
            e.to_string().contains(expected),
            "{file}\n  gave: {e}\n  wanted: {expected}"
        );
    }
}

#[test]
fn xml_duplicate_ids_and_dangling_targets_are_refused_with_the_place() {
    let dup = container(
        "<ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action></ActionStruct>\n\
         <ActionStruct><ActionID>1</ActionID><Action>END</Action></ActionStruct>",
    );
    let e = xml_error(&dup);
    assert!(e.to_string().contains("line 2, column"), "{e}");
    assert!(
        matches!(e, StudioError::DuplicateActionId { id: 1, .. }),
        "{e}"
    );
    let dangling = container(
        "<ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action>\
         <DefaultNextAction><ActionID>7</ActionID></DefaultNextAction></ActionStruct>",
    );
    let e = xml_error(&dangling);
    assert!(
        matches!(e, StudioError::DanglingTarget { target: 7, .. }),
        "{e}"
    );
}

#[test]
fn xml_entities_are_never_expanded() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><Caption>&lol3;</Caption></ActionStruct></Actions></ScriptContainer>"#;
    assert!(matches!(xml_error(laughs), StudioError::XmlSyntax { .. }));
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><Caption>&ext;</Caption></ActionStruct></Actions></ScriptContainer>"#;
    assert!(matches!(xml_error(external), StudioError::XmlSyntax { .. }));
    let deep = format!(
        "<ScriptContainer>{}{}</ScriptContainer>",
        "<a>".repeat(50_000),
        "</a>".repeat(50_000)
    );
    let _ = import_xml(&deep, "x");
}

// ---- the command line

#[test]
fn import_writes_formatted_script_text_to_stdout() {
    let out = cargo_bin_cmd!("studioflow")
        .arg("import")
        .arg(fixture("phone.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, import(&phone_json()));
}

#[test]
fn import_dash_o_writes_the_file_and_never_over_the_input() {
    let dir = tempfile::TempDir::new().unwrap();
    let input = dir.path().join("Main.json");
    std::fs::write(&input, phone_json()).unwrap();
    let out_path = dir.path().join("Main.script");
    let out = cargo_bin_cmd!("studioflow")
        .arg("import")
        .arg(&input)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        import(&phone_json())
    );
    let check = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let over = cargo_bin_cmd!("studioflow")
        .current_dir(dir.path())
        .args(["import", "Main.json", "-o", "./Main.json"])
        .output()
        .unwrap();
    assert_eq!(over.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&over.stderr).contains("names the input file"));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), phone_json());
}

#[test]
fn import_reads_desktop_studio_xml() {
    let out = cargo_bin_cmd!("studioflow")
        .arg("import")
        .arg(fixture("phone.xml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        import_from_xml(&phone_xml())
    );
}

#[test]
fn import_refuses_bad_input_with_exit_2() {
    let dir = tempfile::TempDir::new().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"actions": {"1": {"name": "BEGIN"}}, "branches": {"1": [{"to": 4}]}}"#,
    )
    .unwrap();
    let xml = dir.path().join("flow.xml");
    std::fs::write(&xml, "<ScriptContainer/>").unwrap();
    let other = dir.path().join("flow.txt");
    std::fs::write(&other, "{}").unwrap();
    let missing = dir.path().join("missing.json");
    for (file, expected) in [
        (&bad, "/branches/1/0/to: branch target 4 is no action"),
        (&xml, "no <Actions> element"),
        (&other, "expected FILE.json or FILE.xml"),
        (&missing, "error:"),
    ] {
        let out = cargo_bin_cmd!("studioflow")
            .arg("import")
            .arg(file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn run_check_graph_pause_and_resume_take_studio_files_directly() {
    let dir = tempfile::tempdir().unwrap();
    // `run Main.xml --event digits:2 --json` runs the imported menu flow.
    let out = cargo_bin_cmd!("studioflow")
        .arg("run")
        .arg(fixture("phone.xml"))
        .args(["--event", "digits:2", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["outcome"], "completed");
    let heard: Vec<&str> = doc["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(heard.contains(&"Support"), "{heard:?}");
    // check and graph read it too.
    let check = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(fixture("phone.json"))
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let graph = cargo_bin_cmd!("studioflow")
        .args(["graph", "--format", "mermaid"])
        .arg(fixture("phone.json"))
        .output()
        .unwrap();
    assert_eq!(
        graph.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&graph.stderr)
    );
    assert!(String::from_utf8_lossy(&graph.stdout).contains("Main_menu"));
    // A waiting run of a JSON file pauses, and resumes from the same file.
    let pause = dir.path().join("call.pause");
    let key = "ab".repeat(32);
    let paused = cargo_bin_cmd!("studioflow")
        .env("STUDIOFLOW_PAUSE_KEY", &key)
        .arg("run")
        .arg(fixture("phone.json"))
        .arg("--pause")
        .arg(&pause)
        .output()
        .unwrap();
    assert_eq!(
        paused.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&paused.stderr)
    );
    let resumed = cargo_bin_cmd!("studioflow")
        .env("STUDIOFLOW_PAUSE_KEY", &key)
        .arg("resume")
        .arg(&pause)
        .args(["--event", "digits:1", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    // A malformed Studio file is exit 2 naming the file and the place.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"header": {}, "actions": {"1": {"name": 5}}}"#).unwrap();
    let refused = cargo_bin_cmd!("studioflow")
        .arg("run")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("bad.json") && message.contains("/actions/1"),
        "{message}"
    );
}

#[test]
fn test_files_test_studio_files_and_refuse_a_name_shared_by_two_scripts() {
    use studioflow::testing::TestRunner;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("phone.json"), dir.path().join("Main.json")).unwrap();
    std::fs::copy(fixture("phone.xml"), dir.path().join("Desk.xml")).unwrap();
    let cases = r#"
[[case]]
name = "support"
events = ["digits:2"]
[case.expect]
path = ["BEGIN", "Welcome", "Main_menu", "Pick_the_skill", "Queue", "Goodbye", "Caller_hangs_up", "Note_the_end"]
variables = { skill = "Support" }
"#;
    // Main.test.toml beside Main.json tests it; `script = "Desk.xml"` names an XML file.
    std::fs::write(dir.path().join("Main.test.toml"), cases).unwrap();
    std::fs::write(
        dir.path().join("desk_cases.test.toml"),
        format!("script = \"Desk.xml\"\n{cases}"),
    )
    .unwrap();
    let runner = TestRunner::new();
    for name in ["Main.test.toml", "desk_cases.test.toml"] {
        let file = runner
            .load(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = runner.run_file(&file);
        for case in &report.cases {
            assert!(case.mismatches.is_empty(), "{name}: {:?}", case.mismatches);
        }
        assert_eq!(report.cases.len(), 1);
    }
    // Main.script beside Main.json: which one is meant must be said.
    std::fs::write(dir.path().join("Main.script"), "start: Begin\n").unwrap();
    let e = runner
        .load(dir.path().join("Main.test.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cannot tell which script")
            && e.contains("Main.json")
            && e.contains("Main.script"),
        "{e}"
    );
    // A Studio file that cannot be imported is named.
    std::fs::write(dir.path().join("Bad.json"), "{\"actions\": 5}").unwrap();
    std::fs::write(dir.path().join("Bad.test.toml"), cases).unwrap();
    let e = runner
        .load(dir.path().join("Bad.test.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the Studio file") && e.contains("Bad.json"),
        "{e}"
    );
}
