//! `--allow-http`: the command line makes a run's HTTP requests for real
//! (the engine never touches the network). Any status is a reply; only a
//! transport failure (no connection, a timeout, a response over 32 KB) is
//! a failure, which the waiting action takes as its Error branch.

use std::time::Duration;

use studioflow::{Event, HttpReply, HttpRequest, Wait, Waiting};
use ureq::http;

/// The largest response body read, as Studio documents (32 KB).
pub(super) const MAX_RESPONSE_BYTES: u64 = 32 * 1024;
/// The longest a request may take, as Studio documents (90 s).
const MAX_TIMEOUT_MS: u64 = 90_000;
/// Response headers kept (the body is what scripts read; this bounds the rest).
const MAX_REPLY_HEADERS: usize = 100;

/// The responder of a simulation under `--allow-http`: answers HTTP waits
/// with a real request, leaves every other wait to the events.
pub(super) fn respond(waiting: &Waiting) -> Option<Event> {
    match &waiting.wait {
        Wait::Http { request } => Some(call(request)),
        _ => None,
    }
}

/// Makes `request` and returns the event that resumes its wait: a reply
/// (whatever its status) or a transport failure.
pub(super) fn call(request: &HttpRequest) -> Event {
    match send(request) {
        Ok(reply) => Event::Reply(reply),
        Err(why) => Event::HttpFailed(why),
    }
}

fn send(request: &HttpRequest) -> Result<HttpReply, String> {
    let timeout = Duration::from_millis(request.timeout_ms.clamp(1, MAX_TIMEOUT_MS));
    let mut config = ureq::Agent::config_builder();
    // The environment's proxy (HTTPS_PROXY, NO_PROXY, ...) is used, except
    // for this machine's own addresses, which a proxy cannot reach.
    if is_loopback(&request.url) {
        config = config.proxy(None);
    }
    let agent: ureq::Agent = config
        .timeout_global(Some(timeout))
        // Any status is a reply: the script reads it.
        .http_status_as_error(false)
        // A redirect is a reply too (the script sees 301 and Location),
        // so the request goes only where the script said.
        .max_redirects(0)
        .user_agent(concat!("studioflow/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let method = http::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", request.method))?;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(request.url.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let bad = |e: http::Error| format!("{} {}: {e}", request.method, request.url);
    let response = if request.body.is_empty() {
        agent.run(builder.body(ureq::SendBody::none()).map_err(bad)?)
    } else {
        agent.run(builder.body(request.body.as_str()).map_err(bad)?)
    };
    let mut response = response.map_err(|e| format!("{} {}: {e}", request.method, request.url))?;
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .take(MAX_REPLY_HEADERS)
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => format!(
                "{} {}: the response is larger than {} bytes (32 KB, Studio's limit)",
                request.method, request.url, MAX_RESPONSE_BYTES
            ),
            e => format!("{} {}: {e}", request.method, request.url),
        })?;
    let mut reply = HttpReply::new(status, String::from_utf8_lossy(&body).into_owned());
    for (name, value) in headers {
        reply = reply.header(name, value);
    }
    Ok(reply)
}

/// Whether the URL names this machine: `localhost`, 127.0.0.0/8 or `::1`.
fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A server on 127.0.0.1 that answers `count` connections with
    /// `response` (raw HTTP) and returns what it was sent.
    fn serve(response: Vec<u8>, count: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..count {
                let Ok((mut stream, _)) = listener.accept() else {
                    break;
                };
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Read the head, then as much body as Content-Length says.
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                seen.push(String::from_utf8_lossy(&request).into_owned());
                let _ = stream.write_all(&response);
            }
            seen
        });
        (url, handle)
    }

    fn response(status: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_reply_of_any_status_is_a_reply() {
        let (url, server) = serve(
            response("404 Not Found", b"{\"error\":\"no such caller\"}"),
            1,
        );
        let request = HttpRequest::new("POST", format!("{url}/callers"))
            .header("X-Trace", "abc")
            .body("{\"ani\":\"5551234\"}");
        let Event::Reply(reply) = call(&request) else {
            panic!("not a reply")
        };
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, "{\"error\":\"no such caller\"}");
        assert!(reply
            .headers
            .iter()
            .any(|(n, v)| n == "content-type" && v == "application/json"));
        let seen = server.join().unwrap();
        assert!(
            seen[0].starts_with("POST /callers HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(
            seen[0].to_ascii_lowercase().contains("x-trace: abc"),
            "{}",
            seen[0]
        );
        assert!(seen[0].ends_with("{\"ani\":\"5551234\"}"), "{}", seen[0]);
    }

    #[test]
    fn a_response_over_32_kb_is_a_transport_failure() {
        let exactly = vec![b'a'; MAX_RESPONSE_BYTES as usize];
        let (url, server) = serve(response("200 OK", &exactly), 1);
        let Event::Reply(reply) = call(&HttpRequest::new("GET", format!("{url}/a"))) else {
            panic!("32 KB is allowed")
        };
        assert_eq!(reply.body.len(), MAX_RESPONSE_BYTES as usize);
        server.join().unwrap();

        let over = vec![b'a'; MAX_RESPONSE_BYTES as usize + 1];
        let (url, server) = serve(response("200 OK", &over), 1);
        let Event::HttpFailed(why) = call(&HttpRequest::new("GET", format!("{url}/a"))) else {
            panic!("over 32 KB is a failure")
        };
        assert!(why.contains("larger than 32768 bytes"), "{why}");
        server.join().unwrap();
    }

    #[test]
    fn no_server_is_a_transport_failure() {
        // A port just freed: nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let event = call(&HttpRequest::new(
            "GET",
            format!("http://127.0.0.1:{port}/x"),
        ));
        let Event::HttpFailed(why) = event else {
            panic!("{event:?}")
        };
        assert!(
            why.starts_with(&format!("GET http://127.0.0.1:{port}/x: ")),
            "{why}"
        );
    }

    #[test]
    fn a_silent_server_times_out_as_the_request_says() {
        // Accepts and never answers; the request allows 200 ms.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/slow", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            // Held open until the client gives up (bounded: at most 10 s).
            let mut stream = stream;
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        });
        let mut request = HttpRequest::new("GET", url);
        request.timeout_ms = 200;
        let event = call(&request);
        let Event::HttpFailed(why) = event else {
            panic!("{event:?}")
        };
        assert!(why.contains("timeout"), "{why}");
        server.join().unwrap();
    }

    #[test]
    fn a_redirect_is_a_reply_and_not_followed() {
        let head = b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
        let (url, server) = serve(head, 1);
        let Event::Reply(reply) = call(&HttpRequest::new("GET", url)) else {
            panic!("a redirect is a reply")
        };
        assert_eq!(reply.status, 302);
        server.join().unwrap();
    }

    #[test]
    fn loopback_urls_are_known() {
        assert!(is_loopback("http://127.0.0.1:8080/x"));
        assert!(is_loopback("http://127.1.2.3/x"));
        assert!(is_loopback("http://localhost/x"));
        assert!(is_loopback("http://[::1]:80/x"));
        assert!(!is_loopback("https://crm.example/x"));
        assert!(!is_loopback("http://10.0.0.1/x"));
        assert!(!is_loopback("not a url"));
    }

    #[test]
    fn only_http_waits_are_answered() {
        let waiting = |wait| {
            let engine = studioflow::Engine::new();
            let script = engine
                .compile(
                    "start: Begin { Default -> w }\nw: Wait { Seconds = 1 Default -> done }\ndone: End",
                    "w.script",
                )
                .unwrap();
            let mut w = engine.run(&script, Default::default()).waiting.unwrap();
            w.wait = wait;
            w
        };
        assert_eq!(respond(&waiting(Wait::Time { seconds: 1.0 })), None);
        assert_eq!(respond(&waiting(Wait::Event)), None);
        let failed = respond(&waiting(Wait::Http {
            request: HttpRequest::new("GET", "notaurl"),
        }));
        assert!(matches!(failed, Some(Event::HttpFailed(_))), "{failed:?}");
    }
}
