//! The language server's protocol, as an editor speaks it: initialize,
//! open, change, every feature, shutdown (tests/lsp_support is the client).

#[path = "lsp_support/mod.rs"]
mod lsp_support;

use lsp_support::{at, find, uri, Client};
use serde_json::{json, Value};

const FLOW: &str = r#"// A flow with a typo in a branch target.
script "Hello" inputs Name
start: Begin { Default -> greet }

greet: Assign "Say hello" {
  Variable = Greeting
  Value = "Hello {upper(Name)}"
  Default -> dne
}

done: End
"#;

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn diagnostics_are_checks_with_codes_versions_and_an_empty_list_when_fixed() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/flow.script");
    let published = client.open(&doc, FLOW);
    assert_eq!(published["uri"], doc);
    assert_eq!(published["version"], 1);
    assert!(
        codes(&published).contains(&"missing-target".to_string()),
        "{published}"
    );
    let missing = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-target")
        .unwrap();
    let (line, character) = find(FLOW, "dne", 0, 0);
    assert_eq!(
        missing["range"]["start"],
        json!({ "line": line, "character": character })
    );
    assert_eq!(
        missing["range"]["end"],
        json!({ "line": line, "character": character + 3 })
    );
    assert_eq!(missing["severity"], 1);
    assert_eq!(missing["data"]["replace"], "done");

    // Fixed: the list is published empty, with the new version.
    let fixed = FLOW.replace("-> dne", "-> done");
    let published = client.change(&doc, 2, &fixed);
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]));
    client.stop().unwrap();
}

#[test]
fn incremental_changes_are_applied_in_utf16_by_default() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/inc.script");
    let text = "start: Begin { Default -> a }\na: Assign { Variable = x Value = \"😀\" Default -> dne }\ndne: End\n";
    let published = client.open(&doc, text);
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    // Replace `dne` after the emoji (two UTF-16 units) on line 1 with `zzz`.
    let (line, character) = find(text, "dne", 0, 0);
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": doc, "version": 2 },
            "contentChanges": [{ "range": { "start": { "line": line, "character": character }, "end": { "line": line, "character": character + 3 } }, "text": "zzz" }]
        }),
    );
    let published = client.diagnostics();
    assert_eq!(published["version"], 2);
    let message = published["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("`zzz` does not exist"), "{message}");
    assert_eq!(
        published["diagnostics"][0]["range"]["start"]["character"],
        character
    );
    client.stop().unwrap();
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let (mut client, init) =
        Client::start(json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } }));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let doc = uri("tests/fixtures/lsp/utf8.script");
    let text = "start: Begin { Default -> a }\na: Assign { Variable = x Value = \"é😀\" Default -> dne }\n";
    let published = client.open(&doc, text);
    let (line, _) = find(text, "dne", 0, 0);
    let line_start = text
        .lines()
        .take(line as usize)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let bytes = text.find("dne").unwrap() - line_start;
    let missing = &published["diagnostics"][0];
    assert_eq!(
        missing["range"]["start"],
        json!({ "line": line, "character": bytes })
    );
    client.stop().unwrap();

    let (client, init) = Client::start(json!({}));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    client.stop().unwrap();
}

#[test]
fn one_document_symbol_per_action() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/symbols.script");
    client.open(&doc, FLOW);
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": doc } }),
        )
        .unwrap();
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["start", "greet", "done"]);
    assert_eq!(symbols[1]["detail"], "Assign \"Say hello\"");
    let (line, character) = find(FLOW, "greet:", 0, 0);
    assert_eq!(
        symbols[1]["selectionRange"]["start"],
        json!({ "line": line, "character": character })
    );
    client.stop().unwrap();
}

#[test]
fn definition_of_a_target_and_of_a_variable() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/def.script");
    let text = "start: Begin { Default -> set }\nset: Assign { Variable = total Value = 1 Default -> use }\nuse: Assign { Variable = shown Value = \"{total}\" Default -> done }\ndone: End\n";
    client.open(&doc, text);
    let (line, character) = find(text, "-> use", 0, 4);
    let found = client
        .request("textDocument/definition", at(&doc, line, character))
        .unwrap();
    let (l, c) = find(text, "use:", 0, 0);
    assert_eq!(
        found["range"]["start"],
        json!({ "line": l, "character": c }),
        "{found}"
    );
    let (line, character) = find(text, "{total}", 0, 2);
    let found = client
        .request("textDocument/definition", at(&doc, line, character))
        .unwrap();
    let (l, c) = find(text, "total", 0, 0);
    assert_eq!(
        found["range"]["start"],
        json!({ "line": l, "character": c }),
        "{found}"
    );
    client.stop().unwrap();
}

#[test]
fn references_of_an_action_and_of_a_variable() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/refs.script");
    let text = "start: Begin { Default -> a }\na: If { Expression = n > 1 True -> done False -> b }\nb: Assign { Variable = n Value = n + 1 Default -> done }\ndone: End\n";
    client.open(&doc, text);
    let (line, character) = find(text, "done", 0, 1);
    let refs = client
        .request(
            "textDocument/references",
            json!({ "textDocument": { "uri": doc }, "position": { "line": line, "character": character }, "context": { "includeDeclaration": true } }),
        )
        .unwrap();
    assert_eq!(refs.as_array().unwrap().len(), 3, "{refs}");
    let (line, character) = find(text, "n > 1", 0, 0);
    let refs = client
        .request(
            "textDocument/references",
            json!({ "textDocument": { "uri": doc }, "position": { "line": line, "character": character }, "context": { "includeDeclaration": true } }),
        )
        .unwrap();
    assert_eq!(
        refs.as_array().unwrap().len(),
        3,
        "n read twice, written once: {refs}"
    );
    client.stop().unwrap();
}

#[test]
fn rename_edits_the_script_and_its_test_file_and_says_snapshots_are_left() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("flow.script");
    let text = "start: Begin { Default -> lookup }\nlookup: Assign { Variable = x Value = 1 Default -> done Error -> done }\ndone: End\n";
    std::fs::write(&script, text).unwrap();
    let test_text = "[[case]]\nname = \"a\"\nmock = [{ action = \"lookup\", results = [{ branch = \"Error\" }] }]\nexpect = { path = [\"start\", \"lookup\", \"done\"], visits = [\"lookup\"], not_visits = ['lookupx'], end = \"done\" }\n\n[[case]]\nname = \"b\"\n[[case.mock]]\naction = \"lookup\"\n";
    std::fs::write(dir.path().join("flow.test.toml"), test_text).unwrap();
    let doc = format!("file://{}", script.display());
    let test_uri = format!("file://{}", dir.path().join("flow.test.toml").display());
    let mut client = Client::new();
    client.open(&doc, text);
    let (line, character) = find(text, "-> lookup", 0, 4);
    let prepared = client
        .request("textDocument/prepareRename", at(&doc, line, character))
        .unwrap();
    assert_eq!(prepared["placeholder"], "lookup");
    let mut params = at(&doc, line, character);
    params["newName"] = json!("fetch");
    let edit = client
        .request("textDocument/rename", params.clone())
        .unwrap();
    let script_edits = edit["changes"][&doc].as_array().unwrap();
    assert_eq!(script_edits.len(), 2, "{edit}");
    assert!(script_edits.iter().all(|e| e["newText"] == "fetch"));
    let test_edits = edit["changes"][&test_uri].as_array().unwrap();
    assert_eq!(
        test_edits.len(),
        4,
        "two mocks, path and visits; not `lookupx`: {edit}"
    );
    // Apply the test file's edits: it still parses, with `fetch` where `lookup` was.
    let mut renamed = test_text.to_string();
    let mut ranges: Vec<(usize, usize)> = test_edits
        .iter()
        .map(|e| {
            let offset = |p: &Value| {
                let line = p["line"].as_u64().unwrap() as usize;
                let start: usize = test_text
                    .split_inclusive('\n')
                    .take(line)
                    .map(str::len)
                    .sum();
                start + p["character"].as_u64().unwrap() as usize
            };
            (offset(&e["range"]["start"]), offset(&e["range"]["end"]))
        })
        .collect();
    ranges.sort();
    for (start, end) in ranges.into_iter().rev() {
        renamed.replace_range(start..end, "\"fetch\"");
    }
    assert!(!renamed.contains("\"lookup\""), "{renamed}");
    assert!(renamed.contains("'lookupx'"));
    toml::from_str::<toml::Table>(&renamed).expect("the renamed test file parses");
    let said = client
        .notifications
        .iter()
        .find(|n| n.method == "window/showMessage")
        .expect("the rename says what it left");
    assert!(said.params["message"]
        .as_str()
        .unwrap()
        .contains("test --update"));

    // Refused: an id taken, a name that is no identifier, a variable.
    params["newName"] = json!("done");
    assert!(client
        .request("textDocument/rename", params.clone())
        .is_err());
    params["newName"] = json!("two words");
    assert!(client.request("textDocument/rename", params).is_err());
    client.stop().unwrap();
}

#[test]
fn formatting_is_fmt_and_range_formatting_touches_only_its_actions() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/fmt.script");
    let text = "start:   Begin {Default->a}\na: Assign {Variable=x Value=1 Default->b}\nb:   End\n";
    client.open(&doc, text);
    let options = json!({ "tabSize": 2, "insertSpaces": true });
    let edits = client
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": doc }, "options": options }),
        )
        .unwrap();
    let formatted = studioflow::format::format_script(text).unwrap();
    let edit = &edits[0];
    let mut applied = text.to_string();
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    applied.replace_range(
        offset(&edit["range"]["start"])..offset(&edit["range"]["end"]),
        edit["newText"].as_str().unwrap(),
    );
    assert_eq!(applied, formatted);

    // Only the second line's action.
    let edits = client
        .request(
            "textDocument/rangeFormatting",
            json!({ "textDocument": { "uri": doc }, "options": options, "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 3 } } }),
        )
        .unwrap();
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    assert_eq!(edits[0]["range"]["start"]["line"], 1);
    assert_eq!(edits[0]["range"]["end"]["line"], 1);
    client.stop().unwrap();
}

#[test]
fn quick_fix_offers_the_did_you_mean() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/fix.script");
    let published = client.open(&doc, FLOW);
    let diagnostic = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "missing-target")
        .unwrap()
        .clone();
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": doc }, "range": diagnostic["range"], "context": { "diagnostics": [diagnostic] } }),
        )
        .unwrap();
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["edit"]["changes"][&doc][0]["newText"], "done");
    client.stop().unwrap();
}

#[test]
fn snippet_blocks_and_actions_fold() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/fold.script");
    let text = "start: Begin { Default -> code }\ncode: Snippet {\n  Data = \"\"\"\n    x = 1\n    y = 2\n  \"\"\"\n  Default -> done\n}\ndone: End\n";
    client.open(&doc, text);
    let ranges = client
        .request(
            "textDocument/foldingRange",
            json!({ "textDocument": { "uri": doc } }),
        )
        .unwrap();
    let spans: Vec<(u64, u64)> = ranges
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["startLine"].as_u64().unwrap(),
                r["endLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(spans.contains(&(1, 7)), "the action: {spans:?}");
    assert!(spans.contains(&(2, 5)), "the Snippet code: {spans:?}");
    client.stop().unwrap();
}

#[test]
fn semantic_tokens_name_ids_types_properties_branches_and_variables() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/tokens.script");
    let text = "start: Begin { Default -> a }\na: Assign { Variable = x Value = upper(y) Default -> done }\ndone: End\n";
    client.open(&doc, text);
    let init_legend = [
        "function",
        "type",
        "property",
        "enumMember",
        "variable",
        "method",
    ];
    let tokens = client
        .request(
            "textDocument/semanticTokens/full",
            json!({ "textDocument": { "uri": doc } }),
        )
        .unwrap();
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // Decode to (line, start, length, type).
    let (mut line, mut start) = (0, 0);
    let mut decoded = Vec::new();
    for chunk in data.chunks(5) {
        if chunk[0] > 0 {
            start = 0;
        }
        line += chunk[0];
        start += chunk[1];
        let word: String = text
            .lines()
            .nth(line as usize)
            .unwrap()
            .chars()
            .skip(start as usize)
            .take(chunk[2] as usize)
            .collect();
        decoded.push((word, init_legend[chunk[3] as usize]));
    }
    for expected in [
        ("start", "function"),
        ("Begin", "type"),
        ("Variable", "property"),
        ("Default", "enumMember"),
        ("x", "variable"),
        ("upper", "method"),
        ("y", "variable"),
        ("done", "function"),
    ] {
        assert!(
            decoded
                .iter()
                .any(|(w, t)| w == expected.0 && *t == expected.1),
            "{expected:?} in {decoded:?}"
        );
    }
    client.stop().unwrap();
}

#[test]
fn studio_files_get_diagnostics_and_symbols() {
    let mut client = Client::new();
    let path = "tests/fixtures/studio/phone.json";
    let text = std::fs::read_to_string(path).unwrap();
    let doc = uri(path);
    let published = client.open_as(&doc, "json", &text);
    assert_eq!(published["version"], 1);
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": doc } }),
        )
        .unwrap();
    let symbols = symbols.as_array().unwrap();
    assert!(symbols.len() >= 5, "{symbols:?}");
    // Each symbol sits on its ActionID in the JSON.
    for symbol in symbols {
        let line = symbol["range"]["start"]["line"].as_u64().unwrap() as usize;
        assert!(
            text.lines()
                .nth(line)
                .unwrap()
                .to_lowercase()
                .contains("actionid"),
            "{symbol}"
        );
    }
    // A broken file: one error where the JSON breaks.
    let broken = text.replacen('{', "{ ,", 2);
    let published = client.change(&doc, 2, &broken);
    assert_eq!(codes(&published), ["invalid-studio-file"], "{published}");
    client.stop().unwrap();
}

#[test]
fn exit_without_shutdown_is_an_error_and_unknown_requests_are_refused() {
    let mut client = Client::new();
    let refused = client
        .request("textDocument/prepareTypeHierarchy", json!({}))
        .unwrap_err();
    assert_eq!(refused["code"], -32601);
    assert!(client.exit_abruptly().is_err());
}

#[test]
fn the_command_exits_0_after_shutdown_and_exit_and_1_without_shutdown() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    fn framed(v: Value) -> Vec<u8> {
        let body = v.to_string();
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }
    for (with_shutdown, code) in [(true, 0), (false, 1)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_studioflow"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&framed(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "capabilities": {} } }))).unwrap();
        stdin
            .write_all(&framed(
                json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
            ))
            .unwrap();
        if with_shutdown {
            stdin
                .write_all(&framed(
                    json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }),
                ))
                .unwrap();
        }
        stdin
            .write_all(&framed(json!({ "jsonrpc": "2.0", "method": "exit" })))
            .unwrap();
        drop(stdin);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(code),
            "with shutdown: {with_shutdown}; {out}"
        );
        assert!(out.contains("\"capabilities\""));
    }
}

#[test]
fn an_initialize_missing_a_required_field_still_gets_a_server() {
    // `clientInfo` without its `name`, and capabilities of the wrong shape.
    let (mut client, init) = Client::start_raw(json!({
        "processId": null,
        "clientInfo": { "version": "1" },
        "capabilities": { "general": { "positionEncodings": ["utf-8"] }, "textDocument": 7 }
    }));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let published = client.open(
        &uri("tests/fixtures/lsp/lenient.script"),
        "start: Begin { Default -> x }\n",
    );
    assert_eq!(published["diagnostics"][0]["code"], "missing-target");
    client.stop().unwrap();
}

#[test]
fn definition_of_a_runsub_script_name_is_the_subscript_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::fs::write(
        dir.path().join("shared").join("money.script"),
        "script \"money\" type Generic\nstart: Begin { Default -> back }\nback: Return\n",
    )
    .unwrap();
    let main = dir.path().join("main.script");
    let text = "start: Begin { Default -> call }\ncall: RunSub { ScriptName = \"shared\\\\money\" Default -> done }\ndone: End\n";
    std::fs::write(&main, text).unwrap();
    let doc = format!("file://{}", main.display());
    let mut client = Client::new();
    client.open(&doc, text);
    let (line, character) = find(text, "shared", 0, 2);
    let found = client
        .request("textDocument/definition", at(&doc, line, character))
        .unwrap();
    let target = format!(
        "file://{}",
        dir.path().join("shared").join("money.script").display()
    );
    assert_eq!(found["uri"], target, "{found}");
    client.stop().unwrap();
}

#[test]
fn workspace_symbols_find_actions_in_open_documents_and_in_the_workspace() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/ws.script");
    client.open(
        &doc,
        "start: Begin { Default -> zebraQuokka }\nzebraQuokka: End\n",
    );
    let found = client
        .request("workspace/symbol", json!({ "query": "zebraquo" }))
        .unwrap();
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["zebraQuokka"], "{found}");
    // The repository's scripts are under the workspace folder (rootUri).
    let found = client
        .request("workspace/symbol", json!({ "query": "holdMusic" }))
        .unwrap();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["location"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("scripts/phone.script")),
        "{found}"
    );
    client.stop().unwrap();
}

#[test]
fn snippet_code_errors_are_diagnostics_at_their_place() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/snippet.script");
    let text = "start: Begin { Default -> code }\ncode: Snippet {\n  Data = \"\"\"\n    x = 1\n    y = upper()\n  \"\"\"\n  Default -> done\n}\ndone: End\n";
    let published = client.open(&doc, text);
    let arity = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "wrong-argument-count")
        .unwrap_or_else(|| panic!("{published}"));
    assert_eq!(arity["range"]["start"]["line"], 4, "{arity}");
    client.stop().unwrap();
}

#[test]
fn diagnostics_are_capped_with_a_note_saying_how_many_more() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/many.script");
    let mut text = String::from("start: Begin { Default -> a0 }\n");
    for i in 0..1_500 {
        text.push_str(&format!(
            "a{i}: Assign {{ Variable = x Value = 1 Default -> missing{i} }}\n"
        ));
    }
    let published = client.open(&doc, &text);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1_001);
    let note = diagnostics.last().unwrap()["message"].as_str().unwrap();
    assert!(note.contains("more diagnostics not shown"), "{note}");
    client.stop().unwrap();
}
