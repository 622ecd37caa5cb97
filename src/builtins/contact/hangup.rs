//! `Hangup`: hangs up on the caller (a `hangup` entry, `script`, in the
//! transcript) and releases the contact: the run goes on at the script's
//! OnRelease (once per run), or completes. Terminal: no branches. Inside a
//! RunSub it ends the subscript and its callers too.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::runtime::contact::Divert;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, TranscriptKind};

/// The transcript text of a hangup by the script (the engine writes
/// `caller` when the caller hangs up).
pub(super) const BY_SCRIPT: &str = "script";

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    if !call.contact().is_some_and(|c| c.released) {
        call.transcript(TranscriptKind::Hangup, BY_SCRIPT);
    }
    call.divert(Divert::Release);
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(ActionSchema::new("Hangup").terminal(), Arc::new(execute));
}
