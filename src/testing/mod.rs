//! Testing flow scripts: test files, mocks, expectations, snapshots, branch
//! coverage and JUnit reports, as a library any host can call. The
//! `studioflow test` command is a thin host of it.
//!
//! A test file `NAME.test.toml` tests `NAME.script` beside it:
//!
//! ```toml
//! [[case]]
//! name = "gold caller goes to vip"
//! vars = { Tier = "gold" }
//!
//! [case.expect]
//! outcome = "completed"
//! path = ["start", "check", "vip", "done"]
//!
//! [[case.mock]]
//! action = "lookup"
//! results = [{ branch = "Error", err = "timeout" }, { branch = "Default" }]
//! ```
//!
//! Each case runs on a fresh engine the host builds (see
//! [`TestRunner::engine_factory`]) with a fresh copy of the case's tenant and
//! a fixed clock. Mocks, the trace and coverage all come from the one run of
//! the one executor: a mock is an [`ActionOverride`](crate::ActionOverride),
//! coverage is read from the run's trace.
//!
//! ```
//! use studioflow::testing::TestRunner;
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("greet.script"), r#"
//!     start: Begin { Default -> lookup }
//!     lookup: Assign { Variable = Name Value = "Ada" Default -> greet Error -> fallback }
//!     greet: Assign { Variable = Greeting Value = "Hello {Name}" Default -> done }
//!     fallback: Assign { Variable = Greeting Value = "Hello" Default -> done }
//!     done: End
//! "#).unwrap();
//! std::fs::write(dir.path().join("greet.test.toml"), r#"
//!     [[case]]
//!     name = "lookup fails"
//!     expect = { variables = { Greeting = "Hello" }, visits = ["fallback"] }
//!     mock = [{ action = "lookup", results = [{ branch = "Error" }] }]
//!
//!     [[case]]
//!     name = "lookup works"
//!     expect = { path = ["start", "lookup", "greet", "done"] }
//! "#).unwrap();
//!
//! let report = TestRunner::new().run_paths(&[dir.path()]).unwrap();
//! assert_eq!((report.passed(), report.failed(), report.bad_files()), (2, 0, 0));
//! let coverage = &report.coverage().scripts()[0];
//! assert_eq!((coverage.branches_taken(), coverage.branches.len()), (5, 5));
//! ```

mod coverage;
mod error;
mod expect;
mod file;
mod junit;
mod mock;
mod names;
mod snapshot;

use crate::Script;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use coverage::{
    ActionCoverage, BranchCoverage, Coverage, ScriptCoverage, SnippetBranchCoverage,
};
pub use error::{Problem, TestFileError};
pub use expect::Mismatch;
pub use file::{TestCase, TestFile, DEFAULT_NOW, MAX_CASES, MAX_TEST_FILE_BYTES};
pub use names::{file_safe, snapshot_path, SNAPSHOT_DIR, TEST_FILE_SUFFIX};
pub use snapshot::SnapshotChange;

use crate::engine::{Engine, EngineBuilder};
use crate::manifest::Manifest;
use crate::permissions::Directory;
use crate::runtime::{FixedClock, Run, RunOptions};
use error::var_hint;

/// Builds the engine of one case from that case's fresh tenant and fixed
/// clock: where a host registers its own actions and functions.
pub type EngineFactory = Arc<dyn Fn(Directory, FixedClock) -> EngineBuilder + Send + Sync>;

/// Loads test files and runs their cases.
///
/// ```
/// use studioflow::testing::TestRunner;
/// use studioflow::{ActionSchema, BranchId, Engine};
///
/// // A host's own action, available to every case.
/// let runner = TestRunner::new().engine_factory(|tenant, clock| {
///     Engine::builder()
///         .directory(tenant)
///         .clock(clock)
///         .register_action(ActionSchema::new("Ping"), |_: &mut studioflow::ActionCall<'_>| {
///             Ok(BranchId::DEFAULT)
///         })
/// });
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("ping.script"), "start: Begin { Default -> p }\np: Ping { Default -> done }\ndone: End").unwrap();
/// std::fs::write(dir.path().join("ping.test.toml"), "[[case]]\nname = \"pings\"\nexpect = { steps = 3 }").unwrap();
/// let file = runner.load(dir.path().join("ping.test.toml")).unwrap();
/// let report = runner.run_file(&file);
/// assert!(report.cases[0].passed());
/// ```
#[derive(Clone)]
pub struct TestRunner {
    factory: EngineFactory,
    update: bool,
    filter: Option<String>,
    default_tenant: Option<Arc<str>>,
    /// Cases run at once (`None`: the machine's cores).
    threads: Option<usize>,
}

impl std::fmt::Debug for TestRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRunner")
            .field("update", &self.update)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl Default for TestRunner {
    fn default() -> Self {
        TestRunner::new()
    }
}

/// The report of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// Every way it failed; empty when it passed.
    pub mismatches: Vec<Mismatch>,
    /// What happened to its snapshot.
    pub snapshot: SnapshotChange,
    /// The run, when the case ran.
    pub run: Option<Run>,
}

impl CaseReport {
    /// True when every expectation and the snapshot held.
    ///
    /// See the example on [`TestRunner`].
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// The report of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The test file.
    pub path: PathBuf,
    /// The script it tests.
    pub script: PathBuf,
    /// The cases that ran (filtered-out cases are left out).
    pub cases: Vec<CaseReport>,
    /// Cases `--filter` skipped.
    pub filtered_out: usize,
    /// Snapshot files of this test file that no case uses (never deleted).
    pub stale_snapshots: Vec<PathBuf>,
}

/// Everything a run of test files found.
#[derive(Debug, Default)]
pub struct Report {
    /// Test files that ran, in order.
    pub files: Vec<FileReport>,
    /// The mistakes of the test files with bad input, which did not run
    /// (every mistake of a file, in file order).
    pub errors: Vec<TestFileError>,
    coverage: Coverage,
}

impl Report {
    /// Cases that passed.
    ///
    /// See the example in the [module documentation](self).
    pub fn passed(&self) -> usize {
        self.cases().filter(|c| c.passed()).count()
    }
    /// Cases that failed.
    ///
    /// See the example in the [module documentation](self).
    pub fn failed(&self) -> usize {
        self.cases().filter(|c| !c.passed()).count()
    }
    /// Cases `--filter` skipped.
    ///
    /// ```
    /// assert_eq!(studioflow::testing::Report::default().filtered_out(), 0);
    /// ```
    pub fn filtered_out(&self) -> usize {
        self.files.iter().map(|f| f.filtered_out).sum()
    }
    /// Test files with bad input (each may have several [`Report::errors`]).
    ///
    /// See the example in the [module documentation](self).
    pub fn bad_files(&self) -> usize {
        let mut paths: Vec<&Path> = self.errors.iter().map(|e| e.path.as_path()).collect();
        paths.sort();
        paths.dedup();
        paths.len()
    }
    /// Branch and action coverage, merged per script over every test file.
    ///
    /// See the example in the [module documentation](self).
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }
    /// The closing line: `N passed, M failed` (and `, K filtered out`).
    ///
    /// ```
    /// assert_eq!(studioflow::testing::Report::default().summary(), "0 passed, 0 failed");
    /// ```
    pub fn summary(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.filtered_out() > 0 {
            line.push_str(&format!(", {} filtered out", self.filtered_out()));
        }
        line
    }
    /// Writes [`Report::to_junit_xml`] to `path`, atomically.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("junit.xml");
    /// studioflow::testing::Report::default().write_junit(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("<testsuites"));
    /// ```
    pub fn write_junit(&self, path: &Path) -> std::io::Result<()> {
        let xml = self.to_junit_xml().map_err(std::io::Error::other)?;
        write_atomically(path, xml.as_bytes())
    }
    fn cases(&self) -> impl Iterator<Item = &CaseReport> {
        self.files.iter().flat_map(|f| f.cases.iter())
    }
}

/// Why test files could not even be looked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoverError {
    /// A path given does not exist or cannot be read.
    #[error("{}: {reason}", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No `*.test.toml` file under the paths given.
    #[error("no test files (*.test.toml) found in {0}")]
    NoTestFiles(String),
}

/// Folders deeper than this are not searched (and symlinked folders never are).
const MAX_SEARCH_DEPTH: usize = 64;

/// The test files under `paths`: files as given, folders searched
/// recursively for `*.test.toml` (sorted; hidden folders, `target` and
/// symlinked folders skipped).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("sub")).unwrap();
/// std::fs::write(dir.path().join("sub/a.test.toml"), "").unwrap();
/// std::fs::write(dir.path().join("b.toml"), "").unwrap();
/// let found = studioflow::testing::discover(&[dir.path()]).unwrap();
/// assert_eq!(found, [dir.path().join("sub/a.test.toml")]);
/// ```
pub fn discover(paths: &[impl AsRef<Path>]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut found = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| DiscoverError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if meta.is_dir() {
            // `studioflow test` in a folder shows `flows/x.test.toml`, not `./flows/...`.
            let path = match path.strip_prefix(".") {
                Ok(rest) if rest.as_os_str().is_empty() => Path::new("."),
                Ok(rest) => rest,
                Err(_) => path,
            };
            let before = found.len();
            search(path, 0, &mut found).map_err(|e| DiscoverError::Unreadable {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
            for p in &mut found[before..] {
                if let Ok(rest) = p.strip_prefix(".") {
                    *p = rest.to_owned();
                }
            }
        } else {
            found.push(path.to_owned());
        }
    }
    if found.is_empty() {
        let shown: Vec<String> = paths
            .iter()
            .map(|p| p.as_ref().display().to_string())
            .collect();
        return Err(DiscoverError::NoTestFiles(shown.join(", ")));
    }
    Ok(found)
}

fn search(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if depth > MAX_SEARCH_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" && name != SNAPSHOT_DIR {
                search(&path, depth + 1, found)?;
            }
        } else if name.ends_with(TEST_FILE_SUFFIX) && (kind.is_file() || path.is_file()) {
            found.push(path);
        }
    }
    Ok(())
}

impl TestRunner {
    /// A runner with the default engine (built-in actions, the case's tenant
    /// and clock) plus the actions the script's `studioflow.toml` declares.
    ///
    /// See the example in the [module documentation](self).
    pub fn new() -> Self {
        TestRunner {
            // RunSub targets are read relative to the script under test.
            factory: Arc::new(|tenant, clock| {
                Engine::builder()
                    .directory(tenant)
                    .clock(clock)
                    .script_resolver(crate::FileResolver::new(16 << 20))
            }),
            update: false,
            filter: None,
            default_tenant: None,
            threads: None,
        }
    }

    /// The tenant of test files that name none, as a tenant document (what
    /// `studioflow test --store` copies from the database): each case gets
    /// a fresh copy, so tests never write to where it came from. Without
    /// it, the demo tenant.
    ///
    /// ```
    /// let json = studioflow::permissions::Directory::demo().to_tenant_json().to_string();
    /// let runner = studioflow::testing::TestRunner::new().default_tenant(&json).unwrap();
    /// # let _ = runner;
    /// assert!(studioflow::testing::TestRunner::new().default_tenant("{").is_err());
    /// ```
    pub fn default_tenant(
        mut self,
        tenant_json: &str,
    ) -> Result<Self, crate::permissions::LoadError> {
        crate::permissions::Directory::from_json_str(tenant_json)?;
        self.default_tenant = Some(Arc::from(tenant_json));
        Ok(self)
    }

    /// How to build each case's engine, from the case's fresh tenant and
    /// fixed clock. Actions a `studioflow.toml` declares and the builder
    /// lacks are added after (a host's own handler wins).
    ///
    /// See the example on [`TestRunner`].
    pub fn engine_factory(
        mut self,
        factory: impl Fn(Directory, FixedClock) -> EngineBuilder + Send + Sync + 'static,
    ) -> Self {
        self.factory = Arc::new(factory);
        self
    }

    /// Write missing and changed snapshots instead of failing on them.
    ///
    /// ```
    /// let runner = studioflow::testing::TestRunner::new().update_snapshots(true);
    /// # let _ = runner;
    /// ```
    pub fn update_snapshots(mut self, update: bool) -> Self {
        self.update = update;
        self
    }

    /// Run only cases whose name or test-file path contains `text`.
    ///
    /// ```
    /// let runner = studioflow::testing::TestRunner::new().filter("vip");
    /// # let _ = runner;
    /// ```
    pub fn filter(mut self, text: impl Into<String>) -> Self {
        self.filter = Some(text.into());
        self
    }

    pub(crate) fn engine(
        &self,
        tenant: Directory,
        clock: FixedClock,
        manifest: Option<&Manifest>,
    ) -> Engine {
        let builder = (self.factory)(tenant, clock);
        match manifest {
            Some(m) => m.register(builder),
            None => builder,
        }
        .build()
    }

    /// Reads and checks a test file: its script compiles, its tenant loads,
    /// every id and branch it names exists.
    ///
    /// See the example on [`TestFile`].
    pub fn load(&self, path: impl AsRef<Path>) -> Result<TestFile, TestFileError> {
        self.load_all(path)
            .map_err(|mut errors| errors.swap_remove(0))
    }

    /// As [`TestRunner::load`], with every mistake of the file (in file
    /// order; never an empty list), as `check` reports every mistake of a
    /// script.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("a.script"), "start: Begin { Default -> done }\ndone: End\n").unwrap();
    /// std::fs::write(dir.path().join("a.test.toml"),
    ///     "colour = 1\n[[case]]\nname = \"x\"\nexpect = { outcome = \"passed\", end = \"dnoe\" }\n").unwrap();
    /// let errors = studioflow::testing::TestRunner::new().load_all(dir.path().join("a.test.toml")).unwrap_err();
    /// assert_eq!(errors.len(), 3);
    /// ```
    pub fn load_all(&self, path: impl AsRef<Path>) -> Result<TestFile, Vec<TestFileError>> {
        let path = path.as_ref();
        let text = crate::files::read_text(path, file::MAX_TEST_FILE_BYTES).map_err(|e| {
            vec![TestFileError {
                path: path.to_owned(),
                line: 0,
                column: 0,
                problem: Box::new(Problem::Read(e.reason())),
            }]
        })?;
        file::Loader::new(
            &|tenant, clock, manifest| self.engine(tenant, clock, manifest),
            path,
            text,
        )
        .with_default_tenant(self.default_tenant.clone())
        .load()
    }

    /// Runs the cases of a loaded test file (those the filter keeps).
    ///
    /// See the example on [`TestRunner`].
    pub fn run_file(&self, file: &TestFile) -> FileReport {
        self.run_file_into(file, &mut Coverage::default())
    }

    fn run_file_into(&self, file: &TestFile, coverage: &mut Coverage) -> FileReport {
        let mut report = self.file_report(file);
        for case in self.kept_cases(file, &mut report) {
            let (case_report, script) = self.run_case(file, case);
            if let (Some(script), Some(run)) = (&script, &case_report.run) {
                coverage.record(file.script_path(), script, run);
            }
            report.cases.push(case_report);
        }
        report
    }

    /// A file's report before its cases run (its stale snapshots found).
    fn file_report(&self, file: &TestFile) -> FileReport {
        FileReport {
            path: file.path().to_owned(),
            script: file.script_path().to_owned(),
            cases: Vec::new(),
            filtered_out: 0,
            stale_snapshots: stale_snapshots(file),
        }
    }

    /// The cases of `file` the filter keeps (counting the others in `report`).
    fn kept_cases<'f>(&self, file: &'f TestFile, report: &mut FileReport) -> Vec<&'f TestCase> {
        let path_text = file.path().display().to_string();
        let mut kept = Vec::new();
        for case in file.cases() {
            if let Some(filter) = &self.filter {
                if !case.name().contains(filter.as_str()) && !path_text.contains(filter.as_str()) {
                    report.filtered_out += 1;
                    continue;
                }
            }
            kept.push(case);
        }
        kept
    }

    /// Runs on up to `threads` threads at once (default: the machine's
    /// cores). Every case has its own engine, tenant copy and clock, so
    /// cases are independent; reports, JUnit and coverage keep file-then-
    /// case order whatever order they finish in.
    ///
    /// ```
    /// let runner = studioflow::testing::TestRunner::new().threads(1);
    /// # let _ = runner;
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }

    /// Runs one case: its report, and the compiled script (for coverage)
    /// when it compiled.
    fn run_case(&self, file: &TestFile, case: &TestCase) -> (CaseReport, Option<Script>) {
        let engine = self.engine(file.fresh_tenant(), case.now, file.manifest());
        let mut report = CaseReport {
            name: case.name().to_string(),
            mismatches: Vec::new(),
            snapshot: SnapshotChange::Unchanged,
            run: None,
        };
        let script = match engine.compile_with(
            file.source(),
            &file.script_name(),
            &file.compile_options(case),
        ) {
            Ok(script) => script,
            Err(diagnostics) => {
                report.mismatches.push(Mismatch::Compile(
                    diagnostics.with_input_hint(var_hint).to_string(),
                ));
                return (report, None);
            }
        };
        let options = RunOptions {
            variables: case.vars.clone(),
            max_steps: case.max_steps,
            trace: true,
            action_override: (!case.mocks.is_empty())
                .then(|| Arc::new(mock::CaseMocks::new(&case.mocks)) as _),
            ..Default::default()
        };
        // The contact: events at the run's waits, HTTP requests answered
        // by the case's mocks (a request no mock matches fails the case
        // and fails in transport, so the run goes on down its Error path).
        let mut unmatched: Vec<String> = Vec::new();
        let mut responder = |waiting: &crate::Waiting| -> Option<crate::Event> {
            let crate::Wait::Http { request } = &waiting.wait else {
                return None;
            };
            match mock::HttpMock::answer(&case.http, request) {
                Some(m) => Some(match &m.fail {
                    Some(why) => crate::Event::HttpFailed(why.clone()),
                    None => crate::Event::Reply(m.reply.clone()),
                }),
                None => {
                    let named = format!("{} {}", request.method, request.url);
                    unmatched.push(named.clone());
                    Some(crate::Event::HttpFailed(format!(
                        "no [[case.http]] mock matches {named}"
                    )))
                }
            }
        };
        let (run, unused) =
            match engine.simulate(&script, options, case.events.clone(), Some(&mut responder)) {
                Ok(sim) => (sim.run, sim.unused),
                Err(e) => {
                    report.mismatches.push(Mismatch::Expect {
                        key: "events".into(),
                        expected: "events that fit the run's waits".into(),
                        actual: e.to_string(),
                        diff: None,
                    });
                    (*e.run, Vec::new())
                }
            };
        report.mismatches.extend(case.expect.check(&run, &script));
        report
            .mismatches
            .extend(case.expect.check_contact(&run, &unused));
        for request in unmatched {
            report.mismatches.push(Mismatch::Expect {
                key: "http".into(),
                expected: format!("a [[case.http]] mock for {request}"),
                actual: "no mock matches the request".into(),
                diff: None,
            });
        }
        if case.snapshot {
            let path = snapshot_path(file.path(), case.name());
            // A run that never touched a contact snapshots as before the
            // contact keys existed (no empty transcript, no null wait).
            let mut json = run.to_json();
            if let Some(object) = json.as_object_mut() {
                if object
                    .get("transcript")
                    .is_some_and(|t| t.as_array().is_some_and(Vec::is_empty))
                {
                    object.remove("transcript");
                }
                if object
                    .get("waiting")
                    .is_some_and(serde_json::Value::is_null)
                {
                    object.remove("waiting");
                }
            }
            match snapshot::compare(file.path(), &path, &json, self.update) {
                Ok(change) => report.snapshot = change,
                Err(mismatch) => report.mismatches.push(mismatch),
            }
        }
        report.run = Some(run);
        (report, Some(script))
    }

    /// Finds, loads and runs every test file under `paths` (see
    /// [`discover`]). A file with bad input is reported in
    /// [`Report::errors`] and the others still run.
    ///
    /// See the example in the [module documentation](self).
    pub fn run_paths(&self, paths: &[impl AsRef<Path>]) -> Result<Report, DiscoverError> {
        let mut report = Report::default();
        let paths = discover(paths)?;
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        // Loading compiles each file's script: as parallel as the cases.
        let mut files = Vec::new();
        for loaded in parallel_map(&paths, threads, |path| self.load_all(path)) {
            match loaded {
                Ok(file) => files.push(file),
                Err(errors) => report.errors.extend(errors),
            }
        }
        // Every kept case of every file, in file-then-case order.
        let mut file_reports = Vec::with_capacity(files.len());
        let mut jobs: Vec<(usize, &TestCase)> = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let mut file_report = self.file_report(file);
            jobs.extend(
                self.kept_cases(file, &mut file_report)
                    .into_iter()
                    .map(|c| (i, c)),
            );
            file_reports.push(file_report);
        }
        let results = parallel_map(&jobs, threads, |(i, case)| self.run_case(&files[*i], case));
        for ((i, _), (case_report, script)) in jobs.iter().zip(results) {
            if let (Some(script), Some(run)) = (&script, &case_report.run) {
                report.coverage.record(files[*i].script_path(), script, run);
            }
            file_reports[*i].cases.push(case_report);
        }
        report.files = file_reports;
        Ok(report)
    }
}

/// `work` applied to every item on up to `threads` threads, each taking the
/// next item; the results in the items' order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len()).max(1);
    if threads == 1 {
        return items.iter().map(work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = Vec::new();
    slots.resize_with(items.len(), || None);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(k) else {
                            return done;
                        };
                        done.push((k, work(item)));
                    }
                })
            })
            .collect();
        for worker in workers {
            // A panic is a bug of studioflow's: let it show.
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (k, result) in done {
                slots[k] = Some(result);
            }
        }
    });
    slots.into_iter().flatten().collect()
}

/// Snapshot files in the test file's snapshot folder that no snapshot case uses.
fn stale_snapshots(file: &TestFile) -> Vec<PathBuf> {
    let folder = names::snapshot_folder(file.path());
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let used: std::collections::HashSet<PathBuf> = file
        .cases()
        .iter()
        .filter(|c| c.snapshot)
        .map(|c| snapshot_path(file.path(), c.name()))
        .collect();
    let mut stale: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !used.contains(p))
        .collect();
    stale.sort();
    stale
}

/// Writes an output file (`--junit`, `--coverage-json`) atomically with
/// [`crate::files::write_atomically`]: never over something that is not a
/// regular file, and never creating a missing folder (as `--report` and
/// `graph -o`: a missing parent folder is an error).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::files::write_atomically(path, bytes).map_err(|e| std::io::Error::other(e.reason()))
}
