//! The JSON tenant file: loading with located errors, saving atomically.
//!
//! The file is walked by hand (not derived) so that every error can name its
//! JSON place, e.g. `agents[3].timeZone: unknown time zone "Mars/Base"`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::files::{self, FileError};

use super::agents::{Agent, AgentStatus, BusinessUnit};
use super::case_folding::{eq_folded, fold_case};
use super::directory::Directory;
use super::features::{CatalogError, Feature, FeatureCatalog, FeatureCategory, FeatureSet};
use super::ids::{parse_id, MAX_EXACT_ID};
use super::roles::{
    check_role_name, BuiltInRole, NameProblem, Role, RoleId, FIRST_CUSTOM_ROLE_ID,
    MAX_DESCRIPTION_LEN, MAX_ROLE_NAME_LEN,
};
use super::store::{InMemoryStore, SeedProblem};
use super::strict_json::{self, StrictJsonError};

/// Longest userName, firstName, lastName or department name, in characters.
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_PERSON_FIELD_LEN, 255);
/// ```
pub const MAX_PERSON_FIELD_LEN: usize = 255;

/// A tenant file that cannot be loaded.
///
/// ```
/// let e = studioflow::permissions::Directory::from_json_str(r#"{"businessUnit": {"name": "x", "timeZone": "Mars/Base"}, "agents": []}"#).unwrap_err();
/// assert_eq!(e.place(), Some("businessUnit.timeZone"));
/// assert!(e.to_string().contains("unknown time zone \"Mars/Base\""));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read: missing, not a regular file, over the
    /// size limit, not UTF-8 (the error names the path).
    #[error(transparent)]
    File(#[from] FileError),
    /// A problem inside a named file.
    #[error("{}: {error}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The problem.
        #[source]
        error: Box<LoadError>,
    },
    /// The text is not JSON.
    #[error("line {line}, column {column}: invalid JSON: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's explanation.
        message: String,
    },
    /// The JSON is well-formed but a value at `place` is wrong.
    #[error("{place}: {problem}")]
    Invalid {
        /// JSON place, e.g. `agents[3].timeZone` (`(root)` for the whole document).
        place: String,
        /// What is wrong.
        problem: LoadProblem,
    },
}

impl LoadError {
    /// The JSON place of an `Invalid` error (looking through `InFile`).
    ///
    /// ```
    /// let e = studioflow::permissions::Directory::from_json_str("[").unwrap_err();
    /// assert_eq!(e.place(), None); // a JSON syntax error has a line and column instead
    /// ```
    pub fn place(&self) -> Option<&str> {
        match self {
            LoadError::Invalid { place, .. } => Some(place),
            LoadError::InFile { error, .. } => error.place(),
            _ => None,
        }
    }

    /// The problem of an `Invalid` error (looking through `InFile`).
    ///
    /// ```
    /// let e = studioflow::permissions::Directory::from_json_str(r#"{"businessUnit": {"name": "x", "timeZone": "UTC"}, "agents": [], "extra": 1}"#).unwrap_err();
    /// assert!(e.problem().is_some(), "{e}");
    /// ```
    pub fn problem(&self) -> Option<&LoadProblem> {
        match self {
            LoadError::Invalid { problem, .. } => Some(problem),
            LoadError::InFile { error, .. } => error.problem(),
            _ => None,
        }
    }

    fn at(place: impl Into<String>, problem: LoadProblem) -> LoadError {
        LoadError::Invalid {
            place: place.into(),
            problem,
        }
    }
}

/// What is wrong at a place in a tenant file.
///
/// ```
/// let e = studioflow::permissions::Directory::from_json_str(r#"{"businessUnit": {"name": "x", "timeZone": "UTC"}, "agents": [{"id": 1}]}"#).unwrap_err();
/// assert!(e.to_string().starts_with("agents[0]"), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadProblem {
    /// The value has the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// An object has the same key twice (JSON would silently keep the last).
    #[error("duplicate key \"{0}\"")]
    DuplicateKey(String),
    /// A required field is absent.
    #[error("missing required field")]
    MissingField,
    /// A field the format does not define.
    #[error("unknown field; allowed fields: {allowed}")]
    UnknownField {
        /// The fields allowed at that place, comma-separated.
        allowed: String,
    },
    /// A required text is empty.
    #[error("must not be empty")]
    Empty,
    /// A text is too long.
    #[error("has {length} characters; at most {max} are allowed")]
    TooLong {
        /// Its length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// Not an IANA time zone name.
    #[error("unknown time zone \"{0}\"")]
    UnknownTimeZone(String),
    /// Not a category name.
    #[error("unknown category \"{0}\"; use agent, call, system or access")]
    UnknownCategory(String),
    /// The catalog breaks a rule.
    #[error("{0}")]
    Catalog(CatalogError),
    /// An accessList entry is not in the catalog.
    #[error("unknown feature \"{0}\"")]
    UnknownFeature(String),
    /// A custom role lists an `access` feature.
    #[error("feature \"{0}\" is in the access category; only the SystemAdmin role gives it")]
    AccessFeature(String),
    /// A role name breaks the name rule.
    #[error("invalid role name \"{name}\": use 1 to {MAX_ROLE_NAME_LEN} letters, digits, '.' or '_', starting with a letter or digit")]
    InvalidRoleName {
        /// The name.
        name: String,
    },
    /// A custom role id below 5000.
    #[error("custom role ids start at {FIRST_CUSTOM_ROLE_ID}; {0} is reserved")]
    ReservedRoleId(u64),
    /// Two roles share an id.
    #[error("duplicate role id {id} (also {first})")]
    DuplicateRoleId {
        /// The id.
        id: u64,
        /// Where it first appeared.
        first: String,
    },
    /// Two roles share a name (case-insensitively).
    #[error("duplicate role name \"{name}\" (also {first})")]
    DuplicateRoleName {
        /// The name.
        name: String,
        /// Where it first appeared (a place, or `built-in role X`).
        first: String,
    },
    /// nextRoleId would reuse an id.
    #[error("nextRoleId {given} must be at least {minimum} (above every role id)")]
    NextRoleIdTooSmall {
        /// The value given.
        given: u64,
        /// The smallest value allowed.
        minimum: u64,
    },
    /// Two agents share an id.
    #[error("duplicate agent id {id} (also {first})")]
    DuplicateAgentId {
        /// The id.
        id: u64,
        /// Where it first appeared.
        first: String,
    },
    /// Two agents share a userName (case-insensitively).
    #[error("duplicate userName \"{name}\" (also {first})")]
    DuplicateUserName {
        /// The userName.
        name: String,
        /// Where it first appeared.
        first: String,
    },
    /// An agent's role reference names no role.
    #[error("unknown role \"{0}\"")]
    UnknownRole(String),
    /// Not `active` / `inactive`.
    #[error("invalid status \"{0}\"; use active or inactive")]
    InvalidStatus(String),
    /// The store refused the data for a reason the loader did not catch first.
    #[error("inconsistent tenant data: {0}")]
    Inconsistent(String),
    /// An id or changeStamp above [`MAX_EXACT_ID`]: a script's numbers
    /// could not carry it exactly, so it could turn into another id.
    #[error("{value} is too large: ids and changeStamps go up to {max} (2^53 - 1), the largest whole number a script carries exactly")]
    TooLarge {
        /// The value given.
        value: u64,
        /// The largest allowed.
        max: u64,
    },
    /// Not an RFC 3339 timestamp.
    #[error("invalid timestamp \"{value}\" ({reason}); use RFC 3339, e.g. 2026-03-08T06:30:00Z")]
    InvalidTimestamp {
        /// The text.
        value: String,
        /// chrono's explanation.
        reason: String,
    },
}

/// A tenant file that cannot be saved.
///
/// ```
/// let dir = std::env::temp_dir().join("studioflow-doc-missing-dir").join("nested");
/// let e = studioflow::permissions::Directory::demo().save_file(&dir.join("t.json")).unwrap_err();
/// assert!(e.to_string().starts_with(&format!("{}: cannot use the folder", dir.join("t.json").display())), "{e}");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The file could not be written (the error names the target, never a
    /// temporary file); nothing was changed.
    #[error(transparent)]
    File(#[from] FileError),
    /// [`TenantFile::save`]: the file changed since it was loaded, so saving
    /// would silently drop someone else's changes; nothing was written.
    #[error("{}: the tenant file changed since it was loaded; not saved (run again on the new content)", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// Serializing failed (should not happen).
    #[error("cannot serialize tenant: {0}")]
    Serialize(#[from] serde_json::Error),
}

const TOP_FIELDS: &[&str] = &["businessUnit", "features", "roles", "nextRoleId", "agents"];
const BUSINESS_UNIT_FIELDS: &[&str] = &["name", "timeZone"];
const FEATURE_FIELDS: &[&str] = &["name", "category"];
const ROLE_FIELDS: &[&str] = &["id", "name", "description", "accessList", "changeStamp"];
const AGENT_FIELDS: &[&str] = &[
    "id",
    "userName",
    "firstName",
    "lastName",
    "status",
    "timeZone",
    "role",
    "department",
    "administers",
    "lastLogin",
];

fn join(place: &str, key: &str) -> String {
    if place.is_empty() {
        key.to_owned()
    } else {
        format!("{place}.{key}")
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong(place: &str, expected: &'static str, value: &Value) -> LoadError {
    LoadError::at(
        place,
        LoadProblem::WrongType {
            expected,
            found: kind_of(value),
        },
    )
}

/// An object at `place` whose fields are all in `allowed`.
fn object<'a>(
    value: &'a Value,
    place: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, LoadError> {
    let Value::Object(map) = value else {
        let shown = if place.is_empty() { "(root)" } else { place };
        return Err(wrong(shown, "an object", value));
    };
    if let Some(key) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(LoadError::at(
            join(place, key),
            LoadProblem::UnknownField {
                allowed: allowed.join(", "),
            },
        ));
    }
    Ok(map)
}

/// A field that may be absent or null.
fn optional<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|value| !value.is_null())
}

fn required<'a>(
    map: &'a Map<String, Value>,
    place: &str,
    key: &str,
) -> Result<&'a Value, LoadError> {
    map.get(key)
        .ok_or_else(|| LoadError::at(join(place, key), LoadProblem::MissingField))
}

fn text<'a>(value: &'a Value, place: &str) -> Result<&'a str, LoadError> {
    value
        .as_str()
        .ok_or_else(|| wrong(place, "a string", value))
}

fn bounded_text<'a>(value: &'a Value, place: &str, max: usize) -> Result<&'a str, LoadError> {
    let text = text(value, place)?;
    let length = text.chars().count();
    if length > max {
        return Err(LoadError::at(place, LoadProblem::TooLong { length, max }));
    }
    Ok(text)
}

fn non_empty_text<'a>(value: &'a Value, place: &str, max: usize) -> Result<&'a str, LoadError> {
    let text = bounded_text(value, place, max)?;
    if text.trim().is_empty() {
        return Err(LoadError::at(place, LoadProblem::Empty));
    }
    Ok(text)
}

fn unsigned(value: &Value, place: &str) -> Result<u64, LoadError> {
    value
        .as_u64()
        .ok_or_else(|| wrong(place, "a non-negative integer", value))
}

/// A non-negative integer that a script's numbers carry exactly (at most `max`).
fn exact(value: &Value, place: &str, max: u64) -> Result<u64, LoadError> {
    let number = unsigned(value, place)?;
    if number > max {
        return Err(LoadError::at(
            place,
            LoadProblem::TooLarge { value: number, max },
        ));
    }
    Ok(number)
}

fn array<'a>(value: &'a Value, place: &str) -> Result<&'a [Value], LoadError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| wrong(place, "an array", value))
}

fn time_zone(value: &Value, place: &str) -> Result<Tz, LoadError> {
    let name = text(value, place)?;
    name.parse::<Tz>()
        .map_err(|_| LoadError::at(place, LoadProblem::UnknownTimeZone(name.to_owned())))
}

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

/// The tenant document for a directory (custom roles only; features only if not default).
pub(crate) fn to_json(directory: &Directory) -> Value {
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
        .map(|role| {
            serde_json::json!({
                "id": role.id,
                "name": role.name,
                "description": role.description,
                "accessList": catalog.names_of(role.access),
                "changeStamp": role.change_stamp,
            })
        })
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
    fn to_tenant_text(&self) -> Result<String, SaveError> {
        let mut text = serde_json::to_string_pretty(&self.to_tenant_json())?;
        text.push('\n');
        Ok(text)
    }

    /// Saves the tenant document with [`files::write_atomically`]: a symbolic
    /// link is followed, the file's permissions are kept, and a target that is
    /// not a regular file is refused.
    ///
    /// To save back to the file the tenant was loaded from, while other
    /// processes may do the same, use [`TenantFile`].
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

fn load_bytes(path: &Path, bytes: Vec<u8>) -> Result<Directory, LoadError> {
    let text = files::bytes_to_text(path, bytes)?;
    load_str(&text).map_err(|error| LoadError::InFile {
        path: path.to_owned(),
        error: Box::new(error),
    })
}

/// How many times [`TenantFile::open`] re-opens a file that was replaced
/// while it waited for the lock before giving up.
const MAX_LOCK_ATTEMPTS: usize = 64;

/// A tenant file held for a whole load–run–save cycle, so that processes
/// sharing one file never lose each other's updates.
///
/// [`TenantFile::open`] takes an exclusive advisory lock (`flock` on Unix,
/// `LockFileEx` on Windows, through the `fs4` crate) on the file and keeps it
/// until the `TenantFile` is dropped; a second process opening the same file
/// waits, then loads what the first one saved, so its changeStamps are
/// checked against the saved state. [`TenantFile::save`] also refuses to
/// write when the file changed since it was loaded (a writer that does not
/// take the lock, such as an editor), instead of silently overwriting it.
///
/// ```
/// use studioflow::permissions::{Directory, TenantFile};
/// let dir = std::env::temp_dir().join(format!("studioflow-doc-tenantfile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("tenant.json");
/// Directory::demo().save_file(&path).unwrap();
///
/// let (held, directory) = TenantFile::open(&path, studioflow::files::DEFAULT_MAX_INPUT_BYTES).unwrap();
/// directory.update_role(1001, "Supervisor", 0, Default::default()).unwrap();
/// held.save(&directory).unwrap();
/// drop(held); // releases the lock
///
/// let reloaded = Directory::load_file(&path).unwrap();
/// assert_eq!(reloaded.get_role(1001, "Supervisor").unwrap().change_stamp, 1);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct TenantFile {
    path: PathBuf,
    /// The locked handle; closing it releases the lock.
    handle: fs::File,
    /// The bytes the directory was loaded from.
    loaded: Vec<u8>,
}

impl TenantFile {
    /// Locks the tenant file at `path` (waiting while another process holds
    /// it), then loads it (at most `max_bytes` bytes).
    ///
    /// # Errors
    /// Everything [`Directory::load_file_with_limit`] reports, and a lock
    /// that cannot be taken.
    pub fn open(path: &Path, max_bytes: u64) -> Result<(TenantFile, Directory), LoadError> {
        TenantFile::open_with(path, max_bytes, || {})
    }

    /// [`TenantFile::open`], calling `on_wait` once if another process holds
    /// the lock (before waiting for it), e.g. to tell the user why nothing happens.
    ///
    /// ```
    /// # use studioflow::permissions::{Directory, TenantFile};
    /// # let dir = std::env::temp_dir().join(format!("studioflow-doc-wait-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("tenant.json");
    /// Directory::demo().save_file(&path).unwrap();
    /// let (_held, _) = TenantFile::open_with(&path, 1 << 20, || eprintln!("waiting for {}", path.display())).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn open_with(
        path: &Path,
        max_bytes: u64,
        mut on_wait: impl FnMut(),
    ) -> Result<(TenantFile, Directory), LoadError> {
        let lock_error = |source: io::Error| {
            LoadError::File(FileError::Io {
                path: path.to_owned(),
                operation: "lock".to_owned(),
                source,
            })
        };
        let mut told = false;
        for _ in 0..MAX_LOCK_ATTEMPTS {
            let (handle, _) = files::open_regular(path)?;
            match fs4::FileExt::try_lock(&handle) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => {
                    if !std::mem::replace(&mut told, true) {
                        on_wait();
                    }
                    fs4::FileExt::lock(&handle).map_err(lock_error)?;
                }
                Err(fs4::TryLockError::Error(source)) => return Err(lock_error(source)),
            }
            // The holder we waited for replaced the file (a save renames a new
            // file into place): our lock is on the old one. Start again.
            if !files::same_file(&handle, path) {
                continue;
            }
            let metadata = handle.metadata().map_err(|source| {
                LoadError::File(FileError::Io {
                    path: path.to_owned(),
                    operation: "read".to_owned(),
                    source,
                })
            })?;
            let bytes = files::read_open(path, &handle, &metadata, max_bytes)?;
            let directory = load_bytes(path, bytes.clone())?;
            let held = TenantFile {
                path: path.to_owned(),
                handle,
                loaded: bytes,
            };
            return Ok((held, directory));
        }
        Err(LoadError::File(FileError::Io {
            path: path.to_owned(),
            operation: "lock".to_owned(),
            source: io::Error::other("the file kept being replaced while waiting for its lock"),
        }))
    }

    /// Whether the held file still has the loaded bytes (read through the
    /// locked handle: an in-place edit shows there, a replacement is caught by
    /// `same_file`).
    fn still_holds_loaded(&self) -> bool {
        files::still_holds(&self.path, &self.handle, &self.loaded)
    }

    /// The path given to [`TenantFile::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `other` names this same file (after following links), e.g.
    /// to decide whether a `--save` target is the loaded file.
    ///
    /// ```
    /// # use studioflow::permissions::{Directory, TenantFile};
    /// # let dir = std::env::temp_dir().join(format!("studioflow-doc-same-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("tenant.json");
    /// Directory::demo().save_file(&path).unwrap();
    /// let (held, _) = TenantFile::open(&path, 1 << 20).unwrap();
    /// assert!(held.is_file(&dir.join(".").join("tenant.json")));
    /// assert!(!held.is_file(&dir.join("other.json")));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn is_file(&self, other: &Path) -> bool {
        files::same_file(&self.handle, other)
    }

    /// Saves `directory` over the held file, atomically (see
    /// [`files::write_atomically`]); the lock stays held until `self` is dropped.
    ///
    /// # Errors
    /// [`SaveError::Changed`] when the file no longer holds what was loaded
    /// (nothing is written); the errors of [`Directory::save_file`].
    pub fn save(&self, directory: &Directory) -> Result<(), SaveError> {
        let unchanged = files::same_file(&self.handle, &self.path) && self.still_holds_loaded();
        if !unchanged {
            return Err(SaveError::Changed {
                path: self.path.clone(),
            });
        }
        files::write_atomically(&self.path, directory.to_tenant_text()?.as_bytes())?;
        Ok(())
    }
}
