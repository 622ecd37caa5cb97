//! Why serving a client ended badly.

/// How a session with a client failed.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    /// The client broke the protocol (no `initialize` first, bad params).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Reading or writing the stream failed.
    #[error("transport error: {0}")]
    Transport(String),
    /// The client sent `exit` (or closed the stream) without `shutdown`
    /// (the protocol says: exit code 1).
    #[error("the client exited without asking the server to shut down")]
    ExitWithoutShutdown,
}
