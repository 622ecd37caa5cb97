//! The language server on a generated ~1 MB script (the `parse_check`
//! benchmark's, see generated.rs): how long a one-character `didChange`
//! takes to come back as `publishDiagnostics`, beside a whole compile of
//! the same text (what `check` does) and the recovering parse the server's
//! outline and navigation read; and the server process's memory.
//!
//! Groups (criterion; the server runs in a thread on
//! `lsp_server::Connection::memory`, as `studioflow lsp` does on stdio):
//! - `lsp_1MB/open`: `didOpen` of the whole text to its diagnostics.
//! - `lsp_1MB/change_caption`: one character of a caption replaced (the
//!   script stays valid: an empty diagnostics list).
//! - `lsp_1MB/change_target`: one character of a branch target replaced,
//!   the target missing either way (one error, with its did-you-mean).
//! - `lsp_1MB/change_syntax`: one character replaced by another that breaks
//!   the syntax either way (a syntax error: the recovering parse at work).
//! - `lsp_1MB/document_symbols`, `semantic_tokens`: the outline and the
//!   highlighting of the 1 MB document.
//! - `lsp_1MB/compile`: `Engine::compile` of the text (parse + check), and
//!   `lsp_1MB/parse_recovering`: `syntax::parse_script_recovering` alone;
//!   `compile_syntax_error`, `parse_recovering_syntax_error`: the same on
//!   the text `change_syntax` leaves (what its latency is made of).
//!
//! Run: `cargo bench -p studioflow-benches --bench lsp -- --warm-up-time 1 --measurement-time 5`
//!
//! Memory: `STUDIOFLOW_BENCH_LSP_RSS=target/release/studioflow cargo bench -p studioflow-benches --bench lsp`
//! starts that binary's `lsp` as a child, drives it over stdio (the 1 MB
//! document opened, then 50 one-character changes, each awaited), and prints
//! its peak and current resident memory (`VmHWM`, `VmRSS` of
//! /proc/PID/status), next to the same server with no document open, and
//! the latencies it saw over the pipe.

#[allow(dead_code)]
mod generated;

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use generated::generated_script;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

const URI: &str = "file:///tmp/studioflow-bench-lsp/generated.script";

/// A server in a thread, initialized, with the generated script open.
struct Server {
    connection: Connection,
    thread: Option<std::thread::JoinHandle<()>>,
    version: i32,
    next_id: i32,
}

impl Server {
    fn start() -> Server {
        let (server_side, client_side) = Connection::memory();
        let thread = std::thread::spawn(move || {
            studioflow::lsp::serve(server_side).expect("the server ends cleanly")
        });
        let mut server = Server {
            connection: client_side,
            thread: Some(thread),
            version: 0,
            next_id: 0,
        };
        server.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        server.notify("initialized", json!({}));
        server
    }

    fn notify(&self, method: &str, params: Value) {
        self.connection
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.connection
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.into(),
                params,
            )))
            .unwrap();
        loop {
            match self.receive() {
                Message::Response(r) if r.id == id => {
                    assert!(r.error.is_none(), "{method}: {:?}", r.error);
                    return r.result.unwrap_or(Value::Null);
                }
                _ => {}
            }
        }
    }

    fn receive(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers")
    }

    /// Waits for the diagnostics of the current version; returns how many.
    fn diagnostics(&self) -> usize {
        loop {
            if let Message::Notification(n) = self.receive()
                && n.method == "textDocument/publishDiagnostics"
                && n.params["version"] == self.version
            {
                return n.params["diagnostics"].as_array().unwrap().len();
            }
        }
    }

    fn open(&mut self, text: &str) -> usize {
        self.version = 1;
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": URI, "languageId": "studioflow", "version": 1, "text": text } }),
        );
        self.diagnostics()
    }

    fn close(&mut self) {
        self.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": URI } }),
        );
        loop {
            if let Message::Notification(n) = self.receive()
                && n.method == "textDocument/publishDiagnostics"
                && n.params["version"].is_null()
            {
                return;
            }
        }
    }

    /// Replaces the character at (`line`, `character`) by `with` and waits
    /// for the diagnostics; returns how many.
    fn change(&mut self, line: usize, character: usize, with: char) -> usize {
        self.version += 1;
        let start = json!({ "line": line, "character": character });
        let end = json!({ "line": line, "character": character + 1 });
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": URI, "version": self.version },
                "contentChanges": [{ "range": { "start": start, "end": end }, "text": with.to_string() }]
            }),
        );
        self.diagnostics()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// The line and column (the text is ASCII) of the first `needle`, plus `shift`.
fn place(text: &str, needle: &str, shift: usize) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} is not in the text"))
        + shift;
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, at - start)
}

/// The text and the three one-character edits: (label, needle, shift,
/// the two characters it alternates between, diagnostics expected).
fn edits() -> [(&'static str, &'static str, usize, [char; 2], usize); 3] {
    [
        // "Greeting 1000" -> "Greeting 25x0" / "25y0".
        ("change_caption", "\"Greeting 1000\"", 11, ['x', 'y'], 0),
        // "Default -> b1000" -> "b25x0" / "b25y0": missing either way.
        ("change_target", "Default -> b1000\n", 14, ['x', 'y'], 1),
        // "b1000: If" -> "b1000! If" / "b1000? If": a syntax error either way.
        ("change_syntax", "b1000: If", 5, ['!', '?'], 1),
    ]
}

fn lsp(c: &mut Criterion) {
    let text = generated_script(1 << 20);
    let mut group = c.benchmark_group("lsp_1MB");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(text.len() as u64));

    let mut server = Server::start();
    group.bench_function("open", |b| {
        b.iter(|| {
            assert_eq!(server.open(black_box(&text)), 0);
            server.close();
        })
    });

    for (label, needle, shift, chars, expected) in edits() {
        let (line, character) = place(&text, needle, shift);
        server.open(&text);
        // The first change makes the state every iteration keeps.
        let first = server.change(line, character, chars[0]);
        assert!(
            first == expected || (expected > 0 && first > 0),
            "{label}: {first} diagnostics"
        );
        let mut n = 0usize;
        group.bench_function(label, |b| {
            b.iter(|| {
                n += 1;
                let count = server.change(line, character, chars[n % 2]);
                assert!(
                    count == expected || (expected > 0 && count > 0),
                    "{label}: {count}"
                );
            })
        });
        server.close();
    }

    server.open(&text);
    let doc = json!({ "textDocument": { "uri": URI } });
    group.bench_function("document_symbols", |b| {
        b.iter(|| {
            let symbols = server.request("textDocument/documentSymbol", doc.clone());
            assert!(symbols.as_array().unwrap().len() > 5_000);
        })
    });
    group.bench_function("semantic_tokens", |b| {
        b.iter(|| {
            black_box(server.request("textDocument/semanticTokens/full", doc.clone()));
        })
    });
    drop(server);

    let engine = studioflow::Engine::new();
    engine
        .compile(&text, "generated.script")
        .expect("the generated script compiles");
    group.bench_function("compile", |b| {
        b.iter(|| {
            engine
                .compile(black_box(&text), "generated.script")
                .expect("compiles")
        })
    });
    group.bench_function("parse_recovering", |b| {
        b.iter(|| studioflow::syntax::parse_script_recovering(black_box(&text)))
    });
    // The same two on the text `change_syntax` leaves (`b1000! If`).
    let broken = text.replacen("b1000: If", "b1000! If", 1);
    assert!(engine.compile(&broken, "generated.script").is_err());
    group.bench_function("compile_syntax_error", |b| {
        b.iter(|| engine.compile(black_box(&broken), "generated.script"))
    });
    group.bench_function("parse_recovering_syntax_error", |b| {
        b.iter(|| studioflow::syntax::parse_script_recovering(black_box(&broken)))
    });
    group.finish();
}

criterion_group!(benches, lsp);

fn main() {
    if let Some(binary) = std::env::var_os("STUDIOFLOW_BENCH_LSP_RSS") {
        memory(binary.as_ref());
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

// ------------------------------------------------------ memory over stdio

/// `studioflow lsp` as a child, spoken to over its stdin and stdout.
struct Child {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Child {
    fn start(binary: &std::path::Path) -> Child {
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut c = Child {
            child,
            stdin,
            stdout,
        };
        c.send(json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "processId": null, "rootUri": null, "capabilities": {} } }));
        c.until(|m| m["id"] == 1);
        c.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));
        c
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut header = String::new();
            assert!(
                self.stdout.read_line(&mut header).unwrap() > 0,
                "the server closed"
            );
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some(n) = header.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.receive();
            if wanted(&message) {
                return message;
            }
        }
    }

    fn published(&mut self, version: i32) {
        self.until(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
        });
    }

    /// `VmHWM` and `VmRSS` in kB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    fn stop(mut self) {
        self.send(json!({ "jsonrpc": "2.0", "id": 99, "method": "shutdown" }));
        self.until(|m| m["id"] == 99);
        self.send(json!({ "jsonrpc": "2.0", "method": "exit" }));
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn memory(binary: &std::path::Path) {
    const CHANGES: i32 = 50;
    let idle = Child::start(binary);
    let (idle_hwm, idle_rss) = idle.memory();
    idle.stop();

    let text = generated_script(1 << 20);
    // The same text on disk, for `studioflow check` beside it.
    let dir = std::env::temp_dir().join("studioflow-bench-lsp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("generated.script"), &text).unwrap();
    let mut child = Child::start(binary);
    let started = Instant::now();
    child.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": { "textDocument": { "uri": URI, "languageId": "studioflow", "version": 1, "text": text } } }));
    child.published(1);
    let open = started.elapsed();
    let (open_hwm, open_rss) = child.memory();
    let (line, character) = place(&text, "\"Greeting 1000\"", 11);
    let mut latencies = Vec::new();
    for version in 2..2 + CHANGES {
        let with = if version % 2 == 0 { "x" } else { "y" };
        let started = Instant::now();
        child.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": { "uri": URI, "version": version },
            "contentChanges": [{ "range": { "start": { "line": line, "character": character }, "end": { "line": line, "character": character + 1 } }, "text": with }] } }));
        child.published(version);
        latencies.push(started.elapsed());
    }
    let (hwm, rss) = child.memory();
    child.stop();
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "studioflow lsp ({}), generated script of {} bytes",
        binary.display(),
        text.len()
    );
    println!("  no document:                      VmHWM {idle_hwm} kB, VmRSS {idle_rss} kB");
    println!(
        "  opened (diagnostics in {:.0} ms):   VmHWM {open_hwm} kB, VmRSS {open_rss} kB",
        ms(open)
    );
    println!("  after {CHANGES} one-character changes: VmHWM {hwm} kB, VmRSS {rss} kB");
    println!(
        "  change to diagnostics over stdio: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        ms(latencies[0]),
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() - 1])
    );
    println!(
        "  the script: {} (e.g. /usr/bin/time -f '%M kB %e s' {} check it)",
        dir.join("generated.script").display(),
        binary.display()
    );
}
