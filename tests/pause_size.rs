//! Issue 19's size target for paused runs: the phone example paused at its
//! menu takes under 1 KiB sealed, besides its variables' own bytes.
//! (docs/benchmarks.md, "Contacts", has the figures and the breakdown.)

use std::time::Duration;

use studioflow::{Engine, Event, HttpReply, Outcome, PauseKey, RunOptions, Value};

const PHONE: &str = include_str!("../scripts/phone.script");
const CALLER: &str = r#"{"name":"Ada Lovelace","tier":"gold","open_orders":2}"#;

/// The phone flow paused at its menu after its lookup, sealed.
fn sealed_at_menu() -> Vec<u8> {
    let engine = Engine::demo();
    let script = engine.compile(PHONE, "scripts/phone.script").unwrap();
    let options = RunOptions::default()
        .var("ANI", Value::from("5550000001"))
        .var("CRM_URL", Value::from("http://127.0.0.1:40000"));
    let run = engine.run(&script, options);
    let paused = *run.paused.expect("waits for the lookup");
    let run = engine
        .resume(&script, paused, Event::Reply(HttpReply::new(200, CALLER)))
        .unwrap();
    assert_eq!(run.outcome, Outcome::Waiting);
    let paused = run.paused.expect("waits at the menu");
    assert_eq!(paused.waiting().action, "menu");
    let key = PauseKey::from_hex(&"5a".repeat(32)).unwrap();
    let now = "2026-12-06T12:00:00Z".parse().unwrap();
    key.seal(&paused, now, Duration::from_secs(30 * 24 * 3600))
}

/// The bytes of the variables' values in a sealed pause's JSON.
fn variable_bytes(json: &serde_json::Value) -> usize {
    let size = |v: &serde_json::Value| serde_json::to_string(v).unwrap().len();
    let frames = json["frames"].as_array().expect("frames");
    frames.iter().map(|f| size(&f["vars"])).sum::<usize>() + json.get("extra").map_or(0, size)
}

#[test]
fn a_paused_phone_call_takes_under_one_kib_besides_its_variables() {
    let bytes = sealed_at_menu();
    let text = std::str::from_utf8(&bytes).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(text.splitn(3, '\n').nth(2).unwrap()).unwrap();
    let variables = variable_bytes(&json);
    // The variables are there, the lookup's reply among them: what is
    // subtracted is theirs.
    let vars = serde_json::to_string(&json["frames"][0]["vars"]).unwrap();
    assert!(
        vars.contains("Ada Lovelace") && vars.contains("http://127.0.0.1:40000"),
        "{vars}"
    );
    assert!(
        bytes.len() - variables < 1024,
        "a paused phone call takes {} bytes, {variables} of them variables: {text}",
        bytes.len()
    );
}
