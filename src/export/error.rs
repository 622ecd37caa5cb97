//! Why a script cannot be written as a Studio file.

use crate::diagnostics::Diagnostic;

/// Why a script cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The text does not parse.
    #[error("{}", .0.message)]
    Syntax(Diagnostic),
    /// The script's own studio block holds what export cannot write.
    #[error("the script's studio block: {0}")]
    Header(String),
    /// What the script says that Desktop Studio XML cannot hold.
    #[error("{0}")]
    NotXml(String),
    /// An action Studio's formats cannot hold as written.
    #[error("action `{id}`: {message}")]
    Action {
        /// The action id.
        id: String,
        /// What is wrong.
        message: String,
    },
}
