//! `Play`: plays its Sequence to the caller (a `prompt` entry in the
//! transcript; see `prompt.rs` for how a Sequence reads) and takes
//! Default. A simulated prompt takes no time. With `DetectDTMF` on, keys
//! already in the digit buffer when the prompt starts (type-ahead kept by
//! `ClearDigits = False`) interrupt it: the action takes `Digit` (Default
//! when not connected) and the keys stay for the next Menu or Capture.
//! The voice properties (`SuppressSilence`, `TTSVolume`, `TTSRate`,
//! `TTSVoice`) and `Phrase` (documentation only, in Studio too) are not
//! simulated.

use std::sync::Arc;

use super::prompt;
use super::props::flag;
use super::props::refuse_after_release;
use crate::builtins::list::ActionList;
use crate::{ActionCall, ActionError, ActionSchema, BranchId, PropertyKind, PropertySchema, Value};

const SEQUENCE: usize = 0;
const CLEAR_DIGITS: usize = 2;
const DETECT_DTMF: usize = 3;
const DIGIT: BranchId = BranchId::own(0);

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    refuse_after_release(call)?;
    let clear = flag(call, CLEAR_DIGITS, "ClearDigits", true)?;
    let detect = flag(call, DETECT_DTMF, "DetectDTMF", false)?;
    // A run that never touched a contact gets none from a Play.
    let buffered = call.contact().is_some_and(|c| !c.digits.is_empty());
    if clear && buffered {
        call.contact_mut().digits.clear();
    }
    prompt::play(call, SEQUENCE)?;
    Ok(if detect && buffered && !clear {
        DIGIT
    } else {
        BranchId::DEFAULT
    })
}

pub(super) fn register(builder: &mut ActionList) {
    let text = |name: &str| PropertySchema::optional(name, PropertyKind::Template);
    builder.add_action(
        ActionSchema::new("Play")
            .property(text("Sequence").with_default(Value::from("")))
            .property(PropertySchema::optional("Phrase", PropertyKind::Name))
            .property(
                PropertySchema::optional("ClearDigits", PropertyKind::Expression)
                    .with_default(Value::Bool(true)),
            )
            .property(
                PropertySchema::optional("DetectDTMF", PropertyKind::Expression)
                    .with_default(Value::Bool(false)),
            )
            .property(text("SuppressSilence"))
            .property(text("TTSVolume"))
            .property(text("TTSRate"))
            .property(text("TTSVoice"))
            .branch("Digit"),
        Arc::new(execute),
    );
}
