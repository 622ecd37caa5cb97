//! The built-in actions, one file each (the PCCE Role and Agent API actions
//! in `pcce/`). Each file declares its schema and handler with the public
//! action API; [`actions`] lists them and the engine registers the list the
//! way it registers a host's actions.
//!
//! Besides the public methods of [`crate::ActionCall`], built-ins use these
//! crate-private ones (a host action cannot do what they do):
//! - `RunSub`: `run_subscript` (a new frame on the run's state);
//! - `Return`: `set_return` (what the subscript hands its RunSub);
//! - `Snippet`: `snippet` (the narrow seam its code runs through) and
//!   `stop_run` (a Snippet limit or cancellation stops the run);
//! - `Assign`: `take_property`, `SetSecurityUser`: `detach_property` (a
//!   property moved out, not cloned);
//! - the PCCE actions: `security_user_ref` (the handle borrowed, not cloned).

mod assign;
mod begin;
mod case;
mod contact;
mod end;
#[path = "if.rs"]
mod if_;
mod list;
#[path = "loop.rs"]
mod loop_;
mod not_simulated;
mod pcce;
#[path = "return.rs"]
mod return_;
mod run_sub;
mod set_security_user;
mod snippet;

use std::sync::Arc;

use crate::action::{ActionHandler, ActionSchema};
pub(crate) use list::ActionList;
pub(crate) use not_simulated::not_simulated;

/// Every built-in action, for the engine to register.
pub(crate) fn actions() -> Vec<(ActionSchema, Arc<dyn ActionHandler>)> {
    let mut list = ActionList::default();
    let builder = &mut list;
    begin::register(builder);
    end::register(builder);
    assign::register(builder);
    if_::register(builder);
    case::register(builder);
    loop_::register(builder);
    set_security_user::register(builder);
    snippet::register(builder);
    run_sub::register(builder);
    return_::register(builder);
    pcce::register(builder);
    contact::register(builder);
    list.0
}
