//! The embedding API as a host uses it: registered actions and functions,
//! observers, opt-in traces, sharing scripts across threads, and refusing a
//! script compiled by another engine.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use studioflow::{
    ActionCall, ActionError, ActionSchema, BranchId, Engine, Outcome, PropertyKind, PropertySchema,
    RunOptions, ScriptType, ScriptTypes, StepObserver, TraceStep, Value,
};

const ROUTE_SCRIPT: &str = r#"
start: Begin { Default -> route }
route: Route { Queue = "{Tier}-queue" Priority = score(Tier) Busy -> busy Default -> done Error -> failed }
busy: Assign { Variable = Where Value = "busy" Default -> done }
failed: Assign { Variable = Where Value = "failed: {_ERR}" Default -> done }
done: End
"#;

/// A host action with its own branch and an output variable.
fn route(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    const QUEUE: usize = 0;
    const PRIORITY: usize = 1;
    const RESULT: usize = 2;
    const BUSY: BranchId = BranchId::own(0);
    let queue = call.text(QUEUE).unwrap_or_default();
    let priority = call
        .property(PRIORITY)
        .and_then(Value::as_number)
        .unwrap_or(0.0);
    if queue.starts_with("closed") {
        return Err(ActionError::failed(format!("queue {queue} is closed")));
    }
    if priority < 1.0 {
        return Ok(BUSY);
    }
    call.set_output(RESULT, Value::from(format!("{queue}@{priority}")))?;
    Ok(BranchId::DEFAULT)
}

fn host_engine() -> Engine {
    Engine::builder()
        .register_fn("score", |tier: Value| match tier.to_text().as_str() {
            "gold" => 3.0,
            "silver" => 1.0,
            _ => 0.0,
        })
        .register_action(
            ActionSchema::new("Route")
                .property(PropertySchema::required("Queue", PropertyKind::Template))
                .property(PropertySchema::required(
                    "Priority",
                    PropertyKind::Expression,
                ))
                .property(
                    PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
                        .with_default(Value::from("Where")),
                )
                .branch("Busy")
                .script_types(ScriptTypes::of(&[ScriptType::Generic, ScriptType::Phone])),
            route,
        )
        .build()
}

fn run_tier(engine: &Engine, script: &studioflow::Script, tier: &str) -> studioflow::Run {
    let mut options = RunOptions::default();
    options.variables.insert("Tier".into(), Value::from(tier));
    engine.run(script, options)
}

#[test]
fn host_actions_take_their_own_branches_and_fail_into_error() {
    let engine = host_engine();
    let script = engine.compile(ROUTE_SCRIPT, "route.script").unwrap();
    assert_eq!(
        run_tier(&engine, &script, "gold").variables["Where"],
        Value::from("gold-queue@3")
    );
    assert_eq!(
        run_tier(&engine, &script, "bronze").variables["Where"],
        Value::from("busy")
    );
    let closed = run_tier(&engine, &script, "closed");
    assert_eq!(
        closed.variables["Where"],
        Value::from("failed: queue closed-queue is closed")
    );
    assert_eq!(
        closed.variables["_ERR"],
        Value::from("queue closed-queue is closed")
    );
    assert_eq!(closed.outcome, Outcome::Completed);
}

#[test]
fn host_action_schemas_are_checked_like_built_ins() {
    let engine = host_engine();
    let email = format!("script \"x\" type Email\n{ROUTE_SCRIPT}");
    let diags = engine.compile(&email, "email.script").unwrap_err();
    assert!(
        diags
            .to_string()
            .contains("Route is not supported in Email scripts"),
        "{diags}"
    );
    let bad = ROUTE_SCRIPT.replace("Busy -> busy", "Full -> busy");
    let diags = engine.compile(&bad, "bad.script").unwrap_err();
    assert!(
        diags
            .to_string()
            .contains("unknown branch `Full` for Route"),
        "{diags}"
    );
    // The stock engine does not know the host's action or function.
    let diags = Engine::new()
        .compile(ROUTE_SCRIPT, "plain.script")
        .unwrap_err();
    assert!(
        diags.to_string().contains("unknown action type `Route`"),
        "{diags}"
    );
}

#[test]
fn a_script_compiled_by_another_engine_is_refused() {
    let one = Engine::new();
    let other = Engine::new();
    let script = one
        .compile("start: Begin { Default -> done }\ndone: End", "s.script")
        .unwrap();
    assert_eq!(
        one.run(&script, RunOptions::default()).outcome,
        Outcome::Completed
    );
    let refused = other.run(&script, RunOptions::default());
    assert_eq!(refused.outcome, Outcome::Stopped);
    assert_eq!(refused.steps, 0);
    assert!(refused.error.unwrap().message.contains("another engine"));
    // A clone of an engine is the same engine.
    assert_eq!(
        one.clone().run(&script, RunOptions::default()).outcome,
        Outcome::Completed
    );
}

#[test]
fn the_trace_is_opt_in_and_the_observer_sees_every_step() {
    let engine = host_engine();
    let script = engine.compile(ROUTE_SCRIPT, "route.script").unwrap();
    let plain = run_tier(&engine, &script, "gold");
    assert!(plain.trace.is_none());

    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = seen.clone();
    let observer: StepObserver = Arc::new(move |step: &TraceStep| {
        sink.lock().unwrap().push(format!(
            "{} {} {}",
            step.step,
            step.action,
            step.branch.as_deref().unwrap_or("-")
        ));
    });
    let mut options = RunOptions::default().trace(true).observer(observer);
    options
        .variables
        .insert("Tier".into(), Value::from("bronze"));
    let run = engine.run(&script, options);
    let expected = [
        "1 start Default",
        "2 route Busy",
        "3 busy Default",
        "4 done -",
    ];
    assert_eq!(*seen.lock().unwrap(), expected);
    let trace: Vec<String> = run
        .trace
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                s.step,
                s.action,
                s.branch.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(trace, expected);
}

#[test]
fn one_compiled_script_runs_on_many_threads_at_once() {
    let engine = host_engine();
    let script = engine.compile(ROUTE_SCRIPT, "route.script").unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (engine, script, done) = (&engine, &script, done.clone());
            scope.spawn(move || {
                for i in 0..200 {
                    let tier = ["gold", "silver", "bronze"][(t + i) % 3];
                    let run = run_tier(engine, script, tier);
                    let expected = match tier {
                        "gold" => "gold-queue@3",
                        "silver" => "silver-queue@1",
                        _ => "busy",
                    };
                    assert_eq!(run.variables["Where"], Value::from(expected));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(done.load(Ordering::Relaxed), 1600);
}

#[test]
fn warnings_of_a_successful_compile_are_kept() {
    let script = Engine::new()
        .compile(
            "start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = Boss Default -> done }\nlost: End\ndone: End",
            "w.script",
        )
        .unwrap();
    let messages: Vec<&str> = script
        .warnings()
        .warnings()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`lost` is unreachable")));
    assert!(messages
        .iter()
        .any(|m| m.contains("Error branch is not connected")));
    assert!(messages
        .iter()
        .any(|m| m.contains("`Boss` is read but never assigned")));
}

#[test]
fn a_host_can_replace_a_built_in_action() {
    // Built-ins are registered through the same public API, so a host can
    // wrap or replace one (here: an End that records that it ran).
    let engine = Engine::builder()
        .register_action(
            ActionSchema::new("End").terminal().property(
                PropertySchema::optional("Mark", PropertyKind::OutputVariable)
                    .with_default(Value::from("Ended")),
            ),
            |call: &mut ActionCall<'_>| {
                call.set_output(0, Value::Bool(true))?;
                Ok(BranchId::DEFAULT)
            },
        )
        .build();
    let script = engine
        .compile("start: Begin { Default -> done }\ndone: End", "e.script")
        .unwrap();
    assert_eq!(
        engine.run(&script, RunOptions::default()).variables["Ended"],
        Value::Bool(true)
    );
}

// ------------------------------------------------ typed embedding API (issue 7, item 24)

/// Compiles a one-Assign script storing `expr` in `r`, runs it, and returns
/// the run (the Assign's Error branch is not connected: a failure stops it).
fn eval_with(engine: &Engine, expr: &str) -> studioflow::Run {
    let source = format!(
        "start: Begin {{ Default -> a }}\na: Assign {{ Variable = r Value = {expr} Default -> done }}\ndone: End\n"
    );
    let script = engine
        .compile(&source, "typed.script")
        .unwrap_or_else(|d| panic!("{expr} should compile:\n{d}"));
    engine.run(&script, RunOptions::default())
}

fn typed_engine() -> Engine {
    Engine::builder()
        .register_fn("double", |x: f64| x * 2.0)
        .register_fn("answer", || 42_i64)
        .register_fn("repeat_text", |s: String, n: u32| s.repeat(n as usize))
        .register_fn("first", |items: Vec<Value>| items.into_iter().next())
        .register_fn(
            "either",
            |flag: bool, a: Value, b: Value| if flag { a } else { b },
        )
        .register_fn("checked_sqrt", |x: f64| {
            if x < 0.0 {
                Err(format!("cannot take the square root of {x}"))
            } else {
                Ok(x.sqrt())
            }
        })
        .register_fn(
            "sum8",
            |a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32, h: i32| {
                a + b + c + d + e + f + g + h
            },
        )
        .build()
}

#[test]
fn typed_functions_convert_arguments_and_results() {
    let engine = typed_engine();
    let cases: [(&str, Value); 8] = [
        ("double(21)", Value::from(42)),
        // numeric text is a number, as in the language's arithmetic
        (r#"double("2.5")"#, Value::from(5)),
        ("answer()", Value::from(42)),
        (r#"repeat_text("ab", 3)"#, Value::from("ababab")),
        // numbers are text where text is expected
        ("repeat_text(7, 2)", Value::from("77")),
        (r#"first(["x", "y"])"#, Value::from("x")),
        // None is null
        ("first([])", Value::Null),
        ("sum8(1, 2, 3, 4, 5, 6, 7, 8)", Value::from(36)),
    ];
    for (expr, want) in cases {
        let run = eval_with(&engine, expr);
        assert_eq!(run.outcome, Outcome::Completed, "{expr}: {:?}", run.error);
        assert_eq!(run.variables["r"], want, "{expr}");
    }
    let run = eval_with(&engine, r#"either("true", 1, 2)"#);
    assert_eq!(run.variables["r"], Value::from(1));
}

#[test]
fn typed_function_arity_comes_from_the_signature() {
    let engine = typed_engine();
    for (expr, name) in [
        ("double()", "double"),
        ("double(1, 2)", "double"),
        ("answer(1)", "answer"),
        ("repeat_text(\"a\")", "repeat_text"),
    ] {
        let source =
            format!("start: Begin {{ Default -> a }}\na: Assign {{ Variable = r Value = {expr} }}");
        let diagnostics = engine
            .compile(&source, "arity.script")
            .err()
            .unwrap_or_else(|| panic!("{expr} compiled"));
        let text = diagnostics.to_string();
        assert!(text.contains(name), "{expr}: {text}");
    }
}

#[test]
fn typed_function_type_errors_are_clear_run_time_errors() {
    let engine = typed_engine();
    let cases = [
        (
            r#"double("abc")"#,
            r#"Value: double(): argument 1 must be a number, got "abc""#,
        ),
        (
            r#"repeat_text("a", -1)"#,
            "Value: repeat_text(): argument 2 must be a whole number from 0 to 4294967295, got -1",
        ),
        (
            r#"repeat_text("a", 1.5)"#,
            "Value: repeat_text(): argument 2 must be a whole number from 0 to 4294967295, got 1.5",
        ),
        (
            r#"first("x")"#,
            r#"Value: first(): argument 1 must be a list, got "x""#,
        ),
        (
            r#"either(1, 2, 3)"#,
            "Value: either(): argument 1 must be true or false, got 1",
        ),
        (
            "checked_sqrt(-4)",
            "Value: cannot take the square root of -4",
        ),
    ];
    for (expr, want) in cases {
        let run = eval_with(&engine, expr);
        assert_eq!(run.outcome, Outcome::Stopped, "{expr}");
        let error = run.error.expect("a stopped run has an error");
        assert_eq!(error.message, want, "{expr}");
        assert_eq!(run.variables["_ERR"], Value::from(want), "{expr}");
    }
}

#[test]
fn registering_over_a_built_in_function_is_refused_unless_replaced_explicitly() {
    use studioflow::BuildError;

    // Function names are case-insensitive, so `UPPER` is the built-in too.
    for name in ["upper", "UPPER", "len"] {
        let refused = Engine::builder()
            .register_fn(name, |v: Value| v)
            .try_build();
        match refused {
            Err(BuildError::FunctionExists {
                name: n,
                builtin: true,
            }) => assert_eq!(n, name),
            Err(other) => panic!("{name}: wrong error {other}"),
            Ok(_) => panic!("{name}: registering over a built-in was accepted"),
        }
        let refused = Engine::builder()
            .register_fn(name, |s: String| s)
            .try_build();
        assert!(
            matches!(
                refused,
                Err(BuildError::FunctionExists { builtin: true, .. })
            ),
            "{name}"
        );
    }

    // Twice the same host name: also refused, and said so.
    let twice = Engine::builder()
        .register_fn("score", |_: String| 1)
        .register_fn("Score", |_: String| 2)
        .try_build()
        .err()
        .expect("a second registration is refused");
    assert_eq!(
        twice,
        BuildError::FunctionExists {
            name: "Score".into(),
            builtin: false
        }
    );
    assert!(twice.to_string().contains("already registered"), "{twice}");

    // Explicit replacement works, for built-ins and host functions alike.
    let engine = Engine::builder()
        .replace_fn("upper", |s: String| format!("<{s}>"))
        .register_fn("score", |_: String| 1)
        .replace_fn("score", |_: Value| 2)
        .try_build()
        .expect("explicit replacements are accepted");
    assert_eq!(
        eval_with(&engine, r#"upper("a")"#).variables["r"],
        Value::from("<a>")
    );
    assert_eq!(
        eval_with(&engine, r#"score("a")"#).variables["r"],
        Value::from(2)
    );

    // Replacing what does not exist is a typo, not a registration.
    assert_eq!(
        Engine::builder()
            .replace_fn("uper", |s: String| s)
            .try_build()
            .err(),
        Some(BuildError::NoSuchFunction {
            name: "uper".into()
        })
    );
}

#[test]
fn uncallable_function_names_and_bad_arities_are_refused() {
    use studioflow::BuildError;
    for name in ["", "two words", "1st", "a-b", "and", "NULL", "ünï"] {
        let result = Engine::builder().register_fn(name, || 1).try_build();
        assert_eq!(
            result.err(),
            Some(BuildError::InvalidFunctionName { name: name.into() }),
            "{name:?}"
        );
    }
    assert!(Engine::builder()
        .register_fn("_private$1", || 1)
        .try_build()
        .is_ok());
}

#[test]
#[should_panic(expected = "function `trim` is built in")]
fn build_panics_with_the_configuration_mistake() {
    let _ = Engine::builder().register_fn("trim", |s: String| s).build();
}

/// A host action reading its properties by name and typed.
fn transfer(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let queue = call.text_property("queue")?; // names are case-insensitive
    let weight = call.number_property("Weight")?;
    let attempts = call.whole_property("Attempts")?;
    let skills = call.list_property("Skills")?;
    let note: Option<String> = call.get_property("Note")?;
    let summary = format!(
        "{queue} w={weight} a={attempts} skills={} note={}",
        skills.len(),
        note.as_deref().unwrap_or("-")
    );
    call.set_output_named("Result", Value::from(summary))?;
    Ok(BranchId::DEFAULT)
}

fn transfer_engine() -> Engine {
    Engine::builder()
        .register_action(
            ActionSchema::new("Transfer")
                .property(PropertySchema::required("Queue", PropertyKind::Template))
                .property(PropertySchema::required("Weight", PropertyKind::Expression))
                .property(
                    PropertySchema::optional("Attempts", PropertyKind::Expression)
                        .with_default(Value::from(3)),
                )
                .property(PropertySchema::required("Skills", PropertyKind::Expression))
                .property(PropertySchema::optional("Note", PropertyKind::Template))
                .property(
                    PropertySchema::optional("Result", PropertyKind::OutputVariable)
                        .with_default(Value::from("Transferred")),
                ),
            transfer,
        )
        .register_action(ActionSchema::new("Buggy"), |call: &mut ActionCall<'_>| {
            call.whole_property("Nope").map(|_| BranchId::DEFAULT)
        })
        .build()
}

fn run_transfer(engine: &Engine, properties: &str) -> studioflow::Run {
    let source = format!(
        "start: Begin {{ Default -> t }}\nt: Transfer {{ {properties} Default -> done }}\ndone: End\n"
    );
    let script = engine
        .compile(&source, "transfer.script")
        .unwrap_or_else(|d| panic!("{properties}:\n{d}"));
    engine.run(&script, RunOptions::default())
}

#[test]
fn host_actions_read_properties_by_name_and_typed() {
    let engine = transfer_engine();
    let run = run_transfer(
        &engine,
        r#"Queue = "sales" Weight = "1.5" Skills = ["fr", "de"] Note = "vip""#,
    );
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(
        run.variables["Transferred"],
        Value::from("sales w=1.5 a=3 skills=2 note=vip")
    );
    // An optional property left out reads as None; the default fills Attempts.
    let run = run_transfer(
        &engine,
        r#"Queue = "q" Weight = 2 Attempts = 5 Skills = []"#,
    );
    assert_eq!(
        run.variables["Transferred"],
        Value::from("q w=2 a=5 skills=0 note=-")
    );
}

#[test]
fn typed_property_errors_name_the_property_and_what_it_got() {
    let engine = transfer_engine();
    let cases = [
        (
            r#"Queue = "q" Weight = "heavy" Skills = []"#,
            r#"Weight: expected a number, got "heavy""#,
        ),
        (
            r#"Queue = "q" Weight = 1 Attempts = 2.5 Skills = []"#,
            "Attempts: expected a whole number, got 2.5",
        ),
        (
            r#"Queue = "q" Weight = 1 Skills = "fr""#,
            r#"Skills: expected a list, got "fr""#,
        ),
        (
            r#"Queue = [1] Weight = 1 Skills = []"#,
            "Queue: expected text, got [1]",
        ),
    ];
    for (properties, want) in cases {
        let run = run_transfer(&engine, properties);
        assert_eq!(run.outcome, Outcome::Stopped, "{properties}");
        assert_eq!(run.variables["_ERR"], Value::from(want), "{properties}");
    }

    // A handler asking for a property its schema lacks is a host bug, said plainly.
    let script = engine
        .compile("start: Begin { Default -> b }\nb: Buggy", "buggy.script")
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(
        run.variables["_ERR"],
        Value::from("Buggy has no property `Nope`")
    );
}

#[test]
fn run_errors_are_std_errors_with_a_readable_display() {
    fn first_error(engine: &Engine, source: &str, max_steps: Option<u64>) -> studioflow::RunError {
        let script = engine.compile(source, "e.script").unwrap();
        let mut options = RunOptions::default();
        options.max_steps = max_steps;
        engine.run(&script, options).error.expect("the run stops")
    }
    let engine = Engine::new();
    let failed = first_error(
        &engine,
        "start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 }",
        None,
    );
    assert_eq!(
        failed.to_string(),
        "action `bad` failed: Value: division by zero"
    );

    let looping = first_error(&engine, "start: Begin { Default -> again }\nagain: Assign { Variable = x Value = 1 Default -> again }", Some(5));
    assert!(
        looping
            .to_string()
            .starts_with("limit exceeded in action `again`: "),
        "{looping}"
    );

    // Usable wherever a std error is: `?` into Box<dyn Error>.
    fn host() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let engine = Engine::new();
        let script = engine
            .compile(
                "start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 % 0 }",
                "h",
            )
            .unwrap();
        if let Some(error) = engine.run(&script, RunOptions::default()).error {
            return Err(error.into());
        }
        Ok(())
    }
    let boxed = host().unwrap_err();
    assert_eq!(
        boxed.to_string(),
        "action `bad` failed: Value: division by zero"
    );
    assert!(boxed.downcast_ref::<studioflow::RunError>().is_some());
}

#[test]
fn values_convert_from_rust_numbers_text_and_lists() {
    assert_eq!(Value::from(3_i32), Value::Number(3.0));
    assert_eq!(Value::from(3_u32), Value::Number(3.0));
    assert_eq!(Value::from(-3_i64), Value::Number(-3.0));
    assert_eq!(Value::from(3_u64), Value::Number(3.0));
    assert_eq!(Value::from(3_usize), Value::Number(3.0));
    assert_eq!(Value::from(0.25_f32), Value::Number(0.25));
    assert_eq!(Value::from(true), Value::Bool(true));
    assert_eq!(Value::from("a").as_str(), Some("a"));
    assert_eq!(Value::from(String::from("a")).as_str(), Some("a"));
    let list = Value::from(vec![Value::from(1_i32), Value::from("x")]);
    assert_eq!(list.to_text(), r#"[1,"x"]"#);
    // Converted values are ordinary inputs.
    let engine = Engine::new();
    let script = engine
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = r Value = n * 2 Default -> done }\ndone: End",
            "n.script",
        )
        .unwrap();
    let mut options = RunOptions::default();
    options
        .variables
        .insert("n".into(), Value::from(21_u8 as u32));
    assert_eq!(engine.run(&script, options).variables["r"], Value::from(42));
}

#[test]
fn engines_and_scripts_are_sync_and_cheap_to_clone() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Engine>();
    shareable::<studioflow::Script>();

    // Clones share one engine and one compiled script: no Arc needed.
    let engine = typed_engine();
    let script = engine
        .compile(
            "start: Begin { Default -> a }\na: Assign { Variable = r Value = double(n) Default -> done }\ndone: End",
            "shared.script",
        )
        .unwrap();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let (engine, script) = (engine.clone(), script.clone());
            std::thread::spawn(move || {
                let mut options = RunOptions::default();
                options.variables.insert("n".into(), Value::from(i));
                engine.run(&script, options).variables["r"].clone()
            })
        })
        .collect();
    let results: Vec<Value> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results, [0, 2, 4, 6].map(Value::from));
}
