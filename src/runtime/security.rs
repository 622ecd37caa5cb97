//! The security-user handle.
//!
//! A security user's authority lives in the run, not in the data: the value
//! carries the id of the run that issued it, and API actions accept it only in
//! that run, and only while the agent is still active in the model.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono_tz::Tz;

use super::Value;

/// Identifies one run; handles from other runs are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RunId(u64);

impl RunId {
    /// A run id no other run in this process has. Each thread takes a block
    /// of ids from the shared counter at a time, so starting a run writes
    /// no cache line that other cores write (one shared write per
    /// [`RUN_ID_BLOCK`] runs of a thread).
    pub(crate) fn next() -> RunId {
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            /// The thread's next id and the end of its block.
            static BLOCK: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        BLOCK.with(|block| {
            let (mut next, mut end) = block.get();
            if next == end {
                next = NEXT_BLOCK.fetch_add(RUN_ID_BLOCK, Ordering::Relaxed);
                end = next + RUN_ID_BLOCK;
            }
            block.set((next + 1, end));
            RunId(next)
        })
    }
}

/// How many run ids a thread takes from the shared counter at once.
const RUN_ID_BLOCK: u64 = 1 << 16;

/// The value `SetSecurityUser` stores: readable fields plus an opaque handle.
///
/// There is no public constructor: only the checked call used by
/// `SetSecurityUser` ([`crate::ActionCall::set_security_user`]) mints one.
///
/// ```
/// use studioflow::{Engine, RunOptions, Value};
/// let engine = Engine::demo();
/// let script = engine.compile(r#"
///   start: Begin { Default -> pick }
///   pick: SetSecurityUser { Agent = "sysadmin" Default -> done }
///   done: End
/// "#, "doc.script").unwrap();
/// let run = engine.run(&script, RunOptions::default());
/// let Some(Value::SecurityUser(user)) = run.variables.get("SecurityUser") else { panic!() };
/// assert_eq!(user.user_name(), "sysadmin");
/// assert_eq!(user.agent_id(), 1001);
/// ```
#[derive(Debug, Clone)]
pub struct SecurityUser {
    run: RunId,
    info: Arc<SecurityUserInfo>,
}

/// The readable fields, kept as values so reading them never allocates.
#[derive(Debug)]
struct SecurityUserInfo {
    agent_id: u64,
    time_zone: Tz,
    user_name: Value,
    agent_id_value: Value,
    time_zone_name: Value,
    role: Value,
}

impl SecurityUser {
    pub(crate) fn mint(
        run: RunId,
        agent_id: u64,
        user_name: super::Text,
        time_zone: Tz,
        role: Value,
    ) -> Self {
        SecurityUser {
            run,
            info: Arc::new(SecurityUserInfo {
                agent_id,
                time_zone,
                user_name: Value::String(user_name),
                agent_id_value: Value::Number(agent_id as f64),
                time_zone_name: super::value::time_zone_name(time_zone),
                role,
            }),
        }
    }
    pub(crate) fn issued_by(&self, run: RunId) -> bool {
        self.run == run
    }
    pub(crate) fn same_handle(&self, other: &SecurityUser) -> bool {
        self.run == other.run && Arc::ptr_eq(&self.info, &other.info)
    }
    /// The agent's id.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.agent_id(), 1003);
    /// ```
    pub fn agent_id(&self) -> u64 {
        self.info.agent_id
    }
    /// The agent's userName when the handle was issued.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.user_name(), "scriptadmin");
    /// ```
    pub fn user_name(&self) -> &str {
        self.info.user_name.as_str().unwrap_or_default()
    }
    /// The time zone chosen in `SetSecurityUser` (the agent's own by default).
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.time_zone(), chrono_tz::Tz::Asia__Kolkata);
    /// ```
    pub fn time_zone(&self) -> Tz {
        self.info.time_zone
    }
    /// The role name when the handle was issued (rights are checked afresh on every call).
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.role(), Some("ScriptAdmin"));
    /// ```
    pub fn role(&self) -> Option<&str> {
        self.info.role.as_str()
    }
    /// A readable field, as `{SecurityUser.userName}` sees it.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.member("userName"), Some(studioflow::Value::from("scriptadmin")));
    /// assert_eq!(user.member("password"), None);
    /// ```
    pub fn member(&self, name: &str) -> Option<Value> {
        self.member_ref(name).cloned()
    }

    /// [`SecurityUser::member`], borrowed: templates and function arguments
    /// read a field without touching its reference count.
    pub(crate) fn member_ref(&self, name: &str) -> Option<&Value> {
        Some(match name {
            "userName" => &self.info.user_name,
            "agentId" => &self.info.agent_id_value,
            "timeZone" => &self.info.time_zone_name,
            "role" => &self.info.role,
            _ => return None,
        })
    }
    /// The readable fields as JSON; the handle never appears.
    ///
    /// ```
    /// let e = studioflow::Engine::demo();
    /// let s = e.compile("start: Begin { Default -> who }\nwho: SetSecurityUser { Agent = \"scriptadmin\" }", "s").unwrap();
    /// let run = e.run(&s, Default::default());
    /// let studioflow::Value::SecurityUser(user) = &run.variables["SecurityUser"] else { unreachable!() };
    /// assert_eq!(user.to_json()["agentId"], 1003);
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "userName": self.user_name(),
            "agentId": self.agent_id(),
            "timeZone": self.time_zone().name(),
            "role": self.role(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::RunId;

    #[test]
    fn run_ids_are_unique_across_threads_and_blocks() {
        let ids: Vec<Vec<RunId>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..3 * super::RUN_ID_BLOCK / 2)
                            .map(|_| RunId::next())
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut all: Vec<u64> = ids.into_iter().flatten().map(|id| id.0).collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "a run id was handed out twice");
    }
}
