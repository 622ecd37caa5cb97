//! The server: the protocol's life cycle (initialize, requests,
//! notifications, shutdown, exit) over an `lsp-server` connection, with
//! each request handed to its feature's module.

use std::collections::HashMap;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    notification, request, InitializeParams, PositionEncodingKind, PublishDiagnosticsParams, Url,
};
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::capabilities::capabilities;
use super::diagnostics::{publishable, Projects};
use super::documents::Document;
use super::error::LspError;
use super::session::Session;
use super::text::Encoding;

/// Serves one client on standard input and output until it says `exit`.
/// Returns an error when the client broke the protocol (exited without
/// `shutdown`, sent no `initialize`).
pub fn serve_stdio() -> Result<(), LspError> {
    let (connection, io_threads) = Connection::stdio();
    let served = serve(connection);
    io_threads
        .join()
        .map_err(|e| LspError::Transport(e.to_string()))?;
    served
}

/// Serves one client on `connection` (see [`serve_stdio`]; tests use
/// `Connection::memory`).
pub fn serve(connection: Connection) -> Result<(), LspError> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| LspError::Protocol(e.to_string()))?;
    // Read leniently: a client that leaves out a field the protocol calls
    // required (`clientInfo.name`) still gets a server; what the server
    // needs is read from the raw JSON when the whole does not parse.
    let params: InitializeParams = serde_json::from_value(params.clone()).unwrap_or_else(|_| {
        let mut lenient = InitializeParams::default();
        if let Some(general) = params.pointer("/capabilities/general") {
            lenient.capabilities.general = serde_json::from_value(general.clone()).ok();
        }
        #[allow(deprecated)]
        {
            lenient.root_uri = params
                .get("rootUri")
                .and_then(|u| serde_json::from_value(u.clone()).ok());
        }
        lenient
    });
    let encoding = negotiated_encoding(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": { "name": "studioflow", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| LspError::Protocol(e.to_string()))?;
    let mut roots = Vec::new();
    for folder in params.workspace_folders.iter().flatten() {
        if let Ok(path) = folder.uri.to_file_path() {
            roots.push(path);
        }
    }
    #[allow(deprecated)]
    if roots.is_empty() {
        if let Some(path) = params.root_uri.as_ref().and_then(|u| u.to_file_path().ok()) {
            roots.push(path);
        }
    }
    let mut session = Session {
        documents: HashMap::new(),
        projects: Projects::default(),
        encoding,
        roots,
        messages: Default::default(),
    };
    let mut shutting_down = false;
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if request.method == request::Shutdown::METHOD {
                    shutting_down = true;
                    send(&connection, Response::new_ok(request.id, Json::Null))?;
                    continue;
                }
                if shutting_down {
                    send(
                        &connection,
                        Response::new_err(
                            request.id,
                            ErrorCode::InvalidRequest as i32,
                            "the server is shutting down".into(),
                        ),
                    )?;
                    continue;
                }
                let response = answer(&mut session, request);
                // What the request has to say goes first, so a client has
                // it when the response arrives.
                for message in session.messages.take() {
                    let note = Notification::new(
                        notification::ShowMessage::METHOD.to_string(),
                        lsp_types::ShowMessageParams {
                            typ: lsp_types::MessageType::INFO,
                            message,
                        },
                    );
                    connection
                        .sender
                        .send(Message::Notification(note))
                        .map_err(|e| LspError::Transport(e.to_string()))?;
                }
                send(&connection, response)?;
            }
            Message::Notification(note) => {
                if note.method == notification::Exit::METHOD {
                    return if shutting_down {
                        Ok(())
                    } else {
                        Err(LspError::ExitWithoutShutdown)
                    };
                }
                for changed in notice(&mut session, note) {
                    publish(&connection, &mut session, &changed)?;
                }
            }
            Message::Response(_) => {}
        }
    }
    // The client closed the stream without `exit`.
    if shutting_down {
        Ok(())
    } else {
        Err(LspError::ExitWithoutShutdown)
    }
}

fn send(connection: &Connection, response: Response) -> Result<(), LspError> {
    connection
        .sender
        .send(Message::Response(response))
        .map_err(|e| LspError::Transport(e.to_string()))
}

/// UTF-8 when the client offers it, else UTF-16 (the protocol's default).
fn negotiated_encoding(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

/// Publishes a document's diagnostics with its version (an empty list too).
fn publish(connection: &Connection, session: &mut Session, uri: &Url) -> Result<(), LspError> {
    let params = match session.documents.get(uri) {
        Some(document) => {
            let diagnostics =
                guarded(|| publishable(document, &session.projects)).unwrap_or_else(|message| {
                    vec![lsp_types::Diagnostic {
                        message: format!("studioflow could not check this document: {message}"),
                        ..Default::default()
                    }]
                });
            PublishDiagnosticsParams::new(uri.clone(), diagnostics, Some(document.version))
        }
        // Closed: clear what was shown.
        None => PublishDiagnosticsParams::new(uri.clone(), Vec::new(), None),
    };
    let note = Notification::new(notification::PublishDiagnostics::METHOD.to_string(), params);
    connection
        .sender
        .send(Message::Notification(note))
        .map_err(|e| LspError::Transport(e.to_string()))
}

/// Runs `work`, turning a panic into an error: one bad document must not
/// take the editor's server down.
fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an internal error".into())
    })
}

/// Handles a notification; returns the documents whose diagnostics changed.
fn notice(session: &mut Session, note: Notification) -> Vec<Url> {
    match note.method.as_str() {
        notification::DidOpenTextDocument::METHOD => {
            let Some(params) = params::<lsp_types::DidOpenTextDocumentParams>(note.params) else {
                return Vec::new();
            };
            let item = params.text_document;
            let document = Document::new(
                item.uri.clone(),
                &item.language_id,
                item.version,
                item.text,
                session.encoding,
            );
            session.documents.insert(item.uri.clone(), document);
            vec![item.uri]
        }
        notification::DidChangeTextDocument::METHOD => {
            let Some(params) = params::<lsp_types::DidChangeTextDocumentParams>(note.params) else {
                return Vec::new();
            };
            let uri = params.text_document.uri;
            match session.documents.get_mut(&uri) {
                Some(document) => {
                    document.change(params.text_document.version, params.content_changes);
                    vec![uri]
                }
                None => Vec::new(),
            }
        }
        notification::DidCloseTextDocument::METHOD => {
            let Some(params) = params::<lsp_types::DidCloseTextDocumentParams>(note.params) else {
                return Vec::new();
            };
            let uri = params.text_document.uri;
            session.documents.remove(&uri);
            vec![uri]
        }
        notification::DidSaveTextDocument::METHOD | notification::DidChangeWatchedFiles::METHOD => {
            // A manifest or a subscript may have changed on disk: check
            // every open document again.
            session.projects.forget();
            session.documents.keys().cloned().collect()
        }
        _ => Vec::new(),
    }
}

fn params<P: DeserializeOwned>(value: Json) -> Option<P> {
    serde_json::from_value(value).ok()
}

/// Answers a request.
fn answer(session: &mut Session, request: Request) -> Response {
    let id = request.id.clone();
    match guarded(|| dispatch(session, request)) {
        Ok(Ok(result)) => Response::new_ok(id, result),
        Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
        Err(panic) => Response::new_err(
            id,
            ErrorCode::InternalError as i32,
            format!("studioflow failed on this request: {panic}"),
        ),
    }
}

type Answer = Result<Json, (ErrorCode, String)>;

fn handle<P: DeserializeOwned, R: serde::Serialize>(
    request: Request,
    work: impl FnOnce(P) -> R,
) -> Answer {
    let params: P = serde_json::from_value(request.params)
        .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", request.method)))?;
    serde_json::to_value(work(params)).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn dispatch(session: &mut Session, request: Request) -> Answer {
    use super::{
        code_actions, completion, folding, formatting, hover, navigation, semantic, symbols,
    };
    let s = &*session;
    match request.method.as_str() {
        request::Completion::METHOD => handle(request, |p| completion::completion(s, &p)),
        request::HoverRequest::METHOD => handle(request, |p| hover::hover(s, &p)),
        request::GotoDefinition::METHOD => handle(request, |p| navigation::definition(s, &p)),
        request::References::METHOD => handle(request, |p| navigation::references(s, &p)),
        request::PrepareRenameRequest::METHOD => {
            handle(request, |p| navigation::prepare_rename(s, &p))
        }
        request::Rename::METHOD => {
            let params: lsp_types::RenameParams = serde_json::from_value(request.params)
                .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
            let edit = navigation::rename(s, &params).map_err(|m| (ErrorCode::RequestFailed, m))?;
            serde_json::to_value(edit).map_err(|e| (ErrorCode::InternalError, e.to_string()))
        }
        request::DocumentSymbolRequest::METHOD => handle(request, |p| symbols::document(s, &p)),
        request::WorkspaceSymbolRequest::METHOD => handle(request, |p| symbols::workspace(s, &p)),
        request::Formatting::METHOD => handle(request, |p| formatting::document(s, &p)),
        request::RangeFormatting::METHOD => handle(request, |p| formatting::range(s, &p)),
        request::FoldingRangeRequest::METHOD => handle(request, |p| folding::ranges(s, &p)),
        request::SemanticTokensFullRequest::METHOD => handle(request, |p| semantic::full(s, &p)),
        request::CodeActionRequest::METHOD => handle(request, |p| code_actions::actions(s, &p)),
        _ => Err((
            ErrorCode::MethodNotFound,
            format!("{} is not supported", request.method),
        )),
    }
}
