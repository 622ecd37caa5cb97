//! Stage 1: text → AST. Knows the grammar and nothing of action schemas.

pub mod ast;
mod errors;
mod expr;
mod grammar;
#[cfg(test)]
mod pair_builder;
mod parser;
mod prescan;
mod tree;
mod trivia;

pub use parser::{parse_expression, parse_script, parse_script_recovering};
pub(crate) use parser::{
    parse_expression_in, parse_pieces, parse_script_recovering_after_error, refused_input,
    ParsedPiece,
};
pub use prescan::MAX_NESTING;
pub(crate) use prescan::{prescan_in, Dialect};
pub use trivia::comment_spans;

/// The identifier rule, the one place it is written: an ASCII letter or
/// `_`, then ASCII letters, digits, `_` or `$`, as the grammar's
/// identifiers. Variables, action types, properties, branches and
/// functions (in the manifest, test files, `--var` and host registration)
/// are all checked with it.
///
/// ```
/// use studioflow::syntax::is_identifier;
/// assert!(is_identifier("Transfer") && is_identifier("_tmp$2"));
/// assert!(!is_identifier("1x") && !is_identifier("a-b") && !is_identifier(""));
/// ```
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// True when `name` can name a variable (in a `Variable` property, a test
/// file or `--var`): an identifier ([`is_identifier`]).
///
/// ```
/// use studioflow::syntax::is_variable_name;
/// assert!(is_variable_name("Language") && is_variable_name("_tmp$2"));
/// assert!(!is_variable_name("1x") && !is_variable_name("a-b") && !is_variable_name(""));
/// ```
pub fn is_variable_name(name: &str) -> bool {
    is_identifier(name)
}
