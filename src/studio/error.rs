//! What goes wrong reading a Studio file or making it `.script` text. Every
//! error names the place: a JSON path (`/actions/3/label`, as a JSON
//! Pointer) or, for text that is no JSON at all, the line and column.

/// An error reading a Studio file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StudioError {
    /// The text is not JSON (truncated, a stray character, nested too deep).
    #[error("line {line}, column {column}: not valid JSON: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json says.
        message: String,
    },
    /// The text is not well-formed XML (or holds a DTD, which is refused).
    #[error("line {line}, column {column}: not valid XML: {message}")]
    XmlSyntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What roxmltree says.
        message: String,
    },
    /// The bytes are not text studioflow reads (not UTF-8, nor UTF-16 with
    /// a byte-order mark).
    #[error("{place}: {message}")]
    Encoding {
        /// The line and column of the first byte that is not text.
        place: String,
        /// What the bytes are, and what to do.
        message: String,
    },
    /// A value of the wrong shape or type.
    #[error("{path}: {message}")]
    Invalid {
        /// Where: a JSON Pointer, or an XML line and column.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Two actions with one ActionID.
    #[error("{path}: duplicate ActionID {id}")]
    DuplicateActionId {
        /// Where the second one is.
        path: String,
        /// The ActionID.
        id: i64,
    },
    /// A branch to an ActionID no action has.
    #[error("{path}: branch target {target} is no action in the file")]
    DanglingTarget {
        /// Where the branch is.
        path: String,
        /// The missing ActionID.
        target: i64,
    },
    /// An action type studioflow does not know (opaque actions are not
    /// imported yet).
    #[error("{path}: action type {keyword} is not supported by import yet (studioflow does not simulate it)")]
    UnknownKeyword {
        /// Where the action is.
        path: String,
        /// The keyword as the file writes it.
        keyword: String,
    },
    /// No BEGIN action: the script has no entry.
    #[error("the file has no BEGIN action: a script starts at a Begin")]
    NoBegin,
}

impl StudioError {
    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}
