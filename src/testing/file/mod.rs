//! Test files: the TOML model (with spans, for error lines) and loading,
//! which checks everything that can be checked before a case runs.
//!
//! - this file: the loaded model ([`TestFile`], [`TestCase`]) and its bounds;
//! - `schema.rs`: the file's TOML shape and the keys each table may have;
//! - `loader.rs`: the walk over the file (script, tenant, inputs, one
//!   compile, then every case);
//! - `mistakes.rs`: how every mistake is collected and placed, in one pass;
//! - `paths.rs`: the files a test file names, kept inside the project root;
//! - `cases.rs`: what a case names (actions, branches, mocks, expectations)
//!   checked against the compiled script.

mod cases;
mod loader;
mod mistakes;
mod paths;
mod schema;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::expect::Expect;
use super::mock::Mock;
use crate::manifest::Manifest;
use crate::permissions::Directory;
use crate::runtime::{FixedClock, Value};
use crate::CompileOptions;

pub(crate) use loader::Loader;

/// The clock of a case that sets no `now`: results never depend on the wall clock.
pub const DEFAULT_NOW: &str = "2026-03-08T06:30:00Z";

/// Scripts and tenant files larger than this are refused.
const MAX_INPUT_BYTES: u64 = crate::files::DEFAULT_MAX_INPUT_BYTES;

/// Test files larger than this are refused before they are parsed. The TOML
/// parser holds a token and a value per element (about 20 to 60 bytes of
/// memory per byte of input, measured), so this bounds a load to well under
/// 300 MB and a second; hand-written test files are far smaller.
///
/// ```
/// assert_eq!(studioflow::testing::MAX_TEST_FILE_BYTES, 4 * 1024 * 1024);
/// ```
pub const MAX_TEST_FILE_BYTES: u64 = 4 << 20;

/// A test file holds at most this many cases (each one builds an engine,
/// compiles and runs the script, so this bounds the work of one file).
///
/// ```
/// assert_eq!(studioflow::testing::MAX_CASES, 10_000);
/// ```
pub const MAX_CASES: usize = 10_000;

/// Where a case's tenant comes from: each case gets a fresh copy.
#[derive(Debug, Clone)]
enum Tenant {
    Demo,
    Json(std::sync::Arc<str>),
}

impl Tenant {
    fn fresh(&self) -> Directory {
        match self {
            Tenant::Demo => Directory::demo(),
            // Parsed once at load time, so this cannot fail here.
            Tenant::Json(text) => {
                Directory::from_json_str(text).unwrap_or_else(|_| Directory::demo())
            }
        }
    }
}

/// A loaded, checked test file: its script, tenant and cases.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("hello.script"), "start: Begin { Default -> done }\ndone: End\n").unwrap();
/// std::fs::write(dir.path().join("hello.test.toml"), "[[case]]\nname = \"ends\"\nexpect = { end = \"done\" }\n").unwrap();
/// let file = studioflow::testing::TestRunner::new().load(dir.path().join("hello.test.toml")).unwrap();
/// assert_eq!(file.cases()[0].name(), "ends");
/// assert!(file.script_path().ends_with("hello.script"));
/// ```
#[derive(Debug)]
pub struct TestFile {
    path: PathBuf,
    script_path: PathBuf,
    source: String,
    tenant: Tenant,
    inputs: Vec<String>,
    manifest: Option<Manifest>,
    cases: Vec<TestCase>,
}

/// One `[[case]]` of a test file.
#[derive(Debug)]
pub struct TestCase {
    name: String,
    line: usize,
    pub(crate) vars: IndexMap<String, Value>,
    pub(crate) now: FixedClock,
    pub(crate) max_steps: Option<u64>,
    pub(crate) snapshot: bool,
    pub(crate) expect: Expect,
    pub(crate) mocks: Vec<Mock>,
    /// The contact's events, applied in order at the run's waits.
    pub(crate) events: Vec<crate::Event>,
    /// Replies to the run's HTTP requests.
    pub(crate) http: Vec<crate::testing::mock::HttpMock>,
}

impl TestCase {
    /// The case's name.
    ///
    /// See the example on [`TestFile`].
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The line of its `name` in the test file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("a.script"), "start: Begin\n").unwrap();
    /// std::fs::write(dir.path().join("a.test.toml"), "\n[[case]]\nname = \"x\"\n").unwrap();
    /// let file = studioflow::testing::TestRunner::new().load(dir.path().join("a.test.toml")).unwrap();
    /// assert_eq!(file.cases()[0].line(), 3);
    /// ```
    pub fn line(&self) -> usize {
        self.line
    }
}

impl TestFile {
    /// The test file.
    ///
    /// See the example on [`TestFile`].
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The script it tests.
    ///
    /// See the example on [`TestFile`].
    pub fn script_path(&self) -> &Path {
        &self.script_path
    }
    /// Its cases, in file order.
    ///
    /// See the example on [`TestFile`].
    pub fn cases(&self) -> &[TestCase] {
        &self.cases
    }
    /// The project manifest that governs its script, if any.
    ///
    /// See the example on [`TestFile`].
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// The script's name in diagnostics.
    pub(crate) fn script_name(&self) -> String {
        self.script_path.display().to_string()
    }

    /// A fresh tenant for one case.
    pub(crate) fn fresh_tenant(&self) -> Directory {
        self.tenant.fresh()
    }

    /// The script's source text.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    /// The compile options of a case: the declared inputs plus its variables,
    /// as `run --var` declares them.
    pub(crate) fn compile_options(&self, case: &TestCase) -> CompileOptions {
        let mut inputs = self.inputs.clone();
        inputs.extend(case.vars.keys().cloned());
        inputs.sort();
        inputs.dedup();
        CompileOptions { inputs }
    }
}
