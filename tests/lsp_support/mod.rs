//! A language-server client for tests: the server runs in a thread on an
//! in-memory connection (`lsp_server::Connection::memory`), and the test
//! talks JSON-RPC to it as an editor would. Every wait is bounded: a server
//! that hangs fails the test instead of hanging it.

#![allow(dead_code)]

use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

/// How long any one answer may take.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), studioflow::lsp::LspError>>>,
    next_id: i32,
    /// Notifications received while waiting for responses, in order.
    pub notifications: Vec<Notification>,
}

impl Client {
    /// Starts a server and initializes it with `capabilities` (the client's).
    pub fn start(capabilities: Value) -> (Client, Value) {
        let root = format!("file://{}", env!("CARGO_MANIFEST_DIR"));
        Client::start_raw(
            json!({ "processId": null, "rootUri": root, "capabilities": capabilities }),
        )
    }

    /// Starts a server and sends `initialize` with exactly `params`.
    pub fn start_raw(params: Value) -> (Client, Value) {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || studioflow::lsp::serve(server_side));
        let mut client = Client {
            connection: client_side,
            server: Some(server),
            next_id: 0,
            notifications: Vec::new(),
        };
        let result = client.request("initialize", params);
        client.notify("initialized", json!({}));
        (client, result.expect("initialize succeeds"))
    }

    /// A server with a client of default capabilities (UTF-16).
    pub fn new() -> Client {
        Client::start(json!({})).0
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.connection
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .expect("the server is listening");
    }

    /// Sends a request and waits for its response: `Ok(result)` or `Err(error)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.connection
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.into(),
                params,
            )))
            .expect("the server is listening");
        loop {
            match self.receive() {
                Message::Response(r) if r.id == id => {
                    return match r.error {
                        Some(e) => Err(serde_json::to_value(e).unwrap()),
                        None => Ok(r.result.unwrap_or(Value::Null)),
                    }
                }
                Message::Notification(n) => self.notifications.push(n),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    fn receive(&mut self) -> Message {
        self.connection
            .receiver
            .recv_timeout(PATIENCE)
            .expect("the server answers within the patience")
    }

    /// The next `textDocument/publishDiagnostics` (from those already
    /// received first), as its params.
    pub fn diagnostics(&mut self) -> Value {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|n| n.method == "textDocument/publishDiagnostics")
        {
            return self.notifications.remove(i).params;
        }
        loop {
            match self.receive() {
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    return n.params
                }
                Message::Notification(n) => self.notifications.push(n),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// Opens a document and returns its first diagnostics.
    pub fn open(&mut self, uri: &str, text: &str) -> Value {
        self.open_as(uri, "studioflow", text)
    }

    pub fn open_as(&mut self, uri: &str, language: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 1, "text": text } }),
        );
        self.diagnostics()
    }

    /// Replaces a document's whole text and returns its diagnostics.
    pub fn change(&mut self, uri: &str, version: i32, text: &str) -> Value {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
        self.diagnostics()
    }

    /// `shutdown` then `exit`; the server's own result.
    pub fn stop(mut self) -> Result<(), studioflow::lsp::LspError> {
        assert_eq!(self.request("shutdown", Value::Null), Ok(Value::Null));
        self.notify("exit", Value::Null);
        self.server
            .take()
            .unwrap()
            .join()
            .expect("the server thread does not panic")
    }

    /// `exit` without `shutdown`.
    pub fn exit_abruptly(mut self) -> Result<(), studioflow::lsp::LspError> {
        self.notify("exit", Value::Null);
        self.server
            .take()
            .unwrap()
            .join()
            .expect("the server thread does not panic")
    }
}

/// A `file://` URI for a path of the repository (the file need not exist).
pub fn uri(relative: &str) -> String {
    format!("file://{}/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// `{ "textDocument": { "uri": uri }, "position": { line, character } }`.
pub fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } })
}

/// The (line, character) of the `nth` (0-based) occurrence of `needle` in
/// `text`, in UTF-16 units, plus `shift` characters.
pub fn find(text: &str, needle: &str, nth: usize, shift: u32) -> (u32, u32) {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} is not in the text"))
        .0;
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = text[line_start..offset].encode_utf16().count() as u32;
    (line, character + shift)
}
