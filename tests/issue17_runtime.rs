//! Issue 17, the run side: date range, budgets checked while values grow
//! and while expressions evaluate, the bounded trace, NaN messages, stops
//! that name one action, a subscript's returned value, RunSub trace order,
//! NICE's arrays example and Snippet branch coverage.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use studioflow::{Engine, FixedClock, Limits, Outcome, Run, RunOptions, Value};

fn engine() -> Engine {
    Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
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

// ===================================== item 5: the trace is bounded

/// The first 1,000 and the last 1,000 steps are kept and the rest counted,
/// while the run goes: a run of 300,000 steps holds 2,000 steps.
#[test]
fn the_trace_keeps_the_first_and_last_thousand_steps() {
    let source = "start: Begin { Default -> init }\n\
                  init: Assign { Variable = n  Value = 0  Default -> a }\n\
                  a: Assign { Variable = n  Value = n + 1  Default -> a }";
    let engine = engine();
    let script = engine.compile(source, "loop.script").unwrap();
    let run = engine.run(
        &script,
        RunOptions::default().trace(true).max_steps(300_000),
    );
    assert_eq!(run.outcome, Outcome::Limit);
    let trace = run.trace.as_ref().unwrap();
    assert_eq!(
        trace.len(),
        studioflow::TRACE_KEEP_FIRST + studioflow::TRACE_KEEP_LAST
    );
    assert_eq!(run.trace_omitted, 300_000 - 2_000);
    let numbers: Vec<u64> = trace.iter().map(|s| s.step).collect();
    assert_eq!(&numbers[..3], &[1, 2, 3]);
    assert_eq!(numbers[999], 1_000);
    assert_eq!(numbers[1000], 299_001);
    assert_eq!(*numbers.last().unwrap(), 300_000);
    let json = run.to_json();
    assert_eq!(json["trace_omitted"], 298_000);
    assert_eq!(json["trace"].as_array().unwrap().len(), 2_000);

    // A short run keeps every step and says none was left out.
    let run = run_with(
        &engine,
        "start: Begin { Default -> done }\ndone: End",
        &[],
        RunOptions::default().trace(true),
    );
    assert_eq!(run.trace_omitted, 0);
    assert_eq!(run.to_json()["trace_omitted"], 0);
    assert_eq!(run.trace.unwrap().len(), 2);
}

// ============================ item 22: what a subscript run alone returns

#[test]
fn a_script_run_on_its_own_shows_what_its_return_returned() {
    let engine = engine();
    let run = run_with(
        &engine,
        "start: Begin { Default -> r }\nr: Return { ReturnValue = \"{1 + 1} apples\" }",
        &[],
        RunOptions::default(),
    );
    assert_eq!(run.returned, Some(Value::from("2 apples")));
    assert_eq!(run.to_json()["return"], "2 apples");
    // No Return: null.
    let run = run_with(
        &engine,
        "start: Begin { Default -> done }\ndone: End",
        &[],
        RunOptions::default(),
    );
    assert_eq!(run.returned, None);
    assert!(run.to_json()["return"].is_null());
    assert!(run.to_json().as_object().unwrap().contains_key("return"));
    // A Return without ReturnValue: null too.
    let run = run_with(
        &engine,
        "start: Begin { Default -> r }\nr: Return",
        &[],
        RunOptions::default(),
    );
    assert!(run.to_json()["return"].is_null());
}

// ================================== item 31: a RunSub's step comes first

fn sub_engine() -> Engine {
    let mut r = studioflow::MemoryResolver::default();
    r.insert(
        "inner",
        "start: Begin { Default -> twice }\ntwice: Assign { Variable = x Value = 2 Default -> r }\nr: Return { ReturnValue = x }",
    );
    r.insert(
        "outer",
        "start: Begin { Default -> call }\ncall: RunSub { ScriptName = \"inner\" ReturnVariable = y Default -> r }\nr: Return { ReturnValue = y }",
    );
    Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .script_resolver(r)
        .build()
}

const CALLER: &str = "start: Begin { Default -> call }\n\
                      call: RunSub { ScriptName = \"outer\" ReturnVariable = z Default -> done }\n\
                      done: End";

fn shown(step: &studioflow::TraceStep) -> String {
    match &step.script {
        Some(s) => format!("{}:{s}:{}:{}", step.step, step.action, step.depth),
        None => format!("{}:{}:{}", step.step, step.action, step.depth),
    }
}

#[test]
fn a_runsub_step_comes_before_its_subscript_steps_everywhere() {
    use std::sync::{Arc, Mutex};
    let engine = sub_engine();
    let script = engine.compile(CALLER, "main.script").unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let changes = Arc::new(Mutex::new(Vec::new()));
    let (log, change_log) = (seen.clone(), changes.clone());
    let run = engine.run(
        &script,
        RunOptions::default()
            .trace(true)
            .observer(Arc::new(move |s| log.lock().unwrap().push(shown(s))))
            .change_observer(Arc::new(move |s, _| {
                change_log.lock().unwrap().push(shown(s))
            })),
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(run.variables["z"], Value::from(2.0));
    let want = [
        "1:start:0",
        "2:call:0",
        "3:outer:start:1",
        "4:outer:call:1",
        "5:inner:start:2",
        "6:inner:twice:2",
        "7:inner:r:2",
        "8:outer:r:1",
        "9:done:0",
    ];
    let trace: Vec<String> = run.trace.as_ref().unwrap().iter().map(shown).collect();
    assert_eq!(trace, want);
    assert_eq!(*seen.lock().unwrap(), want);
    assert_eq!(*changes.lock().unwrap(), want);
    // The RunSub's step still carries the branch it took.
    let call = &run.trace.as_ref().unwrap()[1];
    assert_eq!(call.branch.as_deref(), Some("Default"));
    assert_eq!(call.edge, Some(0));
    let json = run.to_json();
    let actions: Vec<&str> = json["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["start", "call", "start", "call", "start", "twice", "r", "r", "done"]
    );
}

// ================== items 18 and 21: the deadline after a host action; one action named

/// A clock whose monotonic time passes only when told to.
#[derive(Clone, Default)]
struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        self.0
            .fetch_add(by.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
    }
}

impl studioflow::Clock for ManualClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2026-03-08T06:30:00Z")
            .unwrap()
            .into()
    }
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// A host action that blocks for 5 s (of the manual clock) before it returns.
fn blocking_engine(clock: ManualClock) -> Engine {
    let blocker = clock.clone();
    Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .clock(clock)
        .limits(Limits::default().timeout(Some(Duration::from_secs(1))))
        .register_action(
            studioflow::ActionSchema::new("SlowLookup"),
            move |_: &mut studioflow::ActionCall<'_>| {
                blocker.advance(Duration::from_secs(5));
                Ok(studioflow::BranchId::DEFAULT)
            },
        )
        .build()
}

#[test]
fn a_host_action_that_blocks_past_the_deadline_stops_the_run() {
    let engine = blocking_engine(ManualClock::default());
    let run = run_with(
        &engine,
        "start: Begin { Default -> lookup }\nlookup: SlowLookup { Default -> done }\ndone: End",
        &[],
        RunOptions::default(),
    );
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
    let error = run.error.unwrap();
    assert_eq!(error.kind, Outcome::Limit);
    assert_eq!(error.action, "lookup");
    assert!(
        error.message.contains("time limit of 1 s"),
        "{}",
        error.message
    );
    assert_eq!(run.end.as_deref(), Some("lookup"));
    assert_eq!(run.steps, 2, "the End after it never ran");
}

#[test]
fn a_stop_names_the_action_that_was_running_in_end_and_error() {
    // The step budget runs out after `roles`, before `countRoles`.
    let source = "start: Begin { Default -> roles }\n\
                  roles: Assign { Variable = r  Value = 1  Default -> countRoles }\n\
                  countRoles: Assign { Variable = n  Value = 2  Default -> done }\n\
                  done: End";
    let run = run_with(&engine(), source, &[], RunOptions::default().max_steps(2));
    assert_eq!(run.outcome, Outcome::Limit);
    let error = run.error.unwrap();
    assert_eq!(run.end.as_deref(), Some("roles"));
    assert_eq!(error.action, "roles", "{error}");

    // Inside a subscript: both name the subscript's action.
    let mut r = studioflow::MemoryResolver::default();
    r.insert(
        "count",
        "start: Begin { Default -> spin }\nspin: Assign { Variable = n Value = 1 Default -> spin }",
    );
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .script_resolver(r)
        .build();
    let run = run_with(
        &engine,
        "start: Begin { Default -> roles }\nroles: RunSub { ScriptName = \"count\" Default -> done }\ndone: End",
        &[],
        RunOptions::default().max_steps(50),
    );
    assert_eq!(run.outcome, Outcome::Limit);
    let error = run.error.unwrap();
    assert_eq!(error.action, "count:spin");
    assert_eq!(run.end.as_deref(), Some("count:spin"));
    // Stopped before a subscript's first action: the RunSub was running.
    let run = run_with(
        &engine,
        "start: Begin { Default -> roles }\nroles: RunSub { ScriptName = \"count\" Default -> done }\ndone: End",
        &[],
        RunOptions::default().max_steps(2),
    );
    let error = run.error.unwrap();
    assert_eq!(
        (error.action.as_str(), run.end.as_deref()),
        ("roles", Some("roles"))
    );
}

// ========================= item 3: the deadline inside an expression

/// `[len(replace(a, "x", <32 chars>)), ...]`: each element builds 1 MiB.
fn heavy_list(elements: usize) -> String {
    let element = format!("len(replace(a, \"x\", \"{}\"))", "y".repeat(32));
    vec![element; elements].join(", ")
}

#[test]
fn the_deadline_stops_one_long_expression() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().timeout(Some(Duration::from_millis(500))))
        .build();
    let source = format!(
        "start: Begin {{ Default -> big }}\n\
         big: Assign {{ Variable = sizes  Value = [{}]  Default -> done  Error -> done }}\n\
         done: End",
        heavy_list(4_000)
    );
    let started = Instant::now();
    let run = run_with(
        &engine,
        &source,
        &[("a", Value::from("x".repeat(32 * 1024)))],
        RunOptions::default(),
    );
    let took = started.elapsed();
    assert_eq!(
        run.outcome,
        Outcome::Limit,
        "{:?} after {took:?}",
        run.error
    );
    let error = run.error.unwrap();
    assert_eq!(error.kind, Outcome::Limit);
    assert_eq!(error.action, "big");
    assert!(error.message.contains("time limit"), "{}", error.message);
    // Before the fix the action ran to its end (tens of seconds in a debug
    // build) and the run completed: the outcome above is the proof, with no
    // timing threshold.
}

#[test]
fn the_deadline_stops_one_long_snippet_statement_and_cancel_is_seen_in_expressions() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().timeout(Some(Duration::from_millis(500))))
        .build();
    let source = format!(
        "start: Begin {{ Default -> s }}\n\
         s: Snippet {{\n  Data = \"\"\"\nsizes = [{}]\n\"\"\"\n  Default -> done\n  Error -> done\n}}\n\
         done: End",
        heavy_list(4_000)
    );
    let run = run_with(
        &engine,
        &source,
        &[("a", Value::from("x".repeat(32 * 1024)))],
        RunOptions::default(),
    );
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
    assert!(run.error.unwrap().message.contains("time limit"));

    // A cancellation met inside the expression stops it there: the first
    // element cancels (as another thread would), 8,000 more follow (tens
    // of seconds of work in a debug build before the fix).
    let token = studioflow::CancelToken::new();
    let from_script = token.clone();
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().timeout(None))
        .register_fn("cancel_now", move || {
            from_script.cancel();
            true
        })
        .build();
    let source = format!(
        "start: Begin {{ Default -> big }}\n\
         big: Assign {{ Variable = sizes  Value = [cancel_now(), {}]  Default -> done  Error -> done }}\n\
         done: End",
        heavy_list(8_000)
    );
    let run = run_with(
        &engine,
        &source,
        &[("a", Value::from("x".repeat(32 * 1024)))],
        RunOptions::default().cancel(token),
    );
    assert_eq!(run.outcome, Outcome::Cancelled, "{:?}", run.error);
    assert_eq!(run.error.unwrap().action, "big");
    // Stopped inside the expression: the Assign never finished (before the
    // fix the whole list was built and assigned, then the run stopped).
    assert!(run.variables.get("sizes").is_none(), "the Assign completed");
}

// ==================== item 2: values grown in place are measured as they grow

const BIG: &str = "replace(Seed, \"x\", \"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\")"; // 1 MiB

fn grow_run(code: &str, max_memory: usize) -> Run {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_memory_bytes(max_memory))
        .build();
    let source = format!(
        "start: Begin {{ Default -> s }}\n\
         s: Snippet {{\n  Data = \"\"\"\n{code}\n\"\"\"\n  Default -> done\n  Error -> done\n}}\n\
         done: End"
    );
    run_with(
        &engine,
        &source,
        &[("Seed", Value::from("x".repeat(32 * 1024)))],
        RunOptions::default(),
    )
}

/// The issue's scenario: a function appends 200 one-element lists of
/// 1 MiB text to its parameter. Before the fix it completed under a 1 MiB
/// budget (207 MB real), never measured.
#[test]
fn a_function_parameter_grown_in_place_meets_the_memory_budget() {
    let code = format!(
        "FUNCTION Grow(p) {{\n  FOR i = 1 TO 200 {{\n    count = i\n    p[i] = [{BIG}]\n  }}\n  RETURN 1\n}}\nn = Grow([])"
    );
    let run = grow_run(&code, 1 << 20);
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
    let error = run.error.unwrap();
    assert!(
        error.message.contains("memory budget of 1 MiB"),
        "{}",
        error.message
    );

    // Under the default budget, the value limit (1 MiB of text inside one
    // value) refuses the second element: the statement fails.
    let run = grow_run(&code, Limits::default().max_memory_bytes);
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    let err = run.variables["_ERR"].to_text();
    assert!(
        err.contains("`p` in Grow()") && err.contains("refused"),
        "{err}"
    );
}

#[test]
fn an_ordinary_variable_grown_in_place_meets_the_budgets_at_once() {
    let code = format!("FOR i = 1 TO 300 {{\n  count = i\n  arr[i] = [{BIG}]\n}}");
    let run = grow_run(&code, 1 << 20);
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
    assert!(run.error.unwrap().message.contains("memory budget"));
    // The second element passes the value limit; before the fix it was seen
    // only at the next pace, hundreds of elements (MiB) later.
    let run = grow_run(&code, Limits::default().max_memory_bytes);
    let err = run.variables["_ERR"].to_text();
    assert!(err.contains("`arr`") && err.contains("refused"), "{err}");
    // Measured each time it may have doubled: at the third element at most.
    let count = run.variables["count"].as_number().unwrap();
    assert!(count <= 3.0, "{count}");
}

// ======================== item 35: NICE's dynamic array of objects

/// The arrays help page's example: a dynamic data object indexed with
/// `[i]` becomes an array of objects. Before the fix: "cannot set an
/// element of object by index".
#[test]
fn nice_arrays_example_builds_an_array_of_objects() {
    let run = snippet(
        "ASSIGN Names = \"John|Mary|Sally\"\n\
         DYNAMIC Persons\n\
         FOR i = 1 TO Names.size\n\
         {\n\
           ASSIGN Persons[i].Name = \"{Names[i]}\"\n\
         }\n\
         ASSIGN Second = Persons[2].Name\n\
         ASSIGN Count = Persons.size\n\
         ASSIGN Json = Persons.asjson()",
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(
        run.variables
            .get("_ERR")
            .map(Value::to_text)
            .unwrap_or_default(),
        ""
    );
    assert_eq!(run.variables["Second"], Value::from("Mary"));
    assert_eq!(run.variables["Count"], Value::from(3));
    assert_eq!(
        run.variables["Json"],
        Value::from(r#"[{"Name":"John"},{"Name":"Mary"},{"Name":"Sally"}]"#)
    );
    // An object that already has members becomes the first element.
    let run = snippet("DYNAMIC o\no.Name = \"A\"\no[2].Name = \"B\"\nJson = o.asjson()");
    assert_eq!(
        run.variables["Json"],
        Value::from(r#"[{"Name":"A"},{"Name":"B"}]"#)
    );
}

// ============================= item 33: coverage of Snippet branches

const BRANCHY: &str = r#"start: Begin { Default -> calc }
calc: Snippet {
  Data = """
    FUNCTION Grade(n)
    {
      IF n > 10
      {
        RETURN "high"
      }
      RETURN "low"
    }
    IF Tier = "gold"
    {
      bonus = 10
    }
    ELSE
    {
      bonus = 0
    }
    SWITCH Tier
    {
      CASE "gold" { kind = 1 }
      CASE "silver" { kind = 2 }
      DEFAULT { kind = 0 }
    }
    FOREACH item IN Items { last = item }
    grade = Grade(bonus)
  """
  Default -> done
}
done: End"#;

#[test]
fn coverage_counts_the_arms_of_snippet_statements() {
    use studioflow::testing::Coverage;
    let engine = engine();
    let script = engine.compile(BRANCHY, "branchy.script").unwrap();
    let mut coverage = Coverage::default();
    for (tier, items) in [("gold", "a|b"), ("gold", "")] {
        let mut options = RunOptions::default().trace(true);
        options.variables.insert("Tier".into(), Value::from(tier));
        options.variables.insert("Items".into(), Value::from(items));
        let run = engine.run(&script, options);
        assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
        coverage.record("branchy.script".as_ref(), &script, &run);
    }
    let c = &coverage.scripts()[0];
    let arms: Vec<(String, usize, String, String, u64)> = c
        .snippet_branches
        .iter()
        .map(|b| {
            (
                b.action.clone(),
                b.line,
                b.statement.clone(),
                b.arm.clone(),
                b.hits,
            )
        })
        .collect();
    let arm = |a: &str, l: usize, s: &str, arm: &str, h: u64| {
        (a.to_string(), l, s.to_string(), arm.to_string(), h)
    };
    assert_eq!(
        arms,
        [
            arm("calc", 12, "IF", "true", 2),
            arm("calc", 12, "IF", "false", 0),
            arm("calc", 20, "SWITCH", "CASE 1", 2),
            arm("calc", 20, "SWITCH", "CASE 2", 0),
            arm("calc", 20, "SWITCH", "DEFAULT", 0),
            arm("calc", 26, "FOREACH", "entered", 1),
            arm("calc", 26, "FOREACH", "skipped", 1),
            arm("FUNCTION Grade", 6, "IF", "true", 0),
            arm("FUNCTION Grade", 6, "IF", "false", 2),
            arm("FUNCTION Grade", 8, "RETURN", "taken", 0),
            arm("FUNCTION Grade", 10, "RETURN", "taken", 2),
        ]
    );
    assert_eq!(c.snippet_branches[0].column, 5);
    assert!(
        c.summary_line()
            .ends_with(", snippet branches 6/11 (54.5%)"),
        "{}",
        c.summary_line()
    );
    let text = coverage.to_text();
    assert!(
        text.contains(
            "branchy.script:8:9: snippet branch RETURN taken in FUNCTION Grade never taken"
        ),
        "{text}"
    );
    let json = coverage.to_json();
    assert_eq!(json["scripts"][0]["snippet_branches"]["taken"], 6);
    assert_eq!(json["scripts"][0]["snippet_branches"]["total"], 11);
    assert_eq!(
        json["scripts"][0]["snippet_branch_hits"][4]["arm"],
        "DEFAULT"
    );
    let page = studioflow::report::coverage_page(
        &coverage.flows()[0],
        c,
        &Default::default(),
        "index.html",
    );
    assert!(
        page.contains("id=\"snippet-branches\">6/11"),
        "the summary row"
    );
    assert_eq!(
        page.matches("class=\"snippet-branch uncovered\"").count(),
        5
    );
    assert_eq!(page.matches("class=\"snippet-branch covered\"").count(), 6);
    let index = studioflow::report::coverage_index(coverage.scripts(), &["b.html".to_string()]);
    assert!(index.contains("<th>snippet branches</th>"));
}

/// Coverage reads the run's counts, not its trace: a loop longer than the
/// trace keeps is counted in full.
#[test]
fn coverage_counts_every_step_of_a_run_longer_than_its_trace() {
    use studioflow::testing::Coverage;
    let engine = engine();
    let source = "start: Begin { Default -> init }\n\
                  init: Assign { Variable = n  Value = 0  Default -> a }\n\
                  a: Assign { Variable = n  Value = n + 1  Default -> check }\n\
                  check: If { Expression = n < 5000  True -> a  False -> done }\n\
                  done: End";
    let script = engine.compile(source, "long.script").unwrap();
    let run = engine.run(
        &script,
        RunOptions::default().trace(true).max_steps(100_000),
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert!(run.trace_omitted > 0);
    let mut coverage = Coverage::default();
    coverage.record("long.script".as_ref(), &script, &run);
    let c = &coverage.scripts()[0];
    assert_eq!(c.actions[2].hits, 5_000);
    let true_branch = c
        .branches
        .iter()
        .find(|b| b.action == "check" && b.branch == "True")
        .unwrap();
    assert_eq!(true_branch.hits, 4_999);
}
