//! Criterion benchmarks for studioflow (issue 4, "Speed and memory").
//!
//! Groups:
//! - `parse_check`: `Engine::compile` (parse + check) on a generated ~1 MB script, in bytes/s,
//!   and on a denser one (issue 23, item 2: templates, arithmetic and logic on every line).
//! - `flow`: a realistic 10-action flow (15 executed actions) run end to end.
//! - `flow_vs_rhai`: the same flow, and the same flow written in Rhai over the
//!   same permission model, side by side.
//! - `permission_check`: one `Directory::check_feature` / `may_use`.
//! - `scaling`: the flow on 1 thread and on 2 threads sharing one `Engine` and
//!   one compiled `Script` (elements = runs, so elem/s compare directly), and
//!   the ratio of the two from alternating windows (printed).
//! - `store_read`: the store's read path (security-user re-validation and an
//!   in-scope agent lookup) on 1 and 2 threads, likewise with the ratio.
//! - `contacts`: `scripts/phone.script` paused at its menu and resumed with
//!   `digits:1` (from a clone of the paused run, and through sealed bytes),
//!   against a fresh run of the same steps with no wait before them.
//!
//! Run: `cargo bench -p studioflow-benches --bench studioflow -- --warm-up-time 1 --measurement-time 3`
//!
//! Memory per run (no global allocator, so timings are never distorted; uses
//! glibc's `mallinfo2`, with the thread cache off so frees are counted):
//! `STUDIOFLOW_BENCH_MEM=1 GLIBC_TUNABLES=glibc.malloc.tcache_count=0 cargo bench -p studioflow-benches --bench studioflow`

mod generated;
use generated::{dense_script, generated_script};

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use rhai::{Dynamic, EvalAltResult, ImmutableString, Map, Scope, AST};
use studioflow::permissions::{render_time, Directory};
use studioflow::{
    Clock, Engine, Event, HttpReply, Outcome, PauseKey, PausedRun, RunOptions, Script, SystemClock,
    Value,
};

// ---------------------------------------------------------------- scripts

/// The realistic flow: 10 actions, 15 executed per run (Loop runs 4 times,
/// its Repeat branch goes 3 times through `bump`).
const FLOW: &str = r#"
script "Bench flow" type Generic

start: Begin {
  Default -> who
}

who: SetSecurityUser "Admin" {
  Agent = "sysadmin"
  Default -> greet
  Error -> done
}

greet: Assign "Build greeting" {
  Variable = Greeting
  Value = "Hello {SecurityUser.userName}, you are agent {SecurityUser.agentId}"
  Default -> decide
}

decide: If {
  Expression = len(Greeting) > 10 and upper(SecurityUser.userName) = "SYSADMIN"
  True -> route
  False -> lookup
}

route: Case {
  Value = lower(SecurityUser.role)
  Case "systemadmin" -> again
  Case "configadmin" -> again
  Default -> lookup
}

again: Loop {
  Repeat = 3
  CounterName = tries
  Repeat -> bump
  Finished -> lookup
}

bump: Assign "Attempt" {
  Variable = Attempts
  Value = "attempt {tries} of 3"
  Default -> again
}

lookup: GetAgent "Target agent" {
  Agent = "agentadmin"
  ScriptVariable = Target
  Default -> summary
  Error -> done
}

summary: Assign "Summary" {
  Variable = Summary
  Value = "{Greeting}: {Target.firstName} {Target.lastName} ({Target.department}, last login {Target.lastLogin})"
  Default -> done
}

done: End
"#;

/// Executed actions per run of [`FLOW`]: Begin, SetSecurityUser, Assign, If,
/// Case, Loop x4, Assign x3, GetAgent, Assign, End.
const FLOW_STEPS: u64 = 15;

/// The same flow in Rhai: the same lookups (native functions over the same
/// `Directory`), the same template strings, the same if / switch / loop of 3.
const RHAI_FLOW: &str = r#"
let user = set_security_user("sysadmin");
let greeting = `Hello ${user.userName}, you are agent ${user.agentId}`;
let attempts = "";
let tries = 0;
if greeting.len() > 10 && user.userName.to_upper() == "SYSADMIN" {
    switch user.role.to_lower() {
        "systemadmin" | "configadmin" => {
            for n in 1..=3 {
                tries = n;
                attempts = `attempt ${tries} of 3`;
            }
            tries = 0;
        }
        _ => {}
    }
}
let target = get_agent(user, "agentadmin");
let summary = `${greeting}: ${target.firstName} ${target.lastName} (${target.department}, last login ${target.lastLogin})`;
summary
"#;

/// The repository's phone flow: a REST lookup, a menu, a queue with hold
/// music (see `scripts/phone.script`).
const PHONE: &str = include_str!("../scripts/phone.script");

/// The caller-lookup service's reply.
const CALLER: &str = r#"{"name":"Ada Lovelace","tier":"gold","open_orders":2}"#;

/// Actions a resume from the menu with `digits:1` executes: Menu (again,
/// with the keys), Assign, ReqAgent, Music (which waits). The Menu keeps the
/// step number it had when it began to wait, so the run's step count grows
/// by one less.
const RESUME_STEPS: u64 = 4;

// ---------------------------------------------------------------- Rhai host

/// The security user as a Rhai custom type (like studioflow's handle: an `Arc`).
#[derive(Clone)]
struct RhaiUser(Arc<RhaiUserInfo>);

struct RhaiUserInfo {
    agent_id: u64,
    user_name: ImmutableString,
    time_zone: studioflow::Tz,
    role: Option<ImmutableString>,
}

fn rhai_error(e: impl std::fmt::Display) -> Box<EvalAltResult> {
    e.to_string().into()
}

/// A Rhai engine with `set_security_user` and `get_agent` registered as native
/// Rust functions over `directory`.
fn rhai_engine(directory: Directory) -> rhai::Engine {
    let mut engine = rhai::Engine::new();
    engine
        .register_type_with_name::<RhaiUser>("SecurityUser")
        .register_get("userName", |u: &mut RhaiUser| u.0.user_name.clone())
        .register_get("agentId", |u: &mut RhaiUser| u.0.agent_id as rhai::INT)
        .register_get("timeZone", |u: &mut RhaiUser| {
            u.0.time_zone.name().to_string()
        })
        .register_get("role", |u: &mut RhaiUser| match &u.0.role {
            Some(r) => Dynamic::from(r.clone()),
            None => Dynamic::UNIT,
        });

    // Security-user lookup: id or userName, must exist and be active.
    let dir = directory.clone();
    engine.register_fn(
        "set_security_user",
        move |agent: &str| -> Result<RhaiUser, Box<EvalAltResult>> {
            let record = dir
                .resolve_security_user(agent.trim())
                .map_err(rhai_error)?;
            Ok(RhaiUser(Arc::new(RhaiUserInfo {
                agent_id: record.id,
                user_name: record.user_name.into(),
                time_zone: record.time_zone,
                role: record.role.map(Into::into),
            })))
        },
    );

    // Agent lookup as the security user (re-validated, then `agent` feature and
    // department scope checked by the directory), returned as a Rhai map.
    let dir = directory;
    engine.register_fn(
        "get_agent",
        move |user: &mut RhaiUser, agent: &str| -> Result<Map, Box<EvalAltResult>> {
            let actor = user.0.agent_id;
            dir.validate_security_user(actor).map_err(rhai_error)?;
            let record = dir.get_agent(actor, agent.trim()).map_err(rhai_error)?;
            let mut map = Map::new();
            map.insert("id".into(), Dynamic::from(record.id as rhai::INT));
            map.insert("userName".into(), record.user_name.into());
            map.insert("firstName".into(), record.first_name.into());
            map.insert("lastName".into(), record.last_name.into());
            map.insert("status".into(), record.status.as_str().into());
            map.insert(
                "role".into(),
                record.role.map_or(Dynamic::UNIT, Dynamic::from),
            );
            map.insert("department".into(), record.department.into());
            map.insert("timeZone".into(), record.time_zone.name().into());
            map.insert(
                "lastLogin".into(),
                record
                    .last_login
                    .map_or(Dynamic::UNIT, |at| render_time(at, user.0.time_zone).into()),
            );
            Ok(map)
        },
    );
    engine
}

fn run_rhai(engine: &rhai::Engine, ast: &AST) -> Dynamic {
    let mut scope = Scope::new();
    engine
        .eval_ast_with_scope::<Dynamic>(&mut scope, ast)
        .expect("the Rhai flow runs")
}

// ---------------------------------------------------------------- setup

fn compiled_flow(engine: &Engine) -> Script {
    let script = engine
        .compile(FLOW, "bench_flow.script")
        .expect("flow compiles");
    assert!(
        script.warnings().is_empty(),
        "the bench flow should compile without warnings"
    );
    script
}

/// Runs the flow once and checks outcome, step count and the summary text.
fn check_flow(engine: &Engine, script: &Script) -> String {
    let run = engine.run(script, RunOptions::default());
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(run.steps, FLOW_STEPS, "executed actions per run");
    assert_eq!(run.end.as_deref(), Some("done"));
    match &run.variables["Summary"] {
        Value::String(_) => run.variables["Summary"].to_text(),
        other => panic!("Summary is {other:?}"),
    }
}

/// The phone flow's inputs (as the contact-center example gives them).
fn phone_options() -> RunOptions {
    RunOptions::default()
        .var("ANI", Value::from("5550000001"))
        .var("CRM_URL", Value::from("http://127.0.0.1:40000"))
}

/// The phone flow, and a run of it paused at its menu (after its REST
/// lookup was answered and the caller greeted by name).
fn phone_at_menu(engine: &Engine) -> (Script, PausedRun) {
    let script = engine
        .compile(PHONE, "scripts/phone.script")
        .expect("the phone flow compiles");
    let run = engine.run(&script, phone_options());
    let paused = *run.paused.expect("the phone flow waits for its lookup");
    let run = engine
        .resume(&script, paused, Event::Reply(HttpReply::new(200, CALLER)))
        .expect("the lookup's reply fits");
    assert_eq!(run.outcome, Outcome::Waiting);
    let paused = *run.paused.expect("the phone flow waits at its menu");
    assert_eq!(paused.waiting().action, "menu");
    (script, paused)
}

/// The same phone flow, whose Begin goes straight to the steps a resume
/// from the menu executes (orders, queue, holdMusic): a fresh run of it
/// executes as many actions as the resume (Begin in place of the Menu) and
/// ends waiting at the same Music, with the same script, slots and inputs.
fn phone_rerun(engine: &Engine) -> Script {
    let begin = "start: Begin {\n  Default -> defaults\n}";
    assert!(PHONE.contains(begin), "phone.script's Begin changed");
    let source = PHONE.replace(begin, "start: Begin {\n  Default -> orders\n}");
    engine
        .compile(&source, "scripts/phone.script")
        .expect("the re-run flow compiles")
}

/// Resumes a clone of the run paused at the menu with `digits:1` (it goes
/// on to the hold music).
fn resume_menu(engine: &Engine, script: &Script, paused: &PausedRun) -> studioflow::Run {
    engine
        .resume(script, paused.clone(), Event::Digits("1".into()))
        .expect("digits fit the menu")
}

/// Checks a run went `steps` steps past `before` and waits at the hold music.
fn check_resume(run: &studioflow::Run, before: u64, steps: u64) {
    assert_eq!(run.outcome, Outcome::Waiting, "{:?}", run.error);
    assert_eq!(run.steps - before, steps, "steps per resume or re-run");
    let waiting = run.waiting.as_ref().expect("waits at the hold music");
    assert_eq!(waiting.action, "holdMusic");
}

/// Seals the paused run, opens the bytes and resumes them (what a host that
/// keeps waiting calls as bytes does per event).
fn resume_sealed(
    engine: &Engine,
    script: &Script,
    paused: &PausedRun,
    key: &PauseKey,
    now: chrono::DateTime<chrono::Utc>,
) -> studioflow::Run {
    let bytes = key.seal(paused, now, Duration::from_secs(3600));
    let paused = key.open(&bytes, now).expect("the sealed run opens");
    engine
        .resume(script, paused, Event::Digits("1".into()))
        .expect("digits fit the menu")
}

/// The pieces the `contacts` benches share, checked once.
struct Contacts {
    engine: Engine,
    script: Script,
    paused: PausedRun,
    rerun: Script,
    key: PauseKey,
    now: chrono::DateTime<chrono::Utc>,
}

impl Contacts {
    fn new() -> Contacts {
        let engine = Engine::demo();
        let (script, paused) = phone_at_menu(&engine);
        let rerun = phone_rerun(&engine);
        let key = PauseKey::from_hex(&"5a".repeat(32)).expect("a key");
        let now = SystemClock.now();
        let resumed = resume_menu(&engine, &script, &paused);
        check_resume(&resumed, paused.steps(), RESUME_STEPS - 1);
        let sealed = resume_sealed(&engine, &script, &paused, &key, now);
        check_resume(&sealed, paused.steps(), RESUME_STEPS - 1);
        let fresh = engine.run(&rerun, phone_options());
        check_resume(&fresh, 0, RESUME_STEPS);
        Contacts {
            engine,
            script,
            paused,
            rerun,
            key,
            now,
        }
    }
}

// ---------------------------------------------------------------- benches

fn parse_check(c: &mut Criterion) {
    let engine = Engine::demo();
    let source = generated_script(1 << 20);
    let script = engine
        .compile(&source, "generated.script")
        .expect("the generated script compiles");
    assert!(
        script.warnings().is_empty(),
        "generated script warnings: {}",
        script.warnings().warnings().count()
    );
    assert!(script.action_count() > 5_000);
    let dense = dense_source(&engine);

    let mut group = c.benchmark_group("parse_check");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(source.len() as u64));
    group.bench_function("compile_1MB", |b| {
        b.iter(|| {
            engine
                .compile(black_box(&source), "generated.script")
                .expect("compiles")
        })
    });
    group.throughput(Throughput::Bytes(dense.len() as u64));
    group.bench_function("compile_1MB_dense", |b| {
        b.iter(|| {
            engine
                .compile(black_box(&dense), "dense.script")
                .expect("compiles")
        })
    });
    group.finish();
}

/// The dense ~1 MB script (generated.rs), checked to compile without errors
/// or warnings.
fn dense_source(engine: &Engine) -> String {
    let source = dense_script(1 << 20);
    let script = match engine.compile(&source, "dense.script") {
        Ok(script) => script,
        Err(e) => panic!("the dense script does not compile: {e}"),
    };
    assert!(
        script.warnings().is_empty(),
        "dense script warnings: {}",
        script.warnings().warnings().count()
    );
    assert!(script.action_count() > 10_000);
    source
}

fn flow(c: &mut Criterion) {
    let engine = Engine::demo();
    let script = compiled_flow(&engine);
    check_flow(&engine, &script);

    let mut group = c.benchmark_group("flow");
    // Elements = executed actions, so criterion's time / FLOW_STEPS = ns per action.
    group.throughput(Throughput::Elements(FLOW_STEPS));
    group.bench_function("run_10_actions", |b| {
        b.iter(|| engine.run(black_box(&script), RunOptions::default()))
    });
    group.finish();
}

fn flow_vs_rhai(c: &mut Criterion) {
    let engine = Engine::demo();
    let script = compiled_flow(&engine);
    let studioflow_summary = check_flow(&engine, &script);

    // The same permission model: the engine's own directory (the demo tenant).
    let rhai = rhai_engine(engine.directory().clone());
    let ast = rhai.compile(RHAI_FLOW).expect("Rhai flow compiles");
    let rhai_summary = run_rhai(&rhai, &ast).into_string().expect("a string");
    assert_eq!(
        rhai_summary, studioflow_summary,
        "both flows build the same text"
    );

    let mut group = c.benchmark_group("flow_vs_rhai");
    group.bench_function("studioflow", |b| {
        b.iter(|| engine.run(black_box(&script), RunOptions::default()))
    });
    group.bench_function("rhai", |b| b.iter(|| run_rhai(&rhai, black_box(&ast))));
    group.finish();
}

fn permission_check(c: &mut Criterion) {
    let directory = Directory::demo();
    let agent = directory.feature_id("agent").expect("feature agent");
    let role = directory.feature_id("role").expect("feature role");
    // sysadmin (SystemAdmin) may use `role`; agentadmin (AgentAdmin) may not.
    let (allowed, denied) = ((1001u64, role), (1004u64, role));
    assert!(directory.check_feature(allowed.0, allowed.1).is_ok());
    assert!(directory.check_feature(denied.0, denied.1).is_err());
    assert!(directory.may_use(1004, agent));

    let mut group = c.benchmark_group("permission_check");
    group.bench_function("check_feature_allowed", |b| {
        b.iter(|| directory.check_feature(black_box(allowed.0), black_box(allowed.1)))
    });
    group.bench_function("may_use_allowed", |b| {
        b.iter(|| directory.may_use(black_box(allowed.0), black_box(allowed.1)))
    });
    group.bench_function("may_use_denied", |b| {
        b.iter(|| directory.may_use(black_box(denied.0), black_box(denied.1)))
    });
    // The denied check builds the PCCE `forbidden` error (cold path, allocates).
    group.bench_function("check_feature_denied", |b| {
        b.iter(|| directory.check_feature(black_box(denied.0), black_box(denied.1)))
    });
    group.finish();
}

/// Runs `work` `iters` times on each of `threads` threads at once; the wall time.
fn on_threads(threads: usize, iters: u64, work: &(dyn Fn() + Sync)) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..iters {
                    work();
                }
            });
        }
    });
    start.elapsed()
}

/// Throughput on 2 threads ÷ 1 thread, the median of `windows` alternating
/// 1-thread / 2-thread windows (these machines are shared: a window that an
/// other process disturbs moves one ratio, not the median).
fn scaling_ratio(label: &str, work: &(dyn Fn() + Sync)) {
    const WINDOWS: usize = 7;
    let window = Duration::from_millis(200);
    // Size a window from a short calibration run on one thread.
    let probe = 2_000;
    let per_op = on_threads(1, probe, work).as_secs_f64() / probe as f64;
    let iters = ((window.as_secs_f64() / per_op.max(1e-9)) as u64).max(100);
    let mut ratios: Vec<f64> = (0..WINDOWS)
        .map(|_| {
            let one = iters as f64 / on_threads(1, iters, work).as_secs_f64();
            let two = 2.0 * iters as f64 / on_threads(2, iters, work).as_secs_f64();
            two / one
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let (min, median, max) = (ratios[0], ratios[WINDOWS / 2], ratios[WINDOWS - 1]);
    println!(
        "{label}: 2 threads / 1 thread throughput = {median:.2}x (median of {WINDOWS} alternating windows; range {min:.2}-{max:.2}x)"
    );
}

/// One criterion group with `1_thread` and `2_threads` benches of `work`
/// (elements = calls of `work`), then the printed ratio.
fn thread_scaling(c: &mut Criterion, group_name: &str, work: &(dyn Fn() + Sync)) {
    let mut group = c.benchmark_group(group_name);
    for threads in [1usize, 2] {
        let name = if threads == 1 {
            "1_thread"
        } else {
            "2_threads"
        };
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| on_threads(threads, iters, work))
        });
    }
    group.finish();
    scaling_ratio(group_name, work);
}

fn scaling(c: &mut Criterion) {
    let engine = Engine::demo();
    let script = compiled_flow(&engine);
    check_flow(&engine, &script);
    thread_scaling(c, "scaling", &|| {
        drop(black_box(
            engine.run(black_box(&script), RunOptions::default()),
        ));
    });
    // The machine's own ceiling, measured the same way: work that shares
    // nothing and allocates nothing (a 2-vCPU VM on a shared host may not
    // give 2.0x even here).
    scaling_ratio("control (no shared state)", &|| {
        let mut x = black_box(1u64);
        for i in 0..2_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        black_box(x);
    });
}

/// What one API action reads from the store: re-validate the security user,
/// then look up an agent in the actor's scope (borrowing it).
fn store_read_once(directory: &Directory) {
    let valid = directory.validate_security_user(black_box(1001)).is_ok();
    let found = directory
        .with_agent_in_scope(black_box(1001), black_box("agentadmin"), |agent, role| {
            agent.time_zone.name().len() + role.map_or(0, |role| role.name.len())
        })
        .is_ok();
    black_box((valid, found));
}

fn store_read(c: &mut Criterion) {
    let directory = Directory::demo();
    assert!(directory.validate_security_user(1001).is_ok());
    assert!(directory
        .with_agent_in_scope(1001, "agentadmin", |_, _| ())
        .is_ok());
    thread_scaling(c, "store_read", &|| store_read_once(&directory));
}

fn contacts(c: &mut Criterion) {
    let x = Contacts::new();
    let mut group = c.benchmark_group("contacts");
    group.throughput(Throughput::Elements(RESUME_STEPS));
    group.bench_function("resume_from_menu", |b| {
        b.iter(|| resume_menu(&x.engine, black_box(&x.script), &x.paused))
    });
    group.bench_function("seal_open_resume", |b| {
        b.iter(|| resume_sealed(&x.engine, black_box(&x.script), &x.paused, &x.key, x.now))
    });
    group.bench_function("rerun_same_steps", |b| {
        b.iter(|| x.engine.run(black_box(&x.rerun), phone_options()))
    });
    group.finish();
}

criterion_group!(
    benches,
    parse_check,
    flow,
    flow_vs_rhai,
    permission_check,
    scaling,
    store_read,
    contacts
);

fn main() {
    if std::env::var_os("STUDIOFLOW_BENCH_MEM").is_some() {
        memory::report();
        return;
    }
    if let Ok(spec) = std::env::var("STUDIOFLOW_BENCH_REPEAT") {
        repeat(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

/// `STUDIOFLOW_BENCH_REPEAT=studioflow:N` (or `rhai:N`, `store:N`, or
/// `parse:N` for compiling the 1 MB generated script, `parse_dense:N` for
/// the dense one): set up, then run one
/// flow N times and exit; under `heaptrack`, the difference between N = 0
/// and N = 1000 gives allocations per run without touching the timed benches.
/// The phone flow's pause (`contacts` group): `resume:N` resumes a clone of
/// the run paused at the menu with `digits:1`; `sealed:N` seals it, opens the
/// bytes and resumes them; `seal:N` and `open:N` do one half; `rerun:N` runs
/// the same steps afresh, with no wait before them; `clone:N` only clones
/// the paused run (what `resume:N` pays beyond the resume itself).
fn repeat(spec: &str) {
    let (which, n) = spec.split_once(':').unwrap_or((spec, "1000"));
    let n: u64 = n
        .parse()
        .expect("STUDIOFLOW_BENCH_REPEAT=studioflow:N or rhai:N");
    let engine = Engine::demo();
    let script = compiled_flow(&engine);
    let rhai = rhai_engine(engine.directory().clone());
    let ast = rhai.compile(RHAI_FLOW).expect("Rhai flow compiles");
    check_flow(&engine, &script);
    let _warm = run_rhai(&rhai, &ast);
    store_read_once(engine.directory());
    let source = match which {
        "parse" => generated_script(1 << 20),
        "parse_dense" => dense_source(&engine),
        _ => String::new(),
    };
    if ["resume", "sealed", "seal", "open", "clone", "rerun"].contains(&which) {
        return repeat_contacts(which, n);
    }
    for _ in 0..n {
        match which {
            "parse" | "parse_dense" => {
                drop(black_box(engine.compile(&source, "generated.script")))
            }
            "store" => store_read_once(engine.directory()),
            "studioflow" => drop(black_box(engine.run(&script, RunOptions::default()))),
            "rhai" => drop(black_box(run_rhai(&rhai, &ast))),
            other => panic!(
                "unknown flow {other:?}: studioflow, rhai, store, parse, parse_dense, resume, sealed, seal, open, clone or rerun"
            ),
        }
    }
}

/// The `contacts` modes of [`repeat`] (their setup apart, so that the
/// other modes' set-up is as before).
fn repeat_contacts(which: &str, n: u64) {
    let x = Contacts::new();
    let sealed = x.key.seal(&x.paused, x.now, Duration::from_secs(3600));
    for _ in 0..n {
        match which {
            "resume" => drop(black_box(resume_menu(&x.engine, &x.script, &x.paused))),
            "sealed" => drop(black_box(resume_sealed(
                &x.engine, &x.script, &x.paused, &x.key, x.now,
            ))),
            "seal" => drop(black_box(x.key.seal(
                black_box(&x.paused),
                x.now,
                Duration::from_secs(3600),
            ))),
            "open" => drop(black_box(x.key.open(black_box(&sealed), x.now))),
            "clone" => drop(black_box(black_box(&x.paused).clone())),
            _ => drop(black_box(x.engine.run(&x.rerun, phone_options()))),
        }
    }
}

// ---------------------------------------------------------------- memory

/// Live heap bytes per run, measured with glibc's `mallinfo2` from a step
/// observer (no counting allocator, so the timed benchmarks are unaffected).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod memory {
    use std::sync::{Arc, Mutex};

    use studioflow::{Engine, Run, RunOptions, TraceStep, Value};

    #[repr(C)]
    #[derive(Default)]
    struct MallInfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }

    unsafe extern "C" {
        fn mallinfo2() -> MallInfo2;
    }

    /// Bytes currently allocated (in-use chunks plus mmapped blocks).
    fn live_bytes() -> usize {
        // SAFETY: mallinfo2 takes no arguments and returns a plain struct (glibc >= 2.33).
        let info = unsafe { mallinfo2() };
        info.uordblks + info.hblkhd
    }

    /// (step number, action id, live heap bytes above the pre-run baseline).
    type Sample = (u64, Arc<str>, usize);

    pub fn report() {
        let tcache_off = std::env::var("GLIBC_TUNABLES")
            .is_ok_and(|t| t.contains("glibc.malloc.tcache_count=0"));
        if !tcache_off {
            eprintln!(
                "warning: run with GLIBC_TUNABLES=glibc.malloc.tcache_count=0, \
                 else freed chunks held in the thread cache count as live"
            );
        }
        println!(
            "size_of::<Value>()      = {} B",
            std::mem::size_of::<Value>()
        );
        println!("size_of::<Run>()        = {} B", std::mem::size_of::<Run>());
        println!(
            "size_of::<RunOptions>() = {} B",
            std::mem::size_of::<RunOptions>()
        );
        println!(
            "size_of::<TraceStep>()  = {} B",
            std::mem::size_of::<TraceStep>()
        );

        let engine = Engine::demo();
        let script = super::compiled_flow(&engine);
        // Warm up lazily initialised statics (time zones, the directory) first.
        for _ in 0..3 {
            super::check_flow(&engine, &script);
        }

        let samples: Arc<Mutex<Vec<Sample>>> = Arc::new(Mutex::new(Vec::with_capacity(64)));
        let baseline = Arc::new(Mutex::new(0usize));
        let observer = {
            let samples = samples.clone();
            let baseline = baseline.clone();
            Arc::new(move |step: &TraceStep| {
                let now = live_bytes();
                let base = *baseline.lock().unwrap();
                samples.lock().unwrap().push((
                    step.step,
                    step.action.clone(),
                    now.saturating_sub(base),
                ));
            })
        };
        let options = RunOptions::default().observer(observer);
        *baseline.lock().unwrap() = live_bytes();
        let run = engine.run(&script, options);
        let after = live_bytes().saturating_sub(*baseline.lock().unwrap());
        assert_eq!(run.steps, super::FLOW_STEPS);

        println!("\nlive heap of one run of the bench flow, after each executed action:");
        let samples = samples.lock().unwrap();
        for (step, action, bytes) in samples.iter() {
            println!("  step {step:>2} {action:<8} {bytes:>6} B");
        }
        let peak = samples.iter().map(|s| s.2).max().unwrap_or(0);
        println!("  peak during the run: {peak} B");
        println!("  the returned Run (final variables map): {after} B");
        drop(run);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod memory {
    pub fn report() {
        eprintln!("the memory report needs glibc (mallinfo2); skipped");
    }
}
