//! Test files: the TOML model (with spans, for error lines) and loading,
//! which checks everything that can be checked before a case runs.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::error::{closest, LineIndex, Problem, TestFileError};
use super::expect::{ActionRef, Expect, VarExpect};
use super::mock::{Mock, MockResult};
use super::names::{bad_stem, file_safe, snapshot_stem, TEST_FILE_SUFFIX};
use super::TestRunner;
use crate::action::{BranchId, PropertyKind};
use crate::files::read_text;
use crate::manifest::{toml_to_json, toml_to_value, Manifest};
use crate::permissions::Directory;
use crate::runtime::{FixedClock, Outcome, Value};
use crate::syntax::is_variable_name;
use crate::{CompileOptions, Script, ScriptUnit};

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

#[derive(Deserialize)]
struct RawFile {
    script: Option<Spanned<String>>,
    tenant: Option<Spanned<String>>,
    now: Option<Spanned<toml::Value>>,
    max_steps: Option<u64>,
    #[serde(default)]
    inputs: Vec<Spanned<String>>,
}

/// The keys each table of a test file may have (checked on the parsed
/// document, so that every unknown key is reported at once).
const FILE_KEYS: &[&str] = &["script", "tenant", "now", "max_steps", "inputs", "case"];
const CASE_KEYS: &[&str] = &[
    "name",
    "vars",
    "now",
    "max_steps",
    "snapshot",
    "expect",
    "mock",
];
const EXPECT_KEYS: &[&str] = &[
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
];
const MOCK_KEYS: &[&str] = &["action", "results"];
const RESULT_KEYS: &[&str] = &["branch", "case", "set", "err", "security_user"];

/// At most this many mistakes of one test file are reported (then a count).
const MAX_ERRORS: usize = 100;

#[derive(Deserialize)]
struct RawCase {
    name: Spanned<String>,
    #[serde(default)]
    vars: IndexMap<Spanned<String>, toml::Value>,
    now: Option<Spanned<toml::Value>>,
    max_steps: Option<u64>,
    #[serde(default)]
    snapshot: bool,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    mock: Vec<RawMock>,
}

#[derive(Deserialize, Default)]
struct RawExpect {
    outcome: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    error: Option<String>,
    path: Option<Vec<Spanned<String>>>,
    visits: Option<Vec<Spanned<String>>>,
    not_visits: Option<Vec<Spanned<String>>>,
    steps: Option<u64>,
    variables: Option<IndexMap<Spanned<String>, Spanned<toml::Value>>>,
    warnings: Option<Vec<String>>,
    #[serde(rename = "return")]
    returned: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct RawMock {
    action: Spanned<String>,
    results: Spanned<Vec<Spanned<RawResult>>>,
}

#[derive(Deserialize)]
struct RawResult {
    branch: Option<Spanned<String>>,
    case: Option<Spanned<toml::Value>>,
    #[serde(default)]
    set: IndexMap<Spanned<String>, toml::Value>,
    err: Option<String>,
    security_user: Option<String>,
}

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

/// The project root of a test file's folder: RunSub's rule
/// ([`crate::FileResolver`]), the nearest folder upward holding
/// `studioflow.toml`, else the folder itself (`.` for the empty path).
fn project_root(folder: &Path) -> PathBuf {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    crate::resolver::FileResolver::root_for(folder)
}

/// Loads what a test file names, with each problem placed in the test file.
///
/// Every mistake it can find is collected (up to [`MAX_ERRORS`]), as `check`
/// reports every mistake of a script: unknown keys, values of the wrong
/// type, unknown outcomes, ids and branches, all in one pass.
pub(crate) struct Loader<'a> {
    runner: &'a TestRunner,
    path: &'a Path,
    text: String,
    lines: LineIndex,
    errors: RefCell<Vec<TestFileError>>,
    dropped: Cell<usize>,
    /// Keys an unknown key looks like a misspelling of (their "missing
    /// field" error would say the same mistake twice).
    misspelt: RefCell<Vec<String>>,
}

/// What a case's expectations and mocks are checked against.
struct Target<'s> {
    script: &'s Script,
}

impl<'a> Loader<'a> {
    pub fn new(runner: &'a TestRunner, path: &'a Path, text: String) -> Self {
        let lines = LineIndex::new(&text);
        Loader {
            runner,
            path,
            text,
            lines,
            errors: RefCell::new(Vec::new()),
            dropped: Cell::new(0),
            misspelt: RefCell::new(Vec::new()),
        }
    }

    fn error(&self, span: Range<usize>, problem: Problem) -> TestFileError {
        let (line, column) = self.lines.line_col(&self.text, span.start);
        TestFileError {
            path: self.path.to_owned(),
            line,
            column,
            problem: Box::new(problem),
        }
    }

    /// Records a mistake; the load goes on to find the others.
    fn push(&self, error: TestFileError) {
        let mut errors = self.errors.borrow_mut();
        if errors.len() < MAX_ERRORS {
            errors.push(error);
        } else {
            self.dropped.set(self.dropped.get() + 1);
        }
    }

    /// `Some(value)`, or records the error and gives `None`.
    fn ok<T>(&self, result: Result<T, TestFileError>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// A serde error of a part of the file, unless it is the "missing
    /// field" of a key already reported as misspelt.
    fn push_toml_error(&self, e: &toml::de::Error) {
        let message = e.message();
        let repeated = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .is_some_and(|field| self.misspelt.borrow().iter().any(|m| m == field));
        if !repeated {
            self.push(self.toml_error(e));
        }
    }

    fn toml_error(&self, e: &toml::de::Error) -> TestFileError {
        self.error(
            e.span().unwrap_or(0..0),
            Problem::Toml(e.message().trim().to_string()),
        )
    }

    fn line(&self, span: &Range<usize>) -> usize {
        self.lines.line_col(&self.text, span.start).0
    }

    /// The collected mistakes, in file order (file-wide ones first).
    fn take_errors(&self) -> Vec<TestFileError> {
        let mut errors = self.errors.take();
        errors.sort_by_key(|e| (e.line, e.column));
        let dropped = self.dropped.get();
        if dropped > 0 {
            errors.push(self.error(0..0, Problem::TooManyErrors(dropped)));
            if let Some(last) = errors.last_mut() {
                last.line = 0;
            }
        }
        errors
    }

    /// `now`: an RFC 3339 string or a TOML offset datetime.
    fn clock(&self, value: &Spanned<toml::Value>) -> Result<FixedClock, TestFileError> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => other.to_string(),
        };
        FixedClock::parse(&text).map_err(|e| {
            self.error(
                value.span(),
                Problem::BadTime {
                    text,
                    reason: e.to_string(),
                },
            )
        })
    }

    /// Reports every key of `table` that is not one of `known`, and walks
    /// into the tables below that have keys of their own.
    fn unknown_keys(&self, table: &DeTable<'_>, known: &[&str]) {
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if !known.contains(&name) {
                let close = closest(name, known.iter().copied());
                if let Some(close) = &close {
                    self.misspelt.borrow_mut().push(close.clone());
                }
                let suggestion = close
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                let expected: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                self.push(self.error(
                    key.span(),
                    Problem::Toml(format!(
                        "unknown field `{name}`, expected one of {}{suggestion}",
                        expected.join(", ")
                    )),
                ));
                continue;
            }
            let below = match (known, name) {
                (k, "case") if std::ptr::eq(k, FILE_KEYS) => Some(CASE_KEYS),
                (k, "expect") if std::ptr::eq(k, CASE_KEYS) => Some(EXPECT_KEYS),
                (k, "mock") if std::ptr::eq(k, CASE_KEYS) => Some(MOCK_KEYS),
                (k, "results") if std::ptr::eq(k, MOCK_KEYS) => Some(RESULT_KEYS),
                _ => None,
            };
            if let Some(below) = below {
                self.unknown_keys_in(value.get_ref(), below);
            }
        }
    }

    /// [`Loader::unknown_keys`] of a table, or of each table of an array.
    fn unknown_keys_in(&self, value: &DeValue<'_>, known: &[&str]) {
        match value {
            DeValue::Table(table) => self.unknown_keys(table, known),
            DeValue::Array(items) => {
                for item in items.iter() {
                    if let DeValue::Table(table) = item.get_ref() {
                        self.unknown_keys(table, known);
                    }
                }
            }
            _ => {}
        }
    }

    /// Parses and checks the whole file; every mistake found, in file order.
    pub fn load(self) -> Result<TestFile, Vec<TestFileError>> {
        let result = self.load_inner();
        let errors = self.take_errors();
        match result {
            Some(file) if errors.is_empty() => Ok(file),
            _ if errors.is_empty() => {
                Err(vec![self.error(
                    0..0,
                    Problem::Toml("the file cannot be loaded".into()),
                )])
            }
            _ => Err(errors),
        }
    }

    fn load_inner(&self) -> Option<TestFile> {
        // Syntax errors end the load: nothing after them can be placed.
        let text: &str = &self.text;
        let document = match DeTable::parse(text) {
            Ok(document) => document,
            Err(e) => {
                self.push(self.toml_error(&e));
                return None;
            }
        };
        self.unknown_keys(document.get_ref(), FILE_KEYS);

        // The top-level keys and each case are read on their own, so a
        // value of the wrong type in one does not hide the others' mistakes.
        let document_span = document.span();
        let mut top = DeTable::new();
        let mut raw_cases: Vec<Spanned<DeValue<'_>>> = Vec::new();
        let mut case_key_span = None;
        for (key, value) in document.into_inner() {
            if &**key.get_ref() == "case" {
                case_key_span = Some(key.span());
                let span = value.span();
                match value.into_inner() {
                    DeValue::Array(items) if items.is_empty() => {
                        self.push(self.error(key.span(), Problem::NoCases))
                    }
                    DeValue::Array(items) => raw_cases.extend(items),
                    _ => self.push(self.error(
                        span,
                        Problem::Toml(
                            "invalid type: `case` is an array of tables ([[case]])".into(),
                        ),
                    )),
                }
            } else {
                top.insert(key, value);
            }
        }
        let raw = RawFile::deserialize(ValueDeserializer::from(Spanned::new(
            document_span.clone(),
            DeValue::Table(top),
        )))
        .map_err(|e| self.push_toml_error(&e))
        .ok();
        if case_key_span.is_none() {
            self.push(self.error(0..0, Problem::NoCases));
        }
        if let Some(extra) = raw_cases.get(MAX_CASES) {
            self.push(self.error(
                extra.span(),
                Problem::TooManyCases {
                    count: raw_cases.len(),
                    max: MAX_CASES,
                },
            ));
            raw_cases.truncate(MAX_CASES);
        }
        let mut cases = Vec::new();
        for raw_case in raw_cases {
            let span = raw_case.span();
            if !matches!(raw_case.get_ref(), DeValue::Table(_)) {
                self.push(self.error(
                    span,
                    Problem::Toml("invalid type: each `case` is a table".into()),
                ));
                continue;
            }
            match RawCase::deserialize(ValueDeserializer::from(raw_case)) {
                Ok(case) => cases.push(case),
                Err(e) => self.push_toml_error(&e),
            }
        }

        let raw = raw?;
        let folder = self.path.parent().unwrap_or(Path::new(""));

        // The script: `script = "..."`, else NAME.script beside NAME.test.toml.
        let script_file = match &raw.script {
            Some(s) => self
                .ok(self.confined(folder, "script", s))
                .map(|p| (p, s.span())),
            None => {
                let file_name = self
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                match file_name.strip_suffix(TEST_FILE_SUFFIX) {
                    Some(stem) if !stem.is_empty() => {
                        let path = folder.join(format!("{stem}.script"));
                        self.ok(self.check_inside_root(folder, "script", &path, &(0..0)))
                            .map(|()| (path, 0..0))
                    }
                    _ => {
                        self.push(self.error(0..0, Problem::NoScript));
                        None
                    }
                }
            }
        };
        let source = script_file.as_ref().and_then(|(script_path, script_span)| {
            self.ok(read_text(script_path, MAX_INPUT_BYTES).map_err(|e| {
                self.error(
                    script_span.clone(),
                    Problem::MissingFile {
                        key: "script",
                        path: script_path.display().to_string(),
                        reason: e.reason(),
                    },
                )
            }))
        });

        let tenant = match &raw.tenant {
            None => Some(Tenant::Demo),
            Some(t) => self.ok(self.tenant(folder, t)),
        };
        let file_now = match &raw.now {
            Some(now) => self.ok(self.clock(now)),
            None => Some(FixedClock::parse(DEFAULT_NOW).expect("the default time parses")),
        };
        let mut inputs = Vec::new();
        for input in &raw.inputs {
            if is_variable_name(input.get_ref()) {
                inputs.push(input.get_ref().clone());
            } else {
                self.push(self.error(
                    input.span(),
                    Problem::BadVariableName(input.get_ref().clone()),
                ));
            }
        }
        let manifest = match &script_file {
            Some((script_path, _)) => self.ok(Manifest::for_script(script_path).map_err(|e| {
                TestFileError {
                    // The error is in the manifest, which it names with its line.
                    path: self.path.to_owned(),
                    line: 0,
                    column: 0,
                    problem: Box::new(Problem::Manifest(e.to_string())),
                }
            })),
            None => None,
        };

        // Compile once, with the file's tenant and clock, to check the script
        // and everything the cases name in it. Without a script, the cases
        // are still checked for everything that does not need it.
        let mut file = None;
        let mut script = None;
        if let (Some((script_path, script_span)), Some(source), Some(tenant), Some(manifest)) =
            (script_file, source, tenant, manifest)
        {
            let loaded = TestFile {
                path: self.path.to_owned(),
                script_path,
                source,
                tenant,
                inputs,
                manifest,
                cases: Vec::new(),
            };
            let engine = self.runner.engine(
                loaded.fresh_tenant(),
                file_now.unwrap_or_else(|| {
                    FixedClock::parse(DEFAULT_NOW).expect("the default time parses")
                }),
                loaded.manifest.as_ref(),
            );
            let options = CompileOptions {
                inputs: loaded.inputs.clone(),
            };
            script = self.ok(engine
                .compile_with(&loaded.source, &loaded.script_name(), &options)
                .map_err(|diagnostics| {
                    self.error(
                        script_span.clone(),
                        Problem::Compile {
                            script: loaded.script_name(),
                            diagnostics: diagnostics
                                .with_input_hint(|name| format!("--var {name}"))
                                .to_string(),
                        },
                    )
                }));
            file = Some(loaded);
        }
        let target = script.as_ref().map(|script| Target { script });

        let mut names: HashMap<String, usize> = HashMap::new();
        let mut snapshot_files: HashMap<String, String> = HashMap::new();
        let mut checked = Vec::new();
        for case in cases {
            let name = case.name.get_ref().clone();
            let name_line = self.line(&case.name.span());
            if name.is_empty() {
                self.push(self.error(case.name.span(), Problem::EmptyName));
            }
            if let Some(&first_line) = names.get(&name) {
                self.push(self.error(
                    case.name.span(),
                    Problem::DuplicateCase {
                        name: name.clone(),
                        first_line,
                    },
                ));
            } else {
                names.insert(name.clone(), name_line);
            }
            if case.snapshot {
                if let Some(why) = bad_stem(snapshot_stem(self.path)) {
                    self.push(self.error(case.name.span(), Problem::BadSnapshot(why)));
                }
                let safe = file_safe(&name);
                if let Some(first) = snapshot_files.get(&safe) {
                    self.push(self.error(
                        case.name.span(),
                        Problem::SnapshotCollision {
                            first: first.clone(),
                            second: name.clone(),
                            file: format!("{safe}.json"),
                        },
                    ));
                } else {
                    snapshot_files.insert(safe, name.clone());
                }
            }
            let mut vars = IndexMap::new();
            for (var, value) in &case.vars {
                if is_variable_name(var.get_ref()) {
                    vars.insert(var.get_ref().clone(), toml_to_value(value));
                } else {
                    self.push(
                        self.error(var.span(), Problem::BadVariableName(var.get_ref().clone())),
                    );
                }
            }
            let now = match &case.now {
                Some(now) => self.ok(self.clock(now)),
                None => file_now,
            };
            let expect = self.expect(case.expect, target.as_ref());
            let mocks = self.mocks(case.mock, target.as_ref());
            if let (Some(now), Some(mocks)) = (now, mocks) {
                checked.push(TestCase {
                    name,
                    line: name_line,
                    vars,
                    now,
                    max_steps: case.max_steps.or(raw.max_steps),
                    snapshot: case.snapshot,
                    expect,
                    mocks,
                });
            }
        }
        let mut file = file?;
        script?;
        file.cases = checked;
        Some(file)
    }

    /// `tenant = "..."`: read and checked once, copied fresh for each case.
    fn tenant(&self, folder: &Path, written: &Spanned<String>) -> Result<Tenant, TestFileError> {
        let tenant_path = self.confined(folder, "tenant", written)?;
        let text = read_text(&tenant_path, MAX_INPUT_BYTES).map_err(|e| {
            self.error(
                written.span(),
                Problem::MissingFile {
                    key: "tenant",
                    path: tenant_path.display().to_string(),
                    reason: e.reason(),
                },
            )
        })?;
        Directory::from_json_str(&text).map_err(|e| {
            self.error(
                written.span(),
                Problem::Tenant(format!("{}: {e}", tenant_path.display())),
            )
        })?;
        Ok(Tenant::Json(text.into()))
    }

    /// An action an expectation names: `id` in the tested script, or
    /// `script:id` inside a subscript; as the trace names it.
    fn action_id(
        &self,
        target: Option<&Target<'_>>,
        id: &Spanned<String>,
        what: &'static str,
    ) -> Option<ActionRef> {
        let target = target?;
        let (unit, action) = self.ok(self.resolve_action(target.script, id, what))?;
        let (unit_index, flow) = match unit {
            Some(unit) => (unit.index(), unit.flow()),
            None => (0, target.script.flow()),
        };
        Some(ActionRef {
            name: match unit {
                Some(unit) => format!("{}:{}", unit.label(), action.id),
                None => action.id.to_string(),
            },
            unit: unit_index,
            action: flow
                .iter()
                .position(|f| f.id == action.id)
                .unwrap_or(usize::MAX),
        })
    }

    fn ids(
        &self,
        target: Option<&Target<'_>>,
        ids: Option<Vec<Spanned<String>>>,
        what: &'static str,
    ) -> Option<Vec<ActionRef>> {
        let ids = ids?;
        let checked: Vec<ActionRef> = ids
            .iter()
            .filter_map(|id| self.action_id(target, id, what))
            .collect();
        (checked.len() == ids.len()).then_some(checked)
    }

    fn expect(&self, raw: RawExpect, target: Option<&Target<'_>>) -> Expect {
        let outcome = match &raw.outcome {
            None => None,
            Some(word) => match word.get_ref().as_str() {
                "completed" => Some(Outcome::Completed),
                "stopped" => Some(Outcome::Stopped),
                "limit" => Some(Outcome::Limit),
                "cancelled" => Some(Outcome::Cancelled),
                other => {
                    self.push(self.error(word.span(), Problem::UnknownOutcome(other.to_string())));
                    None
                }
            },
        };
        let end = raw
            .end
            .as_ref()
            .and_then(|end| self.action_id(target, end, "expect.end"))
            .map(|end| end.name);
        let returned = raw
            .returned
            .as_ref()
            .and_then(|value| self.ok(self.variable_expectation(value)));
        let mut variables = None;
        if let Some(raw_variables) = &raw.variables {
            let mut checked = Vec::new();
            for (name, value) in raw_variables {
                if let Some(expected) = self.ok(self.variable_expectation(value)) {
                    checked.push((name.get_ref().clone(), expected));
                }
            }
            variables = Some(checked);
        }
        Expect {
            outcome,
            end,
            error: raw.error,
            path: self.ids(target, raw.path, "expect.path"),
            visits: self.ids(target, raw.visits, "expect.visits"),
            not_visits: self.ids(target, raw.not_visits, "expect.not_visits"),
            steps: raw.steps,
            variables,
            warnings: raw.warnings,
            returned,
        }
    }

    /// A value in `expect.variables`: exact, `{ contains = "..." }` or
    /// `{ matches = "regex" }`.
    fn variable_expectation(
        &self,
        value: &Spanned<toml::Value>,
    ) -> Result<VarExpect, TestFileError> {
        let matcher = match value.get_ref() {
            toml::Value::Table(table) if table.len() == 1 => table
                .iter()
                .next()
                .filter(|(key, _)| matches!(key.as_str(), "contains" | "matches")),
            _ => None,
        };
        let Some((key, operand)) = matcher else {
            return Ok(VarExpect::Equals(toml_to_json(value.get_ref())));
        };
        let toml::Value::String(text) = operand else {
            return Err(self.error(
                value.span(),
                Problem::BadPattern(format!(
                    "`{key}` takes a string, not {}",
                    operand.type_str()
                )),
            ));
        };
        if key == "contains" {
            return Ok(VarExpect::Contains(text.clone()));
        }
        VarExpect::pattern(text).map_err(|why| self.error(value.span(), Problem::BadPattern(why)))
    }

    /// The action `written` names: `id` in the tested script, or
    /// `script:id` inside a subscript (the script as its RunSub names it).
    fn resolve_action<'s>(
        &self,
        script: &'s Script,
        written: &Spanned<String>,
        what: &'static str,
    ) -> Result<(Option<ScriptUnit<'s>>, &'s crate::compile::CompiledAction), TestFileError> {
        let (unit, id) = match written.get_ref().rsplit_once(':') {
            None => (None, written.get_ref().as_str()),
            Some((name, id)) => {
                let subscripts = || script.units().filter(|u| u.is_subscript());
                match subscripts().find(|u| u.label() == name) {
                    Some(unit) => (Some(unit), id),
                    None => {
                        let labels: Vec<&str> = subscripts().map(|u| u.label()).collect();
                        return Err(self.error(
                            written.span(),
                            Problem::UnknownSubscript {
                                what,
                                script: name.to_string(),
                                id: id.to_string(),
                                known: if labels.is_empty() {
                                    "it calls none".into()
                                } else {
                                    format!("it calls {}", labels.join(", "))
                                },
                                suggestion: closest(name, labels.iter().copied())
                                    .map(|s| format!("{s}:{id}")),
                            },
                        ));
                    }
                }
            }
        };
        let inner = unit.map_or(&*script.inner, |u| u.inner());
        let ids = || inner.actions.iter().map(|a| &*a.id);
        match inner.actions.iter().find(|a| &*a.id == id) {
            Some(action) => Ok((unit, action)),
            None => {
                let prefix = unit.map(|u| format!("{}:", u.label())).unwrap_or_default();
                // A bare id of a subscript's action: say how to name it.
                let in_subscript = || {
                    script
                        .units()
                        .filter(|u| u.is_subscript())
                        .find(|u| u.inner().actions.iter().any(|a| &*a.id == id))
                        .map(|u| format!("{}:{id}", u.label()))
                };
                let suggestion = closest(id, ids())
                    .map(|s| format!("{prefix}{s}"))
                    .or_else(|| unit.is_none().then(in_subscript).flatten());
                Err(self.error(
                    written.span(),
                    Problem::UnknownAction {
                        what,
                        id: written.get_ref().clone(),
                        suggestion,
                    },
                ))
            }
        }
    }

    /// The mocks of a case; `None` when one of them is bad (each reported).
    fn mocks(&self, raw: Vec<RawMock>, target: Option<&Target<'_>>) -> Option<Vec<Mock>> {
        let mut mocks: Vec<Mock> = Vec::new();
        let mut all_good = true;
        for mock in raw {
            if mock.results.get_ref().is_empty() {
                all_good = false;
                self.push(self.error(
                    mock.results.span(),
                    Problem::BadMock(
                        "`results` is empty: give one result per execution (the last one repeats)"
                            .into(),
                    ),
                ));
            }
            let Some(target) = target else {
                continue;
            };
            let Some((unit, action)) =
                self.ok(self.resolve_action(target.script, &mock.action, "mock"))
            else {
                all_good = false;
                continue;
            };
            let label: Option<Arc<str>> = unit.map(|u| Arc::from(u.label()));
            if mocks
                .iter()
                .any(|m| m.action == action.id && m.script == label)
            {
                all_good = false;
                self.push(self.error(
                    mock.action.span(),
                    Problem::DuplicateMock(mock.action.get_ref().clone()),
                ));
                continue;
            }
            let mut results = Vec::new();
            for result in mock.results.into_inner() {
                match self.mock_result(action, result) {
                    Ok(result) => results.push(result),
                    Err(e) => {
                        all_good = false;
                        self.push(e);
                    }
                }
            }
            mocks.push(Mock {
                script: label,
                action: action.id.clone(),
                results,
            });
        }
        all_good.then_some(mocks)
    }

    /// One mocked result, checked against the action it replaces.
    fn mock_result(
        &self,
        action: &crate::compile::CompiledAction,
        result: Spanned<RawResult>,
    ) -> Result<MockResult, TestFileError> {
        let span = result.span();
        let result = result.into_inner();
        let mut branch = match (&result.branch, &result.case) {
            (Some(_), Some(case)) => {
                return Err(self.error(
                    case.span(),
                    Problem::BadMock("a result takes `branch` or `case`, not both".into()),
                ))
            }
            (None, None) if result.err.is_some() => BranchId::ERROR,
            (None, None) => BranchId::DEFAULT,
            (Some(name), None) => self.branch(action, name)?,
            (None, Some(label)) => self.case_label(action, label)?,
        };
        if result.err.is_some() && branch != BranchId::ERROR {
            return Err(self.error(
                span,
                Problem::BadMock(
                    "`err` is the _ERR text of `branch = \"Error\"`; this result takes another branch"
                        .into(),
                ),
            ));
        }
        if action.terminal && branch != BranchId::ERROR {
            branch = BranchId::DEFAULT;
        }
        let mut set = Vec::new();
        for (var, value) in &result.set {
            if !is_variable_name(var.get_ref()) {
                return Err(self.error(var.span(), Problem::BadVariableName(var.get_ref().clone())));
            }
            set.push((var.get_ref().clone(), toml_to_value(value)));
        }
        let security_user = match result.security_user {
            None => None,
            Some(agent) => {
                let slot = action
                    .schema
                    .properties
                    .iter()
                    .position(|p| p.kind == PropertyKind::OutputVariable);
                match slot {
                    Some(slot) => Some((agent, slot)),
                    None => {
                        return Err(self.error(
                            span,
                            Problem::BadMock(format!(
                                "`security_user` needs a result variable, and {} has no output-variable property",
                                action.type_name
                            )),
                        ))
                    }
                }
            }
        };
        Ok(MockResult {
            branch,
            err: (branch == BranchId::ERROR)
                .then(|| result.err.unwrap_or_else(|| "mocked error".into())),
            set,
            security_user,
        })
    }

    /// A file the test file names (`script`, `tenant`), relative to the
    /// test file's folder and inside the project root, as RunSub's files are.
    fn confined(
        &self,
        folder: &Path,
        key: &'static str,
        written: &Spanned<String>,
    ) -> Result<PathBuf, TestFileError> {
        let relative = Path::new(written.get_ref());
        let root = project_root(folder);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(self.error(
                written.span(),
                Problem::OutsideRoot {
                    key,
                    path: written.get_ref().clone(),
                    root: root.display().to_string(),
                },
            ));
        }
        if key == "script" && relative.extension().is_none_or(|x| x != "script") {
            return Err(self.error(
                written.span(),
                Problem::NotAScript(written.get_ref().clone()),
            ));
        }
        let path = folder.join(relative);
        self.check_inside_root(folder, key, &path, &written.span())?;
        Ok(path)
    }

    /// Refuses `path` when its real location (symbolic links and `..`
    /// resolved) is outside the project root of `folder`. A path that does
    /// not exist is left to the read that follows (which says so).
    fn check_inside_root(
        &self,
        folder: &Path,
        key: &'static str,
        path: &Path,
        span: &Range<usize>,
    ) -> Result<(), TestFileError> {
        let root = project_root(folder);
        // A missing file: its folder's real location (the read that
        // follows reports it missing); a missing folder: nothing to check.
        let real = path
            .canonicalize()
            .or_else(|e| match (path.parent(), path.file_name()) {
                (Some(parent), Some(name)) => {
                    let parent = if parent.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        parent
                    };
                    parent.canonicalize().map(|p| p.join(name))
                }
                _ => Err(e),
            });
        let Ok(real) = real else {
            return Ok(());
        };
        let inside = root
            .canonicalize()
            .is_ok_and(|real_root| real.starts_with(real_root));
        if inside {
            Ok(())
        } else {
            Err(self.error(
                span.clone(),
                Problem::OutsideRoot {
                    key,
                    path: path.display().to_string(),
                    root: root.display().to_string(),
                },
            ))
        }
    }

    /// `branch = "Name"`: Default, Error or an own branch, spelled as in the schema.
    fn branch(
        &self,
        action: &crate::compile::CompiledAction,
        name: &Spanned<String>,
    ) -> Result<BranchId, TestFileError> {
        let written = name.get_ref().as_str();
        let mut known: Vec<&str> = vec!["Default", "Error"];
        if action.terminal {
            known = vec!["Error"];
        } else {
            known.extend(action.schema.branches.iter().map(String::as_str));
        }
        if let Some(i) = known.iter().position(|k| *k == written) {
            return Ok(match (action.terminal, i) {
                (true, _) => BranchId::ERROR,
                (false, 0) => BranchId::DEFAULT,
                (false, 1) => BranchId::ERROR,
                (false, n) => BranchId::own(n as u32 - 2),
            });
        }
        if action.terminal {
            return Err(self.error(
                name.span(),
                Problem::BadMock(format!(
                    "action `{}` ({}) ends the script and has no branches: leave `branch` out, or give `err = \"...\"` to make it fail",
                    action.id, action.type_name
                )),
            ));
        }
        let labeled = action.schema.labeled_branch.as_deref();
        let hint = if labeled.is_some_and(|l| l.eq_ignore_ascii_case(written)) {
            Some(format!(
                "case = \"<label>\"` to take a `{written}` branch; or `branch = \"Default"
            ))
        } else {
            known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(written))
                .map(|k| k.to_string())
                .or_else(|| closest(written, known.iter().copied()))
        };
        Err(self.error(
            name.span(),
            Problem::UnknownBranch {
                action: action.id.to_string(),
                action_type: action.type_name.to_string(),
                branch: format!("`{written}`"),
                known: known.join(", "),
                suggestion: hint,
            },
        ))
    }

    /// `case = "label"`: the labeled branch whose label matches, compared as Case compares (as text).
    fn case_label(
        &self,
        action: &crate::compile::CompiledAction,
        label: &Spanned<toml::Value>,
    ) -> Result<BranchId, TestFileError> {
        let text = match label.get_ref() {
            toml::Value::Table(_) | toml::Value::Array(_) => {
                return Err(self.error(
                    label.span(),
                    Problem::BadMock("`case` takes a label: a string or a number".into()),
                ))
            }
            value => toml_to_value(value).to_text(),
        };
        if let Some(i) = action.labels.iter().position(|l| **l == *text) {
            return Ok(BranchId::label(i as u32));
        }
        let known = if action.labels.is_empty() {
            "none (it has no labeled branches)".to_string()
        } else {
            action
                .labels
                .iter()
                .map(|l| format!("{:?}", &**l))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(self.error(
            label.span(),
            Problem::UnknownBranch {
                action: action.id.to_string(),
                action_type: action.type_name.to_string(),
                branch: format!("labeled {text:?}"),
                known,
                suggestion: closest(&text, action.labels.iter().map(|l| &**l)),
            },
        ))
    }
}
