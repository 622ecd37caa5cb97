//! The built-in actions, one file each. They register through the same public
//! API a host uses ([`crate::EngineBuilder::add_action`]): no private path.

mod assign;
mod begin;
mod case;
mod end;
#[path = "if.rs"]
mod if_;
#[path = "loop.rs"]
mod loop_;
mod pcce;
#[path = "return.rs"]
mod return_;
mod run_sub;
mod set_security_user;
mod snippet;

use crate::EngineBuilder;

/// Registers every built-in action.
pub(crate) fn register_builtins(builder: &mut EngineBuilder) {
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
}
