//! Contacts attacked from outside: pause files that are random, cut short
//! or signed over hostile JSON; events at their edges; identity and
//! privileges across a pause; limits on resume; the command line's
//! `resume` on hostile files and its determinism. Never a panic, a hang or
//! unbounded memory: a clear error, or a clean run error.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value as J};
use sha2::Sha256;
use studioflow::permissions::{AgentStatus, Directory};
use studioflow::{
    Engine, Event, MemoryResolver, Outcome, PauseError, PauseKey, PausedRun, ResumeError, Run,
    RunOptions, Script, TranscriptKind, Value,
};

const KEY_BYTE: u8 = 0x5a;

fn key() -> PauseKey {
    PauseKey::new(vec![KEY_BYTE; 32]).unwrap()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-12-06T10:00:00Z".parse().unwrap()
}

fn ev(text: &str) -> Event {
    text.parse().unwrap()
}

fn seal(run: &Run) -> Vec<u8> {
    let paused = run.paused.as_ref().expect("a waiting run");
    key().seal(paused, now(), Duration::from_secs(3600))
}

/// The JSON of sealed bytes.
fn payload(bytes: &[u8]) -> J {
    let text = std::str::from_utf8(bytes).unwrap();
    serde_json::from_str(text.splitn(3, '\n').nth(2).unwrap()).unwrap()
}

/// `json` signed with the known key, as a pause of format version 1: what
/// a holder of the key (or a bug) could make.
fn sign(json: &str) -> Vec<u8> {
    let header = "studioflow-pause 1\n";
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[KEY_BYTE; 32]).unwrap();
    mac.update(header.as_bytes());
    mac.update(json.as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{header}{signature}\n{json}\n").into_bytes()
}

fn open(payload: &J) -> Result<PausedRun, PauseError> {
    key().open(&sign(&payload.to_string()), now())
}

fn malformed(payload: &J) -> String {
    match open(payload) {
        Err(PauseError::Malformed(why)) => why,
        other => panic!("expected a malformed pause, got {other:?}"),
    }
}

fn engine() -> Engine {
    let mut scripts = MemoryResolver::default();
    scripts.insert(
        "hold",
        "start: Begin { Default -> w }\nw: Wait { Seconds = p1 Default -> r }\nr: Return { ReturnValue = \"held {p1}\" }",
    );
    Engine::builder()
        .directory(Directory::demo())
        .script_resolver(scripts)
        .build()
}

/// Scripts waiting at each kind of wait, inside a subscript, in a Snippet.
const BASES: &[(&str, &str)] = &[
    (
        "sub.script",
        "start: Begin { Default -> a }\na: Assign { Variable = big Value = \"xyz\" Default -> l }\nl: Loop { Repeat = 2 Repeat -> call Finished -> done }\ncall: RunSub { ScriptName = hold Parameters = 3 ReturnVariable = got Default -> l }\ndone: End",
    ),
    (
        "menu.script",
        "start: Begin { Default -> m }\nm: Menu { Sequence = \"hi\" MaxDigits = 2 Case \"1\" -> done Case \"22\" -> done Default -> c Timeout -> c }\nc: Capture { MaxDigits = 3 Variable = cap Default -> done }\ndone: End",
    ),
    (
        "rest.script",
        "start: Begin { Default -> calc }\ncalc: Snippet { Data = \"\"\"\n ASSIGN p = GetRESTProxy()\n ASSIGN names = \"\"\n FOR i = 1 TO 3 {\n ASSIGN r = p.MakeRestRequest(\"https://crm.example/{i}\", \"\", 0, \"GET\")\n names = \"{names}{r.name};\"\n }\n\"\"\" Default -> done }\ndone: End",
    ),
    (
        "queue.script",
        "start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"sysadmin\" Default -> q Error -> q }\nq: ReqAgent { Skill = \"Sales\" Default -> music }\nmusic: Music { MusicFile = \"a.wav\" SecondstoPlay = 20 Default -> w OnComplete -> w }\nw: Wait { Seconds = 2 Default -> music }\nans: OnAnswer { Default -> s }\ns: Stop\nrel: OnRelease { Default -> bye }\nbye: End",
    ),
    ("stop.script", "start: Begin { Default -> s }\ns: Stop"),
];

fn base(engine: &Engine, index: usize) -> (Script, Run) {
    let (name, text) = BASES[index];
    let script = engine.compile(text, name).unwrap();
    let run = engine.run(&script, RunOptions::default().trace(true));
    assert_eq!(run.outcome, Outcome::Waiting, "{name}: {:?}", run.error);
    (script, run)
}

fn every_event() -> Vec<Event> {
    [
        "digits:1",
        "digits:22",
        "timeout",
        "wait:3",
        "wait:0",
        "reply:200:{\"name\":\"A\"}",
        "hangup",
        "answer:agentadmin",
    ]
    .iter()
    .map(|e| ev(e))
    .collect()
}

/// Every path to a node of `v`, as JSON pointer parts.
fn nodes(v: &J, path: &mut Vec<J>, out: &mut Vec<Vec<J>>) {
    out.push(path.clone());
    let children: Vec<(J, &J)> = match v {
        J::Array(a) => a.iter().enumerate().map(|(i, x)| (json!(i), x)).collect(),
        J::Object(o) => o.iter().map(|(k, x)| (json!(k), x)).collect(),
        _ => Vec::new(),
    };
    for (step, child) in children {
        path.push(step);
        nodes(child, path, out);
        path.pop();
    }
}

fn node<'a>(v: &'a mut J, path: &[J]) -> &'a mut J {
    path.iter().fold(v, |v, step| match step {
        J::Number(n) => &mut v[n.as_u64().unwrap() as usize],
        J::String(s) => &mut v[s.as_str()],
        _ => unreachable!(),
    })
}

// ------------------------------------------------------------ pause files

/// A change made to a pause's JSON.
type Edit = fn(&mut J);

#[test]
fn random_bytes_are_never_a_pause() {
    // A fixed generator: the same bytes on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for len in [0usize, 1, 2, 17, 18, 19, 64, 100, 1000, 70_000] {
        for prefix in ["", "studioflow-pause 1\n", "studioflow-pause 1\n00\n{}"] {
            let mut bytes = prefix.as_bytes().to_vec();
            bytes.extend((0..len).map(|_| next() as u8));
            let e = key().open(&bytes, now()).unwrap_err();
            match prefix {
                "" => assert!(
                    matches!(e, PauseError::NotAPause | PauseError::Version { .. }),
                    "{e:?}"
                ),
                _ => assert_eq!(e, PauseError::Signature, "{len} bytes after {prefix:?}"),
            }
        }
    }
    // A first line that is not text.
    assert_eq!(
        key().open(b"\xff\xfe\n", now()).unwrap_err(),
        PauseError::NotAPause
    );
}

#[test]
fn a_real_pause_cut_at_every_length_is_refused() {
    let engine = engine();
    for (index, (name, _)) in BASES.iter().enumerate() {
        let (_, run) = base(&engine, index);
        let bytes = seal(&run);
        for cut in 0..bytes.len() - 1 {
            let e = key().open(&bytes[..cut], now());
            assert!(e.is_err(), "{name}: cut at {cut} was accepted");
        }
        // The final newline is optional: the signed text is the same.
        assert!(key().open(&bytes[..bytes.len() - 1], now()).is_ok());
        assert!(key().open(&bytes, now()).is_ok());
    }
}

/// Every node of every base pause replaced by a hostile value, signed with
/// the key, then resumed with every event: a clear refusal or a run, never
/// a panic.
#[test]
fn every_node_replaced_by_a_hostile_value_never_panics() {
    let engine = engine();
    let hostile = [
        json!(-1),
        json!(0),
        json!(2),
        json!(u32::MAX),
        json!(u64::MAX),
        json!(1e308),
        json!(-1e308),
        json!(0.5),
        json!(""),
        json!("x"),
        json!("Mars/Base"),
        json!(null),
        json!(true),
        json!([]),
        json!({}),
        json!([[0, [null]]]),
        json!({"l": 4_000_000_000u64}),
        json!({"for": "event"}),
        json!({"for": "time", "seconds": 5}),
        json!({"for": "digits", "max_digits": 0, "terminator": "ab", "entered": "zz", "timeout": 1}),
    ];
    let mut panics = Vec::new();
    let mut resumed = 0;
    for (index, (name, _)) in BASES.iter().enumerate() {
        let (script, run) = base(&engine, index);
        let pause = payload(&seal(&run));
        let mut paths = Vec::new();
        nodes(&pause, &mut Vec::new(), &mut paths);
        for path in paths {
            for h in &hostile {
                let mut p = pause.clone();
                *node(&mut p, &path) = h.clone();
                let Ok(paused) = open(&p) else { continue };
                for e in every_event() {
                    resumed += 1;
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let _ = engine.resume_with(
                            &script,
                            paused.clone(),
                            e.clone(),
                            RunOptions::default().trace(true),
                        );
                    }));
                    if result.is_err() {
                        panics.push(format!("{name} {path:?} = {h}, then {e}"));
                    }
                }
            }
        }
    }
    assert!(resumed > 5_000, "only {resumed} hostile pauses opened");
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
}

#[test]
fn hostile_value_tokens_are_refused_naming_the_problem() {
    let engine = engine();
    let (_, run) = base(&engine, 0);
    let pause = payload(&seal(&run));
    let cases: &[(J, &str)] = &[
        (json!([{"l": 4_000_000_000u64}]), "a value ends early"),
        (
            json!([{"l": 4_000_000_000u64}, 1, 2, 3]),
            "a value ends early",
        ),
        (json!([{"o": 2}, "a", 1, "a", 2]), "a duplicate key `a`"),
        (json!([{"o": 1}, 1, 2]), "an object member without a key"),
        (json!([1, 2]), "tokens after the value"),
        (json!([]), "a value ends early"),
        (json!([[1]]), "an unexpected list token"),
        (json!([{"x": 1}]), "an unknown token `x`"),
        (json!([{}]), "an empty token"),
        (json!([{"l": 1, "o": 1}, 1]), "not one tag and its body"),
        (json!([{"l": -1}]), "invalid value: integer `-1`"),
        (json!([{"l": 1.5}]), "invalid type: floating point"),
        (json!([{"d": "yesterday"}]), "a bad datetime `yesterday`"),
        (json!([{"u": {"tz": "UTC"}}]), "missing field `id`"),
        (json!([{"u": {"id": -5}}]), "invalid value: integer `-5`"),
        (json!("abc"), "invalid type: string"),
    ];
    for (tokens, says) in cases {
        let mut p = pause.clone();
        p["frames"][1]["vars"] = json!([[0, tokens]]);
        let why = malformed(&p);
        assert!(why.contains(says), "{tokens}: {why}");
    }
    // A number too large for JSON's doubles is refused by the parser.
    let text = pause
        .to_string()
        .replacen("\"vars\":[", "\"vars\":[[0,[1e999]],", 1);
    assert!(
        matches!(
            key().open(&sign(&text), now()),
            Err(PauseError::Malformed(_))
        ),
        "{text}"
    );
    // Duplicate keys in the payload itself.
    let text = pause
        .to_string()
        .replacen("\"steps\":", "\"steps\":1,\"steps\":", 1);
    let e = key().open(&sign(&text), now()).unwrap_err();
    assert!(e.to_string().contains("duplicate field `steps`"), "{e}");
}

#[test]
fn deep_and_long_values_read_without_recursion_within_a_token_budget() {
    let engine = engine();
    let (_, run) = base(&engine, 0);
    let pause = payload(&seal(&run));
    let with_tokens = |tokens: String| {
        let mut p = pause.clone();
        p["frames"][1]["vars"] = json!([[0, "TOKENS"]]);
        let text = p.to_string().replace("\"TOKENS\"", &tokens);
        key().open(&sign(&text), now())
    };
    // A million levels deep: refused as it is read, without recursing (a
    // stack overflow would abort this test).
    let deep = |depth: usize| format!("[{}null]", "{\"l\":1},".repeat(depth));
    let e = with_tokens(deep(1_000_000)).unwrap_err();
    assert!(
        e.to_string()
            .contains("a value nested deeper than 1024 lists and objects"),
        "{e}"
    );
    assert!(with_tokens(deep(1025)).is_err());
    // 1,024 levels read, and a run holding them resumes, shows them and
    // drops them on a test thread's stack.
    let script = engine
        .compile(
            "start: Begin { Default -> mark }\nmark: Assign { Variable = v Value = \"MARK\" Default -> w }\nw: Wait { Seconds = 1 Default -> show }\nshow: Assign { Variable = t Value = \"{v}\" Default -> done }\ndone: End",
            "deep.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    let text = String::from_utf8(seal(&run)).unwrap();
    let text = text.splitn(3, '\n').nth(2).unwrap().trim_end();
    assert!(text.contains("[\"MARK\"]"), "{text}");
    let text = text.replace("[\"MARK\"]", &deep(1024));
    let paused = key().open(&sign(&text), now()).unwrap();
    let run = engine.resume(&script, paused, ev("wait:1")).unwrap();
    assert_ne!(run.outcome, Outcome::Waiting);
    let _ = run.to_json().to_string();
    drop(run);
    // Three million tokens read; more than four million are refused,
    // whatever the file's size allows.
    let long = |n: usize| format!("[{{\"l\":{n}}}{}]", ",0".repeat(n));
    assert!(with_tokens(long(3_000_000)).is_ok());
    let e = with_tokens(long(4_200_000)).unwrap_err();
    assert!(
        e.to_string()
            .contains("it holds more values than a paused run may hold"),
        "{e}"
    );
    // A memo's nodes count too.
    let mut p = pause.clone();
    p["memo"] = json!("MEMO");
    let memo = format!("[{}0]", "0,".repeat(4_200_000));
    let text = p.to_string().replace("\"MEMO\"", &memo);
    let e = key().open(&sign(&text), now()).unwrap_err();
    assert!(e.to_string().contains("more values than"), "{e}");
}

#[test]
fn frames_that_do_not_hold_together_are_refused() {
    let engine = engine();
    let (_, run) = base(&engine, 0);
    let pause = payload(&seal(&run));
    // Innermost first: frame 0 is the subscript's, frame 1 the script's.
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a unit past the call graph",
            |p| p["frames"][0]["unit"] = json!(2),
            "frame 0 is in script 2 of a call graph of 2",
        ),
        (
            "the outermost frame in a subscript",
            |p| p["frames"][1]["unit"] = json!(1),
            "frame 1 is in script 1",
        ),
        (
            "an action past the frame's",
            |p| p["frames"][1]["action"] = json!(5),
            "frame 1 is at action 5 of 5",
        ),
        ("no frames", |p| p["frames"] = json!([]), "no frames"),
        (
            "a slot past the frame's",
            |p| p["frames"][1]["vars"] = json!([[9, [1]]]),
            "variable slot 9 out of range",
        ),
        (
            "a counter past the frame's",
            |p| p["frames"][1]["counters"] = json!([[9, 1]]),
            "counter 9 out of range",
        ),
        (
            "a frame too large",
            |p| p["frames"][1]["slots"] = json!(2_000_000),
            "a frame larger than any script",
        ),
        (
            "frames too large together",
            |p| {
                let frame = p["frames"][0].clone();
                let mut big = frame.clone();
                big["slots"] = json!(1_000_000);
                let frames: Vec<J> = std::iter::repeat_n(big, 5)
                    .chain([p["frames"][1].clone()])
                    .collect();
                p["frames"] = json!(frames);
            },
            "in all: more than any run holds",
        ),
        (
            "too many frames",
            |p| {
                let frame = p["frames"][0].clone();
                let frames: Vec<J> = std::iter::repeat_n(frame, 5000)
                    .chain([p["frames"][1].clone()])
                    .collect();
                p["frames"] = json!(frames);
            },
            "5001 frames",
        ),
        (
            "a negative time left",
            |p| p["waiting"]["wait"]["seconds"] = json!(-1.0),
            "the wait's time left is negative",
        ),
        (
            "a negative contact time",
            |p| p["contact"]["elapsed"] = json!(-0.5),
            "the contact's time is negative",
        ),
        (
            "negative spare time",
            |p| p["contact"]["spare"] = json!(-3),
            "the contact's spare time is negative",
        ),
        (
            "an unknown time zone",
            |p| p["time_zone"] = json!("Mars/Base"),
            "unknown time zone `Mars/Base`",
        ),
        (
            "a bad clock",
            |p| p["clock"] = json!("noon"),
            "bad time `noon`",
        ),
        (
            "an unknown field",
            |p| p["extra_field"] = json!(1),
            "unknown field `extra_field`",
        ),
    ];
    for (what, edit, says) in cases {
        let mut p = pause.clone();
        edit(&mut p);
        let why = malformed(&p);
        assert!(why.contains(says), "{what}: {why}");
    }
}

/// The frames of a pause are checked against the script when it resumes:
/// a frame with more actions or fewer variables than its script must be
/// refused, not index past the script.
#[test]
fn a_frame_that_does_not_fit_its_script_is_refused_on_resume() {
    let engine = engine();
    let edits: [(&str, Edit); 3] = [
        ("actions declared larger", |p| {
            for f in p["frames"].as_array_mut().unwrap() {
                f["actions"] = json!(100_000);
                f["action"] = json!(99_999);
            }
        }),
        ("no slots", |p| {
            for f in p["frames"].as_array_mut().unwrap() {
                f["slots"] = json!(0);
                f["vars"] = json!([]);
            }
        }),
        ("counters shorter", |p| {
            for f in p["frames"].as_array_mut().unwrap() {
                f["actions"] = json!(f["action"].as_u64().unwrap());
                f["counters"] = json!([]);
            }
        }),
    ];
    // A loop after the wait: its counter is past a shortened counter list.
    let looped = engine
        .compile(
            "start: Begin { Default -> w }\nw: Wait { Seconds = 1 Default -> l }\nl: Loop { Repeat = 2 Repeat -> w Finished -> done }\ndone: End",
            "looped.script",
        )
        .unwrap();
    let mut scripts: Vec<(Script, Run)> = (0..BASES.len()).map(|i| base(&engine, i)).collect();
    let run = engine.run(&looped, RunOptions::default());
    scripts.push((looped, run));
    for (script, run) in &scripts {
        let pause = payload(&seal(run));
        for (what, edit) in &edits {
            let mut p = pause.clone();
            edit(&mut p);
            let Ok(paused) = open(&p) else { continue };
            for e in every_event() {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    engine.resume(script, paused.clone(), e.clone())
                }));
                match result {
                    Err(_) => panic!("{what}, then {e}: a panic"),
                    Ok(Ok(run)) => assert!(
                        run.error.is_some(),
                        "{what}, then {e}: resumed as if nothing were wrong"
                    ),
                    Ok(Err(_)) => {}
                }
            }
        }
    }
}

#[test]
fn a_loop_counter_at_the_top_of_its_range_finishes() {
    let engine = engine();
    let (script, run) = base(&engine, 0);
    let mut p = payload(&seal(&run));
    // The script's frame: the Loop (action 2) has run once.
    assert_eq!(p["frames"][1]["counters"], json!([[2, 1]]));
    p["frames"][1]["counters"] = json!([[2, u64::MAX]]);
    let run = engine
        .resume(&script, open(&p).unwrap(), ev("wait:3"))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(run.end.as_deref(), Some("done"));
}

#[test]
fn garbage_memos_end_in_a_clean_run_error() {
    let engine = engine();
    // A Snippet's memo is its machine: garbage stops the run, naming why.
    let (script, run) = base(&engine, 2);
    let pause = payload(&seal(&run));
    assert_eq!(pause["memo"]["v"], 1, "{}", pause["memo"]);
    let cases = [
        (None, "its saved state is missing"),
        (Some(json!("x")), "it is not a version 1 Snippet memo"),
        (Some(json!({"v": 2})), "it is not a version 1 Snippet memo"),
        (
            Some(json!({"v": 1, "frames": [{"block": 99, "next": 99}], "loops": []})),
            "its saved state is refused",
        ),
    ];
    for (memo, says) in cases {
        let mut p = pause.clone();
        match memo {
            Some(m) => p["memo"] = m,
            None => {
                p.as_object_mut().unwrap().remove("memo");
            }
        }
        let run = engine
            .resume(&script, open(&p).unwrap(), ev("reply:200:{}"))
            .unwrap();
        assert_eq!(run.outcome, Outcome::Stopped, "{p}");
        let message = run.error.unwrap().message;
        assert!(message.contains(says), "{message}");
    }
    // A Menu's memo is only how much it has so far: garbage reads as
    // nothing entered and no time left, and the Menu goes on.
    let (script, run) = base(&engine, 1);
    let mut p = payload(&seal(&run));
    p["memo"] = json!({"entered": 7, "left": "soon"});
    let run = engine
        .resume(&script, open(&p).unwrap(), ev("digits:22"))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(run.end.as_deref(), Some("done"));
}

// ------------------------------------------------------ limits on resume

#[test]
fn the_memory_budget_refuses_a_paused_run_that_holds_more() {
    let engine = engine();
    let script = engine
        .compile(
            &format!(
                "start: Begin {{ Default -> big }}\nbig: Assign {{ Variable = s Value = \"{}\" Default -> w }}\nw: Wait {{ Seconds = 1 Default -> done }}\ndone: End",
                "x".repeat(5000)
            ),
            "big.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.outcome, Outcome::Waiting, "{:?}", run.error);
    let mut p = payload(&seal(&run));
    // Within the budget it was paused with: resumes.
    let again = engine
        .resume(&script, open(&p).unwrap(), ev("wait:1"))
        .unwrap();
    assert_eq!(again.outcome, Outcome::Completed);
    // A budget below what it holds: refused before anything runs.
    p["memory_budget"] = json!(4096);
    let refused = engine
        .resume(&script, open(&p).unwrap(), ev("wait:1"))
        .unwrap();
    assert_eq!(refused.outcome, Outcome::Limit);
    let message = refused.error.unwrap().message;
    assert!(
        message
            .starts_with("the paused run is refused: memory budget of 4 KiB (4096 bytes) exceeded"),
        "{message}"
    );
    assert_eq!(refused.steps, run.steps, "nothing ran");
    // The same when a hangup would take it to the end at once.
    let refused = engine
        .resume(&script, open(&p).unwrap(), ev("hangup"))
        .unwrap();
    assert_eq!(refused.outcome, Outcome::Limit);
}

#[test]
fn a_paused_value_past_the_size_limits_is_refused_on_resume() {
    let engine = engine();
    let script = engine
        .compile(
            "start: Begin { Default -> mark }\nmark: Assign { Variable = v Value = \"MARK\" Default -> w }\nw: Wait { Seconds = 1 Default -> done }\ndone: End",
            "held.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    let mut p = payload(&seal(&run));
    p["memory_budget"] = json!(1 << 20);
    let n = 3_000_000;
    let tokens = format!("[{{\"l\":{n}}}{}]", ",0".repeat(n));
    let text = p.to_string().replace("[\"MARK\"]", &tokens);
    let paused = key().open(&sign(&text), now()).unwrap();
    let run = engine.resume(&script, paused, ev("wait:1")).unwrap();
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
}

/// A REST request per round of a loop, and 40 statements between.
const SPIN: &str = "start: Begin { Default -> calc }\ncalc: Snippet { Data = \"\"\"\n ASSIGN p = GetRESTProxy()\n FOR i = 1 TO 100000 {\n ASSIGN r = p.MakeRestRequest(\"https://crm.example/{i}\", \"\", 0, \"GET\")\n FOR j = 1 TO 40 { ASSIGN k = j }\n }\n\"\"\" Default -> done }\ndone: End";

#[test]
fn the_snippet_budget_holds_across_many_resumes_through_bytes_as_in_memory() {
    // tests/contacts_engine.rs holds the step budget across resumes of a
    // Wait loop; the Snippet statement budget carries the same way: through
    // bytes, the run stops at the same request as in memory.
    let engine = Engine::builder()
        .limits(studioflow::Limits::default().max_snippet_statements(2000))
        .build();
    let script = engine.compile(SPIN, "spin.script").unwrap();
    let replies = vec![ev("reply:200:"); 1000];
    let sim = engine
        .simulate(&script, RunOptions::default(), replies, None)
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Limit, "{:?}", sim.run.error);
    let in_memory = 1000 - sim.unused.len();
    assert!(in_memory < 100, "{in_memory} replies taken");
    let mut run = engine.run(&script, RunOptions::default());
    let mut resumes = 0;
    while run.outcome == Outcome::Waiting {
        resumes += 1;
        assert!(
            resumes < 1000,
            "the Snippet budget does not hold across resumes"
        );
        run = engine
            .resume(
                &script,
                key().open(&seal(&run), now()).unwrap(),
                ev("reply:200:"),
            )
            .unwrap();
    }
    assert_eq!(resumes, in_memory);
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(run.error, sim.run.error);
    // The budget the pause says is the one applied.
    let run = engine.run(&script, RunOptions::default());
    let mut p = payload(&seal(&run));
    p["snippet_budget"] = json!(10);
    let run = engine
        .resume(&script, open(&p).unwrap(), ev("reply:200:"))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
}

#[test]
#[ignore = "bug: a Snippet's statement budget charges copying a value the host still shares (src/snippet/): resumed with `engine.resume(&script, *run.paused.take().unwrap(), ..)` while the host keeps the previous Run (its variables share the REST proxy object with the paused run), each round of the loop below costs 89 statements; resumed from bytes, or with the Run dropped first, 84. The same contact and events then stop at a different request depending on what the host holds"]
fn a_snippet_costs_the_same_whether_the_host_keeps_the_run_or_not() {
    let engine = Engine::builder()
        .limits(studioflow::Limits::default().max_snippet_statements(2000))
        .build();
    let script = engine.compile(SPIN, "spin.script").unwrap();
    let rounds = |keep: bool| {
        let mut run = engine.run(&script, RunOptions::default());
        let mut kept = Vec::new();
        let mut rounds = 0;
        while run.outcome == Outcome::Waiting {
            rounds += 1;
            let paused = *run.paused.take().unwrap();
            if keep {
                kept.push(run);
            } else {
                drop(run);
            }
            run = engine.resume(&script, paused, ev("reply:200:")).unwrap();
        }
        rounds
    };
    assert_eq!(rounds(true), rounds(false));
}

// ------------------------------------------------------------------ events

#[test]
fn event_texts_at_their_edges() {
    let digits = |n: usize| format!("digits:{}", "1".repeat(n));
    assert!(digits(1024).parse::<Event>().is_ok());
    let e = digits(1025).parse::<Event>().unwrap_err();
    assert!(e.to_string().contains("more than 1024 keys"), "{e}");
    let year = 366.0 * 24.0 * 3600.0;
    for (text, seconds) in [
        ("wait:0", 0.0),
        ("wait:0.000000001", 1e-9),
        ("wait:.5", 0.5),
        ("wait:5.", 5.0),
        ("wait:31622400", year),
    ] {
        assert_eq!(ev(text), Event::Wait(seconds), "{text}");
    }
    for text in [
        "wait:31622400.001",
        "wait:1e3",
        "wait:-1",
        "wait:inf",
        "wait:nan",
        "wait:NaN",
        "wait:.",
        "wait:",
        "wait:1.2.3",
        "wait: 5",
        "wait:+5",
    ] {
        let e = text.parse::<Event>().unwrap_err();
        assert!(e.to_string().contains("expected seconds"), "{text}: {e}");
    }
    // A reply body is the rest of the text, however large or odd.
    let body = format!("{{\"a\":\"{}\"}}\u{0}\u{fffd}:\r\n", "é".repeat(100_000));
    let Event::Reply(reply) = ev(&format!("reply:200:{body}")) else {
        panic!()
    };
    assert_eq!((reply.status, reply.body.as_str()), (200, body.as_str()));
    for text in [
        "reply:99:x",
        "reply:600:x",
        "reply:0200:x",
        "reply:2e2:x",
        "reply:",
    ] {
        assert!(text.parse::<Event>().is_err(), "{text}");
    }
    // Long or odd texts are shown cut in messages.
    let e = format!("nope:{}", "x".repeat(10_000))
        .parse::<Event>()
        .unwrap_err();
    assert!(e.to_string().len() < 300, "{e}");
}

#[test]
fn a_reply_body_too_large_or_odd_is_an_error_branch_never_a_panic() {
    let engine = engine();
    let script = engine
        .compile(
            "start: Begin { Default -> r }\nr: RestApi { ServiceAddress = \"https://crm.example/x\" Verb = \"GET\" ResultSet = got Default -> done Error -> failed }\ndone: End\nfailed: End",
            "rest.script",
        )
        .unwrap();
    let reply = |body: String| {
        let run = engine.run(&script, RunOptions::default());
        engine
            .resume(
                &script,
                *run.paused.unwrap(),
                Event::Reply(studioflow::HttpReply::new(200, body)),
            )
            .unwrap()
    };
    let run = reply("x".repeat(10 << 20));
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(run.variable("_ERR").unwrap().to_text().contains("32 KB"));
    // JSON nested past what values hold: an error branch or text.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let run = reply(deep.clone());
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    let nested = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let run = reply(nested);
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    // Control characters and replacement characters are text.
    let run = reply("\u{0}\u{1b}[31m\u{fffd}".into());
    assert_eq!(run.end.as_deref(), Some("done"));
    assert_eq!(
        run.variable("got").unwrap().to_text(),
        "\u{0}\u{1b}[31m\u{fffd}"
    );
}

#[test]
fn a_hosts_malformed_event_is_refused_like_a_malformed_text() {
    let engine = Engine::demo();
    let script = engine
        .compile(
            "start: Begin { Default -> m }\nm: Menu { Sequence = \"x\" MaxDigits = 3 Default -> done }\ndone: End",
            "m.script",
        )
        .unwrap();
    for event in [
        Event::Wait(f64::NAN),
        Event::Wait(f64::INFINITY),
        Event::Wait(-5.0),
        Event::Digits("x\u{1b}".into()),
        Event::Digits(String::new()),
        Event::Digits("1".repeat(5000)),
    ] {
        // The same event as text is refused.
        assert!(event.to_string().parse::<Event>().is_err(), "{event:?}");
        let paused = *engine.run(&script, RunOptions::default()).paused.unwrap();
        let result = engine.resume(&script, paused, event.clone());
        let named: String = event.to_string().chars().take(40).collect();
        assert!(
            result
                .as_ref()
                .is_err_and(|e| e.to_string().contains(&named)),
            "{event:?} was taken: {:?}",
            result.map(|r| (r.outcome, r.waiting))
        );
    }
}

const QUEUE: &str = r#"start: Begin { Default -> q }
q: ReqAgent { Skill = "Sales" Default -> hold }
hold: Music { MusicFile = "a.wav" SecondstoPlay = 10 Default -> hold2 OnComplete -> hold2 }
hold2: Wait { Seconds = 5 Default -> hold }
ans: OnAnswer { Default -> talk }
talk: Stop
rel: OnRelease { Default -> wrap }
wrap: Wait { Seconds = 3 Default -> done }
done: Assign { Variable = wrapped Value = "yes" Default -> end }
end: End"#;

#[test]
fn answers_by_unknown_inactive_or_unqueued_agents() {
    let directory = Directory::demo();
    let engine = Engine::builder().directory(directory.clone()).build();
    let script = engine.compile(QUEUE, "queue.script").unwrap();
    let run = engine.run(&script, RunOptions::default());
    // Unknown, and inactive (`former`): refused, the paused run comes back.
    for agent in ["nobody", "former", "1006", "99999"] {
        let paused = *engine.run(&script, RunOptions::default()).paused.unwrap();
        let e = engine
            .resume(&script, paused, Event::Answer(agent.into()))
            .unwrap_err();
        assert!(
            matches!(e, ResumeError::UnknownAgent { .. }),
            "{agent}: {e}"
        );
        assert!(
            e.to_string()
                .contains(&format!("no active agent `{agent}`")),
            "{e}"
        );
        assert!(e.into_paused().is_some());
    }
    // An agent deactivated while the call waits is refused the same way.
    let paused = *run.paused.unwrap();
    directory
        .set_agent_status(1004, AgentStatus::Inactive)
        .unwrap();
    let e = engine
        .resume(&script, paused, ev("answer:agentadmin"))
        .unwrap_err();
    assert!(matches!(e, ResumeError::UnknownAgent { .. }), "{e}");
    // A call never queued: the answer still fires OnAnswer, with no skill.
    let engine = Engine::demo();
    let script = engine
        .compile(
            "start: Begin { Default -> s }\ns: Stop\nans: OnAnswer { Default -> who }\nwho: Assign { Variable = got Value = \"{AGENTID}/{SKLNAME}/{FIRST}\" Default -> done }\ndone: End",
            "unqueued.script",
        )
        .unwrap();
    let sim = engine
        .simulate(&script, RunOptions::default(), [ev("answer:1004")], None)
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Completed, "{:?}", sim.run.error);
    assert_eq!(sim.run.variable("got").unwrap().to_text(), "1004//Adam");
}

#[test]
fn hangups_during_on_release_and_events_after_the_end() {
    let engine = Engine::demo();
    let script = engine.compile(QUEUE, "queue.script").unwrap();
    // The caller hangs up: OnRelease runs and waits in its wrap-up.
    let sim = engine
        .simulate(&script, RunOptions::default(), [ev("hangup")], None)
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Waiting);
    assert_eq!(sim.run.end.as_deref(), Some("wrap"));
    // A second hangup there: OnRelease does not run again; the run ends.
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            [ev("hangup"), ev("hangup")],
            None,
        )
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Completed, "{:?}", sim.run.error);
    assert_eq!(sim.run.end.as_deref(), Some("wrap"));
    assert_eq!(sim.run.variable("wrapped"), None);
    let hangups = sim
        .run
        .transcript
        .iter()
        .filter(|t| t.kind == TranscriptKind::Hangup)
        .count();
    assert_eq!(hangups, 2);
    // Events after the run completed are left unused, in order.
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            [ev("hangup"), ev("wait:3"), ev("hangup"), ev("digits:1")],
            None,
        )
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Completed);
    assert_eq!(sim.unused, [ev("hangup"), ev("digits:1")]);
}

#[test]
fn an_answer_after_the_caller_hung_up_does_not_abandon_on_release() {
    let engine = Engine::demo();
    let script = engine.compile(QUEUE, "queue.script").unwrap();
    let sim = engine
        .simulate(
            &script,
            RunOptions::default().trace(true),
            [ev("hangup")],
            None,
        )
        .unwrap();
    assert_eq!(sim.run.end.as_deref(), Some("wrap"));
    let paused = *sim.run.paused.unwrap();
    match engine.resume_with(
        &script,
        paused,
        ev("answer:agentadmin"),
        RunOptions::default().trace(true),
    ) {
        Err(e) => {
            let shown = e.to_string();
            assert!(e.into_paused().is_some(), "{shown}");
        }
        Ok(run) => {
            let ran: Vec<String> = run
                .trace
                .unwrap()
                .iter()
                .map(|s| s.action.to_string())
                .collect();
            assert!(
                !ran.contains(&"ans".to_string()),
                "OnAnswer ran after the release: {ran:?}"
            );
            assert!(run
                .transcript
                .iter()
                .all(|t| t.kind != TranscriptKind::Answered));
        }
    }
}

#[test]
fn a_thousand_digit_menu_and_type_ahead_across_three_collections() {
    let engine = Engine::demo();
    let script = engine
        .compile(
            "start: Begin { Default -> m }\nm: Menu { Sequence = \"long\" MaxDigits = 1000 Terminator = \"\" Default -> done }\ndone: End",
            "long.script",
        )
        .unwrap();
    let keys = "1234567890".repeat(103);
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            [ev(&format!("digits:{}", &keys[..1024]))],
            None,
        )
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Completed);
    assert_eq!(sim.run.variable("MRES").unwrap().to_text(), keys[..1000]);
    // MaxDigits above 1000 is refused.
    let script = engine
        .compile(
            "start: Begin { Default -> m }\nm: Menu { MaxDigits = 1001 Default -> done Error -> bad }\ndone: End\nbad: End",
            "longer.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.end.as_deref(), Some("bad"));

    // Type-ahead: keys pressed at the first Menu feed a Capture and a
    // second Menu, unless that Menu clears digits (its default).
    let three = |clear: &str| {
        format!(
            "start: Begin {{ Default -> a }}\na: Menu {{ Sequence = \"first\" MaxDigits = 2 Terminator = \"\" Variable = one Default -> b }}\nb: Capture {{ MaxDigits = 3 Terminator = \"\" Variable = two Default -> c Timeout -> c }}\nc: Menu {{ Sequence = \"third\" ClearDigits = {clear} MaxDigits = 2 Terminator = \"\" Variable = three Default -> done Timeout -> done }}\ndone: End"
        )
    };
    let script = engine.compile(&three("false"), "keep.script").unwrap();
    let sim = engine
        .simulate(&script, RunOptions::default(), [ev("digits:1234567")], None)
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Completed, "{:?}", sim.run.error);
    let got = |run: &Run, name: &str| run.variable(name).unwrap().to_text();
    assert_eq!(
        (
            got(&sim.run, "one"),
            got(&sim.run, "two"),
            got(&sim.run, "three")
        ),
        ("12".into(), "345".into(), "67".into())
    );
    // Cleared: the third Menu waits for keys of its own.
    let script = engine.compile(&three("true"), "clear.script").unwrap();
    let sim = engine
        .simulate(&script, RunOptions::default(), [ev("digits:1234567")], None)
        .unwrap();
    assert_eq!(sim.run.outcome, Outcome::Waiting);
    assert_eq!(sim.run.end.as_deref(), Some("c"));
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            [ev("digits:1234567"), ev("digits:98")],
            None,
        )
        .unwrap();
    assert_eq!(got(&sim.run, "three"), "98");
    // Keys pressed across two events join one entry.
    let sim = engine
        .simulate(
            &script,
            RunOptions::default(),
            [
                ev("digits:1"),
                ev("digits:2"),
                ev("digits:345"),
                ev("digits:8"),
                ev("digits:8"),
            ],
            None,
        )
        .unwrap();
    assert_eq!(
        (
            got(&sim.run, "one"),
            got(&sim.run, "two"),
            got(&sim.run, "three")
        ),
        ("12".into(), "345".into(), "88".into())
    );
}

// ------------------------------------------------- identity and privilege

#[test]
fn identity_is_the_bytes_not_the_name() {
    let engine = engine();
    let (_, run) = base(&engine, 0);
    let paused = *run.paused.unwrap();
    // The same text under another name (a renamed file): it resumes; the
    // pause names the scripts as they were when it was made.
    let renamed = engine
        .compile(BASES[0].1, "moved/elsewhere.script")
        .unwrap();
    let resumed = engine
        .resume(&renamed, paused.clone(), ev("wait:3"))
        .unwrap();
    assert_eq!(resumed.outcome, Outcome::Waiting, "{:?}", resumed.error);
    assert_eq!(paused.scripts()[0].name, "sub.script");
    assert_eq!(
        resumed.paused.unwrap().scripts()[0].name,
        "moved/elsewhere.script"
    );
    // A subscript changed (one space): refused, naming it.
    let mut scripts = MemoryResolver::default();
    scripts.insert(
        "hold",
        "start: Begin { Default -> w }\nw: Wait { Seconds = p1 Default -> r }\nr: Return { ReturnValue = \"held {p1}\" } ",
    );
    let changed = Engine::builder().script_resolver(scripts).build();
    let script = changed.compile(BASES[0].1, "sub.script").unwrap();
    let e = changed
        .resume(&script, paused.clone(), ev("wait:3"))
        .unwrap_err();
    assert!(
        matches!(&e, ResumeError::ScriptChanged { name, .. } if name == "hold"),
        "{e}"
    );
    // A subscript gone (the script given calls none): refused.
    let bare = engine
        .compile(
            "start: Begin { Default -> w }\nw: Wait { Seconds = 1 }",
            "sub.script",
        )
        .unwrap();
    let e = engine
        .resume(&bare, paused.clone(), ev("wait:3"))
        .unwrap_err();
    assert!(
        e.to_string().contains("the run was paused in 2 script(s)"),
        "{e}"
    );
    // A script compiled by another engine: refused.
    let e = changed.resume(&script, paused, ev("hangup")).unwrap_err();
    assert!(
        matches!(
            e,
            ResumeError::ScriptChanged { .. } | ResumeError::OtherEngine
        ),
        "{e}"
    );
}

const NESTED_USER: &str = r#"start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> keep }
keep: Snippet { Data = """
 DYNAMIC box
 box.u = SecurityUser
 ASSIGN held = [SecurityUser]
 ASSIGN SecurityUser = "nobody"
""" Default -> w }
w: Wait { Seconds = 1 Default -> take }
take: Snippet { Data = """
 ASSIGN SecurityUser = box.u
""" Default -> get }
get: GetAgent { Agent = "agentadmin" Default -> again Error -> failed }
again: Snippet { Data = """
 ASSIGN SecurityUser = held[1]
""" Default -> get2 }
get2: GetAgent { Agent = "agentadmin" Default -> ok Error -> failed }
ok: End
failed: End"#;

#[test]
fn a_security_user_inside_a_list_or_object_is_not_usable_after_a_pause() {
    let engine = Engine::demo();
    // Without a wait the copies work: this is what a pause must not keep.
    let direct = engine
        .compile(
            &NESTED_USER.replace(
                "w: Wait { Seconds = 1",
                "w: Assign { Variable = z Value = 1",
            ),
            "direct.script",
        )
        .unwrap();
    let run = engine.run(&direct, RunOptions::default());
    assert_eq!(run.end.as_deref(), Some("ok"), "{:?}", run.variable("_ERR"));
    let script = engine.compile(NESTED_USER, "nested.script").unwrap();
    let run = engine.run(&script, RunOptions::default());
    let bytes = seal(&run);
    let text = String::from_utf8_lossy(&bytes);
    // Only who it was is written: no handle.
    assert!(
        text.contains(r#"{"u":{"id":1001,"tz":"America/New_York","name":"sysadmin"}}"#),
        "{text}"
    );
    for paused in [*run.paused.unwrap(), key().open(&bytes, now()).unwrap()] {
        let run = engine.resume(&script, paused, ev("wait:1")).unwrap();
        assert_eq!(run.end.as_deref(), Some("failed"));
        let err = run.variable("_ERR").unwrap().to_text();
        assert!(err.starts_with("unauthorized.invalidSecurityUser"), "{err}");
    }
}

const ROLE_CHECK: &str = r#"start: Begin { Default -> who }
who: SetSecurityUser { Agent = "supervisor" Default -> w }
w: Wait { Seconds = 1 Default -> look }
look: GetRole { Role = "Supervisor" Default -> ok Error -> refused }
ok: Assign { Variable = role Value = "{SecurityUser.role}" Default -> done }
refused: Assign { Variable = role Value = "refused as {SecurityUser.role}" Default -> done }
done: End"#;

#[test]
fn a_security_user_gets_the_rights_of_its_role_at_resume() {
    // Paused by one process, resumed by another whose tenant changed
    // meanwhile: the supervisor was made a SystemAdmin, and back.
    let demo = Engine::demo();
    let script = demo.compile(ROLE_CHECK, "role.script").unwrap();
    let run = demo.run(&script, RunOptions::default());
    assert_eq!(
        run.variable("SecurityUser").unwrap().to_json()["role"],
        "Supervisor"
    );
    let bytes = seal(&run);
    let resume_in = |tenant: &str| {
        let engine = Engine::builder()
            .directory(Directory::from_json_str(tenant).unwrap())
            .build();
        let script = engine.compile(ROLE_CHECK, "role.script").unwrap();
        let paused = key().open(&bytes, now()).unwrap();
        engine.resume(&script, paused, ev("wait:1")).unwrap()
    };
    let tenant = Directory::demo().to_tenant_json();
    let with_role = |user: &str, role: J| {
        let mut t = tenant.clone();
        for agent in t["agents"].as_array_mut().unwrap() {
            if agent["userName"] == user {
                agent["role"] = role.clone();
            }
        }
        assert_ne!(t, tenant);
        t.to_string()
    };
    let run = resume_in(&tenant.to_string());
    assert_eq!(
        run.variable("role").unwrap().to_text(),
        "refused as Supervisor"
    );
    let err = run.variable("_ERR").unwrap().to_text();
    assert!(err.contains("does not give feature \"role\""), "{err}");
    let run = resume_in(&with_role("supervisor", json!("SystemAdmin")));
    assert_eq!(
        run.variable("role").unwrap().to_text(),
        "SystemAdmin",
        "{:?}",
        run.variable("_ERR")
    );
    // Demoted while waiting (a SystemAdmin paused, resumed with no role).
    let admin = demo
        .compile(
            &ROLE_CHECK.replace("\"supervisor\"", "\"sysadmin\""),
            "role.script",
        )
        .unwrap();
    let run = demo.run(&admin, RunOptions::default());
    let bytes = seal(&run);
    let demoted = with_role("sysadmin", J::Null);
    let engine = Engine::builder()
        .directory(Directory::from_json_str(&demoted).unwrap())
        .build();
    let admin = engine
        .compile(
            &ROLE_CHECK.replace("\"supervisor\"", "\"sysadmin\""),
            "role.script",
        )
        .unwrap();
    let run = engine
        .resume(&admin, key().open(&bytes, now()).unwrap(), ev("wait:1"))
        .unwrap();
    let err = run.variable("_ERR").unwrap().to_text();
    assert!(err.starts_with("forbidden"), "{err}");
    assert_eq!(run.variable("role").unwrap().to_text(), "refused as ");
}

#[test]
fn values_of_every_kind_survive_the_bytes() {
    let engine = Engine::demo();
    let script = engine
        .compile(
            r#"start: Begin { Default -> build }
build: Snippet { Data = """
 DYNAMIC d
 d.name = "Ada"
 d.tags = ["a", 2, true]
 d.inner.deep = "x"
 ASSIGN list = [1, "two", 3.5, d]
 ASSIGN when = now()
 ASSIGN text = "é\t"
""" Default -> w }
w: Wait { Seconds = 1 Default -> done }
done: End"#,
            "kinds.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    let before: Vec<(String, Value)> = ["d", "list", "when", "text"]
        .iter()
        .map(|n| (n.to_string(), run.variable(n).unwrap().clone()))
        .collect();
    let bytes = seal(&run);
    let again = engine
        .resume(&script, key().open(&bytes, now()).unwrap(), ev("wait:1"))
        .unwrap();
    for (name, value) in before {
        assert_eq!(again.variable(&name), Some(&value), "{name}");
    }
    // Sealing the same pause twice gives the same bytes.
    assert_eq!(seal(&run), bytes);
}

// ------------------------------------------------------ the command line

#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use assert_cmd::cargo::cargo_bin_cmd;
    use tempfile::TempDir;

    const KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

    const PHONE: &str = r#"start: Begin { Default -> hello }
hello: Play { Sequence = "Welcome" Default -> m }
m: Menu { Sequence = "Press 1 or 2" Case "1" -> q Case "2" -> look Timeout -> m Default -> m }
look: RestApi { ServiceAddress = "https://crm.example/c" Verb = "GET" ResultSet = r Default -> q Error -> q }
q: ReqAgent { Skill = "Sales" Default -> music }
music: Music { MusicFile = "a.wav" SecondstoPlay = 7.5 Default -> music OnComplete -> music }
ans: OnAnswer { Default -> s }
s: Stop
rel: OnRelease { Default -> bye }
bye: End"#;

    fn place() -> TempDir {
        let dir = TempDir::new().unwrap();
        std::fs::write(dir.path().join("phone.script"), PHONE).unwrap();
        dir
    }

    fn cmd(dir: &TempDir, args: &[&str]) -> std::process::Output {
        let mut cmd = cargo_bin_cmd!("studioflow");
        cmd.current_dir(dir.path())
            .env("STUDIOFLOW_PAUSE_KEY", KEY_HEX)
            .env("XDG_CONFIG_HOME", dir.path())
            .args(args);
        cmd.output().unwrap()
    }

    #[test]
    fn resume_refuses_hostile_files_with_exit_2_and_a_message() {
        let dir = place();
        let out = cmd(
            &dir,
            &[
                "run",
                "phone.script",
                "--event",
                "digits:2",
                "--pause",
                "p.pause",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(5),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let good = std::fs::read(dir.path().join("p.pause")).unwrap();
        let mut frames_past = payload(&good);
        frames_past["frames"][0]["action"] = json!(77);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "not a studioflow pause file"),
            (b"\x00\xff garbage".to_vec(), "not a studioflow pause file"),
            (good[..good.len() / 2].to_vec(), "signature does not match"),
            (sign(&frames_past.to_string()), "frame 0 is at action 77 of"),
            (sign("{\"frames\": 1}"), "the paused run cannot be read"),
        ];
        for (bytes, says) in cases {
            std::fs::write(dir.path().join("bad.pause"), &bytes).unwrap();
            let out = cmd(&dir, &["resume", "bad.pause", "--event", "reply:200:{}"]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{says}: {err}");
            assert!(err.contains(says), "{says}: {err}");
            assert!(out.stdout.is_empty(), "{says}: nothing runs");
        }
        // A directory, and a missing file.
        std::fs::create_dir(dir.path().join("d.pause")).unwrap();
        for path in ["d.pause", "missing.pause"] {
            let out = cmd(&dir, &["resume", path]);
            assert_eq!(out.status.code(), Some(2), "{path}");
            assert!(String::from_utf8_lossy(&out.stderr).contains(path));
        }
        // The good one still resumes.
        let out = cmd(
            &dir,
            &[
                "resume",
                "p.pause",
                "--event",
                "reply:404:",
                "--event",
                "hangup",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn a_script_renamed_after_its_pause_is_not_found_by_resume() {
        // The pause records the path; resume reads the script from there.
        let dir = place();
        let out = cmd(&dir, &["run", "phone.script", "--pause", "p.pause"]);
        assert_eq!(out.status.code(), Some(5));
        std::fs::rename(
            dir.path().join("phone.script"),
            dir.path().join("moved.script"),
        )
        .unwrap();
        let out = cmd(&dir, &["resume", "p.pause", "--event", "digits:1"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("phone.script"), "{err}");
    }

    #[test]
    fn the_same_script_and_events_give_the_same_json_in_two_processes() {
        let dir = place();
        let args = [
            "run",
            "phone.script",
            "--json",
            "--trace",
            "--now",
            "2026-12-06T10:00:00Z",
            "--event",
            "digits:7",
            "--event",
            "timeout",
            "--event",
            "digits:2",
            "--event",
            "reply:200:{\"name\":\"Ada\"}",
            "--event",
            "wait:20",
            "--event",
            "wait:0.25",
            "--event",
            "answer:agentadmin",
            "--event",
            "hangup",
        ];
        let first = cmd(&dir, &args);
        let second = cmd(&dir, &args);
        assert_eq!(
            first.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        assert_eq!(first.stdout, second.stdout);
        // The conversation in words, with its virtual times, too.
        let words: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| !a.starts_with("--json"))
            .collect();
        let (one, two) = (cmd(&dir, &words), cmd(&dir, &words));
        assert_eq!(one.stdout, two.stdout);
        let text = String::from_utf8_lossy(&one.stdout);
        assert!(text.contains("25.2 s  agent answers: agentadmin"), "{text}");
        let doc: J = serde_json::from_slice(&first.stdout).unwrap();
        let transcript = doc["transcript"].as_array().unwrap();
        assert!(transcript.len() > 8, "{transcript:?}");
        // Through a pause and a resume in a third and fourth process:
        // the same transcript, times included.
        let out = cmd(
            &dir,
            &args[..10]
                .iter()
                .chain(&["--pause", "p.pause"])
                .copied()
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            out.status.code(),
            Some(5),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut rest: Vec<&str> = vec!["resume", "p.pause", "--json", "--trace"];
        rest.extend_from_slice(&args[10..]);
        let resumed = cmd(&dir, &rest);
        let again = cmd(&dir, &rest);
        assert_eq!(resumed.stdout, again.stdout);
        let resumed: J = serde_json::from_slice(&resumed.stdout).unwrap();
        assert_eq!(resumed["variables"], doc["variables"]);
        assert_eq!(resumed["steps"], doc["steps"]);
        let tail =
            &transcript[transcript.len() - resumed["transcript"].as_array().unwrap().len()..];
        assert_eq!(resumed["transcript"].as_array().unwrap(), tail);
    }
}

// ------------------------------------------------------------ test files

#[test]
fn a_test_case_with_thousands_of_events_left_unused_says_so_briefly() {
    use studioflow::testing::TestRunner;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("menu.script"),
        "start: Begin { Default -> m }\nm: Menu { Sequence = \"Press 1\" Case \"1\" -> done Default -> m }\ndone: End",
    )
    .unwrap();
    let events = vec!["\"digits:1\""; 20_000].join(", ");
    std::fs::write(
        dir.path().join("menu.test.toml"),
        format!(
            "[[case]]\nname = \"too many\"\nevents = [{events}]\n\n[[case]]\nname = \"not these\"\nevents = [{events}]\nexpect.unused_events = [{events}, \"hangup\"]\n"
        ),
    )
    .unwrap();
    let runner = TestRunner::new();
    let file = runner.load(dir.path().join("menu.test.toml")).unwrap();
    let report = runner.run_file(&file);
    for case in &report.cases {
        let text: String = case.mismatches.iter().map(ToString::to_string).collect();
        assert!(!text.is_empty(), "{}: passed", case.name);
        assert!(
            text.len() < 2_000,
            "{}: {} bytes of message",
            case.name,
            text.len()
        );
        assert!(text.contains("... ("), "{}: {text}", case.name);
    }
}
