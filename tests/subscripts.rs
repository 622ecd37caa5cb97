//! RunSub and Return: parameters, return values, `global:` variables,
//! failures, limits, static checks, the file resolver and the trace.

use studioflow::{Engine, Limits, MemoryResolver, Outcome, RunOptions, Value};

fn engine(scripts: &[(&str, &str)]) -> Engine {
    engine_with(scripts, Limits::default())
}

fn engine_with(scripts: &[(&str, &str)], limits: Limits) -> Engine {
    let mut r = MemoryResolver::default();
    for (name, source) in scripts {
        r.insert(*name, *source);
    }
    Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .script_resolver(r)
        .limits(limits)
        .build()
}

const DOUBLE: &str =
    "start: Begin { Parameters = \"n\" Default -> r }\nr: Return { ReturnValue = n * 2 }";

fn call(args: &str) -> String {
    format!(
        "start: Begin {{ Default -> c }}\nc: RunSub {{ ScriptName = \"double\" Parameters = {args} ReturnVariable = Answer Default -> done Error -> failed }}\ndone: End\nfailed: End"
    )
}

#[test]
fn parameters_go_in_and_the_return_value_comes_back() {
    let e = engine(&[("double", DOUBLE)]);
    let s = e.compile(&call("[21]"), "main").unwrap();
    let r = e.run(&s, RunOptions::default().trace(true));
    assert_eq!(r.outcome, Outcome::Completed);
    assert_eq!(r.variables["Answer"], Value::from(42.0));
    // The subscript's variables vanish; its steps are in the trace with its name.
    assert!(r.variables.get("n").is_none());
    let trace = r.trace.unwrap();
    let sub: Vec<_> = trace
        .iter()
        .filter(|s| s.script.as_deref() == Some("double"))
        .collect();
    assert_eq!(sub.len(), 2);
    assert_eq!(r.steps, 5); // start, c, the subscript's start and r, done
    let json = e.run(&s, RunOptions::default().trace(true)).to_json();
    assert!(json["trace"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["script"] == "double"));
}

#[test]
fn p1_to_p9_and_globals_are_shared_as_in_studio() {
    let sub = "start: Begin { Default -> s }\ns: Snippet { Data = \"\"\"\n ASSIGN global:Count = Count + 1\n local = \"{p1}-{p2}\"\n\"\"\" Default -> r }\nr: Return { ReturnValue = local }";
    let e = engine(&[("sub", sub)]);
    let main = "start: Begin { Default -> a }\na: Assign { Variable = Count Value = 10 Default -> c }\nc: RunSub { ScriptName = sub Parameters = [\"x\", \"y\"] ReturnVariable = R Default -> c2 }\nc2: RunSub { ScriptName = sub Parameters = [1, 2] }";
    let s = e.compile(main, "main").unwrap();
    let r = e.run(&s, RunOptions::default());
    assert_eq!(r.variables["R"].to_text(), "x-y");
    assert_eq!(r.variables["Count"], Value::from(12.0));
    assert!(r.variables.get("local").is_none());
}

#[test]
fn the_subscript_starts_with_the_callers_security_user() {
    let sub = "start: Begin { Default -> g }\ng: GetAgent { Agent = \"sysadmin\" Default -> r }\nr: Return { ReturnValue = Agent.userName }";
    let e = engine(&[("who", sub)]);
    let main = "start: Begin { Default -> u }\nu: SetSecurityUser { Agent = \"sysadmin\" Default -> c }\nc: RunSub { ScriptName = who ReturnVariable = Name }";
    let s = e.compile(main, "main").unwrap();
    let r = e.run(&s, RunOptions::default());
    assert_eq!(r.variables["Name"].to_text(), "sysadmin", "{:?}", r.error);
}

#[test]
fn a_failure_inside_takes_the_callers_error_branch() {
    let sub = "start: Begin { Default -> bad }\nbad: Assign { Variable = x Value = 1 / 0 }";
    let e = engine(&[("double", sub)]);
    let s = e.compile(&call("[1]"), "main").unwrap();
    let r = e.run(&s, RunOptions::default());
    assert_eq!(r.end.as_deref(), Some("failed"));
    assert_eq!(
        r.variables["_ERR"].to_text(),
        "subscript double stopped in double:bad: Value: division by zero"
    );
}

#[test]
fn endless_recursion_is_a_limit_not_a_stack_overflow() {
    let me = "start: Begin { Default -> again }\nagain: RunSub { ScriptName = me Error -> done }\ndone: End";
    let e = engine_with(&[("me", me)], Limits::default().max_steps(1_000_000));
    let s = e.compile(me, "me").unwrap();
    assert!(s
        .warnings()
        .items()
        .iter()
        .any(|w| w.message.contains("recursion")));
    let r = e.run(&s, RunOptions::default());
    assert_eq!(r.outcome, Outcome::Limit);
    let err = r.error.unwrap();
    assert_eq!(err.kind, Outcome::Limit);
    assert!(
        err.message.contains("nest deeper than 64"),
        "{}",
        err.message
    );
}

#[test]
fn limits_inside_a_subscript_end_the_run() {
    let sub = "start: Begin { Default -> loop }\nloop: Snippet { Data = \"\"\" REPEAT 100000000 { x = 1 } \"\"\" }";
    let e = engine(&[("double", sub)]);
    let s = e.compile(&call("[1]"), "main").unwrap();
    let r = e.run(&s, RunOptions::default());
    assert_eq!(r.outcome, Outcome::Limit);
    assert_eq!(r.error.unwrap().action, "double:loop");
}

#[test]
fn static_checks() {
    let e = engine(&[
        ("double", DOUBLE),
        (
            "chat",
            "script \"C\" type Chat\nstart: Begin { Default -> r }\nr: Return",
        ),
        ("noreturn", "start: Begin"),
        ("broken", "start: Begin { Default -> nowhere }"),
    ]);
    let err = |src: &str| {
        e.compile(src, "main").unwrap_err().items()[0]
            .message
            .clone()
    };
    assert!(err(&call("[1, 2]")).contains("takes 1 parameter (n), got 2"));
    assert!(err(&call("[1,2,3,4,5,6,7,8,9,10]")).contains("at most 9"));
    assert!(
        err("start: Begin { Default -> c }\nc: RunSub { ScriptName = missing }")
            .contains("subscript `missing` not found")
    );
    assert!(
        err("start: Begin { Default -> c }\nc: RunSub { ScriptName = chat }")
            .contains("Chat script, the caller a Generic script")
    );
    // A broken subscript reports its own error in its own file.
    let d = e
        .compile(
            "start: Begin { Default -> c }\nc: RunSub { ScriptName = broken }",
            "main",
        )
        .unwrap_err();
    assert_eq!(d.source().name(), "broken");
    assert!(d.items()[0].message.contains("nowhere"));
    let s = e
        .compile(
            "start: Begin { Default -> c }\nc: RunSub { ScriptName = noreturn }",
            "main",
        )
        .unwrap();
    assert!(s
        .warnings()
        .items()
        .iter()
        .any(|w| w.message.contains("has no Return")));
    // Without a resolver, RunSub is a check error that says so.
    let plain = Engine::demo().compile(&call("[1]"), "main").unwrap_err();
    assert!(plain.items()[0].message.contains("no script resolver"));
}

#[test]
fn the_file_resolver_reads_relative_to_the_caller_and_stays_in_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("flows/shared")).unwrap();
    std::fs::write(project.join("studioflow.toml"), "").unwrap();
    std::fs::write(project.join("flows/shared/double.script"), DOUBLE).unwrap();
    std::fs::write(dir.path().join("outside.script"), DOUBLE).unwrap();
    let main = project.join("flows/main.script");
    let e = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .script_resolver(studioflow::FileResolver::new(1 << 20))
        .build();
    let ok = call("[5]").replace("\"double\"", "\"shared/double\"");
    let s = e.compile(&ok, main.to_str().unwrap()).unwrap();
    assert_eq!(
        e.run(&s, RunOptions::default()).variables["Answer"],
        Value::from(10.0)
    );
    let escape = call("[5]").replace("\"double\"", "\"../../outside\"");
    let d = e.compile(&escape, main.to_str().unwrap()).unwrap_err();
    assert!(
        d.items()[0].message.contains("outside the project root"),
        "{}",
        d.items()[0].message
    );
}
