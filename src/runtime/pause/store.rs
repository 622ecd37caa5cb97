//! Paused runs in PostgreSQL (cargo feature `postgres`): resumable on
//! whichever host the next event reaches, exactly once.
//!
//! [`PauseStore::save`] keeps a sealed paused run under an id;
//! [`PauseStore::take`] hands it to one host (the row is locked, and a
//! second host taking it at the same time gets nothing). The run leaves the
//! store only when the taker [`Taken::finish`]es: the resumed run ended
//! (removed) or waits again (replaced by its new bytes), in one
//! transaction. A host that dies before finishing loses nothing: its
//! transaction is rolled back and the paused run can be taken again. An
//! expired run is removed when met and reported.

use chrono::{DateTime, Utc};
use postgres::Client;

use crate::permissions::postgres::{connect, DbError, StoreUrl};

/// Paused runs kept in a PostgreSQL store (the schema `studioflow db
/// migrate` creates).
pub struct PauseStore {
    url: StoreUrl,
}

/// What [`PauseStore::take`] found.
pub enum Take {
    /// This host has it: resume it, then [`Taken::finish`].
    Taken(Box<Taken>),
    /// No paused run with this id (never saved, resumed already, or being
    /// resumed by another host right now).
    Absent,
    /// It had expired: it is removed.
    Expired {
        /// When it expired.
        at: DateTime<Utc>,
    },
}

/// A paused run this host holds (its row locked) until it finishes.
pub struct Taken {
    client: Client,
    url: StoreUrl,
    id: String,
    sealed: Vec<u8>,
    waiting: String,
}

impl std::fmt::Debug for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Taken")
            .field("id", &self.id)
            .field("bytes", &self.sealed.len())
            .field("waiting", &self.waiting)
            .finish()
    }
}

/// What a resumed run leaves behind for [`Taken::finish`].
pub struct Repause<'a> {
    /// The id to keep it under (the same id, or another).
    pub id: &'a str,
    /// Its sealed bytes.
    pub sealed: &'a [u8],
    /// What it waits for, in words.
    pub waiting: &'a str,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl PauseStore {
    /// A store at `url` (checked when used).
    pub fn new(url: StoreUrl) -> PauseStore {
        PauseStore { url }
    }

    /// Keeps a sealed paused run under `id` (replacing one of that id).
    pub fn save(&self, run: &Repause<'_>) -> Result<(), DbError> {
        let mut client = connect(&self.url)?;
        crate::permissions::postgres::check_schema(&mut client, &self.url)?;
        client
            .execute(
                "INSERT INTO studioflow_paused_runs (id, sealed, waiting, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET sealed = $2, waiting = $3, expires_at = $4, saved_at = now()",
                &[&run.id, &run.sealed, &run.waiting, &run.expires_at],
            )
            .map_err(|e| self.url.query_error(e))?;
        Ok(())
    }

    /// Takes the paused run `id` for this host (see the module documentation).
    pub fn take(&self, id: &str, now: DateTime<Utc>) -> Result<Take, DbError> {
        let mut client = connect(&self.url)?;
        crate::permissions::postgres::check_schema(&mut client, &self.url)?;
        let err = |e| self.url.query_error(e);
        client.batch_execute("BEGIN").map_err(err)?;
        let row = client
            .query_opt(
                "SELECT sealed, waiting, expires_at FROM studioflow_paused_runs WHERE id = $1 FOR UPDATE SKIP LOCKED",
                &[&id],
            )
            .map_err(err)?;
        let Some(row) = row else {
            client.batch_execute("ROLLBACK").map_err(err)?;
            return Ok(Take::Absent);
        };
        let expires_at: DateTime<Utc> = row.get(2);
        if expires_at <= now {
            client
                .execute("DELETE FROM studioflow_paused_runs WHERE id = $1", &[&id])
                .map_err(err)?;
            client.batch_execute("COMMIT").map_err(err)?;
            return Ok(Take::Expired { at: expires_at });
        }
        Ok(Take::Taken(Box::new(Taken {
            sealed: row.get(0),
            waiting: row.get(1),
            client,
            url: self.url.clone(),
            id: id.to_string(),
        })))
    }

    /// How many paused runs the store keeps.
    pub fn count(&self) -> Result<i64, DbError> {
        let mut client = connect(&self.url)?;
        Ok(client
            .query_one("SELECT count(*) FROM studioflow_paused_runs", &[])
            .map_err(|e| self.url.query_error(e))?
            .get(0))
    }
}

impl Taken {
    /// The sealed bytes, for [`crate::PauseKey::open`].
    pub fn sealed(&self) -> &[u8] {
        &self.sealed
    }

    /// What it waits for, in words.
    pub fn waiting(&self) -> &str {
        &self.waiting
    }

    /// The id it was taken by.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The resumed run is settled: removed from the store, or replaced by
    /// what it waits for now (`again`), in one transaction. Until this
    /// returns, another host cannot take it; if this host dies first, it
    /// stays as it was.
    pub fn finish(mut self, again: Option<&Repause<'_>>) -> Result<(), DbError> {
        let url = self.url.clone();
        let err = |e| url.query_error(e);
        self.client
            .execute(
                "DELETE FROM studioflow_paused_runs WHERE id = $1",
                &[&self.id],
            )
            .map_err(err)?;
        if let Some(run) = again {
            self.client
                .execute(
                    "INSERT INTO studioflow_paused_runs (id, sealed, waiting, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET sealed = $2, waiting = $3, expires_at = $4, saved_at = now()",
                    &[&run.id, &run.sealed, &run.waiting, &run.expires_at],
                )
                .map_err(err)?;
        }
        self.client.batch_execute("COMMIT").map_err(err)
    }
}
