//! Issue 17, the run side: date range, budgets checked while values grow
//! and while expressions evaluate, the bounded trace, NaN messages, stops
//! that name one action, a subscript's returned value, RunSub trace order,
//! NICE's arrays example and Snippet branch coverage.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use studioflow::{Engine, FixedClock, Limits, Outcome, Run, RunOptions, StopKind, Value};

fn engine() -> Engine {
    Engine::builder()
        .clock(FixedClock::parse("2026-03-08T06:30:00Z").unwrap())
        .build()
}

fn run_with(engine: &Engine, source: &str, vars: &[(&str, Value)], options: RunOptions) -> Run {
    let script = engine
        .compile(source, "t.script")
        .unwrap_or_else(|d| panic!("{d}"));
    let mut options = options;
    for (name, value) in vars {
        options.variables.insert((*name).to_string(), value.clone());
    }
    engine.run(&script, options)
}

/// `x = <expr>` with an Error branch that records `_ERR`.
fn eval(expr: &str, vars: &[(&str, Value)]) -> Run {
    let source = format!(
        "start: Begin {{ Default -> a }}\n\
         a: Assign {{ Variable = x  Value = {expr}  Default -> done  Error -> failed }}\n\
         failed: Assign {{ Variable = failed  Value = \"yes\"  Default -> done }}\n\
         done: End"
    );
    run_with(&engine(), &source, vars, RunOptions::default())
}

// ===================================================== item 1: date range

/// Every date function refuses what leaves years 0001-9999 with `_ERR` and
/// the Error branch; before the fix, `asutc` of year 262142 panicked.
#[test]
fn date_functions_stay_in_years_1_to_9999() {
    let when = Value::from("12/31/+262142 11:30 PM");
    for expr in [
        "asutc(asdatetime(When))",
        "asutc(When)",
        "asisodatetime(When)",
        "dateadd(\"year\", \"01/01/2000\", 9000)",
        "dateadd(\"day\", \"12/31/9999\", 1)",
        "dateadd(\"year\", \"01/01/2000\", -2000)",
        "asutc(\"12/31/9999 11:30 PM\")",
        "asisodatetime(\"12/31/9999 11:30 PM\")",
        "asdatetime(\"01/01/10000\")",
        "asdatetime(\"0000-12-31\")",
        "asdatetime(-700000)",
        "datebuild(10000, 1, 1)",
        "datebuild(0, 1, 1)",
        "datetimebuild(99999, 1, 1, 0, 0, 0)",
    ] {
        let run = eval(expr, &[("When", when.clone())]);
        assert_eq!(run.outcome, Outcome::Completed, "{expr}: {:?}", run.error);
        assert_eq!(run.variables["failed"], Value::from("yes"), "{expr}");
        let err = run.variables["_ERR"].to_text();
        assert!(err.contains("0001-9999"), "{expr}: {err}");
    }
    // The range's own edges are dates.
    for (expr, want) in [
        (
            "datefmt(dateadd(\"day\", \"12/30/9999\", 1), \"yyyy-MM-dd\")",
            "9999-12-31",
        ),
        (
            "datefmt(dateadd(\"day\", \"01/02/0001\", -1), \"yyyy-MM-dd\")",
            "0001-01-01",
        ),
    ] {
        let run = eval(expr, &[]);
        assert_eq!(
            run.variables["x"],
            Value::from(want),
            "{expr}: {:?}",
            run.variables.get("_ERR")
        );
    }
}

/// A literal outside the range does not compile (before the fix it
/// compiled and `asisodatetime` panicked on it).
#[test]
fn date_literals_outside_the_range_are_refused() {
    let source = "start: Begin { Default -> a }\n\
                  a: Assign { Variable = x  Value = asisodatetime(#\"+262142-12-31T23:30:00\") }";
    assert!(engine().compile(source, "t.script").is_err());
}

/// A host value outside the range is not a date for the functions either.
#[test]
fn host_datetimes_outside_the_range_fail_the_action() {
    let far = chrono::NaiveDate::from_ymd_opt(262_142, 12, 31)
        .unwrap()
        .and_hms_opt(23, 30, 0)
        .unwrap();
    for f in ["asutc", "asisodatetime", "asgmt", "dow", "asdate"] {
        let run = eval(&format!("{f}(When)"), &[("When", Value::DateTime(far))]);
        assert_eq!(run.variables["failed"], Value::from("yes"), "{f}");
    }
}

const DATE_FUNCTIONS: &[&str] = &[
    "asdatetime(A)",
    "asdate(A)",
    "astime(A)",
    "asisodatetime(A)",
    "asutc(A)",
    "asgmt(A)",
    "datefmt(A, \"yyyy-MM-dd HH:mm:ss\")",
    "dateadd(U, A, N)",
    "datediff(U, A, B)",
    "datepart(A, U)",
    "dow(A)",
    "datebuild(N, 1, 1)",
    "datetimebuild(N, 12, 31, 23, 59, 59)",
];

fn date_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-300_000i64..300_000, 1u32..13, 1u32..29, 0u32..24)
            .prop_map(|(y, m, d, h)| { Value::from(format!("{m:02}/{d:02}/{y:+} {h}:30:00")) }),
        (-300_000i64..300_000).prop_map(|y| Value::from(format!("{y:+}-12-31T23:30:00"))),
        (0i64..10_001).prop_map(|y| Value::from(format!("{y:04}-12-31T23:30:00Z"))),
        (-4.0e6f64..4.0e6).prop_map(Value::from),
        Just(Value::from("12/31/9999 11:59:59 PM")),
        Just(Value::from("01/01/0001")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random inputs, extreme years included: never a panic; a result is a
    /// date in range (its year has four digits), or the action fails.
    #[test]
    fn date_functions_never_panic(
        f in 0..DATE_FUNCTIONS.len(),
        a in date_text(),
        b in date_text(),
        unit in prop::sample::select(vec!["year", "month", "week", "day", "hour", "minute", "second"]),
        n in prop_oneof![-10_000_000i64..10_000_000, -20_000i64..20_000, Just(i64::from(i32::MAX))],
        zone in prop::sample::select(vec!["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"]),
    ) {
        let source = format!(
            "start: Begin {{ Default -> who }}\n\
             who: SetSecurityUser {{ Agent = \"sysadmin\" TimeZone = \"{zone}\" Default -> a }}\n\
             a: Assign {{ Variable = x  Value = {}  Default -> done  Error -> done }}\n\
             done: End",
            DATE_FUNCTIONS[f]
        );
        let vars = [("A", a), ("B", b), ("U", Value::from(unit)), ("N", Value::from(n as f64))];
        let run = run_with(&engine(), &source, &vars, RunOptions::default());
        prop_assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
        if let Some(Value::DateTime(d)) = run.variables.get("x") {
            use chrono::Datelike;
            prop_assert!((1..=9999).contains(&d.year()), "{}", d);
        }
    }
}

// ============================================== item 14a: NaN and 2^53

#[test]
fn a_result_that_is_not_a_number_is_not_called_an_overflow() {
    let run = eval("(0-1)^0.5", &[]);
    let err = run.variables["_ERR"].to_text();
    assert!(err.contains("not a number"), "{err}");
    assert!(!err.contains("overflow"), "{err}");
    // A real overflow still says so.
    let run = eval("10^400", &[]);
    assert!(run.variables["_ERR"].to_text().contains("overflowed"));
}

fn snippet(code: &str) -> Run {
    let source = format!(
        "start: Begin {{ Default -> s }}\n\
         s: Snippet {{\n  Data = \"\"\"\n{code}\n\"\"\"\n  Default -> done\n  Error -> done\n}}\n\
         done: End"
    );
    run_with(&engine(), &source, &[], RunOptions::default())
}

#[test]
fn for_counts_whole_numbers_up_to_2_pow_53_and_says_why_beyond() {
    let run =
        snippet("n = 0\nFOR i = 9007199254740990 TO 9007199254740992 { n = n + 1 \n last = i }");
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(
        run.variables
            .get("_ERR")
            .map(Value::to_text)
            .unwrap_or_default(),
        ""
    );
    assert_eq!(run.variables["n"], Value::from(3));
    assert_eq!(run.variables["last"], Value::from(9007199254740992.0));
    let run = snippet("FOR i = 9007199254740994 TO 9007199254740996 { n = i }");
    let err = run.variables["_ERR"].to_text();
    assert!(err.contains("2^53") && err.contains("not exact"), "{err}");
    assert!(!err.contains("whole number"), "{err}");
}
