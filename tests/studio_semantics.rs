//! Studio's expression semantics, through the public API: 1-based arrays and
//! string arrays, dynamic data objects and JSON, datetimes. Where NICE's help
//! pages give an example with its result, the test uses it and names the page
//! (sources: docs/studio.md).

use studioflow::{Engine, Outcome, RunOptions, Value};

/// Runs `code` as one Snippet action and returns the run's variables, or the
/// `_ERR` of a failed statement (its lines count in the `.script` file: the
/// code starts on line 4).
fn snippet(code: &str) -> Result<studioflow::Variables, String> {
    let engine = Engine::demo();
    let source = format!(
        "start: Begin {{ Default -> s }}\ns: Snippet {{\n  Data = \"\"\"\n{code}\n\"\"\"\n  Default -> done\n  Error -> failed\n}}\ndone: End\nfailed: End\n"
    );
    let script = engine
        .compile(&source, "t.script")
        .unwrap_or_else(|d| panic!("does not compile:\n{d}"));
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    match run.end.as_deref() {
        Some("done") => Ok(run.variables),
        _ => Err(run.variables.get("_ERR").unwrap().to_text()),
    }
}

fn text(vars: &studioflow::Variables, name: &str) -> String {
    vars.get(name)
        .unwrap_or_else(|| panic!("{name} is not set"))
        .to_text()
}

/// Evaluates one expression in an Assign.
fn eval(expr: &str) -> Result<Value, String> {
    let engine = Engine::demo();
    let source =
        format!("start: Begin {{ Default -> a }}\na: Assign {{ Variable = r Value = {expr} }}\n");
    let script = engine
        .compile(&source, "e.script")
        .unwrap_or_else(|d| panic!("does not compile:\n{d}"));
    let run = engine.run(&script, RunOptions::default());
    match run.outcome {
        Outcome::Completed => Ok(run.variables.get("r").cloned().unwrap()),
        _ => Err(run.error.unwrap().message),
    }
}

// ------------------------------------------------------------ arrays

#[test]
fn arrays_page_string_array_built_by_index() {
    // Arrays: "ASSIGN heroes[1] = "Beowulf" / ASSIGN heroes[2] = "Sir Gawain"";
    // indexes start at 1 and a string array is pipe-delimited.
    let v = snippet(
        "ASSIGN heroes[1] = \"Beowulf\"\nASSIGN heroes[2] = \"Sir Gawain\"\nASSIGN heroes[3] = \"Sir Lancelot\"\nfirst = heroes[1]\nlast = heroes[heroes.size]\nn = size(heroes)\nwhere = indexof([\"a\", \"Sir Gawain\"], heroes[2])",
    )
    .unwrap();
    assert_eq!(text(&v, "heroes"), "Beowulf|Sir Gawain|Sir Lancelot");
    assert_eq!(text(&v, "first"), "Beowulf");
    assert_eq!(text(&v, "last"), "Sir Lancelot");
    assert_eq!(text(&v, "n"), "3");
    assert_eq!(text(&v, "where"), "2");
}

#[test]
fn skipped_elements_are_blank_and_index_zero_is_refused() {
    let v = snippet("x[3] = \"c\"\ny = \"a|b\"\ny[1] = \"A\"").unwrap();
    assert_eq!(text(&v, "x"), "||c");
    assert_eq!(text(&v, "y"), "A|b");
    let err = snippet("x[0] = 1").unwrap_err();
    assert_eq!(err, "line 4: array indexes start at 1, got 0");
    let err = snippet("l = [1, 2]\ny = l[0]").unwrap_err();
    assert_eq!(err, "line 5: array indexes start at 1, got 0");
}

#[test]
fn a_structured_element_turns_a_string_array_into_a_list() {
    let v = snippet("a = \"x|y\"\na[2] = [1]\nDYNAMIC o\no.items[2].name = \"n\"").unwrap();
    assert_eq!(text(&v, "a"), r#"["x",[1]]"#);
    assert_eq!(text(&v, "o"), r#"{"items":["",{"name":"n"}]}"#);
}

#[test]
fn text_is_a_one_element_array() {
    assert_eq!(eval(r#""solo"[1]"#), Ok(Value::from("solo")));
    assert_eq!(eval(r#""solo".size"#), Ok(Value::from(1)));
    assert_eq!(eval(r#""".size"#), Ok(Value::from(0)));
    assert_eq!(
        eval(r#""solo"[2]"#),
        Err("Value: index 2 is out of range for a string array of length 1".into())
    );
}

// ------------------------------------------------------------ dynamic data objects and JSON

#[test]
fn parsejson_and_asjson_round_trip() {
    let v = snippet(concat!(
        "raw = \"{{\\\"name\\\":\\\"Beowulf\\\",\\\"foes\\\":[\\\"Grendel\\\",\\\"dragon\\\"]}}\"\n",
        "hero = parsejson(raw)\n",
        "foe = hero.foes[2]\n",
        "hero.occupation = \"Hero\"\n",
        "back = hero.asjson()"
    ))
    .unwrap();
    assert_eq!(text(&v, "foe"), "dragon");
    assert_eq!(
        text(&v, "back"),
        r#"{"name":"Beowulf","foes":["Grendel","dragon"],"occupation":"Hero"}"#
    );
    let err = snippet("x = parsejson(\"{{\\\"a\\\": }}\")").unwrap_err();
    assert!(
        err.starts_with("line 4: parsejson(): not valid JSON: "),
        "{err}"
    );
}

#[test]
fn the_type_member_is_reserved() {
    // `o.__type = ...` is a check error (value_member_and_read_only_members);
    // a key computed at run time is refused when the statement runs.
    let err = snippet("DYNAMIC o\nkey = \"__type\"\no[key] = \"x\"").unwrap_err();
    assert_eq!(
        err,
        "line 6: the member name `__type` is reserved by Studio"
    );
}

// ------------------------------------------------------------ datetimes

#[test]
fn datetimes_compare_in_time_order_not_as_text() {
    // As text "02/09/2023" < "10/01/2022"; as dates it is later.
    assert_eq!(
        eval(r#"asdatetime("02/09/2023") > asdatetime("10/01/2022")"#),
        Ok(Value::from(true))
    );
    assert_eq!(
        eval(r#"asdatetime("02/09/2023 8:00 AM") = "2023-02-09T08:00:00""#),
        Ok(Value::from(true))
    );
    assert!(eval(r#"asdatetime("02/09/2023") < true"#)
        .unwrap_err()
        .contains("cannot compare a datetime with a boolean"));
}

#[test]
fn datetime_text_and_number_are_studio_s() {
    // Reserved variables: the standard date and time format is
    // MM/dd/yyyy hh:mm:ss tt; as a number, an OLE Automation date where
    // 6:00 AM December 31, 1899 is 1.25.
    assert_eq!(
        eval(r#""{asdatetime("2/9/2023 14:05")}""#),
        Ok(Value::from("02/09/2023 02:05:00 PM"))
    );
    assert_eq!(
        eval(r#"asdatetime("12/31/1899 6:00 AM") + 0"#),
        Ok(Value::from(1.25))
    );
    assert_eq!(eval(r#"asdate(1.25)"#), Ok(Value::from("12/31/1899")));
}

#[test]
fn date_functions() {
    let cases: &[(&str, &str)] = &[
        (
            r#"datefmt("04/04/2023 04:29:12", "MM/dd/yyyy hh:mm:ss tt")"#,
            "04/04/2023 04:29:12 AM",
        ),
        (
            r#"datefmt("06/29/2023 15:15:45", "M/d/yy h:m:s tt")"#,
            "6/29/23 3:15:45 PM",
        ),
        (
            r#"datefmt(dateadd("month", "01/31/2024", 1), "yyyy-MM-dd")"#,
            "2024-02-29",
        ),
        (
            r#"datefmt(dateadd("d", "12/31/2023", 1), "yyyy-MM-dd")"#,
            "2024-01-01",
        ),
        (
            r#"datefmt(dateadd("hour", "12/31/2023 23:30", -24), "yyyy-MM-dd HH:mm")"#,
            "2023-12-30 23:30",
        ),
        (r#"datediff("day", "12/31/2023", "01/02/2024")"#, "2"),
        (r#"datediff("year", "12/31/2023", "01/01/2024")"#, "1"),
        (r#"datepart("02/09/2023 08:07:06", "minute")"#, "7"),
        (r#"dow("02/09/2023")"#, "4"),
        (r#"datebuild(2023, 2, 9)"#, "02/09/2023 12:00:00 AM"),
        (
            r#"datetimebuild(2023, 2, 9, 13, 0, 5)"#,
            "02/09/2023 01:00:05 PM",
        ),
        (r#"astime("02/09/2023 13:00:05")"#, "13:00:05"),
        // The demo business unit is in America/Denver (UTC-7 in February).
        (
            r#"asisodatetime("02/09/2023 08:00")"#,
            "2023-02-09T08:00:00.000-07:00",
        ),
        (r#"asutc("02/09/2023 08:00")"#, "02/09/2023 03:00:00 PM"),
    ];
    for (expr, expected) in cases {
        assert_eq!(
            eval(expr).map(|v| v.to_text()),
            Ok(expected.to_string()),
            "{expr}"
        );
    }
    for (bad, says) in [
        (r#"dateadd("fortnight", "01/01/2024", 1)"#, "must be a unit"),
        (r#"dateadd("day", "someday", 1)"#, "must be a date and time"),
        (r#"datebuild(2023, 2, 30)"#, "not a valid date"),
        (
            r#"dateadd("year", "01/01/2024", 99999999)"#,
            "not a valid date",
        ),
        (r#"datefmt("01/01/2024", "'open")"#, "unterminated quote"),
    ] {
        let err = eval(bad).unwrap_err();
        assert!(err.contains(says), "{bad}: {err}");
    }
}

// ------------------------------------------------------------ operators

#[test]
fn studio_operators() {
    let cases: &[(&str, Value)] = &[
        ("2 ^ 10", Value::from(1024)),
        ("7 \\ 2", Value::from(3)),
        ("-7 \\ 2", Value::from(-3)),
        ("7.9 \\ 2", Value::from(3)),
        ("7 % 3", Value::from(1)),
        ("true & false", Value::from(false)),
        ("true | false", Value::from(true)),
        ("true ~ true", Value::from(false)),
        ("true ~ false", Value::from(true)),
        ("1 <> 2", Value::from(true)),
        ("1 != 1", Value::from(false)),
        // Today's spellings stay as aliases.
        ("true && false || true", Value::from(true)),
        ("true and not false", Value::from(true)),
    ];
    for (expr, expected) in cases {
        assert_eq!(eval(expr).as_ref(), Ok(expected), "{expr}");
    }
    assert_eq!(eval("1 \\ 0"), Err("Value: division by zero".into()));
    assert!(eval("10 ^ 400").unwrap_err().contains("overflowed"));
    assert!(eval("1 ~ true")
        .unwrap_err()
        .contains("needs true or false"));
}

#[test]
fn studio_precedence() {
    // Parentheses, then ^, then * / \ %, then + -, then comparisons, then logic.
    let cases: &[(&str, Value)] = &[
        ("2 + 3 * 2 ^ 2", Value::from(14)),
        ("(2 + 3) * 2 ^ 2", Value::from(20)),
        ("2 * 3 ^ 2", Value::from(18)),
        ("(2 * 3) ^ 2", Value::from(36)),
        ("2 ^ 3 ^ 2", Value::from(64)),
        ("-2 ^ 2", Value::from(-4)),
        ("(-2) ^ 2", Value::from(4)),
        ("10 - 7 \\ 2", Value::from(7)),
        ("1 + 2 = 3 & 2 * 2 = 4", Value::from(true)),
        ("1 < 2 | 1 > 2 & false", Value::from(true)),
        ("true ~ 1 = 1", Value::from(false)),
    ];
    for (expr, expected) in cases {
        assert_eq!(eval(expr).as_ref(), Ok(expected), "{expr}");
    }
}

#[test]
fn operators_in_snippet_code_and_templates() {
    // Studio's variables page: braces may hold expressions ("{b+10*c-a^2}").
    let v =
        snippet("a = 3\nb = 5\nc = 2\nr = \"{b+10*c-a^2}\"\nok = a > 1 & b < 10 | c = 0").unwrap();
    assert_eq!(text(&v, "r"), "16");
    assert_eq!(text(&v, "ok"), "true");
}

// ------------------------------------------------------------ literals and members

#[test]
fn datetime_literals() {
    assert_eq!(
        eval(r#"#"02/09/2023 8:00 AM" < #"2023-02-09T09:00:00""#),
        Ok(Value::from(true))
    );
    assert_eq!(
        eval(r#""{#"02/09/2023 8:00 AM"}""#),
        Ok(Value::from("02/09/2023 08:00:00 AM"))
    );
    assert_eq!(
        eval(r##"datefmt(dateadd("day", #"12/31/2023", 1), "yyyy-MM-dd")"##),
        Ok(Value::from("2024-01-01"))
    );
    let err = Engine::demo()
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = d Value = #\"02/30/2023\" }\n",
            "d.script",
        )
        .unwrap_err();
    let first = &err.items()[0];
    assert_eq!(first.code.name(), "invalid-datetime");
    assert!(first
        .message
        .contains("#\"02/30/2023\" is not a date and time"));
}

#[test]
fn value_member_and_read_only_members() {
    let v = snippet("DYNAMIC o\no.name = \"Beowulf\"\nn = o.name.$value\nwhole = o.$value.name")
        .unwrap();
    assert_eq!(text(&v, "n"), "Beowulf");
    assert_eq!(text(&v, "whole"), "Beowulf");
    for member in ["$value", "__type"] {
        let source = format!(
            "start: Begin {{ Default -> s }}\ns: Snippet {{ Data = \"\"\"\nDYNAMIC o\no.name.{member} = 1\n\"\"\" }}\n"
        );
        let err = Engine::demo().compile(&source, "r.script").unwrap_err();
        assert_eq!(err.items()[0].code.name(), "read-only-member", "{member}");
    }
}

#[test]
fn index_below_one_is_a_check_warning() {
    let s = Engine::demo()
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = x Value = [1, 2][0] Error -> b }\nb: Snippet { Data = \"\"\"\ny[-1] = 2\n\"\"\" Error -> c }\nc: End\n",
            "w.script",
        )
        .unwrap();
    let warnings: Vec<_> = s
        .warnings()
        .items()
        .iter()
        .filter(|w| w.code.name() == "index-below-one")
        .collect();
    assert_eq!(warnings.len(), 2, "{:?}", s.warnings().items());
    assert!(warnings[0]
        .message
        .contains("index 0 is below 1: Studio's arrays start at 1"));
    assert!(warnings[1].message.contains("index -1 is below 1"));
}
