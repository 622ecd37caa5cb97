//! The test file's TOML shape (deserialized part by part, so one bad value
//! does not hide the others) and the keys each table may have.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
pub(super) struct RawFile {
    pub(super) script: Option<Spanned<String>>,
    pub(super) tenant: Option<Spanned<String>>,
    pub(super) now: Option<Spanned<toml::Value>>,
    pub(super) max_steps: Option<u64>,
    #[serde(default)]
    pub(super) inputs: Vec<Spanned<String>>,
}

/// The keys each table of a test file may have (checked on the parsed
/// document, so that every unknown key is reported at once).
pub(super) const FILE_KEYS: &[&str] = &["script", "tenant", "now", "max_steps", "inputs", "case"];
pub(super) const CASE_KEYS: &[&str] = &[
    "name",
    "vars",
    "now",
    "max_steps",
    "snapshot",
    "expect",
    "mock",
    "events",
    "http",
];
pub(super) const EXPECT_KEYS: &[&str] = &[
    "outcome",
    "end",
    "error",
    "path",
    "visits",
    "not_visits",
    "steps",
    "variables",
    "warnings",
    "return",
    "heard",
    "unused_events",
];
pub(super) const MOCK_KEYS: &[&str] = &["action", "results"];
pub(super) const HTTP_KEYS: &[&str] = &["method", "url", "status", "body", "headers", "fail"];
pub(super) const RESULT_KEYS: &[&str] = &["branch", "case", "set", "err", "security_user"];

#[derive(Deserialize)]
pub(super) struct RawCase {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) vars: IndexMap<Spanned<String>, toml::Value>,
    pub(super) now: Option<Spanned<toml::Value>>,
    pub(super) max_steps: Option<u64>,
    #[serde(default)]
    pub(super) snapshot: bool,
    #[serde(default)]
    pub(super) expect: RawExpect,
    #[serde(default)]
    pub(super) mock: Vec<RawMock>,
    /// The contact's events, in the command line's syntax.
    #[serde(default)]
    pub(super) events: Vec<Spanned<String>>,
    /// `[[case.http]]`: replies to the run's HTTP requests.
    #[serde(default)]
    pub(super) http: Vec<Spanned<RawHttp>>,
}

#[derive(Deserialize)]
pub(super) struct RawHttp {
    pub(super) method: Option<Spanned<String>>,
    pub(super) url: Spanned<String>,
    pub(super) status: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) body: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) headers: IndexMap<String, String>,
    /// The request fails in transport with this reason (no reply).
    pub(super) fail: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawExpect {
    pub(super) outcome: Option<Spanned<String>>,
    pub(super) end: Option<Spanned<String>>,
    pub(super) error: Option<String>,
    pub(super) path: Option<Vec<Spanned<String>>>,
    pub(super) visits: Option<Vec<Spanned<String>>>,
    pub(super) not_visits: Option<Vec<Spanned<String>>>,
    pub(super) steps: Option<u64>,
    pub(super) variables: Option<IndexMap<Spanned<String>, Spanned<toml::Value>>>,
    pub(super) warnings: Option<Vec<String>>,
    #[serde(rename = "return")]
    pub(super) returned: Option<Spanned<toml::Value>>,
    /// Substrings of the prompts played, in order.
    pub(super) heard: Option<Vec<String>>,
    /// Events the case expects the run to leave unused.
    pub(super) unused_events: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
pub(super) struct RawMock {
    pub(super) action: Spanned<String>,
    pub(super) results: Spanned<Vec<Spanned<RawResult>>>,
}

#[derive(Deserialize)]
pub(super) struct RawResult {
    pub(super) branch: Option<Spanned<String>>,
    pub(super) case: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) set: IndexMap<Spanned<String>, toml::Value>,
    pub(super) err: Option<String>,
    pub(super) security_user: Option<String>,
}
