//! An attacker's pass over Studio files (issue 20): hostile text in
//! captions and values, hostile `studio { }` blocks, opaque actions with
//! odd names, comments where `fmt` meets studio blocks, odd imports, and
//! `studioflow export`'s output paths. Every case either round-trips or is
//! refused with a message naming where and what; never a panic, a file the
//! reader refuses, or a forged action.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use studioflow::export::{export, ExportFormat, Positions};
use studioflow::format::format_script;
use studioflow::studio::{import_json, import_xml};
use studioflow::Engine;

/// The errors of `text` as one string (empty when it compiles).
fn problems(text: &str) -> String {
    match Engine::new().compile(text, "t.script") {
        Ok(_) => String::new(),
        Err(d) => d.to_string(),
    }
}

/// The warnings of `text`, which must compile.
fn warnings(text: &str) -> String {
    match Engine::new().compile(text, "t.script") {
        Ok(script) => script.warnings().to_string(),
        Err(d) => panic!("{d}\n{text}"),
    }
}

/// Compiles `text`, or fails the test with its diagnostics.
fn compiles(text: &str) {
    let p = problems(text);
    assert!(p.is_empty(), "{p}\n{text}");
}

fn export_ok(text: &str, format: ExportFormat) -> String {
    export(text, &Positions::default(), format).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn export_err(text: &str, format: ExportFormat) -> String {
    match export(text, &Positions::default(), format) {
        Ok(out) => panic!("exported:\n{out}"),
        Err(e) => e.to_string(),
    }
}

/// A Studio file imported and formatted, or the test fails.
fn import(text: &str, format: ExportFormat) -> String {
    let imported = match format {
        ExportFormat::Json => import_json(text, "fallback"),
        ExportFormat::Xml => import_xml(text, "fallback"),
    }
    .unwrap_or_else(|e| panic!("{e}\n{text}"));
    format_script(&imported.text).unwrap_or_else(|d| panic!("{}\n{}", d.message, imported.text))
}

fn import_err(text: &str, format: ExportFormat) -> String {
    match match format {
        ExportFormat::Json => import_json(text, "fallback"),
        ExportFormat::Xml => import_xml(text, "fallback"),
    } {
        Ok(imported) => panic!("imported:\n{}", imported.text),
        Err(e) => e.to_string(),
    }
}

/// The captions of an imported script's actions, in order.
fn captions(script: &str) -> Vec<String> {
    let ast = studioflow::syntax::parse_script(script).unwrap_or_else(|d| panic!("{d:?}"));
    ast.actions
        .iter()
        .map(|a| a.caption.clone().unwrap_or_default())
        .collect()
}

/// A well-formed XML document, or the test fails with roxmltree's error.
fn well_formed(xml: &str) {
    if let Err(e) = roxmltree::Document::parse(xml) {
        panic!("{e}\n{xml}");
    }
}

// ---- hostile text in captions, labels and values

/// Characters XML 1.0 cannot hold at all, even as `&#x1;`.
const NOT_XML: &[char] = &[
    '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1f}', '\u{fffe}', '\u{ffff}',
];

#[test]
fn xml_export_refuses_characters_xml_cannot_hold_naming_the_action() {
    for &c in NOT_XML {
        let text = format!(
            "script \"S\" type Phone\nstart: Begin {{ Default -> bye }}\nbye: End \"a{c}b\"\n"
        );
        compiles(&text);
        let e = export_err(&text, ExportFormat::Xml);
        assert!(e.contains("`bye`") && e.contains("caption"), "{c:?}: {e}");
        assert!(e.contains(&format!("U+{:04X}", c as u32)), "{c:?}: {e}");
        // JSON holds them, and they come back.
        let json = export_ok(&text, ExportFormat::Json);
        let back = import(&json, ExportFormat::Json);
        assert_eq!(captions(&back)[1], format!("a{c}b"), "{back}");
    }
    // In a property, a case label and the script's name too.
    let cases = [
        (
            "script \"S\" type Phone\nstart: Begin { Default -> p }\np: Play { Sequence = \"x\u{2}\" Default -> bye }\nbye: End\n",
            "Sequence",
        ),
        (
            "script \"S\" type Phone\nstart: Begin { Default -> m }\nm: Menu { Case \"\u{3}\" -> bye Default -> bye }\nbye: End\n",
            "Case",
        ),
        (
            "script \"S\u{4}\" type Phone\nstart: Begin { Default -> bye }\nbye: End\n",
            "name",
        ),
    ];
    for (text, what) in cases {
        compiles(text);
        let e = export_err(text, ExportFormat::Xml);
        assert!(e.contains(what), "{e}");
    }
}

#[test]
fn hostile_text_exports_as_well_formed_xml_and_comes_back_exactly() {
    let hostile = [
        "]]>",
        "a & b < c > d",
        "\"quoted\" and 'single'",
        "lone\rcr",
        "crlf\r\nline",
        "lf\nline",
        "tab\there",
        "😀 non-BMP 𝄞",
        "&amp; &#x1; <![CDATA[x]]>",
        "  padded  ",
        "\u{85}\u{2028}\u{7f}",
    ];
    let long = "x".repeat(100_000);
    let mut all: Vec<&str> = hostile.to_vec();
    all.push(&long);
    for caption in all {
        let escaped = caption
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\r', "\\r")
            .replace('\n', "\\n")
            .replace('\t', "\\t");
        let text = format!(
            "script \"{escaped}\" type Phone\nstart: Begin {{ Default -> m }}\nm: Menu \"{escaped}\" {{\n  Case \"{escaped}\" -> p\n  Default -> p\n}}\np: Play \"{escaped}\" {{ Sequence = \"{escaped}\" Default -> bye }}\nbye: End \"{escaped}\"\n"
        );
        compiles(&text);
        for format in [ExportFormat::Xml, ExportFormat::Json] {
            let out = export_ok(&text, format);
            if format == ExportFormat::Xml {
                well_formed(&out);
            }
            let back = import(&out, format);
            let ast = studioflow::syntax::parse_script(&back).unwrap();
            // Both readers trim a script's name (a path's last segment).
            assert_eq!(
                ast.header.as_ref().unwrap().name,
                caption.trim(),
                "{format:?}"
            );
            assert_eq!(&captions(&back)[1..], [caption; 3], "{format:?}\n{out}");
            assert!(
                back.contains(&format!("Sequence = \"{escaped}\"")),
                "{format:?}\n{back}"
            );
            assert!(
                back.contains(&format!("Case \"{escaped}\"")),
                "{format:?}\n{back}"
            );
            compiles(&back);
        }
    }
}

// ---- hostile studio blocks

/// A script whose Begin carries `entries` in its studio block.
fn with_block(entries: &str) -> String {
    format!("script \"S\" type Phone\nstart: Begin {{\n  Default -> bye\n  studio {{ {entries} }}\n}}\nbye: End \"x\"\n")
}

fn with_header_block(entries: &str) -> String {
    format!("script \"S\" type Phone studio {{ {entries} }}\nstart: Begin {{ Default -> bye }}\nbye: End \"x\"\n")
}

#[test]
fn a_json_entry_cannot_override_what_export_writes() {
    for key in [
        "actionId",
        "name",
        "label",
        "libraryId",
        "x",
        "yws",
        "version",
    ] {
        let text = with_block(&format!("Json = \"{{\\\"{key}\\\": 7}}\""));
        let p = problems(&text);
        assert!(p.contains(key) && p.contains("Json"), "{key}: {p}");
        let e = export_err(&text, ExportFormat::Json);
        assert!(e.contains(key), "{key}: {e}");
    }
    for key in ["scriptName", "mediaType", "busNo", "nextActionId"] {
        let text = with_header_block(&format!("Json = \"{{\\\"{key}\\\": 7}}\""));
        let p = problems(&text);
        assert!(p.contains(key), "{key}: {p}");
        let e = export_err(&text, ExportFormat::Json);
        assert!(e.contains(key), "{key}: {e}");
    }
    // Fields the reader does not know are kept, as before.
    let text = with_block("Json = \"{\\\"comment\\\": {\\\"a\\\": [1]}}\"");
    compiles(&text);
    let back = import(&export_ok(&text, ExportFormat::Json), ExportFormat::Json);
    assert!(
        back.contains(r#"Json = "{\"comment\":{\"a\":[1]}}""#),
        "{back}"
    );
}

#[test]
fn an_xml_entry_cannot_add_elements_the_reader_maps() {
    for xml in [
        "<DefaultNextAction><ActionID>1</ActionID></DefaultNextAction>",
        "<actionid>9</actionid>",
        "<Branches />",
        "<Foo/><Caption>forged</Caption>",
        "<LibraryID>x</LibraryID>",
    ] {
        let text = with_block(&format!("Xml = \"{}\"", xml.replace('"', "\\\"")));
        let p = problems(&text);
        assert!(p.contains("Xml") && p.contains("the reader"), "{xml}: {p}");
        let e = export_err(&text, ExportFormat::Xml);
        assert!(e.contains("Xml"), "{xml}: {e}");
    }
    for xml in ["<Actions />", "<MediaType>3</MediaType>", "<modifydate />"] {
        let text = with_header_block(&format!("Xml = \"{xml}\""));
        let p = problems(&text);
        assert!(p.contains("Xml"), "{xml}: {p}");
        export_err(&text, ExportFormat::Xml);
    }
    // Structure breakers and text: refused as before, by check and export.
    for xml in [
        "</ActionStruct><ActionStruct>",
        "<!DOCTYPE x [<!ENTITY a 'b'>]><Foo>&a;</Foo>",
        "<Foo>",
        "plain text",
        "<Foo/>tail",
    ] {
        let text = with_block(&format!("Xml = \"{xml}\""));
        assert!(problems(&text).contains("Xml"), "{xml}");
        export_err(&text, ExportFormat::Xml);
    }
}

#[test]
fn huge_and_deep_json_and_xml_entries_are_checked_without_recursion() {
    let deep_xml = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let deep_json = format!(
        "{{\\\"a\\\": {}1{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // As deep as a file's unknown field may be (serde_json's limit is 128).
    let kept_json = format!("{{\\\"a\\\": {}1{}}}", "[".repeat(120), "]".repeat(120));
    let wide_xml = "<Foo>x</Foo>".repeat(200_000);
    let cases = [
        (format!("Xml = \"{deep_xml}\""), true),
        (format!("Json = \"{deep_json}\""), false),
        (format!("Json = \"{kept_json}\""), true),
        (format!("Xml = \"{wide_xml}\""), true),
    ];
    for (entry, ok) in cases {
        let text = with_block(&entry);
        // On a small stack: nothing here may recurse per level.
        let outcome = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let p = problems(&text);
                let exported = [ExportFormat::Xml, ExportFormat::Json]
                    .map(|f| export(&text, &Positions::default(), f).map(|x| x.len()));
                let [xml, json] = exported;
                (p, xml.and(json).map_err(|e| e.to_string()))
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
        match ok {
            true => {
                assert!(outcome.0.is_empty(), "{}", outcome.0);
                assert!(outcome.1.is_ok(), "{:?}", outcome.1);
            }
            false => {
                assert!(
                    outcome.0.contains("Json") && outcome.0.contains("recursion"),
                    "{}",
                    outcome.0
                );
                assert!(outcome.1.is_err());
            }
        }
    }
}

#[test]
fn an_xml_entry_may_use_the_prefixes_desktop_studio_declares() {
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/studio/phone.xml"),
    )
    .unwrap();
    let file = fixture.replacen(
        "<Caption>Leave a message</Caption>",
        "<Caption>Leave a message</Caption>\r\n      <Note xsi:nil=\"true\" /><Kind xsi:type=\"xsd:string\">v</Kind>",
        1,
    );
    assert_ne!(file, fixture);
    let script = import(&file, ExportFormat::Xml);
    compiles(&script);
    let out = export_ok(&script, ExportFormat::Xml);
    well_formed(&out);
    assert!(
        out.contains("<Note xsi:nil=\"true\" /><Kind xsi:type=\"xsd:string\">v</Kind>"),
        "{out}"
    );
    // Another prefix is not declared where export writes it: refused.
    let text = with_block("Xml = \"<q:Foo />\"");
    assert!(problems(&text).contains("Xml"));
}

#[test]
fn a_keyword_entry_cannot_make_an_action_another_type() {
    let forged = [
        "script \"S\"\nstart: Begin { Default -> c }\nc: Case { Value = 1 Default -> d studio { Keyword = \"END\" } }\nd: End\n",
        "script \"S\"\nstart: Begin { Default -> a }\na: XFERQUEUE { Default -> d studio { Parameters = [\"x\"] Keyword = \"BEGIN\" } }\nd: End\n",
    ];
    for text in forged {
        let p = problems(text);
        assert!(p.contains("Keyword"), "{p}");
        let e = export_err(text, ExportFormat::Json);
        assert!(e.contains("Keyword"), "{e}");
    }
    // Studio's own spelling of the same keyword is kept.
    let text = "script \"S\"\nstart: Begin { Default -> c }\nc: Case { Value = 1 Default -> d studio { Keyword = \"Case\" } }\nd: End\n";
    compiles(text);
    assert!(export_ok(text, ExportFormat::Json).contains("\"name\": \"Case\""));
}

#[test]
fn a_library_id_of_another_known_type_is_refused() {
    // PLAY's LibraryID on a Menu: Studio would take it for a Play.
    let text = "script \"S\"\nstart: Begin { Default -> m }\nm: Menu { Default -> d studio { LibraryID = \"b1b9a2dd-65b6-4626-9cf5-9cfa69cf59e2\" } }\nd: End\n";
    let p = problems(text);
    assert!(p.contains("LibraryID") && p.contains("PLAY"), "{p}");
    // Its own, in any case, and unknown GUIDs are fine.
    for id in [
        "DAEE9C00-12CE-4222-A42E-307C37D53B7F",
        "0a2a4f51-7a8c-4f0e-9d55-9a3b3c0d2e11",
    ] {
        compiles(&text.replace("b1b9a2dd-65b6-4626-9cf5-9cfa69cf59e2", id));
    }
}

#[test]
fn action_ids_past_studio_s_32_bits_are_refused_never_overflow() {
    // The highest is 2^31 - 2, so that `nextActionId` (one past it) is
    // 32-bit too.
    for id in ["2147483647", "9223372036854775807"] {
        let text = with_block(&format!("ActionID = {id}"));
        let p = problems(&text);
        assert!(p.contains("ActionID") && p.contains("2147483646"), "{p}");
        let e = export_err(&text, ExportFormat::Json);
        assert!(e.contains("2147483646"), "{e}");
        export_err(&text, ExportFormat::Xml);
    }
    let p = problems(&with_block("ActionID = 99999999999999999999"));
    assert!(p.contains("ActionID") && p.contains("2147483646"), "{p}");
    // The highest is fine, and numbering an action after it is no overflow.
    let text = with_block("ActionID = 2147483646");
    compiles(&text);
    let e = export_err(&text, ExportFormat::Json);
    assert!(e.contains("`bye`") && e.contains("ActionID"), "{e}");
    let json = r#"{"actions": {"1": {"name": "BEGIN"}, "9223372036854775807": {"name": "END"}},
        "branches": {"1": [{"to": 9223372036854775807, "type": "default"}]}}"#;
    let e = import_err(json, ExportFormat::Json);
    assert!(
        e.starts_with("/actions/9223372036854775807") && e.contains("2147483646"),
        "{e}"
    );
    let xml = "<ScriptContainer><Actions><ActionStruct><ActionID>4294967296</ActionID><Action>BEGIN</Action></ActionStruct></Actions></ScriptContainer>";
    let e = import_err(xml, ExportFormat::Xml);
    assert!(
        e.starts_with("line 1, column ") && e.contains("2147483646"),
        "{e}"
    );
}

#[test]
fn export_refuses_duplicate_action_ids_as_check_does() {
    let text = "script \"S\"\nstart: Begin { Default -> a studio { ActionID = 5 } }\na: End { studio { ActionID = 5 } }\n";
    assert!(problems(text).contains("ActionID 5"));
    for format in [ExportFormat::Json, ExportFormat::Xml] {
        let e = export_err(text, format);
        assert!(
            e.contains("`a`") && e.contains("ActionID 5") && e.contains("`start`"),
            "{e}"
        );
    }
    let text = "script \"S\"\nstart: Begin { Default -> a }\na: End\na: End\n";
    assert!(problems(text).contains("duplicate action id"));
    let e = export_err(text, ExportFormat::Json);
    assert!(e.contains("`a`"), "{e}");
}

#[test]
fn positions_and_numbers_must_fit() {
    for entry in [
        "X = 99999999999999999999",
        "Y = -1000000000000000.5",
        "xws = 1000000000000000.5",
    ] {
        let text = with_block(entry);
        let p = problems(&text);
        assert!(p.contains("studio entry"), "{entry}: {p}");
    }
    compiles(&with_block("X = -40 Y = 12.6 xws = 999999999 yws = 0"));
    let p = problems(&with_header_block("BusNo = 99999999999999999999"));
    assert!(p.contains("BusNo"), "{p}");
}

#[test]
fn property_positions_are_bounded_everywhere() {
    // A file naming position 99,999,999 is refused at its place, at once,
    // for an action studioflow simulates and for an opaque one.
    for keyword in ["END", "XFERQUEUE"] {
        let json = format!(
            r#"{{"actions": {{"1": {{"name": "BEGIN"}}, "2": {{"name": "{keyword}"}}}},
            "properties": {{"2": {{"99999999": {{"name": "a", "value": "x"}}}}}},
            "branches": {{"1": [{{"to": 2, "type": "default"}}]}}}}"#
        );
        let started = std::time::Instant::now();
        let e = import_err(&json, ExportFormat::Json);
        assert!(
            e.starts_with("/properties/2/99999999") && e.contains("1000"),
            "{e}"
        );
        assert!(started.elapsed().as_secs() < 5);
    }
    // The last position allowed imports, and checks.
    let json = r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "XFERQUEUE"}},
        "properties": {"2": {"999": "x"}}, "branches": {"1": [{"to": 2, "type": "default"}]}}"#;
    compiles(&import(json, ExportFormat::Json));
    // Blocks: PropertyCount and lists past the bound are refused.
    let p = problems(&with_block("PropertyCount = 999999999"));
    assert!(p.contains("PropertyCount") && p.contains("1000"), "{p}");
    let many = vec!["\"\""; 1001].join(", ");
    let text = format!("script \"S\"\nstart: Begin {{ Default -> a }}\na: XFERQUEUE {{ studio {{ Parameters = [{many}] }} }}\n");
    let p = problems(&text);
    assert!(p.contains("Parameters") && p.contains("1000"), "{p}");
}

#[test]
fn sparse_property_positions_cannot_multiply_into_memory() {
    // Each action names only position 999: 3 JSON values make 1,000
    // parameters. 2,000 such actions would be 2,000,000 parameters.
    let n = 2000;
    let actions: Vec<String> = (2..n + 2)
        .map(|id| format!(r#""{id}": {{"name": "XFERQUEUE"}}"#))
        .collect();
    let props: Vec<String> = (2..n + 2)
        .map(|id| format!(r#""{id}": {{"999": "x"}}"#))
        .collect();
    let json = format!(
        r#"{{"actions": {{"1": {{"name": "BEGIN"}}, {}}}, "properties": {{{}}}}}"#,
        actions.join(","),
        props.join(",")
    );
    let started = std::time::Instant::now();
    let e = import_err(&json, ExportFormat::Json);
    assert!(e.starts_with("/actions/") && e.contains("1000000"), "{e}");
    assert!(started.elapsed().as_secs() < 10);
    // Export: PropertyCount multiplies an action's properties alike.
    let mut text = String::from("script \"S\"\nstart: Begin { Default -> a1 }\n");
    for k in 1..=1100 {
        text.push_str(&format!(
            "a{k}: End {{ studio {{ PropertyCount = 1000 }} }}\n"
        ));
    }
    let e = export_err(&text, ExportFormat::Json);
    assert!(e.contains("1000000"), "{e}");
}

#[test]
fn a_nul_in_a_json_string_is_refused_at_its_path() {
    for (json, path) in [
        (
            r#"{"actions": {"1": {"name": "BEGIN", "label": "St\u0000art"}}}"#,
            "/actions/1/label",
        ),
        (
            r#"{"header": {"scriptName": "a\u0000"}, "actions": {"1": {"name": "BEGIN"}}}"#,
            "/header/scriptName",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "END"}}, "properties": {"2": {"0": {"value": "x\u0000"}}}}"#,
            "/properties/2/0",
        ),
        (
            r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "MENU"}, "3": {"name": "END"}}, "branches": {"2": [{"to": 3, "type": "case", "label": "\u0000"}]}}"#,
            "/branches/2/0",
        ),
    ] {
        let e = import_err(json, ExportFormat::Json);
        assert!(e.starts_with(path) && e.contains("NUL"), "{path}: {e}");
    }
    // Kept JSON holds it escaped, which the .script text can hold.
    let json = r#"{"actions": {"1": {"name": "BEGIN", "note": "a\u0000b"}}}"#;
    compiles(&import(json, ExportFormat::Json));
}

#[test]
fn a_library_id_that_is_no_guid_is_refused_at_import_and_an_empty_one_kept() {
    let json = r#"{"actions": {"1": {"name": "BEGIN", "libraryId": "custom-thing"}}}"#;
    let e = import_err(json, ExportFormat::Json);
    assert!(
        e.starts_with("/actions/1/libraryId") && e.contains("GUID"),
        "{e}"
    );
    let json = r#"{"header": {"libraryId": "8297F3AE"}, "actions": {"1": {"name": "BEGIN"}}}"#;
    let e = import_err(json, ExportFormat::Json);
    assert!(e.starts_with("/header/libraryId"), "{e}");
    let xml = "<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><LibraryID>nope</LibraryID></ActionStruct></Actions></ScriptContainer>";
    let e = import_err(xml, ExportFormat::Xml);
    assert!(
        e.starts_with("line 1, column ") && e.contains("GUID"),
        "{e}"
    );
    // An empty one (as CXone writes for a script not yet saved) imports and checks.
    let json =
        r#"{"header": {"libraryId": ""}, "actions": {"1": {"name": "BEGIN", "libraryId": ""}}}"#;
    let script = import(json, ExportFormat::Json);
    compiles(&script);
    let again = export_ok(&script, ExportFormat::Json);
    assert!(again.contains("\"libraryId\": \"\""), "{again}");
}

#[test]
fn opaque_branch_spellings_are_checked() {
    let text = |entry: &str| {
        format!("script \"S\"\nstart: Begin {{ Default -> a }}\na: XFERQUEUE {{\n  Error -> d\n  Busy -> d\n  studio {{ Parameters = [] Branches = [{entry}] }}\n}}\nd: End\n")
    };
    for bad in [
        "\"nonsense\"",
        "\"Busy=Foo<Bar>:1\"",
        "\"Busy=Busy:one\"",
        "\"Error=Busy\"",
        "\"Busy=Busy:99999999999999999999\"",
    ] {
        let p = problems(&text(bad));
        assert!(p.contains("Branches"), "{bad}: {p}");
    }
    for good in ["\"Error=OnError:1\"", "\"Busy=Busy:3\", \"Error=onerror\""] {
        let t = text(good);
        compiles(&t);
        for format in [ExportFormat::Json, ExportFormat::Xml] {
            let back = import(&export_ok(&t, format), format);
            compiles(&back);
        }
    }
}

#[test]
fn renaming_an_imported_script_or_changing_its_type_is_exported() {
    let fixture = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/studio")
                .join(name),
        )
        .unwrap()
    };
    for (file, format) in [
        ("phone.json", ExportFormat::Json),
        ("phone.xml", ExportFormat::Xml),
    ] {
        let script = import(&fixture(file), format);
        assert!(
            script.contains("script \"Phone line\" type Phone"),
            "{script}"
        );
        let edited = script.replace(
            "script \"Phone line\" type Phone",
            "script \"Renamed\" type Chat",
        );
        for out in [ExportFormat::Json, ExportFormat::Xml] {
            let back = import(&export_ok(&edited, out), out);
            assert!(
                back.contains("script \"Renamed\" type Chat"),
                "{file} as {out:?}:\n{back}"
            );
        }
        // Unedited, the kept facts come back as they were.
        for out in [ExportFormat::Json, ExportFormat::Xml] {
            let back = import(&export_ok(&script, out), out);
            assert!(back.contains("script \"Phone line\" type Phone"), "{back}");
        }
    }
}

// ---- opaque actions

#[test]
fn opaque_actions_with_cases_labels_and_odd_names_round_trip() {
    let text = "script \"S\" type Phone\nstart: Begin { Default -> a }\na: Transfer_2 \"Send on\" {\n  Case \"1\" -> b\n  Case \"x&<y>\" -> c\n  Busy -> c\n  Error -> c\n  studio { Parameters = [\"{ANI}\", \"\"] }\n}\nb: assign { Variable = x Value = 1 Default -> c }\nc: End\n";
    compiles(text);
    for format in [ExportFormat::Json, ExportFormat::Xml] {
        let out = export_ok(text, format);
        let back = import(&out, format);
        compiles(&back);
        for expected in [
            "Send_on: Transfer_2 \"Send on\"",
            "Case \"x&<y>\" -> END",
            "Busy -> END",
            "Error -> END",
        ] {
            assert!(back.contains(expected), "{format:?}: {expected}\n{back}");
        }
    }
    // Words of the language as opaque types and branch names: they parse
    // there, so they export and come back.
    let text = "script \"S\"\nstart: Begin { Default -> a }\na: true { Default -> b studio { Parameters = [] } }\nb: studio { not -> c script -> c studio { Parameters = [] } }\nc: End\n";
    let w = warnings(text);
    assert!(
        w.contains("true is not simulated") && w.contains("studio is not simulated"),
        "{w}"
    );
    for format in [ExportFormat::Json, ExportFormat::Xml] {
        let back = import(&export_ok(text, format), format);
        compiles(&back);
        for expected in [
            "true: true {",
            "studio: studio {",
            "not -> END",
            "script -> END",
        ] {
            assert!(back.contains(expected), "{format:?}: {expected}\n{back}");
        }
    }
}

#[test]
fn a_studio_action_named_like_one_studioflow_has_imports_as_opaque() {
    // SETSECURITYUSER is Studio's; studioflow's SetSecurityUser takes named
    // properties, so the file's positional ones make it opaque.
    let json = r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "SETSECURITYUSER", "label": "Become"}, "3": {"name": "END"}},
        "properties": {"2": {"0": {"name": "UserName", "value": "bob"}}},
        "branches": {"1": [{"to": 2, "type": "default"}], "2": [{"to": 3, "type": "branch", "label": "OnError"}]}}"#;
    let script = import(json, ExportFormat::Json);
    let w = warnings(&script);
    assert!(w.contains("SETSECURITYUSER is not simulated"), "{w}");
    let engine = Engine::new();
    let compiled = engine.compile(&script, "t.script").unwrap();
    let run = engine.run(&compiled, studioflow::RunOptions::default().trace(true));
    let path: Vec<String> = run
        .trace
        .iter()
        .flatten()
        .map(|s| s.action.to_string())
        .collect();
    assert_eq!(path, ["BEGIN", "Become", "END"], "{run:?}");
    let back = import(&export_ok(&script, ExportFormat::Json), ExportFormat::Json);
    assert!(back.contains("Parameters = [\"bob\"]"), "{back}");
    // Written by hand, it is studioflow's own action.
    let text = "script \"S\"\nstart: Begin { Default -> s }\ns: SetSecurityUser { Agent = 1001 Default -> e Error -> e studio { ActionID = 7 } }\ne: End\n";
    assert!(!warnings(text).contains("not simulated"));
}

#[test]
fn a_keyword_that_is_no_name_is_refused_at_its_place_in_either_format() {
    let xml = "<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action></ActionStruct>\n<ActionStruct><ActionID>2</ActionID><Action>XFER QUEUE</Action></ActionStruct></Actions></ScriptContainer>";
    let e = import_err(xml, ExportFormat::Xml);
    assert!(e.starts_with("line 2, column 1, <Action>: "), "{e}");
    let json = r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "XFER QUEUE"}}}"#;
    let e = import_err(json, ExportFormat::Json);
    assert!(e.starts_with("/actions/2/name: "), "{e}");
}

#[test]
fn xml_places_of_actions_and_branches_are_roxmltree_s() {
    // Multibyte characters before the node on its line, nodes on one line
    // and on many: each place is the line and column (in characters) of
    // the element, as roxmltree counts them.
    let xml = "<ScriptContainer><Actions>\n<ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><DefaultNextAction><ActionID>2</ActionID></DefaultNextAction></ActionStruct>\n<ActionStruct><Caption>é😀</Caption><ActionID>2</ActionID><Action>END</Action><Branches><BranchStruct><Text>Éx</Text><ActionID>1</ActionID></BranchStruct></Branches></ActionStruct></Actions></ScriptContainer>";
    let e = import_err(xml, ExportFormat::Xml);
    let doc = roxmltree::Document::parse(xml).unwrap();
    let branch = doc
        .descendants()
        .find(|n| n.has_tag_name("BranchStruct"))
        .unwrap();
    let pos = doc.text_pos_at(branch.range().start);
    let expected = format!(
        "line {}, column {}: END has no branch \"Éx\"",
        pos.row, pos.col
    );
    assert_eq!(e, expected);
}

#[test]
fn an_opaque_action_cannot_be_the_entry() {
    let text = "script \"S\"\na: XFERQUEUE { Default -> b studio { Parameters = [] } }\nb: End\n";
    let p = problems(text);
    assert!(p.contains("no Begin"), "{p}");
    let e = export(text, &Positions::default(), ExportFormat::Json)
        .map(|json| import_err(&json, ExportFormat::Json));
    // Exported (export does not check), its import names the missing Begin.
    assert!(e.is_ok_and(|e| e.contains("no BEGIN")));
}

// ---- fmt on studio blocks

#[test]
fn fmt_of_studio_blocks_with_comments_everywhere_is_idempotent() {
    let text = "// top\nscript \"F\" type Phone // after header\n  studio // before brace\n  { // inside\n    BusNo = 5 // trailing\n    // own line\n    Json = \"{}\"\n  } // after block\n// before action\ns: Begin { // a\n  studio { ActionID = 2 // id\n  X = 1\n  // c\n  } // end studio\n  Default -> d // dd\n}\nd: XFERQUEUE \"x\" { studio { Parameters = [ // p\n  \"a\", // q\n  \"b\" // r\n  ] } }\n";
    compiles(text);
    let once = format_script(text).unwrap();
    let twice = format_script(&once).unwrap();
    assert_eq!(once, twice, "once:\n{once}\ntwice:\n{twice}");
    for comment in [
        "// top",
        "// after header",
        "// before brace",
        "// inside",
        "// trailing",
        "// own line",
        "// after block",
        "// before action",
        "// a",
        "// id",
        "// c",
        "// end studio",
        "// dd",
        "// p",
        "// q",
        "// r",
    ] {
        assert!(once.contains(comment), "{comment}\n{once}");
    }
    compiles(&once);
}

// ---- odd imports

#[test]
fn captions_colliding_with_words_of_the_language_import_and_run() {
    let words = [
        "true", "null", "and", "not", "studio", "script", "Default", "Case", "type", "!!!", "___",
    ];
    let mut actions = vec![r#""1": {"name": "BEGIN", "label": "Begin"}"#.to_string()];
    let mut branches = Vec::new();
    for (k, w) in words.iter().enumerate() {
        let id = k + 2;
        actions.push(format!(r#""{id}": {{"name": "ASSIGN", "label": "{w}"}}"#));
        branches.push(format!(
            r#""{}": [{{"to": {id}, "type": "default"}}]"#,
            id - 1
        ));
    }
    let props: Vec<String> = (2..words.len() + 2)
        .map(|id| format!(r#""{id}": {{"0": {{"value": "n"}}, "1": {{"value": "{{n + 1}}"}}}}"#))
        .collect();
    let json = format!(
        r#"{{"actions": {{{}}}, "properties": {{{}}}, "branches": {{{}}}}}"#,
        actions.join(","),
        props.join(","),
        branches.join(",")
    );
    let script = import(&json, ExportFormat::Json);
    let engine = Engine::new();
    let compiled = engine
        .compile(&script, "t.script")
        .unwrap_or_else(|d| panic!("{d}\n{script}"));
    let run = engine.run(&compiled, studioflow::RunOptions::default().var("n", 0));
    assert_eq!(
        run.variable("n"),
        Some(&studioflow::Value::from(words.len() as i64)),
        "{run:?}"
    );
}

#[test]
fn an_empty_assign_value_and_an_empty_snippet_import_as_values() {
    // Assigning "" clears a variable; a Snippet without code yet is saved
    // by Studio. Both properties are required by studioflow's schemas.
    let json = r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "ASSIGN", "label": "clear"},
        "3": {"name": "SNIPPET", "label": "todo"}, "4": {"name": "END"}},
        "properties": {"2": {"0": {"name": "Variable", "value": "x"}, "1": {"name": "Value", "value": ""}},
                       "3": {"0": {"name": "Data", "value": ""}}},
        "branches": {"1": [{"to": 2, "type": "default"}], "2": [{"to": 3, "type": "default"}], "3": [{"to": 4, "type": "default"}]}}"#;
    let script = import(json, ExportFormat::Json);
    let engine = Engine::new();
    let compiled = engine
        .compile(&script, "t.script")
        .unwrap_or_else(|d| panic!("{d}\n{script}"));
    let run = engine.run(
        &compiled,
        studioflow::RunOptions::default().var("x", "full"),
    );
    assert_eq!(
        run.variable("x"),
        Some(&studioflow::Value::from("")),
        "{run:?}"
    );
    for format in [ExportFormat::Json, ExportFormat::Xml] {
        let out = export_ok(&script, format);
        let back = import(&out, format);
        compiles(&back);
        if format == ExportFormat::Json {
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["properties"]["2"]["1"]["value"], "");
            assert_eq!(v["properties"]["3"]["0"]["value"], "");
        }
    }
}

#[test]
fn cycles_self_loops_a_begin_without_branches_and_event_targets_import_and_stop() {
    let json = r#"{"actions": {"1": {"name": "BEGIN"}, "2": {"name": "ONANSWER"}, "3": {"name": "ASSIGN", "label": "self"}},
        "properties": {"3": {"0": "x", "1": "1"}},
        "branches": {"2": [{"to": 3, "type": "default"}], "3": [{"to": 3, "type": "default"}]}}"#;
    let script = import(json, ExportFormat::Json);
    compiles(&script);
    let looping = json.replace(
        r#""branches": {"#,
        r#""branches": {"1": [{"to": 2, "type": "default"}], "#,
    );
    let script = import(&looping, ExportFormat::Json);
    let engine = Engine::new();
    let compiled = engine.compile(&script, "t.script").unwrap();
    let run = engine.run(&compiled, studioflow::RunOptions::default());
    assert_eq!(run.outcome, studioflow::Outcome::Limit, "{run:?}");
}

// ---- size: linear, not quadratic

/// Runs `f`, failing when it takes longer than `seconds` (generous: each
/// case took minutes when the work was quadratic, and takes a second or
/// two in a debug build now).
fn within<T>(seconds: u64, what: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = f();
    let took = started.elapsed();
    assert!(took.as_secs() < seconds, "{what} took {took:?}");
    out
}

#[test]
fn an_action_with_tens_of_thousands_of_branches_imports_formats_and_compiles() {
    // A Menu of 60,000 cases, an opaque action of 30,000 named branches.
    let cases: Vec<String> = (0..60_000)
        .map(|i| format!(r#"{{"to": 2, "type": "case", "label": "{i}"}}"#))
        .collect();
    let named: Vec<String> = (0..30_000)
        .map(|i| format!(r#"{{"to": 2, "type": "branch", "label": "B{i}"}}"#))
        .collect();
    let json = format!(
        r#"{{"actions": {{"1": {{"name": "BEGIN"}}, "2": {{"name": "END"}}, "3": {{"name": "MENU"}}, "4": {{"name": "XFER"}}}},
        "branches": {{"1": [{{"to": 3, "type": "default"}}], "3": [{}, {{"to": 4, "type": "default"}}], "4": [{}]}}}}"#,
        cases.join(","),
        named.join(",")
    );
    let script = within(30, "import", || import(&json, ExportFormat::Json));
    within(30, "compile", || compiles(&script));
    within(30, "export", || export_ok(&script, ExportFormat::Xml));
    // XML with the cases in ExtraInfo too (merged without duplicates).
    let branch =
        |i: usize| format!("<BranchStruct><Text>{i}</Text><ActionID>2</ActionID></BranchStruct>");
    let extra = |i: usize| format!("<B><KeyName>x{i}</KeyName><ActionId>2</ActionId></B>");
    let xml = format!(
        "<ScriptContainer><Actions><ActionStruct><ActionID>1</ActionID><Action>BEGIN</Action><DefaultNextAction><ActionID>3</ActionID></DefaultNextAction></ActionStruct><ActionStruct><ActionID>2</ActionID><Action>END</Action></ActionStruct><ActionStruct><ActionID>3</ActionID><Action>MENU</Action><Cases>{}</Cases><ExtraInfo><CaseBranches>{}</CaseBranches></ExtraInfo></ActionStruct></Actions></ScriptContainer>",
        (0..20_000).map(branch).collect::<String>(),
        (0..20_000).map(extra).collect::<String>()
    );
    let script = within(30, "XML import", || import(&xml, ExportFormat::Xml));
    assert_eq!(script.matches("Case \"").count(), 40_000);
}

#[test]
fn fmt_of_thousands_of_commented_actions_is_linear() {
    let mut text =
        String::from("script \"S\" studio { BusNo = 1 // bus\n}\nstart: Begin { Default -> a0 }\n");
    for k in 0..10_000 {
        text.push_str(&format!(
            "// about a{k}\na{k}: Assign {{ // first\n  Variable = x\n  Value = {k}\n  Default -> a{} // next\n  studio {{ ActionID = {} // id\n  }}\n}}\n",
            k + 1,
            k + 2
        ));
    }
    text.push_str("a10000: End\n");
    let once = within(30, "fmt", || format_script(&text).unwrap());
    assert_eq!(once.matches("// ").count(), text.matches("// ").count());
    assert_eq!(format_script(&once).unwrap(), once);
}

// ---- the command line

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const HELLO: &str =
    "script \"Hello\" type Phone\nstart: Begin { Default -> bye }\nbye: End \"Goodbye\"\n";

#[test]
fn export_refuses_a_folder_the_input_a_link_to_it_and_an_unknown_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "Main.script", HELLO);
    let folder = dir.path().join("out");
    std::fs::create_dir(&folder).unwrap();
    let mut targets = vec![folder.clone(), input.clone()];
    #[cfg(unix)]
    {
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        targets.push(link);
    }
    for target in targets {
        let out = cargo_bin_cmd!("studioflow")
            .arg("export")
            .arg(&input)
            .arg("-o")
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", target.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    assert_eq!(std::fs::read_to_string(&input).unwrap(), HELLO);
    let out = cargo_bin_cmd!("studioflow")
        .args(["export", "--format", "yaml"])
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("yaml"));
}

#[test]
fn export_to_xml_of_a_caption_xml_cannot_hold_is_exit_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "Main.script",
        &HELLO.replace("Goodbye", "Good\u{1}bye"),
    );
    let target = dir.path().join("Main.xml");
    let out = cargo_bin_cmd!("studioflow")
        .arg("export")
        .arg(&input)
        .args(["--format", "xml", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("U+0001") && stderr.contains("`bye`"),
        "{stderr}"
    );
    assert!(!target.exists());
}

#[test]
fn export_of_a_script_with_subscripts_writes_the_caller_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Sub.script",
        "script \"Sub\"\nstart: Begin { Default -> r }\nr: Return\n",
    );
    let input = write(
        dir.path(),
        "Main.script",
        "script \"Main\"\nstart: Begin { Default -> call }\ncall: RunSub { ScriptName = Sub Default -> bye }\nbye: End\n",
    );
    let out = cargo_bin_cmd!("studioflow")
        .arg("export")
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8(out.stdout).unwrap();
    assert!(
        json.contains("\"RUNSUB\"") && !json.contains("\"RETURN\""),
        "{json}"
    );
    // -o over the subscript it reads is refused.
    let out = cargo_bin_cmd!("studioflow")
        .arg("export")
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("Sub.script"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn imported_files_are_fmt_clean() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["phone.json", "phone.xml"] {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/studio")
            .join(name);
        let target = dir.path().join(format!("{name}.script"));
        let out = cargo_bin_cmd!("studioflow")
            .arg("import")
            .arg(&source)
            .arg("-o")
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let out = cargo_bin_cmd!("studioflow")
            .args(["fmt", "--check"])
            .arg(&target)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
