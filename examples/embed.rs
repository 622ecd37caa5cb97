//! A small host: registers a custom action and a function, then runs a script
//! from a string against the demo tenant with a fixed clock.
//!
//! Run it with `cargo run --example embed`.

use studioflow::{
    ActionCall, ActionError, ActionSchema, BranchId, Engine, FixedClock, Outcome, PropertyKind,
    PropertySchema, RunOptions, ScriptTypes, Value,
};

/// `SendSms`: pretends to send a text message. Branches: Default, Error, and
/// `Throttled` when the body is too long for one message.
fn send_sms(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    const THROTTLED: BranchId = BranchId::own(0);

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
        return Ok(THROTTLED);
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

    let mut options = RunOptions::default();
    options
        .variables
        .insert("AgentId".into(), Value::from(1004.0));
    options
        .variables
        .insert("Customer".into(), Value::from("Ada"));
    options
        .variables
        .insert("Phone".into(), Value::from("+15551234567"));
    let run = engine.run(&script, options);

    if let Some(error) = &run.error {
        eprintln!("error: {error}"); // RunError is a std::error::Error
        std::process::exit(1);
    }
    assert_eq!(run.outcome, Outcome::Completed);
    println!("{}", run.variables["SmsResult"]);
    println!(
        "{}",
        serde_json::to_string_pretty(&run.to_json()).expect("JSON")
    );
}
