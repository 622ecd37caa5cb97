//! `Wait`: lets `Seconds` of virtual time pass (fractions allowed), then
//! takes Default. A simulated run never sleeps: the run waits for `wait`
//! events (or an agent answering, or the caller hanging up).

use std::sync::Arc;

use super::time::{seconds, wait_seconds, Timed};
use crate::builtins::list::ActionList;
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, TranscriptKind,
    Value,
};

const SECONDS: usize = 0;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let total = seconds(call, SECONDS, "Seconds", 5.0)?;
    match wait_seconds(call, total) {
        Timed::Waiting(wait) => wait,
        Timed::Passed => {
            call.transcript(TranscriptKind::Wait, &Value::from(total).to_text());
            Ok(BranchId::DEFAULT)
        }
    }
}

pub(in crate::builtins) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Wait").property(
            PropertySchema::optional("Seconds", PropertyKind::Expression)
                .with_default(Value::from(5.0)),
        ),
        Arc::new(execute),
    );
}
