//! Stage 1: text → AST. Knows the grammar and nothing of action schemas.

pub mod ast;
mod parser;
mod prescan;
mod trivia;

pub use parser::{parse_expression, parse_script, parse_script_recovering};
pub(crate) use prescan::prescan;
pub use prescan::MAX_NESTING;
pub use trivia::comment_spans;
