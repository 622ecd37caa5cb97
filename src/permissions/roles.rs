//! Built-in and custom roles, their validation and their API view.

use serde::Serialize;

use super::error::{types, ApiErrorItem};
use super::features::{Feature, FeatureCatalog, FeatureCategory, FeatureSet, SCRIPTING_TOOLS};

/// A role id: 1..=4 are the built-ins, custom roles start at [`FIRST_CUSTOM_ROLE_ID`].
///
/// ```
/// let id: studioflow::permissions::RoleId = studioflow::permissions::FIRST_CUSTOM_ROLE_ID;
/// assert_eq!(id, 5000);
/// ```
pub type RoleId = u64;

/// The first id given to a custom role.
///
/// ```
/// assert_eq!(studioflow::permissions::FIRST_CUSTOM_ROLE_ID, 5000);
/// ```
pub const FIRST_CUSTOM_ROLE_ID: RoleId = 5000;

/// Longest role name, in characters.
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_ROLE_NAME_LEN, 32);
/// ```
pub const MAX_ROLE_NAME_LEN: usize = 32;

/// Longest role description, in characters.
///
/// ```
/// assert_eq!(studioflow::permissions::MAX_DESCRIPTION_LEN, 255);
/// ```
pub const MAX_DESCRIPTION_LEN: usize = 255;

/// The four system-defined roles, each holding the rights of the ones before it.
///
/// ```
/// use studioflow::permissions::BuiltInRole;
/// assert_eq!(BuiltInRole::SystemAdmin.id(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuiltInRole {
    /// Agent APIs and tools only.
    AgentAdmin = 1,
    /// Agent and call APIs plus the scripting tools (`script`, `bulkjob`).
    ScriptAdmin = 2,
    /// Everything except the `access` category.
    ConfigAdmin = 3,
    /// Everything.
    SystemAdmin = 4,
}

impl BuiltInRole {
    /// All built-ins, weakest first.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::BuiltInRole::ALL[0].name(), "AgentAdmin");
    /// ```
    pub const ALL: [BuiltInRole; 4] = [
        BuiltInRole::AgentAdmin,
        BuiltInRole::ScriptAdmin,
        BuiltInRole::ConfigAdmin,
        BuiltInRole::SystemAdmin,
    ];

    /// The fixed role id (1..=4).
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::BuiltInRole::AgentAdmin.id(), 1);
    /// ```
    pub const fn id(self) -> RoleId {
        self as RoleId
    }

    /// The built-in with this id.
    ///
    /// ```
    /// use studioflow::permissions::BuiltInRole;
    /// assert_eq!(BuiltInRole::from_id(3), Some(BuiltInRole::ConfigAdmin));
    /// assert_eq!(BuiltInRole::from_id(5000), None);
    /// ```
    pub fn from_id(id: RoleId) -> Option<BuiltInRole> {
        BuiltInRole::ALL.into_iter().find(|role| role.id() == id)
    }

    /// The role name, e.g. `AgentAdmin`.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::BuiltInRole::ScriptAdmin.name(), "ScriptAdmin");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            BuiltInRole::AgentAdmin => "AgentAdmin",
            BuiltInRole::ScriptAdmin => "ScriptAdmin",
            BuiltInRole::ConfigAdmin => "ConfigAdmin",
            BuiltInRole::SystemAdmin => "SystemAdmin",
        }
    }

    /// The description from Cisco's built-in role table.
    ///
    /// ```
    /// assert_eq!(studioflow::permissions::BuiltInRole::AgentAdmin.description(), "Agent APIs and tools only.");
    /// ```
    pub fn description(self) -> &'static str {
        match self {
            BuiltInRole::AgentAdmin => "Agent APIs and tools only.",
            BuiltInRole::ScriptAdmin => {
                "Agent, Call, and Scripting tools - including Bulk Jobs."
            }
            BuiltInRole::ConfigAdmin => {
                "All APIs and tools except administrator, departments, and roles."
            }
            BuiltInRole::SystemAdmin => {
                "All APIs and tools. Only this role provides access to the Administrator, Department, and Role features."
            }
        }
    }

    /// The effective feature set in `catalog`, computed from categories (see module docs).
    ///
    /// ```
    /// use studioflow::permissions::{BuiltInRole, FeatureCatalog};
    /// let c = FeatureCatalog::default_catalog();
    /// let script = BuiltInRole::ScriptAdmin.feature_set(&c);
    /// assert!(BuiltInRole::AgentAdmin.feature_set(&c).is_subset_of(script));
    /// assert!(script.contains(c.id("bulkjob").unwrap()) && !script.contains(c.id("network").unwrap()));
    /// ```
    pub fn feature_set(self, catalog: &FeatureCatalog) -> FeatureSet {
        let agent = catalog.category_set(FeatureCategory::Agent);
        let script = agent
            .union(catalog.category_set(FeatureCategory::Call))
            .union(
                SCRIPTING_TOOLS
                    .iter()
                    .filter_map(|name| catalog.id(name))
                    .collect(),
            );
        let config = script.union(catalog.category_set(FeatureCategory::System));
        match self {
            BuiltInRole::AgentAdmin => agent,
            BuiltInRole::ScriptAdmin => script,
            BuiltInRole::ConfigAdmin => config,
            BuiltInRole::SystemAdmin => catalog.all(),
        }
    }

    /// The built-in as a stored role (changeStamp 0, systemDefined).
    ///
    /// ```
    /// use studioflow::permissions::{BuiltInRole, FeatureCatalog};
    /// let role = BuiltInRole::SystemAdmin.to_role(&FeatureCatalog::default_catalog());
    /// assert!(role.system_defined && role.change_stamp == 0);
    /// ```
    pub fn to_role(self, catalog: &FeatureCatalog) -> Role {
        Role {
            id: self.id(),
            name: self.name().to_owned(),
            description: self.description().to_owned(),
            access: self.feature_set(catalog),
            change_stamp: 0,
            system_defined: true,
        }
    }
}

/// A stored role: for built-ins `access` is the effective set.
///
/// ```
/// let role = studioflow::permissions::Directory::demo().store().role(5000).unwrap();
/// assert_eq!((role.name.as_str(), role.access.len(), role.system_defined), ("Supervisor", 3, false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Role id.
    pub id: RoleId,
    /// Role name (unique case-insensitively).
    pub name: String,
    /// Description, possibly empty.
    pub description: String,
    /// The features the role gives.
    pub access: FeatureSet,
    /// Version for optimistic concurrency; +1 on every update.
    pub change_stamp: u64,
    /// Whether this is a built-in role.
    pub system_defined: bool,
}

/// A user holding a role, as listed in the role's `administrators`.
///
/// ```
/// let view = studioflow::permissions::Directory::demo().get_role(1001, "SystemAdmin").unwrap();
/// assert_eq!(view.administrators.len(), 2); // sysadmin and (inactive) former
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdministratorRef {
    /// The user's userName.
    #[serde(rename = "userName")]
    pub user_name: String,
    /// `/unifiedconfig/config/administrator/<agentId>`.
    #[serde(rename = "refURL")]
    pub ref_url: String,
}

/// The API view of a role, serialized exactly like the PCCE role (as JSON).
///
/// ```
/// let view = studioflow::permissions::Directory::demo().get_role(1001, "Supervisor").unwrap();
/// assert_eq!(view.ref_url, "/unifiedconfig/config/role/5000");
/// assert_eq!(view.administrators[0].user_name, "supervisor");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleView {
    /// Role id.
    pub id: RoleId,
    /// Role name.
    pub name: String,
    /// Description ("" when none).
    pub description: String,
    /// Whether it is a built-in.
    #[serde(rename = "systemDefined")]
    pub system_defined: bool,
    /// Current changeStamp.
    #[serde(rename = "changeStamp")]
    pub change_stamp: u64,
    /// `/unifiedconfig/config/role/<id>`.
    #[serde(rename = "refURL")]
    pub ref_url: String,
    /// Granted features, in catalog order.
    #[serde(rename = "accessList")]
    pub access_list: Vec<Feature>,
    /// Users holding the role (active or not), by agent id.
    pub administrators: Vec<AdministratorRef>,
}

impl RoleView {
    /// The view as a JSON value.
    ///
    /// ```
    /// let view = studioflow::permissions::Directory::demo().get_role(1001, "5000").unwrap();
    /// assert_eq!(view.to_json()["accessList"][2]["category"], "call");
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The refURL of a role.
///
/// ```
/// assert_eq!(studioflow::permissions::role_ref_url(5003), "/unifiedconfig/config/role/5003");
/// ```
pub fn role_ref_url(id: RoleId) -> String {
    format!("/unifiedconfig/config/role/{id}")
}

/// The refURL of an administrator (agent).
///
/// ```
/// assert_eq!(studioflow::permissions::administrator_ref_url(1005), "/unifiedconfig/config/administrator/1005");
/// ```
pub fn administrator_ref_url(id: u64) -> String {
    format!("/unifiedconfig/config/administrator/{id}")
}

/// Input of `create_role`.
///
/// ```
/// use studioflow::permissions::{Directory, RoleDraft};
/// let draft = RoleDraft { name: "Bad Name".into(), description: None, access_list: vec![] };
/// let e = Directory::demo().create_role(1001, draft).unwrap_err();
/// assert_eq!(e.error_type(), "invalidInput.invalidCharacters");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleDraft {
    /// Required role name.
    pub name: String,
    /// Optional description (default "").
    pub description: Option<String>,
    /// Feature names; unknown or `access` features are errors, duplicates are dropped.
    pub access_list: Vec<String>,
}

/// Input of `update_role`: `None` keeps the current value.
///
/// ```
/// use studioflow::permissions::{Directory, RolePatch};
/// let patch = RolePatch { access_list: Some(vec!["role".into()]), ..Default::default() };
/// let e = Directory::demo().update_role(1001, "Supervisor", 0, patch).unwrap_err();
/// assert_eq!(e.error_type(), "invalidInput.accessFeature");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolePatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New access list (replaces the old one).
    pub access_list: Option<Vec<String>>,
}

/// Why a role name breaks the naming rule.
///
/// ```
/// use studioflow::permissions::{check_role_name, NameProblem};
/// assert_eq!(check_role_name(""), Err(NameProblem::Empty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Empty.
    Empty,
    /// More than [`MAX_ROLE_NAME_LEN`] characters.
    TooLong,
    /// Characters outside letters, digits, `.`, `_` or a bad first character.
    InvalidCharacters,
}

/// Checks the PCCE name rule: 1..=32 ASCII letters, digits, `.`, `_`; first a letter or digit.
///
/// ```
/// use studioflow::permissions::check_role_name;
/// assert!(check_role_name("Team.Leads_2").is_ok());
/// assert!(check_role_name("_x").is_err());
/// ```
pub fn check_role_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.chars().count() > MAX_ROLE_NAME_LEN {
        return Err(NameProblem::TooLong);
    }
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_ok
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        return Err(NameProblem::InvalidCharacters);
    }
    Ok(())
}

/// The name problem as an apiError item (errorData `name`).
pub(crate) fn name_problem_item(name: &str, problem: NameProblem) -> ApiErrorItem {
    match problem {
        NameProblem::Empty => ApiErrorItem::new(types::MISSING_FIELD, "name", "name is required"),
        NameProblem::TooLong => ApiErrorItem::new(
            types::FIELD_LENGTH_EXCEEDED,
            "name",
            format!(
                "name \"{name}\" has {} characters, at most {MAX_ROLE_NAME_LEN} are allowed",
                name.chars().count()
            ),
        ),
        NameProblem::InvalidCharacters => ApiErrorItem::new(
            types::INVALID_CHARACTERS,
            "name",
            format!(
                "name \"{}\" may only use letters, digits, '.' and '_', starting with a letter or digit",
                name.escape_debug()
            ),
        ),
    }
}

/// Checks the description length (errorData `description`).
pub(crate) fn description_item(description: &str) -> Option<ApiErrorItem> {
    let length = description.chars().count();
    (length > MAX_DESCRIPTION_LEN).then(|| {
        ApiErrorItem::new(
            types::FIELD_LENGTH_EXCEEDED,
            "description",
            format!(
                "description has {length} characters, at most {MAX_DESCRIPTION_LEN} are allowed"
            ),
        )
    })
}

/// Resolves a custom role's accessList, reporting every unknown or `access` feature.
pub(crate) fn resolve_access_list(
    catalog: &FeatureCatalog,
    names: &[String],
    problems: &mut Vec<ApiErrorItem>,
) -> FeatureSet {
    let mut set = FeatureSet::EMPTY;
    for name in names {
        match catalog.id(name) {
            None => problems.push(ApiErrorItem::new(
                types::UNKNOWN_FEATURE,
                "accessList",
                format!("unknown feature \"{}\"", name.escape_debug()),
            )),
            Some(id) => match catalog.get(id) {
                Some(feature) if feature.category == FeatureCategory::Access => {
                    problems.push(ApiErrorItem::new(
                        types::ACCESS_FEATURE,
                        "accessList",
                        format!(
                            "feature \"{}\" is in the access category, only the SystemAdmin role gives it",
                            feature.name
                        ),
                    ))
                }
                _ => set.insert(id),
            },
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rule() {
        assert_eq!(check_role_name("Team_lead.2"), Ok(()));
        assert_eq!(check_role_name("2nd"), Ok(()));
        assert_eq!(check_role_name(""), Err(NameProblem::Empty));
        assert_eq!(
            check_role_name("_lead"),
            Err(NameProblem::InvalidCharacters)
        );
        assert_eq!(
            check_role_name("chef-équipe"),
            Err(NameProblem::InvalidCharacters)
        );
        assert_eq!(check_role_name(&"a".repeat(32)), Ok(()));
        assert_eq!(check_role_name(&"a".repeat(33)), Err(NameProblem::TooLong));
    }

    #[test]
    fn built_ins_are_hierarchical() {
        let catalog = FeatureCatalog::default_catalog();
        let sets: Vec<FeatureSet> = BuiltInRole::ALL
            .iter()
            .map(|role| role.feature_set(&catalog))
            .collect();
        for pair in sets.windows(2) {
            assert!(pair[0].is_subset_of(pair[1]));
            assert_ne!(pair[0], pair[1]);
        }
    }
}
