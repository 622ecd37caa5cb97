//! The Snippet REST proxy: a request is a wait for an HTTP reply in the
//! middle of the code (inside FOR, IF, a FUNCTION called from FOREACH),
//! the executor's state travels in the paused run and the code goes on
//! from the call when the reply comes.

use std::time::Duration;

use studioflow::{
    Engine, Event, HttpReply, Limits, Outcome, PauseError, PauseKey, RunOptions, Script, Value,
    Wait, WaitFor,
};

fn key() -> PauseKey {
    PauseKey::from_hex(&"5a".repeat(32)).unwrap()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-12-06T10:00:00Z".parse().unwrap()
}

/// A script of one Snippet action with `code`, Default to `done`, Error to
/// `failed`.
fn snippet(engine: &Engine, code: &str) -> Script {
    snippet_sized(engine, code, "Limit32K")
}

fn snippet_sized(engine: &Engine, code: &str, size: &str) -> Script {
    let text = format!(
        "start: Begin {{ Default -> calc }}\ncalc: Snippet {{\n  Data = \"\"\"\n{code}\n  \"\"\"\n  MaxStringSize = \"{size}\"\n  Default -> done\n  Error -> failed\n}}\ndone: End\nfailed: End\n"
    );
    match engine.compile(&text, "rest.script") {
        Ok(script) => script,
        Err(e) => panic!("{e}"),
    }
}

fn reply(status: u16, body: &str) -> Event {
    Event::Reply(HttpReply::new(status, body))
}

/// Pauses `run` to bytes, opens them and resumes with `event`.
fn resume_via_bytes(
    engine: &Engine,
    script: &Script,
    run: studioflow::Run,
    event: Event,
) -> studioflow::Run {
    assert_eq!(run.outcome, Outcome::Waiting, "{:?}", run.error);
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    let paused = key().open(&bytes, now()).unwrap();
    engine.resume(script, paused, event).unwrap()
}

/// The request the run waits for.
fn request(run: &studioflow::Run) -> studioflow::HttpRequest {
    match &run.waiting.as_ref().expect("a waiting run").wait {
        Wait::Http { request } => request.clone(),
        other => panic!("waits for {other:?}"),
    }
}

fn text(run: &studioflow::Run, name: &str) -> String {
    run.variable(name)
        .unwrap_or_else(|| panic!("no variable {name}: {:?}", run.variables))
        .to_text()
}

const IN_A_FOR: &str = r#"
    ASSIGN token = "t0k"
    ASSIGN p = GetRESTProxy()
    p.ContentType = "application/json"
    p.AddHeader("Authorization", "Bearer {token}")
    ASSIGN names = ""
    FOR i = 1 TO 3 {
      ASSIGN r = p.MakeRestRequest("https://crm.example/callers/{i}", "", 0, "GET")
      names = "{names}{r.name}/{p.StatusCode};"
    }
    ASSIGN why = p.StatusDescription
"#;

#[test]
fn three_requests_inside_a_for_are_three_waits() {
    let engine = Engine::new();
    let script = snippet(&engine, IN_A_FOR);
    let mut run = engine.run(&script, RunOptions::default());
    for (i, (status, name)) in [(200, "Ada"), (404, "Bob"), (500, "Cy")].iter().enumerate() {
        assert_eq!(run.outcome, Outcome::Waiting, "{:?}", run.error);
        assert_eq!(run.end.as_deref(), Some("calc"));
        let r = request(&run);
        assert_eq!(r.method, "GET");
        assert_eq!(r.url, format!("https://crm.example/callers/{}", i + 1));
        assert_eq!(
            r.headers,
            [
                ("Content-Type".to_string(), "application/json".to_string()),
                ("Authorization".to_string(), "Bearer t0k".to_string())
            ]
        );
        assert_eq!((r.body.as_str(), r.timeout_ms), ("", 10_000));
        let body = format!(r#"{{"name": "{name}"}}"#);
        run = resume_via_bytes(&engine, &script, run, reply(*status, &body));
    }
    assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
    assert_eq!(run.end.as_deref(), Some("done"));
    assert_eq!(text(&run, "names"), "Ada/200;Bob/404;Cy/500;");
    assert_eq!(text(&run, "why"), "Internal Server Error");
    // The loop variable is the FOR's last value, the Snippet ran once.
    assert_eq!(text(&run, "i"), "3");
    assert_eq!(run.steps, 3);
}

#[test]
fn the_transcript_shows_each_request() {
    let engine = Engine::new();
    let script = snippet(&engine, IN_A_FOR);
    let events = (0..3).map(|_| reply(200, r#"{"name":"A"}"#));
    let sim = engine
        .simulate(&script, RunOptions::default(), events, None)
        .unwrap();
    assert!(sim.unused.is_empty());
    assert_eq!(sim.run.outcome, Outcome::Completed, "{:?}", sim.run.error);
    assert_eq!(text(&sim.run, "names"), "A/200;A/200;A/200;");
    let http: Vec<_> = sim
        .run
        .transcript
        .iter()
        .filter(|e| e.kind == studioflow::TranscriptKind::Http)
        .map(|e| e.text.to_string())
        .collect();
    assert_eq!(
        http,
        [
            "GET https://crm.example/callers/1",
            "GET https://crm.example/callers/2",
            "GET https://crm.example/callers/3"
        ]
    );
}

const IN_AN_IF: &str = r#"
    ASSIGN p = GetRESTProxy()
    ASSIGN ANI = "5551234"
    ASSIGN name = "unknown"
    IF ANI <> "" {
      ASSIGN r = p.MakeRestRequest("https://crm.example/callers/{ANI}")
      IF p.StatusCode = 200 { ASSIGN name = r.name } ELSE { ASSIGN name = "none: {r}" }
    }
    ASSIGN why = p.StatusDescription
    ASSIGN code = p.StatusCode
"#;

#[test]
fn a_request_inside_an_if_reads_the_status() {
    let engine = Engine::new();
    let script = snippet(&engine, IN_AN_IF);
    let cases = [
        (200, r#"{"name":"Ada"}"#, "Ada", "OK"),
        (404, "no such caller", "none: no such caller", "Not Found"),
        (500, "", "none: ", "Internal Server Error"),
    ];
    for (status, body, name, why) in cases {
        let run = engine.run(&script, RunOptions::default());
        assert_eq!(request(&run).url, "https://crm.example/callers/5551234");
        let run = resume_via_bytes(&engine, &script, run, reply(status, body));
        // Any status is a reply: the action takes Default.
        assert_eq!(
            run.end.as_deref(),
            Some("done"),
            "{status}: {:?}",
            run.error
        );
        assert_eq!(text(&run, "name"), name);
        assert_eq!(text(&run, "why"), why);
        assert_eq!(run.variable("code"), Some(&Value::from(status as f64)));
    }
}

#[test]
fn a_json_body_is_an_object_any_other_text() {
    let engine = Engine::new();
    let script = snippet(
        &engine,
        r#"
    ASSIGN p = GetRESTProxy()
    ASSIGN r = p.MakeRestRequest("https://x.example/a")
    ASSIGN kind = "text"
    ASSIGN n = 0
    FOREACH item IN r { n = n + 1 }
    ASSIGN raw = r.asjson()
    "#,
    );
    let run = engine.run(&script, RunOptions::default());
    let run = resume_via_bytes(&engine, &script, run, reply(200, r#"[{"a":1},{"a":2}]"#));
    assert_eq!(text(&run, "n"), "2");
    assert_eq!(text(&run, "raw"), r#"[{"a":1},{"a":2}]"#);
    let run = engine.run(&script, RunOptions::default());
    let run = resume_via_bytes(&engine, &script, run, reply(200, "{not json"));
    assert_eq!(run.variable("r"), Some(&Value::from("{not json")));
}

#[test]
fn a_request_in_a_function_called_from_foreach() {
    let engine = Engine::new();
    // Fetch(2) calls Fetch(1), which waits: the caller's `n` (2) is saved
    // by the inner call and must come back after the pause.
    let script = snippet(
        &engine,
        r#"
    FUNCTION Fetch(n, id) {
      IF n > 1 { ASSIGN inner = Fetch(n - 1, id) }
      ASSIGN q = GetRESTProxy()
      ASSIGN r = q.MakeRestRequest("https://crm.example/{id}/{n}", "", 0, "POST")
      RETURN "{id}{n}={r}/{q.StatusCode}"
    }
    ASSIGN out = ""
    FOREACH id IN "a|b" {
      out = "{out}{Fetch(2, id)};"
    }
    "#,
    );
    let mut run = engine.run(&script, RunOptions::default());
    let mut urls = Vec::new();
    let mut k = 0;
    while run.outcome == Outcome::Waiting {
        k += 1;
        assert!(k < 10, "more requests than expected");
        let r = request(&run);
        assert_eq!(r.method, "POST");
        urls.push(r.url);
        let status = if k % 2 == 0 { 200 } else { 500 };
        run = resume_via_bytes(&engine, &script, run, reply(status, &format!("r{k}")));
    }
    assert_eq!(run.end.as_deref(), Some("done"), "{:?}", run.error);
    assert_eq!(
        urls,
        [
            "https://crm.example/a/1",
            "https://crm.example/a/2",
            "https://crm.example/b/1",
            "https://crm.example/b/2"
        ]
    );
    assert_eq!(text(&run, "out"), "a2=r2/200;b2=r4/200;");
    assert_eq!(text(&run, "inner"), "b1=r3/500");
    // The iterator exists only inside the loop.
    assert!(run.variable("id").is_none_or(Value::is_null_or_empty));
}

#[test]
fn a_request_in_a_switch_case_and_a_select() {
    let engine = Engine::new();
    let script = snippet(
        &engine,
        r#"
    ASSIGN p = GetRESTProxy()
    ASSIGN tier = "gold"
    SWITCH tier {
      CASE "silver" { ASSIGN a = "silver" }
      CASE "gold" { ASSIGN a = p.MakeRestRequest("https://x.example/gold") }
    }
    SELECT {
      CASE a = "nope" { ASSIGN b = "nope" }
      CASE p.MakeRestRequest("https://x.example/check") = "yes" { ASSIGN b = "checked" }
      DEFAULT { ASSIGN b = "default" }
    }
    "#,
    );
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(request(&run).url, "https://x.example/gold");
    let run = resume_via_bytes(&engine, &script, run, reply(200, "g"));
    assert_eq!(request(&run).url, "https://x.example/check");
    let run = resume_via_bytes(&engine, &script, run, reply(200, "yes"));
    assert_eq!(run.end.as_deref(), Some("done"), "{:?}", run.error);
    assert_eq!(
        (text(&run, "a"), text(&run, "b")),
        ("g".into(), "checked".into())
    );
}

#[test]
fn a_transport_failure_takes_error_with_err() {
    let engine = Engine::new();
    let script = snippet(
        &engine,
        r#"
    FUNCTION Get(x) {
      ASSIGN p = GetRESTProxy()
      RETURN p.MakeRestRequest("https://x.example/{x}")
    }
    ASSIGN x = "kept"
    ASSIGN got = Get("a")
    "#,
    );
    let run = engine.run(&script, RunOptions::default());
    let run = resume_via_bytes(
        &engine,
        &script,
        run,
        Event::HttpFailed("connection refused".into()),
    );
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert_eq!(
        text(&run, "_ERR"),
        "line 7: MakeRestRequest() failed: connection refused"
    );
    // A reply over 32 KB is a failure too.
    let run = engine.run(&script, RunOptions::default());
    let big = "x".repeat(32 * 1024 + 1);
    let run = resume_via_bytes(&engine, &script, run, reply(200, &big));
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(
        text(&run, "_ERR").contains("over the 32 KB"),
        "{}",
        text(&run, "_ERR")
    );
}

#[test]
fn a_run_with_no_reply_stays_waiting_with_the_request() {
    let engine = Engine::new();
    let script = snippet(
        &engine,
        r#"
    ASSIGN p = GetRESTProxy()
    p.ContentType = "application/json"
    p.AddHeader("X-Trace", "42")
    DYNAMIC body
    body.name = "Ada"
    ASSIGN r = p.MakeRestRequest("https://crm.example/callers", body, 30, "post")
    "#,
    );
    let sim = engine
        .simulate(&script, RunOptions::default(), Vec::new(), None)
        .unwrap();
    let run = sim.run;
    assert_eq!(run.outcome, Outcome::Waiting);
    let waiting = run.waiting.as_ref().unwrap();
    assert_eq!(
        (waiting.action.as_str(), waiting.wait.kind()),
        ("calc", WaitFor::Http)
    );
    let r = request(&run);
    assert_eq!(
        (r.method.as_str(), r.url.as_str()),
        ("POST", "https://crm.example/callers")
    );
    assert_eq!(r.body, r#"{"name":"Ada"}"#);
    assert_eq!(r.timeout_ms, 30_000);
    assert_eq!(r.headers.len(), 2);
    assert_eq!(r.headers[1], ("X-Trace".to_string(), "42".to_string()));
    let json = run.to_json();
    assert_eq!(json["waiting"]["for"], "http");
    assert_eq!(json["waiting"]["request"]["method"], "POST");
    // A digits event does not fit an HTTP wait.
    let e = engine
        .resume(&script, *run.paused.unwrap(), Event::Digits("1".into()))
        .unwrap_err();
    assert!(e.to_string().contains("waits for http"), "{e}");
}

#[test]
fn the_statement_budget_counts_across_resumes() {
    let code = r#"
    ASSIGN p = GetRESTProxy()
    ASSIGN x = 0
    REPEAT 30 { x = x + 1 }
    ASSIGN r = p.MakeRestRequest("https://x.example/a")
    REPEAT 30 { x = x + 1 }
    "#;
    // Enough for either half, not for both.
    let engine = Engine::builder()
        .limits(Limits::default().max_snippet_statements(100))
        .build();
    let script = snippet(&engine, code);
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.variable("x"), Some(&Value::from(30.0)));
    let run = resume_via_bytes(&engine, &script, run, reply(200, "ok"));
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.end);
    let message = run.error.as_ref().unwrap().message.clone();
    assert!(message.contains("statement budget of 100"), "{message}");
    let x = run.variable("x").unwrap().as_number().unwrap();
    assert!(x > 30.0 && x < 60.0, "x = {x}");
    // With room for both, it completes.
    let engine = Engine::builder()
        .limits(Limits::default().max_snippet_statements(200))
        .build();
    let script = snippet(&engine, code);
    let run = engine.run(&script, RunOptions::default());
    let run = resume_via_bytes(&engine, &script, run, reply(200, "ok"));
    assert_eq!(run.variable("x"), Some(&Value::from(60.0)));
}

#[test]
fn max_string_size_and_the_memory_budget_hold_on_resume() {
    let code = r#"
    ASSIGN p = GetRESTProxy()
    ASSIGN r = p.MakeRestRequest("https://x.example/a")
    "#;
    let engine = Engine::new();
    let script = snippet_sized(&engine, code, "Limit2K");
    let run = engine.run(&script, RunOptions::default());
    let run = resume_via_bytes(&engine, &script, run, reply(200, &"y".repeat(3000)));
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(
        text(&run, "_ERR").contains("MaxStringSize Limit2K"),
        "{}",
        text(&run, "_ERR")
    );

    let engine = Engine::builder()
        .limits(Limits::default().max_memory_bytes(64 * 1024))
        .build();
    let script = snippet(&engine, code);
    let run = engine.run(&script, RunOptions::default());
    let items: Vec<String> = (0..2000).map(|i| format!("\"item {i}\"")).collect();
    let body = format!("[{}]", items.join(","));
    assert!(body.len() < 32 * 1024);
    let run = resume_via_bytes(&engine, &script, run, reply(200, &body));
    assert_eq!(run.outcome, Outcome::Limit, "{:?}", run.error);
}

#[test]
fn a_tampered_memo_is_refused() {
    let engine = Engine::new();
    let script = snippet(&engine, IN_A_FOR);
    let run = engine.run(&script, RunOptions::default());
    let bytes = key().seal(&run.paused.unwrap(), now(), Duration::from_secs(60));
    let text = String::from_utf8(bytes).unwrap();
    // The FOR's counter, in the Snippet's saved state.
    let altered = text.replacen(r#""at":"for","i":1"#, r#""at":"for","i":2"#, 1);
    assert_ne!(altered, text, "the memo is in the payload: {text}");
    assert_eq!(
        key().open(altered.as_bytes(), now()).unwrap_err(),
        PauseError::Signature
    );
}

#[test]
fn methods_are_checked_when_the_script_compiles() {
    let engine = Engine::new();
    let compile = |code: &str| {
        let text = format!(
            "start: Begin {{ Default -> calc }}\ncalc: Snippet {{\n  Data = \"\"\"\n{code}\n  \"\"\"\n}}\n"
        );
        engine
            .compile(&text, "m.script")
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let e = compile("p = GetRESTProxy()\np.AddHeadr(\"a\", \"b\")").unwrap_err();
    assert!(
        e.contains("unknown method `AddHeadr` (did you mean `AddHeader`?)"),
        "{e}"
    );
    let e = compile("p = GetRESTProxy()\nr = p.MakeRestRequst(\"https://x\")").unwrap_err();
    assert!(e.contains("did you mean `MakeRestRequest`?"), "{e}");
    let e = compile("p = GetRESTProxy()\nx = p.AddHeader(\"a\", \"b\")").unwrap_err();
    assert!(e.contains("write it as a statement of its own"), "{e}");
    let e = compile("p = GetRESTProxy()\np.AddHeader(\"a\")").unwrap_err();
    assert!(e.contains("AddHeader() takes 2 arguments, got 1"), "{e}");
    let e = compile("r = GetRESTProxy().MakeRestRequest(\"https://x\")").unwrap_err();
    assert!(
        e.contains("needs the REST proxy (GetRESTProxy()) in a variable"),
        "{e}"
    );
    // A method of the proxy called on anything else fails when it runs.
    let script = snippet(
        &engine,
        "ASSIGN p = \"text\"\nASSIGN r = p.MakeRestRequest(\"https://x.example\")",
    );
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.end.as_deref(), Some("failed"));
    assert!(
        text(&run, "_ERR").contains("is a method of the REST proxy"),
        "{}",
        text(&run, "_ERR")
    );
}

#[test]
fn a_request_inside_a_subscript_resumes_in_its_frame() {
    let mut scripts = studioflow::MemoryResolver::default();
    scripts.insert(
        "lookup",
        r#"start: Begin { Default -> s }
s: Snippet {
  Data = """
    FUNCTION Name(id) {
      ASSIGN p = GetRESTProxy()
      ASSIGN r = p.MakeRestRequest("https://crm.example/{id}")
      RETURN "{r.name} ({p.StatusCode})"
    }
    ASSIGN got = Name(p1)
  """
  Default -> back
}
back: Return { ReturnValue = got }"#,
    );
    let engine = Engine::builder().script_resolver(scripts).build();
    let script = engine
        .compile(
            "start: Begin { Default -> call }\ncall: RunSub { ScriptName = lookup Parameters = 7 ReturnVariable = name Default -> done }\ndone: End",
            "main.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    assert_eq!(run.end.as_deref(), Some("lookup:s"));
    assert_eq!(request(&run).url, "https://crm.example/7");
    let run = resume_via_bytes(&engine, &script, run, reply(200, r#"{"name":"Ada"}"#));
    assert_eq!(run.end.as_deref(), Some("done"), "{:?}", run.error);
    assert_eq!(text(&run, "name"), "Ada (200)");
}

#[test]
fn a_security_user_the_code_held_is_issued_again_by_the_resumed_run() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .build();
    // The inner call saves the outer call's `u` (a security user) and
    // waits: that handle travels in the Snippet's memo, not in a variable.
    let script = engine
        .compile(
            r#"start: Begin { Default -> who }
who: SetSecurityUser { Agent = "sysadmin" Default -> calc }
calc: Snippet {
  Data = """
    FUNCTION F(n, u) {
      IF n > 1 { ASSIGN x = F(n - 1, "other") }
      IF n = 1 { ASSIGN r = p.MakeRestRequest("https://x.example/a") }
      RETURN u
    }
    ASSIGN p = GetRESTProxy()
    ASSIGN back = F(2, SecurityUser)
  """
  Default -> get
  Error -> failed
}
get: GetAgent { SecurityUser = back Agent = "agentadmin" Default -> done Error -> failed }
failed: End
done: End"#,
            "who.script",
        )
        .unwrap();
    let run = engine.run(&script, RunOptions::default());
    let run = resume_via_bytes(&engine, &script, run, reply(200, "ok"));
    assert_eq!(
        run.end.as_deref(),
        Some("done"),
        "{:?}",
        run.variable("_ERR")
    );
    let Some(Value::SecurityUser(user)) = run.variable("back") else {
        panic!("{:?}", run.variable("back"))
    };
    assert_eq!(user.user_name(), "sysadmin");
}
