//! [`Wait`]: what a waiting run waits for, typed so a host can act on it.

use serde::{Deserialize, Serialize};

/// The kind of thing a run waits for, as `--json` names it (`"for"`).
///
/// ```
/// assert_eq!(studioflow::WaitFor::Digits.as_str(), "digits");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaitFor {
    /// Keys the caller presses (Menu, Capture).
    Digits,
    /// Time passing (Wait, Music).
    Time,
    /// The reply to an HTTP request (RestApi, a Snippet's REST proxy).
    Http,
    /// Only an event: an agent answering, the caller hanging up (Stop).
    Event,
}

impl WaitFor {
    /// `digits`, `time`, `http` or `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitFor::Digits => "digits",
            WaitFor::Time => "time",
            WaitFor::Http => "http",
            WaitFor::Event => "event",
        }
    }
}

impl std::fmt::Display for WaitFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP request a run waits to have made: the host makes it (the engine
/// does no network I/O) and resumes the run with [`crate::Event::Reply`].
///
/// ```
/// let request = studioflow::HttpRequest::new("GET", "https://crm.example/callers/5551234");
/// assert_eq!(request.method, "GET");
/// assert_eq!(request.timeout_ms, 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Request headers in the order the script added them.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The request body ("" for none).
    #[serde(default)]
    pub body: String,
    /// How long the host may take before the request counts as timed out
    /// (at most 90,000, as Studio documents).
    pub timeout_ms: u64,
}

/// The longest a request may take, as Studio documents (90 seconds).
pub const MAX_HTTP_TIMEOUT_MS: u64 = 90_000;
/// The default when a script sets none.
pub const DEFAULT_HTTP_TIMEOUT_MS: u64 = 10_000;

impl HttpRequest {
    /// A request with no headers, no body and the default timeout.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: String::new(),
            timeout_ms: DEFAULT_HTTP_TIMEOUT_MS,
        }
    }

    /// The same request with a header added.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The same request with a body.
    pub fn body(mut self, body: impl Into<String>) -> HttpRequest {
        self.body = body.into();
        self
    }

    /// The request as JSON (`method`, `url`, `headers`, `body`, `timeout_ms`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "method": self.method,
            "url": self.url,
            "headers": self.headers.iter().map(|(n, v)| serde_json::json!([n, v])).collect::<Vec<_>>(),
            "body": self.body,
            "timeout_ms": self.timeout_ms,
        })
    }
}

/// The reply to an [`HttpRequest`]: any status is a reply (a 404 or a 500
/// is read by the script, not an error of the action).
///
/// ```
/// let reply = studioflow::HttpReply::new(404, "{\"error\":\"no such caller\"}");
/// assert_eq!(reply.status_description(), "Not Found");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HttpReply {
    /// The HTTP status code (100 to 599).
    pub status: u16,
    /// Response headers.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The response body, as text.
    pub body: String,
}

impl HttpReply {
    /// A reply with a status and a body, no headers.
    pub fn new(status: u16, body: impl Into<String>) -> HttpReply {
        HttpReply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The same reply with a header added.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpReply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The status's reason phrase (`OK`, `Not Found`, ...; `""` for an
    /// unknown code), what a Snippet reads as `StatusDescription`.
    pub fn status_description(&self) -> &'static str {
        reason_phrase(self.status)
    }
}

/// The standard reason phrase of an HTTP status code.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// What a waiting action waits for: the details a host acts on.
///
/// ```
/// use studioflow::{Wait, WaitFor};
/// let wait = Wait::Time { seconds: 2.5 };
/// assert_eq!(wait.kind(), WaitFor::Time);
/// assert_eq!(wait.to_json()["seconds"], 2.5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Wait {
    /// Keys from the caller: at most `max_digits` (the terminator counts),
    /// ending early at `terminator`; `timeout` seconds until the wait times
    /// out (the inter-digit timeout once some digits were entered).
    Digits {
        /// The most keys the action takes.
        max_digits: u32,
        /// The key that ends the entry early ("" for none).
        terminator: String,
        /// The digits entered so far.
        entered: String,
        /// Seconds of virtual time left before the wait times out.
        timeout: f64,
    },
    /// `seconds` of virtual time to pass.
    Time {
        /// Seconds left.
        seconds: f64,
    },
    /// The reply to a request.
    Http {
        /// The request to make.
        request: HttpRequest,
    },
    /// Nothing but an event (an agent answering, the caller hanging up).
    Event,
}

impl Wait {
    /// Which kind of wait this is.
    pub fn kind(&self) -> WaitFor {
        match self {
            Wait::Digits { .. } => WaitFor::Digits,
            Wait::Time { .. } => WaitFor::Time,
            Wait::Http { .. } => WaitFor::Http,
            Wait::Event => WaitFor::Event,
        }
    }

    /// The wait as JSON: `{"for": ..., ...}` with its details.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Wait::Digits {
                max_digits,
                terminator,
                entered,
                timeout,
            } => serde_json::json!({
                "for": "digits",
                "max_digits": max_digits,
                "terminator": terminator,
                "entered": entered,
                "timeout": timeout,
            }),
            Wait::Time { seconds } => serde_json::json!({"for": "time", "seconds": seconds}),
            Wait::Http { request } => {
                serde_json::json!({"for": "http", "request": request.to_json()})
            }
            Wait::Event => serde_json::json!({"for": "event"}),
        }
    }
}

/// A waiting run's wait: which action waits, for what, and since when.
///
/// ```
/// use studioflow::{Engine, Outcome, RunOptions, WaitFor};
/// let engine = Engine::new();
/// let script = engine.compile(r#"
///     start: Begin { Default -> hold }
///     hold: Wait { Seconds = 2.5 Default -> done }
///     done: End
/// "#, "hold.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// assert_eq!(run.outcome, Outcome::Waiting);
/// let waiting = run.waiting.as_ref().unwrap();
/// assert_eq!((waiting.action.as_str(), waiting.wait.kind()), ("hold", WaitFor::Time));
/// assert_eq!(run.to_json()["waiting"]["for"], "time");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Waiting {
    /// The waiting action (`subscript:action` inside a RunSub).
    pub action: String,
    /// What it waits for.
    pub wait: Wait,
    /// The run's virtual time when it began to wait, in seconds since the
    /// run started.
    pub at: f64,
    /// The skill the contact is queued for, if a ReqAgent queued it.
    pub queued: Option<String>,
}

impl Waiting {
    /// `{"action", "for", ...details, "at", "queued"}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = self.wait.to_json();
        if let Some(object) = json.as_object_mut() {
            let mut out = serde_json::Map::new();
            out.insert("action".into(), self.action.clone().into());
            for (k, v) in std::mem::take(object) {
                out.insert(k, v);
            }
            out.insert("at".into(), serde_json::json!(self.at));
            out.insert(
                "queued".into(),
                self.queued
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
            );
            return serde_json::Value::Object(out);
        }
        json
    }
}
