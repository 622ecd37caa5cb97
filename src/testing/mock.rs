//! Mocks: an [`ActionOverride`] that replaces chosen actions for one run.
//!
//! A mocked action is not executed. Each execution takes the next result of
//! its list (the last one repeats): set variables, optionally resolve a real
//! security user, then name a branch. The executor resolves that branch as it
//! would a real result (fallback to Default, Error or stop).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::action::ActionCall;
use crate::action::{ActionError, BranchId};
use crate::runtime::{ActionOverride, Value};

/// One result of a mocked action.
#[derive(Debug, Clone)]
pub(crate) struct MockResult {
    /// The branch it takes (`BranchId::ERROR` for a failure).
    pub branch: BranchId,
    /// `_ERR` when the branch is Error.
    pub err: Option<String>,
    /// Variables it sets, in order.
    pub set: Vec<(String, Value)>,
    /// An agent (userName or id) to resolve for real, and the schema index of
    /// the output-variable property the security user goes to.
    pub security_user: Option<(String, usize)>,
}

/// The results of one mocked action.
#[derive(Debug, Clone)]
pub(crate) struct Mock {
    /// The subscript the action is in, as traces name it (`None`: the tested script).
    pub script: Option<Arc<str>>,
    pub action: Arc<str>,
    pub results: Vec<MockResult>,
}

type Results = (Vec<MockResult>, AtomicUsize);

/// The mocks of one case, for one run: each keeps its own count of executions.
pub(crate) struct CaseMocks {
    /// Script label (`""` for the tested script) → action id → results.
    by_script: HashMap<Arc<str>, HashMap<Arc<str>, Results>>,
}

impl CaseMocks {
    pub fn new(mocks: &[Mock]) -> Self {
        let mut by_script: HashMap<Arc<str>, HashMap<Arc<str>, Results>> = HashMap::new();
        for m in mocks {
            by_script
                .entry(m.script.clone().unwrap_or_else(|| Arc::from("")))
                .or_default()
                .insert(m.action.clone(), (m.results.clone(), AtomicUsize::new(0)));
        }
        CaseMocks { by_script }
    }
}

impl ActionOverride for CaseMocks {
    fn run_instead(&self, call: &mut ActionCall<'_>) -> Option<Result<BranchId, ActionError>> {
        // `lookup:find` mocks `find` only where it runs inside `lookup`.
        let (results, executions) = self
            .by_script
            .get(call.subscript().unwrap_or(""))?
            .get(call.action_id())?;
        let n = executions.fetch_add(1, Ordering::Relaxed);
        let result = &results[n.min(results.len() - 1)];
        for (name, value) in &result.set {
            call.set_variable(name, value.clone());
        }
        if let Some((agent, slot)) = &result.security_user {
            let user = match call.set_security_user(agent.trim(), None) {
                Ok(user) => user,
                Err(e) => return Some(Err(e)),
            };
            if let Some(var) = call.variable(*slot) {
                call.set(var, Value::SecurityUser(user));
            }
        }
        Some(match &result.err {
            Some(err) => Err(ActionError::failed(err.clone())),
            None => Ok(result.branch),
        })
    }
}

/// A `[[case.http]]` reply: the first mock whose method and URL are the
/// request's answers it (as often as the run asks).
#[derive(Debug, Clone)]
pub(crate) struct HttpMock {
    pub method: String,
    pub url: String,
    pub reply: crate::HttpReply,
    /// `fail = "..."`: the request fails in transport instead (no
    /// connection, a timeout): the action takes Error with this as `_ERR`.
    pub fail: Option<String>,
}

impl HttpMock {
    /// The reply to `request`, from the first mock that matches it.
    pub(crate) fn answer<'m>(
        mocks: &'m [HttpMock],
        request: &crate::HttpRequest,
    ) -> Option<&'m HttpMock> {
        mocks
            .iter()
            .find(|m| m.method.eq_ignore_ascii_case(&request.method) && m.url == request.url)
    }
}
