//! Completion and hover through the protocol (tests/lsp_support is the
//! client): each context gives its kind of candidates, hover says what a
//! word is, and neither fails anywhere in a real script.

#[path = "lsp_support/mod.rs"]
mod lsp_support;

use lsp_support::{at, find, uri, Client};
use serde_json::Value;

const FLOW: &str = r#"script "Hello" type Phone inputs Name
start: Begin { Default -> greet }

greet: Assign "Say hello" {
  Variable = Greeting
  Value = "Hello {upper(Name)}"
  Default -> done
}

calc: Snippet {
  Data = """
    ASSIGN total = 0
    FOR i = 1 TO 3 { total = total + i }
    FUNCTION Twice(n) { RETURN n * 2 }
  """
  Default -> done
}

done: End
"#;

// LSP's CompletionItemKind numbers.
const METHOD: u64 = 2;
const FUNCTION: u64 = 3;
const VARIABLE: u64 = 6;
const CLASS: u64 = 7;
const PROPERTY: u64 = 10;
const KEYWORD: u64 = 14;
const REFERENCE: u64 = 18;
const EVENT: u64 = 23;

/// Opens `text` with `|` marking the cursor, asks for completion there.
fn complete(text_with_cursor: &str) -> Value {
    let text = text_with_cursor.replacen('|', "", 1);
    let (line, character) = find(text_with_cursor, "|", 0, 0);
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/complete.script");
    client.open(&doc, &text);
    let result = client
        .request("textDocument/completion", at(&doc, line, character))
        .expect("completion answers");
    client.stop().unwrap();
    assert_eq!(result["isIncomplete"], false, "{result}");
    result
}

fn items(result: &Value) -> Vec<Value> {
    result["items"].as_array().cloned().unwrap_or_default()
}

fn labels_of_kind(result: &Value, kind: u64) -> Vec<String> {
    items(result)
        .iter()
        .filter(|i| i["kind"] == kind)
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

fn item<'a>(all: &'a [Value], label: &str) -> &'a Value {
    all.iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no item {label} in {all:?}"))
}

fn kinds(result: &Value) -> Vec<u64> {
    let mut kinds: Vec<u64> = items(result)
        .iter()
        .map(|i| i["kind"].as_u64().unwrap())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

#[test]
fn after_an_id_and_a_colon_action_types_come_with_a_snippet_of_their_body() {
    let result = complete("start: Begin { Default -> a }\na: |\n");
    assert_eq!(kinds(&result), [CLASS], "{result}");
    let all = items(&result);
    let assign = item(&all, "Assign");
    assert_eq!(assign["insertTextFormat"], 2, "a snippet: {assign}");
    let insert = assign["insertText"].as_str().unwrap();
    assert_eq!(
        insert,
        "Assign {\n\tVariable = $1\n\tValue = $2\n\tDefault -> $3\n}"
    );
    assert!(insert.contains("Variable = "));
    // Every built-in, a terminal one without branches.
    for name in ["Begin", "If", "Case", "Snippet", "Menu", "RestApi", "End"] {
        item(&all, name);
    }
    assert_eq!(item(&all, "End")["insertText"], "End");
    assert!(item(&all, "If")["insertText"]
        .as_str()
        .unwrap()
        .contains("True -> $2"));
    // At a new line's start the id is a tabstop too.
    let result = complete("start: Begin { Default -> a }\n|");
    let all = items(&result);
    assert!(item(&all, "Wait")["insertText"]
        .as_str()
        .unwrap()
        .starts_with("${1:id}: Wait"));
}

#[test]
fn in_a_body_the_properties_not_yet_written_and_the_branches() {
    let result = complete("start: Begin { Default -> a }\na: Assign {\n  |\n}\n");
    let properties = labels_of_kind(&result, PROPERTY);
    assert_eq!(properties, ["Variable", "Value"], "{result}");
    let branches = labels_of_kind(&result, EVENT);
    assert!(branches.contains(&"Default".to_string()), "{result}");
    assert!(branches.contains(&"Error".to_string()), "{result}");
    assert!(!properties.contains(&"Expression".to_string()));
    assert_eq!(kinds(&result), [PROPERTY, EVENT]);

    // Written ones are left out; a half-typed name does not change the list.
    let result = complete("a: Assign {\n  Variable = x\n  Va|\n}\n");
    assert_eq!(labels_of_kind(&result, PROPERTY), ["Value"]);

    // If: its own branches; Case: the labelled branch as a snippet.
    let result = complete("a: If {\n  Expression = x\n  |\n}\n");
    let branches = labels_of_kind(&result, EVENT);
    for b in ["True", "False", "Default", "Error"] {
        assert!(branches.contains(&b.to_string()), "{b}: {result}");
    }
    assert!(labels_of_kind(&result, PROPERTY).is_empty());
    let result = complete("a: Case {\n  Value = x\n  |\n}\n");
    let all = items(&result);
    assert_eq!(item(&all, "Case")["insertText"], "Case \"$1\" -> $0");

    // A terminal action has no branches.
    let result = complete("a: Return {\n  |\n}\n");
    assert_eq!(labels_of_kind(&result, PROPERTY), ["ReturnValue"]);
    assert!(labels_of_kind(&result, EVENT).is_empty(), "{result}");
}

#[test]
fn after_an_arrow_the_ids_of_the_script() {
    let text = FLOW.replace("Default -> done\n}\n\ncalc", "Default -> |\n}\n\ncalc");
    let result = complete(&text);
    assert_eq!(kinds(&result), [REFERENCE], "{result}");
    let mut ids = labels_of_kind(&result, REFERENCE);
    ids.sort();
    assert_eq!(ids, ["calc", "done", "greet", "start"]);
    let all = items(&result);
    assert_eq!(item(&all, "greet")["detail"], "Assign \"Say hello\"");
}

#[test]
fn in_a_value_variables_functions_with_signatures_and_literals() {
    let text = FLOW.replace("Value = \"Hello", "Value = |\"Hello");
    let result = complete(&text);
    let variables = labels_of_kind(&result, VARIABLE);
    // Written by the script, the header's input, Studio's own.
    for v in ["Greeting", "Name", "total", "i", "ANI", "CONTACTID", "_ERR"] {
        assert!(variables.contains(&v.to_string()), "{v}: {variables:?}");
    }
    let all = items(&result);
    let upper = item(&all, "upper");
    assert_eq!(upper["kind"], FUNCTION);
    assert_eq!(upper["detail"], "upper(text)");
    assert_eq!(upper["insertText"], "upper($1)");
    assert_eq!(upper["insertTextFormat"], 2);
    assert_eq!(
        item(&all, "substr")["detail"],
        "substr(text, start, length?)"
    );
    assert_eq!(item(&all, "now")["insertText"], "now()");
    item(&all, "true");
    // No Snippet keywords, no properties outside Snippet code.
    assert!(labels_of_kind(&result, KEYWORD).is_empty());
    assert!(labels_of_kind(&result, PROPERTY).is_empty());

    // Inside a template's braces and inside parentheses too.
    let text = FLOW.replace("{upper(Name)}", "{upper(|Name)}");
    let result = complete(&text);
    assert!(labels_of_kind(&result, VARIABLE).contains(&"Greeting".to_string()));
    assert!(labels_of_kind(&result, FUNCTION).contains(&"len".to_string()));
    // In a template's text: nothing.
    let text = FLOW.replace("\"Hello {", "\"Hel|lo {");
    assert!(items(&complete(&text)).is_empty());
    // In a comment: nothing.
    assert!(items(&complete("// a: Ass|\nstart: Begin\n")).is_empty());
    // A property of words offers them.
    let result = complete("a: ListAgents {\n  Status = |\n}\n");
    let all = items(&result);
    for word in ["active", "inactive", "all"] {
        item(&all, word);
    }
    // A word written in another action is not offered as a variable.
    let result = complete("b: ListAgents {\n  Status = all\n}\na: Assign {\n  Value = |\n}\n");
    assert!(!labels_of_kind(&result, VARIABLE).contains(&"all".to_string()));
    // After a dot: the functions as methods.
    let result = complete("a: Assign {\n  Value = Name.|\n}\n");
    assert_eq!(kinds(&result), [METHOD], "{result}");
    assert_eq!(item(&items(&result), "left")["detail"], "left(text, n)");
}

#[test]
fn snippet_keywords_only_inside_snippet_code() {
    let text = FLOW.replace("    FOR i", "    |\n    FOR i");
    let result = complete(&text);
    let keywords = labels_of_kind(&result, KEYWORD);
    for k in [
        "IF", "ELSE", "SWITCH", "CASE", "DEFAULT", "SELECT", "FOR", "FOREACH", "IN", "TO",
        "REPEAT", "BREAK", "DYNAMIC", "FUNCTION", "RETURN", "TRACE", "ASSIGN",
    ] {
        assert!(keywords.contains(&k.to_string()), "{k}: {keywords:?}");
    }
    // WHILE and USES are refused by check: not offered.
    assert!(!keywords.contains(&"WHILE".to_string()));
    assert!(labels_of_kind(&result, FUNCTION).contains(&"upper".to_string()));
    assert!(labels_of_kind(&result, VARIABLE).contains(&"total".to_string()));
    // The script's own FUNCTIONs, and its loop variables.
    let all = items(&result);
    assert_eq!(item(&all, "Twice")["detail"], "Twice(n)");
    assert_eq!(item(&all, "i")["kind"], VARIABLE);
    assert!(item(&all, "FOREACH")["insertText"]
        .as_str()
        .unwrap()
        .starts_with("FOREACH "));
    // Nowhere else: not in the body after the block.
    let text = FLOW.replace(
        "  \"\"\"\n  Default -> done",
        "  \"\"\"\n  |\n  Default -> done",
    );
    let result = complete(&text);
    assert!(labels_of_kind(&result, KEYWORD).is_empty(), "{result}");
    assert!(labels_of_kind(&result, EVENT).contains(&"Default".to_string()));
    // A Snippet's REST proxy methods after a dot.
    let text = FLOW.replace("    FOR i", "    p.|\n    FOR i");
    let result = complete(&text);
    assert!(labels_of_kind(&result, METHOD).contains(&"MakeRestRequest".to_string()));
}

fn hover(text: &str, needle: &str, nth: usize, shift: u32) -> Value {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/hover.script");
    client.open(&doc, text);
    let (line, character) = find(text, needle, nth, shift);
    let result = client
        .request("textDocument/hover", at(&doc, line, character))
        .expect("hover answers");
    client.stop().unwrap();
    result
}

fn markdown(result: &Value) -> String {
    assert_eq!(result["contents"]["kind"], "markdown", "{result}");
    result["contents"]["value"].as_str().unwrap().to_string()
}

#[test]
fn hover_says_what_an_action_type_a_property_a_branch_and_a_function_are() {
    let result = hover(FLOW, "Assign", 0, 2);
    let text = markdown(&result);
    assert!(text.contains("**Assign**"), "{text}");
    assert!(
        text.contains("`Variable`: output variable, required"),
        "{text}"
    );
    assert!(text.contains("`Value`: Template, required"), "{text}");
    assert!(text.contains("`Default`, `Error`"), "{text}");
    let (line, character) = find(FLOW, "Assign", 0, 0);
    assert_eq!(result["range"]["start"]["line"], line);
    assert_eq!(result["range"]["start"]["character"], character);
    assert_eq!(result["range"]["end"]["character"], character + 6);

    let text = markdown(&hover(FLOW, "Value =", 0, 1));
    assert!(text.contains("property of `Assign`"), "{text}");
    assert!(text.contains("Template"), "{text}");
    assert!(text.contains("required"), "{text}");

    let loop_ = "a: Loop {\n  Repeat = 2\n  CounterName = n\n  Finished -> a\n}\n";
    let text = markdown(&hover(loop_, "CounterName", 0, 0));
    assert!(text.contains("optional"), "{text}");
    assert!(text.contains("default: `counter`"), "{text}");
    let text = markdown(&hover(loop_, "Finished", 0, 0));
    assert!(text.contains("branch of `Loop`"), "{text}");
    let agents = "a: ListAgents {\n  Status = all\n}\n";
    let text = markdown(&hover(agents, "Status", 0, 0));
    assert!(
        text.contains("one of: `active`, `inactive`, `all`"),
        "{text}"
    );

    let text = markdown(&hover(FLOW, "Default", 1, 0));
    assert!(text.contains("**Default**"), "{text}");

    let text = markdown(&hover(FLOW, "upper", 0, 1));
    assert!(text.contains("upper(text)"), "{text}");
    assert!(text.contains("upper case"), "{text}");

    let text = markdown(&hover(FLOW, "FOR", 0, 0));
    assert!(text.contains("**FOR**"), "{text}");
    let flow = FLOW.replace("total + i", "total + Twice(i)");
    let text = markdown(&hover(&flow, "Twice(i)", 0, 1));
    assert!(text.contains("Twice(n)"), "{text}");
    assert!(text.contains("Snippet FUNCTION"), "{text}");
    let text = markdown(&hover(FLOW, "+ i", 0, 2));
    assert!(text.contains("loop variable"), "{text}");
}

#[test]
fn hover_on_a_variable_says_where_it_is_first_assigned_or_where_it_comes_from() {
    let text = markdown(&hover(FLOW, "Greeting", 0, 3));
    assert!(
        text.contains("first assigned by `greet` (line 5)"),
        "{text}"
    );
    let text = markdown(&hover(FLOW, "total + i", 0, 1));
    assert!(
        text.contains("first assigned by `calc` (line 12)"),
        "{text}"
    );
    let text = markdown(&hover(FLOW, "Name)", 0, 1));
    assert!(text.contains("an input (script header)"), "{text}");
    let flow = FLOW.replace("upper(Name)", "upper(ANI)");
    let text = markdown(&hover(&flow, "ANI", 0, 1));
    assert!(text.contains("a Studio system variable"), "{text}");
    let flow = FLOW.replace("upper(Name)", "upper(Nobody)");
    let text = markdown(&hover(&flow, "Nobody", 0, 1));
    assert!(text.contains("never assigned"), "{text}");
}

#[test]
fn hover_on_whitespace_and_comments_is_null() {
    assert_eq!(hover(FLOW, "  Variable", 0, 1), Value::Null);
    assert_eq!(hover(FLOW, "\ncalc", 0, 0), Value::Null);
    let text = "// Assign a value\nstart: Begin\n";
    assert_eq!(hover(text, "Assign", 0, 1), Value::Null);
}

#[test]
fn completion_and_hover_never_fail_anywhere_in_a_real_script() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/phone.script"))
            .unwrap();
    // A few odd texts too: half-typed actions, unclosed strings and blocks,
    // multi-byte characters.
    let odd = [
        "a: Assign { Value = \"é😀{",
        "a: Snippet { Data = \"\"\"\n IF x { y = \"😀",
        "script \"x\" type",
        "a: Case { Case -",
        "}}}{{{\"\"\"\"(((",
    ];
    let mut client = Client::new();
    let mut requests = 0;
    for (n, text) in std::iter::once(text.as_str()).chain(odd).enumerate() {
        let doc = uri(&format!("tests/fixtures/lsp/every{n}.script"));
        client.open(&doc, text);
        for (line, content) in text.split('\n').enumerate() {
            let width = content.encode_utf16().count() as u32;
            for character in [0, width / 2, width, width + 3] {
                for method in ["textDocument/completion", "textDocument/hover"] {
                    let result = client.request(method, at(&doc, line as u32, character));
                    assert!(result.is_ok(), "{method} at {line}:{character}: {result:?}");
                    requests += 1;
                }
            }
        }
    }
    assert!(requests > 100 && requests < 2000, "{requests}");
    client.stop().unwrap();
}

#[test]
fn positions_count_utf16_units_before_the_cursor() {
    // The emoji is two UTF-16 units: a server counting bytes or chars would
    // put the cursor elsewhere and miss the context or the word.
    let result = complete("b: End\na: Assign { Value = \"😀é\" Default -> |\n");
    assert_eq!(labels_of_kind(&result, REFERENCE), ["b", "a"], "{result}");
    let text = "a: Assign { Variable = x Value = \"😀{upper(x)}\" }\n";
    let result = hover(text, "upper", 0, 2);
    assert!(markdown(&result).contains("upper(text)"));
    let (line, character) = find(text, "upper", 0, 0);
    assert_eq!(result["range"]["start"]["line"], line);
    assert_eq!(result["range"]["start"]["character"], character);
    assert_eq!(result["range"]["end"]["character"], character + 5);
}

#[test]
fn runsub_script_name_completes_the_scripts_beside_and_below() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::fs::write(
        dir.path().join("shared").join("format_money.script"),
        "start: Begin\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("other.script"), "start: Begin\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a script").unwrap();
    let main = dir.path().join("main.script");
    let text = "start: Begin { Default -> call }\ncall: RunSub { ScriptName = \n  Default -> done }\ndone: End\n";
    std::fs::write(&main, text).unwrap();
    let doc = format!("file://{}", main.display());
    let mut client = Client::new();
    client.open(&doc, text);
    let (line, character) = find(text, "ScriptName = ", 0, 13);
    let found = client
        .request("textDocument/completion", at(&doc, line, character))
        .unwrap();
    let items = found["items"].as_array().unwrap();
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["other", "shared/format_money"], "{found}");
    assert_eq!(items[1]["insertText"], "\"shared/format_money\"");
    client.stop().unwrap();
}

#[test]
fn an_empty_document_offers_the_script_header() {
    let mut client = Client::new();
    let doc = uri("tests/fixtures/lsp/header.script");
    client.open(&doc, "// A new flow.\n");
    let found = client
        .request("textDocument/completion", at(&doc, 1, 0))
        .unwrap();
    let items = found["items"].as_array().unwrap();
    assert_eq!(items[0]["label"], "script", "{found}");
    assert!(
        items[0]["insertText"]
            .as_str()
            .unwrap()
            .contains("type ${2|Generic,Email,Chat,Phone,"),
        "{}",
        items[0]
    );
    // Not once an action is written above.
    client.change(&doc, 2, "start: Begin { Default -> done }\n\n");
    let found = client
        .request("textDocument/completion", at(&doc, 1, 0))
        .unwrap();
    assert!(found["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["label"] != "script"));
    client.stop().unwrap();
}
