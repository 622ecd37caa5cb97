//! `studioflow lsp`: the language server on stdin/stdout.

use studioflow::lsp::{serve_stdio, LspError};

use super::args::LspArgs;
use super::exit::{EXIT_INPUT, EXIT_OK, EXIT_STOPPED};

pub(super) fn lsp(_args: LspArgs) -> i32 {
    match serve_stdio() {
        Ok(()) => EXIT_OK,
        // The protocol's rule: exit without shutdown is exit code 1.
        Err(LspError::ExitWithoutShutdown) => {
            errln!("studioflow lsp: the client exited without shutdown");
            EXIT_STOPPED
        }
        Err(e) => {
            errln!("studioflow lsp: {e}");
            EXIT_INPUT
        }
    }
}
