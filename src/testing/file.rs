//! Test files: the TOML model (with spans, for error lines) and loading,
//! which checks everything that can be checked before a case runs.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::error::{closest, line_col, Problem, TestFileError};
use super::expect::Expect;
use super::mock::{Mock, MockResult};
use super::snapshot::{bad_stem, file_safe, snapshot_stem};
use super::{file_reason, read_text, TestRunner};
use crate::action::{BranchId, PropertyKind};
use crate::manifest::{toml_to_json, toml_to_value, Manifest};
use crate::permissions::Directory;
use crate::runtime::{FixedClock, Outcome, Value};
use crate::{CompileOptions, Script, ScriptUnit};

/// The clock of a case that sets no `now`: results never depend on the wall clock.
pub const DEFAULT_NOW: &str = "2026-03-08T06:30:00Z";

/// The suffix that marks a test file.
pub const TEST_FILE_SUFFIX: &str = ".test.toml";

/// Scripts and tenant files larger than this are refused.
const MAX_INPUT_BYTES: u64 = crate::files::DEFAULT_MAX_INPUT_BYTES;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    script: Option<Spanned<String>>,
    tenant: Option<Spanned<String>>,
    now: Option<Spanned<toml::Value>>,
    max_steps: Option<u64>,
    #[serde(default)]
    inputs: Vec<Spanned<String>>,
    #[serde(default)]
    case: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
struct RawExpect {
    outcome: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    error: Option<String>,
    path: Option<Vec<Spanned<String>>>,
    visits: Option<Vec<Spanned<String>>>,
    not_visits: Option<Vec<Spanned<String>>>,
    steps: Option<u64>,
    variables: Option<IndexMap<String, toml::Value>>,
    warnings: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMock {
    action: Spanned<String>,
    results: Spanned<Vec<Spanned<RawResult>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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

/// The project root of a test file's folder, by the rule RunSub's files
/// follow ([`crate::FileResolver`]): the nearest folder upward holding
/// `studioflow.toml`, else the folder itself.
fn project_root(folder: &Path) -> PathBuf {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let mut dir = Some(folder);
    while let Some(d) = dir {
        if d.join("studioflow.toml").is_file() {
            return if d.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                d.to_path_buf()
            };
        }
        dir = d.parent();
    }
    folder.to_path_buf()
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Loads what a test file names, with each problem placed in the test file.
pub(crate) struct Loader<'a> {
    pub runner: &'a TestRunner,
    pub path: &'a Path,
    pub text: String,
}

impl Loader<'_> {
    fn error(&self, span: Range<usize>, problem: Problem) -> TestFileError {
        let (line, column) = line_col(&self.text, span.start);
        TestFileError {
            path: self.path.to_owned(),
            line,
            column,
            problem: Box::new(problem),
        }
    }

    fn line(&self, span: &Range<usize>) -> usize {
        line_col(&self.text, span.start).0
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

    pub fn load(self) -> Result<TestFile, TestFileError> {
        let raw: RawFile = toml::from_str(&self.text).map_err(|e| {
            self.error(
                e.span().unwrap_or(0..0),
                Problem::Toml(e.message().trim().to_string()),
            )
        })?;
        let folder = self.path.parent().unwrap_or(Path::new(""));

        // The script: `script = "..."`, else NAME.script beside NAME.test.toml.
        let (script_path, script_span) = match &raw.script {
            Some(s) => (self.confined(folder, "script", s)?, s.span()),
            None => {
                let file_name = self
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                match file_name.strip_suffix(TEST_FILE_SUFFIX) {
                    Some(stem) if !stem.is_empty() => (folder.join(format!("{stem}.script")), 0..0),
                    _ => return Err(self.error(0..0, Problem::NoScript)),
                }
            }
        };
        if raw.script.is_none() {
            self.check_inside_root(folder, "script", &script_path, &(0..0))?;
        }
        let source = read_text(&script_path, MAX_INPUT_BYTES).map_err(|e| {
            self.error(
                script_span.clone(),
                Problem::MissingFile {
                    key: "script",
                    path: script_path.display().to_string(),
                    reason: file_reason(&e),
                },
            )
        })?;

        let tenant = match &raw.tenant {
            None => Tenant::Demo,
            Some(t) => {
                let tenant_path = self.confined(folder, "tenant", t)?;
                let text = read_text(&tenant_path, MAX_INPUT_BYTES).map_err(|e| {
                    self.error(
                        t.span(),
                        Problem::MissingFile {
                            key: "tenant",
                            path: tenant_path.display().to_string(),
                            reason: file_reason(&e),
                        },
                    )
                })?;
                Directory::from_json_str(&text).map_err(|e| {
                    self.error(
                        t.span(),
                        Problem::Tenant(format!("{}: {e}", tenant_path.display())),
                    )
                })?;
                Tenant::Json(text.into())
            }
        };
        let file_now = match &raw.now {
            Some(now) => self.clock(now)?,
            None => FixedClock::parse(DEFAULT_NOW).expect("the default time parses"),
        };
        let mut inputs = Vec::new();
        for input in &raw.inputs {
            if !is_variable_name(input.get_ref()) {
                return Err(self.error(
                    input.span(),
                    Problem::BadVariableName(input.get_ref().clone()),
                ));
            }
            inputs.push(input.get_ref().clone());
        }
        let manifest = Manifest::for_script(&script_path).map_err(|e| TestFileError {
            // The error is in the manifest, which it names with its line.
            path: self.path.to_owned(),
            line: 0,
            column: 0,
            problem: Box::new(Problem::Manifest(e.to_string())),
        })?;

        let mut file = TestFile {
            path: self.path.to_owned(),
            script_path,
            source,
            tenant,
            inputs,
            manifest,
            cases: Vec::new(),
        };

        // Compile once, with the file's tenant and clock, to check the script
        // and everything the cases name in it.
        let engine = self
            .runner
            .engine(file.fresh_tenant(), file_now, file.manifest.as_ref());
        let options = CompileOptions {
            inputs: file.inputs.clone(),
        };
        let script = engine
            .compile_with(&file.source, &file.script_name(), &options)
            .map_err(|diagnostics| {
                self.error(
                    script_span.clone(),
                    Problem::Compile {
                        script: file.script_name(),
                        diagnostics: diagnostics.to_string(),
                    },
                )
            })?;

        if raw.case.is_empty() {
            return Err(self.error(0..0, Problem::NoCases));
        }
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut snapshot_files: HashMap<String, String> = HashMap::new();
        for case in raw.case {
            let name = case.name.get_ref().clone();
            let name_line = self.line(&case.name.span());
            if name.is_empty() {
                return Err(self.error(case.name.span(), Problem::EmptyName));
            }
            if let Some(&first_line) = names.get(&name) {
                return Err(self.error(
                    case.name.span(),
                    Problem::DuplicateCase { name, first_line },
                ));
            }
            names.insert(name.clone(), name_line);
            if case.snapshot {
                if let Some(why) = bad_stem(snapshot_stem(self.path)) {
                    return Err(self.error(case.name.span(), Problem::BadSnapshot(why)));
                }
                let safe = file_safe(&name);
                if let Some(first) = snapshot_files.get(&safe) {
                    return Err(self.error(
                        case.name.span(),
                        Problem::SnapshotCollision {
                            first: first.clone(),
                            second: name,
                            file: format!("{safe}.json"),
                        },
                    ));
                }
                snapshot_files.insert(safe, name.clone());
            }
            let mut vars = IndexMap::new();
            for (var, value) in &case.vars {
                if !is_variable_name(var.get_ref()) {
                    return Err(
                        self.error(var.span(), Problem::BadVariableName(var.get_ref().clone()))
                    );
                }
                vars.insert(var.get_ref().clone(), toml_to_value(value));
            }
            let now = match &case.now {
                Some(now) => self.clock(now)?,
                None => file_now,
            };
            let expect = self.expect(case.expect, &script)?;
            let mocks = self.mocks(case.mock, &script)?;
            file.cases.push(TestCase {
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
        Ok(file)
    }

    /// Checks that an action id exists in the script.
    fn action_id(
        &self,
        script: &Script,
        id: &Spanned<String>,
        what: &'static str,
    ) -> Result<String, TestFileError> {
        let ids = || script.inner.actions.iter().map(|a| &*a.id);
        if ids().any(|a| a == id.get_ref()) {
            return Ok(id.get_ref().clone());
        }
        Err(self.error(
            id.span(),
            Problem::UnknownAction {
                what,
                id: id.get_ref().clone(),
                suggestion: closest(id.get_ref(), ids()),
            },
        ))
    }

    fn ids(
        &self,
        script: &Script,
        ids: Option<Vec<Spanned<String>>>,
        what: &'static str,
    ) -> Result<Option<Vec<String>>, TestFileError> {
        ids.map(|ids| {
            ids.iter()
                .map(|id| self.action_id(script, id, what))
                .collect()
        })
        .transpose()
    }

    fn expect(&self, raw: RawExpect, script: &Script) -> Result<Expect, TestFileError> {
        let outcome = match &raw.outcome {
            None => None,
            Some(word) => Some(match word.get_ref().as_str() {
                "completed" => Outcome::Completed,
                "stopped" => Outcome::Stopped,
                "limit" => Outcome::Limit,
                "cancelled" => Outcome::Cancelled,
                other => {
                    return Err(self.error(word.span(), Problem::UnknownOutcome(other.to_string())))
                }
            }),
        };
        let end = match &raw.end {
            Some(end) => Some(self.action_id(script, end, "expect.end")?),
            None => None,
        };
        Ok(Expect {
            outcome,
            end,
            error: raw.error,
            path: self.ids(script, raw.path, "expect.path")?,
            visits: self.ids(script, raw.visits, "expect.visits")?,
            not_visits: self.ids(script, raw.not_visits, "expect.not_visits")?,
            steps: raw.steps,
            variables: raw.variables.map(|vars| {
                vars.iter()
                    .map(|(k, v)| (k.clone(), toml_to_json(v)))
                    .collect()
            }),
            warnings: raw.warnings,
        })
    }

    /// The action a mock names: `id` in the tested script, or
    /// `script:id` inside a subscript (the script as its RunSub names it).
    fn mocked_action<'s>(
        &self,
        script: &'s Script,
        written: &Spanned<String>,
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
                                what: "mock",
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
                Err(self.error(
                    written.span(),
                    Problem::UnknownAction {
                        what: "mock",
                        id: written.get_ref().clone(),
                        suggestion: closest(id, ids()).map(|s| format!("{prefix}{s}")),
                    },
                ))
            }
        }
    }

    fn mocks(&self, raw: Vec<RawMock>, script: &Script) -> Result<Vec<Mock>, TestFileError> {
        let mut mocks: Vec<Mock> = Vec::new();
        for mock in raw {
            let (unit, action) = self.mocked_action(script, &mock.action)?;
            let label: Option<Arc<str>> = unit.map(|u| Arc::from(u.label()));
            if mocks
                .iter()
                .any(|m| m.action == action.id && m.script == label)
            {
                return Err(self.error(
                    mock.action.span(),
                    Problem::DuplicateMock(mock.action.get_ref().clone()),
                ));
            }
            if mock.results.get_ref().is_empty() {
                return Err(self.error(
                    mock.results.span(),
                    Problem::BadMock(
                        "`results` is empty: give one result per execution (the last one repeats)"
                            .into(),
                    ),
                ));
            }
            let mut results = Vec::new();
            for result in mock.results.into_inner() {
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
                        return Err(
                            self.error(var.span(), Problem::BadVariableName(var.get_ref().clone()))
                        );
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
                results.push(MockResult {
                    branch,
                    err: (branch == BranchId::ERROR)
                        .then(|| result.err.unwrap_or_else(|| "mocked error".into())),
                    set,
                    security_user,
                });
            }
            mocks.push(Mock {
                script: label,
                action: action.id.clone(),
                results,
            });
        }
        Ok(mocks)
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
