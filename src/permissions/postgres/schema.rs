//! The schema, created and moved forward by numbered migrations.
//!
//! `studioflow_schema` records each applied version. [`migrate`] applies the
//! missing ones in one transaction under an advisory lock, so two hosts
//! migrating at once do not collide, and running it again changes nothing.

use postgres::Client;

use super::connect::StoreUrl;
use super::DbError;

/// The advisory lock key of migrations and tenant imports.
pub(super) const LOCK_KEY: i64 = 0x5f10_f10e;

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the tenant. Each row keeps the tenant file's JSON of its record;
    // the columns are what SQL checks: ids, names unique ignoring case
    // (folded by studioflow, as the in-memory model folds them), the
    // changeStamp, the role an agent holds. `revision` grows on each write.
    "CREATE TABLE studioflow_tenant (
        id smallint PRIMARY KEY CHECK (id = 1),
        business_unit jsonb NOT NULL,
        next_role_id bigint NOT NULL,
        revision bigint NOT NULL
    );
    CREATE TABLE studioflow_roles (
        id bigint PRIMARY KEY,
        name text NOT NULL,
        name_key text NOT NULL UNIQUE,
        change_stamp bigint NOT NULL,
        data jsonb NOT NULL
    );
    CREATE TABLE studioflow_agents (
        id bigint PRIMARY KEY,
        user_name_key text NOT NULL UNIQUE,
        role_key text,
        data jsonb NOT NULL
    );
    CREATE INDEX studioflow_agents_role ON studioflow_agents (role_key);",
    // 2: paused runs, kept as the signed bytes `PauseKey::seal` writes (the
    // signature is checked by whoever opens them), what each waits for, and
    // when it expires. Taken by one host at a time (row locks).
    "CREATE TABLE studioflow_paused_runs (
        id text PRIMARY KEY,
        sealed bytea NOT NULL,
        waiting text NOT NULL,
        expires_at timestamptz NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX studioflow_paused_runs_expiry ON studioflow_paused_runs (expires_at);",
];

/// The schema version this studioflow writes and reads.
pub fn schema_version() -> i32 {
    MIGRATIONS.len() as i32
}

/// Applies the missing migrations; returns how many were applied (0 when
/// the schema is current). A schema newer than this studioflow's is an error.
pub fn migrate(client: &mut Client, url: &StoreUrl) -> Result<usize, DbError> {
    let err = |e| url.query_error(e);
    let mut tx = client.transaction().map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .map_err(err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS studioflow_schema (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .map_err(err)?;
    let found: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM studioflow_schema",
            &[],
        )
        .map_err(err)?
        .get(0);
    let known = schema_version();
    if found > known {
        return Err(DbError::SchemaTooNew { found, known });
    }
    let mut applied = 0;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.batch_execute(sql).map_err(err)?;
        let version = i as i32 + 1;
        tx.execute(
            "INSERT INTO studioflow_schema (version) VALUES ($1)",
            &[&version],
        )
        .map_err(err)?;
        applied += 1;
    }
    tx.commit().map_err(err)?;
    Ok(applied)
}

/// Checks that the schema is the one this studioflow knows.
pub fn check_version(client: &mut Client, url: &StoreUrl) -> Result<(), DbError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('studioflow_schema') IS NOT NULL", &[])
        .map_err(|e| url.query_error(e))?
        .get(0);
    let found: i32 = if exists {
        client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM studioflow_schema",
                &[],
            )
            .map_err(|e| url.query_error(e))?
            .get(0)
    } else {
        0
    };
    let known = schema_version();
    match found.cmp(&known) {
        std::cmp::Ordering::Less => Err(DbError::SchemaTooOld { found, known }),
        std::cmp::Ordering::Greater => Err(DbError::SchemaTooNew { found, known }),
        std::cmp::Ordering::Equal => Ok(()),
    }
}
