//! The contact actions as a caller meets them: each action's branches,
//! keys buffered across Menu and Capture, timeouts, the caller hanging up
//! at every kind of wait, an agent answering while the contact holds, End
//! and OnRelease, REST calls, the `check` lints and a waiting Menu sealed
//! and opened again.

use std::time::Duration;

use studioflow::permissions::Directory;
use studioflow::{
    DiagnosticCode, Engine, Event, HttpReply, Outcome, PauseKey, Run, RunOptions, Script, Wait,
    WaitFor,
};

fn engine() -> Engine {
    Engine::builder().directory(Directory::demo()).build()
}

fn compile(engine: &Engine, source: &str) -> Script {
    engine
        .compile(source, "contact.script")
        .unwrap_or_else(|e| panic!("{e}"))
}

fn events(list: &[&str]) -> Vec<Event> {
    list.iter()
        .map(|e| e.parse().unwrap_or_else(|err| panic!("{e}: {err}")))
        .collect()
}

/// The contact run through `list`, every event used.
fn simulate(source: &str, list: &[&str]) -> Run {
    simulate_events(source, events(list))
}

fn simulate_events(source: &str, list: Vec<Event>) -> Run {
    let engine = engine();
    let script = compile(&engine, source);
    let sim = engine
        .simulate(&script, RunOptions::default().trace(true), list, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sim.unused.is_empty(), "events left: {:?}", sim.unused);
    sim.run
}

fn var(run: &Run, name: &str) -> String {
    run.variable(name)
        .unwrap_or_else(|| panic!("no variable `{name}`: {:?}", run.variables))
        .to_text()
}

fn transcript(run: &Run) -> Vec<String> {
    run.transcript
        .iter()
        .map(|e| format!("{}: {}", e.kind.as_str(), e.text))
        .collect()
}

fn path(run: &Run) -> Vec<String> {
    run.trace
        .as_ref()
        .expect("traced")
        .iter()
        .map(|s| s.action.to_string())
        .collect()
}

// ---- Play

#[test]
fn play_reads_plain_text_templates_and_studio_segments() {
    let run = simulate_events(
        r#"
        start: Begin { Default -> a }
        a: Play { Sequence = "Thank you for calling" Default -> b }
        b: Play { Sequence = "\"%Hello {name}\" \"hold.wav\" \"$12.50\"" Default -> done }
        done: End
        "#,
        Vec::new(),
    );
    assert_eq!(
        transcript(&run),
        [
            "prompt: Thank you for calling",
            "prompt: Hello [hold.wav] 12.50"
        ]
    );
    assert_eq!(run.outcome, Outcome::Completed);
}

#[test]
fn a_malformed_sequence_takes_error() {
    let run = simulate(
        r#"
        start: Begin { Default -> a }
        a: Play { Sequence = "\"%Hello\" \"hold.wav" Default -> done Error -> failed }
        done: End
        failed: End
        "#,
        &[],
    );
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(
        var(&run, "_ERR").starts_with("Sequence: a segment has no closing quote"),
        "{}",
        var(&run, "_ERR")
    );
    assert!(run.transcript.is_empty());
}

#[test]
fn play_with_detect_dtmf_is_interrupted_by_typed_ahead_keys() {
    let source = r#"
        start: Begin { Default -> ask }
        ask: Menu { Sequence = "Press 1" Case "1" -> info Default -> done }
        info: Play { Sequence = "Our hours are 9 to 5" ClearDigits = False DetectDTMF = True
                     Digit -> interrupted Default -> listened }
        interrupted: Capture { Variable = next Default -> done }
        listened: Capture { Variable = next Default -> done }
        done: End
    "#;
    // "2" was pressed with the "1": it interrupts the prompt and stays in
    // the buffer for the Capture, which takes it without waiting.
    let run = simulate(source, &["digits:12"]);
    assert_eq!(
        path(&run),
        ["start", "ask", "info", "interrupted", "done"],
        "{:?}",
        run.transcript
    );
    assert_eq!(var(&run, "next"), "2");
    // Nothing typed ahead: the prompt plays to its end.
    let run = simulate(source, &["digits:1", "digits:3"]);
    assert_eq!(path(&run), ["start", "ask", "info", "listened", "done"]);
    // With ClearDigits (the default) the keys are gone before it plays.
    let cleared = source.replace("ClearDigits = False ", "");
    let run = simulate(&cleared, &["digits:12", "digits:4"]);
    assert_eq!(path(&run), ["start", "ask", "info", "listened", "done"]);
    assert_eq!(var(&run, "next"), "4");
}

// ---- Menu

const MENU: &str = r#"
start: Begin { Default -> ask }
ask: Menu { Sequence = "Press 1 for sales, 2 for support"
            Case "1" -> sales Case "2" -> support Timeout -> silent Default -> other Error -> broken }
sales: End
support: End
silent: End
other: End
broken: End
"#;

#[test]
fn menu_takes_the_case_of_the_key_default_timeout_and_error() {
    let run = simulate(MENU, &["digits:2"]);
    assert_eq!(run.end.as_deref(), Some("support"));
    assert_eq!(var(&run, "MRES"), "2");
    assert_eq!(
        transcript(&run),
        ["prompt: Press 1 for sales, 2 for support", "digits: 2"]
    );
    // A key with no case.
    let run = simulate(MENU, &["digits:7"]);
    assert_eq!(run.end.as_deref(), Some("other"));
    assert_eq!(var(&run, "MRES"), "7");
    // Silence.
    let run = simulate(MENU, &["timeout"]);
    assert_eq!(run.end.as_deref(), Some("silent"));
    assert_eq!(var(&run, "MRES"), "");
    // Silence with Timeout not connected falls back to Default.
    let run = simulate(&MENU.replace("Timeout -> silent ", ""), &["timeout"]);
    assert_eq!(run.end.as_deref(), Some("other"));
    // A property out of Studio's range fails the action.
    let run = simulate(
        &MENU.replace("Sequence = ", "MaxDigits = 0 Sequence = "),
        &[],
    );
    assert_eq!(run.end.as_deref(), Some("broken"));
    assert_eq!(
        var(&run, "_ERR"),
        "MaxDigits: expected a whole number from 1 to 1000, got 0"
    );
    let run = simulate(
        &MENU.replace("Sequence = ", "Timeout = 61 Sequence = "),
        &[],
    );
    assert_eq!(run.end.as_deref(), Some("broken"));
    assert_eq!(
        var(&run, "_ERR"),
        "Timeout: expected a number of seconds from 0 to 60, got 61"
    );
}

#[test]
fn menu_waits_for_digits_with_studio_defaults() {
    let engine = engine();
    let script = compile(&engine, MENU);
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.outcome, Outcome::Waiting);
    let waiting = run.waiting.as_ref().unwrap();
    assert_eq!(waiting.action, "ask");
    match &waiting.wait {
        Wait::Digits {
            max_digits,
            terminator,
            entered,
            timeout,
        } => {
            assert_eq!(
                (*max_digits, terminator.as_str(), entered.as_str(), *timeout),
                (1, "#", "", 5.0)
            );
        }
        other => panic!("{other:?}"),
    }
}

const ACCOUNT: &str = r##"
start: Begin { Default -> ask }
ask: Menu { Sequence = "Your account number, then hash" MaxDigits = 5 Terminator = "#-"
            Case "1234" -> known Timeout -> silent Default -> unknown }
known: End
unknown: End
silent: End
"##;

#[test]
fn a_longer_entry_ends_at_the_terminator_max_digits_or_inter_digit_silence() {
    let run = simulate(ACCOUNT, &["digits:1234#"]);
    assert_eq!(
        (run.end.as_deref(), var(&run, "MRES")),
        (Some("known"), "1234".into())
    );
    // Keys in several presses: the entry goes on.
    let run = simulate(ACCOUNT, &["digits:12", "digits:34#"]);
    assert_eq!(run.end.as_deref(), Some("known"));
    // MaxDigits counts the terminator: five keys end it.
    let run = simulate(ACCOUNT, &["digits:12345"]);
    assert_eq!(
        (run.end.as_deref(), var(&run, "MRES")),
        (Some("unknown"), "12345".into())
    );
    // Silent after some keys: the entry so far (not Timeout).
    let run = simulate(ACCOUNT, &["digits:1234", "timeout"]);
    assert_eq!(run.end.as_deref(), Some("known"));
    // A terminator without `-` is stored.
    let run = simulate(&ACCOUNT.replace("\"#-\"", "\"#\""), &["digits:1234#"]);
    assert_eq!(
        (run.end.as_deref(), var(&run, "MRES")),
        (Some("unknown"), "1234#".into())
    );
    // A terminator that is no key fails the action (no Error branch: it stops).
    let run = simulate(&ACCOUNT.replace("\"#-\"", "\"x\""), &[]);
    assert_eq!(run.outcome, Outcome::Stopped);
    assert!(var(&run, "_ERR").starts_with("Terminator: expected one key"));
}

#[test]
fn wait_events_pass_the_menu_timeout_and_spare_time_goes_on() {
    let source = r#"
        start: Begin { Default -> ask }
        ask: Menu { Sequence = "Press 1" Case "1" -> done Timeout -> hold Default -> done }
        hold: Wait { Seconds = 2 Default -> done }
        done: End
    "#;
    let engine = engine();
    let script = compile(&engine, source);
    let sim = engine
        .simulate(&script, RunOptions::default(), events(&["wait:2"]), None)
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Waiting);
    assert_eq!(sim.run.to_json()["waiting"]["timeout"], 3.0);
    // 4 more seconds: the Menu times out after 3; the Wait takes the 4th
    // and waits 1 more.
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            events(&["wait:2", "wait:4"]),
            None,
        )
        .unwrap();
    assert_eq!(sim.run.to_json()["waiting"]["action"], "hold");
    assert_eq!(sim.run.to_json()["waiting"]["seconds"], 1.0);
    let run = simulate(source, &["wait:2", "wait:4", "wait:1"]);
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(path(&run), ["start", "ask", "hold", "done"]);
}

// ---- Capture

const CAPTURE: &str = r##"
start: Begin { Default -> pin }
pin: Capture { Variable = pin MaxDigits = 5 Terminator = "#-"
               Terminator -> by_terminator MaxDigits -> by_max Timeout -> silent
               InterDigitTimeout -> paused Default -> other Error -> broken }
by_terminator: End
by_max: End
silent: End
paused: End
other: End
broken: End
"##;

#[test]
fn capture_takes_the_branch_of_how_the_entry_ended() {
    let cases: [(&[&str], &str, &str); 4] = [
        (&["digits:12#"], "by_terminator", "12"),
        (&["digits:12345"], "by_max", "12345"),
        (&["timeout"], "silent", ""),
        (&["digits:12", "timeout"], "paused", "12"),
    ];
    for (list, end, pin) in cases {
        let run = simulate(CAPTURE, list);
        assert_eq!(run.end.as_deref(), Some(end), "{list:?}");
        assert_eq!(var(&run, "pin"), pin, "{list:?}");
    }
    // A branch not connected falls back to Default.
    let run = simulate(
        &CAPTURE.replace("MaxDigits -> by_max ", ""),
        &["digits:12345"],
    );
    assert_eq!(run.end.as_deref(), Some("other"));
    let run = simulate(&CAPTURE.replace("MaxDigits = 5", "MaxDigits = 2.5"), &[]);
    assert_eq!(run.end.as_deref(), Some("broken"));
    // Capture plays nothing.
    let run = simulate(CAPTURE, &["digits:1#"]);
    assert_eq!(transcript(&run), ["digits: 1#"]);
}

#[test]
fn a_capture_with_timeout_0_takes_what_is_buffered_and_never_waits() {
    let source = r#"
        start: Begin { Default -> ask }
        ask: Menu { Sequence = "Press 1" Case "1" -> drain Default -> done }
        drain: Capture { Variable = rest MaxDigits = 20 Terminator = "" Timeout = 0 InterDigitTimeout = 0
                         Timeout -> empty Default -> done }
        empty: End
        done: End
    "#;
    let run = simulate(source, &["digits:1999"]);
    assert_eq!(
        (run.end.as_deref(), var(&run, "rest")),
        (Some("done"), "999".into())
    );
    let run = simulate(source, &["digits:1"]);
    assert_eq!(
        (run.end.as_deref(), var(&run, "rest")),
        (Some("empty"), "".into())
    );
}

// ---- type-ahead

const TYPE_AHEAD: &str = r#"
start: Begin { Default -> ask }
ask: Menu { Sequence = "Press 1 for your account" Case "1" -> account Default -> done }
account: Capture { Variable = acct MaxDigits = 4 Terminator = "" MaxDigits -> confirm Default -> done }
confirm: Menu { Sequence = "Press 9 to confirm" ClearDigits = False Case "9" -> yes Default -> no }
yes: End
no: End
done: End
"#;

#[test]
fn keys_pressed_ahead_wait_in_the_buffer_for_the_next_menu_or_capture() {
    // One press of six keys feeds the Menu, the Capture and the second Menu.
    let run = simulate(TYPE_AHEAD, &["digits:112349"]);
    assert_eq!(run.end.as_deref(), Some("yes"));
    assert_eq!(var(&run, "acct"), "1234");
    assert_eq!(
        transcript(&run),
        [
            "prompt: Press 1 for your account",
            "digits: 112349",
            "prompt: Press 9 to confirm"
        ]
    );
    // ClearDigits (Menu's default) drops what was typed ahead: it waits.
    let cleared = TYPE_AHEAD.replace("ClearDigits = False ", "");
    let engine = engine();
    let script = compile(&engine, &cleared);
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            events(&["digits:112349"]),
            None,
        )
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Waiting);
    assert_eq!(sim.run.waiting.as_ref().unwrap().action, "confirm");
    let run = simulate(&cleared, &["digits:112349", "digits:9"]);
    assert_eq!(run.end.as_deref(), Some("yes"));
}

// ---- ReqAgent, Music, Wait, Stop

#[test]
fn reqagent_queues_and_goes_on_at_once() {
    let source = r#"
        start: Begin { Default -> queue }
        queue: ReqAgent { Skill = "Billing" Default -> hold }
        hold: Wait { Seconds = 30 Default -> hold }
    "#;
    let engine = engine();
    let script = compile(&engine, source);
    let run = engine.run(&script, RunOptions::default());
    let waiting = run.waiting.as_ref().unwrap();
    assert_eq!(
        (waiting.action.as_str(), waiting.queued.as_deref()),
        ("hold", Some("Billing"))
    );
    assert_eq!(transcript(&run), ["queued: Billing"]);
    // A target agent; and a run whose next action is missing completes, queued.
    let run = simulate(
        "start: Begin { Default -> queue }\nqueue: ReqAgent { TargetAgent = \"agentadmin\" }",
        &[],
    );
    assert_eq!(run.outcome, Outcome::Completed);
    assert_eq!(transcript(&run), ["queued: agent agentadmin"]);
}

#[test]
fn music_plays_seconds_then_default_or_the_whole_file_then_oncomplete() {
    let source = |props: &str| {
        format!(
            "start: Begin {{ Default -> hold }}\nhold: Music {{ MusicFile = \"Autumn-Breezes.wav\" {props} Default -> part OnComplete -> whole Error -> broken }}\npart: End\nwhole: End\nbroken: End\n"
        )
    };
    let run = simulate(&source("SecondstoPlay = 10"), &["wait:4", "wait:6"]);
    assert_eq!(run.end.as_deref(), Some("part"));
    assert_eq!(transcript(&run), ["music: Autumn-Breezes.wav (10 s)"]);
    // The whole file: 60 seconds.
    let engine = engine();
    let script = compile(&engine, &source(""));
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.to_json()["waiting"]["seconds"], 60.0);
    let run = simulate(&source(""), &["wait:60"]);
    assert_eq!(run.end.as_deref(), Some("whole"));
    // SecondstoPlay longer than what is left after StartOffset: OnComplete.
    let run = simulate(&source("StartOffset = 50 SecondstoPlay = 30"), &["wait:10"]);
    assert_eq!(run.end.as_deref(), Some("whole"));
    let run = simulate(&source("").replace("\"Autumn-Breezes.wav\"", "\"\""), &[]);
    assert_eq!(run.end.as_deref(), Some("broken"));
    assert_eq!(
        var(&run, "_ERR"),
        "MusicFile: expected the name of a music file, got \"\""
    );
}

#[test]
fn stop_idles_until_an_event() {
    let source = r#"
        start: Begin { Default -> idle }
        idle: Stop
        answered: OnAnswer { Default -> bye }
        bye: End
    "#;
    let engine = engine();
    let script = compile(&engine, source);
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.waiting.as_ref().unwrap().wait.kind(), WaitFor::Event);
    let e = engine
        .resume(&script, *run.paused.unwrap(), Event::Timeout)
        .unwrap_err();
    assert!(
        e.to_string().contains("which takes answer and hangup"),
        "{e}"
    );
    let run = simulate(source, &["answer:sysadmin"]);
    // The step whose wait an event ended is in the trace (no branch taken).
    assert_eq!(path(&run), ["start", "idle", "answered", "bye"]);
}

// ---- Hangup, End, OnRelease

const RELEASE: &str = r#"
released: OnRelease { Default -> log }
log: Assign { Variable = releases Value = "{releases}|" Default -> fin }
fin: End
"#;

#[test]
fn the_caller_hanging_up_at_every_kind_of_wait_releases_the_contact() {
    let waits = [
        (
            WaitFor::Digits,
            "w: Menu { Sequence = \"Press 1\" Timeout -> done Default -> done }",
        ),
        (WaitFor::Time, "w: Wait { Seconds = 30 Default -> done }"),
        (
            WaitFor::Http,
            "w: RestApi { ServiceAddress = \"https://crm.example/x\" Default -> done Error -> done }",
        ),
        (WaitFor::Event, "w: Stop"),
    ];
    let engine = engine();
    for (kind, action) in waits {
        let plain = format!("start: Begin {{ Default -> w }}\n{action}\ndone: End\n");
        let script = compile(&engine, &plain);
        let run = engine.run(&script, RunOptions::default());
        assert_eq!(run.waiting.as_ref().unwrap().wait.kind(), kind);
        // Without OnRelease the run completes where it waited.
        let run = simulate(&plain, &["hangup"]);
        assert_eq!(run.outcome, Outcome::Completed, "{kind}");
        assert_eq!(run.end.as_deref(), Some("w"), "{kind}");
        assert_eq!(transcript(&run).last().unwrap(), "hangup: caller", "{kind}");
        // With one, OnRelease runs once (the End after it does not run it again).
        let run = simulate(&format!("{plain}{RELEASE}"), &["hangup"]);
        assert_eq!(run.outcome, Outcome::Completed, "{kind}");
        assert_eq!(var(&run, "releases"), "|", "{kind}");
        assert_eq!(var(&run, "_CALLRESULT"), "caller", "{kind}");
        assert_eq!(var(&run, "p1"), "16", "{kind}");
        assert_eq!(var(&run, "_CAUSECODE"), "16", "{kind}");
        assert_eq!(path(&run).last().unwrap(), "fin", "{kind}");
    }
}

#[test]
fn end_runs_onrelease_once() {
    let source = format!(
        "start: Begin {{ Default -> bye }}\nbye: Play {{ Sequence = \"Goodbye\" Default -> done }}\ndone: End\n{RELEASE}"
    );
    let run = simulate(&source, &[]);
    assert_eq!(
        path(&run),
        ["start", "bye", "done", "released", "log", "fin"]
    );
    assert_eq!(var(&run, "releases"), "|");
    assert_eq!(var(&run, "_CALLRESULT"), "End");
    // OnRelease's own path may not end in End either: an unconnected branch ends it.
    let run = simulate(&source.replace(" Default -> fin", ""), &[]);
    assert_eq!(run.end.as_deref(), Some("log"));
}

#[test]
fn end_in_a_subscript_ends_only_the_subscript() {
    let mut scripts = studioflow::MemoryResolver::default();
    scripts.insert(
        "greet",
        "start: Begin { Default -> hi }\nhi: Play { Sequence = \"Hello\" Default -> done }\ndone: End",
    );
    let engine = Engine::builder().script_resolver(scripts).build();
    let script = compile(
        &engine,
        &format!(
            "start: Begin {{ Default -> call }}\ncall: RunSub {{ ScriptName = greet Default -> after }}\nafter: Assign {{ Variable = back Value = 1 Default -> done }}\ndone: End\n{RELEASE}"
        ),
    );
    let run = engine.run(&script, RunOptions::default().trace(true));
    assert_eq!(
        path(&run),
        // The subscript's steps carry their own ids (`greet:start`, ...).
        ["start", "call", "start", "hi", "done", "after", "done", "released", "log", "fin"]
    );
    assert_eq!(var(&run, "releases"), "|");
}

#[test]
fn hangup_releases_the_contact_from_anywhere() {
    let source = format!(
        "start: Begin {{ Default -> bye }}\nbye: Play {{ Sequence = \"Goodbye\" Default -> off }}\noff: Hangup\n{RELEASE}"
    );
    let run = simulate(&source, &[]);
    assert_eq!(
        path(&run),
        ["start", "bye", "off", "released", "log", "fin"]
    );
    assert_eq!(var(&run, "_CALLRESULT"), "Hangup");
    assert_eq!(transcript(&run), ["prompt: Goodbye", "hangup: script"]);
    // Without OnRelease: the run completes at the Hangup.
    let run = simulate(&source.replace(RELEASE, ""), &[]);
    assert_eq!(
        (run.outcome, run.end.as_deref()),
        (Outcome::Completed, Some("off"))
    );
    // Inside a subscript: the subscript and its caller end, OnRelease runs.
    let mut scripts = studioflow::MemoryResolver::default();
    scripts.insert("quit", "start: Begin { Default -> off }\noff: Hangup");
    let engine = Engine::builder().script_resolver(scripts).build();
    let script = compile(
        &engine,
        &format!(
            "start: Begin {{ Default -> call }}\ncall: RunSub {{ ScriptName = quit Default -> after }}\nafter: Assign {{ Variable = back Value = 1 }}\n{RELEASE}"
        ),
    );
    let run = engine.run(&script, RunOptions::default().trace(true));
    assert_eq!(
        path(&run),
        ["start", "call", "start", "off", "released", "log", "fin"]
    );
    assert!(run.variable("back").is_none_or(|v| v.to_text().is_empty()));
}

#[test]
fn after_release_stop_ends_the_script_and_media_fail() {
    let source = r#"
        start: Begin { Default -> hold }
        hold: Wait { Seconds = 10 Default -> hold }
        released: OnRelease { Default -> post }
        post: Assign { Variable = x Value = 1 Default -> idle }
        idle: Stop
    "#;
    let run = simulate(source, &["hangup"]);
    assert_eq!(
        (run.outcome, run.end.as_deref()),
        (Outcome::Completed, Some("idle"))
    );
    // A REST call in OnRelease still waits for its reply; a hangup then ends it.
    let source = r#"
        start: Begin { Default -> hold }
        hold: Wait { Seconds = 10 Default -> hold }
        released: OnRelease { Default -> post }
        post: RestApi { ServiceAddress = "https://crm.example/calls" Verb = POST Default -> done Error -> done }
        done: End
    "#;
    let run = simulate(source, &["hangup", "reply:204:"]);
    assert_eq!(
        (run.outcome, run.end.as_deref()),
        (Outcome::Completed, Some("done"))
    );
    let run = simulate(source, &["hangup", "hangup"]);
    assert_eq!(
        (run.outcome, run.end.as_deref()),
        (Outcome::Completed, Some("post"))
    );
}

// ---- OnAnswer

#[test]
fn an_agent_answering_while_the_contact_holds_runs_onanswer() {
    let holds = [
        "hold: Wait { Seconds = 60 Default -> hold }",
        "hold: Music { SecondstoPlay = 20 Default -> pause OnComplete -> pause }\npause: Wait { Seconds = 1 Default -> hold }",
        "hold: RestApi { ServiceAddress = \"https://crm.example/wait-time\" Default -> idle Error -> idle }\nidle: Stop",
    ];
    for hold in holds {
        let source = format!(
            r#"
            start: Begin {{ Default -> queue }}
            queue: ReqAgent {{ Skill = "Billing" Default -> hold }}
            {hold}
            answered: OnAnswer {{ Default -> note }}
            note: Assign {{ Variable = who Value = "{{FIRST}} {{LAST}} ({{AGENTID}}) for {{SKLNAME}}" Default -> bye }}
            bye: End
            "#
        );
        let run = simulate(&source, &["answer:agentadmin"]);
        assert_eq!(run.outcome, Outcome::Completed, "{hold}");
        assert_eq!(var(&run, "who"), "Adam Novak (1004) for Billing", "{hold}");
        assert_eq!(
            transcript(&run).last().unwrap(),
            "answered: agentadmin",
            "{hold}"
        );
        assert!(
            path(&run).ends_with(&["answered".into(), "note".into(), "bye".into()]),
            "{hold}"
        );
    }
}

#[test]
fn onanswer_writes_the_variables_its_properties_name() {
    let run = simulate(
        r#"
        start: Begin { Default -> queue }
        queue: ReqAgent { Skill = "Sales" Default -> idle }
        idle: Stop
        answered: OnAnswer { SkillNameVar = skill AgentID = agent Default -> bye }
        bye: End
        "#,
        &["answer:1002"],
    );
    assert_eq!(
        (var(&run, "skill"), var(&run, "agent"), var(&run, "FIRST")),
        ("Sales".into(), "1002".into(), "Colin".into())
    );
}

// ---- RestApi

const LOOKUP: &str = r#"
script "Lookup" type Phone
start: Begin { Default -> call }
call: REST_API { ServiceAddress = "https://crm.example/callers/{ANI}" Verb = post
                 Headers = "{{\"Accept\": \"application/json\"}}" Parameters = "{{\"ani\": \"{ANI}\"}}"
                 TimeOutInMilliSeconds = 5000 Default -> done Error -> failed }
done: End
failed: End
"#;

fn lookup(event: Event) -> Run {
    let engine = engine();
    let script = compile(&engine, LOOKUP);
    let options = RunOptions::default().var("ANI", "5551234");
    let sim = engine
        .simulate(&script, options, [event], None)
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run
}

#[test]
fn restapi_waits_for_the_request_the_host_makes() {
    let engine = engine();
    let script = compile(&engine, LOOKUP);
    let run = engine.run(&script, RunOptions::default().var("ANI", "5551234"));
    let Wait::Http { request } = &run.waiting.as_ref().unwrap().wait else {
        panic!("{:?}", run.waiting);
    };
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://crm.example/callers/5551234");
    assert_eq!(
        request.headers,
        [("Accept".to_string(), "application/json".to_string())]
    );
    assert_eq!(request.body, "{\"ani\": \"5551234\"}");
    assert_eq!(request.timeout_ms, 5000);
    assert_eq!(
        transcript(&run),
        ["http: POST https://crm.example/callers/5551234"]
    );
}

#[test]
fn any_status_is_a_reply_and_json_becomes_an_object() {
    let run = lookup(Event::Reply(
        HttpReply::new(200, r#"{"name": "Ada", "tier": "gold"}"#).header("X-Request-Id", "7"),
    ));
    assert_eq!(run.end.as_deref(), Some("done"));
    let result = run.variable("resultSet").unwrap();
    assert_eq!(
        result.to_json(),
        serde_json::json!({"name": "Ada", "tier": "gold"})
    );
    assert_eq!(var(&run, "errorArgList"), "");
    assert_eq!(
        run.variable("responseHeaders").unwrap().to_json(),
        serde_json::json!({"X-Request-Id": "7"})
    );
    // A 404 is read by the script: Default, with the status in ErrorArgs.
    let run = lookup("reply:404:no such caller".parse().unwrap());
    assert_eq!(run.end.as_deref(), Some("done"));
    assert_eq!(var(&run, "resultSet"), "no such caller");
    assert_eq!(
        run.variable("errorArgList").unwrap().to_json(),
        serde_json::json!({"StatusCode": 404, "StatusDescription": "Not Found"})
    );
}

#[test]
fn a_transport_failure_or_a_body_over_32_kb_takes_error() {
    let run = lookup(Event::HttpFailed("connection refused".into()));
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert_eq!(var(&run, "_ERR"), "the request failed: connection refused");
    let big = format!("\"{}\"", "x".repeat(32 * 1024));
    let run = lookup(Event::Reply(HttpReply::new(200, big)));
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert_eq!(
        var(&run, "_ERR"),
        "the reply body is 32770 bytes: Studio takes at most 32 KB (32768 bytes)"
    );
    // Exactly 32 KB is fine.
    let run = lookup(Event::Reply(HttpReply::new(200, "y".repeat(32 * 1024))));
    assert_eq!(run.end.as_deref(), Some("done"));
}

#[test]
fn a_request_the_properties_cannot_describe_fails_before_waiting() {
    let cases = [
        ("TimeOutInMilliSeconds = 5000", "TimeOutInMilliSeconds = 90001", "TimeOutInMilliSeconds: expected a whole number of milliseconds from 1 to 90000, got 90001"),
        ("\"https://crm.example/callers/{ANI}\"", "\"crm.example/callers\"", "ServiceAddress: expected an absolute http:// or https:// URL, got \"crm.example/callers\""),
        ("Verb = post", "Verb = \"fetch\"", "Verb: expected GET, POST, PUT, PATCH or DELETE, got \"fetch\""),
    ];
    let engine = engine();
    for (from, to, err) in cases {
        let script = compile(&engine, &LOOKUP.replace(from, to));
        let run = engine.run(&script, RunOptions::default().var("ANI", "1"));
        assert_eq!(run.end.as_deref(), Some("failed"), "{to}");
        assert_eq!(var(&run, "_ERR"), err);
        assert!(run.transcript.is_empty());
    }
    let script = compile(
        &engine,
        &LOOKUP.replace(
            "\"{{\\\"Accept\\\": \\\"application/json\\\"}}\"",
            "\"Accept: json\"",
        ),
    );
    let run = engine.run(&script, RunOptions::default().var("ANI", "1"));
    assert_eq!(
        var(&run, "_ERR"),
        "Headers: expected a JSON object of header names and values, got \"Accept: json\""
    );
}

// ---- names

#[test]
fn action_type_names_match_ignoring_case_and_rest_api_names_restapi() {
    let engine = engine();
    let script = compile(
        &engine,
        r#"
        start: Begin { Default -> ask }
        ask: MENU { Sequence = "Press 1" Case "1" -> call Default -> call }
        call: rest_api { ServiceAddress = "https://x.example" Default -> bye Error -> bye }
        bye: play { Sequence = "Bye" Default -> off }
        off: HANGUP
        gone: onrelease { Default -> log }
        log: Assign { Variable = x Value = 1 }
        "#,
    );
    let types: Vec<&str> = script.flow().iter().map(|a| &*a.action_type).collect();
    assert_eq!(
        types,
        [
            "Begin",
            "Menu",
            "RestApi",
            "Play",
            "Hangup",
            "OnRelease",
            "Assign"
        ]
    );
    assert!(studioflow::EngineBuilder::is_builtin_action("rest_api"));
}

// ---- check

fn codes(diagnostics: &studioflow::Diagnostics) -> Vec<DiagnosticCode> {
    diagnostics.items().iter().map(|d| d.code).collect()
}

#[test]
fn event_actions_are_roots_not_unreachable() {
    let engine = engine();
    let script = compile(
        &engine,
        r#"
        start: Begin { Default -> idle }
        idle: Stop
        answered: OnAnswer { Default -> note }
        note: Assign { Variable = who Value = FIRST Default -> bye }
        bye: End
        released: OnRelease { Default -> log }
        log: Assign { Variable = why Value = "{p1} {_CALLRESULT} {_CAUSECODE}" }
        "#,
    );
    // (What OnRelease sets is not read "but never assigned" either.)
    assert!(script.warnings().is_empty(), "{}", script.warnings());
    // Something neither Begin nor an event reaches still is.
    let script = compile(
        &engine,
        "start: Begin { Default -> idle }\nidle: Stop\nlost: End\n",
    );
    assert_eq!(
        codes(script.warnings()),
        [DiagnosticCode::UnreachableAction]
    );
}

#[test]
fn a_menu_or_capture_a_silent_caller_cannot_leave_is_a_warning() {
    let engine = engine();
    let with = |action: &str| {
        let script = compile(
            &engine,
            &format!("start: Begin {{ Default -> m }}\n{action}\none: End\n"),
        );
        codes(script.warnings())
    };
    assert_eq!(
        with("m: Menu { Case \"1\" -> one }"),
        [DiagnosticCode::UnhandledTimeout]
    );
    assert_eq!(
        with("m: Capture { MaxDigits -> one Terminator -> one }"),
        [DiagnosticCode::UnhandledTimeout]
    );
    assert!(with("m: Menu { Case \"1\" -> one Timeout -> one }").is_empty());
    assert!(with("m: Capture { Default -> one }").is_empty());
    let script = compile(
        &engine,
        "start: Begin { Default -> m }\nm: Menu { Case \"1\" -> one }\none: End\n",
    );
    let warning = &script.warnings().items()[0];
    assert_eq!(
        warning.message,
        "Menu `m` has neither Timeout nor Default connected: a caller who presses nothing gets stuck here (connect Timeout or Default)"
    );
}

#[test]
fn music_connected_to_itself_is_a_warning() {
    let engine = engine();
    let script = compile(
        &engine,
        "start: Begin { Default -> m }\nm: Music { OnComplete -> m Default -> m }\n",
    );
    assert_eq!(codes(script.warnings()), [DiagnosticCode::MusicSelfLoop]);
    let script = compile(
        &engine,
        "start: Begin { Default -> m }\nm: Music { OnComplete -> w Default -> w }\nw: Wait { Seconds = 1 Default -> m }\n",
    );
    assert!(script.warnings().is_empty());
}

#[test]
fn a_second_onrelease_and_media_after_onrelease_are_errors() {
    let engine = engine();
    let err = engine
        .compile(
            "start: Begin { Default -> done }\ndone: End\none: OnRelease\ntwo: OnRelease\n",
            "t.script",
        )
        .unwrap_err();
    assert_eq!(codes(&err), [DiagnosticCode::SecondOnRelease]);
    assert_eq!(
        err.items()[0].message,
        "a second OnRelease (the first is `one` on line 3): a script has at most one"
    );
    let err = engine
        .compile(
            r#"start: Begin { Default -> hi }
hi: Play { Sequence = "Hi" Default -> done }
done: End
released: OnRelease { Default -> log }
log: Assign { Variable = x Value = 1 Default -> bye }
bye: Play { Sequence = "Bye" Default -> ask }
ask: Menu { Sequence = "Rate us" Default -> hi Timeout -> hi }"#,
            "t.script",
        )
        .unwrap_err();
    assert_eq!(
        codes(&err),
        [
            DiagnosticCode::MediaAfterRelease,
            DiagnosticCode::MediaAfterRelease,
            DiagnosticCode::MediaAfterRelease
        ]
    );
    let messages: Vec<&str> = err.items().iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages[0].starts_with(
            "`hi` plays to or listens to the caller, but OnRelease `released` reaches it"
        ),
        "{messages:?}"
    );
    assert!(messages[1].starts_with("`bye`"), "{messages:?}");
    assert!(messages[2].starts_with("`ask`"), "{messages:?}");
}

// ---- pause

#[test]
fn a_waiting_menu_travels_as_sealed_bytes_with_its_entry_so_far() {
    let key = PauseKey::from_hex(&"3c".repeat(32)).unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2026-12-06T10:00:00Z".parse().unwrap();
    let engine = engine();
    let script = compile(&engine, ACCOUNT);
    let run = engine.run(&script, RunOptions::default());
    let run = engine
        .resume(&script, *run.paused.unwrap(), Event::Digits("12".into()))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Waiting);
    assert_eq!(run.to_json()["waiting"]["entered"], "12");
    let bytes = key.seal(&run.paused.unwrap(), now, Duration::from_secs(60));
    let paused = key.open(&bytes, now).unwrap();
    assert_eq!(paused.waiting().action, "ask");
    let run = engine
        .resume(&script, paused, Event::Digits("34#".into()))
        .unwrap();
    assert_eq!(run.end.as_deref(), Some("known"));
    assert_eq!(var(&run, "MRES"), "1234");
}

// ---- graph

#[test]
fn graphs_draw_event_actions_as_entry_points_of_their_own() {
    use studioflow::graph::{render, FlowGraph, Format, NodeKind};
    let engine = engine();
    let script = compile(
        &engine,
        r#"
        start: Begin { Default -> idle }
        idle: Stop
        answered: OnAnswer { Default -> bye }
        bye: End
        released: OnRelease { Default -> log }
        log: Assign { Variable = x Value = 1 }
        "#,
    );
    let flow = FlowGraph::from_script(&script);
    let kinds: Vec<NodeKind> = flow.nodes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds[2], NodeKind::Event);
    assert_eq!(kinds[4], NodeKind::Event);
    assert_eq!(flow.roots(), [0, 2, 4]);
    assert!(flow.nodes.iter().all(|n| n.reachable));
    let svg = render(&flow, Format::Svg);
    assert_eq!(svg.matches("class=\"node kind-entry kind-event").count(), 2);
    assert!(svg.contains("(event: runs when the contact is released)"));
    // Laid out as roots: the event actions sit in Begin's row, at the top.
    let top = |id: &str| {
        let at = svg.find(&format!("data-action=\"{id}\"")).unwrap();
        let y = &svg[at..].split("y=\"").nth(1).unwrap();
        y.split('"').next().unwrap().parse::<f64>().unwrap()
    };
    assert_eq!(top("answered"), top("start"));
    assert_eq!(top("released"), top("start"));
    assert!(top("log") > top("released"));
    let dot = render(&flow, Format::Dot);
    assert!(
        dot.contains("n2 [label=\"answered\\nOnAnswer\", shape=box, peripheries=2"),
        "{dot}"
    );
    let mermaid = render(&flow, Format::Mermaid);
    assert!(
        mermaid.contains("n4(((\"released<br/>OnRelease\")))"),
        "{mermaid}"
    );
}
