//! `ReqAgent`: queues the contact for a skill, or for one agent
//! (`TargetAgent`), and takes Default at once: the script goes on with its
//! holding pattern (Music, Wait, ...) until an agent answers (an `answer`
//! event: the run continues at OnAnswer). The transcript says `queued`
//! with the skill (`agent <TargetAgent>` for a target agent). Priorities,
//! proficiencies, screen pops and the agent's whisper (`Sequence`,
//! `ZipTone`) are read as Studio writes them and not simulated: no
//! routing happens offline.

use std::sync::Arc;

use super::props::text;
use crate::builtins::list::ActionList;
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, TranscriptKind,
    Value,
};

const SKILL: usize = 0;
const TARGET_AGENT: usize = 1;

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let target = text(call, TARGET_AGENT);
    let queued = match target.trim() {
        "" => {
            let skill = text(call, SKILL);
            match skill.trim() {
                "" => "Default".to_string(),
                skill => skill.to_string(),
            }
        }
        agent => format!("agent {agent}"),
    };
    call.transcript(TranscriptKind::Queued, &queued);
    call.contact_mut().queued = Some(queued);
    Ok(BranchId::DEFAULT)
}

pub(super) fn register(builder: &mut ActionList) {
    let text = |name: &str| PropertySchema::optional(name, PropertyKind::Template);
    let number = |name: &str, n: f64| {
        PropertySchema::optional(name, PropertyKind::Expression).with_default(Value::from(n))
    };
    builder.add_action(
        ActionSchema::new("ReqAgent")
            .property(
                text("Skill")
                    .with_default(Value::from("Default"))
                    .with_keywords(&["Default"]),
            )
            .property(text("TargetAgent"))
            .property(
                text("PriorityManagement")
                    .with_default(Value::from("DefaultfromSkill"))
                    .with_keywords(&["DefaultfromSkill", "Custom"]),
            )
            .property(number("InitialPriority", 0.0))
            .property(number("Acceleration", 1.0))
            .property(text("Function"))
            .property(number("MaxPriority", 1000.0))
            .property(text("Sequence"))
            .property(
                text("ZipTone")
                    .with_default(Value::from("AfterSequence"))
                    .with_keywords(&["AfterSequence", "BeforeSequence"]),
            )
            .property(
                text("ScreenPopSource")
                    .with_default(Value::from("DefaultFromSkill"))
                    .with_keywords(&["DefaultFromSkill", "Custom"]),
            )
            .property(text("ScreenPopURL"))
            .property(number("HighProficiency", 1.0))
            .property(number("LowProficiency", 20.0))
            .property(text("RoutingAttribute").with_keywords(&["NotApplicable"])),
        Arc::new(execute),
    );
}
