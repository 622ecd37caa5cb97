//! The [`Directory`] service: Role API and Agent API operations with authorization.

use std::fmt;
use std::sync::Arc;

use super::agents::{Agent, AgentId, AgentRecord, AgentStatus, AgentStatusFilter, BusinessUnit};
use super::case_folding::fold_case;
use super::error::{types, ApiError, ApiErrorItem};
use super::features::{Feature, FeatureCatalog, FeatureId};
use super::ids::parse_id;
use super::query::{RolePage, RoleQuery, MAX_QUERY_TERM_BYTES};
use super::roles::{
    administrator_ref_url, check_role_name, description_item, name_problem_item,
    resolve_access_list, role_ref_url, AdministratorRef, Role, RoleDraft, RolePatch, RoleView,
};
use super::store::{
    Grant, NewRole, RoleChange, RoleHolder, StoreConflict, TenantStore, TenantView,
};

/// How many holders a `roleInUse` message names before summarizing.
const HOLDERS_NAMED: usize = 5;

/// A tenant's permission model: cheap to clone (an `Arc`), safe to share across threads.
///
/// ```
/// use studioflow::permissions::Directory;
/// let directory = Directory::demo();
/// let role = directory.feature_id("role").unwrap();
/// assert!(directory.may_use(1001, role)); // sysadmin: SystemAdmin
/// assert!(!directory.may_use(1006, role)); // former: inactive
/// let copy = directory.clone(); // shares the same store
/// assert_eq!(copy.roles().len(), directory.roles().len());
/// ```
#[derive(Clone)]
pub struct Directory {
    store: Arc<dyn TenantStore>,
    agent_feature: FeatureId,
    role_feature: FeatureId,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("business_unit", self.business_unit())
            .field("features", &self.catalog().len())
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Wraps a store.
    ///
    /// ```
    /// use studioflow::permissions::Directory;
    /// let shared = Directory::new(Directory::demo().store().clone());
    /// assert_eq!(shared.business_unit().name, "Demo Contact Center");
    /// ```
    pub fn new(store: Arc<dyn TenantStore>) -> Directory {
        let catalog = store.catalog();
        let agent_feature = catalog.required("agent");
        let role_feature = catalog.required("role");
        Directory {
            store,
            agent_feature,
            role_feature,
        }
    }

    /// The underlying store.
    ///
    /// ```
    /// use studioflow::permissions::Directory;
    /// let d = Directory::demo();
    /// assert_eq!(d.store().snapshot().agents.len(), 7);
    /// ```
    pub fn store(&self) -> &Arc<dyn TenantStore> {
        &self.store
    }

    /// The business unit.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.business_unit().name, "Demo Contact Center");
    /// ```
    pub fn business_unit(&self) -> &BusinessUnit {
        self.store.business_unit()
    }

    /// The feature catalog.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert!(d.catalog().len() >= 20);
    /// ```
    pub fn catalog(&self) -> &FeatureCatalog {
        self.store.catalog()
    }

    /// A feature's id by name (case-insensitive).
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert!(d.feature_id("Role").is_some() && d.feature_id("teleport").is_none());
    /// ```
    pub fn feature_id(&self, name: &str) -> Option<FeatureId> {
        self.catalog().id(name)
    }

    /// One agent by id, without authorization (for hosts).
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.agent(1004).unwrap().user_name, "agentadmin");
    /// ```
    pub fn agent(&self, id: AgentId) -> Option<AgentRecord> {
        self.store.agent(id).map(|agent| self.record_of(&agent))
    }

    /// Every role by id, without authorization (for hosts).
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.roles().len(), 5); // four built-ins and Supervisor
    /// ```
    pub fn roles(&self) -> Vec<RoleView> {
        let snapshot = self.store.snapshot();
        snapshot
            .roles
            .iter()
            .map(|role| view_of(self.catalog(), role, holders_in(&snapshot.agents, role)))
            .collect()
    }

    // ----- authorization -------------------------------------------------

    /// Default deny: `Ok` only if `actor` exists, is active, has a role, and the
    /// role gives `feature`. Does not allocate on success.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// let role = d.feature_id("role").unwrap();
    /// assert!(d.check_feature(1001, role).is_ok()); // SystemAdmin
    /// assert_eq!(d.check_feature(1002, role).unwrap_err().error_type(), "forbidden"); // ConfigAdmin
    /// ```
    #[inline]
    pub fn check_feature(&self, actor: AgentId, feature: FeatureId) -> Result<(), ApiError> {
        match self.store.grant(actor, feature) {
            Grant::Allowed => Ok(()),
            _ => Err(self.denial(actor, feature)),
        }
    }

    /// `check_feature` as a bool.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// let agent = d.feature_id("agent").unwrap();
    /// assert!(d.may_use(1004, agent) && !d.may_use(1007, agent)); // AgentAdmin yes, no role no
    /// ```
    #[inline]
    pub fn may_use(&self, actor: AgentId, feature: FeatureId) -> bool {
        self.store.grant(actor, feature) == Grant::Allowed
    }

    /// Activates or deactivates an employee profile: a host's administrative
    /// call, not an API action (employees are deactivated, never deleted). A
    /// deactivated agent's security users stop working at their next call.
    ///
    /// ```
    /// use studioflow::permissions::{AgentStatus, Directory};
    /// let directory = Directory::demo();
    /// directory.set_agent_status(1001, AgentStatus::Inactive).unwrap();
    /// assert!(!directory.agent_is_active(1001));
    /// assert!(directory.set_agent_status(4242, AgentStatus::Active).is_err());
    /// ```
    pub fn set_agent_status(
        &self,
        agent: AgentId,
        status: AgentStatus,
    ) -> Result<AgentRecord, ApiError> {
        match self.store.set_agent_status(agent, status) {
            Ok(updated) => Ok(self.record_of(&updated)),
            Err(StoreConflict::Unavailable { message }) => {
                Err(ApiError::new(types::STORE_UNAVAILABLE, "store", message))
            }
            Err(_) => Err(ApiError::not_found("agent", &agent.to_string())),
        }
    }

    /// Whether the agent exists and is active (re-validates a security user handle).
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert!(d.agent_is_active(1001) && !d.agent_is_active(1006) && !d.agent_is_active(9));
    /// ```
    pub fn agent_is_active(&self, agent: AgentId) -> bool {
        self.store.is_active(agent) == Some(true)
    }

    /// Re-validates a security user at call time: `unauthorized.invalidSecurityUser`
    /// if the agent no longer exists, `unauthorized.inactiveUser` if deactivated.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert!(d.validate_security_user(1001).is_ok());
    /// assert_eq!(d.validate_security_user(1006).unwrap_err().error_type(), "unauthorized.inactiveUser");
    /// ```
    pub fn validate_security_user(&self, agent: AgentId) -> Result<(), ApiError> {
        match self.store.is_active(agent) {
            Some(true) => Ok(()),
            Some(false) => Err(ApiError::inactive_user(&self.user_name_of(agent))),
            None => Err(ApiError::invalid_security_user(format_args!(
                "agent {agent} does not exist"
            ))),
        }
    }

    /// The checked lookup used to mint a security user: id first, then userName;
    /// `notFound` if absent, `unauthorized.inactiveUser` if inactive. Needs no feature.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.resolve_security_user("SYSADMIN").unwrap().id, 1001);
    /// assert_eq!(d.resolve_security_user("1004").unwrap().user_name, "agentadmin");
    /// assert_eq!(d.resolve_security_user("ghost").unwrap_err().error_type(), "notFound");
    /// ```
    pub fn resolve_security_user(&self, agent_ref: &str) -> Result<AgentRecord, ApiError> {
        self.with_security_user(agent_ref, |agent, role| {
            record_with_role(agent.clone(), role.map(|role| role.name.clone()))
        })
    }

    /// [`Directory::resolve_security_user`] for hot paths: `read` borrows the
    /// stored agent and its role (no copies, no shared writes) and returns
    /// what it needs of them. Same checks, same errors.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// let role = d.with_security_user("supervisor", |agent, role| role.map(|r| r.name.clone()));
    /// assert_eq!(role.unwrap().as_deref(), Some("Supervisor"));
    /// assert_eq!(d.with_security_user("norole", |agent, _| agent.role).unwrap(), None);
    /// ```
    pub fn with_security_user<T>(
        &self,
        agent_ref: &str,
        read: impl FnOnce(&Agent, Option<&Role>) -> T,
    ) -> Result<T, ApiError> {
        if agent_ref.trim().is_empty() {
            return Err(ApiError::new(
                types::MISSING_FIELD,
                "agent",
                "an agent id or userName is required",
            ));
        }
        self.read(|tenant| {
            let agent = find_agent_in(tenant, agent_ref)?;
            if agent.status != AgentStatus::Active {
                return Err(ApiError::inactive_user(&agent.user_name));
            }
            Ok(read(agent, agent.role.and_then(|id| tenant.role(id))))
        })
    }

    /// One consistent read of the store (see [`TenantStore::read`]).
    fn read<T>(&self, read: impl FnOnce(&dyn TenantView) -> T) -> T {
        let mut read = Some(read);
        let mut result = None;
        self.store.read(&mut |tenant| {
            if let Some(read) = read.take() {
                result = Some(read(tenant));
            }
        });
        result.expect("TenantStore::read must call its visitor exactly once")
    }

    /// The name of a role, if it exists.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.role_name(5000).as_deref(), Some("Supervisor"));
    /// ```
    pub fn role_name(&self, role: super::roles::RoleId) -> Option<String> {
        self.store.role_name(role)
    }

    #[cold]
    #[inline(never)]
    fn denial(&self, actor: AgentId, feature: FeatureId) -> ApiError {
        let access = self.store.access(actor);
        let feature_name = self
            .catalog()
            .get(feature)
            .map_or_else(|| format!("#{}", feature.index()), |f| f.name.clone());
        let Some(access) = access else {
            return ApiError::invalid_security_user(format_args!("agent {actor} does not exist"));
        };
        let user_name = self.user_name_of(actor);
        if access.status != AgentStatus::Active {
            return ApiError::inactive_user(&user_name);
        }
        if access.features.contains(feature) {
            // Changed between the hot check and now: report as the hot check saw it.
            return ApiError::forbidden(
                feature_name.as_str(),
                format!("user \"{user_name}\" may not use feature \"{feature_name}\""),
            );
        }
        match access.role.and_then(|role| self.store.role(role)) {
            None => ApiError::forbidden(
                feature_name.as_str(),
                format!(
                    "user \"{user_name}\" has no role, so no access to feature \"{feature_name}\""
                ),
            ),
            Some(role) => ApiError::forbidden(
                feature_name.as_str(),
                format!(
                    "role \"{}\" of user \"{user_name}\" does not give feature \"{feature_name}\"",
                    role.name
                ),
            ),
        }
    }

    fn user_name_of(&self, agent: AgentId) -> String {
        self.read(|tenant| {
            tenant
                .agent(agent)
                .map_or_else(|| agent.to_string(), |agent| agent.user_name.to_string())
        })
    }

    /// Checks the `agent` feature and returns the actor's profile (for department scope).
    fn agent_api_actor(&self, actor: AgentId) -> Result<Agent, ApiError> {
        self.check_feature(actor, self.agent_feature)?;
        self.store.agent(actor).ok_or_else(|| {
            ApiError::invalid_security_user(format_args!("agent {actor} does not exist"))
        })
    }

    // ----- Role API ------------------------------------------------------

    /// Lists roles with PCCE search, sort and paging. Needs `role`.
    ///
    /// ```
    /// use studioflow::permissions::{Directory, RoleQuery};
    /// let d = Directory::demo();
    /// let query = RoleQuery { q: Some("systemDefined:only".into()), sort: Some("name desc".into()), ..Default::default() };
    /// let page = d.list_roles(1001, &query).unwrap();
    /// assert_eq!(page.roles[0].name, "SystemAdmin");
    /// assert_eq!(page.page_info.total_results, 4);
    /// ```
    pub fn list_roles(&self, actor: AgentId, query: &RoleQuery) -> Result<RolePage, ApiError> {
        self.check_feature(actor, self.role_feature)?;
        let parsed = query.parse()?;
        let snapshot = self.store.snapshot();
        let selected = parsed.select(&snapshot.roles);
        let (range, page_info) = parsed.page(selected.len());
        let roles = selected[range]
            .iter()
            .map(|role| view_of(self.catalog(), role, holders_in(&snapshot.agents, role)))
            .collect();
        Ok(RolePage { roles, page_info })
    }

    /// One role by id or name. Needs `role`.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.get_role(1001, "supervisor").unwrap().id, 5000);
    /// assert_eq!(d.get_role(1001, "4").unwrap().name, "SystemAdmin");
    /// ```
    pub fn get_role(&self, actor: AgentId, id_or_name: &str) -> Result<RoleView, ApiError> {
        self.check_feature(actor, self.role_feature)?;
        let role = self.find_role(id_or_name)?;
        Ok(self.view(&role))
    }

    /// Every feature a role can be given, in catalog order. Needs `role`.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert!(d.available_features(1001).unwrap().iter().any(|f| f.name == "bulkjob"));
    /// assert!(d.available_features(1003).is_err()); // ScriptAdmin lacks `role`
    /// ```
    pub fn available_features(&self, actor: AgentId) -> Result<Vec<Feature>, ApiError> {
        self.check_feature(actor, self.role_feature)?;
        Ok(self.catalog().features().to_vec())
    }

    /// Creates a custom role (id from 5000, changeStamp 0). Needs `role`.
    ///
    /// ```
    /// use studioflow::permissions::{Directory, RoleDraft};
    /// let d = Directory::demo();
    /// let draft = RoleDraft { name: "QA".into(), description: None, access_list: vec!["attribute".into()] };
    /// let role = d.create_role(1001, draft).unwrap();
    /// assert_eq!((role.id, role.change_stamp), (5001, 0));
    /// ```
    pub fn create_role(&self, actor: AgentId, draft: RoleDraft) -> Result<RoleView, ApiError> {
        self.check_feature(actor, self.role_feature)?;
        let mut problems = Vec::new();
        match check_role_name(&draft.name) {
            Err(problem) => problems.push(name_problem_item(&draft.name, problem)),
            Ok(()) => {
                if let Some(existing) = self.store.role_by_name(&draft.name) {
                    problems.push(duplicate_name_item(&existing.name));
                }
            }
        }
        let description = draft.description.unwrap_or_default();
        problems.extend(description_item(&description));
        let access = resolve_access_list(self.catalog(), &draft.access_list, &mut problems);
        if let Some(error) = ApiError::from_items(problems) {
            return Err(error);
        }
        let role = self
            .store
            .create_role(NewRole {
                name: draft.name,
                description,
                access,
            })
            .map_err(|conflict| conflict_error(conflict, None))?;
        Ok(self.view(&role))
    }

    /// Updates a custom role if `change_stamp` is current; changeStamp + 1. Needs `role`.
    ///
    /// ```
    /// use studioflow::permissions::{Directory, RolePatch};
    /// let d = Directory::demo();
    /// let patch = RolePatch { description: Some("Leads".into()), ..Default::default() };
    /// assert_eq!(d.update_role(1001, "Supervisor", 0, patch.clone()).unwrap().change_stamp, 1);
    /// let stale = d.update_role(1001, "Supervisor", 0, patch).unwrap_err();
    /// assert_eq!(stale.error_type(), "invalidInput.staleChangeStamp");
    /// ```
    pub fn update_role(
        &self,
        actor: AgentId,
        id_or_name: &str,
        change_stamp: u64,
        patch: RolePatch,
    ) -> Result<RoleView, ApiError> {
        self.check_feature(actor, self.role_feature)?;
        let role = self.find_role(id_or_name)?;
        if role.system_defined {
            return Err(built_in_error(&role, "changed"));
        }
        let mut problems = Vec::new();
        if role.change_stamp != change_stamp {
            problems.push(stale_item(&role.name, change_stamp, role.change_stamp));
        }
        if let Some(name) = &patch.name {
            match check_role_name(name) {
                Err(problem) => problems.push(name_problem_item(name, problem)),
                Ok(()) => {
                    if let Some(existing) = self.store.role_by_name(name) {
                        if existing.id != role.id {
                            problems.push(duplicate_name_item(&existing.name));
                        }
                    }
                }
            }
        }
        if let Some(description) = &patch.description {
            problems.extend(description_item(description));
        }
        let access = patch
            .access_list
            .as_ref()
            .map(|names| resolve_access_list(self.catalog(), names, &mut problems));
        if let Some(error) = ApiError::from_items(problems) {
            return Err(error);
        }
        let change = RoleChange {
            name: patch.name,
            description: patch.description,
            access,
        };
        let updated = self
            .store
            .update_role(role.id, change_stamp, change)
            .map_err(|conflict| conflict_error(conflict, Some((&role, change_stamp))))?;
        Ok(self.view(&updated))
    }

    /// Deletes a custom role nobody holds; returns it as it was. Needs `role`.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.delete_role(1001, "Supervisor").unwrap_err().error_type(), "invalidInput.roleInUse");
    /// assert_eq!(d.delete_role(1001, "AgentAdmin").unwrap_err().error_type(), "invalidInput.builtInRole");
    /// ```
    pub fn delete_role(&self, actor: AgentId, id_or_name: &str) -> Result<RoleView, ApiError> {
        self.check_feature(actor, self.role_feature)?;
        let role = self.find_role(id_or_name)?;
        if role.system_defined {
            return Err(built_in_error(&role, "deleted"));
        }
        let deleted = self
            .store
            .delete_role(role.id)
            .map_err(|conflict| conflict_error(conflict, Some((&role, role.change_stamp))))?;
        Ok(view_of(self.catalog(), &deleted, Vec::new()))
    }

    // ----- Agent API -----------------------------------------------------

    /// One agent by id or userName. Needs `agent` and the target's department in scope,
    /// else `forbidden` (errorData `department`).
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// assert_eq!(d.get_agent(1001, "agentadmin").unwrap().department, "Austin");
    /// assert_eq!(d.get_agent(1002, "agentadmin").unwrap_err().error_type(), "forbidden"); // Boston only
    /// ```
    pub fn get_agent(&self, actor: AgentId, id_or_name: &str) -> Result<AgentRecord, ApiError> {
        self.with_agent_in_scope(actor, id_or_name, |target, role| {
            record_with_role(target.clone(), role.map(|role| role.name.clone()))
        })
    }

    /// [`Directory::get_agent`] for hot paths: `read` borrows the stored
    /// target agent and its role (one read of the store for actor and target,
    /// no copies, no shared writes). Same checks, same errors.
    ///
    /// ```
    /// let d = studioflow::permissions::Directory::demo();
    /// let name = d.with_agent_in_scope(1001, "1004", |agent, _| agent.user_name.to_string());
    /// assert_eq!(name.unwrap(), "agentadmin");
    /// assert!(d.with_agent_in_scope(1002, "agentadmin", |_, _| ()).is_err()); // Boston only
    /// ```
    pub fn with_agent_in_scope<T>(
        &self,
        actor: AgentId,
        id_or_name: &str,
        read: impl FnOnce(&Agent, Option<&Role>) -> T,
    ) -> Result<T, ApiError> {
        self.check_feature(actor, self.agent_feature)?;
        self.read(|tenant| {
            let actor = tenant.agent(actor).ok_or_else(|| {
                ApiError::invalid_security_user(format_args!("agent {actor} does not exist"))
            })?;
            let target = find_agent_in(tenant, id_or_name)?;
            if !actor.administers_department(&target.department) {
                return Err(ApiError::forbidden(
                    "department",
                    format!(
                        "agent \"{}\" is outside the departments user \"{}\" administers",
                        target.user_name, actor.user_name
                    ),
                ));
            }
            Ok(read(target, target.role.and_then(|id| tenant.role(id))))
        })
    }

    /// Agents in the actor's departments matching `q` (case-insensitive substring of
    /// userName, firstName or lastName, "" matches all; at most
    /// [`MAX_QUERY_TERM_BYTES`] long) and `status`, by id. Needs `agent`.
    ///
    /// ```
    /// use studioflow::permissions::{AgentStatusFilter, Directory};
    /// let d = Directory::demo();
    /// let inactive = d.list_agents(1001, "", AgentStatusFilter::Inactive).unwrap();
    /// assert_eq!(inactive.iter().map(|a| a.id).collect::<Vec<_>>(), [1006]);
    /// ```
    pub fn list_agents(
        &self,
        actor: AgentId,
        q: &str,
        status: AgentStatusFilter,
    ) -> Result<Vec<AgentRecord>, ApiError> {
        let actor = self.agent_api_actor(actor)?;
        // Each agent is matched against the whole search word, so its length
        // is bounded before the search (as ListRoles bounds `q`).
        if q.len() > MAX_QUERY_TERM_BYTES {
            return Err(ApiError::new(
                types::FIELD_LENGTH_EXCEEDED,
                "q",
                format!(
                    "q is {} bytes long, at most {MAX_QUERY_TERM_BYTES} are allowed",
                    q.len()
                ),
            ));
        }
        let needle = fold_case(q.trim());
        let snapshot = self.store.snapshot();
        let records = snapshot
            .agents
            .into_iter()
            .filter(|agent| actor.administers_department(&agent.department))
            .filter(|agent| status.admits(agent.status))
            .filter(|agent| {
                needle.is_empty()
                    || [&agent.user_name, &agent.first_name, &agent.last_name]
                        .iter()
                        .any(|field| fold_case(field).contains(needle.as_ref()))
            })
            .map(|agent| {
                let role = agent.role.and_then(|id| {
                    snapshot
                        .roles
                        .iter()
                        .find(|role| role.id == id)
                        .map(|role| role.name.clone())
                });
                record_with_role(agent, role)
            })
            .collect();
        Ok(records)
    }

    // ----- helpers -------------------------------------------------------

    /// Id first (if it parses and exists), then name case-insensitively.
    fn find_role(&self, id_or_name: &str) -> Result<Role, ApiError> {
        parse_id(id_or_name)
            .and_then(|id| self.store.role(id))
            .or_else(|| self.store.role_by_name(id_or_name))
            .ok_or_else(|| ApiError::not_found("role", id_or_name))
    }

    fn view(&self, role: &Role) -> RoleView {
        view_of(self.catalog(), role, self.store.role_holders(role.id))
    }

    fn record_of(&self, agent: &Agent) -> AgentRecord {
        let role = agent.role.and_then(|id| self.store.role_name(id));
        record_with_role(agent.clone(), role)
    }
}

/// Id first (if it parses and exists), then userName case-insensitively.
fn find_agent_in<'t>(tenant: &'t dyn TenantView, id_or_name: &str) -> Result<&'t Agent, ApiError> {
    parse_id(id_or_name)
        .and_then(|id| tenant.agent(id))
        .or_else(|| tenant.agent_by_user_name(id_or_name))
        .ok_or_else(|| ApiError::not_found("agent", id_or_name))
}

fn holders_in(agents: &[Agent], role: &Role) -> Vec<RoleHolder> {
    agents
        .iter()
        .filter(|agent| agent.role == Some(role.id))
        .map(|agent| RoleHolder {
            agent_id: agent.id,
            user_name: agent.user_name.to_string(),
        })
        .collect()
}

fn view_of(catalog: &FeatureCatalog, role: &Role, holders: Vec<RoleHolder>) -> RoleView {
    RoleView {
        id: role.id,
        name: role.name.clone(),
        description: role.description.clone(),
        system_defined: role.system_defined,
        change_stamp: role.change_stamp,
        ref_url: role_ref_url(role.id),
        access_list: catalog.features_of(role.access),
        administrators: holders
            .into_iter()
            .map(|holder| AdministratorRef {
                ref_url: administrator_ref_url(holder.agent_id),
                user_name: holder.user_name,
            })
            .collect(),
    }
}

fn record_with_role(agent: Agent, role: Option<String>) -> AgentRecord {
    AgentRecord {
        id: agent.id,
        user_name: agent.user_name.to_string(),
        first_name: agent.first_name.to_string(),
        last_name: agent.last_name.to_string(),
        status: agent.status,
        role,
        department: agent.department.to_string(),
        time_zone: agent.time_zone,
        administers: agent.administers,
        last_login: agent.last_login,
    }
}

fn duplicate_name_item(existing: &str) -> ApiErrorItem {
    ApiErrorItem::new(
        types::DUPLICATE_NAME,
        "name",
        format!("a role named \"{existing}\" already exists"),
    )
}

fn stale_item(role_name: &str, given: u64, current: u64) -> ApiErrorItem {
    ApiErrorItem::new(
        types::STALE_CHANGE_STAMP,
        "changeStamp",
        format!(
            "changeStamp {given} is stale: role \"{role_name}\" is at changeStamp {current}, get the role again and retry"
        ),
    )
}

fn built_in_error(role: &Role, verb: &str) -> ApiError {
    ApiError::new(
        types::BUILT_IN_ROLE,
        role.name.as_str(),
        format!("role \"{}\" is built in and cannot be {verb}", role.name),
    )
}

/// Turns a store refusal into the API error; `role` is the role as last read.
fn conflict_error(conflict: StoreConflict, role: Option<(&Role, u64)>) -> ApiError {
    let role_name = role.map_or("", |(role, _)| role.name.as_str());
    match conflict {
        StoreConflict::NotFound => ApiError::not_found("role", role_name),
        StoreConflict::BuiltIn => ApiError::new(
            types::BUILT_IN_ROLE,
            role_name,
            format!("role \"{role_name}\" is built in and cannot be changed"),
        ),
        StoreConflict::DuplicateName { existing } => ApiError {
            errors: vec![duplicate_name_item(&existing)],
        },
        StoreConflict::StaleChangeStamp { current } => {
            let given = role.map_or(0, |(_, given)| given);
            ApiError {
                errors: vec![stale_item(role_name, given, current)],
            }
        }
        StoreConflict::InUse { holders } => {
            let names: Vec<&str> = holders
                .iter()
                .take(HOLDERS_NAMED)
                .map(|holder| holder.user_name.as_str())
                .collect();
            let more = holders.len().saturating_sub(HOLDERS_NAMED);
            let more_text = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let count = holders.len();
            let users = if count == 1 { "user" } else { "users" };
            ApiError::new(
                types::ROLE_IN_USE,
                "administrators",
                format!(
                    "role \"{role_name}\" is held by {count} {users} ({}{more_text}), reassign them first",
                    names.join(", ")
                ),
            )
        }
        StoreConflict::IdsExhausted => ApiError::new(
            types::OUT_OF_RANGE,
            "id",
            "no role ids are left in this tenant",
        ),
        StoreConflict::Unavailable { message } => {
            ApiError::new(types::STORE_UNAVAILABLE, "store", message)
        }
    }
}
