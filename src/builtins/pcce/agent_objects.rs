//! The agent objects `GetAgent` stores, built once per thread and shared.
//!
//! An agent object is a pure function of the stored record, its role's
//! name and the time zone its `lastLogin` renders in. Flows look the same
//! agents up call after call, so each thread keeps the last objects it
//! built, keyed by exactly those inputs (compared by content, so no store
//! version, store identity or time can make a stale object match): a lookup
//! of an unchanged agent shares the object (one reference count) instead of
//! building nine values and a hash table. Objects are immutable values: a
//! script that changes a member gets its own copy.

use std::cell::RefCell;
use std::sync::Arc;

use crate::tz::Tz;
use chrono::{DateTime, Utc};

use super::common::build_agent_value;
use crate::permissions::{Agent, AgentId, AgentStatus};
use crate::runtime::limits::SizeLimits;
use crate::Value;

/// Objects kept per thread (direct-mapped by agent id): few enough that
/// the memory held is bounded by a few store records.
const SLOTS: usize = 16;

/// Everything an agent object is built from.
struct Inputs {
    id: AgentId,
    user_name: Arc<str>,
    first_name: Arc<str>,
    last_name: Arc<str>,
    status: AgentStatus,
    role: Option<Box<str>>,
    department: Arc<str>,
    time_zone: Tz,
    last_login: Option<DateTime<Utc>>,
    rendered_in: Tz,
}

impl Inputs {
    fn of(record: &Agent, role: Option<&str>, tz: Tz) -> Inputs {
        Inputs {
            id: record.id,
            user_name: record.user_name.clone(),
            first_name: record.first_name.clone(),
            last_name: record.last_name.clone(),
            status: record.status,
            role: role.map(Box::from),
            department: record.department.clone(),
            time_zone: record.time_zone,
            last_login: record.last_login,
            rendered_in: tz,
        }
    }

    fn matches(&self, record: &Agent, role: Option<&str>, tz: Tz) -> bool {
        self.id == record.id
            && self.status == record.status
            && self.time_zone == record.time_zone
            && self.last_login == record.last_login
            && self.rendered_in == tz
            && self.role.as_deref() == role
            && same_text(&self.user_name, &record.user_name)
            && same_text(&self.first_name, &record.first_name)
            && same_text(&self.last_name, &record.last_name)
            && same_text(&self.department, &record.department)
    }
}

/// Equal texts; the same allocation answers at once (it cannot have been
/// reused for another text: the slot holds a reference to it).
fn same_text(kept: &Arc<str>, stored: &Arc<str>) -> bool {
    Arc::ptr_eq(kept, stored) || **kept == **stored
}

struct Slot {
    inputs: Inputs,
    value: Value,
    /// Its size under the limits it was last stored with (a store walks
    /// the object to measure it: done once per object and limits).
    measured: Option<(SizeLimits, usize)>,
}

/// An agent object and its size under the size limits it was asked for.
pub(super) struct AgentObject {
    pub value: Value,
    /// What `SizeLimits::measure` answers; `None` when the object is over
    /// the limits (storing it reports why).
    pub bytes: Option<usize>,
}

thread_local! {
    static KEPT: RefCell<[Option<Slot>; SLOTS]> = const { RefCell::new([const { None }; SLOTS]) };
}

/// The agent object of `record` (with its role's name, `lastLogin` in
/// `tz`) and its size under `limits`: the one this thread built last for
/// the same inputs (measured again only under other limits), else a new
/// one, kept for the next lookup.
pub(super) fn agent_object(
    record: &Agent,
    role: Option<&str>,
    tz: Tz,
    limits: SizeLimits,
) -> AgentObject {
    let slot = (record.id as usize) % SLOTS;
    let measure = |value: &Value| limits.measure(value).ok();
    let kept = KEPT.try_with(|kept| {
        let mut kept = kept.try_borrow_mut().ok()?;
        let k = kept[slot]
            .as_mut()
            .filter(|k| k.inputs.matches(record, role, tz))?;
        let bytes = match k.measured {
            Some((at, bytes)) if at == limits => Some(bytes),
            _ => {
                let bytes = measure(&k.value);
                k.measured = bytes.map(|b| (limits, b));
                bytes
            }
        };
        Some(AgentObject {
            value: k.value.clone(),
            bytes,
        })
    });
    if let Ok(Some(object)) = kept {
        return object;
    }
    let value = build_agent_value(record, role, tz);
    let bytes = measure(&value);
    // A thread being torn down keeps nothing (its table is gone).
    let _ = KEPT.try_with(|kept| {
        if let Ok(mut kept) = kept.try_borrow_mut() {
            kept[slot] = Some(Slot {
                inputs: Inputs::of(record, role, tz),
                value: value.clone(),
                measured: bytes.map(|b| (limits, b)),
            });
        }
    });
    AgentObject { value, bytes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::Directory;

    fn stored(id: AgentId) -> (Agent, Option<String>) {
        let directory = Directory::demo();
        let agent = directory.store().agent(id).expect("demo agent");
        let role = agent.role.and_then(|r| directory.role_name(r));
        (agent, role)
    }

    const LIMITS: SizeLimits = SizeLimits {
        max_string_bytes: 1 << 20,
        max_list_len: 1000,
        max_value_depth: 10,
    };

    fn object(record: &Agent, role: Option<&str>, tz: Tz) -> Value {
        agent_object(record, role, tz, LIMITS).value
    }

    fn shares(a: &Value, b: &Value) -> bool {
        matches!((a, b), (Value::Object(x), Value::Object(y)) if Arc::ptr_eq(x, y))
    }

    #[test]
    fn an_unchanged_agent_shares_its_object() {
        let (agent, role) = stored(1002);
        let first = object(&agent, role.as_deref(), Tz::UTC);
        let second = object(&agent, role.as_deref(), Tz::UTC);
        assert!(shares(&first, &second));
        assert_eq!(first, build_agent_value(&agent, role.as_deref(), Tz::UTC));
    }

    #[test]
    fn any_changed_input_builds_a_new_object() {
        let (agent, role) = stored(1003);
        let base = object(&agent, role.as_deref(), Tz::UTC);
        let mut changes: Vec<(&str, Agent, Option<String>, Tz)> = Vec::new();
        let mut a = agent.clone();
        a.first_name = Arc::from("Renamed");
        changes.push(("firstName", a, role.clone(), Tz::UTC));
        let mut a = agent.clone();
        a.last_name = Arc::from("Renamed");
        changes.push(("lastName", a, role.clone(), Tz::UTC));
        let mut a = agent.clone();
        a.user_name = Arc::from("renamed");
        changes.push(("userName", a, role.clone(), Tz::UTC));
        let mut a = agent.clone();
        a.department = Arc::from("Elsewhere");
        changes.push(("department", a, role.clone(), Tz::UTC));
        let mut a = agent.clone();
        a.status = match a.status {
            AgentStatus::Active => AgentStatus::Inactive,
            AgentStatus::Inactive => AgentStatus::Active,
        };
        changes.push(("status", a, role.clone(), Tz::UTC));
        let mut a = agent.clone();
        a.time_zone = "Asia/Tokyo".parse::<Tz>().expect("a zone");
        changes.push(("timeZone", a, role.clone(), Tz::UTC));
        let mut a = agent.clone();
        a.last_login = Some(
            a.last_login
                .map_or(DateTime::UNIX_EPOCH, |t| t + chrono::Duration::seconds(1)),
        );
        changes.push(("lastLogin", a, role.clone(), Tz::UTC));
        changes.push(("role", agent.clone(), Some("Other".into()), Tz::UTC));
        changes.push((
            "rendered in",
            agent.clone(),
            role.clone(),
            "Asia/Kolkata".parse::<Tz>().expect("a zone"),
        ));
        let mut a = agent.clone();
        a.id = agent.id + SLOTS as u64; // the same slot, another agent
        changes.push(("id", a, role.clone(), Tz::UTC));
        for (what, changed, role, tz) in changes {
            // Kept from the base lookup, then asked with one input changed.
            let _ = object(&agent, role.as_deref(), Tz::UTC);
            let got = object(&changed, role.as_deref(), tz);
            assert_eq!(
                got,
                build_agent_value(&changed, role.as_deref(), tz),
                "{what}: the object must be built from the changed input"
            );
            assert!(!shares(&got, &base), "{what}: a stale object was shared");
        }
    }

    #[test]
    fn equal_texts_in_new_allocations_still_share() {
        let (agent, role) = stored(1004);
        let first = object(&agent, role.as_deref(), Tz::UTC);
        let mut copy = agent.clone();
        copy.first_name = Arc::from(&*agent.first_name);
        copy.department = Arc::from(&*agent.department);
        let second = object(&copy, role.as_deref(), Tz::UTC);
        assert!(shares(&first, &second));
    }

    #[test]
    fn a_changed_member_is_the_scripts_own_copy() {
        let (agent, role) = stored(1005);
        let mut mine = object(&agent, role.as_deref(), Tz::UTC);
        if let Value::Object(map) = &mut mine {
            Arc::make_mut(map).insert("firstName".into(), Value::from("Changed"));
        }
        let again = object(&agent, role.as_deref(), Tz::UTC);
        assert_eq!(again, build_agent_value(&agent, role.as_deref(), Tz::UTC));
        assert_ne!(again, mine);
    }

    #[test]
    fn the_size_is_that_of_the_object_under_the_limits_asked_for() {
        let (agent, role) = stored(1006);
        let first = agent_object(&agent, role.as_deref(), Tz::UTC, LIMITS);
        assert_eq!(first.bytes, LIMITS.measure(&first.value).ok());
        assert!(first.bytes.is_some());
        // Shared, with the same size; other limits measure again.
        let again = agent_object(&agent, role.as_deref(), Tz::UTC, LIMITS);
        assert!(shares(&first.value, &again.value));
        assert_eq!(again.bytes, first.bytes);
        let tight = SizeLimits {
            max_string_bytes: 3,
            ..LIMITS
        };
        let refused = agent_object(&agent, role.as_deref(), Tz::UTC, tight);
        assert!(shares(&first.value, &refused.value));
        assert_eq!(refused.bytes, None, "over the limits: no size");
        assert_eq!(
            agent_object(&agent, role.as_deref(), Tz::UTC, LIMITS).bytes,
            first.bytes
        );
    }
}
