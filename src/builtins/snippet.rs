//! `Snippet`: runs Snippet code (the Data property, compiled with the
//! script) against the script's variables. A failing statement takes Error
//! with `_ERR` naming its line; the statement budget running out stops the
//! run with outcome limit. A REST request (`proxy.MakeRestRequest(...)`)
//! makes the action wait for the reply, wherever the code is; the run
//! resumes the code there with the reply.

use std::sync::Arc;

use crate::builtins::list::ActionList;
use crate::snippet::exec::rest::{reply_value, MAX_REPLY_BYTES};
use crate::snippet::exec::{RestReply, SnippetError, Suspended};
use crate::{
    ActionCall, ActionError, ActionSchema, BranchId, Event, Outcome, PropertyKind, PropertySchema,
    Resumed, TranscriptKind, Value, Wait,
};

const DATA: usize = 0;
const MAX_STRING_SIZE: usize = 1;

/// Studio's MaxStringSize choices and their sizes in bytes.
const STRING_SIZES: [(&str, usize); 5] = [
    ("Limit2K", 2 * 1024),
    ("Limit4K", 4 * 1024),
    ("Limit8K", 8 * 1024),
    ("Limit16K", 16 * 1024),
    ("Limit32K", 32 * 1024),
];

fn execute(call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
    let size_name = call.text(MAX_STRING_SIZE).unwrap_or_default();
    let Some(&(size_name, max_string)) = STRING_SIZES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(&size_name))
    else {
        return Err(ActionError::invalid(
            "MaxStringSize",
            "one of Limit2K, Limit4K, Limit8K, Limit16K, Limit32K",
            &Value::from(size_name),
        ));
    };
    let resumed = call.take_resumed();
    let Some(snippet) = call.snippet(DATA) else {
        return Ok(BranchId::DEFAULT);
    };
    let result = match resumed {
        None => snippet.run(max_string, size_name),
        Some(Resumed { event, memo }) => {
            let Some(memo) = memo else {
                return Err(ActionError::failed(
                    "the Snippet cannot resume: its saved state is missing",
                ));
            };
            snippet.resume(max_string, size_name, &memo, answer(event))
        }
    };
    match result {
        Ok(None) => Ok(BranchId::DEFAULT),
        Ok(Some(Suspended { request, memo })) => {
            let text = format!("{} {}", request.method, request.url);
            call.transcript(TranscriptKind::Http, &text);
            call.wait_with(Wait::Http { request }, memo)
        }
        Err(e @ (SnippetError::Failed { .. } | SnippetError::Resume(_))) => {
            Err(ActionError::Failed(e.to_string()))
        }
        Err(e @ SnippetError::Limit { .. }) => Err(call.stop_run(Outcome::Limit, e.to_string())),
        Err(e @ SnippetError::Cancelled { .. }) => {
            Err(call.stop_run(Outcome::Cancelled, e.to_string()))
        }
        Err(e @ SnippetError::Suspended) => Err(ActionError::Failed(e.to_string())),
    }
}

/// What the waiting request gets from the event that resumed the run: any
/// HTTP status is a reply; a transport failure, or a body over Studio's
/// 32 KB, fails the statement.
fn answer(event: Event) -> Result<RestReply, String> {
    match event {
        Event::Reply(reply) if reply.body.len() > MAX_REPLY_BYTES => Err(format!(
            "the reply's body of {} bytes is over the {} KB a request takes",
            reply.body.len(),
            MAX_REPLY_BYTES / 1024
        )),
        Event::Reply(reply) => Ok(RestReply {
            result: reply_value(&reply.body),
            status: reply.status,
            description: reply.status_description(),
        }),
        Event::HttpFailed(why) => Err(why),
        other => Err(format!(
            "the run resumed with event `{}`, not the reply",
            other.name()
        )),
    }
}

pub(super) fn register(builder: &mut ActionList) {
    builder.add_action(
        ActionSchema::new("Snippet")
            .property(PropertySchema::required("Data", PropertyKind::SnippetCode))
            .property(
                // Studio's pages do not give the default; the largest keeps
                // migrated scripts working (see docs/studio.md).
                PropertySchema::optional("MaxStringSize", PropertyKind::Name)
                    .with_default(Value::from("Limit32K")),
            ),
        Arc::new(execute),
    );
}
