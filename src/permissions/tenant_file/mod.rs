//! The JSON tenant file: loading with located errors, saving atomically.
//!
//! The file is walked by hand (not derived) so that every error can name its
//! JSON place, e.g. `agents[3].timeZone: unknown time zone "Mars/Base"`.
//!
//! - this file: what can go wrong ([`LoadError`], [`LoadProblem`],
//!   [`SaveError`]);
//! - `fields.rs`: the field lists and the readers that name each value's place;
//! - `load.rs`: the document walked into a [`Directory`];
//! - `save.rs`: a [`Directory`] written back as a document;
//! - `locked.rs`: [`TenantFile`], a file held locked for a load–run–save cycle.

mod fields;
mod load;
mod locked;
mod save;

#[cfg(feature = "postgres")]
pub(crate) use save::role_json;

use std::path::PathBuf;

use crate::files::FileError;

use super::features::CatalogError;
use super::roles::{FIRST_CUSTOM_ROLE_ID, MAX_ROLE_NAME_LEN};

pub use locked::TenantFile;

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
    /// An id or changeStamp above [`MAX_EXACT_ID`](crate::permissions::MAX_EXACT_ID): a script's numbers
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
