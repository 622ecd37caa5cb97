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
        .register_function("score", 1, 1, |args, _| {
            Ok(Value::from(match args[0].to_text().as_str() {
                "gold" => 3.0,
                "silver" => 1.0,
                _ => 0.0,
            }))
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
    let mut options = RunOptions {
        trace: true,
        observer: Some(observer),
        ..Default::default()
    };
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
