//! AgentRecord::to_json renders lastLogin with the offset in force at that
//! instant, across daylight-saving changes.

use chrono::{DateTime, Utc};
use serde_json::json;
use studioflow::permissions::{render_time, Directory};
use studioflow::Tz;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap()
}

#[test]
fn new_york_spring_forward() {
    let new_york = zone("America/New_York");
    // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00Z).
    assert_eq!(
        render_time(at("2026-03-08T06:30:00Z"), new_york),
        "2026-03-08T01:30:00-05:00"
    );
    assert_eq!(
        render_time(at("2026-03-08T07:30:00Z"), new_york),
        "2026-03-08T03:30:00-04:00"
    );
}

#[test]
fn london_spring_forward() {
    let london = zone("Europe/London");
    // 2026-03-29 01:00 GMT jumps to 02:00 BST.
    assert_eq!(
        render_time(at("2026-03-29T00:30:00Z"), london),
        "2026-03-29T00:30:00+00:00"
    );
    assert_eq!(
        render_time(at("2026-03-29T01:30:00Z"), london),
        "2026-03-29T02:30:00+01:00"
    );
}

#[test]
fn los_angeles_fall_back_is_unambiguous() {
    let los_angeles = zone("America/Los_Angeles");
    // 2026-11-01 01:30 happens twice; the instant decides which.
    assert_eq!(
        render_time(at("2026-11-01T08:30:00Z"), los_angeles),
        "2026-11-01T01:30:00-07:00"
    );
    assert_eq!(
        render_time(at("2026-11-01T09:30:00Z"), los_angeles),
        "2026-11-01T01:30:00-08:00"
    );
}

#[test]
fn demo_agents_render_in_the_requested_zone() {
    let directory = Directory::demo();
    let sysadmin = directory.agent(1001).unwrap();
    assert_eq!(
        sysadmin.to_json(sysadmin.time_zone),
        json!({
            "id": 1001,
            "userName": "sysadmin",
            "firstName": "Sofia",
            "lastName": "Reyes",
            "status": "active",
            "role": "SystemAdmin",
            "department": "Boston",
            "timeZone": "America/New_York",
            "lastLogin": "2026-03-08T01:30:00-05:00"
        })
    );
    let keys: Vec<String> = sysadmin
        .to_json(sysadmin.time_zone)
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "userName",
            "firstName",
            "lastName",
            "status",
            "role",
            "department",
            "timeZone",
            "lastLogin"
        ]
    );
    let scriptadmin = directory.agent(1003).unwrap();
    assert_eq!(
        scriptadmin.to_json(zone("America/New_York"))["lastLogin"],
        "2026-03-08T03:30:00-04:00"
    );
    assert_eq!(
        scriptadmin.to_json(zone("Asia/Kolkata"))["lastLogin"],
        "2026-03-08T13:00:00+05:30"
    );
    let configadmin = directory.agent(1002).unwrap();
    assert_eq!(
        configadmin.to_json(zone("Europe/London"))["lastLogin"],
        "2026-03-29T00:30:00+00:00"
    );
    let agentadmin = directory.agent(1004).unwrap();
    assert_eq!(
        agentadmin.to_json(agentadmin.time_zone)["lastLogin"],
        "2026-11-01T01:30:00-08:00"
    );
    // Business unit zone (America/Denver, MST in winter).
    let former = directory.agent(1006).unwrap();
    let denver = directory.business_unit().time_zone;
    assert_eq!(
        former.to_json(denver)["lastLogin"],
        "2025-12-31T16:00:00-07:00"
    );
    assert_eq!(former.to_json(denver)["status"], "inactive");
    let supervisor = directory.agent(1005).unwrap();
    assert_eq!(supervisor.to_json(denver)["lastLogin"], json!(null));
    let norole = directory.agent(1007).unwrap();
    assert_eq!(norole.to_json(denver)["role"], json!(null));
}
