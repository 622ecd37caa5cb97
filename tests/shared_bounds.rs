//! The run's bounds live in its shared state, so every RunSub frame and
//! every Snippet statement meets the same deadline, memory budget, value
//! size limits and cancel token as the actions of the main script (issue 7
//! items 5 and 7, issue 10's "the run's deadline and memory budget hold
//! inside snippets"). Time is a clock that advances on demand; memory is
//! the engine's byte accounting; no test has a timing threshold.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use studioflow::{
    CancelToken, Clock, Engine, Limits, MemoryResolver, Outcome, Run, RunOptions, Value,
};

/// A clock whose monotonic time advances one second per reading.
struct Ticking(Arc<AtomicU64>);

impl Clock for Ticking {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_772_951_400, 0).unwrap()
    }
    fn monotonic(&self) -> Duration {
        Duration::from_secs(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// A script whose only work is one Snippet with `code`; Error goes to `failed`.
fn snippet(code: &str) -> String {
    format!(
        "start: Begin {{ Default -> calc }}\ncalc: Snippet {{\n  Data = \"\"\"\n{code}\n  \"\"\"\n  Default -> done\n  Error -> failed\n}}\ndone: End\nfailed: End\n"
    )
}

fn run(engine: &Engine, src: &str, vars: &[(&str, Value)]) -> Run {
    let script = engine
        .compile(src, "main.script")
        .unwrap_or_else(|d| panic!("compiles:\n{d}"));
    let mut options = RunOptions::default();
    for (name, value) in vars {
        options.variables.insert(name.to_string(), value.clone());
    }
    engine.run(&script, options)
}

fn message(run: &Run) -> String {
    run.error
        .as_ref()
        .map(|e| e.message.clone())
        .unwrap_or_default()
}

/// What a failed assertion shows: never the (large) variables themselves.
fn summary(run: &Run) -> String {
    let mut err = err_text(run);
    err.truncate(300);
    format!(
        "outcome {:?}, end {:?}, error {:?}, _ERR {err:?}",
        run.outcome,
        run.end,
        message(run)
    )
}

fn err_text(run: &Run) -> String {
    run.variables
        .get("_ERR")
        .map(Value::to_text)
        .unwrap_or_default()
}

/// No statement budget to speak of: only the bound under test can stop the run.
fn unbudgeted(limits: Limits) -> Limits {
    limits.max_snippet_statements(u64::MAX)
}

// ============================================================ deadline

#[test]
fn a_snippets_endless_loop_ends_at_the_deadline() {
    let readings = Arc::new(AtomicU64::new(0));
    let engine = Engine::builder()
        .clock(Ticking(readings.clone()))
        .limits(unbudgeted(
            Limits::default().timeout(Some(Duration::from_secs(5))),
        ))
        .build();
    let r = run(
        &engine,
        &snippet("n = 0\nFOR i = 1 TO 900000000000 {\n  n = n + 1\n}"),
        &[],
    );
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    let error = r.error.unwrap();
    assert_eq!(error.kind, Outcome::Limit);
    assert_eq!(error.action, "calc");
    assert!(
        // Named at its line in the .script file (the loop body).
        error
            .message
            .starts_with("line 6: time limit of 5 s exceeded"),
        "{}",
        error.message
    );
    // The clock is read once per 1,024 statements (twice per iteration
    // here): a handful of readings, not one per statement.
    assert!(readings.load(Ordering::Relaxed) <= 8);
    // An empty loop body is paced too.
    let r = run(&engine, &snippet("FOR i = 1 TO 900000000000 { }"), &[]);
    assert_eq!(r.outcome, Outcome::Limit);
    assert!(message(&r).contains("time limit of 5 s"), "{}", message(&r));
}

#[test]
fn a_subscripts_endless_loop_ends_at_the_deadline_of_the_run() {
    let mut scripts = MemoryResolver::default();
    scripts.insert(
        "spin",
        "start: Begin { Default -> again }\nagain: Assign { Variable = n Value = 1 Default -> again }\nr: Return { ReturnValue = 1 }",
    );
    let engine = Engine::builder()
        .clock(Ticking(Arc::new(AtomicU64::new(0))))
        .script_resolver(scripts)
        .limits(
            Limits::default()
                .timeout(Some(Duration::from_secs(4)))
                .max_steps(u64::MAX),
        )
        .build();
    let src = "start: Begin { Default -> c }\nc: RunSub { ScriptName = \"spin\" Default -> done Error -> failed }\ndone: End\nfailed: End";
    let r = run(&engine, src, &[]);
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    let error = r.error.unwrap();
    // Named where it happened, inside the subscript; Error is not taken.
    assert_eq!(error.action, "spin:again");
    assert!(
        error.message.contains("time limit of 4 s"),
        "{}",
        error.message
    );
    // `end` names the same action as the error (issue 17 item 21).
    assert_eq!(r.end.as_deref(), Some("spin:again"));
}

// ============================================================ cancellation

#[test]
fn a_cancel_inside_a_long_snippet_is_honoured() {
    let token = CancelToken::new();
    let from_script = token.clone();
    // The script cancels its own run at i = 10 through a host function,
    // standing in for another thread: deterministic, no timing.
    let engine = Engine::builder()
        .register_fn("cancel_now", move || {
            from_script.cancel();
            true
        })
        .limits(unbudgeted(Limits::default()))
        .build();
    let script = engine
        .compile(
            &snippet("FOR i = 1 TO 900000000000 {\n  IF i = 10 { done = cancel_now() }\n}"),
            "main.script",
        )
        .unwrap();
    let r = engine.run(&script, RunOptions::default().cancel(token));
    assert_eq!(r.outcome, Outcome::Cancelled, "{}", summary(&r));
    let error = r.error.unwrap();
    assert_eq!(error.kind, Outcome::Cancelled);
    assert_eq!(error.action, "calc");
    assert!(
        error.message.contains("cancelled by the host"),
        "{}",
        error.message
    );
    // Error is not taken for a cancellation.
    assert_eq!(r.end.as_deref(), Some("calc"));
}

// ============================================================ memory: Snippet code

fn with_memory(bytes: usize) -> Engine {
    Engine::builder()
        .limits(Limits::default().max_memory_bytes(bytes))
        .build()
}

/// 1,000 members of about 100 bytes each: about 150 KB once counted.
const MEMBERS: &str = "DYNAMIC o\nFOR i = 1 TO 1000 {\n  o[\"key{i}\"] = \"{line}{i}\"\n}";

fn line() -> (&'static str, Value) {
    ("line", Value::from("x".repeat(100)))
}

#[test]
fn dynamic_object_members_count_toward_the_memory_budget() {
    let r = run(&with_memory(64 << 10), &snippet(MEMBERS), &[line()]);
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    assert!(
        message(&r).contains("memory budget of 64 KiB (65536 bytes) exceeded"),
        "{}",
        message(&r)
    );
    let error = r.error.unwrap();
    assert_eq!(error.action, "calc");
    assert!(error.message.starts_with("line 6: "), "{}", error.message);
    // The same object fits a budget of 1 MiB.
    let r = run(&with_memory(1 << 20), &snippet(MEMBERS), &[line()]);
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
    let Value::Object(o) = &r.variables["o"] else {
        panic!("an object: {:?}", r.variables["o"]);
    };
    assert_eq!(o.len(), 1000);
}

#[test]
fn whole_values_written_by_a_snippet_count_and_replacing_frees() {
    let big = ("s", Value::from("y".repeat(30_000)));
    // 30 KB in, then three times 30 KB more: over a 100 KiB budget.
    let r = run(
        &with_memory(100 << 10),
        &snippet("a = \"{s}a\"\nb = \"{s}b\"\nc = \"{s}c\""),
        std::slice::from_ref(&big),
    );
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    assert!(
        message(&r).contains("memory budget of 100 KiB"),
        "{}",
        message(&r)
    );
    // Replacing a variable frees what it held: 1,000 rounds of 30 KB each
    // (30 MB stored in all) stay under the same budget.
    let r = run(
        &with_memory(100 << 10),
        &snippet("FOR i = 1 TO 1000 { t = \"{s}{i}\" }"),
        &[big],
    );
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
}

#[test]
fn snippet_function_locals_count_while_the_call_runs() {
    // `s` 30 KB, the parameter `x` 30 KB, the locals 60 KB.
    let code = "FUNCTION grow(x) {\n  one = \"{x}1\"\n  two = \"{x}2\"\n  RETURN 1\n}\nr = grow(s)";
    let big = ("s", Value::from("z".repeat(30_000)));
    let r = run(
        &with_memory(100 << 10),
        &snippet(code),
        std::slice::from_ref(&big),
    );
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    // The call's slots are freed when it returns: calling it 100 times
    // with room for one call at a time fits.
    let r = run(
        &with_memory(200 << 10),
        &snippet(&code.replace("r = grow(s)", "FOR i = 1 TO 100 { r = grow(s) }")),
        &[big],
    );
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
}

// ============================================================ size limits: Snippet code

#[test]
fn values_a_snippet_builds_in_place_obey_the_size_limits() {
    let engine = Engine::builder()
        .limits(Limits::default().max_string_bytes(64 << 10))
        .build();
    // Every string fits MaxStringSize, but together they pass the limit on
    // the text a list may hold: the statement fails and the variable,
    // which cannot be kept, is emptied. (`parts = []` makes it a list: an
    // index assignment on an unset variable builds a pipe-delimited string.)
    let r = run(
        &engine,
        &snippet("parts = []\nFOR i = 1 TO 1000 {\n  parts[i] = \"{line}\"\n}\nafter = 1"),
        &[line()],
    );
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
    assert_eq!(r.end.as_deref(), Some("failed"));
    let err = err_text(&r);
    assert!(
        err.contains("the value for `parts` is refused")
            && err.contains("exceeds the limit of 65536"),
        "{err}"
    );
    assert!(r.variables.get("parts").is_none_or(Value::is_null_or_empty));
    assert!(r.variables.get("after").is_none_or(Value::is_null_or_empty));
}

// ============================================================ memory: RunSub frames

fn sub_engine(subscript: &str, budget: usize) -> Engine {
    let mut scripts = MemoryResolver::default();
    scripts.insert("sub", subscript);
    Engine::builder()
        .script_resolver(scripts)
        .limits(Limits::default().max_memory_bytes(budget))
        .build()
}

fn caller(parameters: &str) -> String {
    format!(
        "start: Begin {{ Default -> c }}\nc: RunSub {{ ScriptName = \"sub\" Parameters = {parameters} ReturnVariable = r Default -> done Error -> failed }}\ndone: End\nfailed: End"
    )
}

/// Reads its three parameters (a subscript holds only the parameters it mentions).
const READS_THREE: &str =
    "start: Begin { Default -> r }\nr: Return { ReturnValue = len(p1) + len(p2) + len(p3) }";

fn thirty_k() -> (&'static str, Value) {
    ("s", Value::from("w".repeat(30_000)))
}

#[test]
fn subscript_parameters_count_toward_the_memory_budget() {
    // The caller holds `s` (30 KB); each parameter is another 30 KB.
    let engine = sub_engine(READS_THREE, 100 << 10);
    let r = run(&engine, &caller("[s, s, s]"), &[thirty_k()]);
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    assert_eq!(r.error.as_ref().unwrap().action, "c");
    assert!(
        message(&r).contains("memory budget of 100 KiB"),
        "{}",
        message(&r)
    );
    let r = run(&engine, &caller("[s, \"a\", \"b\"]"), &[thirty_k()]);
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
    assert_eq!(r.variables["r"], Value::from(30_002.0));
}

#[test]
fn a_subscripts_variables_are_freed_when_it_returns() {
    // Fifty calls, each holding 60 KB while it runs, under a budget that
    // has room for one call at a time.
    let engine = sub_engine(
        "start: Begin { Default -> a }\na: Assign { Variable = t Value = \"{p1}{p1}\" Default -> r }\nr: Return { ReturnValue = 1 }",
        160 << 10,
    );
    let src = "start: Begin { Default -> c }\nc: RunSub { ScriptName = \"sub\" Parameters = [s] ReturnVariable = r Default -> count Error -> failed }\ncount: Assign { Variable = n Value = n + 1 Default -> loop }\nloop: If { Expression = n < 50 True -> c False -> done }\ndone: End\nfailed: End";
    let r = run(&engine, src, &[thirty_k(), ("n", Value::from(0.0))]);
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
    assert_eq!(r.variables["n"], Value::from(50.0));
}

#[test]
fn return_values_count_toward_the_memory_budget() {
    let engine = sub_engine(
        "start: Begin { Default -> r }\nr: Return { ReturnValue = \"{p1}{p1}{p1}\" }",
        100 << 10,
    );
    // `s` 30 KB + the returned 90 KB stored in `r`.
    let r = run(&engine, &caller("[s]"), &[thirty_k()]);
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    assert!(message(&r).contains("memory budget"), "{}", message(&r));
    let engine = sub_engine(
        "start: Begin { Default -> r }\nr: Return { ReturnValue = \"{p1}{p1}{p1}\" }",
        1 << 20,
    );
    let r = run(&engine, &caller("[s]"), &[thirty_k()]);
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
    assert_eq!(r.variables["r"].to_text().len(), 90_000);
}

#[test]
fn global_variables_written_in_a_subscript_count_toward_the_memory_budget() {
    let writes_global = "start: Begin { Default -> calc }\ncalc: Snippet {\n  Data = \"\"\"\nglobal:g = \"{p1}{p1}\"\n  \"\"\"\n  Default -> r\n}\nr: Return { ReturnValue = 1 }";
    // Caller's `s` 15 KB + p1 15 KB + g 30 KB inside the subscript.
    let fifteen_k = ("s", Value::from("v".repeat(15_000)));
    // The caller mentions `g`, so the global comes back to it.
    let reads_g = caller("[s]").replace(
        "done: End",
        "done: Assign { Variable = glen Value = len(g) Default -> end }\nend: End",
    );
    let r = run(
        &sub_engine(writes_global, 50 << 10),
        &reads_g,
        std::slice::from_ref(&fifteen_k),
    );
    assert_eq!(r.outcome, Outcome::Limit, "{}", summary(&r));
    let error = r.error.unwrap();
    assert_eq!(error.action, "sub:calc");
    assert!(error.message.contains("memory budget"), "{}", error.message);
    // With room, the caller sees the global.
    let r = run(&sub_engine(writes_global, 1 << 20), &reads_g, &[fifteen_k]);
    assert_eq!(r.outcome, Outcome::Completed, "{}", summary(&r));
    assert_eq!(r.variables["g"].to_text().len(), 30_000);
    assert_eq!(r.variables["glen"], Value::from(30_000.0));
}
