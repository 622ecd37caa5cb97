//! Employee profiles (agents / administrators) and the business unit.

use std::sync::Arc;

use crate::tz::Tz;
use chrono::{DateTime, SecondsFormat, Utc};

use super::case_folding::eq_folded;
use super::roles::RoleId;

/// An agent id (employee profile id).
///
/// ```
/// let id: studioflow::permissions::AgentId = 1001;
/// assert!(studioflow::permissions::Directory::demo().agent(id).is_some());
/// ```
pub type AgentId = u64;

/// The tenant: a business unit with a name and an IANA time zone.
///
/// ```
/// let bu = studioflow::permissions::Directory::demo().business_unit().clone();
/// assert_eq!(bu.time_zone, "America/Denver".parse::<studioflow::Tz>().unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessUnit {
    /// Display name.
    pub name: String,
    /// The business unit's time zone.
    pub time_zone: Tz,
}

/// Whether an employee profile may act.
///
/// ```
/// use studioflow::permissions::AgentStatus;
/// assert_eq!(AgentStatus::parse("inactive"), Some(AgentStatus::Inactive));
/// assert_eq!(AgentStatus::Active.as_str(), "active");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentStatus {
    /// May act (subject to role and departments).
    Active,
    /// Deactivated: kept for history, may do nothing.
    Inactive,
}

impl AgentStatus {
    /// `active` or `inactive`.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::AgentStatus::Inactive.as_str(), "inactive");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Active => "active",
            AgentStatus::Inactive => "inactive",
        }
    }

    /// Parses `active` / `inactive` (exact, lowercase).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::AgentStatus::parse("retired"), None);
    /// ```
    pub fn parse(text: &str) -> Option<AgentStatus> {
        match text {
            "active" => Some(AgentStatus::Active),
            "inactive" => Some(AgentStatus::Inactive),
            _ => None,
        }
    }
}

/// Which agents `list_agents` returns by status.
///
/// ```
/// use studioflow::permissions::{AgentStatus, AgentStatusFilter};
/// assert!(AgentStatusFilter::All.admits(AgentStatus::Inactive));
/// assert!(!AgentStatusFilter::Active.admits(AgentStatus::Inactive));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AgentStatusFilter {
    /// Only active agents.
    Active,
    /// Only inactive agents.
    Inactive,
    /// Both.
    #[default]
    All,
}

impl AgentStatusFilter {
    /// Whether an agent with `status` passes the filter.
    ///
    /// ```
    /// use studioflow::permissions::{AgentStatus, AgentStatusFilter};
    /// assert!(AgentStatusFilter::Inactive.admits(AgentStatus::Inactive));
    /// ```
    pub fn admits(self, status: AgentStatus) -> bool {
        match self {
            AgentStatusFilter::Active => status == AgentStatus::Active,
            AgentStatusFilter::Inactive => status == AgentStatus::Inactive,
            AgentStatusFilter::All => true,
        }
    }
}

/// A stored employee profile; `role` is a role id. Its text fields are
/// shared strings, so a reader (an API result, a security user) can keep
/// them without copying.
///
/// ```
/// let agent = studioflow::permissions::Directory::demo().store().agent(1002).unwrap();
/// assert!(agent.administers_department("Boston") && !agent.administers_department("Austin"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Agent id.
    pub id: AgentId,
    /// Login name, unique case-insensitively.
    pub user_name: Arc<str>,
    /// First name.
    pub first_name: Arc<str>,
    /// Last name.
    pub last_name: Arc<str>,
    /// Active or inactive.
    pub status: AgentStatus,
    /// The agent's own time zone.
    pub time_zone: Tz,
    /// The role held, if any; no role means no API rights.
    pub role: Option<RoleId>,
    /// The department the agent belongs to ("" = none).
    pub department: Arc<str>,
    /// Departments whose agents this person may administer; empty = all.
    pub administers: Vec<String>,
    /// Last login time.
    pub last_login: Option<DateTime<Utc>>,
}

impl Agent {
    /// Whether `other_department` is within the departments this agent administers.
    ///
    /// ```
    /// let sysadmin = studioflow::permissions::Directory::demo().store().agent(1001).unwrap();
    /// assert!(sysadmin.administers_department("anywhere")); // empty list = all
    /// ```
    pub fn administers_department(&self, other_department: &str) -> bool {
        self.administers.is_empty()
            || self
                .administers
                .iter()
                .any(|department| eq_folded(department, other_department))
    }
}

/// An agent as returned by the API: the role is given by name.
///
/// ```
/// let record = studioflow::permissions::Directory::demo().agent(1001).unwrap();
/// let json = record.to_json("America/New_York".parse::<studioflow::Tz>().unwrap());
/// assert_eq!(json["lastLogin"], "2026-03-08T01:30:00-05:00");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    /// Agent id.
    pub id: AgentId,
    /// Login name.
    pub user_name: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Active or inactive.
    pub status: AgentStatus,
    /// Name of the role held, if any.
    pub role: Option<String>,
    /// Department name.
    pub department: String,
    /// The agent's own time zone.
    pub time_zone: Tz,
    /// Departments administered; empty = all.
    pub administers: Vec<String>,
    /// Last login time.
    pub last_login: Option<DateTime<Utc>>,
}

impl AgentRecord {
    /// `{id, userName, firstName, lastName, status, role, department, timeZone, lastLogin}`
    /// with lastLogin as RFC 3339 in `tz` (e.g. `2026-03-08T01:30:00-05:00`) or null.
    ///
    /// ```
    /// let r = studioflow::permissions::Directory::demo().agent(1007).unwrap();
    /// assert_eq!(r.to_json(studioflow::Tz::UTC)["role"], serde_json::Value::Null);
    /// ```
    pub fn to_json(&self, tz: Tz) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "userName": self.user_name,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "status": self.status.as_str(),
            "role": self.role,
            "department": self.department,
            "timeZone": self.time_zone.name(),
            "lastLogin": self.last_login.map(|at| render_time(at, tz)),
        })
    }
}

/// RFC 3339 with the offset `tz` has at that instant, seconds precision unless finer is stored.
///
/// ```
/// use chrono::TimeZone;
/// let at = chrono::Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap();
/// assert_eq!(studioflow::permissions::render_time(at, "America/New_York".parse::<studioflow::Tz>().unwrap()), "2026-03-08T03:30:00-04:00");
/// ```
pub fn render_time(at: DateTime<Utc>, tz: Tz) -> String {
    let format = if at.timestamp_subsec_nanos() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::AutoSi
    };
    at.with_timezone(&tz).to_rfc3339_opts(format, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_offset() {
        let at: DateTime<Utc> = "2026-03-08T06:30:00Z".parse().unwrap();
        assert_eq!(
            render_time(at, "America/New_York".parse::<Tz>().unwrap()),
            "2026-03-08T01:30:00-05:00"
        );
        assert_eq!(render_time(at, Tz::UTC), "2026-03-08T06:30:00+00:00");
    }
}
