//! RunSub finds a subscript as `NAME.script`, then `NAME.json`, then
//! `NAME.xml` (issue 20): a Studio file is imported as `studioflow import`
//! imports it, and `run`, `check`, `graph` and `test` all see it.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use studioflow::{FileResolver, ResolveError, ScriptResolver};

/// A subscript in CXone Studio JSON: `r = "json {p1}"`, returns `r`.
const LOOKUP_JSON: &str = r#"{"header": {"scriptName": "Lookup"},
 "actions": {
   "1": {"actionId": 1, "name": "BEGIN", "label": "start"},
   "2": {"actionId": 2, "name": "ASSIGN", "label": "find"},
   "3": {"actionId": 3, "name": "RETURN", "label": "back"}
 },
 "properties": {
   "2": {"0": {"name": "Variable", "value": "r"}, "1": {"name": "Value", "value": "json {p1}"}},
   "3": {"0": {"name": "ReturnValue", "value": "{r}"}}
 },
 "branches": {"1": [{"to": 2, "type": "default"}], "2": [{"to": 3, "type": "default"}]}}
"#;

/// The same subscript in Desktop Studio XML (CRLF, as Studio writes it),
/// returning `xml {p1}`.
const LOOKUP_XML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ScriptContainer>\r\n  <Actions>\r\n    <ActionStruct>\r\n      <ActionID>1</ActionID>\r\n      <Action>BEGIN</Action>\r\n      <Caption>start</Caption>\r\n      <DefaultNextAction><ActionID>2</ActionID></DefaultNextAction>\r\n    </ActionStruct>\r\n    <ActionStruct>\r\n      <ActionID>2</ActionID>\r\n      <Action>RETURN</Action>\r\n      <Caption>back</Caption>\r\n      <Parameters>\r\n        <string>xml {p1}</string>\r\n      </Parameters>\r\n    </ActionStruct>\r\n  </Actions>\r\n</ScriptContainer>\r\n";

const LOOKUP_SCRIPT: &str =
    "start: Begin { Default -> back }\nback: Return { ReturnValue = \"script {p1}\" }\n";

/// A main `.script` calling `name` with "gold".
fn main_script(name: &str) -> String {
    format!(
        "start: Begin {{ Default -> call }}\ncall: RunSub {{ ScriptName = \"{}\" Parameters = [\"gold\"] ReturnVariable = Answer Default -> done Error -> failed }}\ndone: End\nfailed: End\n",
        name.replace('\\', "\\\\")
    )
}

/// A main CXone Studio JSON script calling `name` (a Studio path) with "Ada".
fn main_json(name: &str) -> String {
    serde_json::json!({
        "header": {"scriptName": "Main"},
        "actions": {
            "1": {"actionId": 1, "name": "BEGIN", "label": "start"},
            "2": {"actionId": 2, "name": "RUNSUB", "label": "Greet the caller"},
            "3": {"actionId": 3, "name": "END", "label": "done"}
        },
        "properties": {
            "2": {
                "0": {"name": "ScriptName", "value": name},
                "1": {"name": "ReturnType", "value": ""},
                "2": {"name": "ReturnVariable", "value": "Greeting"},
                "3": {"name": "Parameters", "value": "Ada"}
            }
        },
        "branches": {"1": [{"to": 2, "type": "default"}], "2": [{"to": 3, "type": "default"}]}
    })
    .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// `studioflow run FILE --json`: the exit code and the JSON document.
fn run(file: &Path) -> (i32, Value, String) {
    let out = cargo_bin_cmd!("studioflow")
        .arg("run")
        .arg(file)
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), doc, stderr)
}

fn answer(file: &Path, variable: &str) -> String {
    let (code, doc, stderr) = run(file);
    assert_eq!(code, 0, "{}: {stderr}\n{doc}", file.display());
    assert_eq!(doc["outcome"], "completed", "{doc}");
    doc["variables"][variable]
        .as_str()
        .unwrap_or_else(|| panic!("{doc}"))
        .to_string()
}

#[test]
fn a_script_calls_a_subscript_stored_as_json_in_run_check_graph_and_test() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let main = write(d, "main.script", &main_script("Lookup"));
    let lookup = write(d, "Lookup.json", LOOKUP_JSON);
    assert_eq!(answer(&main, "Answer"), "json gold");

    // The subscript's steps carry the name it was called by.
    let (_, doc, _) = run(&main);
    let steps: Vec<(String, String)> = doc["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["script"].as_str().unwrap_or("").to_string(),
                s["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        steps.contains(&("Lookup".to_string(), "find".to_string())),
        "{steps:?}"
    );

    let check = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // graph compiles the call, and knows the subscript is one of its inputs.
    let graph = cargo_bin_cmd!("studioflow")
        .args(["graph", "--format", "mermaid"])
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(graph.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&graph.stdout).contains("call"));
    let over = cargo_bin_cmd!("studioflow")
        .arg("graph")
        .arg(&main)
        .arg("-o")
        .arg(&lookup)
        .output()
        .unwrap();
    assert_eq!(over.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&lookup).unwrap(), LOOKUP_JSON);

    // A test file mocks an action inside the imported subscript by its
    // imported id.
    write(
        d,
        "main.test.toml",
        r#"
[[case]]
name = "the JSON subscript answers"
expect = { variables = { Answer = "json gold" }, path = ["start", "call", "Lookup:start", "Lookup:find", "Lookup:back", "done"] }

[[case]]
name = "its find is mocked"
mock = [{ action = "Lookup:find", results = [{ set = { r = "mocked" } }] }]
expect = { variables = { Answer = "mocked" } }
"#,
    );
    let test = cargo_bin_cmd!("studioflow")
        .arg("test")
        .arg(d)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert_eq!(
        test.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(stdout.contains("2 passed, 0 failed"), "{stdout}");
}

#[test]
fn a_json_script_calls_an_xml_subscript_by_its_studio_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Studio writes folder paths with backslashes.
    let main = write(d, "Main.json", &main_json("Tools\\Greet"));
    write(d, "Tools/Greet.xml", LOOKUP_XML);
    assert_eq!(answer(&main, "Greeting"), "xml Ada");
    // A forward slash and the extension written out find it too.
    let slash = write(d, "Slash.json", &main_json("Tools/Greet.xml"));
    assert_eq!(answer(&slash, "Greeting"), "xml Ada");
    let check = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn script_comes_before_json_and_json_before_xml() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let main = write(d, "main.script", &main_script("Lookup"));
    write(d, "Lookup.xml", LOOKUP_XML);
    assert_eq!(answer(&main, "Answer"), "xml gold");
    write(d, "Lookup.json", LOOKUP_JSON);
    assert_eq!(answer(&main, "Answer"), "json gold");
    write(d, "Lookup.script", LOOKUP_SCRIPT);
    assert_eq!(answer(&main, "Answer"), "script gold");
    // A name with its extension is that file, whatever else exists.
    for (name, expected) in [
        ("Lookup.xml", "xml gold"),
        ("Lookup.json", "json gold"),
        ("Lookup.script", "script gold"),
    ] {
        let caller = write(d, "explicit.script", &main_script(name));
        assert_eq!(answer(&caller, "Answer"), expected, "{name}");
    }
}

#[test]
fn the_resolver_says_where_it_looked_and_names_a_bad_studio_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let caller = d.join("main.script");
    let caller = caller.to_str().unwrap();
    let resolver = FileResolver::new(1 << 20);
    match resolver.resolve("Missing", caller) {
        Err(ResolveError::NotFound { looked_for, .. }) => {
            let expected = ["script", "json", "xml"].map(|x| d.join(format!("Missing.{x}")));
            assert_eq!(
                looked_for,
                format!(
                    "{}, {} or {}",
                    expected[0].display(),
                    expected[1].display(),
                    expected[2].display()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    // A backslash separates folders, and `..` still may not leave the root
    // (the caller's folder here, as there is no studioflow.toml).
    write(d, "outside.json", LOOKUP_JSON);
    let inner = write(d, "inner/main.script", "start: Begin");
    assert!(matches!(
        resolver.resolve("..\\outside", inner.to_str().unwrap()),
        Err(ResolveError::OutsideRoot { .. })
    ));

    // A malformed Studio subscript: the error names the file and the place.
    let bad = write(d, "Bad.json", &LOOKUP_JSON[..200]);
    match resolver.resolve("Bad", caller) {
        Err(ResolveError::Read { message, .. }) => {
            assert!(
                message.starts_with(&format!("{}: line ", bad.display())),
                "{message}"
            );
            assert!(message.contains("not valid JSON"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // ... through the binary too: exit 2.
    let main = write(d, "main.script", &main_script("Bad"));
    let check = cargo_bin_cmd!("studioflow")
        .arg("check")
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    // check reports diagnostics on stdout.
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("error[unresolved-subscript]: subscript `Bad`: ")
            && stdout.contains("Bad.json: line 5, column 29: not valid JSON"),
        "{stdout}"
    );

    // UTF-16 with a byte-order mark is read, as for the main script.
    let mut wide = vec![0xFF, 0xFE];
    wide.extend(LOOKUP_XML.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(d.join("Wide.xml"), wide).unwrap();
    let found = resolver.resolve("Wide", caller).unwrap();
    assert!(found.name.ends_with("Wide.xml"), "{}", found.name);
    assert!(found.source.contains("\"xml {p1}\""), "{}", found.source);

    // The file-size limit holds for Studio subscripts.
    let small = FileResolver::new(100);
    match small.resolve("Wide", caller) {
        Err(ResolveError::Read { message, .. }) => {
            assert!(message.contains("over the limit of 100 bytes"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
