//! Saving: a [`Directory`] as its tenant document (custom roles only;
//! features only when not the default catalog), written atomically.

use std::path::Path;

use chrono::SecondsFormat;
use serde_json::{Map, Value};

use crate::files;

use super::SaveError;
use crate::permissions::directory::Directory;
use crate::permissions::ids::parse_id;

/// A custom role as the tenant document writes it.
pub(crate) fn role_json(
    role: &crate::permissions::Role,
    catalog: &crate::permissions::FeatureCatalog,
) -> Value {
    serde_json::json!({
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "accessList": catalog.names_of(role.access),
        "changeStamp": role.change_stamp,
    })
}

/// The tenant document for a directory (custom roles only; features only if not default).
fn to_json(directory: &Directory) -> Value {
    let snapshot = directory.store().snapshot();
    let catalog = directory.catalog();
    let unit = directory.business_unit();
    let mut top = Map::new();
    top.insert(
        "businessUnit".into(),
        serde_json::json!({"name": unit.name, "timeZone": unit.time_zone.name()}),
    );
    if !catalog.is_default() {
        top.insert(
            "features".into(),
            serde_json::to_value(catalog.features()).unwrap_or(Value::Null),
        );
    }
    let roles: Vec<Value> = snapshot
        .roles
        .iter()
        .filter(|role| !role.system_defined)
        .map(|role| role_json(role, catalog))
        .collect();
    top.insert("roles".into(), Value::Array(roles));
    top.insert("nextRoleId".into(), Value::from(snapshot.next_role_id));
    let agents: Vec<Value> = snapshot
        .agents
        .iter()
        .map(|agent| {
            let role = agent
                .role
                .and_then(|id| snapshot.roles.iter().find(|role| role.id == id))
                .map_or(Value::Null, |role| {
                    // A digits-only name that is also another role's id would load as that id.
                    let shadowed = parse_id(&role.name).is_some_and(|id| {
                        id != role.id && snapshot.roles.iter().any(|r| r.id == id)
                    });
                    if shadowed {
                        Value::from(role.id)
                    } else {
                        Value::from(role.name.clone())
                    }
                });
            serde_json::json!({
                "id": agent.id,
                "userName": agent.user_name,
                "firstName": agent.first_name,
                "lastName": agent.last_name,
                "status": agent.status.as_str(),
                "timeZone": agent.time_zone.name(),
                "role": role,
                "department": agent.department,
                "administers": agent.administers,
                "lastLogin": agent
                    .last_login
                    .map(|at| at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            })
        })
        .collect();
    top.insert("agents".into(), Value::Array(agents));
    Value::Object(top)
}

impl Directory {
    /// The tenant document (round-trips through `from_json_str`).
    ///
    /// ```
    /// let json = studioflow::permissions::Directory::demo().to_tenant_json();
    /// assert_eq!(json["nextRoleId"], 5001);
    /// ```
    pub fn to_tenant_json(&self) -> Value {
        to_json(self)
    }

    /// The tenant document as saved: pretty JSON ending in a newline.
    pub(super) fn to_tenant_text(&self) -> Result<String, SaveError> {
        let mut text = serde_json::to_string_pretty(&self.to_tenant_json())?;
        text.push('\n');
        Ok(text)
    }

    /// Saves the tenant document with [`files::write_atomically`]: a symbolic
    /// link is followed, the file's permissions are kept, and a target that is
    /// not a regular file is refused.
    ///
    /// To save back to the file the tenant was loaded from, while other
    /// processes may do the same, use [`TenantFile`](super::TenantFile).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("studioflow-doc-save-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("tenant.json");
    /// studioflow::permissions::Directory::demo().save_file(&path).unwrap();
    /// assert!(studioflow::permissions::Directory::load_file(&path).is_ok());
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn save_file(&self, path: &Path) -> Result<(), SaveError> {
        files::write_atomically(path, self.to_tenant_text()?.as_bytes())?;
        Ok(())
    }
}
