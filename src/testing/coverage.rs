//! Action and branch coverage, read from runs' counts (or traces) and
//! merged per script.
//!
//! A *branch* is each branch written in the script (Default, Error, own
//! branches, each `Case` label); it is covered when some run took it (after
//! the fallback to Default; a mocked action's result counts). A *Snippet
//! branch* is an arm of a branching statement inside Snippet code: IF's
//! true and false, each CASE of a SWITCH or SELECT and its DEFAULT (or "no
//! CASE" when none is written), a FOREACH or REPEAT body entered or
//! skipped, a FOR body entered, a RETURN taken.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::graph::FlowGraph;
use crate::runtime::Run;
use crate::{Script, ScriptUnit};

/// How often one action was executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionCoverage {
    /// The action id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub action_type: String,
    /// 1-based line of its id in the script.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Executions over every run recorded.
    pub hits: u64,
}

/// How often one written branch was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchCoverage {
    /// The id of the action the branch leaves.
    pub action: String,
    /// That action's type.
    #[serde(rename = "type")]
    pub action_type: String,
    /// The branch as the trace names it: `Default`, `Error`, `Busy`, `Case "gold"`.
    pub branch: String,
    /// The target action's id.
    pub target: String,
    /// 1-based line of the branch in the script.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Times taken over every run recorded.
    pub hits: u64,
}

/// How often one arm of a branching Snippet statement was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetBranchCoverage {
    /// The Snippet action's id, or `FUNCTION Name` for a user function's body.
    pub action: String,
    /// 1-based line of the statement in the script.
    pub line: usize,
    /// 1-based column where that line's code starts.
    pub column: usize,
    /// `IF`, `SWITCH`, `SELECT`, `FOR`, `FOREACH`, `REPEAT` or `RETURN`.
    pub statement: String,
    /// `true`, `false`, `CASE 2`, `DEFAULT`, `no CASE`, `entered`, `skipped` or `taken`.
    pub arm: String,
    /// Times taken over every run recorded.
    pub hits: u64,
}

/// The coverage of one script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptCoverage {
    /// The script path, as the first test file that tests it names it.
    pub script: String,
    /// Every action, in source order.
    pub actions: Vec<ActionCoverage>,
    /// Every written branch, in source order.
    pub branches: Vec<BranchCoverage>,
    /// Every arm of a branching Snippet statement, in source order (Snippet
    /// actions first, then user functions); empty without Snippet code.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snippet_branches: Vec<SnippetBranchCoverage>,
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

impl ScriptCoverage {
    /// Actions executed at least once.
    ///
    /// See the example in the [module documentation](super).
    pub fn actions_hit(&self) -> usize {
        self.actions.iter().filter(|a| a.hits > 0).count()
    }
    /// Written branches taken at least once.
    ///
    /// See the example in the [module documentation](super).
    pub fn branches_taken(&self) -> usize {
        self.branches.iter().filter(|b| b.hits > 0).count()
    }
    /// Percentage of actions executed (100 for a script without actions).
    ///
    /// See [`ScriptCoverage::summary_line`].
    pub fn action_percent(&self) -> f64 {
        percent(self.actions_hit(), self.actions.len())
    }
    /// Percentage of written branches taken (100 for a script without branches).
    ///
    /// See [`ScriptCoverage::summary_line`].
    pub fn branch_percent(&self) -> f64 {
        percent(self.branches_taken(), self.branches.len())
    }
    /// Snippet branches taken at least once.
    ///
    /// See [`ScriptCoverage::summary_line`].
    pub fn snippet_branches_taken(&self) -> usize {
        self.snippet_branches.iter().filter(|b| b.hits > 0).count()
    }
    /// Percentage of Snippet branches taken (100 for a script without any).
    ///
    /// See [`ScriptCoverage::summary_line`].
    pub fn snippet_branch_percent(&self) -> f64 {
        percent(self.snippet_branches_taken(), self.snippet_branches.len())
    }
    /// `SCRIPT: actions A/B (P%), branches C/D (Q%)`, then
    /// `, snippet branches E/F (R%)` when the script has Snippet branches.
    ///
    /// ```
    /// use studioflow::testing::{ScriptCoverage, SnippetBranchCoverage};
    /// let mut c = ScriptCoverage { script: "x.script".into(), actions: vec![], branches: vec![], snippet_branches: vec![] };
    /// assert_eq!(c.summary_line(), "x.script: actions 0/0 (100.0%), branches 0/0 (100.0%)");
    /// c.snippet_branches.push(SnippetBranchCoverage {
    ///     action: "calc".into(), line: 4, column: 5, statement: "IF".into(), arm: "false".into(), hits: 0 });
    /// assert_eq!(c.summary_line(), "x.script: actions 0/0 (100.0%), branches 0/0 (100.0%), snippet branches 0/1 (0.0%)");
    /// assert_eq!(c.untaken_lines(), ["x.script:4:5: snippet branch IF false in calc never taken"]);
    /// ```
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "{}: actions {}/{} ({:.1}%), branches {}/{} ({:.1}%)",
            self.script,
            self.actions_hit(),
            self.actions.len(),
            self.action_percent(),
            self.branches_taken(),
            self.branches.len(),
            self.branch_percent()
        );
        if !self.snippet_branches.is_empty() {
            let _ = write!(
                line,
                ", snippet branches {}/{} ({:.1}%)",
                self.snippet_branches_taken(),
                self.snippet_branches.len(),
                self.snippet_branch_percent()
            );
        }
        line
    }
    /// One `file:line:col: branch NAME of ACTION-ID (TYPE) never taken` line
    /// per branch no run took.
    ///
    /// ```
    /// use studioflow::testing::{BranchCoverage, ScriptCoverage};
    /// let c = ScriptCoverage { script: "x.script".into(), actions: vec![], branches: vec![BranchCoverage {
    ///     action: "lookup".into(), action_type: "GetAgent".into(), branch: "Error".into(),
    ///     target: "sorry".into(), line: 3, column: 40, hits: 0 }], snippet_branches: vec![] };
    /// assert_eq!(c.untaken_lines(), ["x.script:3:40: branch Error of lookup (GetAgent) never taken"]);
    /// ```
    pub fn untaken_lines(&self) -> Vec<String> {
        let written = self.branches.iter().filter(|b| b.hits == 0).map(|b| {
            format!(
                "{}:{}:{}: branch {} of {} ({}) never taken",
                self.script, b.line, b.column, b.branch, b.action, b.action_type
            )
        });
        let snippet = self
            .snippet_branches
            .iter()
            .filter(|b| b.hits == 0)
            .map(|b| {
                format!(
                    "{}:{}:{}: snippet branch {} {} in {} never taken",
                    self.script, b.line, b.column, b.statement, b.arm, b.action
                )
            });
        written.chain(snippet).collect()
    }
}

/// Coverage of every script some case ran, merged per script.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    scripts: Vec<ScriptCoverage>,
    /// The picture model of each script, index-aligned with `scripts`.
    flows: Vec<FlowGraph>,
    /// Canonical script path → index in `scripts`.
    index: HashMap<PathBuf, usize>,
}

impl Coverage {
    /// Per script, sorted by path.
    ///
    /// See the example in the [module documentation](super).
    pub fn scripts(&self) -> &[ScriptCoverage] {
        &self.scripts
    }

    /// Adds one run of `script` (read from `path`) to the counts: its own
    /// actions and branches, and those of every subscript its RunSubs call
    /// (each counted as a script of its own, under its resolved path).
    ///
    /// ```
    /// use studioflow::{Engine, RunOptions};
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "s.script").unwrap();
    /// let run = engine.run(&script, RunOptions::default().trace(true));
    /// let mut coverage = studioflow::testing::Coverage::default();
    /// coverage.record("s.script".as_ref(), &script, &run);
    /// assert_eq!(coverage.scripts()[0].summary_line(), "s.script: actions 2/2 (100.0%), branches 1/1 (100.0%)");
    /// ```
    pub fn record(&mut self, path: &Path, script: &Script, run: &Run) {
        // Entry of each unit of the call graph, created on first sight (all
        // created before any index is kept: an insert shifts later ones).
        let keys: Vec<PathBuf> = script
            .units()
            .map(|unit| {
                let shown = if unit.is_subscript() {
                    shown_path(unit.name())
                } else {
                    path.to_owned()
                };
                self.entry(&shown, unit)
            })
            .collect();
        let entries: Vec<usize> = keys.iter().map(|key| self.index[key]).collect();
        // The branches of action `a` start at `first_branch[unit][a]`; a
        // step names its action and the written branch it took by index.
        let first_branch: Vec<Vec<usize>> = script
            .units()
            .map(|unit| {
                let mut n = 0;
                unit.flow()
                    .iter()
                    .map(|action| {
                        let first = n;
                        n += action.branches.len();
                        first
                    })
                    .collect()
            })
            .collect();
        // The run's counts cover every step; the trace (kept only for runs
        // recorded without counts) holds its first and last 1,000.
        if let Some(counts) = &run.counts {
            for unit in script.units() {
                let u = unit.index();
                let entry = &mut self.scripts[entries[u]];
                for (a, action) in unit.flow().iter().enumerate() {
                    if let Some(hit) = entry.actions.get_mut(a) {
                        hit.hits += counts.action_hits(u, a);
                    }
                    for e in 0..action.branches.len() {
                        if let Some(branch) = entry.branches.get_mut(first_branch[u][a] + e) {
                            branch.hits += counts.branch_hits(u, a, e);
                        }
                    }
                }
                // The same file compiled by another test file has other
                // statement addresses: matched by position in source order.
                let points = snippet_points(unit);
                if points.len() == entry.snippet_branches.len() {
                    for (hit, (_, point)) in entry.snippet_branches.iter_mut().zip(&points) {
                        hit.hits += counts.snippet_hits(point.key.0, point.key.1);
                    }
                }
            }
            return;
        }
        for step in run.trace.as_deref().unwrap_or_default() {
            let Some(unit) = script.unit_of_step(step) else {
                continue;
            };
            let entry = &mut self.scripts[entries[unit.index()]];
            if let Some(action) = entry.actions.get_mut(step.action_index) {
                action.hits += 1;
            }
            let first = first_branch[unit.index()].get(step.action_index);
            if let (Some(edge), Some(&first)) = (step.edge, first) {
                if let Some(branch) = entry.branches.get_mut(first + edge) {
                    branch.hits += 1;
                }
            }
        }
    }

    /// The index in `scripts` of the coverage of `unit` (shown as `path`),
    /// added with no hits when it is new; identity is the canonical path.
    fn entry(&mut self, path: &Path, unit: ScriptUnit<'_>) -> PathBuf {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        if self.index.contains_key(&key) {
            return key;
        }
        let fresh = empty_coverage(path, unit);
        let at = self
            .scripts
            .partition_point(|s| s.script.as_str() < fresh.script.as_str());
        self.scripts.insert(at, fresh);
        self.flows.insert(at, FlowGraph::from_unit(unit));
        for v in self.index.values_mut() {
            if *v >= at {
                *v += 1;
            }
        }
        self.index.insert(key.clone(), at);
        key
    }

    /// The flow picture model of each script, index-aligned with
    /// [`Coverage::scripts`] (for coverage pages).
    ///
    /// ```
    /// use studioflow::{Engine, RunOptions};
    /// let engine = Engine::new();
    /// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "s.script").unwrap();
    /// let run = engine.run(&script, RunOptions::default().trace(true));
    /// let mut coverage = studioflow::testing::Coverage::default();
    /// coverage.record("s.script".as_ref(), &script, &run);
    /// assert_eq!(coverage.flows()[0].nodes.len(), 2);
    /// ```
    pub fn flows(&self) -> &[FlowGraph] {
        &self.flows
    }

    /// The lowest branch percentage over every script (100 with none).
    ///
    /// ```
    /// assert_eq!(studioflow::testing::Coverage::default().lowest_branch_percent(), 100.0);
    /// ```
    pub fn lowest_branch_percent(&self) -> f64 {
        self.scripts
            .iter()
            .map(ScriptCoverage::branch_percent)
            .fold(100.0, f64::min)
    }

    /// The text report: per script its summary line, then its untaken branches.
    ///
    /// ```
    /// assert_eq!(studioflow::testing::Coverage::default().to_text(), "");
    /// ```
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.scripts {
            let _ = writeln!(out, "{}", s.summary_line());
            for line in s.untaken_lines() {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }

    /// The `--coverage-json` document: per script, the totals and every
    /// action and branch with its hit count.
    ///
    /// ```
    /// let doc = studioflow::testing::Coverage::default().to_json();
    /// assert_eq!(doc["scripts"], serde_json::json!([]));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        let scripts: Vec<serde_json::Value> = self
            .scripts
            .iter()
            .map(|s| {
                serde_json::json!({
                    "script": s.script,
                    "actions": {
                        "hit": s.actions_hit(),
                        "total": s.actions.len(),
                        "percent": round1(s.action_percent()),
                    },
                    "branches": {
                        "taken": s.branches_taken(),
                        "total": s.branches.len(),
                        "percent": round1(s.branch_percent()),
                    },
                    "action_hits": s.actions,
                    "branch_hits": s.branches,
                })
            })
            .zip(&self.scripts)
            .map(|(mut doc, s)| {
                // Only scripts with Snippet code have Snippet branches.
                if !s.snippet_branches.is_empty() {
                    doc["snippet_branches"] = serde_json::json!({
                        "taken": s.snippet_branches_taken(),
                        "total": s.snippet_branches.len(),
                        "percent": round1(s.snippet_branch_percent()),
                    });
                    doc["snippet_branch_hits"] = serde_json::json!(s.snippet_branches);
                }
                doc
            })
            .collect();
        serde_json::json!({ "scripts": scripts })
    }
}

impl Coverage {
    /// Writes [`Coverage::to_json`] to `path`, pretty-printed and atomically.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("coverage.json");
    /// studioflow::testing::Coverage::default().write_json(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("\"scripts\""));
    /// ```
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        let mut text =
            serde_json::to_string_pretty(&self.to_json()).map_err(std::io::Error::other)?;
        text.push('\n');
        super::write_atomically(path, text.as_bytes())
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A resolved subscript path as coverage shows it (`lookup.script`, not `./lookup.script`).
fn shown_path(name: &str) -> PathBuf {
    let path = Path::new(name);
    path.strip_prefix(".").unwrap_or(path).to_owned()
}

/// Every action and written branch of a script, with no hits yet.
fn empty_coverage(path: &Path, unit: ScriptUnit<'_>) -> ScriptCoverage {
    let (actions, branches) = sites(unit);
    let source = unit.source();
    let snippet_branches = snippet_points(unit)
        .into_iter()
        .map(|(owner, p)| {
            let line = p.line as usize;
            // The statement's own column is not kept by the compiled code:
            // the line's first non-blank character stands for it.
            let column = source
                .text()
                .lines()
                .nth(line.saturating_sub(1))
                .map_or(1, |l| {
                    l.chars().take_while(|c| c.is_whitespace()).count() + 1
                });
            SnippetBranchCoverage {
                action: owner,
                line,
                column,
                statement: p.statement.to_string(),
                arm: p.arm,
                hits: 0,
            }
        })
        .collect();
    ScriptCoverage {
        script: path.display().to_string(),
        actions,
        branches,
        snippet_branches,
    }
}

/// Every Snippet branch of a script with its owner (the Snippet action's
/// id, or `FUNCTION Name`), in source order: Snippet actions, then functions.
fn snippet_points(unit: ScriptUnit<'_>) -> Vec<(String, crate::snippet::exec::BranchPoint)> {
    let inner = unit.inner();
    let mut out = Vec::new();
    let mut points = Vec::new();
    for action in inner.actions.iter() {
        for property in action.properties.iter() {
            if let crate::compile::PropSlot::Snippet(program) = property {
                points.clear();
                crate::snippet::exec::branch_points(&program.body, &mut points);
                out.extend(points.drain(..).map(|p| (action.id.to_string(), p)));
            }
        }
    }
    for function in inner.snippet_functions.iter() {
        points.clear();
        crate::snippet::exec::branch_points(&function.body, &mut points);
        out.extend(
            points
                .drain(..)
                .map(|p| (format!("FUNCTION {}", function.name), p)),
        );
    }
    out
}

/// The actions and written branches of a script, from its flow description.
fn sites(unit: ScriptUnit<'_>) -> (Vec<ActionCoverage>, Vec<BranchCoverage>) {
    let source = unit.source();
    let flow = unit.flow();
    let mut actions = Vec::with_capacity(flow.len());
    let mut branches = Vec::new();
    for action in flow {
        let (line, column) = source.line_col(action.id_span.start);
        actions.push(ActionCoverage {
            id: action.id.to_string(),
            action_type: action.action_type.to_string(),
            line,
            column,
            hits: 0,
        });
        for branch in &action.branches {
            let (line, column) = source.line_col(branch.span.start);
            branches.push(BranchCoverage {
                action: action.id.to_string(),
                action_type: action.action_type.to_string(),
                branch: branch.taken_name.to_string(),
                target: flow[branch.target].id.to_string(),
                line,
                column,
                hits: 0,
            });
        }
    }
    (actions, branches)
}
