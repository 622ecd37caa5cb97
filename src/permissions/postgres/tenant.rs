//! A whole tenant in and out of the database, one transaction each.

use postgres::{Client, IsolationLevel};
use serde_json::{Map, Value};

use super::connect::StoreUrl;
use super::schema::{check_version, LOCK_KEY};
use super::DbError;
use crate::permissions::{fold_case, Directory};

/// The notification channel every write notifies, with the new revision.
pub const CHANNEL: &str = "studioflow_tenant";

/// Replaces the store's tenant with `directory` (roles, agents, the
/// business unit) in one transaction; returns the new revision (one past
/// the store's last, so revisions only grow). Hosts listening on the
/// channel hear the revision.
pub fn import_tenant(
    client: &mut Client,
    url: &StoreUrl,
    directory: &Directory,
) -> Result<i64, DbError> {
    check_version(client, url)?;
    let err = |e| url.query_error(e);
    let json = directory.to_tenant_json();
    let business_unit = json.get("businessUnit").cloned().unwrap_or(Value::Null);
    let next_role_id = json.get("nextRoleId").and_then(Value::as_i64).unwrap_or(0);
    let mut tx = client.transaction().map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .map_err(err)?;
    let previous: i64 = tx
        .query_opt(
            "SELECT revision FROM studioflow_tenant WHERE id = 1 FOR UPDATE",
            &[],
        )
        .map_err(err)?
        .map_or(0, |row| row.get(0));
    let revision = previous + 1;
    tx.batch_execute("DELETE FROM studioflow_agents; DELETE FROM studioflow_roles; DELETE FROM studioflow_tenant")
        .map_err(err)?;
    tx.execute(
        "INSERT INTO studioflow_tenant (id, business_unit, next_role_id, revision) VALUES (1, $1, $2, $3)",
        &[&business_unit, &next_role_id, &revision],
    )
    .map_err(err)?;
    let insert_role = tx
        .prepare("INSERT INTO studioflow_roles (id, name, name_key, change_stamp, data) VALUES ($1, $2, $3, $4, $5)")
        .map_err(err)?;
    for role in json
        .get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = role.get("id").and_then(Value::as_i64).unwrap_or(0);
        let name = role.get("name").and_then(Value::as_str).unwrap_or("");
        let stamp = role.get("changeStamp").and_then(Value::as_i64).unwrap_or(0);
        tx.execute(&insert_role, &[&id, &name, &fold_case(name), &stamp, role])
            .map_err(err)?;
    }
    let insert_agent = tx
        .prepare("INSERT INTO studioflow_agents (id, user_name_key, role_key, data) VALUES ($1, $2, $3, $4)")
        .map_err(err)?;
    for agent in json
        .get("agents")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = agent.get("id").and_then(Value::as_i64).unwrap_or(0);
        let user = agent.get("userName").and_then(Value::as_str).unwrap_or("");
        // An agent names its role, or (a digits-only name another role's id
        // would shadow) gives its id: either way the key is the folded name.
        let role = match agent.get("role") {
            Some(Value::String(name)) => Some(fold_case(name).to_string()),
            Some(Value::Number(id)) => id
                .as_u64()
                .and_then(|id| directory.role_name(id))
                .map(|name| fold_case(&name).to_string()),
            _ => None,
        };
        tx.execute(&insert_agent, &[&id, &fold_case(user), &role, agent])
            .map_err(err)?;
    }
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &revision.to_string()],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(revision)
}

/// The store's tenant as a [`Directory`] (loaded as a tenant file is, so
/// the same checks apply) and its revision, read in one snapshot.
pub fn load_tenant(client: &mut Client, url: &StoreUrl) -> Result<(Directory, i64), DbError> {
    check_version(client, url)?;
    let err = |e| url.query_error(e);
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(err)?;
    let tenant = tx
        .query_opt(
            "SELECT business_unit, next_role_id, revision FROM studioflow_tenant WHERE id = 1",
            &[],
        )
        .map_err(err)?
        .ok_or(DbError::NoTenant)?;
    let business_unit: Value = tenant.get(0);
    let next_role_id: i64 = tenant.get(1);
    let revision: i64 = tenant.get(2);
    let roles: Vec<Value> = tx
        .query("SELECT data FROM studioflow_roles ORDER BY id", &[])
        .map_err(err)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let agents: Vec<Value> = tx
        .query("SELECT data FROM studioflow_agents ORDER BY id", &[])
        .map_err(err)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    tx.commit().map_err(err)?;
    let mut doc = Map::new();
    doc.insert("businessUnit".into(), business_unit);
    doc.insert("roles".into(), Value::Array(roles));
    doc.insert("nextRoleId".into(), Value::from(next_role_id));
    doc.insert("agents".into(), Value::Array(agents));
    let text = Value::Object(doc).to_string();
    let directory =
        Directory::from_json_str(&text).map_err(|e| DbError::BadTenant(e.to_string()))?;
    Ok((directory, revision))
}

/// The store's revision (0 before the first import).
pub fn revision(client: &mut Client, url: &StoreUrl) -> Result<i64, DbError> {
    check_version(client, url)?;
    Ok(client
        .query_opt("SELECT revision FROM studioflow_tenant WHERE id = 1", &[])
        .map_err(|e| url.query_error(e))?
        .map_or(0, |row| row.get(0)))
}
