//! Coverage pages (`studioflow test --coverage-html DIR`): one page per
//! tested script with its flow picture, every branch coloured by whether
//! the suite took it and how often, the untaken branches listed at their
//! file:line:col, the arms of branching Snippet statements with how often
//! each was taken, and an index page with each script's percentages.
//!
//! The picture and the page shell are the run report's
//! ([`crate::graph::render_svg`] with [`Decorations`], [`super::page`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::html::{page_styled, PAGE_SCRIPT};
use crate::graph::escape::html;
use crate::graph::{render_svg, Decorations, FlowGraph};
use crate::testing::{Coverage, ScriptCoverage};

/// The file name of the index page in a coverage folder.
pub const COVERAGE_INDEX: &str = "index.html";

/// Colours of covered and uncovered parts, over the picture's own style.
const COVERAGE_STYLE: &str = "\
svg.flow g.edge.covered path{stroke:#2e7d32;stroke-width:2.6;opacity:1}
svg.flow g.edge.uncovered path{stroke:#d32f2f;stroke-width:2.6;stroke-dasharray:6 4;opacity:1}
svg.flow g.edge-label.covered text{fill:#1b5e20;font-weight:bold}
svg.flow g.edge-label.uncovered text{fill:#b71c1c;font-weight:bold}
.flow .node.run .shape{stroke:#2e7d32;stroke-width:2.2}
.flow .node.never .shape{fill:#ffebee;stroke:#d32f2f;stroke-width:2.2}
.flow .edge.selected path{stroke-width:5}
.flow .edge-label.selected rect{fill:#ffe082;opacity:1}
tr.branch{cursor:pointer}tr.branch.selected{background:#fff3c4}
tr.uncovered td.hits{color:#b71c1c;font-weight:bold}
td.hits,th.num,td.num{text-align:right}
.bar{display:inline-block;width:90px;height:9px;background:#ffcdd2;border-radius:4px;overflow:hidden;vertical-align:middle;margin-right:6px}
.bar span{display:block;height:100%;background:#43a047}
ul.uncovered{font-family:ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:12px;padding-left:18px}
a{color:#0b57d0}
header a{color:#bbdefb}
";

fn percent_cell(percent: f64) -> String {
    format!("<span class=\"bar\"><span style=\"width:{percent:.1}%\"></span></span>{percent:.1}%")
}

/// The coverage page of one script: `flow` is its picture model and
/// `coverage` its counts (index-aligned: node `i` is action `i`, edge `k`
/// is branch `k`). `links` maps a script's path as coverage shows it to the
/// page of that script (RunSub nodes link to their subscript's page);
/// `index` is the href of the index page.
///
/// ```
/// use studioflow::{Engine, RunOptions};
/// use studioflow::testing::Coverage;
/// let engine = Engine::new();
/// let script = engine
///     .compile("start: Begin { Default -> ask }\nask: If { Expression = x > 1 True -> done False -> done }\ndone: End", "c.script")
///     .unwrap();
/// let run = engine.run(&script, RunOptions::default().trace(true));
/// let mut coverage = Coverage::default();
/// coverage.record("c.script".as_ref(), &script, &run);
/// let page = studioflow::report::coverage_page(&coverage.flows()[0], &coverage.scripts()[0], &Default::default(), "index.html");
/// // Default and False were taken, True never was.
/// assert_eq!(page.matches("class=\"edge covered").count(), 2);
/// assert_eq!(page.matches("class=\"edge uncovered").count(), 1);
/// assert!(page.contains("c.script:2:30: branch True of ask (If) never taken"));
/// ```
pub fn coverage_page(
    flow: &FlowGraph,
    coverage: &ScriptCoverage,
    links: &HashMap<String, String>,
    index: &str,
) -> String {
    let mut decorations = Decorations {
        node_classes: vec![String::new(); flow.nodes.len()],
        node_notes: vec![None; flow.nodes.len()],
        node_links: vec![None; flow.nodes.len()],
        edge_classes: vec![String::new(); flow.edges.len()],
        edge_notes: vec![None; flow.edges.len()],
        edge_emphasis: vec![false; flow.edges.len()],
        ..Default::default()
    };
    for (i, node) in flow.nodes.iter().enumerate() {
        let hits = coverage.actions.get(i).map_or(0, |a| a.hits);
        decorations.node_classes[i] = if hits > 0 { "run" } else { "never" }.into();
        decorations.node_notes[i] = Some(if hits > 0 {
            format!("run ×{hits}")
        } else {
            "never run".into()
        });
        if let Some(sub) = &node.subscript {
            decorations.node_links[i] = links.get(&shown(&sub.name)).cloned();
        }
    }
    for k in 0..flow.edges.len() {
        let hits = coverage.branches.get(k).map_or(0, |b| b.hits);
        decorations.edge_classes[k] = if hits > 0 { "covered" } else { "uncovered" }.into();
        decorations.edge_notes[k] = Some(format!("×{hits}"));
    }
    let svg = render_svg(flow, &decorations);
    let title = flow
        .title
        .clone()
        .unwrap_or_else(|| coverage.script.clone());

    let mut body = format!(
        "<header><h1>Coverage of {}</h1><div class=\"file\">{} · <a href=\"{}\">all scripts</a></div></header>\n<main>\n",
        html(&title),
        html(&coverage.script),
        html(index)
    );
    body += &format!(
        "<section class=\"picture\" id=\"picture\"><h2>Flow</h2><div class=\"legend\"><span style=\"color:#2e7d32\">green: branch taken ×N times</span><span style=\"color:#d32f2f\">red dashed: never taken</span><span>run ×N: executions of an action</span></div>\n{svg}</section>\n"
    );
    body += "<div class=\"details\">\n<section id=\"summary\"><h2>Coverage</h2>\n<table>\n";
    body += &format!(
        "<tr><th>actions</th><td id=\"actions\">{}/{} {}</td></tr>\n",
        coverage.actions_hit(),
        coverage.actions.len(),
        percent_cell(coverage.action_percent())
    );
    body += &format!(
        "<tr><th>branches</th><td id=\"branches\">{}/{} {}</td></tr>\n",
        coverage.branches_taken(),
        coverage.branches.len(),
        percent_cell(coverage.branch_percent())
    );
    if !coverage.snippet_branches.is_empty() {
        body += &format!(
            "<tr><th>snippet branches</th><td id=\"snippet-branches\">{}/{} {}</td></tr>\n",
            coverage.snippet_branches_taken(),
            coverage.snippet_branches.len(),
            percent_cell(coverage.snippet_branch_percent())
        );
    }
    body += "</table></section>\n";

    let untaken = coverage.untaken_lines();
    body += "<section id=\"uncovered\"><h2>Branches never taken</h2>\n";
    if untaken.is_empty() {
        body += "<p class=\"muted\">none: every branch was taken</p>\n";
    } else {
        body += "<ul class=\"uncovered\">\n";
        for line in &untaken {
            body += &format!("<li>{}</li>\n", html(line));
        }
        body += "</ul>\n";
    }
    body += "</section>\n";

    body += "<section id=\"branch-list\"><h2>Branches</h2>\n<table>\n<thead><tr><th>action</th><th>type</th><th>branch</th><th>to</th><th>where</th><th class=\"num\">taken</th></tr></thead>\n<tbody>\n";
    for (k, b) in coverage.branches.iter().enumerate() {
        let class = if b.hits > 0 { "covered" } else { "uncovered" };
        body += &format!(
            "<tr class=\"branch {class}\" id=\"branch-{k}\" data-edge=\"{k}\" tabindex=\"0\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}:{}:{}</td><td class=\"hits\">{}</td></tr>\n",
            html(&b.action),
            html(&b.action_type),
            html(&b.branch),
            html(&b.target),
            html(&coverage.script),
            b.line,
            b.column,
            b.hits
        );
    }
    body += "</tbody></table></section>\n";
    if !coverage.snippet_branches.is_empty() {
        body += "<section id=\"snippet-branch-list\"><h2>Snippet branches</h2>\n<table>\n<thead><tr><th>in</th><th>statement</th><th>arm</th><th>where</th><th class=\"num\">taken</th></tr></thead>\n<tbody>\n";
        for b in &coverage.snippet_branches {
            let class = if b.hits > 0 { "covered" } else { "uncovered" };
            body += &format!(
                "<tr class=\"snippet-branch {class}\"><td>{}</td><td>{}</td><td>{}</td><td>{}:{}:{}</td><td class=\"hits\">{}</td></tr>\n",
                html(&b.action),
                html(&b.statement),
                html(&b.arm),
                html(&coverage.script),
                b.line,
                b.column,
                b.hits
            );
        }
        body += "</tbody></table></section>\n";
    }
    body += "</div>\n</main>\n";
    page_styled(
        &format!("Coverage of {title}"),
        COVERAGE_STYLE,
        &body,
        PAGE_SCRIPT,
    )
}

/// The index page: each script with its action and branch percentages,
/// linking to its page (`pages[i]` is the href of `scripts[i]`).
///
/// ```
/// use studioflow::testing::{BranchCoverage, ScriptCoverage};
/// let c = ScriptCoverage { script: "x.script".into(), actions: vec![], branches: vec![BranchCoverage {
///     action: "a".into(), action_type: "If".into(), branch: "True".into(),
///     target: "b".into(), line: 3, column: 4, hits: 0 }], snippet_branches: vec![] };
/// let page = studioflow::report::coverage_index(&[c], &["x_script.html".to_string()]);
/// assert!(page.contains("<a href=\"x_script.html\">x.script</a>"));
/// assert!(page.contains("0/1 <span class=\"bar\">"));
/// ```
pub fn coverage_index(scripts: &[ScriptCoverage], pages: &[String]) -> String {
    // A Snippet branches column only when some script has Snippet code.
    let snippets = scripts.iter().any(|s| !s.snippet_branches.is_empty());
    let mut body = format!(
        "<header><h1>Branch coverage</h1><div class=\"file\">studioflow test --coverage-html</div></header>\n<main style=\"display:block\">\n<section id=\"scripts\"><h2>Scripts</h2>\n<table>\n<thead><tr><th>script</th><th>actions</th><th>branches</th>{}<th class=\"num\">branches never taken</th></tr></thead>\n<tbody>\n",
        if snippets { "<th>snippet branches</th>" } else { "" }
    );
    for (s, href) in scripts.iter().zip(pages) {
        let snippet_cell = match (snippets, s.snippet_branches.is_empty()) {
            (false, _) => String::new(),
            (true, true) => "<td>—</td>".to_string(),
            (true, false) => format!(
                "<td>{}/{} {}</td>",
                s.snippet_branches_taken(),
                s.snippet_branches.len(),
                percent_cell(s.snippet_branch_percent())
            ),
        };
        body += &format!(
            "<tr class=\"script\" data-percent=\"{:.1}\"><td><a href=\"{}\">{}</a></td><td>{}/{} {}</td><td>{}/{} {}</td>{snippet_cell}<td class=\"num\">{}</td></tr>\n",
            s.branch_percent(),
            html(href),
            html(&s.script),
            s.actions_hit(),
            s.actions.len(),
            percent_cell(s.action_percent()),
            s.branches_taken(),
            s.branches.len(),
            percent_cell(s.branch_percent()),
            s.branches.len() - s.branches_taken()
        );
    }
    body += "</tbody></table></section>\n</main>\n";
    page_styled("Branch coverage", COVERAGE_STYLE, &body, "")
}

/// Why coverage pages could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageHtmlError {
    /// The folder exists as something else (a file, a device...).
    #[error("{}: not a directory (give a folder for the coverage pages)", path.display())]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The folder could not be created.
    #[error("{}: cannot create the folder: {reason}", path.display())]
    CreateFolder {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A page could not be written.
    #[error("{reason}")]
    Write {
        /// The page.
        path: PathBuf,
        /// Why (naming the page).
        reason: String,
    },
}

/// The path of a subscript as coverage shows it (no leading `./`).
fn shown(name: &str) -> String {
    let path = Path::new(name);
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// A page file name for each script: its path made file-safe, unique.
fn page_names(scripts: &[ScriptCoverage]) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    used.insert(COVERAGE_INDEX.to_string());
    scripts
        .iter()
        .map(|s| {
            let text = s.script.trim_start_matches("./").trim_start_matches('/');
            let base = crate::testing::file_safe(text);
            let mut name = format!("{base}.html");
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}-{n}.html");
                n += 1;
            }
            name
        })
        .collect()
}

/// Writes one coverage page per script and the index page into `dir`
/// (created if missing), each file atomically, the index last. Returns
/// the files written, the index last.
///
/// ```
/// use studioflow::{Engine, RunOptions};
/// let engine = Engine::new();
/// let script = engine.compile("start: Begin { Default -> done }\ndone: End", "s.script").unwrap();
/// let run = engine.run(&script, RunOptions::default().trace(true));
/// let mut coverage = studioflow::testing::Coverage::default();
/// coverage.record("s.script".as_ref(), &script, &run);
/// let dir = tempfile::tempdir().unwrap();
/// let written = studioflow::report::write_coverage_html(&coverage, &dir.path().join("cov")).unwrap();
/// assert_eq!(written.len(), 2);
/// assert!(written[1].ends_with("index.html"));
/// assert!(std::fs::read_to_string(&written[0]).unwrap().contains("Coverage of s.script"));
/// ```
pub fn write_coverage_html(
    coverage: &Coverage,
    dir: &Path,
) -> Result<Vec<PathBuf>, CoverageHtmlError> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(CoverageHtmlError::NotADirectory {
                path: dir.to_owned(),
            })
        }
        Ok(_) => {}
        // Only DIR itself is created, never its missing parents (as every output).
        Err(_) => std::fs::create_dir(dir).map_err(|e| CoverageHtmlError::CreateFolder {
            path: dir.to_owned(),
            reason: e.to_string(),
        })?,
    }
    let scripts = coverage.scripts();
    let names = page_names(scripts);
    let links: HashMap<String, String> = scripts
        .iter()
        .zip(&names)
        .map(|(s, name)| (s.script.clone(), name.clone()))
        .collect();
    let mut written = Vec::with_capacity(scripts.len() + 1);
    let write = |name: &str, text: String| -> Result<PathBuf, CoverageHtmlError> {
        let path = dir.join(name);
        crate::files::write_atomically(&path, text.as_bytes()).map_err(|e| {
            CoverageHtmlError::Write {
                path: path.clone(),
                reason: e.to_string(),
            }
        })?;
        Ok(path)
    };
    for ((script, flow), name) in scripts.iter().zip(coverage.flows()).zip(&names) {
        written.push(write(
            name,
            coverage_page(flow, script, &links, COVERAGE_INDEX),
        )?);
    }
    written.push(write(COVERAGE_INDEX, coverage_index(scripts, &names))?);
    Ok(written)
}

// The pages are the report's to draw; the coverage data (in `testing`)
// knows nothing of them.
impl Coverage {
    /// Writes the coverage pages into `dir`: one page per script with its
    /// flow picture coloured by the branches taken, and `index.html`
    /// (see [`write_coverage_html`]). Returns the files
    /// written, the index last.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("taken");
    /// std::fs::write(&file, "").unwrap();
    /// let e = studioflow::testing::Coverage::default().write_html(&file).unwrap_err();
    /// assert!(e.to_string().ends_with("taken: not a directory (give a folder for the coverage pages)"), "{e}");
    /// ```
    pub fn write_html(&self, dir: &Path) -> Result<Vec<PathBuf>, CoverageHtmlError> {
        write_coverage_html(self, dir)
    }
}
