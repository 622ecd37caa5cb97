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
//!
//! A REST request waits for its reply wherever the code is; the host
//! resumes the run with the reply and the code goes on from the call:
//!
//! ```
//! use studioflow::{Engine, Event, HttpReply, Outcome, RunOptions, Value, Wait};
//! let engine = Engine::new();
//! let script = engine.compile(r#"
//! start: Begin { Default -> lookup }
//! lookup: Snippet {
//!   Data = """
//!     ASSIGN p = GetRESTProxy()
//!     p.AddHeader("Authorization", "Bearer t0k")
//!     ASSIGN names = ""
//!     FOR i = 1 TO 2 {
//!       ASSIGN r = p.MakeRestRequest("https://crm.example/callers/{i}")
//!       IF p.StatusCode = 200 { names = "{names}{r.name};" }
//!     }
//!   """
//! }
//! "#, "lookup.script").unwrap();
//! let mut run = engine.run(&script, RunOptions::default());
//! for reply in [HttpReply::new(200, r#"{"name":"Ada"}"#), HttpReply::new(404, "")] {
//!     assert_eq!(run.outcome, Outcome::Waiting);
//!     let Wait::Http { request } = &run.waiting.as_ref().unwrap().wait else { unreachable!() };
//!     assert!(request.url.starts_with("https://crm.example/callers/"));
//!     assert_eq!(request.headers[0].1, "Bearer t0k");
//!     run = engine.resume(&script, *run.paused.unwrap(), Event::Reply(reply)).unwrap();
//! }
//! assert_eq!(run.outcome, Outcome::Completed);
//! assert_eq!(run.variables["names"], Value::from("Ada;"));
//! ```

mod ast;
pub(crate) mod bounds;
pub(crate) mod compile;
pub(crate) mod exec;
mod functions;
mod parser;
pub(crate) mod program;
pub(crate) mod run;
mod strings;

pub use ast::{FunctionDecl, PathStep, Stmt, StmtKind, Target};
pub(crate) use functions::builtins;
pub use parser::parse;
pub(crate) use parser::parse_recovering;
