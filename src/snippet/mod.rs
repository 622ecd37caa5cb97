//! Snippet code: NICE's Snippet language, run by the `Snippet` action.
//!
//! The pipeline is the script's own: [`parse`] turns the text of a
//! `Data = """ ... """` block into statements whose expressions are the one
//! expression AST ([`crate::syntax::ast::Expr`]); compile turns them into the
//! runtime's expression code plus a small statement program; the executor
//! runs that program against the run's variables. Nothing is re-parsed at
//! run time and there is no second expression evaluator.
//!
//! ```
//! use studioflow::{Engine, RunOptions, Value};
//! let engine = Engine::new();
//! let script = engine.compile(r#"
//! start: Begin { Default -> calc }
//! calc: Snippet {
//!   Data = """
//!     ASSIGN total = 0
//!     FOR i = 1 TO 3 { total = total + i }
//!     DYNAMIC customer
//!     customer.name = "Ada"
//!     payload = customer.asjson()
//!   """
//! }
//! "#, "calc.script").unwrap();
//! let run = engine.run(&script, RunOptions::default());
//! assert_eq!(run.variables["total"], Value::from(6.0));
//! assert_eq!(run.variables["payload"].to_text(), r#"{"name":"Ada"}"#);
//! ```

mod ast;
pub(crate) mod bounds;
pub(crate) mod compile;
pub(crate) mod exec;
mod functions;
mod parser;
pub(crate) mod program;
pub(crate) mod run;

pub use ast::{FunctionDecl, PathStep, Stmt, StmtKind, Target};
pub(crate) use functions::builtins;
pub use parser::parse;
pub(crate) use parser::parse_recovering;
