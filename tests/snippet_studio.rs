//! Snippet code as real Studio scripts write it (issue 20, item 6): stacked
//! CASE labels, `CASE OTHER`, `$"..."` and `'...'` strings, quotes inside a
//! template's braces, backslashes that are no escapes, `global:name`
//! anywhere, NICE's string functions, `char(n)` and `.savetodb(n)`. Each is
//! parsed, run and checked for its diagnostics; hostile input is bounded.

use studioflow::format::format_snippet;
use studioflow::snippet::{parse, StmtKind};
use studioflow::{Engine, MemoryResolver, Outcome, RunOptions, TranscriptKind, Value};

/// A script whose only work is one Snippet with `code`; Error goes to `failed`.
fn script(code: &str) -> String {
    format!(
        "start: Begin {{ Default -> calc }}\ncalc: Snippet {{\n  Data = \"\"\"\n{code}\n  \"\"\"\n  Default -> done\n  Error -> failed\n}}\ndone: End\nfailed: End\n"
    )
}

fn run(code: &str) -> studioflow::Run {
    let engine = Engine::new();
    let s = engine
        .compile(&script(code), "studio.script")
        .unwrap_or_else(|d| panic!("{}", d.render(&d.items()[0])));
    engine.run(&s, RunOptions::default().trace(true))
}

fn text(run: &studioflow::Run, name: &str) -> String {
    run.variables
        .get(name)
        .unwrap_or_else(|| panic!("`{name}` is not set; variables: {:?}", run.variables))
        .to_text()
}

/// The first compile error: its line and column in the `.script` file, and
/// its message.
fn compile_error(code: &str) -> (usize, usize, String) {
    let d = Engine::new()
        .compile(&script(code), "studio.script")
        .expect_err("the snippet should not compile");
    let first = d.errors().next().expect("an error").clone();
    let (line, col) = d.source().line_col(first.span.start);
    (line, col, first.message)
}

// ------------------------------------------------------------ stacked CASE labels

const STACKED_SELECT: &str = r#"SELECT
{
  CASE HTTPStatus = 200 // ok
  CASE HTTPStatus = 204 // ok
  {
    result = "ok"
  }
  CASE OTHER
  {
    result = "bad"
  }
}"#;

#[test]
fn stacked_select_labels_share_one_body() {
    for (status, expected) in [(200, "ok"), (204, "ok"), (500, "bad")] {
        let r = run(&format!("HTTPStatus = {status}\n{STACKED_SELECT}"));
        assert_eq!(r.outcome, Outcome::Completed);
        assert_eq!(text(&r, "result"), expected, "status {status}");
    }
}

#[test]
fn stacked_switch_labels_share_one_body() {
    let code = |x: &str| {
        format!(
            "x = {x}\nSWITCH x\n{{\n  CASE \"a\"\n  CASE \"b\" {{ r = 1 }}\n  CASE \"c\" {{ r = 2 }}\n  DEFAULT {{ r = 0 }}\n}}"
        )
    };
    for (x, expected) in [
        ("\"a\"", "1"),
        ("\"b\"", "1"),
        ("\"c\"", "2"),
        ("\"z\"", "0"),
    ] {
        assert_eq!(text(&run(&code(x)), "r"), expected, "x = {x}");
    } // CASE OTHER is SWITCH's DEFAULT too.
    let r = run("x = 9\nSWITCH x { CASE 1 CASE 2 { r = 1 } CASE other { r = 0 } }");
    assert_eq!(text(&r, "r"), "0");
}

#[test]
fn a_request_inside_a_stacked_case_waits_and_resumes_there() {
    let code = r#"s = 204
SELECT
{
  CASE s = 200
  CASE s = 204
  {
    p = GetRESTProxy()
    reply = p.MakeRestRequest("https://crm.example/x")
    got = "{p.StatusCode}:{reply.name}"
  }
}
after = 1"#;
    let engine = Engine::new();
    let script = engine.compile(&script(code), "wait.script").unwrap();
    let waiting = engine.run(&script, RunOptions::default());
    assert_eq!(waiting.outcome, Outcome::Waiting);
    let paused = *waiting.paused.expect("a paused run");
    let reply = studioflow::Event::Reply(studioflow::HttpReply::new(200, r#"{"name":"Ada"}"#));
    let r = engine.resume(&script, paused, reply).unwrap();
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(text(&r, "got"), "200:Ada");
    assert_eq!(text(&r, "after"), "1");
}

#[test]
fn stacked_labels_parse_as_one_case_with_several_labels() {
    let stmts = parse(STACKED_SELECT, 0).unwrap();
    let StmtKind::Select { cases, default } = &stmts[0].kind else {
        panic!("a SELECT: {stmts:?}");
    };
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].0.len(), 2);
    assert!(default.is_some(), "CASE OTHER is the DEFAULT");
}

#[test]
fn a_label_without_a_block_is_an_error_at_the_end() {
    let (line, col, message) = compile_error("SELECT\n{\n  CASE x = 1\n}");
    assert_eq!((line, col), (7, 1), "{message}");
    assert!(message.contains("`{`"), "{message}");
}

#[test]
fn case_other_cannot_share_a_block_or_come_twice() {
    let (line, col, message) = compile_error("SELECT {\n  CASE x = 1\n  CASE OTHER { r = 1 }\n}");
    assert!(message.contains("CASE OTHER is the DEFAULT"), "{message}");
    assert_eq!((line, col), (6, 8));
    let (_, _, message) = compile_error("SELECT {\n  CASE OTHER { r = 1 }\n  DEFAULT { r = 2 }\n}");
    assert!(message.contains("a second DEFAULT"), "{message}");
    // `(OTHER)` is an expression, not the keyword: a variable named so.
    let r = run("OTHER = true\nSELECT { CASE (OTHER) { r = 1 } }");
    assert_eq!(text(&r, "r"), "1");
}

#[test]
fn stacked_labels_are_formatted_one_per_line_with_their_comments() {
    let once = format_snippet(STACKED_SELECT, "").expect("formats");
    assert_eq!(
        once,
        "SELECT\n{\n  CASE HTTPStatus = 200 // ok\n  CASE HTTPStatus = 204 // ok\n  {\n    result = \"ok\"\n  }\n  DEFAULT\n  {\n    result = \"bad\"\n  }\n}\n"
    );
    assert_eq!(format_snippet(&once, "").unwrap(), once);
}

// ------------------------------------------------------------ string literals

#[test]
fn dollar_strings_interpolate_and_keep_lone_closing_braces() {
    let r = run(r#"x = 7
a = $"n={x} \{lit\} }{{ \"q\" \d""#);
    assert_eq!(text(&r, "a"), r#"n=7 {lit} }{ "q" \d"#);
}

#[test]
fn single_quoted_strings_are_templates_without_the_double_quote_escape() {
    let r = run(r#"x = 1
a = 'say "hi" {x}'
b = '\"'
c = 'it\'s'
d = ''"#);
    assert_eq!(text(&r, "a"), r#"say "hi" 1"#);
    assert_eq!(text(&r, "b"), r#"\""#);
    assert_eq!(text(&r, "c"), "it's");
    assert_eq!(text(&r, "d"), "");
}

#[test]
fn quotes_inside_a_templates_braces() {
    // Real code escapes quotes for JSON this way.
    let r = run(r#"s = 'a"b'
j = "{s.replace('"','\"')}""#);
    assert_eq!(text(&r, "j"), r#"a\"b"#);
}

#[test]
fn backslashes_that_are_no_escapes_are_kept() {
    let r = run(r#"re = "\bwd\b"
n = len(re)
known = "a\tb\\c\"d""#);
    assert_eq!(text(&r, "re"), r"\bwd\b");
    assert_eq!(text(&r, "n"), "6");
    assert_eq!(text(&r, "known"), "a\tb\\c\"d");
}

#[test]
fn outside_snippet_code_an_unknown_escape_is_still_an_error() {
    let d = Engine::new()
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = x Value = \"\\d\" }",
            "s.script",
        )
        .expect_err("an unknown escape in a .script property");
    let first = d.errors().next().unwrap();
    assert!(
        first.message.contains("unknown escape `\\d`"),
        "{}",
        first.message
    );
}

#[test]
fn unterminated_strings_name_their_quote_and_place() {
    let (line, col, message) = compile_error("x = 1\ny = 'abc");
    assert_eq!((line, col), (5, 5), "{message}");
    assert!(message.contains("no closing `'`"), "{message}");
    let (line, col, message) = compile_error("y = $\"abc {x");
    assert_eq!((line, col), (4, 5), "{message}");
    assert!(message.contains("no closing `\"`"), "{message}");
    // A quote opened inside `{...}` and never closed: the `{` is named.
    let (line, col, message) = compile_error("y = \"a{'b}\"");
    assert_eq!((line, col), (4, 7), "{message}");
    assert!(
        message.contains("`{` in a string is never closed"),
        "{message}"
    );
}

#[test]
fn formatting_writes_every_string_double_quoted_and_means_the_same() {
    let code = "a = 'x{b}\\'\"'\nc = $\"}{d}\"\ne = \"\\bw\"\nGlobal:f = GLOBAL:g\n";
    let formatted = format_snippet(code, "").expect("formats");
    assert_eq!(
        formatted,
        "a = \"x{b}'\\\"\"\nc = \"}}{d}\"\ne = \"\\\\bw\"\nglobal:f = global:g\n"
    );
    let strip = |c: &str| studioflow::format::snippet_without_spans(parse(c, 0).unwrap());
    assert_eq!(strip(code), strip(&formatted));
}

// ------------------------------------------------------------ global:

#[test]
fn global_names_read_and_write_the_scripts_variable() {
    let r = run(r#"global:Lang = "fr"
Global:n = 1
GLOBAL:n = global:n + 1
msg = "{Global:Lang}-{n}"
o = global:Lang.left(1)"#);
    assert_eq!(text(&r, "Lang"), "fr");
    assert_eq!(text(&r, "n"), "2");
    assert_eq!(text(&r, "msg"), "fr-2");
    assert_eq!(text(&r, "o"), "f");
    // `global:` names a script variable even inside a function whose
    // parameter has the name.
    let r =
        run("Lang = \"en\"\nFUNCTION f(Lang) { RETURN \"{Lang}/{global:Lang}\" }\nx = f(\"de\")");
    assert_eq!(text(&r, "x"), "de/en");
}

#[test]
fn global_names_ignore_case_as_studios_names_do() {
    let r = run(r#"Lang = "fr"
x = global:LANG
global:lang = "{x}!"
y = "{Global:LANG}""#);
    assert_eq!(text(&r, "Lang"), "fr!");
    assert_eq!(text(&r, "y"), "fr!");
    assert!(r.variable("lang").is_none() && r.variable("LANG").is_none());
}

#[test]
fn a_subscript_reads_and_writes_the_callers_global() {
    let sub = "start: Begin { Default -> s }\ns: Snippet { Data = \"\"\"\n  greeting = \"{global:Lang}!\"\n  IF global:Lang = \"fr\" { global:Seen = 1 }\n\"\"\" Default -> r }\nr: Return { ReturnValue = greeting }";
    let mut resolver = MemoryResolver::default();
    resolver.insert("sub", sub);
    let engine = Engine::builder().script_resolver(resolver).build();
    // The caller has the variables the subscript shares (as in the
    // subscripts tests: a `global:` name the caller never uses stays the
    // subscript's).
    let main = "start: Begin { Default -> a }\na: Assign { Variable = Lang Value = \"fr\" Default -> c }\nc: RunSub { ScriptName = sub ReturnVariable = R Default -> d }\nd: Assign { Variable = Out Value = \"{Seen}\" }";
    let s = engine.compile(main, "main").unwrap();
    let r = engine.run(&s, RunOptions::default());
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(r.variables["R"], Value::from("fr!"));
    assert_eq!(r.variables["Out"], Value::from("1"));
}

#[test]
fn global_in_a_property_expression_is_the_scripts_variable() {
    let engine = Engine::new();
    let s = engine
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = x Value = 2 Default -> b }\nb: Assign { Variable = y Value = global:x * 10 }",
            "p.script",
        )
        .unwrap();
    let r = engine.run(&s, RunOptions::default());
    assert_eq!(r.variables["y"], Value::from(20.0));
}

// ------------------------------------------------------------ functions

#[test]
fn string_methods_and_char() {
    let r = run(r#"phone = "+15551234567"
IF phone.beginswith("+1") { national = phone.right(10) }
area = national.left(3)
padded = "  x  "
l = "[{padded.ltrim()}]"
rt = "[{padded.rtrim()}]"
nl = char(65)"#);
    assert_eq!(text(&r, "national"), "5551234567");
    assert_eq!(text(&r, "area"), "555");
    assert_eq!(text(&r, "l"), "[x  ]");
    assert_eq!(text(&r, "rt"), "[  x]");
    assert_eq!(text(&r, "nl"), "A");
}

#[test]
fn a_bad_argument_takes_error_with_the_line() {
    let r = run("x = 1\ny = \"abc\".left(-2)");
    assert_eq!(
        r.variables["_ERR"].to_text(),
        "line 5: left(): argument 2 must be 0 or more, got -2"
    );
    let r = run("c = char(55296)");
    assert!(
        r.variables["_ERR"].to_text().contains("no character code"),
        "{:?}",
        r.variables
    );
    let (_, _, message) = compile_error("x = left(\"a\")");
    assert!(message.contains("left() takes 2 arguments"), "{message}");
}

// ------------------------------------------------------------ .savetodb()

#[test]
fn savetodb_is_recorded_in_the_transcript() {
    let r = run("score = 42\nscore.savetodb(3)\nDYNAMIC o\no.a = 1\no.savetodb()");
    assert_eq!(r.outcome, Outcome::Completed);
    let data: Vec<_> = r
        .transcript
        .iter()
        .filter(|e| e.kind == TranscriptKind::Data)
        .map(|e| (&*e.action, &*e.text))
        .collect();
    assert_eq!(
        data,
        [
            ("calc", "score.savetodb(3): 42"),
            ("calc", r#"o.savetodb(): {"a":1}"#)
        ]
    );
    // Nothing else changed.
    assert_eq!(text(&r, "score"), "42");
}

#[test]
fn savetodb_is_a_statement_of_its_own() {
    let (line, col, message) = compile_error("score = 1\nx = score.savetodb(1)");
    assert!(
        message.contains("savetodb() saves its receiver"),
        "{message}"
    );
    assert_eq!((line, col), (5, 11));
    let (_, _, message) = compile_error("score.savetodb(1, 2)");
    assert!(
        message.contains("savetodb() takes 0 to 1 arguments"),
        "{message}"
    );
}

#[test]
fn savetodb_entries_are_bounded_like_the_transcript() {
    let r = run("FOR i = 1 TO 5000 { i.savetodb(1) }");
    let data = r
        .transcript
        .iter()
        .filter(|e| e.kind == TranscriptKind::Data)
        .count();
    assert_eq!(data, 2000);
    assert_eq!(r.transcript_omitted, 3000);
    assert_eq!(
        r.transcript.last().unwrap().text.as_ref(),
        "i.savetodb(1): 5000"
    );
}

// ------------------------------------------------------------ hostile input

#[test]
fn deeply_nested_templates_are_refused_without_recursion() {
    for (open, close) in [("$\"{", "}\""), ("'{", "}'"), ("\"{", "}\"")] {
        let code = format!("x = {}1{}", open.repeat(50_000), close.repeat(50_000));
        let (_, _, message) = compile_error(&code);
        assert!(message.contains("deeper than"), "{open}: {message}");
    }
    // Within the bound, nesting works.
    let code = format!("x = {}1{}", "$\"{".repeat(20), "}\"".repeat(20));
    assert_eq!(text(&run(&code), "x"), "1");
}

#[test]
fn huge_strings_parse_and_long_ones_run() {
    // A megabyte of string literal parses (the parser is linear in it).
    for (quote, body) in [("\"", "ab\\c'"), ("'", "ab\\c\""), ("$\"", "a}\\c'")] {
        let close = if quote == "'" { "'" } else { "\"" };
        let code = format!("x = {quote}{}{close}", body.repeat(200_000));
        let stmts = parse(&code, 0).unwrap_or_else(|d| panic!("{quote}: {}", d.message));
        assert_eq!(stmts.len(), 1);
    }
    // Under MaxStringSize (32K by default) such a string runs.
    let r = run(&format!("x = '{}'\nn = len(x)", "ab\\c\"".repeat(5_000)));
    assert_eq!(text(&r, "n"), "25000");
}

#[test]
fn many_stacked_labels_are_read_and_run_in_linear_time() {
    let labels: String = (1..=20_000).map(|i| format!("CASE x = {i}\n")).collect();
    let started = std::time::Instant::now();
    let r = run(&format!("x = 19999\nSELECT {{\n{labels}{{ hit = x }}\n}}"));
    assert_eq!(text(&r, "hit"), "19999");
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}
