//! A small host: registers a custom action and a function, then runs a script
//! from a string against the demo tenant with a fixed clock.
//!
//! Run it with `cargo run --example embed`.

use studioflow::permissions::Directory;
use studioflow::{
    ActionCall, ActionError, ActionSchema, BranchId, Engine, FixedClock, PropertyKind,
    PropertySchema, RunOptions, ScriptTypes, Value,
};

/// `SendSms`: pretends to send a text message. Branches: Default, Error, and
/// `Throttled` when the body is too long for one message.
fn send_sms(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    // Properties by name, typed: a list or object here fails the action with
    // `To: expected text, got ...` in `_ERR`.
    let to = call.text_property("To")?;
    if !to.starts_with('+') {
        return Err(ActionError::failed(format!(
            "To: {to:?} is not an E.164 number"
        )));
    }
    let body = call.text_property("Body")?;
    if body.chars().count() > 160 {
        return call.branch("Throttled"); // by name: a typo is an error, not a panic
    }
    call.set_output_named(
        "ScriptVariable",
        Value::from(format!("sent {} chars to {to}", body.chars().count())),
    )?;
    Ok(BranchId::DEFAULT)
}

/// `mask(phone)`: every character but the last four as `*`.
fn mask(phone: String) -> String {
    let count = phone.chars().count();
    phone
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < count { '*' } else { c })
        .collect()
}

const SCRIPT: &str = r#"
script "Callback confirmation" type SMS

start: Begin { Default -> who }

who: SetSecurityUser "Service account" {
  Agent = "sysadmin"
  Default -> agent
  Error -> failed
}

agent: GetAgent {
  Agent = "{AgentId}"
  Default -> text
  Error -> failed
}

text: SendSms "Confirm callback" {
  To = Phone
  Body = "Hi {Customer}, {Agent.firstName} will call you back ({mask(Phone)}) at {now()}."
  Default -> done
  Throttled -> done
  Error -> failed
}

failed: Assign { Variable = Outcome Value = "failed: {_ERR}" Default -> done }

done: End
"#;

fn main() {
    let engine = Engine::builder()
        // The demo tenant (Engine::new() has an empty permission model).
        .directory(Directory::demo())
        .clock(FixedClock::parse("2026-11-01T16:30:00Z").expect("valid time"))
        // Typed: one text argument, so `mask()` or `mask(a, b)` fails `check`.
        .register_fn("mask", mask)
        .register_action(
            ActionSchema::new("SendSms")
                .property(PropertySchema::required("To", PropertyKind::Template))
                .property(PropertySchema::required("Body", PropertyKind::Template))
                .property(
                    PropertySchema::optional("ScriptVariable", PropertyKind::OutputVariable)
                        .with_default(Value::from("SmsResult")),
                )
                .branch("Throttled")
                .script_types(ScriptTypes::ALL)
                .external_failures(),
            send_sms,
        )
        .build();

    let script = match engine.compile(SCRIPT, "callback.script") {
        Ok(script) => script,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            std::process::exit(2);
        }
    };

    let options = RunOptions::default()
        .var("AgentId", 1004)
        .var("Customer", "Ada")
        .var("Phone", "+15551234567");
    let run = match engine.run(&script, options).into_result() {
        Ok(run) => run,
        Err(error) => {
            eprintln!("error: {error}"); // RunError is a std::error::Error
            std::process::exit(1);
        }
    };
    println!("{}", run.variable("SmsResult").expect("set by SendSms"));
    println!(
        "{}",
        serde_json::to_string_pretty(&run.to_json()).expect("JSON")
    );
}
