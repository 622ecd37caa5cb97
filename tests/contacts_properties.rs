//! Properties of contacts, over generated flows and events:
//! - a contact paused to bytes and resumed at every wait (a new engine
//!   call per event, as another process would) ends exactly as the same
//!   contact simulated in memory in one go (`Engine::simulate`): the same
//!   outcome, variables, steps, trace and transcript (virtual times
//!   included), the same refusals at the same event;
//! - an event's text reads back as the event (`Event::from_str` of
//!   `to_string`).

use std::time::Duration;

use proptest::prelude::*;
use studioflow::{Engine, Event, HttpReply, Outcome, PauseKey, Run, RunOptions};

/// One step of a generated flow; targets are step indices (the flow's
/// length is its End).
#[derive(Debug, Clone)]
enum Step {
    Add {
        var: u8,
        by: i8,
    },
    Wait {
        seconds: f64,
    },
    Menu {
        max_digits: u8,
        clear: bool,
        one: usize,
    },
    Loop {
        repeat: u8,
        back: usize,
    },
    If {
        var: u8,
        below: i8,
        yes: usize,
    },
    /// A Snippet making `requests` REST requests in a FOR.
    Rest {
        requests: u8,
    },
}

fn step(len: usize) -> impl Strategy<Value = Step> {
    let target = 0..=len;
    prop_oneof![
        2 => (0..3u8, -3..4i8).prop_map(|(var, by)| Step::Add { var, by }),
        3 => prop::sample::select(vec![0.0, 0.5, 1.0, 2.5, 7.0]).prop_map(|seconds| Step::Wait { seconds }),
        4 => (1..4u8, any::<bool>(), target.clone()).prop_map(|(max_digits, clear, one)| Step::Menu { max_digits, clear, one }),
        1 => (0..4u8, target.clone()).prop_map(|(repeat, back)| Step::Loop { repeat, back }),
        1 => (0..3u8, -2..6i8, target).prop_map(|(var, below, yes)| Step::If { var, below, yes }),
        2 => (1..4u8).prop_map(|requests| Step::Rest { requests }),
    ]
}

/// The steps, and whether the script has OnAnswer and OnRelease.
fn flow() -> impl Strategy<Value = (Vec<Step>, bool)> {
    (
        (1..9usize).prop_flat_map(|len| prop::collection::vec(step(len), len)),
        any::<bool>(),
    )
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        5 => "[0-9*#]{1,3}".prop_map(Event::Digits),
        2 => Just(Event::Timeout),
        5 => prop::sample::select(vec![0.0, 0.25, 1.0, 2.5, 6.0, 30.0]).prop_map(Event::Wait),
        1 => Just(Event::Hangup),
        1 => Just(Event::Answer("agentadmin".into())),
        4 => (prop::sample::select(vec![200u16, 404, 500]), 0..5u8)
            .prop_map(|(status, n)| Event::Reply(HttpReply::new(status, format!("{{\"n\": {n}}}")))),
    ]
}

/// The flow as a script: `v0`..`v2` start at 0; every step goes on to the
/// next unless it jumps.
fn script_text(steps: &[Step], event_actions: bool) -> String {
    let name = |i: usize| {
        if i >= steps.len() {
            "end".to_string()
        } else {
            format!("s{i}")
        }
    };
    let mut out = String::from(
        "start: Begin { Default -> v0 }\nv0: Assign { Variable = v0 Value = 0 Default -> v1 }\nv1: Assign { Variable = v1 Value = 0 Default -> v2 }\nv2: Assign { Variable = v2 Value = 0 Default -> s0 }\n",
    );
    for (i, s) in steps.iter().enumerate() {
        let (me, next) = (name(i), name(i + 1));
        let line = match s {
            Step::Add { var, by } => {
                format!("{me}: Assign {{ Variable = v{var} Value = v{var} + {by} Default -> {next} }}")
            }
            Step::Wait { seconds } => format!("{me}: Wait {{ Seconds = {seconds} Default -> {next} }}"),
            Step::Menu { max_digits, clear, one } => format!(
                "{me}: Menu {{ Sequence = \"menu {i}\" MaxDigits = {max_digits} ClearDigits = {clear} Variable = m{i} Case \"1\" -> {} Case \"22\" -> {next} Timeout -> {next} Default -> {next} }}",
                name(*one)
            ),
            Step::Loop { repeat, back } => format!(
                "{me}: Loop {{ Repeat = {repeat} Repeat -> {} Finished -> {next} }}",
                name(*back)
            ),
            Step::If { var, below, yes } => format!(
                "{me}: If {{ Expression = v{var} < {below} True -> {} False -> {next} }}",
                name(*yes)
            ),
            Step::Rest { requests } => format!(
                "{me}: Snippet {{ Data = \"\"\"\n ASSIGN p = GetRESTProxy()\n FOR j = 1 TO {requests} {{\n ASSIGN r = p.MakeRestRequest(\"https://crm.example/{i}/{{j}}\", \"\", 0, \"GET\")\n v0 = v0 + r.n\n FOR k = 1 TO 6 {{ ASSIGN w{i} = k }}\n }}\n ASSIGN s{i} = p.StatusCode\n\"\"\" Default -> {next} Error -> {next} }}"
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("end: End\n");
    if event_actions {
        out.push_str(
            "ans: OnAnswer { Default -> ansA }\nansA: Assign { Variable = v1 Value = v1 + 10 Default -> ansW }\nansW: Wait { Seconds = 1 Default -> s0 }\nrel: OnRelease { Default -> relA }\nrelA: Assign { Variable = v2 Value = 99 Default -> relW }\nrelW: Wait { Seconds = 2 Default -> end }\n",
        );
    }
    out
}

/// What two ways of running a contact must agree on.
#[derive(Debug, PartialEq)]
struct Seen {
    outcome: Outcome,
    end: Option<String>,
    error: Option<String>,
    steps: u64,
    variables: serde_json::Value,
    trace: Vec<(u64, String, Option<String>)>,
    transcript: Vec<(u64, String, String, String, f64)>,
    waiting: Option<serde_json::Value>,
    /// What a waiting run would be paused as (but the host's clock).
    pause: Option<serde_json::Value>,
}

fn seen(
    run: &Run,
    trace: &[(u64, String, Option<String>)],
    transcript: &[(u64, String, String, String, f64)],
) -> Seen {
    Seen {
        outcome: run.outcome,
        end: run.end.clone(),
        error: run.error.as_ref().map(|e| e.message.clone()),
        steps: run.steps,
        variables: run.variables.to_json(),
        trace: trace.to_vec(),
        transcript: transcript.to_vec(),
        waiting: run.waiting.as_ref().map(|w| w.to_json()),
        pause: run.paused.as_ref().map(|p| {
            let key = PauseKey::new(vec![1u8; 32]).unwrap();
            let bytes = key.seal(p, chrono::DateTime::UNIX_EPOCH, Duration::from_secs(1));
            let text = String::from_utf8(bytes).unwrap();
            let mut json: serde_json::Value =
                serde_json::from_str(text.splitn(3, '\n').nth(2).unwrap()).unwrap();
            json.as_object_mut().unwrap().remove("clock");
            json
        }),
    }
}

fn trace_of(run: &Run) -> Vec<(u64, String, Option<String>)> {
    run.trace
        .iter()
        .flatten()
        .map(|s| {
            (
                s.step,
                s.action.to_string(),
                s.branch.as_deref().map(String::from),
            )
        })
        .collect()
}

fn transcript_of(run: &Run) -> Vec<(u64, String, String, String, f64)> {
    run.transcript
        .iter()
        .map(|t| {
            let kind = t.to_json()["kind"].as_str().unwrap_or_default().to_string();
            (t.step, t.action.to_string(), kind, t.text.to_string(), t.at)
        })
        .collect()
}

/// The contact in one go, in memory: what it shows, and the index of a
/// refused event (or how many events were left unused).
fn in_memory(engine: &Engine, text: &str, events: &[Event]) -> (Seen, Result<usize, usize>) {
    let script = engine.compile(text, "flow.script").unwrap();
    match engine.simulate(&script, options(), events.to_vec(), None) {
        Ok(sim) => {
            let run = &sim.run;
            (
                seen(run, &trace_of(run), &transcript_of(run)),
                Ok(sim.unused.len()),
            )
        }
        Err(e) => {
            let run = &e.run;
            (seen(run, &trace_of(run), &transcript_of(run)), Err(e.index))
        }
    }
}

/// The same contact paused to bytes at every wait and resumed by a fresh
/// engine (nothing shared but the text, the key and the bytes).
fn through_bytes(text: &str, events: &[Event]) -> (Seen, Result<usize, usize>) {
    let key = PauseKey::new(vec![7u8; 32]).unwrap();
    let now = chrono::Utc::now();
    let fresh = || {
        let engine = engine();
        let script = engine.compile(text, "flow.script").unwrap();
        (engine, script)
    };
    let (engine, script) = fresh();
    let mut run = engine.run(&script, options());
    let mut trace = trace_of(&run);
    let mut transcript = transcript_of(&run);
    let mut used = 0;
    while run.outcome == Outcome::Waiting && used < events.len() {
        let bytes = key.seal(run.paused.as_ref().unwrap(), now, Duration::from_secs(60));
        let (engine, script) = fresh();
        let paused = key.open(&bytes, now).unwrap();
        match engine.resume_with(&script, paused, events[used].clone(), options()) {
            Ok(next) => {
                trace.extend(trace_of(&next));
                transcript.extend(transcript_of(&next));
                run = next;
                used += 1;
            }
            Err(_) => return (seen(&run, &trace, &transcript), Err(used)),
        }
    }
    (seen(&run, &trace, &transcript), Ok(events.len() - used))
}

/// The demo tenant (for `answer:agentadmin`) and a Snippet statement
/// budget small enough for the generated flows to reach.
fn engine() -> Engine {
    Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(studioflow::Limits::default().max_snippet_statements(150))
        .build()
}

fn options() -> RunOptions {
    RunOptions::default().trace(true).max_steps(400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pausing_to_bytes_at_every_wait_changes_nothing(
        (steps, event_actions) in flow(),
        events in prop::collection::vec(event(), 0..10),
    ) {
        let text = script_text(&steps, event_actions);
        let engine = engine();
        let (memory, memory_end) = in_memory(&engine, &text, &events);
        let (bytes, bytes_end) = through_bytes(&text, &events);
        prop_assert_eq!(memory_end, bytes_end, "{}", text);
        prop_assert_eq!(memory, bytes, "{}", text);
    }

    #[test]
    fn an_event_reads_back_from_its_text(event in any_event()) {
        let text = event.to_string();
        let back: Event = text.parse().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        prop_assert_eq!(back, event);
    }
}

/// Any event the command line can write (a transport failure is a host's
/// event, with no text form).
fn any_event() -> impl Strategy<Value = Event> {
    let year = 366.0 * 24.0 * 3600.0;
    prop_oneof![
        "[0-9*#]{1,1024}".prop_map(Event::Digits),
        Just(Event::Timeout),
        Just(Event::Hangup),
        // An agent is trimmed when read: generated without white space at
        // its ends (any character, `:` included, inside).
        "[^\\s]([^\\n]{0,60}[^\\s])?"
            .prop_filter("at most 256 bytes", |a| a.len() <= 256)
            .prop_map(Event::Answer),
        prop_oneof![
            Just(0.0),
            Just(year),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            0.0..=year,
            0.0..1e-6,
        ]
        .prop_map(Event::Wait),
        (100u16..=599, ".{0,200}")
            .prop_map(|(status, body)| Event::Reply(HttpReply::new(status, body))),
    ]
}

#[test]
fn the_generated_scripts_compile_and_wait() {
    // The generator is worth its cases: a flow with a Menu waits.
    let steps = vec![
        Step::Add { var: 0, by: 1 },
        Step::Menu {
            max_digits: 2,
            clear: false,
            one: 0,
        },
        Step::Loop { repeat: 1, back: 1 },
        Step::If {
            var: 0,
            below: 2,
            yes: 0,
        },
        Step::Wait { seconds: 2.5 },
    ];
    let text = script_text(&steps, true);
    let engine = engine();
    let script = engine.compile(&text, "flow.script").unwrap();
    let run = engine.run(&script, options());
    assert_eq!(run.outcome, Outcome::Waiting, "{text}");
    let events: Vec<Event> = ["digits:1", "digits:22", "timeout", "wait:2.5", "wait:1"]
        .iter()
        .map(|e| e.parse().unwrap())
        .collect();
    let (memory, memory_end) = in_memory(&engine, &text, &events);
    let (bytes, bytes_end) = through_bytes(&text, &events);
    assert_eq!(memory_end, bytes_end);
    assert_eq!(memory, bytes);
    assert!(memory.transcript.len() >= 4, "{:?}", memory.transcript);
    assert!(
        memory.transcript.iter().any(|t| t.4 > 0.0),
        "virtual time passed"
    );
}
