//! An in-memory permission model with Cisco Packaged CCE Role API semantics.
//!
//! It knows nothing of scripts. A tenant is a business unit, a feature
//! catalog, roles (four built-ins plus custom ones) and employee profiles
//! (agents). The [`Directory`] service answers Role API and Agent API calls
//! for an acting agent and authorizes each one, default deny:
//!
//! - a person may use a feature only if they exist, are active, hold a role,
//!   and the role's effective feature set contains the feature;
//! - the Role API needs feature `role`; the Agent API needs feature `agent`
//!   and the target's department among those the actor administers (an empty
//!   list means all departments);
//! - built-in roles are hierarchical: AgentAdmin (agent category) ⊂
//!   ScriptAdmin (+ call category, `script`, `bulkjob`) ⊂ ConfigAdmin
//!   (everything but the access category) ⊂ SystemAdmin (everything); custom
//!   roles can never hold an access-category feature.
//!
//! Errors of API calls use the PCCE `apiErrors` shape ([`ApiError`]); tenant
//! file errors ([`LoadError`]) name their JSON place. See docs/permissions.md.

mod agents;
mod case_folding;
mod demo;
mod directory;
mod error;
mod features;
mod ids;
#[cfg(feature = "postgres")]
pub mod postgres;
mod query;
mod roles;
mod store;
mod strict_json;
mod tenant_file;

pub use agents::{
    render_time, Agent, AgentId, AgentRecord, AgentStatus, AgentStatusFilter, BusinessUnit,
};
pub use case_folding::{eq_folded, fold_case};
pub use demo::DEMO_TENANT_JSON;
pub use directory::Directory;
pub use error::{types as error_types, ApiError, ApiErrorItem, MAX_ERROR_ITEMS};
pub use features::{
    CatalogError, Feature, FeatureCatalog, FeatureCategory, FeatureId, FeatureSet, MAX_FEATURES,
    MAX_FEATURE_NAME_LEN, REQUIRED_FEATURES, SCRIPTING_TOOLS,
};
pub use ids::{parse_id, MAX_EXACT_ID};
pub use query::{
    PageInfo, ParsedRoleQuery, RolePage, RoleQuery, RoleSortField, SortOrder, SystemDefinedFilter,
    DEFAULT_RESULTS_PER_PAGE, MAX_QUERY_TERM_BYTES, MAX_RESULTS_PER_PAGE, ROLE_LIST_PATH,
};
pub use roles::{
    administrator_ref_url, check_role_name, role_ref_url, AdministratorRef, BuiltInRole,
    NameProblem, Role, RoleDraft, RoleId, RolePatch, RoleView, FIRST_CUSTOM_ROLE_ID,
    MAX_DESCRIPTION_LEN, MAX_ROLE_NAME_LEN,
};
pub use store::{
    AgentAccess, Grant, IdHasher, InMemoryStore, NewRole, RoleChange, RoleHolder, SeedProblem,
    StoreConflict, TenantSnapshot, TenantStore, TenantView,
};
pub use tenant_file::{LoadError, LoadProblem, SaveError, TenantFile, MAX_PERSON_FIELD_LEN};
