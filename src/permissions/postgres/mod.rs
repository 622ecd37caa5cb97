//! The tenant in PostgreSQL, for many hosts sharing one permission model
//! (cargo feature `postgres`).
//!
//! This part holds the connection (timeouts, TLS as the URL's `sslmode`
//! says), the schema and its versioned migrations ([`migrate`]), and moving
//! a whole tenant in and out of the database ([`import_tenant`],
//! [`load_tenant`]) in one transaction each, with a revision number that
//! grows on every write. See docs/permissions.md "Sharing one model across
//! hosts" for what is built and what is not yet.
//!
//! Every row keeps the tenant file's own JSON for its record (`data`), so
//! the database holds exactly what a tenant file holds; the columns beside
//! it are what SQL must see: ids, case-insensitive unique role names,
//! changeStamps, the role each agent holds.

mod connect;
mod schema;
mod store;
mod tenant;

pub use connect::{connect, StoreUrl, CONNECT_TIMEOUT, STATEMENT_TIMEOUT};
pub use schema::{check_version as check_schema, migrate, schema_version, MIGRATIONS};
pub use store::PostgresStore;
pub use tenant::{import_tenant, load_tenant, revision, CHANNEL};

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is no PostgreSQL connection URL.
    #[error("the store URL is not a PostgreSQL URL: {0}")]
    BadUrl(String),
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to the store at {url}: {message}")]
    Connect {
        /// The URL, its password hidden.
        url: String,
        /// Why.
        message: String,
    },
    /// A statement failed (a lost connection, a timeout, a constraint).
    #[error("the store at {url}: {message}")]
    Query {
        /// The URL, its password hidden.
        url: String,
        /// Why.
        message: String,
    },
    /// The database's schema is newer than this studioflow knows.
    #[error("the store's schema is version {found}, newer than this studioflow's {known}: upgrade studioflow")]
    SchemaTooNew {
        /// The version found.
        found: i32,
        /// The newest version known.
        known: i32,
    },
    /// The database has no schema, or an older one: run `studioflow db migrate`.
    #[error("the store's schema is version {found}, expected {known}: run `studioflow db migrate --store URL`")]
    SchemaTooOld {
        /// The version found (0: none).
        found: i32,
        /// The version expected.
        known: i32,
    },
    /// The store holds no tenant yet: run `studioflow db import`.
    #[error("the store holds no tenant: run `studioflow db import TENANT.json --store URL`")]
    NoTenant,
    /// What the store holds is not a valid tenant (changed by hand?).
    #[error("the store's tenant does not load: {0}")]
    BadTenant(String),
}
