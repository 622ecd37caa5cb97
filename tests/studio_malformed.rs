//! Malformed Studio files (issue 20): truncated, mutated, wrong types,
//! duplicate ActionIDs, dangling targets, DTDs and entities, deep nesting,
//! files over the limits, other encodings. Each is refused with its place
//! (a JSON path, or an XML line and column), never a panic, a stack overflow
//! or a file's worth of memory many times over; a BOM, CRLF and UTF-16 with
//! a byte-order mark are read.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use proptest::prelude::*;
use serde_json::{json, Value};
use studioflow::studio::json::MAX_JSON_VALUES;
use studioflow::studio::xml::MAX_XML_NODES;
use studioflow::studio::{
    decode, import_bytes, import_json, import_xml, StudioError, StudioFormat,
};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/studio")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// Whether the message names where in the file it went wrong: a line and
/// column, or a JSON Pointer; only a file without a Begin is wrong as a
/// whole.
fn names_a_place(e: &StudioError) -> bool {
    let message = e.to_string();
    let line_column = message
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(", column "))
        .is_some_and(|(line, rest)| {
            // "line L, column C: ..." or, naming the element, "line L,
            // column C, <Action>: ...".
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            line.parse::<usize>().is_ok_and(|l| l >= 1)
                && rest[..digits].parse::<usize>().is_ok_and(|c| c >= 1)
                && (rest[digits..].starts_with(':') || rest[digits..].starts_with(", <"))
        });
    line_column || message.starts_with('/') || matches!(e, StudioError::NoBegin)
}

fn json_error(text: &str) -> StudioError {
    match import_json(text, "x") {
        Ok(imported) => panic!("imported:\n{}", imported.text),
        Err(e) => e,
    }
}

fn xml_error(text: &str) -> StudioError {
    match import_xml(text, "x") {
        Ok(imported) => panic!("imported:\n{}", imported.text),
        Err(e) => e,
    }
}

/// The line a message names (`line L, column C: ...`).
fn line_of(e: &StudioError) -> usize {
    let message = e.to_string();
    let rest = message
        .strip_prefix("line ")
        .unwrap_or_else(|| panic!("{message}"));
    rest.split(',').next().unwrap().parse().unwrap()
}

// ---- truncated files

#[test]
fn every_prefix_of_the_json_fixture_is_refused_with_its_place() {
    let full = fixture("phone.json");
    assert!(import_json(&full, "x").is_ok());
    for n in 0..full.len() {
        let prefix = &full[..n];
        if prefix.trim_end() == full.trim_end() {
            continue;
        }
        let e = json_error(prefix);
        assert!(names_a_place(&e), "prefix of {n} bytes: {e}");
        // The place is inside the prefix (or just after its end).
        if let StudioError::Syntax { line, .. } = e {
            assert!(
                line <= prefix.lines().count() + 1,
                "prefix of {n} bytes: {e}"
            );
        }
    }
}

#[test]
fn every_prefix_of_the_xml_fixture_is_refused_with_its_place() {
    let full = fixture("phone.xml");
    assert!(import_xml(&full, "x").is_ok());
    for n in 0..full.len() {
        let prefix = &full[..n];
        if prefix.trim_end() == full.trim_end() {
            continue;
        }
        let e = xml_error(prefix);
        assert!(names_a_place(&e), "prefix of {n} bytes: {e}");
        assert!(
            line_of(&e) <= prefix.lines().count() + 1,
            "prefix of {n} bytes: {e}"
        );
    }
    // Cut inside a tag, or after one: the place is the end of the text.
    for cut in [full.find("<Caption>").unwrap() + 4, full.len() / 2] {
        let e = xml_error(&full[..cut]);
        assert!(e.to_string().contains("the text ends early"), "{e}");
        assert_eq!(line_of(&e), full[..cut].split('\n').count(), "{e}");
    }
}

// ---- random damage

/// Up to four byte edits: (where, what) replaces, inserts or deletes.
fn damage() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, u8)>> {
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..5)
}

fn apply(mut bytes: Vec<u8>, edits: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
    for (at, kind, byte) in edits {
        let i = at.index(bytes.len().max(1)).min(bytes.len());
        match kind {
            0 if i < bytes.len() => bytes[i] = *byte,
            1 => bytes.insert(i, *byte),
            _ if i < bytes.len() => {
                bytes.remove(i);
            }
            _ => bytes.push(*byte),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn damaged_files_are_read_or_refused_with_a_place(edits in damage(), xml in any::<bool>()) {
        let (name, format) = if xml {
            ("phone.xml", StudioFormat::Xml)
        } else {
            ("phone.json", StudioFormat::Json)
        };
        let bytes = apply(fixture(name).into_bytes(), &edits);
        if let Err(e) = import_bytes(&bytes, format, "x") {
            prop_assert!(names_a_place(&e), "{e}");
        }
    }
}

// ---- wrong types, duplicates and dangling targets (JSON)

/// A valid file: a Begin, then Assigns, then an End, chained by Default.
fn chain_file(ids: &[i64]) -> Value {
    let mut actions = serde_json::Map::new();
    let mut properties = serde_json::Map::new();
    let mut branches = serde_json::Map::new();
    for (i, id) in ids.iter().enumerate() {
        let name = match i {
            0 => "BEGIN",
            _ if i + 1 == ids.len() => "END",
            _ => "ASSIGN",
        };
        actions.insert(
            id.to_string(),
            json!({"actionId": id, "name": name, "label": format!("step {i}"), "x": 10, "y": 20 * i}),
        );
        if name == "ASSIGN" {
            properties.insert(
                id.to_string(),
                json!({"0": {"name": "Variable", "value": format!("v{i}")}, "1": {"name": "Value", "value": "1"}}),
            );
        }
        if let Some(next) = ids.get(i + 1) {
            branches.insert(
                id.to_string(),
                json!([{"to": next, "type": "default", "label": ""}]),
            );
        }
    }
    json!({"header": {"scriptName": "t", "mediaType": 4}, "actions": actions, "properties": properties, "branches": branches})
}

/// Distinct ActionIDs, the Begin's the highest (the entry).
fn action_ids() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::btree_set(1i64..100_000, 3..9).prop_map(|set| {
        let mut ids: Vec<i64> = set.into_iter().collect();
        ids.rotate_right(1);
        ids
    })
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    ActionIdText,
    ActionIdOther,
    NameNumber,
    LabelArray,
    XText,
    PropertiesArray,
    BranchesObject,
    BranchesText,
    ToText,
    ToDangling,
    ActionsArray,
}

fn any_damage() -> impl Strategy<Value = Damage> {
    use Damage::*;
    prop::sample::select(vec![
        ActionIdText,
        ActionIdOther,
        NameNumber,
        LabelArray,
        XText,
        PropertiesArray,
        BranchesObject,
        BranchesText,
        ToText,
        ToDangling,
        ActionsArray,
    ])
}

/// Damages `file` at the action `id` (one with a Default branch and a
/// successor `next`); returns the message the reader must give.
fn spoil(file: &mut Value, damage: Damage, id: i64, next: i64) -> String {
    let k = id.to_string();
    let action = &mut file["actions"][&k];
    match damage {
        Damage::ActionIdText => {
            action["actionId"] = json!("seven");
            format!("/actions/{k}/actionId: expected an integer, found \"seven\"")
        }
        Damage::ActionIdOther => {
            action["actionId"] = json!(next);
            format!("/actions/{k}/actionId: actionId {next} does not match its key \"{k}\"")
        }
        Damage::NameNumber => {
            action["name"] = json!(5);
            format!("/actions/{k}/name: expected a string, found a number")
        }
        Damage::LabelArray => {
            action["label"] = json!(["a"]);
            format!("/actions/{k}/label: expected a string, found an array")
        }
        Damage::XText => {
            action["x"] = json!("left");
            format!("/actions/{k}/x: expected an integer, found \"left\"")
        }
        Damage::PropertiesArray => {
            file["properties"][&k] = json!(["Variable", "v"]);
            format!("/properties/{k}: expected an object, found an array")
        }
        Damage::BranchesObject => {
            file["branches"][&k] = json!({"to": next});
            format!("/branches/{k}: expected an array, found an object")
        }
        Damage::BranchesText => {
            file["branches"][&k] = json!("next");
            format!("/branches/{k}: expected an array, found a string")
        }
        Damage::ToText => {
            file["branches"][&k][0]["to"] = json!("next");
            format!("/branches/{k}/0/to: expected an integer, found \"next\"")
        }
        Damage::ToDangling => {
            file["branches"][&k][0]["to"] = json!(100_001);
            format!("/branches/{k}/0/to: branch target 100001 is no action in the file")
        }
        Damage::ActionsArray => {
            let list: Vec<Value> = file["actions"]
                .as_object()
                .unwrap()
                .values()
                .cloned()
                .collect();
            file["actions"] = Value::Array(list);
            "/actions: expected an object, found an array".into()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_wrong_type_is_refused_naming_its_json_path(
        ids in action_ids(),
        at in any::<prop::sample::Index>(),
        damage in any_damage(),
    ) {
        let mut file = chain_file(&ids);
        prop_assert!(import_json(&file.to_string(), "x").is_ok(), "{file}");
        let i = at.index(ids.len() - 1);
        let expected = spoil(&mut file, damage, ids[i], ids[i + 1]);
        let e = json_error(&serde_json::to_string_pretty(&file).unwrap());
        prop_assert_eq!(e.to_string(), expected);
    }

    #[test]
    fn an_unconnected_branch_is_no_error(ids in action_ids(), at in any::<prop::sample::Index>()) {
        let mut file = chain_file(&ids);
        let i = at.index(ids.len() - 1);
        file["branches"][ids[i].to_string()][0]["to"] = json!(-1);
        let imported = import_json(&file.to_string(), "x");
        prop_assert!(imported.is_ok(), "{:?}", imported.err());
    }

    #[test]
    fn a_duplicate_action_id_names_the_second(ids in action_ids(), at in any::<prop::sample::Index>()) {
        let file = chain_file(&ids);
        let i = at.index(ids.len());
        let k = ids[i].to_string();
        // A duplicate key, as a careless merge writes it: JSON parsers
        // usually keep the last one silently.
        let text = file.to_string().replacen(
            "\"actions\":{",
            &format!("\"actions\":{{\"{k}\":{{\"actionId\":{k},\"name\":\"END\"}},"),
            1,
        );
        let e = json_error(&text);
        prop_assert_eq!(e, StudioError::DuplicateActionId { path: format!("/actions/{k}"), id: ids[i] });
    }
}

// ---- duplicates and dangling targets (XML): the line is named

fn xml_file(actions: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ScriptContainer>\r\n<Actions>\r\n{}\r\n</Actions>\r\n</ScriptContainer>\r\n",
        actions.join("\r\n")
    )
}

/// One `<ActionStruct>` on one line (line `4 + i` of [`xml_file`]).
fn xml_action(id: i64, keyword: &str, next: Option<i64>) -> String {
    let default = next.map_or(String::new(), |n| {
        format!("<DefaultNextAction><ActionID>{n}</ActionID></DefaultNextAction>")
    });
    format!("<ActionStruct><ActionID>{id}</ActionID><Action>{keyword}</Action><Caption>a{id}</Caption>{default}</ActionStruct>")
}

fn xml_chain(ids: &[i64]) -> Vec<String> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let keyword = if i == 0 { "BEGIN" } else { "END" };
            xml_action(*id, keyword, (i == 0).then(|| ids[1]))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn xml_duplicates_and_dangling_targets_name_their_line(
        ids in action_ids(),
        at in any::<prop::sample::Index>(),
    ) {
        let lines = xml_chain(&ids);
        prop_assert!(import_xml(&xml_file(&lines), "x").is_ok());
        let i = at.index(ids.len());
        // A copy of action i right after the last action: line 4 + len.
        let mut dup = lines.clone();
        dup.push(xml_action(ids[i], "END", None));
        let e = xml_error(&xml_file(&dup));
        prop_assert!(matches!(e, StudioError::DuplicateActionId { id, .. } if id == ids[i]), "{e}");
        prop_assert_eq!(line_of(&e), 4 + ids.len(), "{}", e);
        // Action i points at an ActionID nobody has.
        let mut dangling = lines.clone();
        dangling[i] = xml_action(ids[i], if i == 0 { "BEGIN" } else { "END" }, Some(100_001));
        let e = xml_error(&xml_file(&dangling));
        prop_assert!(matches!(e, StudioError::DanglingTarget { target: 100_001, .. }), "{e}");
        prop_assert_eq!(line_of(&e), 4 + i, "{}", e);
        // -1 is not connected: no error.
        let mut unconnected = lines;
        unconnected[i] = xml_action(ids[i], if i == 0 { "BEGIN" } else { "END" }, Some(-1));
        prop_assert!(import_xml(&xml_file(&unconnected), "x").is_ok());
    }
}

#[test]
fn action_ids_below_1_are_refused_at_their_place() {
    for id in ["0", "-1", "-9223372036854775808"] {
        let e = json_error(&format!(
            r#"{{"actions": {{"1": {{"name": "BEGIN"}}, "{id}": {{"name": "END"}}}}}}"#
        ));
        assert_eq!(
            e.to_string(),
            format!("/actions/{id}: Studio ActionIDs are whole numbers from 1, not {id}")
        );
        let e = xml_error(&xml_file(&[
            xml_action(1, "BEGIN", None),
            format!("<ActionStruct>  <ActionID>{id}</ActionID><Action>END</Action></ActionStruct>"),
        ]));
        assert_eq!(
            e.to_string(),
            format!("line 5, column 17: Studio ActionIDs are whole numbers from 1, not {id}")
        );
    }
}

#[test]
fn xml_wrong_types_name_their_line() {
    let cases = [
        ("<ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><X>left</X></ActionStruct>", "<X> is \"left\", expected an integer"),
        ("<ActionStruct><ActionID>1.5e300</ActionID><Action>BEGIN</Action></ActionStruct>", "<ActionID> is \"1.5e300\", expected an integer"),
        ("<ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><DefaultNextAction><ActionID>next</ActionID></DefaultNextAction></ActionStruct>", "<ActionID> is \"next\""),
        ("<ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><Branches><BranchStruct><ActionID>99</ActionID><Text>Error</Text></BranchStruct></Branches></ActionStruct>", "branch target 99 is no action"),
    ];
    for (action, expected) in cases {
        let file = xml_file(&[String::from("<!-- line 4 -->"), action.to_string()]);
        let e = xml_error(&file);
        assert!(e.to_string().starts_with("line 5, column "), "{e}");
        assert!(e.to_string().contains(expected), "{e}\nwanted: {expected}");
    }
}

// ---- DTDs and entities

#[test]
fn dtds_are_refused_naming_their_line_so_no_entity_is_expanded() {
    let container = "<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><Caption>&lol9;</Caption></ActionStruct></Actions></ScriptContainer>";
    let mut laughs = String::from("<?xml version=\"1.0\"?>\r\n<!-- a comment -->\r\n<!DOCTYPE lolz [\r\n<!ENTITY lol \"lol\">\r\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", level - 1)
        };
        laughs += &format!(
            "<!ENTITY lol{level} \"{}\">\r\n",
            format!("&{previous};").repeat(10)
        );
    }
    laughs += "]>\r\n";
    laughs += container;
    let external = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY lol9 SYSTEM \"file:///etc/passwd\">]>\n{container}"
    );
    let parameter = format!(
        "<?xml version=\"1.0\"?>\n\n  <!DOCTYPE x [<!ENTITY % p SYSTEM \"http://127.0.0.1/evil.dtd\"> %p;]>\n{container}"
    );
    let public = format!(
        "<!DOCTYPE ScriptContainer PUBLIC \"-//x//y\" \"http://127.0.0.1/s.dtd\">{container}"
    );
    // Not even a DTD: roxmltree refuses the lowercase spelling as it is.
    let lowercase = format!("<!doctype x [<!ENTITY lol9 \"lol\">]>\n{container}");
    assert!(matches!(
        xml_error(&lowercase),
        StudioError::XmlSyntax { line: 1, .. }
    ));
    for (file, line, column) in [
        (laughs, 3, 1),
        (external, 2, 1),
        (parameter, 3, 3),
        (public, 1, 1),
    ] {
        let started = std::time::Instant::now();
        let e = xml_error(&file);
        assert!(
            started.elapsed().as_secs() < 5,
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(
            e,
            StudioError::XmlSyntax {
                line,
                column,
                message: "a DTD (<!DOCTYPE ...>) is refused: Studio files have none, and no entity is ever expanded".into()
            },
            "{file}"
        );
    }
    // Without a DTD an entity is unknown, never looked up.
    let e = xml_error(container);
    let column = container.find("&lol9;").unwrap() + 1;
    assert_eq!(
        e.to_string(),
        format!("line 1, column {column}: not valid XML: unknown entity reference 'lol9'")
    );
}

// ---- deep nesting: bounded, on a small stack

/// Runs `f` on a thread with a 256 KiB stack: a reader that recursed once
/// per level of nesting would overflow it long before 100,000 levels.
fn on_a_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow, no panic")
}

#[test]
fn deep_json_nesting_is_refused_with_its_place_on_a_small_stack() {
    let errors = on_a_small_stack(|| {
        let arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let objects = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        let inside = format!(
            "{{\"actions\": {{\"1\": {{\"name\": \"BEGIN\", \"extra\": {}{}}}}}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        [arrays, objects, inside].map(|text| import_json(&text, "x").unwrap_err())
    });
    for e in errors {
        assert!(
            matches!(&e, StudioError::Syntax { line: 1, message, .. } if message == "recursion limit exceeded"),
            "{e}"
        );
    }
}

#[test]
fn deep_xml_nesting_is_read_without_recursion_on_a_small_stack() {
    let results = on_a_small_stack(|| {
        let deep = |n: usize| format!("{}x{}", "<a>".repeat(n), "</a>".repeat(n));
        let in_root = format!("<ScriptContainer>{}</ScriptContainer>", deep(100_000));
        let in_caption = format!(
            "<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><Caption>{}</Caption></ActionStruct></Actions></ScriptContainer>",
            deep(100_000)
        );
        let unclosed = format!("<ScriptContainer>{}", "<a>".repeat(100_000));
        (
            import_xml(&in_root, "x").unwrap_err(),
            import_xml(&in_caption, "x").map(|i| i.text),
            import_xml(&unclosed, "x").unwrap_err(),
        )
    });
    assert_eq!(
        results.0.to_string(),
        "line 1, column 1: no <Actions> element"
    );
    // Elements inside a caption are no text: the caption is empty.
    let text = results.1.unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("BEGIN: Begin"), "{text}");
    assert!(
        results.2.to_string().contains("the text ends early"),
        "{}",
        results.2
    );
}

// ---- limits

#[test]
fn a_json_file_of_too_many_values_is_refused_where_it_passes_the_limit() {
    let file = |values: usize| {
        format!(
            "{{\"actions\": {{\"1\": {{\"name\": \"BEGIN\", \"extra\": [\n{}]}}}}}}",
            vec!["0"; values].join(",")
        )
    };
    // root, actions, the action, its name, extra: 5 values besides the zeros.
    assert!(import_json(&file(MAX_JSON_VALUES - 5), "x").is_ok());
    let e = json_error(&file(MAX_JSON_VALUES - 4));
    assert_eq!(
        e,
        StudioError::Syntax {
            line: 2,
            column: 2 * (MAX_JSON_VALUES - 4) - 1,
            message: format!("more than {MAX_JSON_VALUES} values (the limit for a Studio file)"),
        }
    );
}

#[test]
fn an_xml_file_of_too_many_nodes_is_refused() {
    let n = MAX_XML_NODES as usize;
    let e = xml_error(&format!(
        "<ScriptContainer><Actions>{}</Actions></ScriptContainer>",
        "<a/>".repeat(n)
    ));
    assert_eq!(
        e.to_string(),
        format!("line 1, column 1: not valid XML: the file has more than {n} XML nodes (the limit for a Studio file)")
    );
}

// ---- encodings

fn utf16(text: &str, little: bool) -> Vec<u8> {
    let mut out = if little {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        out.extend(if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

#[test]
fn a_bom_crlf_and_utf16_with_a_bom_read_as_the_plain_file() {
    for (name, format) in [
        ("phone.json", StudioFormat::Json),
        ("phone.xml", StudioFormat::Xml),
    ] {
        let text = fixture(name);
        let lf = text.replace("\r\n", "\n");
        let crlf = lf.replace('\n', "\r\n");
        let import = |bytes: &[u8]| {
            import_bytes(bytes, format, "x")
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .text
        };
        // Unknown XML elements are kept as written, line ends included, so
        // each variant is compared with the plain file of its line ends.
        let plain_lf = import(lf.as_bytes());
        let plain_crlf = import(crlf.as_bytes());
        assert_eq!(
            import(format!("\u{feff}{crlf}").as_bytes()),
            plain_crlf,
            "{name}"
        );
        assert_eq!(
            import(format!("\u{feff}{lf}").as_bytes()),
            plain_lf,
            "{name}"
        );
        assert_eq!(import(&utf16(&crlf, true)), plain_crlf, "{name}");
        assert_eq!(import(&utf16(&lf, false)), plain_lf, "{name}");
        if format == StudioFormat::Json {
            assert_eq!(plain_lf, plain_crlf);
        }
    }
    // A declaration naming UTF-16 in a file that is UTF-8 is read all the same.
    let xml = fixture("phone.xml").replacen("encoding=\"utf-8\"", "encoding=\"utf-16\"", 1);
    assert!(import_bytes(xml.as_bytes(), StudioFormat::Xml, "x").is_ok());
}

#[test]
fn bytes_that_are_not_text_are_refused_naming_line_and_column() {
    let json = fixture("phone.json").replacen("Welcome", "Welc\u{e9}me", 1);
    let latin1: Vec<u8> = json.chars().map(|c| c as u32 as u8).collect();
    let e = import_bytes(&latin1, StudioFormat::Json, "x").unwrap_err();
    let line = json.lines().position(|l| l.contains("Welc")).unwrap() + 1;
    let column = json.lines().nth(line - 1).unwrap().find("Welc").unwrap() + 5;
    assert_eq!(
        e.to_string(),
        format!(
            "line {line}, column {column}: not UTF-8 text (the byte 0xE9); save the file as UTF-8"
        )
    );
    let no_bom: Vec<u8> = utf16(&fixture("phone.xml"), true)[2..].to_vec();
    let e = import_bytes(&no_bom, StudioFormat::Xml, "x").unwrap_err();
    assert!(
        e.to_string()
            .contains("looks like UTF-16 without a byte-order mark"),
        "{e}"
    );
    let e = decode(b"\x00\x00\xFE\xFF\x00\x00\x00{").unwrap_err();
    assert!(e.to_string().contains("UTF-32"), "{e}");
}

// ---- through the binary

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs `studioflow ARGS`, expects exit 2, returns stderr.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let out = cargo_bin_cmd!("studioflow").args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn commands_refuse_malformed_studio_files_with_exit_2_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truncated = write(d, "Cut.json", &fixture("phone.json")[..1000]);
    let wrong = write(
        d,
        "Wrong.json",
        r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "END", "label": ["x"]}}}"#,
    );
    let dangling = write(
        d,
        "Dangling.xml",
        xml_file(&[xml_action(1, "BEGIN", Some(7))]),
    );
    let dtd = write(d, "Dtd.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<ScriptContainer/>");
    let latin = write(
        d,
        "Latin.json",
        b"{\"actions\": {\"1\": {\"name\": \"BEGIN\", \"label\": \"caf\xE9\"}}}",
    );
    let cut = json_error(&fixture("phone.json")[..1000]).to_string();
    assert!(cut.starts_with("line "), "{cut}");
    let cut = format!("Cut.json: {cut}");
    for (command, file, place) in [
        ("check", &truncated, cut.as_str()),
        (
            "run",
            &wrong,
            "Wrong.json: /actions/2/label: expected a string, found an array",
        ),
        ("graph", &dangling, "Dangling.xml: line 4, column "),
        (
            "import",
            &dtd,
            "Dtd.xml: line 2, column 1: not valid XML: a DTD",
        ),
        (
            "check",
            &latin,
            "Latin.json: line 1, column 50: not UTF-8 text",
        ),
    ] {
        let stderr = refused(&[command.as_ref(), file.as_os_str()]);
        assert!(
            stderr.contains(place),
            "{command} {}: {stderr}\nwanted: {place}",
            file.display()
        );
    }
}

#[test]
fn a_studio_file_over_the_file_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(dir.path(), "Main.json", fixture("phone.json"));
    let stderr = refused(&[
        "check".as_ref(),
        json.as_os_str(),
        "--max-file-size".as_ref(),
        "1000".as_ref(),
    ]);
    assert!(
        stderr.contains(&format!(
            "Main.json: the file has {} bytes, over the limit of 1000 bytes",
            fixture("phone.json").len()
        )),
        "{stderr}"
    );
    // The default limit is the one for scripts: a sparse file one byte over
    // it is refused without reading it.
    let huge = dir.path().join("Huge.xml");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(studioflow::files::DEFAULT_MAX_INPUT_BYTES + 1)
        .unwrap();
    for command in ["check", "import", "run", "graph"] {
        let stderr = refused(&[command.as_ref(), huge.as_os_str()]);
        assert!(
            stderr.contains("over the limit of 67108864 bytes"),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn the_commands_read_utf16_and_bom_crlf_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = fixture("phone.json");
    let utf16_file = write(dir.path(), "Wide.json", utf16(&text, true));
    let crlf = write(
        dir.path(),
        "Crlf.json",
        format!("\u{feff}{}", text.replace('\n', "\r\n")),
    );
    for file in [&utf16_file, &crlf] {
        let out = cargo_bin_cmd!("studioflow")
            .arg("run")
            .arg(file)
            .args(["--event", "digits:2", "--json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{}: {stderr}", file.display());
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["outcome"], "completed");
        let heard: Vec<&str> = doc["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["text"].as_str())
            .collect();
        assert!(heard.contains(&"Support"), "{heard:?}");
    }
}

#[test]
fn studioflow_test_names_the_place_in_a_malformed_studio_file_and_reads_utf16() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Main.json",
        r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "END", "label": ["x"]}}}"#,
    );
    write(d, "Main.test.toml", "[[case]]\nname = \"a\"\n");
    let main = d.join("Main.test.toml");
    let stderr = refused(&["test".as_ref(), main.as_os_str()]);
    assert!(
        stderr.contains(
            "Main.json cannot be imported: /actions/2/label: expected a string, found an array"
        ),
        "{stderr}"
    );
    write(d, "Wide.json", utf16(&fixture("phone.json"), true));
    let wide = write(
        d,
        "Wide.test.toml",
        "[[case]]\nname = \"support\"\nevents = [\"digits:2\"]\nexpect = { visits = [\"Pick_the_skill\"] }\n",
    );
    let out = cargo_bin_cmd!("studioflow")
        .arg("test")
        .arg(&wide)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}
