//! Snippet's REST proxy (`GetRESTProxy()`): a dynamic data object whose
//! `__type` member says it is the proxy (only a proxy has the proxy's
//! methods), with Studio's members `ContentType`, `StatusCode` and
//! `StatusDescription`, and the headers `AddHeader` added (`Headers`, a
//! list of `[name, value]` pairs in order). `MakeRestRequest` builds an
//! [`HttpRequest`] from it; the host makes the request and the reply is
//! turned back into a value here.

use std::sync::Arc;

use crate::program::names::RESERVED_MEMBER;
use crate::runtime::contact::{HttpRequest, DEFAULT_HTTP_TIMEOUT_MS, MAX_HTTP_TIMEOUT_MS};
use crate::runtime::value::{Object, Text, Value};
use crate::snippet::program::REST_PROXY_TYPE;

/// The largest reply body a request takes, as Studio documents (32 KB).
pub(crate) const MAX_REPLY_BYTES: usize = 32 * 1024;

const CONTENT_TYPE: &str = "ContentType";
const HEADERS: &str = "Headers";
pub(crate) const STATUS_CODE: &str = "StatusCode";
pub(crate) const STATUS_DESCRIPTION: &str = "StatusDescription";

/// A new proxy: no content type, no headers, no status yet.
pub(crate) fn new_proxy() -> Value {
    let mut members = Object::default();
    members.insert(Text::from(RESERVED_MEMBER), Value::from(REST_PROXY_TYPE));
    members.insert(Text::from(CONTENT_TYPE), Value::from(""));
    members.insert(Text::from(HEADERS), Value::List(Arc::default()));
    members.insert(Text::from(STATUS_CODE), Value::Number(0.0));
    members.insert(Text::from(STATUS_DESCRIPTION), Value::from(""));
    Value::Object(Arc::new(members))
}

/// The proxy's members, when `v` is a proxy.
fn proxy_members(v: &Value) -> Option<&Object> {
    match v {
        Value::Object(map)
            if map
                .get(RESERVED_MEMBER)
                .and_then(Value::as_str)
                .is_some_and(|t| t == REST_PROXY_TYPE) =>
        {
            Some(map)
        }
        _ => None,
    }
}

fn not_a_proxy(method: &str, v: &Value) -> String {
    format!(
        "{method}() is a method of the REST proxy (from GetRESTProxy()), not of {}",
        v.type_name()
    )
}

/// `proxy.AddHeader(name, value)`: the proxy with the header added after
/// the others. `args` are the proxy, the name and the value.
pub(crate) fn add_header(args: &[Value]) -> Result<Value, String> {
    let [proxy, name, value] = args else {
        return Err("AddHeader() takes a name and a value".into());
    };
    let Some(members) = proxy_members(proxy) else {
        return Err(not_a_proxy("AddHeader", proxy));
    };
    let name = name.to_text();
    let value = value.to_text();
    check_header(&name, &value)?;
    let mut headers = match members.get(HEADERS) {
        Some(Value::List(items)) => items.as_ref().clone(),
        _ => Vec::new(),
    };
    headers.push(Value::List(Arc::new(vec![
        Value::from(name.as_str()),
        Value::from(value.as_str()),
    ])));
    let mut members = members.clone();
    members.insert(Text::from(HEADERS), Value::List(Arc::new(headers)));
    Ok(Value::Object(Arc::new(members)))
}

/// A header a request can carry: a name of HTTP's token characters, a value
/// without line breaks (no header can smuggle in another).
fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!(
            "the header name {:?} is not a valid HTTP header name",
            clip(name)
        ));
    }
    if value.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(format!(
            "the value of header `{name}` holds a line break or a NUL"
        ));
    }
    Ok(())
}

fn clip(text: &str) -> String {
    text.chars().take(60).collect()
}

/// `proxy.MakeRestRequest(url, body, timeout, verb)` as a request. `args`
/// are the proxy, then the method's one to four arguments: the absolute
/// URL; the body (text, or a list or object sent as its JSON); the
/// timeout in seconds (0, what real scripts pass, is the default of 10 s;
/// at most 90); the verb (GET when left out or empty).
pub(crate) fn request(args: &[Value]) -> Result<HttpRequest, String> {
    let (proxy, rest) = args
        .split_first()
        .ok_or("MakeRestRequest() needs the proxy")?;
    let Some(members) = proxy_members(proxy) else {
        return Err(not_a_proxy("MakeRestRequest", proxy));
    };
    let url = rest.first().map(Value::to_text).unwrap_or_default();
    let scheme = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
    if !(scheme.starts_with("http://") || scheme.starts_with("https://")) || url.len() < 9 {
        return Err(format!(
            "MakeRestRequest()'s URL must be an absolute http:// or https:// URL, got {:?}",
            clip(&url)
        ));
    }
    if url.chars().any(char::is_whitespace) {
        return Err(format!(
            "MakeRestRequest()'s URL {:?} holds a blank (encode it as %20)",
            clip(&url)
        ));
    }
    let body = match rest.get(1) {
        None | Some(Value::Null) => String::new(),
        Some(v @ (Value::List(_) | Value::Object(_))) => v.to_json().to_string(),
        Some(v) => v.to_text(),
    };
    let timeout_ms = match rest.get(2) {
        None | Some(Value::Null) => DEFAULT_HTTP_TIMEOUT_MS,
        Some(v) if v.is_null_or_empty() => DEFAULT_HTTP_TIMEOUT_MS,
        Some(v) => match v.as_number() {
            Some(0.0) => DEFAULT_HTTP_TIMEOUT_MS,
            Some(n) if n.fract() == 0.0 && n > 0.0 => {
                ((n * 1000.0).min(MAX_HTTP_TIMEOUT_MS as f64)) as u64
            }
            _ => {
                return Err(format!(
                    "MakeRestRequest()'s third argument is a timeout in whole seconds (0 for the default), got {}",
                    crate::runtime::error::shown(v)
                ))
            }
        },
    };
    let verb = rest.get(3).map(Value::to_text).unwrap_or_default();
    let method = match verb.trim().to_ascii_uppercase().as_str() {
        "" => "GET".to_string(),
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE") => m.to_string(),
        _ => {
            return Err(format!(
                "MakeRestRequest()'s verb must be GET, POST, PUT, PATCH or DELETE, got {:?}",
                clip(&verb)
            ))
        }
    };
    let mut headers = Vec::new();
    let added = match members.get(HEADERS) {
        None => &[][..],
        Some(Value::List(items)) => &items[..],
        Some(v) if v.is_null_or_empty() => &[][..],
        Some(other) => {
            return Err(format!(
                "the proxy's `Headers` member must be the list AddHeader() builds, got {}",
                other.type_name()
            ))
        }
    };
    for pair in added {
        let (name, value) = match pair {
            Value::List(p) if p.len() == 2 => (p[0].to_text(), p[1].to_text()),
            other => {
                return Err(format!(
                    "the proxy's `Headers` member must hold [name, value] pairs, got {}",
                    other.type_name()
                ))
            }
        };
        check_header(&name, &value)?;
        headers.push((name, value));
    }
    // ContentType goes first, unless the script added the header itself.
    let content_type = members.get(CONTENT_TYPE).map(Value::to_text);
    if let Some(ct) = content_type.filter(|ct| !ct.is_empty()) {
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        {
            check_header("Content-Type", &ct)?;
            headers.insert(0, ("Content-Type".to_string(), ct));
        }
    }
    Ok(HttpRequest {
        method,
        url,
        headers,
        body,
        timeout_ms,
    })
}

/// A reply's body as the request's result: a JSON object or array is a
/// dynamic data object or a list; anything else is text.
pub(crate) fn reply_value(body: &str) -> Value {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // serde_json stops at 128 levels: a hostile body cannot exhaust
        // the stack; too deep, it stays text.
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
            return Value::from_json(&json);
        }
    }
    Value::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy_with(members: &[(&str, Value)]) -> Value {
        let Value::Object(map) = new_proxy() else {
            unreachable!()
        };
        let mut map = map.as_ref().clone();
        for (k, v) in members {
            map.insert(Text::from(*k), v.clone());
        }
        Value::Object(Arc::new(map))
    }

    #[test]
    fn a_request_carries_the_content_type_then_the_headers_in_order() {
        let p = proxy_with(&[("ContentType", "application/json".into())]);
        let p = add_header(&[p, "X-A".into(), "1".into()]).unwrap();
        let p = add_header(&[p, "Authorization".into(), "Bearer t".into()]).unwrap();
        let r = request(&[
            p,
            "https://crm.example/x".into(),
            "{}".into(),
            Value::Number(0.0),
            "post".into(),
        ])
        .unwrap();
        assert_eq!((r.method.as_str(), r.body.as_str()), ("POST", "{}"));
        assert_eq!(r.timeout_ms, DEFAULT_HTTP_TIMEOUT_MS);
        let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
        assert_eq!(
            r.headers,
            [
                pair("Content-Type", "application/json"),
                pair("X-A", "1"),
                pair("Authorization", "Bearer t")
            ]
        );
        // Only the URL given: a GET with no body, no headers.
        let r = request(&[new_proxy(), "http://x.example".into()]).unwrap();
        assert_eq!((r.method.as_str(), r.headers.len()), ("GET", 0));
    }

    #[test]
    fn bad_arguments_are_named() {
        let p = new_proxy();
        let err = |args: &[Value]| request(args).unwrap_err();
        assert!(err(&[p.clone(), "crm.example".into()]).contains("absolute"));
        assert!(err(&[p.clone(), "https://x/ y".into()]).contains("blank"));
        assert!(err(&[
            p.clone(),
            "https://x".into(),
            "".into(),
            Value::Number(-1.0)
        ])
        .contains("timeout"));
        assert!(err(&[
            p.clone(),
            "https://x".into(),
            "".into(),
            Value::Number(0.0),
            "FETCH".into()
        ])
        .contains("verb"));
        assert!(err(&["text".into(), "https://x".into()]).contains("not of a string"));
        assert!(add_header(&[p.clone(), "Bad Name".into(), "v".into()]).is_err());
        assert!(add_header(&[p, "X".into(), "a\r\nY: b".into()]).is_err());
        let r = request(&[
            new_proxy(),
            "https://x".into(),
            "".into(),
            Value::Number(500.0),
        ]);
        assert_eq!(r.unwrap().timeout_ms, MAX_HTTP_TIMEOUT_MS);
    }

    #[test]
    fn json_bodies_are_objects_other_bodies_text() {
        assert_eq!(reply_value(r#" {"name":"Ada"}"#).to_json()["name"], "Ada");
        assert!(matches!(reply_value("[1,2]"), Value::List(_)));
        assert_eq!(reply_value("{not json"), Value::from("{not json"));
        assert_eq!(reply_value("42"), Value::from("42"));
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(matches!(reply_value(&deep), Value::String(_)));
    }
}
