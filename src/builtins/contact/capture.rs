//! `Capture`: collects the caller's keys without a prompt (see
//! `digits.rs`), stores them in `Variable` and takes the branch for how
//! the entry ended: `Terminator`, `MaxDigits`, `Timeout` (nothing pressed)
//! or `InterDigitTimeout` (silent after some keys); each falls back to
//! Default when not connected. Capture never clears the digit buffer: keys
//! pressed before it are its first keys.

use std::sync::Arc;

use super::digits::{collect, collection_properties, Collected, Collection, Ended, Indices};
use super::props::refuse_after_release;
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const VARIABLE: usize = 0;
const TERMINATOR: BranchId = BranchId::own(0);
const MAX_DIGITS: BranchId = BranchId::own(1);
const TIMEOUT: BranchId = BranchId::own(2);
const INTER_DIGIT_TIMEOUT: BranchId = BranchId::own(3);

const AT: Indices = Indices {
    max_digits: 1,
    terminator: 2,
    timeout: 3,
    inter_digit: 4,
};

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let resumed = call.take_resumed();
    let collection = Collection::read(call, AT)?;
    if resumed.is_none() {
        refuse_after_release(call)?;
    }
    let entry = match collect(call, &collection, resumed) {
        Collected::Waiting(wait) => return wait,
        Collected::Done(entry) => entry,
    };
    call.set_output(VARIABLE, Value::from(entry.value))?;
    Ok(match entry.ended {
        Ended::Terminator => TERMINATOR,
        Ended::MaxDigits => MAX_DIGITS,
        Ended::Timeout => TIMEOUT,
        Ended::InterDigitTimeout => INTER_DIGIT_TIMEOUT,
    })
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        collection_properties(
            ActionSchema::new("Capture").property(
                PropertySchema::optional("Variable", PropertyKind::OutputVariable)
                    .with_default(Value::from("CRES")),
            ),
        )
        .branch("Terminator")
        .branch("MaxDigits")
        .branch("Timeout")
        .branch("InterDigitTimeout"),
        Arc::new(execute),
    );
}
