//! `Menu`: plays a prompt, collects the caller's keys (see `digits.rs`),
//! stores them in `Variable` (default `MRES`) and takes the case branch
//! written for them (`Case "1" -> sales`), compared as `Case` compares.
//! Keys with no case take Default; a caller who presses nothing takes
//! `Timeout` (Default when Timeout is not connected). An entry the caller
//! leaves unfinished (silent after some keys) is the entry so far.

use std::sync::Arc;

use super::digits::{collect, collection_properties, Collected, Collection, Ended, Indices};
use super::prompt;
use super::props::flag;
use super::props::refuse_after_release;
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const SEQUENCE: usize = 0;
const CLEAR_DIGITS: usize = 2;
const VARIABLE: usize = 7;
const TIMEOUT: BranchId = BranchId::own(0);

const AT: Indices = Indices {
    max_digits: 3,
    terminator: 4,
    timeout: 5,
    inter_digit: 6,
};

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let resumed = call.take_resumed();
    let collection = Collection::read(call, AT)?;
    if resumed.is_none() {
        refuse_after_release(call)?;
        if flag(call, CLEAR_DIGITS, "ClearDigits", true)? {
            call.contact_mut().digits.clear();
        }
        prompt::play(call, SEQUENCE)?;
    }
    let entry = match collect(call, &collection, resumed) {
        Collected::Waiting(wait) => return wait,
        Collected::Done(entry) => entry,
    };
    let branch = match entry.ended {
        Ended::Timeout => TIMEOUT,
        _ => call.case_branch(&entry.value)?,
    };
    call.set_output(VARIABLE, Value::from(entry.value))?;
    Ok(branch)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        collection_properties(
            ActionSchema::new("Menu")
                .property(
                    PropertySchema::optional("Sequence", PropertyKind::Template)
                        .with_default(Value::from("")),
                )
                .property(PropertySchema::optional("Phrase", PropertyKind::Name))
                .property(
                    PropertySchema::optional("ClearDigits", PropertyKind::Expression)
                        .with_default(Value::Bool(true)),
                ),
        )
        .property(
            PropertySchema::optional("Variable", PropertyKind::OutputVariable)
                .with_default(Value::from("MRES")),
        )
        .branch("Timeout")
        .labeled_branch("Case"),
        Arc::new(execute),
    );
}
