//! Loading: the tenant document walked by hand into a [`Directory`], every
//! error at its JSON place.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::files;

use super::fields::{
    array, bounded_text, exact, join, non_empty_text, object, optional, required, text, time_zone,
    wrong, AGENT_FIELDS, BUSINESS_UNIT_FIELDS, FEATURE_FIELDS, ROLE_FIELDS, TOP_FIELDS,
};
use super::{LoadError, LoadProblem, MAX_PERSON_FIELD_LEN};
use crate::permissions::agents::{Agent, AgentStatus, BusinessUnit};
use crate::permissions::case_folding::{eq_folded, fold_case};
use crate::permissions::directory::Directory;
use crate::permissions::features::{
    CatalogError, Feature, FeatureCatalog, FeatureCategory, FeatureSet,
};
use crate::permissions::ids::{parse_id, MAX_EXACT_ID};
use crate::permissions::roles::{
    check_role_name, BuiltInRole, NameProblem, Role, RoleId, FIRST_CUSTOM_ROLE_ID,
    MAX_DESCRIPTION_LEN,
};
use crate::permissions::store::{InMemoryStore, SeedProblem};
use crate::permissions::strict_json::{self, StrictJsonError};

/// Parses a tenant document into a directory backed by an [`InMemoryStore`].
pub(crate) fn load_str(text: &str) -> Result<Directory, LoadError> {
    let root: Value = strict_json::parse(text).map_err(|error| match error {
        StrictJsonError::Syntax(error) => LoadError::Syntax {
            line: error.line(),
            column: error.column(),
            message: strip_position(&error.to_string()),
        },
        StrictJsonError::DuplicateKey { place, key } => {
            let place = if place.is_empty() {
                "(root)".to_owned()
            } else {
                place
            };
            LoadError::at(place, LoadProblem::DuplicateKey(key))
        }
    })?;
    let top = object(&root, "", TOP_FIELDS)?;

    let unit_value = required(top, "", "businessUnit")?;
    let unit = object(unit_value, "businessUnit", BUSINESS_UNIT_FIELDS)?;
    let business_unit = BusinessUnit {
        name: non_empty_text(
            required(unit, "businessUnit", "name")?,
            "businessUnit.name",
            MAX_PERSON_FIELD_LEN,
        )?
        .to_owned(),
        time_zone: time_zone(
            required(unit, "businessUnit", "timeZone")?,
            "businessUnit.timeZone",
        )?,
    };

    let catalog = match optional(top, "features") {
        None => FeatureCatalog::default_catalog(),
        Some(features) => load_catalog(features)?,
    };

    let custom_roles = match optional(top, "roles") {
        None => Vec::new(),
        Some(roles) => load_roles(roles, &catalog)?,
    };

    let highest = custom_roles
        .iter()
        .map(|role| role.id)
        .max()
        .unwrap_or(FIRST_CUSTOM_ROLE_ID - 1);
    let next_role_id = match optional(top, "nextRoleId") {
        None => None,
        Some(value) => {
            // One past the last id: MAX_EXACT_ID + 1 means "ids exhausted".
            let given = exact(value, "nextRoleId", MAX_EXACT_ID + 1)?;
            let minimum = highest.saturating_add(1);
            if given < minimum {
                return Err(LoadError::at(
                    "nextRoleId",
                    LoadProblem::NextRoleIdTooSmall { given, minimum },
                ));
            }
            Some(given)
        }
    };

    let mut all_roles: Vec<Role> = BuiltInRole::ALL
        .iter()
        .map(|built_in| built_in.to_role(&catalog))
        .collect();
    all_roles.extend(custom_roles.iter().cloned());
    let agents = match optional(top, "agents") {
        None => Vec::new(),
        Some(agents) => load_agents(agents, &all_roles)?,
    };

    let store = InMemoryStore::new(business_unit, catalog, custom_roles, agents, next_role_id)
        .map_err(seed_error)?;
    Ok(Directory::new(Arc::new(store)))
}

/// serde_json appends "at line L column C"; the Syntax variant shows it already.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_owned(),
        None => message.to_owned(),
    }
}

/// The loader checks everything the store checks, with places; this maps any leftover.
fn seed_error(problem: SeedProblem) -> LoadError {
    let place = match &problem {
        SeedProblem::DuplicateRoleId(index)
        | SeedProblem::ReservedRoleId(index)
        | SeedProblem::RoleIdTooLarge(index)
        | SeedProblem::DuplicateRoleName(index, _) => format!("roles[{index}]"),
        SeedProblem::DuplicateAgentId(index)
        | SeedProblem::DuplicateUserName(index)
        | SeedProblem::UnknownRole(index)
        | SeedProblem::AgentIdTooLarge(index) => format!("agents[{index}]"),
        SeedProblem::NextRoleIdTooSmall | SeedProblem::NextRoleIdTooLarge => {
            "nextRoleId".to_owned()
        }
    };
    LoadError::at(place, LoadProblem::Inconsistent(format!("{problem:?}")))
}

fn load_catalog(value: &Value) -> Result<FeatureCatalog, LoadError> {
    let items = array(value, "features")?;
    let mut features = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let place = format!("features[{index}]");
        let map = object(item, &place, FEATURE_FIELDS)?;
        let name_place = join(&place, "name");
        let name = text(required(map, &place, "name")?, &name_place)?;
        let category_place = join(&place, "category");
        let category_text = text(required(map, &place, "category")?, &category_place)?;
        let category = FeatureCategory::parse(category_text).ok_or_else(|| {
            LoadError::at(
                &category_place,
                LoadProblem::UnknownCategory(category_text.to_owned()),
            )
        })?;
        features.push(Feature {
            name: name.to_owned(),
            category,
        });
    }
    FeatureCatalog::new(features).map_err(|error| {
        let place = match &error {
            CatalogError::TooManyFeatures { .. } | CatalogError::MissingRequired { .. } => {
                "features".to_owned()
            }
            CatalogError::InvalidName { index, .. } | CatalogError::Duplicate { index, .. } => {
                format!("features[{index}].name")
            }
            CatalogError::WrongCategory { index, .. } => format!("features[{index}].category"),
        };
        LoadError::at(place, LoadProblem::Catalog(error))
    })
}

fn load_roles(value: &Value, catalog: &FeatureCatalog) -> Result<Vec<Role>, LoadError> {
    let items = array(value, "roles")?;
    let mut roles: Vec<Role> = Vec::with_capacity(items.len());
    let mut ids: HashMap<u64, String> = HashMap::new();
    let mut names: HashMap<String, String> = BuiltInRole::ALL
        .iter()
        .map(|role| {
            (
                fold_case(role.name()).into_owned(),
                format!("built-in role {}", role.name()),
            )
        })
        .collect();
    for (index, item) in items.iter().enumerate() {
        let place = format!("roles[{index}]");
        let map = object(item, &place, ROLE_FIELDS)?;

        let id_place = join(&place, "id");
        let id = exact(required(map, &place, "id")?, &id_place, MAX_EXACT_ID)?;
        if id < FIRST_CUSTOM_ROLE_ID {
            return Err(LoadError::at(id_place, LoadProblem::ReservedRoleId(id)));
        }
        if let Some(first) = ids.get(&id) {
            return Err(LoadError::at(
                id_place,
                LoadProblem::DuplicateRoleId {
                    id,
                    first: first.clone(),
                },
            ));
        }
        ids.insert(id, place.clone());

        let name_place = join(&place, "name");
        let name = text(required(map, &place, "name")?, &name_place)?;
        match check_role_name(name) {
            Ok(()) => {}
            Err(NameProblem::Empty) => return Err(LoadError::at(name_place, LoadProblem::Empty)),
            Err(NameProblem::TooLong | NameProblem::InvalidCharacters) => {
                return Err(LoadError::at(
                    name_place,
                    LoadProblem::InvalidRoleName {
                        name: name.to_owned(),
                    },
                ))
            }
        }
        let folded = fold_case(name).into_owned();
        if let Some(first) = names.get(&folded) {
            return Err(LoadError::at(
                name_place,
                LoadProblem::DuplicateRoleName {
                    name: name.to_owned(),
                    first: first.clone(),
                },
            ));
        }
        names.insert(folded, place.clone());

        let description = match optional(map, "description") {
            None => String::new(),
            Some(value) => {
                bounded_text(value, &join(&place, "description"), MAX_DESCRIPTION_LEN)?.to_owned()
            }
        };

        let list_place = join(&place, "accessList");
        let list = array(required(map, &place, "accessList")?, &list_place)?;
        let mut access = FeatureSet::EMPTY;
        for (position, entry) in list.iter().enumerate() {
            let entry_place = format!("{list_place}[{position}]");
            let feature_name = text(entry, &entry_place)?;
            let feature = catalog.id(feature_name).ok_or_else(|| {
                LoadError::at(
                    &entry_place,
                    LoadProblem::UnknownFeature(feature_name.to_owned()),
                )
            })?;
            if catalog
                .get(feature)
                .is_some_and(|feature| feature.category == FeatureCategory::Access)
            {
                return Err(LoadError::at(
                    entry_place,
                    LoadProblem::AccessFeature(feature_name.to_owned()),
                ));
            }
            access.insert(feature);
        }

        let change_stamp = match optional(map, "changeStamp") {
            None => 0,
            Some(value) => exact(value, &join(&place, "changeStamp"), MAX_EXACT_ID)?,
        };
        roles.push(Role {
            id,
            name: name.to_owned(),
            description,
            access,
            change_stamp,
            system_defined: false,
        });
    }
    Ok(roles)
}

fn load_agents(value: &Value, roles: &[Role]) -> Result<Vec<Agent>, LoadError> {
    let items = array(value, "agents")?;
    let mut agents = Vec::with_capacity(items.len());
    let mut ids: HashMap<u64, String> = HashMap::new();
    let mut user_names: HashMap<String, String> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let place = format!("agents[{index}]");
        let map = object(item, &place, AGENT_FIELDS)?;

        let id_place = join(&place, "id");
        let id = exact(required(map, &place, "id")?, &id_place, MAX_EXACT_ID)?;
        if let Some(first) = ids.get(&id) {
            return Err(LoadError::at(
                id_place,
                LoadProblem::DuplicateAgentId {
                    id,
                    first: first.clone(),
                },
            ));
        }
        ids.insert(id, place.clone());

        let user_place = join(&place, "userName");
        let user_name = non_empty_text(
            required(map, &place, "userName")?,
            &user_place,
            MAX_PERSON_FIELD_LEN,
        )?;
        let folded = fold_case(user_name).into_owned();
        if let Some(first) = user_names.get(&folded) {
            return Err(LoadError::at(
                user_place,
                LoadProblem::DuplicateUserName {
                    name: user_name.to_owned(),
                    first: first.clone(),
                },
            ));
        }
        user_names.insert(folded, place.clone());

        let optional_text = |key: &str| -> Result<String, LoadError> {
            match optional(map, key) {
                None => Ok(String::new()),
                Some(value) => {
                    Ok(bounded_text(value, &join(&place, key), MAX_PERSON_FIELD_LEN)?.to_owned())
                }
            }
        };
        let first_name = optional_text("firstName")?;
        let last_name = optional_text("lastName")?;

        let status_place = join(&place, "status");
        let status_text = text(required(map, &place, "status")?, &status_place)?;
        let status = AgentStatus::parse(status_text).ok_or_else(|| {
            LoadError::at(
                &status_place,
                LoadProblem::InvalidStatus(status_text.to_owned()),
            )
        })?;

        let tz = time_zone(
            required(map, &place, "timeZone")?,
            &join(&place, "timeZone"),
        )?;

        let role_place = join(&place, "role");
        let role = match optional(map, "role") {
            None => None,
            Some(value) => Some(resolve_role_reference(value, &role_place, roles)?),
        };

        let department = bounded_text(
            required(map, &place, "department")?,
            &join(&place, "department"),
            MAX_PERSON_FIELD_LEN,
        )?
        .to_owned();

        let administers = match optional(map, "administers") {
            None => Vec::new(),
            Some(value) => {
                let list_place = join(&place, "administers");
                let mut list = Vec::new();
                for (position, entry) in array(value, &list_place)?.iter().enumerate() {
                    let entry_place = format!("{list_place}[{position}]");
                    list.push(
                        non_empty_text(entry, &entry_place, MAX_PERSON_FIELD_LEN)?.to_owned(),
                    );
                }
                list
            }
        };

        let last_login = match optional(map, "lastLogin") {
            None => None,
            Some(value) => {
                let login_place = join(&place, "lastLogin");
                let stamp = text(value, &login_place)?;
                let parsed = DateTime::parse_from_rfc3339(stamp).map_err(|error| {
                    LoadError::at(
                        &login_place,
                        LoadProblem::InvalidTimestamp {
                            value: stamp.to_owned(),
                            reason: error.to_string(),
                        },
                    )
                })?;
                Some(parsed.with_timezone(&Utc))
            }
        };

        agents.push(Agent {
            id,
            user_name: user_name.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            status,
            time_zone: tz,
            role,
            department: department.into(),
            administers,
            last_login,
        });
    }
    Ok(agents)
}

/// A number is a role id; a string is an id (if it parses and exists) or a name.
fn resolve_role_reference(value: &Value, place: &str, roles: &[Role]) -> Result<RoleId, LoadError> {
    let unknown = |shown: String| LoadError::at(place, LoadProblem::UnknownRole(shown));
    match value {
        Value::Number(number) => {
            let id = number
                .as_u64()
                .ok_or_else(|| wrong(place, "a role name or id", value))?;
            roles
                .iter()
                .find(|role| role.id == id)
                .map(|role| role.id)
                .ok_or_else(|| unknown(id.to_string()))
        }
        Value::String(reference) => parse_id(reference)
            .and_then(|id| roles.iter().find(|role| role.id == id))
            .or_else(|| roles.iter().find(|role| eq_folded(&role.name, reference)))
            .map(|role| role.id)
            .ok_or_else(|| unknown(reference.clone())),
        other => Err(wrong(place, "a role name or id", other)),
    }
}

impl Directory {
    /// Loads a tenant document; every error names its JSON place.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::from_json_str(r#"{"businessUnit": {"name": "Tiny", "timeZone": "UTC"}, "agents": []}"#).unwrap();
    /// assert_eq!(d.roles().len(), 4); // the built-ins
    /// ```
    pub fn from_json_str(text: &str) -> Result<Directory, LoadError> {
        load_str(text)
    }

    /// Loads a tenant file of at most [`files::DEFAULT_MAX_INPUT_BYTES`];
    /// errors are prefixed with the path.
    ///
    /// ```
    /// let e = studioflow::permissions::Directory::load_file(std::path::Path::new("/no/such/tenant.json")).unwrap_err();
    /// assert!(e.to_string().starts_with("/no/such/tenant.json: cannot read: "), "{e}");
    /// ```
    pub fn load_file(path: &Path) -> Result<Directory, LoadError> {
        Directory::load_file_with_limit(path, files::DEFAULT_MAX_INPUT_BYTES)
    }

    /// Loads a tenant file of at most `max_bytes` bytes (a larger file, a
    /// directory or a device is refused before it is read).
    ///
    /// ```
    /// use studioflow::{files::FileError, permissions::{Directory, LoadError}};
    /// let e = Directory::load_file_with_limit(std::path::Path::new("/dev/urandom"), 1 << 20).unwrap_err();
    /// assert!(matches!(e, LoadError::File(FileError::NotRegularFile { .. })), "{e}");
    /// ```
    pub fn load_file_with_limit(path: &Path, max_bytes: u64) -> Result<Directory, LoadError> {
        let bytes = files::read_bytes(path, max_bytes)?;
        load_bytes(path, bytes)
    }
}

pub(super) fn load_bytes(path: &Path, bytes: Vec<u8>) -> Result<Directory, LoadError> {
    let text = files::bytes_to_text(path, bytes)?;
    load_str(&text).map_err(|error| LoadError::InFile {
        path: path.to_owned(),
        error: Box::new(error),
    })
}
