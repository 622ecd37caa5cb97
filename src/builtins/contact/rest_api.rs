//! `RestApi` (Studio's files call it `REST_API`): an HTTP request the host
//! makes. The run waits for the reply (`Wait::Http`; the engine does no
//! network I/O) and the transcript says `http` with `METHOD URL`.
//!
//! Properties, in the order Studio's files write them: `Command`
//! (`MakeRestRequest`), `ServiceAddress` (the URL), `Headers` (a JSON
//! object, as text or a dynamic object), `Parameters` (the body: text, or
//! a dynamic object or list sent as JSON), `Verb`, `TimeOutInMilliSeconds`
//! (at most 90,000), and the variables `ResultSet` (the body: a JSON body
//! as a dynamic object, any other as text), `ErrorArgs` (`""`, or for a
//! status other than 2xx an object with `StatusCode` and
//! `StatusDescription`; for a failure the reason) and `ResponseHeaders`
//! (an object, one member per header).
//!
//! Any status is a reply, not an error of the action: a 404 or a 500 takes
//! Default, as real scripts rely on. Only a transport failure (the host's
//! [`crate::Event::HttpFailed`]) or a body over Studio's 32 KB is an error
//! (`_ERR`, Error branch).

use std::sync::Arc;

use super::props::text;
use crate::builtins::list::ActionList;
use crate::runtime::contact::{DEFAULT_HTTP_TIMEOUT_MS, MAX_HTTP_TIMEOUT_MS};
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, Event, HttpReply, HttpRequest, PropertyKind,
    PropertySchema, TranscriptKind, Value, Wait,
};

const SERVICE_ADDRESS: usize = 1;
const HEADERS: usize = 2;
const PARAMETERS: usize = 3;
const VERB: usize = 4;
const TIMEOUT: usize = 5;
const RESULT_SET: usize = 6;
const ERROR_ARGS: usize = 7;
const RESPONSE_HEADERS: usize = 8;

/// The largest reply body Studio's REST API action takes (32 KB).
pub(super) const MAX_BODY_BYTES: usize = 32 * 1024;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    match call.take_resumed().map(|r| r.event) {
        None => {
            let request = request(call)?;
            call.transcript(
                TranscriptKind::Http,
                &format!("{} {}", request.method, request.url),
            );
            call.wait(Wait::Http { request })
        }
        Some(Event::Reply(reply)) => store_reply(call, reply),
        Some(Event::HttpFailed(why)) => {
            let why = format!("the request failed: {why}");
            call.set_output(ERROR_ARGS, Value::from(why.as_str()))?;
            Err(ActionError::failed(why))
        }
        // Only a reply or a failure reaches an HTTP wait (answer and
        // hangup are the engine's).
        Some(other) => Err(ActionError::failed(format!(
            "event `{other}` cannot answer an HTTP request"
        ))),
    }
}

/// The request the properties describe.
fn request(call: &ActionCall<'_>) -> Result<HttpRequest, ActionError> {
    let url = text(call, SERVICE_ADDRESS).trim().to_string();
    let scheme_ok = url.split_once("://").is_some_and(|(scheme, rest)| {
        (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
            && !rest.is_empty()
    });
    if !scheme_ok {
        return Err(ActionError::InvalidProperty {
            property: "ServiceAddress".into(),
            expected: "an absolute http:// or https:// URL".into(),
            got: format!("{:?}", clip(&url)),
        });
    }
    let method = match text(call, VERB).trim() {
        "" => "GET".to_string(),
        verb => verb.to_string(),
    };
    let mut request = HttpRequest::new(method, url);
    request.timeout_ms = timeout_ms(call)?;
    request.headers = headers(call)?;
    request.body = match call.property(PARAMETERS) {
        None => String::new(),
        Some(v @ (Value::List(_) | Value::Object(_))) => v.to_json().to_string(),
        Some(v) => v.to_text(),
    };
    Ok(request)
}

fn timeout_ms(call: &ActionCall<'_>) -> Result<u64, ActionError> {
    let Some(value) = call.property(TIMEOUT).filter(|v| !v.is_null_or_empty()) else {
        return Ok(DEFAULT_HTTP_TIMEOUT_MS);
    };
    match value.as_number() {
        Some(n) if n.fract() == 0.0 && n >= 1.0 && n <= MAX_HTTP_TIMEOUT_MS as f64 => Ok(n as u64),
        _ => Err(ActionError::invalid(
            "TimeOutInMilliSeconds",
            &format!("a whole number of milliseconds from 1 to {MAX_HTTP_TIMEOUT_MS}"),
            value,
        )),
    }
}

/// Headers from a JSON object (text) or a dynamic object, in order.
fn headers(call: &ActionCall<'_>) -> Result<Vec<(String, String)>, ActionError> {
    let Some(value) = call.property(HEADERS).filter(|v| !v.is_null_or_empty()) else {
        return Ok(Vec::new());
    };
    let json = match value {
        Value::Object(_) => value.to_json(),
        Value::String(s) => serde_json::from_str(s).unwrap_or(serde_json::Value::Null),
        _ => serde_json::Value::Null,
    };
    let serde_json::Value::Object(members) = json else {
        return Err(ActionError::invalid(
            "Headers",
            "a JSON object of header names and values",
            value,
        ));
    };
    Ok(members
        .into_iter()
        .map(|(name, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (name, v)
        })
        .collect())
}

/// Stores a reply: any status is one.
fn store_reply(call: &mut ActionCall<'_>, reply: HttpReply) -> Result<BranchId, ActionError> {
    if reply.body.len() > MAX_BODY_BYTES {
        let why = format!(
            "the reply body is {} bytes: Studio takes at most 32 KB ({MAX_BODY_BYTES} bytes)",
            reply.body.len()
        );
        call.set_output(ERROR_ARGS, Value::from(why.as_str()))?;
        return Err(ActionError::failed(why));
    }
    let body = match serde_json::from_str::<serde_json::Value>(&reply.body) {
        Ok(json @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            Value::from_json(&json)
        }
        _ => Value::from(reply.body.as_str()),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, v) in &reply.headers {
        match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(v);
            }
            None => headers.push((name.clone(), v.clone())),
        }
    }
    let headers = serde_json::Value::Object(
        headers
            .into_iter()
            .map(|(n, v)| (n, serde_json::Value::String(v)))
            .collect(),
    );
    let error_args = match reply.status {
        200..=299 => Value::from(""),
        status => Value::from_json(&serde_json::json!({
            "StatusCode": status,
            "StatusDescription": reply.status_description(),
        })),
    };
    call.set_output(RESULT_SET, body)?;
    call.set_output(ERROR_ARGS, error_args)?;
    call.set_output(RESPONSE_HEADERS, Value::from_json(&headers))?;
    Ok(BranchId::DEFAULT)
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

pub(super) fn register(builder: &mut ActionList) {
    let output = |name: &str, default: &str| {
        PropertySchema::optional(name, PropertyKind::OutputVariable)
            .with_default(Value::from(default))
    };
    builder.add_action(
        ActionSchema::new("RestApi")
            .property(
                PropertySchema::optional("Command", PropertyKind::Template)
                    .with_default(Value::from("MakeRestRequest"))
                    .with_choices(&["MakeRestRequest"]),
            )
            .property(PropertySchema::required(
                "ServiceAddress",
                PropertyKind::Template,
            ))
            .property(PropertySchema::optional(
                "Headers",
                PropertyKind::Expression,
            ))
            .property(PropertySchema::optional(
                "Parameters",
                PropertyKind::Expression,
            ))
            .property(
                PropertySchema::optional("Verb", PropertyKind::Template)
                    .with_default(Value::from("GET"))
                    .with_choices(&["GET", "POST", "PUT", "PATCH", "DELETE"]),
            )
            .property(
                PropertySchema::optional("TimeOutInMilliSeconds", PropertyKind::Expression)
                    .with_default(Value::from(DEFAULT_HTTP_TIMEOUT_MS as f64)),
            )
            .property(output("ResultSet", "resultSet"))
            .property(output("ErrorArgs", "errorArgList"))
            .property(output("ResponseHeaders", "responseHeaders"))
            .external_failures(),
        Arc::new(execute),
    );
}
