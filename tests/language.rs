//! Hand-written assertions on the core language, through the public API.
//! These pin the answers the golden snapshots also show, so a rubber-stamped
//! snapshot cannot hide a wrong one.

use studioflow::{Engine, Outcome, Run, RunOptions, Value};

fn engine() -> Engine {
    Engine::demo()
}

/// Compiles `source` (panicking with the diagnostics if it does not compile)
/// and runs it with `vars` and a trace.
fn run_with(source: &str, vars: &[(&str, Value)], max_steps: Option<u64>) -> Run {
    let engine = engine();
    let script = engine
        .compile(source, "test.script")
        .unwrap_or_else(|d| panic!("does not compile:\n{d}"));
    let mut options = RunOptions::default().trace(true);
    options.max_steps = max_steps;
    for (k, v) in vars {
        options.variables.insert((*k).to_string(), v.clone());
    }
    engine.run(&script, options)
}

fn run(source: &str) -> Run {
    run_with(source, &[], None)
}

/// Evaluates one expression as an Assign's Value: Ok(value) or Err(_ERR text).
fn eval_with(expr: &str, vars: &[(&str, Value)]) -> Result<Value, String> {
    let source =
        format!("start: Begin {{ Default -> a }}\na: Assign {{ Variable = r Value = {expr} }}\n");
    let run = run_with(&source, vars, None);
    match run.outcome {
        Outcome::Completed => Ok(run.variables.get("r").cloned().expect("r is set")),
        _ => Err(run.error.expect("a stopped run has an error").message),
    }
}

fn eval(expr: &str) -> Result<Value, String> {
    eval_with(expr, &[])
}

fn num(n: f64) -> Value {
    Value::from(n)
}

fn branches(run: &Run) -> Vec<(String, Option<String>)> {
    run.trace
        .as_ref()
        .expect("trace on")
        .iter()
        .map(|s| {
            (
                s.action.to_string(),
                s.branch.as_deref().map(str::to_string),
            )
        })
        .collect()
}

fn step(action: &str, branch: Option<&str>) -> (String, Option<String>) {
    (action.to_string(), branch.map(str::to_string))
}

// ------------------------------------------------------------ operators

#[test]
fn precedence_and_results() {
    assert_eq!(eval("1 + 2 * 3"), Ok(num(7.0)));
    assert_eq!(eval("(1 + 2) * 3"), Ok(num(9.0)));
    assert_eq!(eval("10 - 4 - 3"), Ok(num(3.0)));
    assert_eq!(eval("24 / 4 / 2"), Ok(num(3.0)));
    assert_eq!(eval("2 * 7 % 4"), Ok(num(2.0)));
    assert_eq!(eval("7 % 3"), Ok(num(1.0)));
    assert_eq!(eval("7 / 2"), Ok(num(3.5)));
    assert_eq!(eval("-2 * -3"), Ok(num(6.0)));
    assert_eq!(eval("- - 4"), Ok(num(4.0)));
    assert_eq!(eval("-[5, 6][2]"), Ok(num(-6.0)));
    assert_eq!(eval("1 + 1 < 3"), Ok(Value::from(true)));
    assert_eq!(eval("1 = 1 and 2 <> 3"), Ok(Value::from(true)));
    assert_eq!(eval("true or false and false"), Ok(Value::from(true)));
    assert_eq!(eval("(true or false) and false"), Ok(Value::from(false)));
    // Prefix `not` binds tighter than `and`.
    assert_eq!(eval("not false and false"), Ok(Value::from(false)));
    assert_eq!(eval("!(1 <> 1)"), Ok(Value::from(true)));
}

#[test]
fn operator_spellings() {
    for (expr, expected) in [
        ("1 = 1", true),
        ("1 == 1", true),
        ("1 <> 1", false),
        ("1 != 1", false),
        ("1 < 2", true),
        ("2 <= 2", true),
        ("1 > 2", false),
        ("2 >= 3", false),
        ("true and false", false),
        ("true && true", true),
        ("false or true", true),
        ("false || false", false),
        ("not true", false),
        ("!false", true),
        ("NOT FALSE AND True", true),
    ] {
        assert_eq!(eval(expr), Ok(Value::from(expected)), "{expr}");
    }
}

#[test]
fn logic_short_circuits() {
    assert_eq!(eval("true or 1 / 0 = 1"), Ok(Value::from(true)));
    assert_eq!(eval("false and 1 / 0 = 1"), Ok(Value::from(false)));
    assert!(eval("true and 1 / 0 = 1").is_err());
    assert!(eval("1 and true")
        .unwrap_err()
        .contains("`and` needs true or false"));
}

#[test]
fn comparisons_do_not_chain() {
    let err = engine()
        .compile(
            "start: Begin { Default -> a }\na: If { Expression = 1 < 2 < 3 }",
            "c.script",
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("comparisons do not chain"),
        "{err}"
    );
    assert_eq!(eval("(1 < 2) = true"), Ok(Value::from(true)));
}

// ------------------------------------------------------------ coercion

#[test]
fn numeric_strings_compare_as_numbers() {
    assert_eq!(eval(r#""10" > "9""#), Ok(Value::from(true)));
    assert_eq!(eval(r#""1" = 1"#), Ok(Value::from(true)));
    assert_eq!(eval(r#"" 2 " = 2"#), Ok(Value::from(true)));
    assert_eq!(eval(r#""1.50" = 1.5"#), Ok(Value::from(true)));
    // Otherwise strings compare as case-sensitive strings.
    assert_eq!(eval(r#""10" < "9a""#), Ok(Value::from(true)));
    assert_eq!(eval(r#""Gold" = "gold""#), Ok(Value::from(false)));
    assert_eq!(eval(r#""Z" < "a""#), Ok(Value::from(true)));
}

#[test]
fn arithmetic_coerces_numeric_strings_only() {
    assert_eq!(eval(r#""5" + 1"#), Ok(num(6.0)));
    assert_eq!(eval(r#"" 10 " * 2"#), Ok(num(20.0)));
    assert_eq!(eval(r#""-2.5" + 1"#), Ok(num(-1.5)));
    for bad in [
        r#""abc" + 1"#,
        r#""" + 1"#,
        "[1] + 1",
        "true + 1",
        r#""1e3" + 1"#,
        r#""1." + 1"#,
    ] {
        let err = eval(bad).unwrap_err();
        assert!(err.contains("needs numbers"), "{bad}: {err}");
    }
    assert_eq!(
        eval(r#""abc" + 1"#),
        Err(r#"Value: `+` needs numbers, got a string "abc""#.to_string())
    );
}

#[test]
fn division_by_zero_is_an_error() {
    assert_eq!(eval("1/0"), Err("Value: division by zero".to_string()));
    assert_eq!(eval("1 % 0"), Err("Value: division by zero".to_string()));
}

#[test]
fn lists_compare_only_for_equality() {
    assert_eq!(eval(r#"[1, "a"] = [1, "a"]"#), Ok(Value::from(true)));
    assert_eq!(eval("[1] <> [2]"), Ok(Value::from(true)));
    assert!(eval("[1] < [2]").unwrap_err().contains("cannot compare"));
}

// ------------------------------------------------------------ values and templates

#[test]
fn whole_numbers_print_without_fraction() {
    assert_eq!(eval(r#""{6 / 2}""#), Ok(Value::from("3")));
    assert_eq!(eval(r#""{3.0}|{2.5}|{-0}""#), Ok(Value::from("3|2.5|0")));
    let run = run("start: Begin { Default -> a }\na: Assign { Variable = r Value = 6 / 2 }");
    assert_eq!(run.to_json()["variables"]["r"], serde_json::json!(3));
    assert_eq!(run.to_json()["variables"]["r"].to_string(), "3");
}

#[test]
fn bare_expressions_keep_their_type() {
    assert_eq!(eval("1 + 1"), Ok(num(2.0)));
    assert_eq!(eval(r#""{1 + 1}""#), Ok(Value::from("2")));
    assert_eq!(
        eval("[1, \"a\"]"),
        Ok(Value::from(vec![num(1.0), Value::from("a")]))
    );
    assert_eq!(eval("null"), Ok(Value::Null));
}

#[test]
fn templates() {
    let vars = [("x", num(7.0)), ("Name", Value::from("ada"))];
    assert_eq!(
        eval_with(r#""{{x}} = {x}""#, &vars),
        Ok(Value::from("{x} = 7"))
    );
    assert_eq!(eval_with(r#""{x}{{}}""#, &vars), Ok(Value::from("7{}")));
    assert_eq!(
        eval_with(r#""{upper("ab")}""#, &vars),
        Ok(Value::from("AB"))
    );
    assert_eq!(
        eval_with(r#""Hi {upper("{Name}!")}""#, &vars),
        Ok(Value::from("Hi ADA!"))
    );
    assert_eq!(eval(r#""a\"b\\c\td\ne""#), Ok(Value::from("a\"b\\c\td\ne")));
    assert_eq!(
        eval(r#""{null}|{true}|{[1,2]}""#),
        Ok(Value::from("|true|[1,2]"))
    );
}

#[test]
fn keywords_are_whole_words() {
    let vars = [
        ("order", num(2.0)),
        ("notes", Value::from("n")),
        ("android", Value::from(true)),
        ("nullable", Value::from("x")),
    ];
    assert_eq!(eval_with("order + 1", &vars), Ok(num(3.0)));
    assert_eq!(eval_with("notes", &vars), Ok(Value::from("n")));
    assert_eq!(
        eval_with("android and not false", &vars),
        Ok(Value::from(true))
    );
    assert_eq!(eval_with("nullable", &vars), Ok(Value::from("x")));
    // Unset, `order` and `notes` are just unknown variables.
    assert_eq!(eval("order"), Ok(Value::from("")));
    assert_eq!(eval("notes"), Ok(Value::from("")));
}

#[test]
fn unknown_variable_reads_as_empty_string() {
    assert_eq!(eval("missing"), Ok(Value::from("")));
    assert_eq!(eval(r#""[{missing}]""#), Ok(Value::from("[]")));
    assert_eq!(eval("isnull(missing)"), Ok(Value::from(true)));
    // and check warns about it
    let script = engine()
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = r Value = missing }",
            "w.script",
        )
        .unwrap();
    let warnings = script.warnings().to_string();
    assert!(
        warnings.contains("variable `missing` is read but never assigned"),
        "{warnings}"
    );
}

// ------------------------------------------------------------ access

#[test]
fn member_and_index_access() {
    let caller: Value =
        serde_json::json!({"name": "Ada", "tags": ["vip"], "address": {"city": "Paris"}}).into();
    let vars = [
        ("caller", caller),
        ("items", serde_json::json!([10, 20, 30]).into()),
    ];
    assert_eq!(eval_with("caller.name", &vars), Ok(Value::from("Ada")));
    assert_eq!(
        eval_with("caller.address.city", &vars),
        Ok(Value::from("Paris"))
    );
    // Studio's arrays are 1-based.
    assert_eq!(eval_with("caller.tags[1]", &vars), Ok(Value::from("vip")));
    assert_eq!(eval_with("items[3]", &vars), Ok(num(30.0)));
    assert_eq!(eval_with("items.size", &vars), Ok(num(3.0)));
    assert_eq!(eval_with("items[items.size]", &vars), Ok(num(30.0)));
    // A missing member of an object reads as "".
    assert_eq!(eval_with("caller.phone", &vars), Ok(Value::from("")));
}

#[test]
fn member_on_non_object_is_an_error() {
    let vars = [("n", num(5.0))];
    assert_eq!(
        eval_with("n.value", &vars),
        Err("Value: cannot read member `value` of a number".to_string())
    );
    assert!(eval(r#""abc".x"#)
        .unwrap_err()
        .contains("cannot read member `x` of a string"));
    assert!(eval("[1].x").unwrap_err().contains("of a list"));
}

#[test]
fn index_out_of_range_is_an_error() {
    assert_eq!(
        eval("[1, 2][3]"),
        Err("Value: index 3 is out of range for an array of length 2".to_string())
    );
    assert_eq!(
        eval("[1, 2][0]"),
        Err("Value: array indexes start at 1, got 0".to_string())
    );
    assert!(eval("[1, 2][-1]").unwrap_err().contains("start at 1"));
    assert!(eval("[1, 2][0.5]").unwrap_err().contains("cannot index"));
    assert!(eval(r#""a|b"[3]"#)
        .unwrap_err()
        .contains("out of range for a string array of length 2"));
}

// ------------------------------------------------------------ functions

#[test]
fn functions() {
    let cases: &[(&str, Value)] = &[
        (r#"len("héllo")"#, num(5.0)),
        ("len([1, 2, 3])", num(3.0)),
        (r#"upper("abc")"#, Value::from("ABC")),
        (r#"lower("ABC")"#, Value::from("abc")),
        (r#"trim("  a b  ")"#, Value::from("a b")),
        (r#"contains("hello", "ell")"#, Value::from(true)),
        (r#"startswith("hello", "he")"#, Value::from(true)),
        (r#"endswith("hello", "he")"#, Value::from(false)),
        (r#"replace("a-b-c", "-", "+")"#, Value::from("a+b+c")),
        // Studio counts from 1: characters and array elements alike.
        (r#"substr("héllo", 2, 3)"#, Value::from("éll")),
        (r#"substr("héllo", 1)"#, Value::from("héllo")),
        (r#"indexof("héllo", "l")"#, num(3.0)),
        (r#"indexof("hello", "z")"#, num(0.0)),
        (r#"indexof(["a", "b"], "b")"#, num(2.0)),
        (r#"index("a|b|c", 2)"#, Value::from("b")),
        (r#"index(["x", "y"], 1)"#, Value::from("x")),
        (r#"size("a|b|c")"#, num(3.0)),
        (r#"size("")"#, num(0.0)),
        (r#"size([1, [2, 3]])"#, num(2.0)),
        (r#""a|b|c"[3]"#, Value::from("c")),
        (r#""abc"[1]"#, Value::from("abc")),
        ("tostring(3)", Value::from("3")),
        (r#"tonumber(" 4.5 ")"#, num(4.5)),
        ("isnull(null)", Value::from(true)),
        (r#"isnull("")"#, Value::from(true)),
        (r#"isnull(" ")"#, Value::from(false)),
        (r#"isnumeric("12")"#, Value::from(true)),
        (r#"isnumeric("1e3")"#, Value::from(false)),
    ];
    for (expr, expected) in cases {
        assert_eq!(eval(expr).as_ref(), Ok(expected), "{expr}");
    }
}

#[test]
fn function_type_errors_are_run_time_errors() {
    assert_eq!(
        eval(r#"tonumber("x")"#),
        Err(r#"Value: tonumber(): "x" is not numeric"#.to_string())
    );
    assert!(eval("upper([1])").unwrap_err().contains("must be a string"));
}

#[test]
fn function_arity_errors_are_check_errors() {
    let err = engine()
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = r Value = upper(\"a\", \"b\") }",
            "f.script",
        )
        .unwrap_err();
    assert!(err.has_errors());
    assert!(
        err.to_string().contains("upper() takes 1 argument, got 2"),
        "{err}"
    );
}

// ------------------------------------------------------------ actions and branches

#[test]
fn action_types_properties_and_branches_are_case_insensitive() {
    let run = run("start: BEGIN { DEFAULT -> a }\n\
         a: assign { VARIABLE = Total value = 1 default -> b }\n\
         b: IF { expression = Total = 1 TRUE -> c }\n\
         c: sEtSeCuRiTyUsEr { agent = \"nobody\" ERROR -> d }\n\
         d: end");
    assert_eq!(run.outcome, Outcome::Completed);
    let trace = run.trace.as_ref().unwrap();
    let types: Vec<&str> = trace.iter().map(|s| &*s.action_type).collect();
    assert_eq!(types, ["Begin", "Assign", "If", "SetSecurityUser", "End"]);
    assert_eq!(
        branches(&run),
        [
            step("start", Some("Default")),
            step("a", Some("Default")),
            step("b", Some("True")),
            step("c", Some("Error")),
            step("d", None),
        ]
    );
    // Variable names stay case-sensitive.
    assert_eq!(run.variables.get("Total"), Some(&num(1.0)));
    assert_eq!(run.variables.get("total"), None);
}

#[test]
fn caption_defaults_to_the_action_type() {
    let run = run("start: Begin { Default -> a }\na: Assign \"Say hi\" { Variable = x Value = 1 }");
    let trace = run.trace.unwrap();
    assert_eq!(&*trace[0].caption, "Begin");
    assert_eq!(&*trace[1].caption, "Say hi");
}

#[test]
fn loop_counts_and_resets() {
    let run = run("start: Begin { Default -> again }\n\
         again: Loop { Repeat = 3 CounterName = tries Repeat -> body Finished -> outer }\n\
         body: Assign { Variable = seen Value = \"{seen}{tries}\" Default -> again }\n\
         outer: Loop { Repeat = 1 Repeat -> again Finished -> done }\n\
         done: End");
    assert_eq!(run.outcome, Outcome::Completed);
    // Two full courses of the inner loop: the count reset after Finished.
    assert_eq!(run.variables["seen"], Value::from("123123"));
    assert_eq!(run.variables["tries"], num(0.0));
    // The default counter name is `counter`.
    assert_eq!(run.variables["counter"], num(0.0));
    let inner: Vec<String> = branches(&run)
        .into_iter()
        .filter(|(a, _)| a == "again")
        .map(|(_, b)| b.unwrap())
        .collect();
    assert_eq!(
        inner,
        ["Repeat", "Repeat", "Repeat", "Finished", "Repeat", "Repeat", "Repeat", "Finished"]
    );
}

#[test]
fn loop_with_zero_and_bad_repeat() {
    let run0 = run(
        "start: Begin { Default -> l }\nl: Loop { Repeat = 0 Repeat -> l Finished -> d }\nd: End",
    );
    assert_eq!(branches(&run0)[1], step("l", Some("Finished")));
    let bad = run(
        "start: Begin { Default -> l }\nl: Loop { Repeat = 1.5 Repeat -> l Finished -> d }\nd: End",
    );
    assert_eq!(bad.outcome, Outcome::Stopped);
    assert!(bad.error.unwrap().message.contains("whole number"));
}

#[test]
fn unconnected_error_stops_without_falling_through() {
    let run = run("start: Begin { Default -> a }\n\
         a: Assign { Variable = x Value = 1 / 0 Default -> b }\n\
         b: Assign { Variable = reached Value = true }");
    assert_eq!(run.outcome, Outcome::Stopped);
    let error = run.error.as_ref().unwrap();
    assert_eq!(error.kind, Outcome::Stopped);
    assert_eq!(error.action, "a");
    assert_eq!(error.message, "Value: division by zero");
    assert_eq!(
        run.variables["_ERR"],
        Value::from("Value: division by zero")
    );
    assert!(!run.variables.contains_key("reached"));
    assert!(!run.variables.contains_key("x"));
    assert_eq!(run.end.as_deref(), Some("a"));
    assert_eq!(branches(&run).last(), Some(&step("a", Some("Error"))));
    assert_eq!(run.to_json()["error"]["kind"], "action");
    assert_eq!(run.to_json()["outcome"], "stopped");
}

#[test]
fn connected_error_branch_is_taken_with_err_text() {
    let run = run("start: Begin { Default -> a }\n\
         a: Assign { Variable = x Value = tonumber(\"x\") Default -> b Error -> h }\n\
         b: End\n\
         h: Assign { Variable = msg Value = \"caught: {_ERR}\" }");
    assert_eq!(run.outcome, Outcome::Completed);
    assert!(run.error.is_none());
    assert_eq!(
        run.variables["_ERR"],
        Value::from(r#"Value: tonumber(): "x" is not numeric"#)
    );
    assert_eq!(
        run.variables["msg"],
        Value::from(r#"caught: Value: tonumber(): "x" is not numeric"#)
    );
    assert_eq!(branches(&run)[1], step("a", Some("Error")));
}

#[test]
fn if_on_a_non_boolean_fails() {
    let run = run_with(
        "start: Begin { Default -> a }\na: If { Expression = n + 1 True -> d False -> d Default -> d }\nd: End",
        &[("n", num(1.0))],
        None,
    );
    assert_eq!(run.outcome, Outcome::Stopped);
    assert_eq!(
        run.error.unwrap().message,
        "Expression: expected true or false, got a number 2"
    );
    let ok = run_with(
        "start: Begin { Default -> a }\na: If { Expression = flag True -> t }\nt: End",
        &[("flag", Value::from("true"))],
        None,
    );
    assert_eq!(branches(&ok)[1], step("a", Some("True")));
}

#[test]
fn trace_names_the_branch_taken_after_default_fallback() {
    // True is not connected: Default is taken and the trace says so.
    let run1 = run("start: Begin { Default -> a }\n\
         a: If { Expression = true False -> d Default -> f }\n\
         f: Assign { Variable = via Value = 1 Default -> d }\n\
         d: End");
    assert_eq!(
        branches(&run1),
        [
            step("start", Some("Default")),
            step("a", Some("Default")),
            step("f", Some("Default")),
            step("d", None),
        ]
    );
    // Neither True nor Default connected: completed at the If.
    let run2 = run("start: Begin { Default -> a }\na: If { Expression = true False -> d }\nd: End");
    assert_eq!(run2.outcome, Outcome::Completed);
    assert_eq!(run2.end.as_deref(), Some("a"));
    assert_eq!(branches(&run2)[1], step("a", Some("Default")));
}

#[test]
fn case_compares_as_strings_and_falls_back_to_default() {
    let src = "start: Begin { Default -> c }\n\
               c: Case { Value = v Case 1 -> one Case \"two\" -> two Default -> other }\n\
               one: End\ntwo: End\nother: End";
    let r1 = run_with(src, &[("v", num(1.0))], None);
    assert_eq!(branches(&r1)[1], step("c", Some("Case \"1\"")));
    assert_eq!(r1.end.as_deref(), Some("one"));
    let r2 = run_with(src, &[("v", Value::from("two"))], None);
    assert_eq!(r2.end.as_deref(), Some("two"));
    let r3 = run_with(src, &[("v", Value::from("TWO"))], None);
    assert_eq!(branches(&r3)[1], step("c", Some("Default")));
    assert_eq!(r3.end.as_deref(), Some("other"));
}

#[test]
fn step_budget_stops_a_runaway_loop() {
    let src = "start: Begin { Default -> spin }\nspin: Assign { Variable = n Value = n + 1 Default -> spin }";
    let run = run_with(src, &[("n", num(0.0))], Some(50));
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(run.steps, 50);
    let error = run.error.as_ref().unwrap();
    assert_eq!(error.kind, Outcome::Limit);
    assert_eq!(error.message, "step budget of 50 executed actions exceeded");
    // _ERR is left alone by a limit stop.
    assert!(!run.variables.contains_key("_ERR"));
    assert_eq!(run.variables["n"], num(49.0));
    let json = run.to_json();
    assert_eq!(json["outcome"], "stopped");
    assert_eq!(json["error"]["kind"], "limit");

    // The default budget is 10,000 executed actions.
    let run = run_with(src, &[("n", num(0.0))], None);
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(run.steps, 10_000);
    assert_eq!(studioflow::Limits::default().max_steps, 10_000);
}

#[test]
fn limit_leaves_an_earlier_err_untouched() {
    let run = run_with(
        "start: Begin { Default -> f }\n\
         f: Assign { Variable = x Value = 1 / 0 Error -> spin }\n\
         spin: Assign { Variable = n Value = n + 1 Default -> spin }",
        &[("n", num(0.0))],
        Some(10),
    );
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(
        run.variables["_ERR"],
        Value::from("Value: division by zero")
    );
}

#[test]
fn exactly_max_steps_actions_may_run() {
    let run = run_with(
        "start: Begin { Default -> a }\na: Assign { Variable = x Value = 1 Default -> d }\nd: End",
        &[],
        Some(3),
    );
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.steps, 3);
}

// ------------------------------------------------------------ static checks

#[test]
fn broken_template_in_unreachable_action_is_a_compile_error() {
    let err = engine()
        .compile(
            "start: Begin { Default -> d }\nd: End\norphan: Assign { Variable = x Value = \"{1 +}\" }",
            "u.script",
        )
        .unwrap_err();
    assert!(err.has_errors());
    assert!(err.to_string().starts_with("u.script:3:"), "{err}");
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let deep = format!(
        "start: Begin {{ Default -> a }}\na: Assign {{ Variable = x Value = {}1{} }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let err = engine().compile(&deep, "deep.script").unwrap_err();
    assert!(
        err.to_string().contains("nesting is deeper than 256"),
        "{err}"
    );
    let prefix = format!(
        "start: Begin {{ Default -> a }}\na: Assign {{ Variable = x Value = {}1 }}",
        "-".repeat(100_000)
    );
    assert!(engine().compile(&prefix, "neg.script").is_err());
    let members = format!(
        "start: Begin {{ Default -> a }}\na: Assign {{ Variable = x Value = y{} }}",
        ".z".repeat(100_000)
    );
    assert!(engine().compile(&members, "member.script").is_err());
}

#[test]
fn string_literals_obey_the_string_limit() {
    use studioflow::{DiagnosticCode, Limits};
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_string_bytes(8))
        .build();
    let script = |value: &str| {
        format!("start: Begin {{ Default -> a }}\na: Assign \"ok\" {{ Variable = x Value = {value} Default -> b }}\nb: End")
    };
    assert!(engine.compile(&script("\"12345678\""), "ok.script").is_ok());
    for (value, column) in [
        ("\"123456789\"", 39),
        ("\"1234{x}56789\"", 39),
        ("upper(\"123456789\")", 45),
    ] {
        let err = engine.compile(&script(value), "long.script").unwrap_err();
        let d = &err.items()[0];
        assert_eq!(d.code, DiagnosticCode::StringTooLong, "{err}");
        assert_eq!(err.source().line_col(d.span.start), (2, column), "{err}");
        assert!(
            d.message
                .contains("9 bytes, over the string limit of 8 bytes"),
            "{err}"
        );
    }
    // Captions and Case labels are literals too.
    let caption = "start: Begin \"a very long caption\" { Default -> b }\nb: End";
    assert!(engine.compile(caption, "caption.script").is_err());
}

#[test]
fn every_syntax_error_is_reported_with_the_warnings() {
    use studioflow::DiagnosticCode;
    let err = engine()
        .compile(
            "start: Begin { Default -> a }\n\
             a: Assign { Variable = x Value = ( Default -> b }\n\
             b: Assign { Variable = y Value = nosuch(q) Default -> c }\n\
             c: If { Expression = 1 + True -> d }\n\
             d: End\n\
             lost: End\n",
            "many.script",
        )
        .unwrap_err();
    let codes: Vec<(usize, DiagnosticCode)> = err
        .items()
        .iter()
        .map(|d| (err.source().line_col(d.span.start).0, d.code))
        .collect();
    assert_eq!(
        codes,
        [
            (2, DiagnosticCode::SyntaxError),
            (3, DiagnosticCode::UnknownFunction),
            // Warnings the broken actions cannot change are reported too
            // (issue 17 item 36): nothing written assigns `q` or names `lost`.
            (3, DiagnosticCode::UnassignedVariable),
            (4, DiagnosticCode::SyntaxError),
            (6, DiagnosticCode::UnreachableAction),
        ],
        "{err}"
    );
    // Without syntax errors, warnings come alongside the errors.
    let err = engine()
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = x Value = nosuch() Default -> d }\nd: End\nlost: End\n",
            "w.script",
        )
        .unwrap_err();
    assert!(err.has_errors());
    assert_eq!(
        err.warnings().next().unwrap().code,
        DiagnosticCode::UnreachableAction,
        "{err}"
    );
}

#[test]
fn recovery_is_linear_and_never_panics_on_hostile_input() {
    // Many broken actions, each cut off at the next line that starts an action.
    let broken = "a: Assign { Value = ( \n".repeat(20_000);
    let err = engine().compile(&broken, "broken.script").unwrap_err();
    assert_eq!(err.errors().count(), 20_000);
    // Deep nesting inside one broken action among others stays an error.
    let deep = format!(
        "start: Begin {{ Default -> a }}\na: Assign {{ Value = {}1 \nb: Assign {{ Value = ) }}\n",
        "(".repeat(100_000)
    );
    let err = engine().compile(&deep, "deep.script").unwrap_err();
    assert!(
        err.to_string().contains("nesting is deeper than 256"),
        "{err}"
    );
    assert_eq!(err.errors().count(), 2, "{err}");
}

#[test]
fn every_diagnostic_code_is_documented_in_the_language_reference() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/language.md"))
        .expect("docs/language.md");
    let undocumented: Vec<&str> = studioflow::DiagnosticCode::ALL
        .iter()
        .map(|c| c.name())
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes missing from docs/language.md: {undocumented:?}"
    );
}

#[test]
fn did_you_mean_suggests_close_names_and_only_those() {
    let engine = engine();
    let message = |source: &str| {
        let err = engine
            .compile(source, "t.script")
            .expect_err("does not compile");
        err.items()
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let with = |body: &str| format!("start: Begin {{ Default -> a }}\n{body}\ndone: End\n");
    assert!(message(&with(
        "a: Assign { Variable = x Value = lenn(\"ab\") Default -> done }"
    ))
    .contains("unknown function `lenn` (did you mean `len`?)"));
    // Function names are case-insensitive: a wrong case is found, a far name is not.
    assert!(!message(&with(
        "a: Assign { Variable = x Value = zzzzzz(1) Default -> done }"
    ))
    .contains("did you mean"));
    assert!(message(&with(
        "a: Assign { Variable = x Value = 1 Defualt -> done }"
    ))
    .contains("unknown branch `Defualt` for Assign (did you mean `Default`?)"));
    assert!(message(&with(
        "a: Assign { Variable = x Value = 1 Default -> dome }"
    ))
    .contains("branch target `dome` does not exist (did you mean `done`?)"));
    // Variables: suggested from what the script assigns and the declared inputs.
    let script = engine
        .compile_with(
            "start: Begin { Default -> a }\n\
             a: Assign { Variable = Total Value = Tier + totl + tire Default -> done }\n\
             done: End\n",
            "v.script",
            &studioflow::CompileOptions {
                inputs: vec!["Tier".into(), "Tire".into()],
            },
        )
        .expect("compiles with warnings");
    let warnings: Vec<&str> = script
        .warnings()
        .items()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        warnings,
        [
            "variable `totl` is read but never assigned (did you mean `Total`?)",
            // `Tire` differs only in case: closer than `Tier` (a swap).
            "variable `tire` is read but never assigned (did you mean `Tire`?)",
        ]
    );
}
