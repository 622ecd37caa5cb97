//! `Loop`: takes Repeat on executions 1..=Repeat, then Finished once, which
//! resets the count so the loop can run again. The count lives in the run
//! (per action), mirrored into the CounterName variable after every execution.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const REPEAT: usize = 0;
const COUNTER_NAME: usize = 1;
const REPEAT_BRANCH: BranchId = BranchId::own(0);
const FINISHED: BranchId = BranchId::own(1);

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let null = Value::Null;
    let repeat = call.property(REPEAT).unwrap_or(&null);
    let times = match repeat.as_number() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => n as u64,
        _ => {
            return Err(ActionError::invalid(
                "Repeat",
                "a whole number >= 0",
                repeat,
            ))
        }
    };
    let counter = call.counter();
    // Saturating: a counter read from a forged pause may be at the top.
    *counter = counter.saturating_add(1);
    let (count, branch) = if *counter <= times {
        (*counter, REPEAT_BRANCH)
    } else {
        *counter = 0;
        (0, FINISHED)
    };
    call.set_output(COUNTER_NAME, Value::Number(count as f64))?;
    Ok(branch)
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Loop")
            .property(PropertySchema::required("Repeat", PropertyKind::Expression))
            .property(
                PropertySchema::optional("CounterName", PropertyKind::OutputVariable)
                    .with_default(Value::from("counter")),
            )
            .branch("Repeat")
            .branch("Finished"),
        Arc::new(execute),
    );
}
