//! A run is bounded in memory, time and value sizes (issue 7, items 5-7,
//! 10, 15, 23): the memory budget, the wall-clock deadline (proven with a
//! clock whose time passes on demand, never with a timing threshold),
//! results checked before they are built (proven with a counting
//! allocator), action results and `_ERR` under the same limits, deep host
//! inputs refused on a small stack, `null` shown in errors, and membership
//! tests that use the language's `=`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use studioflow::{
    ActionSchema, BranchId, Clock, Engine, Limits, Outcome, PropertyKind, PropertySchema, Run,
    RunOptions, Value, MAX_ERROR_TEXT_BYTES, TRUNCATION_MARKER,
};

// ============================================================ allocator

/// Counts the largest single allocation of the thread that turned
/// `TRACKING` on, so a test can prove a result was refused before it was
/// allocated (other tests run on other threads at the same time).
struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation(size: usize) {
    // `try_with`: the allocator also runs while a thread's locals are torn down.
    let _ = TRACKING.try_with(|tracking| {
        if tracking.get() {
            let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
        }
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the largest allocation it made on
/// this thread.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.set(0);
    TRACKING.set(true);
    let result = f();
    TRACKING.set(false);
    (result, LARGEST.get())
}

// ============================================================ helpers

fn run(engine: &Engine, src: &str, vars: &[(&str, Value)]) -> Run {
    let script = engine
        .compile(src, "bounded.script")
        .unwrap_or_else(|d| panic!("compiles:\n{d}"));
    let mut options = RunOptions::default();
    for (name, value) in vars {
        options.variables.insert(name.to_string(), value.clone());
    }
    engine.run(&script, options)
}

fn assign(expr: &str) -> String {
    format!("start: Begin {{ Default -> a }}\na: Assign {{ Variable = r  Value = {expr}  Default -> done  Error -> failed }}\nfailed: End\ndone: End\n")
}

fn err_text(run: &Run) -> String {
    run.variables
        .get("_ERR")
        .map(Value::to_text)
        .unwrap_or_default()
}

// ============================================================ memory budget

#[test]
fn many_big_variables_stop_at_the_default_memory_budget() {
    // The issue's reproduction, scaled: 100 variables of 1 MiB each would
    // hold 100 MiB; the default budget (64 MiB) stops the run on the way.
    let mut src = String::from("start: Begin { Default -> v0 }\n");
    for i in 0..100 {
        src.push_str(&format!(
            "v{i}: Assign {{ Variable = x{i} Value = \"{{big}}\" Default -> v{} }}\n",
            i + 1
        ));
    }
    src.push_str("v100: End\n");
    let big = Value::from("m".repeat((1 << 20) - 64));
    let run = run(&Engine::demo(), &src, &[("big", big)]);
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
    let error = run.error.expect("a limit error");
    assert_eq!(error.kind, Outcome::Limit);
    assert!(
        error.message.contains("memory budget of 64 MiB"),
        "{}",
        error.message
    );
    // It stopped near the budget, not at the end: about 63 copies fit.
    let stopped_at: usize = error.action[1..].parse().unwrap();
    assert!((55..70).contains(&stopped_at), "stopped at {stopped_at}");
    assert!(!run.variables.contains_key(&format!("x{stopped_at}")));
}

#[test]
fn replacing_a_variable_frees_its_share_of_the_budget() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_memory_bytes(100 << 10))
        .build();
    // 1,000 replacements of a 30 KB value in one variable stay in budget...
    let src = "start: Begin { Default -> again }\n\
               again: Loop { Repeat = 1000 Repeat -> set Finished -> done }\n\
               set: Assign { Variable = x Value = \"{s}{counter}\" Default -> again }\n\
               done: End\n";
    let s = Value::from("s".repeat(30_000));
    let completed = run(&engine, src, &[("s", s.clone())]);
    assert_eq!(
        completed.outcome,
        Outcome::Completed,
        "{:?}",
        completed.error
    );
    // ...while three such variables at once (with the input) pass it.
    let src = "start: Begin { Default -> a }\n\
               a: Assign { Variable = x Value = \"{s}1\" Default -> b }\n\
               b: Assign { Variable = y Value = \"{s}2\" Default -> c }\n\
               c: Assign { Variable = z Value = \"{s}3\" Default -> done }\n\
               done: End\n";
    let stopped = run(&engine, src, &[("s", s)]);
    assert_eq!(stopped.outcome, Outcome::Limit);
    let error = stopped.error.unwrap();
    assert_eq!(error.action, "c");
    assert!(
        error
            .message
            .contains("memory budget of 100 KiB (102400 bytes) exceeded"),
        "{}",
        error.message
    );
}

#[test]
fn an_input_over_the_memory_budget_is_refused() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_memory_bytes(1000))
        .build();
    let run = run(
        &engine,
        &assign("1"),
        &[("big", Value::from("b".repeat(2000)))],
    );
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(run.steps, 0);
    let message = run.error.unwrap().message;
    assert!(message.contains("input variable `big`"), "{message}");
    assert!(message.contains("memory budget"), "{message}");
}

// ============================================================ deadline

/// A clock whose monotonic time advances one second per reading.
struct Ticking(AtomicU64);

impl Clock for Ticking {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_772_951_400, 0).unwrap()
    }
    fn monotonic(&self) -> Duration {
        Duration::from_secs(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

fn ticking_engine(timeout: Option<Duration>) -> Engine {
    Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .clock(Ticking(AtomicU64::new(0)))
        .limits(Limits::default().timeout(timeout).max_steps(1_000_000))
        .build()
}

const SPIN: &str = "start: Begin { Default -> spin }\nspin: Assign { Variable = n Value = n + 1 Default -> spin }\n";

#[test]
fn the_deadline_stops_an_endless_loop() {
    let run = run(
        &ticking_engine(Some(Duration::from_secs(10))),
        SPIN,
        &[("n", 0.0.into())],
    );
    assert_eq!(run.outcome, Outcome::Limit);
    let error = run.error.unwrap();
    assert_eq!(error.kind, Outcome::Limit);
    assert!(
        error.message.contains("time limit of 10 s exceeded"),
        "{}",
        error.message
    );
    // Each check reads the clock once; ten readings later the time is up,
    // long before the step budget.
    assert!(run.steps < 200, "{} steps", run.steps);
    assert_eq!(run.variables["n"].as_number(), Some(run.steps as f64 - 1.0));
}

#[test]
fn run_options_override_the_engine_deadline() {
    let engine = ticking_engine(None);
    let script = engine.compile(SPIN, "spin.script").unwrap();
    let mut inputs = indexmap::IndexMap::new();
    inputs.insert("n".to_string(), Value::from(0.0));
    let limited = engine.run(
        &script,
        RunOptions::default()
            .variables(inputs.clone())
            .timeout(Duration::from_secs(3))
            .max_steps(10_000),
    );
    assert_eq!(limited.outcome, Outcome::Limit);
    assert!(limited.error.unwrap().message.contains("time limit of 3 s"));
    // Without a deadline the same run is stopped by its step budget instead.
    let unlimited = engine.run(
        &script,
        RunOptions::default().variables(inputs).max_steps(500),
    );
    assert_eq!(unlimited.steps, 500);
    assert!(unlimited.error.unwrap().message.contains("step budget"));
}

#[test]
fn storing_a_lot_checks_the_deadline_sooner() {
    // Each step stores 600 KB: the deadline is read after every second
    // step (1 MiB stored), not only every eighth.
    let engine = ticking_engine(Some(Duration::from_secs(2)));
    let src = "start: Begin { Default -> spin }\nspin: Assign { Variable = x Value = \"{s}\" Default -> spin }\n";
    let run = run(&engine, src, &[("s", Value::from("s".repeat(600_000)))]);
    assert_eq!(run.outcome, Outcome::Limit);
    assert!(run.steps < 8, "{} steps", run.steps);
}

// ============================================================ results checked first

#[test]
fn replace_refuses_an_oversized_result_before_allocating_it() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_string_bytes(64 << 10))
        .build();
    let vars = [
        ("s", Value::from("a".repeat(1000))),
        ("y", Value::from("y".repeat(10_000))),
    ];
    // 1,000 matches x 10,000 bytes: a 10 MB result, refused at 64 KiB.
    let (run, largest) =
        largest_allocation(|| run(&engine, &assign("replace(s, \"a\", y)"), &vars));
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(
        err_text(&run).contains("a string of 10000000 exceeds the limit of 65536"),
        "{}",
        err_text(&run)
    );
    assert!(
        largest < 1 << 20,
        "allocated {largest} bytes before refusing"
    );
}

#[test]
fn upper_refuses_an_oversized_result_before_allocating_it() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_string_bytes(64 << 10))
        .build();
    // 'ŉ' (2 bytes) upper-cases to "ʼN" (3 bytes): 60,000 bytes become 90,000.
    let vars = [("u", Value::from("ŉ".repeat(30_000)))];
    let (run, largest) = largest_allocation(|| run(&engine, &assign("upper(u)"), &vars));
    assert!(
        err_text(&run).contains("a string of 90000 exceeds the limit of 65536"),
        "{}",
        err_text(&run)
    );
    assert!(
        largest < 80_000,
        "allocated {largest} bytes before refusing"
    );
}

// ============================================================ action results and _ERR

#[test]
fn list_agents_refuses_a_result_over_the_list_limit() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_list_len(3))
        .build();
    let src = "start: Begin { Default -> who }\n\
               who: SetSecurityUser { Agent = \"sysadmin\" Default -> list }\n\
               list: ListAgents { Default -> done Error -> failed }\n\
               failed: End\ndone: End\n";
    let run = run(&engine, src, &[]);
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert_eq!(
        err_text(&run),
        "the result for `Agents` is refused: a list of 7 exceeds the limit of 3"
    );
    assert!(!run.variables.contains_key("Agents"));
}

#[test]
fn a_host_action_result_goes_through_the_size_limits() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_string_bytes(100))
        .register_action(
            ActionSchema::new("Fetch").property(
                PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
                    .with_default(Value::from("Fetched")),
            ),
            |call: &mut studioflow::ActionCall<'_>| {
                let var = call.variable(0).expect("a variable");
                // `set` cannot return the refusal; the action fails anyway.
                call.set(var, Value::from("x".repeat(1000)));
                Ok(BranchId::DEFAULT)
            },
        )
        .build();
    let src = "start: Begin { Default -> f }\nf: Fetch { Default -> done Error -> failed }\nfailed: End\ndone: End\n";
    let run = run(&engine, src, &[]);
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert_eq!(
        err_text(&run),
        "the result for `Fetched` is refused: a string of 1000 exceeds the limit of 100"
    );
    assert!(!run.variables.contains_key("Fetched"));
}

#[test]
fn error_texts_are_bounded_with_a_marker_and_error_items_capped() {
    // 5,000 unknown features with 200-character names: without the caps,
    // _ERR would hold 5,000 items and over a megabyte.
    let names: Vec<Value> = (0..5000)
        .map(|i| Value::from(format!("{i}{}", "f".repeat(200))))
        .collect();
    let src = "start: Begin { Default -> who }\n\
               who: SetSecurityUser { Agent = \"sysadmin\" Default -> make }\n\
               make: CreateRole { Name = \"Hostile\" Features = names Default -> done Error -> failed }\n\
               failed: End\ndone: End\n";
    let run = run(&Engine::demo(), src, &[("names", Value::from(names))]);
    assert_eq!(run.end.as_deref(), Some("failed"));
    let text = err_text(&run);
    assert!(text.len() <= MAX_ERROR_TEXT_BYTES, "{} bytes", text.len());
    assert!(text.ends_with(TRUNCATION_MARKER), "{text}");
    assert!(text.starts_with("invalidInput.unknownFeature: "), "{text}");
}

#[test]
fn a_stopped_run_reports_the_bounded_error_text_too() {
    let names: Vec<Value> = (0..5000)
        .map(|i| Value::from(format!("{i}{}", "f".repeat(200))))
        .collect();
    let src = "start: Begin { Default -> who }\n\
               who: SetSecurityUser { Agent = \"sysadmin\" Default -> make }\n\
               make: CreateRole { Name = \"Hostile\" Features = names }\n";
    let run = run(&Engine::demo(), src, &[("names", Value::from(names))]);
    assert_eq!(run.outcome, Outcome::Stopped);
    let message = run.error.unwrap().message;
    assert!(message.len() <= MAX_ERROR_TEXT_BYTES && message.ends_with(TRUNCATION_MARKER));
}

#[test]
fn a_huge_list_roles_query_fails_fast_in_a_loop() {
    // The issue's reproduction: a 512 KiB query in a ListRoles that loops
    // on both branches did not finish in 900 s.
    let src = "start: Begin { Default -> who }\n\
               who: SetSecurityUser { Agent = \"sysadmin\" Default -> list }\n\
               list: ListRoles { Query = x Default -> list Error -> list }\n";
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_steps(300))
        .build();
    let query = Value::from("a:b ".repeat(128 << 10));
    let run = run(&engine, src, &[("x", query)]);
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(run.steps, 300);
    assert_eq!(
        err_text(&run),
        // (trimmed: the trailing space is not part of the search)
        "invalidInput.fieldLengthExceeded: q is 524287 bytes long, at most 1024 are allowed"
    );
}

#[test]
fn a_huge_list_agents_query_is_refused() {
    let src = "start: Begin { Default -> who }\n\
               who: SetSecurityUser { Agent = \"sysadmin\" Default -> list }\n\
               list: ListAgents { Query = x Default -> done Error -> failed }\n\
               failed: End\ndone: End\n";
    let run = run(
        &Engine::demo(),
        src,
        &[("x", Value::from("z".repeat(4096)))],
    );
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(err_text(&run).starts_with("invalidInput.fieldLengthExceeded: q is 4096 bytes long"));
}

// ============================================================ deep inputs

fn nested(levels: usize) -> Value {
    let mut v = Value::from("core");
    for _ in 0..levels {
        v = Value::from(vec![v]);
    }
    v
}

#[test]
fn a_deeply_nested_input_is_refused_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let engine = Engine::demo();
            let srcs = [
                assign("\"{deep}\""),
                assign("deep"),
                assign("[deep, deep] = [deep, deep]"),
            ];
            for src in srcs {
                // Moved in, not cloned: the engine holds the only reference,
                // so dropping it is the engine's job (the default drop of
                // such a value would itself overflow the stack).
                let script = engine.compile(&src, "deep.script").unwrap();
                let mut options = RunOptions::default();
                options.variables.insert("deep".into(), nested(200_000));
                let run = engine.run(&script, options);
                assert_eq!(run.outcome, Outcome::Limit, "{src}");
                let message = run.error.as_ref().unwrap().message.clone();
                assert!(
                    message.contains("input variable `deep` is refused")
                        && message.contains("nests deeper than the limit of 64 levels"),
                    "{message}"
                );
                // The report itself renders on the small stack.
                let json = run.to_json();
                assert_eq!(json["error"]["kind"], "limit");
                assert!(json["variables"].get("deep").is_none());
            }
        })
        .unwrap();
    handle.join().expect("no stack overflow");
}

#[test]
fn inputs_at_the_depth_limit_are_accepted() {
    let run = run(
        &Engine::demo(),
        &assign("len(deep)"),
        &[("deep", nested(63))],
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(run.variables["r"], Value::from(1.0));
}

// ============================================================ messages and =

#[test]
fn every_error_shows_the_value_it_got_null_included() {
    let src = "start: Begin { Default -> who }\n\
               who: SetSecurityUser { Agent = \"sysadmin\" Default -> up }\n\
               up: UpdateRole { Role = \"Supervisor\" ChangeStamp = null Default -> done Error -> failed }\n\
               failed: End\ndone: End\n";
    let run = run(&Engine::demo(), src, &[]);
    assert_eq!(
        err_text(&run),
        "ChangeStamp: expected the role's current changeStamp, a whole number >= 0, got null"
    );
    let arithmetic = run_expr("null + 1");
    assert_eq!(arithmetic, "Value: `+` needs numbers, got null");
    let logic = run_expr("not null");
    assert_eq!(logic, "Value: `not` needs true or false, got null");
}

fn run_expr(expr: &str) -> String {
    err_text(&run(&Engine::demo(), &assign(expr), &[]))
}

#[test]
fn membership_uses_the_languages_equality() {
    let cases = [
        ("contains([1, 2], \"1\")", true),
        ("contains([\"1.0\"], 1)", true),
        ("contains([1, 2], \"3\")", false),
        ("contains([[1]], [\"1\"])", true),
        ("[1, \"a\"] = [\"1\", \"a\"]", true),
        ("[1] = [\"01\"]", true),
        ("[\"A\"] = [\"a\"]", false),
    ];
    for (expr, want) in cases {
        let run = run(&Engine::demo(), &assign(expr), &[]);
        assert_eq!(
            run.variables.get("r"),
            Some(&Value::Bool(want)),
            "{expr}: {:?}",
            run.error
        );
    }
    // `Case` is a membership test too: 1.0 matches the label "1".
    let src = "start: Begin { Default -> c }\n\
               c: Case { Value = n Case \"1\" -> one Default -> other }\n\
               one: End\nother: End\n";
    let one = run(&Engine::demo(), src, &[("n", Value::from(1.0))]);
    assert_eq!(one.end.as_deref(), Some("one"));
    let text = run(&Engine::demo(), src, &[("n", Value::from("1.0"))]);
    assert_eq!(text.end.as_deref(), Some("one"));
    let other = run(&Engine::demo(), src, &[("n", Value::from("one"))]);
    assert_eq!(other.end.as_deref(), Some("other"));
}

// Keep `Arc` in use for hosts reading this as an example of a shared engine.
#[test]
fn limits_apply_per_run_on_a_shared_engine() {
    let engine = Arc::new(
        Engine::builder()
            .directory(studioflow::permissions::Directory::demo())
            .limits(Limits::default().max_memory_bytes(50_000))
            .build(),
    );
    let script = engine.compile(&assign("\"{s}\""), "shared.script").unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let engine = engine.clone();
            let script = script.clone();
            std::thread::spawn(move || {
                let mut options = RunOptions::default();
                options
                    .variables
                    .insert("s".into(), Value::from("s".repeat(20_000)));
                engine.run(&script, options).outcome
            })
        })
        .collect();
    for handle in handles {
        // 20 KB input + 20 KB copy fit in each run's own 50 KB budget.
        assert_eq!(handle.join().unwrap(), Outcome::Completed);
    }
}

// ============================================================ command line

fn cli(script: &str, args: &[&str]) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("studioflow-bounded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:x}.script", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (script, args).hash(&mut h);
        h.finish()
    }));
    std::fs::write(&path, script).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .arg("run")
        .arg(&path)
        .args(args)
        .output()
        .expect("run the binary");
    let _ = std::fs::remove_file(&path);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_timeout_ends_a_run_with_exit_3() {
    // A spin of 100 million steps cannot finish within a millisecond on any
    // machine: no timing threshold.
    let (code, out, err) = cli(
        SPIN,
        &[
            "--timeout",
            "0.001",
            "--max-steps",
            "100000000",
            "--var",
            "n=0",
        ],
    );
    assert_eq!(code, 3, "{out}");
    assert!(err.contains("time limit of 0.001 s exceeded"), "{err}");
    let (code, _, err) = cli(SPIN, &["--timeout", "soon"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a number of seconds"), "{err}");
}

#[test]
fn cli_refuses_a_deadline_of_zero_or_less_before_anything_runs() {
    // Issue 17 item 18: `--timeout 0` used to run 8 actions before stopping;
    // item 26: `--timeout -1` gave clap's tip "use '-- -1'".
    for bad in ["0", "-1", "-0.5", "0.0", "NaN"] {
        let (code, out, err) = cli(SPIN, &["--timeout", bad, "--json", "--var", "n=0"]);
        assert_eq!(code, 2, "--timeout {bad}: {out}");
        assert!(
            err.contains("more than 0 seconds") || err.contains("not a number of seconds"),
            "--timeout {bad}: {err}"
        );
        assert!(!err.contains("'-- "), "clap's tip leaked for {bad}: {err}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["outcome"], "error", "{bad}");
        assert_eq!(
            doc["steps"],
            serde_json::Value::Null,
            "nothing ran for {bad}"
        );
    }
    let (code, _, err) = cli(SPIN, &["--max-steps", "-5"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a whole number of steps"), "{err}");
}

#[test]
fn cli_max_memory_ends_a_run_with_exit_3() {
    let src = "start: Begin { Default -> a }\n\
               a: Assign { Variable = x Value = \"{s}{s}{s}{s}\" Default -> done }\n\
               done: End\n";
    let (code, out, err) = cli(src, &["--max-memory", "1KiB", "--var", "s=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        err.contains("memory budget of 1 KiB (1024 bytes) exceeded"),
        "{err}"
    );
    let (code, out, _) = cli(src, &["--max-memory", "64MiB", "--var", "s=abc"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = cli(src, &["--max-memory", "12 parsecs"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a size"), "{err}");
}

#[test]
fn cli_refuses_an_input_over_the_value_limits() {
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let (code, _, err) = cli(&assign("1"), &["--var", &format!("deep={deep}")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--var deep: a value nests deeper than the limit of 64 levels"),
        "{err}"
    );
}

// ============================================================ closed word sets (item 16)

const LIST: &str = "start: Begin { Default -> who }\n\
    who: SetSecurityUser { Agent = \"sysadmin\" TimeZone = Default Default -> l }\n\
    l: ListAgents { Status = STATUS Default -> done Error -> failed }\n\
    failed: End\ndone: End\n";

fn agent_ids(run: &Run) -> Vec<f64> {
    match run.variables.get("Agents") {
        Some(Value::List(items)) => items
            .iter()
            .map(|a| match a {
                Value::Object(m) => m["id"].as_number().unwrap(),
                _ => panic!("not an agent"),
            })
            .collect(),
        other => panic!("no agent list: {other:?}"),
    }
}

#[test]
fn a_bare_word_in_a_closed_property_is_the_word() {
    // Before: `inactive` read as an unset variable ("" = all): 7 agents.
    let run = run(&Engine::demo(), &LIST.replace("STATUS", "inactive"), &[]);
    assert_eq!(agent_ids(&run), [1006.0]);
    let run2 = self::run(&Engine::demo(), &LIST.replace("STATUS", "Active"), &[]);
    assert_eq!(agent_ids(&run2).len(), 6);
    // "" means the same as leaving the property out: all.
    let all = self::run(&Engine::demo(), &LIST.replace("STATUS", "\"\""), &[]);
    assert_eq!(agent_ids(&all).len(), 7);
}

#[test]
fn check_refuses_an_unset_variable_in_a_closed_property() {
    let engine = Engine::demo();
    let typo = LIST.replace("STATUS", "inactiv");
    let errors = engine
        .compile(&typo, "typo.script")
        .unwrap_err()
        .to_string();
    assert!(
        errors.contains("`inactiv` is not one of active, inactive or all for `Status`"),
        "{errors}"
    );
    // A variable the script assigns (or the host declares) is read as usual,
    // and its value must still be one of the words.
    let options = studioflow::CompileOptions {
        inputs: vec!["wanted".into()],
    };
    let script = engine
        .compile_with(&LIST.replace("STATUS", "wanted"), "var.script", &options)
        .unwrap();
    let mut run_options = RunOptions::default();
    run_options
        .variables
        .insert("wanted".into(), Value::from("retired"));
    let run = engine.run(&script, run_options);
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert_eq!(
        err_text(&run),
        "Status: expected active, inactive or all, got \"retired\""
    );
}

#[test]
fn keywords_are_taken_bare_and_other_bare_names_must_be_assigned() {
    let engine = Engine::demo();
    let sort = "start: Begin { Default -> who }\n\
        who: SetSecurityUser { Agent = \"sysadmin\" Default -> r }\n\
        r: ListRoles { Sort = description Default -> done Error -> done }\ndone: End\n";
    let run = run(&engine, sort, &[]);
    assert_eq!(
        run.variables["Roles"].to_json()["pageInfo"]["sortTerm"],
        "description"
    );
    // `TimeZone = UTC` would read an unset variable, i.e. the agent's own zone.
    let tz = "start: Begin { Default -> who }\n\
        who: SetSecurityUser { Agent = \"sysadmin\" TimeZone = UTC Default -> done Error -> done }\ndone: End\n";
    let errors = engine.compile(tz, "tz.script").unwrap_err().to_string();
    assert!(
        errors.contains("`UTC` is not one of Default for `TimeZone`"),
        "{errors}"
    );
    assert!(engine
        .compile(&tz.replace("= UTC", "= \"UTC\""), "tz.script")
        .is_ok());
}

#[test]
fn a_host_property_can_declare_its_words() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .register_action(
            ActionSchema::new("Route")
                .property(
                    PropertySchema::required("Priority", PropertyKind::Template)
                        .with_choices(&["low", "high"]),
                )
                .branch("Urgent"),
            |call: &mut studioflow::ActionCall<'_>| {
                // Handlers see the listed spelling, whatever case was written.
                Ok(if call.text(0).as_deref() == Some("high") {
                    BranchId::own(0)
                } else {
                    BranchId::DEFAULT
                })
            },
        )
        .build();
    let src = "start: Begin { Default -> r }\nr: Route { Priority = HIGH Default -> normal Urgent -> urgent }\nnormal: End\nurgent: End\n";
    assert_eq!(run(&engine, src, &[]).end.as_deref(), Some("urgent"));
    let quoted = src.replace("HIGH", "\"High\"");
    assert_eq!(run(&engine, &quoted, &[]).end.as_deref(), Some("urgent"));
    let wrong = src.replace("HIGH", "\"urgent\"");
    let stopped = run(&engine, &wrong, &[]);
    assert_eq!(stopped.outcome, Outcome::Stopped);
    assert_eq!(
        stopped.error.unwrap().message,
        "Priority: expected low or high, got \"urgent\""
    );
}

#[test]
fn words_are_replaced_where_each_property_is() {
    // An expression before the word set and one after it: each property
    // reads its own value whichever of them were replaced for the step.
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .register_action(
            ActionSchema::new("Tag")
                .property(PropertySchema::required("Before", PropertyKind::Template))
                .property(
                    PropertySchema::required("Level", PropertyKind::Template)
                        .with_choices(&["low", "high"]),
                )
                .property(PropertySchema::required("After", PropertyKind::Template))
                .property(PropertySchema::required(
                    "Into",
                    PropertyKind::OutputVariable,
                )),
            |call: &mut studioflow::ActionCall<'_>| {
                let seen = format!(
                    "{}|{}|{}",
                    call.text(0).unwrap_or_default(),
                    call.text(1).unwrap_or_default(),
                    call.text(2).unwrap_or_default()
                );
                call.set_output(3, studioflow::Value::from(seen))?;
                Ok(BranchId::DEFAULT)
            },
        )
        .build();
    let src = |level: &str| {
        format!(
            "start: Begin {{ Default -> t }}\n\
             t: Tag {{ Before = \"<{{a}}>\" Level = {level} After = \"[{{b}}]\" Into = Seen Default -> done }}\n\
             done: End\n"
        )
    };
    let vars = [
        ("a", Value::from("x")),
        ("b", Value::from("y")),
        ("lvl", Value::from("HIGH")),
    ];
    for (level, expected) in [
        ("\"Low\"", "<x>|low|[y]"),    // a constant replaced
        ("\"{lvl}\"", "<x>|high|[y]"), // an expression's value replaced
        ("\"high\"", "<x>|high|[y]"),  // already the listed spelling
    ] {
        let done = run(&engine, &src(level), &vars);
        assert_eq!(
            done.outcome,
            Outcome::Completed,
            "{level}: {:?}",
            done.error
        );
        assert_eq!(done.variables["Seen"].to_text(), expected, "{level}");
    }
}

// ============================================================ a step budget of 0

#[test]
fn cli_refuses_a_step_budget_of_0() {
    let (code, out, err) = cli(SPIN, &["--max-steps", "0", "--var", "n=0"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "nothing runs: {out}");
    assert!(
        err.contains("--max-steps") && err.contains("the step budget must be at least 1"),
        "{err}"
    );
    let (code, _, err) = cli(SPIN, &["--max-steps", "many"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("\"many\" is not a whole number of steps"),
        "{err}"
    );
    // A budget of 1 runs Begin, then stops before the next action; the
    // outcome line and the error name the same action (issue 17 item 21).
    let (code, out, err) = cli(SPIN, &["--max-steps", "1", "--var", "n=0"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.starts_with("outcome: stopped (limit) at start after 1 step\n"),
        "{out}"
    );
    assert!(
        err.contains(
            "limit exceeded in action `start`: step budget of 1 executed actions exceeded"
        ),
        "{err}"
    );
}

#[test]
fn a_host_step_budget_of_0_stops_before_the_first_action() {
    let engine = Engine::demo();
    let script = engine.compile(SPIN, "spin.script").unwrap();
    let run = engine.run(&script, RunOptions::default().max_steps(0).trace(true));
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!((run.steps, run.end.as_deref()), (0, None));
    assert_eq!(run.trace.as_deref().map(<[_]>::len), Some(0));
    let error = run.error.unwrap();
    // The Begin that was about to run, as for every limit.
    assert_eq!(error.action, "start");
    assert_eq!(error.message, "step budget of 0 executed actions exceeded");
}
