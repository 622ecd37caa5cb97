//! The Snippet action and its language: NICE's documented examples with
//! their documented results, every statement, errors with their positions,
//! budgets, and a property test of the parser.

use proptest::prelude::*;
use studioflow::{Engine, Limits, Outcome, RunOptions, Value};

/// A script whose only work is one Snippet with `code`; Error goes to `failed`.
fn script(code: &str) -> String {
    format!(
        "start: Begin {{ Default -> calc }}\ncalc: Snippet {{\n  Data = \"\"\"\n{code}\n  \"\"\"\n  Default -> done\n  Error -> failed\n}}\ndone: End\nfailed: End\n"
    )
}

fn run_with(engine: &Engine, code: &str) -> studioflow::Run {
    let s = engine
        .compile(&script(code), "snippet.script")
        .unwrap_or_else(|d| panic!("{}", d.render(&d.items()[0])));
    engine.run(&s, RunOptions::default().trace(true))
}

fn run(code: &str) -> studioflow::Run {
    run_with(&Engine::new(), code)
}

fn text(run: &studioflow::Run, name: &str) -> String {
    run.variables
        .get(name)
        .unwrap_or_else(|| panic!("`{name}` is not set; variables: {:?}", run.variables))
        .to_text()
}

fn compile_error(code: &str) -> (usize, usize, String) {
    let d = Engine::new()
        .compile(&script(code), "snippet.script")
        .expect_err("the snippet should not compile");
    let first = d.errors().next().expect("an error").clone();
    let (line, col) = d.source().line_col(first.span.start);
    (line, col, first.message)
}

// ------------------------------------------------------------ NICE's examples

#[test]
fn for_counts_up_as_documented() {
    // statementsloops.htm: the result is ph="123456789".
    let r = run("FOR i=1 TO 9\n{\n\tph = \"{ph}{i}\"\n}");
    assert_eq!(text(&r, "ph"), "123456789");
}

#[test]
fn for_counts_down_when_end_is_smaller() {
    // statementsloops.htm: the result is ph="987654321".
    let r = run("FOR i=9 TO 1\n{\n\tph = \"{ph}{i}\"\n}");
    assert_eq!(text(&r, "ph"), "987654321");
}

#[test]
fn for_body_runs_at_least_once_and_bounds_are_evaluated_once() {
    let r = run("n = 0\nFOR i = 5 TO 5 { n = n + 1 }");
    assert_eq!(text(&r, "n"), "1");
    // Changing the end variable inside the loop does not change the loop.
    let r = run("last = 3\nn = 0\nFOR i = 1 TO last { last = 100\nn = n + 1 }");
    assert_eq!(
        (text(&r, "n"), text(&r, "last")),
        ("3".into(), "100".into())
    );
}

#[test]
fn user_function_and_method_sugar_as_documented() {
    // userfunctions.htm: both forms give ph="123456789".
    let plain = run("FUNCTION MyAppend(a,b)\n{\n   RETURN \"{a}{b}\"\n}\nFOR i=1 TO 9\n{\n   ph = \"{MyAppend(ph,i)}\"\n}");
    assert_eq!(text(&plain, "ph"), "123456789");
    let method = run("FUNCTION MyAppend(a,b)\n{\n   RETURN \"{a}{b}\"\n}\nFOR i=1 TO 9\n{\n   ph = \"{ph.MyAppend(i)}\"\n}");
    assert_eq!(text(&method, "ph"), "123456789");
}

#[test]
fn a_function_without_return_assigns_script_variables() {
    // userfunctions.htm's generateskill: a statement-style function sets a
    // script variable (here without random(), for a fixed result).
    let r = run("FUNCTION generateskill(a)\n{\n   skill = a * 2\n}\ngenerateskill(100)");
    assert_eq!(text(&r, "skill"), "200");
    // Its parameter is local to the call.
    assert!(r.variables.get("a").is_none());
}

#[test]
fn trace_output_as_documented_lands_in_the_trace() {
    // debugsnippets.htm: I = 1 ... I = 5.
    let r = run("FOR i=1 TO 5\n{\n   TRACE \"I = {i}\"\n}");
    let step = &r.trace.as_ref().unwrap()[1];
    let lines: Vec<&str> = step.output.iter().map(|l| &**l).collect();
    assert_eq!(lines, ["I = 1", "I = 2", "I = 3", "I = 4", "I = 5"]);
    let json = r.to_json();
    assert_eq!(json["trace"][1]["output"][4], "I = 5");
    assert!(json["trace"][0].get("output").is_none());
}

#[test]
fn nested_if_instead_of_else_if_as_documented() {
    let code = "IF A > B {\n r = \"greater\"\n}\nELSE {\n\tIF A = B {\n\t r = \"equal\"\n\t}\n\tELSE {\n\t r = \"less\"\n\t}\n}";
    for (a, b, expected) in [(2, 1, "greater"), (1, 1, "equal"), (0, 1, "less")] {
        let r = run(&format!("A = {a}\nB = {b}\n{code}"));
        assert_eq!(text(&r, "r"), expected);
    }
}

#[test]
fn foreach_writes_a_changed_iterator_back_and_the_iterator_vanishes() {
    // SNIPPET - FOREACH: changing the iterator changes the array; the
    // iterator no longer exists after the loop. The page's own code: `num`
    // is built element by element from index 1, a string array.
    let r = run(concat!(
        "ASSIGN i=1\nREPEAT 10\n{\nASSIGN num[i]=\"{i}\"\nASSIGN i=i+1\n}\n",
        "FOREACH item in num\n{\nSWITCH item\n{\nCASE 4 { ASSIGN item=\"FOUR\" }\nCASE 5 { ASSIGN item=\"FIVE\" }\n}\n}"
    ));
    assert_eq!(text(&r, "num"), "1|2|3|FOUR|FIVE|6|7|8|9|10");
    assert!(r.variables.get("item").is_none());
}

#[test]
fn foreach_walks_a_pipe_delimited_string_and_keeps_it_a_string() {
    let r = run("Names = \"Odin|Freya|Thor|Loki\"\nn = 0\nFOREACH Name IN Names { IF Name = \"Thor\" { Name = \"THOR\" }\nn = n + 1 }");
    assert_eq!(text(&r, "n"), "4");
    assert_eq!(text(&r, "Names"), "Odin|Freya|THOR|Loki");
}

// ------------------------------------------------------------ statements

#[test]
fn issue_example_builds_a_payload() {
    let engine = Engine::new();
    let s = engine
        .compile(
            r#"start: Begin { Default -> calc }
calc: Snippet "Build payload" {
  Data = """
    ASSIGN total = 0
    FOR i = 1 TO 3 { total = total + i }
    DYNAMIC customer
    customer.name = "{Name}"
    ASSIGN payload = customer.asjson()
  """
  Default -> next
  Error -> failed
}
next: End
failed: End
"#,
            "calc.script",
        )
        .unwrap();
    let mut options = RunOptions::default();
    options.variables.insert("Name".into(), Value::from("Ada"));
    let r = engine.run(&s, options);
    assert_eq!(r.end.as_deref(), Some("next"));
    assert_eq!(text(&r, "total"), "6");
    assert_eq!(text(&r, "payload"), r#"{"name":"Ada"}"#);
}

#[test]
fn members_and_elements_are_created_on_assignment() {
    // Indexes are 1-based; skipped elements are blank.
    let r = run("DYNAMIC o\no.a.b = 1\no.list[2] = \"x\"\no[\"key\"] = true\nASSIGN p = o.a.b + 1");
    assert_eq!(text(&r, "o"), r#"{"a":{"b":1},"list":["","x"],"key":true}"#);
    assert_eq!(text(&r, "p"), "2");
    // Member names are case-sensitive.
    let r = run("DYNAMIC o\no.Name = 1\no.name = 2");
    assert_eq!(text(&r, "o"), r#"{"Name":1,"name":2}"#);
}

#[test]
fn switch_select_repeat_and_break() {
    let r = run(concat!(
        "x = \"b\"\nSWITCH x { CASE \"a\" { s = 1 } CASE \"b\" { s = 2 } DEFAULT { s = 3 } }\n",
        "SWITCH x { CASE \"z\" { d = 1 } DEFAULT { d = 9 } }\n",
        "SELECT { CASE x = \"a\" { sel = 1 } CASE x = \"b\" { sel = 2 } CASE true { sel = 3 } }\n",
        "n = 0\nREPEAT 100 { n = n + 1\nIF n = 7 { BREAK } }\n",
        "m = 0\nFOR i = 1 TO 100 { IF i > 4 { BREAK }\nm = i }\n",
        "k = 0\nFOREACH v IN \"a|b|c\" { IF v = \"b\" { BREAK }\nk = k + 1 }\n",
        "REPEAT 0 { never = 1 }"
    ));
    assert_eq!(
        ["s", "d", "sel", "n", "m", "k"].map(|v| text(&r, v)),
        ["2", "9", "2", "7", "4", "1"]
    );
    assert!(r.variables.get("never").is_none());
}

#[test]
fn keywords_are_case_insensitive_and_comments_are_ignored() {
    let r = run("// a comment\nassign x = 1 // trailing\nif x = 1 { y = 2 } else { y = 3 }");
    assert_eq!(text(&r, "y"), "2");
}

#[test]
fn functions_are_visible_to_every_snippet_and_recurse() {
    let engine = Engine::new();
    let s = engine
        .compile(
            r#"start: Begin { Default -> a }
a: Snippet { Data = """ x = fact(5) """ Default -> b }
b: Snippet {
  Data = """
    FUNCTION fact(n) { IF n <= 1 { RETURN 1 } ELSE { RETURN n * fact(n - 1) } }
    FUNCTION fib(n) { IF n < 2 { RETURN n }
      RETURN fib(n - 1) + fib(n - 2) }
    y = fib(15)
  """
}
"#,
            "f.script",
        )
        .unwrap();
    let r = engine.run(&s, RunOptions::default());
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!((text(&r, "x"), text(&r, "y")), ("120".into(), "610".into()));
    // Hidden slots of parameters and lifted calls are not variables.
    assert!(
        r.variables.keys().all(|k| !k.starts_with('#')),
        "{:?}",
        r.variables
    );
}

#[test]
fn return_outside_a_function_ends_the_snippet() {
    let r = run("a = 1\nRETURN\nb = 2");
    assert_eq!(text(&r, "a"), "1");
    assert!(r.variables.get("b").is_none());
    assert_eq!(r.end.as_deref(), Some("done"));
}

#[test]
fn global_prefix_writes_the_variable() {
    let r = run("ASSIGN global:shared = 5\ncopy = shared");
    assert_eq!(text(&r, "copy"), "5");
}

// ------------------------------------------------------------ errors

#[test]
fn syntax_errors_point_into_the_script_file() {
    // The snippet's first line is line 4 of the generated script.
    let (line, col, msg) = compile_error("x = 1\nIF x { y = }");
    assert_eq!((line, col), (5, 12), "{msg}");
    assert!(msg.contains("expected an expression"), "{msg}");
}

#[test]
fn unknown_functions_and_argument_counts_are_check_errors() {
    let (line, col, msg) = compile_error("x = 1\n  y = nosuch(1)");
    assert_eq!((line, col), (5, 7));
    assert_eq!(msg, "unknown function `nosuch`");
    let (line, _, msg) = compile_error("FUNCTION f(a, b) { RETURN a }\nz = f(1)");
    assert_eq!(line, 5);
    assert!(msg.contains("f() takes 2 arguments, got 1"), "{msg}");
    let (_, _, msg) = compile_error("FUNCTION len(a) { RETURN a }");
    assert!(msg.contains("built-in"), "{msg}");
}

#[test]
fn unsupported_and_misplaced_statements_are_explained() {
    assert!(compile_error("IF x { } ELSE IF y { }")
        .2
        .contains("no ELSE IF"));
    assert!(compile_error("WHILE x { }").2.contains("WHILE is not part"));
    assert!(compile_error("x + 1").2.contains("expected a statement"));
    assert!(compile_error("ELSE { }").2.contains("ELSE must follow"));
    assert!(compile_error("IF x { FUNCTION f() { } }")
        .2
        .contains("top level"));
    assert!(compile_error("x = 1\nUSES \"proxy.dll\"")
        .2
        .contains("USES"));
}

#[test]
fn data_must_be_a_code_block() {
    let d = Engine::new()
        .compile(
            "start: Begin { Default -> s }\ns: Snippet { Data = \"x = 1\" }",
            "d.script",
        )
        .unwrap_err();
    assert!(d.items()[0].message.contains("\"\"\""));
    let d = Engine::new()
        .compile(
            "start: Begin { Default -> s }\ns: Snippet { Data = \"\"\" x = 1 }",
            "u.script",
        )
        .unwrap_err();
    assert!(d.items()[0].message.contains("unterminated code block"));
}

#[test]
fn run_time_failures_take_error_with_the_line() {
    let r = run("x = 1\ny = x / 0");
    assert_eq!(r.end.as_deref(), Some("failed"));
    assert_eq!(text(&r, "_ERR"), "line 5: division by zero");
    let r = run("IF \"yes\" { x = 1 }");
    assert!(text(&r, "_ERR").contains("condition must be true or false"));
    let r = run("n = 5\nn.member = 1");
    assert!(text(&r, "_ERR").contains("cannot set member `member` of"));
}

#[test]
fn without_an_error_branch_the_script_stops() {
    let engine = Engine::new();
    let s = engine
        .compile(
            "start: Begin { Default -> s }\ns: Snippet { Data = \"\"\"\n x = [1][5]\n\"\"\" }",
            "stop.script",
        )
        .unwrap();
    let r = engine.run(&s, RunOptions::default());
    assert_eq!(r.outcome, Outcome::Stopped);
    let e = r.error.unwrap();
    assert_eq!(e.kind, Outcome::Stopped);
    assert!(
        e.message.starts_with("line 3: index 5 is out of range"),
        "{}",
        e.message
    );
}

#[test]
fn max_string_size_is_enforced() {
    let engine = Engine::new();
    let code = |size: &str| {
        format!(
            "start: Begin {{ Default -> s }}\ns: Snippet {{ Data = \"\"\"\nx = \"\"\nREPEAT 3000 {{ x = \"{{x}}a\" }}\n\"\"\" MaxStringSize = {size} Error -> e }}\ne: End"
        )
    };
    let small = engine.compile(&code("Limit2K"), "m.script").unwrap();
    let r = engine.run(&small, RunOptions::default());
    assert_eq!(r.end.as_deref(), Some("e"));
    assert!(text(&r, "_ERR").contains("exceeds MaxStringSize Limit2K (2048 bytes)"));
    let big = engine.compile(&code("Limit4K"), "m.script").unwrap();
    let r = engine.run(&big, RunOptions::default());
    assert_eq!(text(&r, "x").len(), 3000);
    let bad = engine.compile(&code("Huge"), "m.script").unwrap();
    let r = engine.run(&bad, RunOptions::default());
    assert!(text(&r, "_ERR").contains("MaxStringSize"));
}

// ------------------------------------------------------------ budgets and hostile input

#[test]
fn an_endless_loop_ends_with_outcome_limit_even_with_an_error_branch() {
    let r = run("REPEAT 10 { FOR i = 1 TO 1000000000 { x = i } }");
    assert_eq!(r.outcome, Outcome::Limit);
    let e = r.error.unwrap();
    assert_eq!(e.kind, Outcome::Limit);
    assert!(
        e.message.contains("statement budget of 1000000"),
        "{}",
        e.message
    );
}

#[test]
fn the_statement_budget_is_configurable_and_shared_by_the_run() {
    let engine = Engine::builder()
        .limits(Limits::default().max_snippet_statements(50))
        .build();
    let r = run_with(&engine, "REPEAT 30 { x = 1 }");
    assert_eq!(r.outcome, Outcome::Limit);
    let r = run_with(&engine, "REPEAT 10 { x = 1 }");
    assert_eq!(r.outcome, Outcome::Completed);
}

#[test]
fn endless_recursion_is_a_limit_not_a_stack_overflow() {
    let r = run("FUNCTION f(n) { RETURN f(n + 1) }\nx = f(1)");
    assert_eq!(r.outcome, Outcome::Limit);
    assert!(r.error.unwrap().message.contains("nest deeper"));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for code in [
        format!("{}{}", "IF true { ".repeat(100_000), "}".repeat(100_000)),
        format!("x = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("x = \"{}\"", "{\"".repeat(50_000)),
    ] {
        let (_, _, msg) = compile_error(&code);
        assert!(msg.contains("deeper than"), "{msg}");
    }
}

#[test]
fn building_memory_costs_budget() {
    let engine = Engine::builder()
        .limits(Limits::default().max_snippet_statements(100_000))
        .build();
    // Filling 10,000 elements fits; copying that list on every write
    // (copy on write of a shared list) costs its size each round.
    let r = run_with(
        &engine,
        "big = []\nFOR i = 1 TO 10000 { big[i] = i }\nrounds = 0\nREPEAT 100000 { copy = big\nbig[1] = 1\nrounds = rounds + 1 }",
    );
    assert_eq!(r.outcome, Outcome::Limit);
    let rounds: f64 = text(&r, "rounds").parse().unwrap();
    assert!((1.0..10.0).contains(&rounds), "{rounds} rounds");
    // Growing an array past its end pays for every element created.
    let r = run_with(&engine, "FOR i = 1 TO 4 { lists[i][99999] = 1 }");
    assert_eq!(r.outcome, Outcome::Limit);
    // Newly built strings pay for their size (each replaces the last, so
    // neither the memory budget nor the size limits stop this first).
    let r = run_with(
        &engine,
        "s = \"\"\nREPEAT 2000 { s = \"{s}x\" }\nFOR i = 0 TO 99999 { keep = \"{s}{i}\" }",
    );
    assert_eq!(r.outcome, Outcome::Limit);
    assert!(r
        .error
        .unwrap()
        .message
        .contains("statement budget of 100000"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any text made of Snippet's words and punctuation parses or fails
    /// cleanly, and compiles or fails cleanly: no panic, no hang.
    #[test]
    fn snippet_parser_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("IF "), Just("ELSE "), Just("FOR "), Just("TO "), Just("FOREACH "), Just("IN "),
        Just("SWITCH "), Just("SELECT "), Just("CASE "), Just("DEFAULT "), Just("REPEAT "),
        Just("BREAK "), Just("DYNAMIC "), Just("FUNCTION "), Just("RETURN "), Just("TRACE "),
        Just("ASSIGN "), Just("global:"), Just("x"), Just("f"), Just("1"), Just("="), Just("+"),
        Just("{"), Just("}"), Just("("), Just(")"), Just("["), Just("]"), Just("."), Just(","),
        Just("\""), Just("\n"), Just("//"), Just("<"), Just(" "), Just("\"\"\""),
        // Studio's operators, datetimes, members and array functions.
        Just("&"), Just("|"), Just("~"), Just("^"), Just("\\"), Just("%"), Just("<>"),
        Just("#\"02/09/2023 8:00 AM\""), Just("#\""), Just(".$value"), Just("[0]"), Just("[1]"),
        Just(".size"), Just("parsejson("), Just("asdatetime("), Just("\"a|b\""),
    ], 0..40)) {
        let code: String = parts.concat();
        let _ = studioflow::snippet::parse(&code, 0);
        let engine = Engine::builder()
            .limits(Limits::default().max_snippet_statements(10_000))
            .build();
        if let Ok(s) = engine.compile(&script(&code), "p.script") {
            let _ = engine.run(&s, RunOptions::default());
        }
    }
}
