//! The engine side of contacts: runs that wait, resume, pause to signed
//! bytes and back, across RunSub frames, with the budgets held.

use std::time::Duration;

use studioflow::{Engine, Event, Outcome, PauseError, PauseKey, RunOptions, WaitFor};

fn key() -> PauseKey {
    PauseKey::from_hex(&"5a".repeat(32)).unwrap()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-12-06T10:00:00Z".parse().unwrap()
}

const HOLD: &str = r#"
start: Begin { Default -> count }
count: Assign { Variable = n Value = 1 Default -> hold }
hold: Wait { Seconds = 2.5 Default -> after }
after: Assign { Variable = n Value = n + 1 Default -> done }
done: End
"#;

#[test]
fn a_wait_returns_waiting_and_resumes_with_time() {
    let engine = Engine::new();
    let script = engine.compile(HOLD, "hold.script").unwrap();
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.outcome, Outcome::Waiting);
    assert_eq!(run.end.as_deref(), Some("hold"));
    assert_eq!(run.steps, 3);
    let waiting = run.waiting.clone().unwrap();
    assert_eq!(waiting.wait.kind(), WaitFor::Time);
    assert_eq!(run.to_json()["waiting"]["seconds"], 2.5);
    // One second is not enough: still waiting, 1.5 s left.
    let run = engine
        .resume(&script, *run.paused.unwrap(), Event::Wait(1.0))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Waiting);
    assert_eq!(run.to_json()["waiting"]["seconds"], 1.5);
    let run = engine
        .resume(&script, *run.paused.unwrap(), Event::Wait(2.0))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.variable("n").unwrap().to_text(), "2");
    // The waiting action's step is counted once, across the resumes.
    assert_eq!(run.steps, 5);
}

#[test]
fn a_paused_run_travels_as_signed_bytes() {
    let engine = Engine::new();
    let script = engine.compile(HOLD, "hold.script").unwrap();
    let run = engine.run(&script, RunOptions::default());
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("studioflow-pause 1\n"), "{text}");
    let paused = key().open(&bytes, now()).unwrap();
    let run = engine.resume(&script, paused, Event::Wait(5.0)).unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.variable("n").unwrap().to_text(), "2");
}

#[test]
fn every_tampering_is_refused() {
    let engine = Engine::new();
    let script = engine.compile(HOLD, "hold.script").unwrap();
    let run = engine.run(&script, RunOptions::default());
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    // A byte of a variable.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let altered = text.replacen("[1.0]", "[7.0]", 1);
    assert_ne!(altered, text, "the variable is in the payload: {text}");
    assert_eq!(
        key().open(altered.as_bytes(), now()).unwrap_err(),
        PauseError::Signature
    );
    // Every single byte flipped is refused (never a panic).
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        assert!(
            key().open(&b, now()).is_err(),
            "byte {i} flipped was accepted"
        );
    }
    // Another key.
    let other = PauseKey::from_hex(&"77".repeat(32)).unwrap();
    assert_eq!(
        other.open(&bytes, now()).unwrap_err(),
        PauseError::Signature
    );
    // Another format version.
    let v2 = text.replacen("studioflow-pause 1", "studioflow-pause 2", 1);
    let e = key().open(v2.as_bytes(), now()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "pause format version 2: this studioflow reads version 1"
    );
    // Expired.
    let later = now() + chrono::TimeDelta::seconds(61);
    let e = key().open(&bytes, later).unwrap_err();
    assert!(matches!(e, PauseError::Expired { .. }), "{e}");
    assert!(
        e.to_string().contains("expired at 2026-12-06T10:01:00"),
        "{e}"
    );
    // Another version of the script (a comment changed).
    let paused = key().open(&bytes, now()).unwrap();
    let changed = engine
        .compile(&format!("{HOLD}// a comment\n"), "hold.script")
        .unwrap();
    let e = engine
        .resume(&changed, paused, Event::Wait(5.0))
        .unwrap_err();
    assert!(
        e.to_string().contains("changed since the run was paused"),
        "{e}"
    );
}

#[test]
fn an_event_that_does_not_fit_the_wait_is_refused_and_runs_nothing() {
    let engine = Engine::new();
    let script = engine.compile(HOLD, "hold.script").unwrap();
    let run = engine.run(&script, RunOptions::default());
    let e = engine
        .resume(&script, *run.paused.unwrap(), Event::Digits("1".into()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "event `digits:1` does not fit the wait of action `hold`: it waits for time, which takes wait, answer and hangup"
    );
    let paused = e.into_paused().expect("the paused run comes back");
    assert_eq!(paused.steps(), 3);
}

#[test]
fn a_wait_inside_a_subscript_resumes_in_its_frame() {
    let mut scripts = studioflow::MemoryResolver::default();
    scripts.insert(
        "hold",
        "start: Begin { Default -> w }\nw: Wait { Seconds = p1 Default -> r }\nr: Return { ReturnValue = \"held {p1}\" }",
    );
    let engine = Engine::builder().script_resolver(scripts).build();
    let script = engine
        .compile(
            "start: Begin { Default -> l }\nl: Loop { Repeat = 2 Repeat -> call Finished -> done }\ncall: RunSub { ScriptName = hold Parameters = 3 ReturnVariable = got Default -> l }\ndone: End",
            "main.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default().trace(true));
    assert_eq!(run.outcome, Outcome::Waiting);
    assert_eq!(run.end.as_deref(), Some("hold:w"));
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    let paused = key().open(&bytes, now()).unwrap();
    let run = engine
        .resume_with(
            &script,
            paused,
            Event::Wait(3.0),
            RunOptions::default().trace(true),
        )
        .unwrap();
    // The loop's counter survived the pause: the second round waits again.
    assert_eq!(run.outcome, Outcome::Waiting, "{:?}", run.error);
    assert_eq!(run.variable("got").unwrap().to_text(), "held 3");
    let trace = run.trace.unwrap();
    let ids: Vec<_> = trace
        .iter()
        .map(|s| (s.step, s.action.to_string()))
        .collect();
    assert_eq!(ids[0], (3, "call".to_string()), "{ids:?}");
    assert_eq!(ids[1], (5, "w".to_string()), "{ids:?}");
    let run = engine
        .resume(&script, *run.paused.unwrap(), Event::Wait(3.0))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(run.end.as_deref(), Some("done"));
}

#[test]
fn the_step_budget_counts_across_resumes() {
    let engine = Engine::new();
    let script = engine
        .compile(
            "start: Begin { Default -> w }\nw: Wait { Seconds = 1 Default -> a }\na: Assign { Variable = x Value = 1 Default -> w }",
            "spin.script",
        )
        .unwrap();
    let mut run = engine.run(&script, RunOptions::default().max_steps(10));
    let mut resumes = 0;
    while run.outcome == Outcome::Waiting {
        resumes += 1;
        assert!(resumes < 20, "the budget does not hold across resumes");
        let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
        run = engine
            .resume(
                &script,
                key().open(&bytes, now()).unwrap(),
                Event::Wait(1.0),
            )
            .unwrap();
    }
    assert_eq!(run.outcome, Outcome::Limit);
    assert!(run.error.unwrap().message.contains("step budget of 10"));
}

#[test]
fn a_security_user_is_issued_again_and_a_deactivated_agent_is_refused() {
    use studioflow::permissions::{AgentStatus, Directory};
    let directory = Directory::demo();
    let engine = Engine::builder().directory(directory.clone()).build();
    let script = engine
        .compile(
            r#"start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> hold Error -> failed }
hold: Wait { Seconds = 1 Default -> get }
get: GetAgent { Agent = "agentadmin" Default -> done Error -> failed }
failed: End
done: End"#,
            "who.script",
        )
        .unwrap();
    // Still active: the resumed run's own handle works.
    let run = engine.run(&script, RunOptions::default());
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    let run = engine
        .resume(
            &script,
            key().open(&bytes, now()).unwrap(),
            Event::Wait(1.0),
        )
        .unwrap();
    assert_eq!(
        run.end.as_deref(),
        Some("done"),
        "{:?}",
        run.variable("_ERR")
    );
    // Deactivated meanwhile: the next API action fails as usual.
    let run = engine.run(&script, RunOptions::default());
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    let sysadmin = directory.resolve_security_user("sysadmin").unwrap().id;
    directory
        .set_agent_status(sysadmin, AgentStatus::Inactive)
        .unwrap();
    let run = engine
        .resume(
            &script,
            key().open(&bytes, now()).unwrap(),
            Event::Wait(1.0),
        )
        .unwrap();
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(
        run.variable("_ERR")
            .unwrap()
            .to_text()
            .to_lowercase()
            .contains("active"),
        "{:?}",
        run.variable("_ERR")
    );
}

#[test]
fn the_run_report_shows_the_contact_as_a_conversation() {
    use studioflow::graph::FlowGraph;
    use studioflow::report::{run_report_html, RunRecorder};
    let engine = Engine::demo();
    let script = engine
        .compile(
            r#"start: Begin { Default -> ask }
ask: Menu { Sequence = "Press 1 for <sales> & more" Case "1" -> queue Default -> ask }
queue: ReqAgent { Skill = "Sales" Default -> hold }
hold: Stop"#,
            "report.script",
        )
        .unwrap();
    let recorder = RunRecorder::new(&script);
    let options = RunOptions::default().change_observer(recorder.observer());
    let events = ["digits:1", "hangup"].map(|e| e.parse::<Event>().unwrap());
    let sim = engine.simulate(&script, options, events, None).unwrap();
    assert_eq!(sim.run.outcome, Outcome::Completed);
    let page = run_report_html(
        &FlowGraph::from_script(&script),
        &sim.run,
        &Default::default(),
        &recorder.finish(),
    );
    assert!(
        page.contains("<h2>Conversation</h2>"),
        "no conversation section"
    );
    // The prompt is escaped, and each line links to its step.
    assert!(
        page.contains("Press 1 for &lt;sales&gt; &amp; more"),
        "{page}"
    );
    assert!(page.contains("<th>caller presses</th><td>1</td>"), "keys");
    assert!(page.contains("<th>queued for</th><td>Sales</td>"), "queue");
    assert!(page.contains("<th>hangup</th><td>caller</td>"), "hangup");
    // The Stop that the hangup ended is a step of the run too.
    assert!(
        page.contains("id=\"step-4\""),
        "the interrupted step is listed"
    );
}

#[test]
fn a_misfit_event_is_numbered_as_given_when_simulating_from_a_pause() {
    let engine = Engine::new();
    let script = engine
        .compile(
            "start: Begin { Default -> a }\na: Wait { Seconds = 5 Default -> b }\nb: Wait { Seconds = 5 Default -> done }\ndone: End",
            "two.script",
        )
        .unwrap();
    let paused = *engine.run(&script, RunOptions::default()).paused.unwrap();
    let events = [Event::Wait(5.0), Event::Digits("1".into())];
    let e = engine
        .simulate_paused(&script, paused, RunOptions::default(), events, None)
        .unwrap_err();
    assert_eq!((e.index, e.count), (1, 2));
    assert!(
        e.to_string().starts_with("event 2 of 2: event `digits:1`"),
        "{e}"
    );
}
