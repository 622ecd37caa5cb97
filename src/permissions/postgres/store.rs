//! [`PostgresStore`]: a [`TenantStore`] whose truth is PostgreSQL.
//!
//! Reads are answered from an in-memory copy (the same lock-free store the
//! embedded default uses), swapped whole when the database's revision moves:
//! after this host's own writes, when another host's write is heard on the
//! notification channel (a listener thread), or when a caller asks for "at
//! least revision R" ([`PostgresStore::reach`]). Writes are SQL transactions:
//! the changeStamp compare-and-swap, the name's uniqueness (a constraint on
//! the folded name) and "role in use" are decided by the database, so two
//! hosts can never both win. A database that fails or cannot be reached is
//! [`StoreConflict::Unavailable`] (the API action's Error branch), never a
//! panic; the next write connects again.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Transaction};
use serde_json::Value;

use super::connect::{connect, StoreUrl};
use super::tenant::{load_tenant, CHANNEL};
use super::DbError;
use crate::permissions::store::{
    AgentAccess, Grant, NewRole, RoleChange, RoleHolder, StoreConflict, TenantSnapshot,
    TenantStore, TenantView,
};
use crate::permissions::{
    fold_case, Agent, AgentId, AgentStatus, BusinessUnit, Directory, FeatureCatalog, FeatureId,
    FeatureSet, Role, RoleId, FIRST_CUSTOM_ROLE_ID, MAX_EXACT_ID,
};

/// What the store and its listener thread share.
struct Shared {
    /// Unique in the process (never an address, which a later store may reuse).
    id: u64,
    url: StoreUrl,
    /// The newest tenant read, and its revision.
    mirror: ArcSwap<Directory>,
    revision: AtomicI64,
    /// The connection writes use; `None` after a failure (reconnect).
    writer: Mutex<Option<Client>>,
    /// The connection reloads use (serialising them, so two never race to
    /// swap an older copy in); `None` after a failure (reconnect).
    reloading: Mutex<Option<Client>>,
    /// Set when the listener cannot listen (it retries).
    listener_lost: AtomicBool,
    /// The revision this store's last successful write made.
    written: AtomicI64,
}

static NEXT_STORE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// This thread's copy of the mirror it last read: (store id, revision, copy).
    static HOT_MIRROR: std::cell::RefCell<Option<(u64, i64, Arc<Directory>)>> =
        const { std::cell::RefCell::new(None) };
}

/// The permission model in PostgreSQL, shared by every host connected to
/// the same database (see the module documentation).
pub struct PostgresStore {
    shared: Arc<Shared>,
    business_unit: BusinessUnit,
    catalog: FeatureCatalog,
}

fn unavailable(e: DbError) -> StoreConflict {
    StoreConflict::Unavailable {
        message: e.to_string(),
    }
}

impl Shared {
    /// Reloads the tenant when the database's revision is past ours.
    fn reload(&self) -> Result<i64, DbError> {
        let mut slot = self.reloading.lock();
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(connect(&self.url)?);
        }
        let client = slot.as_mut().expect("connected above");
        let loaded = load_tenant(client, &self.url);
        if loaded.is_err() {
            *slot = None;
        }
        let (directory, revision) = loaded?;
        if revision > self.revision.load(Ordering::Acquire) {
            self.mirror.store(Arc::new(directory));
            self.revision.store(revision, Ordering::Release);
        }
        Ok(self.revision.load(Ordering::Acquire))
    }

    /// Runs `write` in one transaction on the writer connection, then bumps
    /// the revision, notifies the other hosts and reloads the copy. A
    /// failed connection is dropped, so the next write connects again.
    fn write<T>(
        &self,
        write: impl FnOnce(&mut Transaction<'_>) -> Result<Result<T, StoreConflict>, postgres::Error>,
    ) -> Result<T, StoreConflict> {
        let mut slot = self.writer.lock();
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = Some(connect(&self.url).map_err(unavailable)?);
        }
        let client = slot.as_mut().expect("connected above");
        let outcome: Result<Result<T, StoreConflict>, postgres::Error> = (|| {
            let mut tx = client.transaction()?;
            let answer = match write(&mut tx)? {
                Ok(answer) => answer,
                Err(conflict) => {
                    tx.rollback()?;
                    return Ok(Err(conflict));
                }
            };
            let row = tx.query_one(
                "UPDATE studioflow_tenant SET revision = revision + 1 WHERE id = 1 RETURNING revision",
                &[],
            )?;
            let revision: i64 = row.get(0);
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&CHANNEL, &revision.to_string()],
            )?;
            tx.commit()?;
            self.written.store(revision, Ordering::Release);
            Ok(Ok(answer))
        })();
        match outcome {
            Ok(Ok(answer)) => {
                drop(slot);
                // The write is committed; a copy that fails to reload now is
                // reloaded on the next notification or `reach`.
                let _ = self.reload();
                Ok(answer)
            }
            Ok(Err(conflict)) => Err(conflict),
            Err(e) => {
                if e.is_closed() || e.as_db_error().is_none() {
                    *slot = None;
                }
                Err(unavailable(self.url.query_error(e)))
            }
        }
    }
}

/// The listener: LISTEN on the channel, reload on each revision past ours;
/// ends when the store is dropped. A lost connection is retried after a
/// pause (and `reach` still works meanwhile, reading the database).
fn listen(shared: Weak<Shared>) {
    loop {
        let Some(strong) = shared.upgrade() else {
            return;
        };
        let url = strong.url.clone();
        drop(strong);
        let mut client = match connect(&url) {
            Ok(client) => client,
            Err(_) => {
                if let Some(s) = shared.upgrade() {
                    s.listener_lost.store(true, Ordering::Release);
                }
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
        };
        if client.batch_execute(&format!("LISTEN {CHANNEL}")).is_err() {
            std::thread::sleep(Duration::from_millis(500));
            continue;
        }
        if let Some(s) = shared.upgrade() {
            s.listener_lost.store(false, Ordering::Release);
            // Writes made before LISTEN took effect.
            let _ = s.reload();
        }
        loop {
            let next = {
                let mut notifications = client.notifications();
                let mut heard = notifications.timeout_iter(Duration::from_millis(100));
                heard.next()
            };
            let Some(s) = shared.upgrade() else {
                return;
            };
            match next {
                Ok(Some(note)) => {
                    let revision: i64 = note.payload().parse().unwrap_or(i64::MAX);
                    if revision > s.revision.load(Ordering::Acquire) {
                        let _ = s.reload();
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    s.listener_lost.store(true, Ordering::Release);
                    break;
                }
            }
        }
    }
}

impl PostgresStore {
    /// Connects, loads the tenant and starts listening for other hosts'
    /// writes. Fails when the store cannot be reached, its schema is not
    /// this studioflow's (`studioflow db migrate`), or it holds no tenant
    /// (`studioflow db import`).
    pub fn open(url: StoreUrl) -> Result<PostgresStore, DbError> {
        let mut client = connect(&url)?;
        let (directory, revision) = load_tenant(&mut client, &url)?;
        let business_unit = directory.business_unit().clone();
        let catalog = directory.catalog().clone();
        let shared = Arc::new(Shared {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            url,
            mirror: ArcSwap::from_pointee(directory),
            revision: AtomicI64::new(revision),
            writer: Mutex::new(Some(client)),
            reloading: Mutex::new(None),
            listener_lost: AtomicBool::new(false),
            written: AtomicI64::new(0),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("studioflow-store-listener".into())
            .spawn(move || listen(weak))
            .map_err(|e| DbError::Connect {
                url: shared.url.shown().to_string(),
                message: format!("cannot start the listener thread: {e}"),
            })?;
        Ok(PostgresStore {
            shared,
            business_unit,
            catalog,
        })
    }

    /// The revision this store's last successful write made (what another
    /// host passes to [`PostgresStore::reach`] to read at least that fresh);
    /// 0 before any.
    pub fn last_write(&self) -> i64 {
        self.shared.written.load(Ordering::Acquire)
    }

    /// The revision of the copy reads answer from.
    pub fn revision(&self) -> i64 {
        self.shared.revision.load(Ordering::Acquire)
    }

    /// Waits until reads see at least `revision` (what a write on another
    /// host returned): reloads from the database at once when behind, so
    /// it does not depend on the notification's delay. Gives up after
    /// `timeout`, returning the revision reached.
    pub fn reach(&self, revision: i64, timeout: Duration) -> Result<i64, DbError> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = self.revision();
            if now >= revision || Instant::now() >= deadline {
                return Ok(now);
            }
            self.shared.reload()?;
            if self.revision() < revision {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    fn mirror(&self) -> arc_swap::Guard<Arc<Directory>> {
        self.shared.mirror.load()
    }

    /// Answers a hot-path question from this thread's cached copy of the
    /// mirror, refreshed when the revision moves. An arc-swap load costs
    /// two locked instructions (about 10 ns); this costs a thread-local
    /// lookup and one plain load of the revision, so a check stays within
    /// a few nanoseconds of the embedded store's. `reload` publishes the
    /// mirror before the revision, so a thread that sees a revision sees
    /// that copy (or a newer one) too; [`PostgresStore::reach`] on this
    /// thread is therefore followed by reads at least that fresh. The
    /// price: each thread keeps the copy it last used alive until its next
    /// check of any store.
    #[inline]
    fn hot<R>(&self, answer: impl FnOnce(&dyn TenantStore) -> R) -> R {
        let revision = self.shared.revision.load(Ordering::Acquire);
        let mut answer = Some(answer);
        let cached = HOT_MIRROR.try_with(|cell| {
            let mut hot = cell.try_borrow_mut().ok()?;
            let fresh =
                matches!(&*hot, Some((id, seen, _)) if *id == self.shared.id && *seen == revision);
            if !fresh {
                *hot = Some((self.shared.id, revision, self.shared.mirror.load_full()));
            }
            let (_, _, directory) = hot.as_ref()?;
            let answer = answer.take()?;
            Some(answer(directory.store().as_ref()))
        });
        match (cached, answer) {
            (Ok(Some(result)), _) => result,
            // No thread-local (a thread being torn down) or a re-entrant
            // call: the plain load.
            (_, Some(answer)) => answer(self.mirror().store().as_ref()),
            (_, None) => unreachable!("the answer ran exactly when it returned"),
        }
    }

    fn current_stamp(
        tx: &mut Transaction<'_>,
        id: RoleId,
    ) -> Result<Option<(i64, Value)>, postgres::Error> {
        Ok(tx
            .query_opt(
                "SELECT change_stamp, data FROM studioflow_roles WHERE id = $1 FOR UPDATE",
                &[&(id as i64)],
            )?
            .map(|row| (row.get(0), row.get(1))))
    }
}

/// A role as its row holds it (the tenant file's JSON of it).
fn role_from_row(id: RoleId, stamp: i64, data: &Value, catalog: &FeatureCatalog) -> Role {
    let text = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut access = FeatureSet::EMPTY;
    let names = data.get("accessList").and_then(Value::as_array);
    for name in names.into_iter().flatten().filter_map(Value::as_str) {
        if let Some(feature) = catalog.id(name) {
            access.insert(feature);
        }
    }
    Role {
        id,
        name: text("name"),
        description: text("description"),
        access,
        change_stamp: stamp.max(0) as u64,
        system_defined: false,
    }
}

/// A unique violation on the role names: the existing role's name.
fn duplicate_name(
    e: &postgres::Error,
    tx: &mut Transaction<'_>,
    key: &str,
) -> Option<StoreConflict> {
    let db = e.as_db_error()?;
    if db.code() != &postgres::error::SqlState::UNIQUE_VIOLATION {
        return None;
    }
    let existing: String = tx
        .query_opt(
            "SELECT name FROM studioflow_roles WHERE name_key = $1",
            &[&key],
        )
        .ok()
        .flatten()
        .map_or_else(|| key.to_string(), |row| row.get(0));
    Some(StoreConflict::DuplicateName { existing })
}

impl TenantStore for PostgresStore {
    fn business_unit(&self) -> &BusinessUnit {
        &self.business_unit
    }

    fn catalog(&self) -> &FeatureCatalog {
        &self.catalog
    }

    /// The hot check goes straight to the mirror's own lock-free check
    /// (through this thread's cached copy), not through `access`.
    #[inline]
    fn grant(&self, agent: AgentId, feature: FeatureId) -> Grant {
        self.hot(|store| store.grant(agent, feature))
    }

    fn access(&self, agent: AgentId) -> Option<AgentAccess> {
        self.mirror().store().access(agent)
    }

    fn is_active(&self, agent: AgentId) -> Option<bool> {
        self.hot(|store| store.is_active(agent))
    }

    fn read(&self, visit: &mut dyn FnMut(&dyn TenantView)) {
        self.mirror().store().read(visit)
    }

    fn role(&self, id: RoleId) -> Option<Role> {
        self.mirror().store().role(id)
    }

    fn role_by_name(&self, name: &str) -> Option<Role> {
        self.mirror().store().role_by_name(name)
    }

    fn role_holders(&self, role: RoleId) -> Vec<RoleHolder> {
        self.mirror().store().role_holders(role)
    }

    fn agent(&self, id: AgentId) -> Option<Agent> {
        self.mirror().store().agent(id)
    }

    fn agent_by_user_name(&self, user_name: &str) -> Option<Agent> {
        self.mirror().store().agent_by_user_name(user_name)
    }

    fn snapshot(&self) -> TenantSnapshot {
        self.mirror().store().snapshot()
    }

    fn create_role(&self, role: NewRole) -> Result<Role, StoreConflict> {
        let catalog = &self.catalog;
        let key = fold_case(&role.name);
        let created = self.shared.write(|tx| {
            let next: i64 = tx
                .query_one(
                    "SELECT next_role_id FROM studioflow_tenant WHERE id = 1 FOR UPDATE",
                    &[],
                )?
                .get(0);
            if next as u64 > MAX_EXACT_ID {
                return Ok(Err(StoreConflict::IdsExhausted));
            }
            let made = Role {
                id: next as RoleId,
                name: role.name.clone(),
                description: role.description.clone(),
                access: role.access,
                change_stamp: 0,
                system_defined: false,
            };
            let data = crate::permissions::tenant_file::role_json(&made, catalog);
            tx.execute("SAVEPOINT insert_role", &[])?;
            if let Err(e) = tx.execute(
                "INSERT INTO studioflow_roles (id, name, name_key, change_stamp, data) VALUES ($1, $2, $3, 0, $4)",
                &[&next, &made.name, &key, &data],
            ) {
                tx.execute("ROLLBACK TO SAVEPOINT insert_role", &[])?;
                return match duplicate_name(&e, tx, &key) {
                    Some(conflict) => Ok(Err(conflict)),
                    None => Err(e),
                };
            }
            tx.execute(
                "UPDATE studioflow_tenant SET next_role_id = next_role_id + 1 WHERE id = 1",
                &[],
            )?;
            Ok(Ok(made))
        })?;
        Ok(created)
    }

    fn update_role(
        &self,
        id: RoleId,
        expected_change_stamp: u64,
        change: RoleChange,
    ) -> Result<Role, StoreConflict> {
        if id < FIRST_CUSTOM_ROLE_ID {
            return Err(if self.role(id).is_some() {
                StoreConflict::BuiltIn
            } else {
                StoreConflict::NotFound
            });
        }
        let catalog = &self.catalog;
        self.shared.write(|tx| {
            let Some((stamp, data)) = Self::current_stamp(tx, id)? else {
                return Ok(Err(StoreConflict::NotFound));
            };
            if stamp as u64 != expected_change_stamp {
                return Ok(Err(StoreConflict::StaleChangeStamp {
                    current: stamp as u64,
                }));
            }
            let old = role_from_row(id, stamp, &data, catalog);
            let old_name = old.name.clone();
            let updated = Role {
                id,
                name: change.name.clone().unwrap_or(old.name),
                description: change.description.clone().unwrap_or(old.description),
                access: change.access.unwrap_or(old.access),
                change_stamp: stamp as u64 + 1,
                system_defined: false,
            };
            let key = fold_case(&updated.name);
            let json = crate::permissions::tenant_file::role_json(&updated, catalog);
            tx.execute("SAVEPOINT update_role", &[])?;
            let changed = match tx.execute(
                "UPDATE studioflow_roles SET name = $2, name_key = $3, change_stamp = change_stamp + 1, data = $4 \
                 WHERE id = $1 AND change_stamp = $5",
                &[&(id as i64), &updated.name, &key, &json, &stamp],
            ) {
                Ok(n) => n,
                Err(e) => {
                    tx.execute("ROLLBACK TO SAVEPOINT update_role", &[])?;
                    return match duplicate_name(&e, tx, &key) {
                        Some(conflict) => Ok(Err(conflict)),
                        None => Err(e),
                    };
                }
            };
            if changed != 1 {
                return Ok(Err(StoreConflict::StaleChangeStamp {
                    current: stamp as u64,
                }));
            }
            if old_name != updated.name {
                // The holders name their role: renamed with it.
                tx.execute(
                    "UPDATE studioflow_agents SET role_key = $2, data = jsonb_set(data, '{role}', to_jsonb($3::text)) \
                     WHERE role_key = $1",
                    &[&fold_case(&old_name), &key, &updated.name],
                )?;
            }
            Ok(Ok(updated))
        })
    }

    fn delete_role(&self, id: RoleId) -> Result<Role, StoreConflict> {
        if id < FIRST_CUSTOM_ROLE_ID {
            return Err(if self.role(id).is_some() {
                StoreConflict::BuiltIn
            } else {
                StoreConflict::NotFound
            });
        }
        let catalog = &self.catalog;
        self.shared.write(|tx| {
            let Some((stamp, data)) = Self::current_stamp(tx, id)? else {
                return Ok(Err(StoreConflict::NotFound));
            };
            let deleted = role_from_row(id, stamp, &data, catalog);
            // In the same transaction as the delete: a holder added meanwhile
            // is seen (the row lock above orders the writers of this role).
            let holders: Vec<RoleHolder> = tx
                .query(
                    "SELECT id, data->>'userName' FROM studioflow_agents WHERE role_key = $1 ORDER BY id",
                    &[&fold_case(&deleted.name)],
                )?
                .iter()
                .map(|row| RoleHolder {
                    agent_id: row.get::<_, i64>(0) as AgentId,
                    user_name: row.get::<_, Option<String>>(1).unwrap_or_default(),
                })
                .collect();
            if !holders.is_empty() {
                return Ok(Err(StoreConflict::InUse { holders }));
            }
            tx.execute("DELETE FROM studioflow_roles WHERE id = $1", &[&(id as i64)])?;
            Ok(Ok(deleted))
        })
    }

    fn set_agent_status(
        &self,
        agent: AgentId,
        status: AgentStatus,
    ) -> Result<Agent, StoreConflict> {
        self.shared.write(|tx| {
            let changed = tx.execute(
                "UPDATE studioflow_agents SET data = jsonb_set(data, '{status}', to_jsonb($2::text)) WHERE id = $1",
                &[&(agent as i64), &status.as_str()],
            )?;
            Ok(if changed == 1 {
                Ok(())
            } else {
                Err(StoreConflict::NotFound)
            })
        })?;
        self.agent(agent).ok_or(StoreConflict::NotFound)
    }
}
