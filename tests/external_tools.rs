//! Checks that need Graphviz and Chromium: DOT accepted by `dot -Tsvg`, and
//! the HTML run report opened in real headless Chromium (one node per
//! action, the path highlighted, one row per step, selecting a step
//! highlights its node, hostile captions stay text).
//!
//! Its own harness, so that a missing tool is reported BY NAME as
//! `skipped: ...` in `cargo test`'s output instead of passing silently.
//! `.ci/run` installs both tools and sets `STUDIOFLOW_REQUIRE_TOOLS=1`,
//! which turns a missing tool into a failure.

#[path = "tool_harness/mod.rs"]
mod tool_harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tool_harness::ToolCheck;

use tempfile::TempDir;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn studioflow() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_studioflow"));
    cmd.current_dir(root());
    cmd
}

fn examples() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("scripts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "script"))
        .collect();
    paths.sort();
    paths
}

const HOSTILE_SCRIPT: &str = "script \"</script><img src=x onerror=alert(1)>\"\n\
start: Begin \"</script><img src=x onerror=alert(1)>\" { Default -> pick }\n\
pick: Case \"<b>x</b> \\\"q\\\" \\\\N\" { Value = x Case \"<img src=y onerror=alert(2)>\" -> done Default -> done }\n\
done: End \"<svg onload=alert(3)>\"\n";

fn graphviz_accepts_dot(dot: &Path) -> Result<(), String> {
    let dir = TempDir::new().unwrap();
    let hostile = dir.path().join("hostile.script");
    std::fs::write(&hostile, HOSTILE_SCRIPT).unwrap();
    let mut scripts = examples();
    scripts.push(hostile);
    for script in scripts {
        let out = studioflow().arg("graph").arg(&script).output().unwrap();
        if !out.status.success() {
            return Err(format!(
                "graph {} failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let mut child = Command::new(dot)
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(&out.stdout).unwrap();
        let result = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        if !result.status.success() || stderr.contains("Error") || stderr.contains("syntax error") {
            return Err(format!(
                "dot -Tsvg rejected the DOT of {}: {stderr}",
                script.display()
            ));
        }
        let svg = String::from_utf8_lossy(&result.stdout);
        if !svg.contains("<svg") || svg.contains("<img") {
            return Err(format!("unexpected Graphviz SVG for {}", script.display()));
        }
    }
    Ok(())
}

/// Loads a page in headless Chromium and returns the DOM after its scripts ran.
fn dump_dom(chromium: &Path, url: &str) -> Result<String, String> {
    let profile = TempDir::new().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    if !dom.contains("<html") && !dom.contains("<svg") {
        return Err(format!(
            "chromium printed no DOM for {url} (exit {:?})",
            out.status.code()
        ));
    }
    Ok(dom)
}

/// The opening tags whose class list contains `class`.
fn tags_with_class<'a>(dom: &'a str, class: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = dom;
    while let Some(start) = rest.find('<') {
        let tail = &rest[start..];
        let end = tail.find('>').map_or(tail.len(), |e| e + 1);
        let tag = &tail[..end];
        if let Some(c) = tag.find("class=\"") {
            let value = &tag[c + 7..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            if value.split_whitespace().any(|w| w == class) {
                found.push(tag);
            }
        }
        rest = &tail[end.max(1)..];
    }
    found
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let rest = &tag[at..];
    Some(&rest[..rest.find('"')?])
}

fn chromium_shows_the_run_report(chromium: &Path) -> Result<(), String> {
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("report.html");
    let out = studioflow()
        .args(["run", "scripts/retry_lookup.script", "--json", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    if out.status.code() != Some(0) {
        return Err(format!(
            "run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let trace = doc["trace"].as_array().ok_or("no trace")?;
    let source = std::fs::read_to_string(root().join("scripts/retry_lookup.script")).unwrap();
    let script = studioflow::Engine::new().compile(&source, "r").unwrap();

    // Select step 7 through the page's own hook, as a click would.
    let selected_step = 7;
    let url = format!("file://{}?step={selected_step}", report.display());
    let dom = dump_dom(chromium, &url)?;

    let nodes = tags_with_class(&dom, "node");
    if nodes.len() != script.action_count() {
        return Err(format!(
            "{} nodes rendered for {} actions",
            nodes.len(),
            script.action_count()
        ));
    }
    let rows = tags_with_class(&dom, "step");
    let rows: Vec<&&str> = rows.iter().filter(|t| t.starts_with("<tr")).collect();
    if rows.len() != trace.len() {
        return Err(format!(
            "{} step rows for {} executed steps",
            rows.len(),
            trace.len()
        ));
    }
    // The highlighted path: exactly the actions the run executed.
    let executed: std::collections::BTreeSet<String> = trace
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_string())
        .collect();
    let visited: std::collections::BTreeSet<String> = tags_with_class(&dom, "visited")
        .iter()
        .filter_map(|t| attr(t, "data-action").map(str::to_string))
        .collect();
    if visited != executed {
        return Err(format!(
            "highlighted nodes {visited:?}, executed {executed:?}"
        ));
    }
    let taken = tags_with_class(&dom, "taken")
        .iter()
        .filter(|t| t.starts_with("<g") && attr(t, "data-branch").is_some())
        .count();
    if taken == 0 {
        return Err("no taken edge highlighted".into());
    }
    let ended = tags_with_class(&dom, "end");
    if ended.len() != 1 || attr(ended[0], "data-action") != doc["end"].as_str() {
        return Err(format!(
            "end marked on {ended:?}, the run ended at {}",
            doc["end"]
        ));
    }
    // Selecting step 7 highlighted its row and the node of its action, and only those.
    let selected = tags_with_class(&dom, "selected");
    let want = trace[selected_step - 1]["action"].as_str().unwrap();
    let selected_node: Vec<&str> = selected
        .iter()
        .filter_map(|t| attr(t, "data-action"))
        .collect();
    let selected_row: Vec<&str> = selected
        .iter()
        .filter_map(|t| attr(t, "data-step"))
        .collect();
    if selected_node != [want] || selected_row != [selected_step.to_string().as_str()] {
        return Err(format!("selected node {selected_node:?} and row {selected_row:?}, wanted {want} and step {selected_step}"));
    }
    // Without the hook nothing is selected (so the check above can fail).
    let plain = dump_dom(chromium, &format!("file://{}", report.display()))?;
    if !tags_with_class(&plain, "selected").is_empty() {
        return Err("a step is selected without being asked".into());
    }
    Ok(())
}

/// A report across RunSub: selecting a step inside the subscript
/// highlights the node in the subscript's own picture, and the RunSub node
/// links to that picture.
fn chromium_shows_subscript_frames(chromium: &Path) -> Result<(), String> {
    let dir = TempDir::new().unwrap();
    let report = dir.path().join("report.html");
    let out = studioflow()
        .args(["run", "scripts/order_summary.script", "--json", "--report"])
        .arg(&report)
        .output()
        .unwrap();
    if out.status.code() != Some(0) {
        return Err(format!(
            "run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let trace = doc["trace"].as_array().ok_or("no trace")?;
    let inside = trace
        .iter()
        .find(|s| s["script"].is_string())
        .ok_or("no step inside a subscript")?;
    let step = inside["step"].as_u64().unwrap();
    let dom = dump_dom(
        chromium,
        &format!("file://{}?step={step}", report.display()),
    )?;
    let selected = tags_with_class(&dom, "selected");
    let node: Vec<(&str, &str)> = selected
        .iter()
        .filter(|t| t.starts_with("<g"))
        .map(|t| {
            (
                attr(t, "id").unwrap_or(""),
                attr(t, "data-action").unwrap_or(""),
            )
        })
        .collect();
    let want = inside["action"].as_str().unwrap();
    if node.len() != 1 || !node[0].0.starts_with("u1-node-") || node[0].1 != want {
        return Err(format!(
            "selected {node:?}, wanted {want} in the subscript's picture"
        ));
    }
    let frames = tags_with_class(&dom, "frame").len();
    let in_sub = trace.iter().filter(|s| s["script"].is_string()).count();
    if frames != in_sub {
        return Err(format!("{frames} frame rows for {in_sub} subscript steps"));
    }
    if !dom.contains("href=\"#sub-1\"") || !dom.contains("id=\"sub-1\"") {
        return Err("the RunSub node does not link to the subscript's picture".into());
    }
    Ok(())
}

/// `test --coverage-html`: the page of a script renders its flow with one
/// node per action and every branch coloured as the coverage JSON counts
/// it; selecting a branch row highlights its edge; the index lists every script.
fn chromium_shows_coverage_pages(chromium: &Path) -> Result<(), String> {
    let dir = TempDir::new().unwrap();
    let pages = dir.path().join("cov");
    let json = dir.path().join("cov.json");
    let out = studioflow()
        .args(["test", "scripts", "--coverage-html"])
        .arg(&pages)
        .arg("--coverage-json")
        .arg(&json)
        .env_remove("CI")
        .output()
        .unwrap();
    if out.status.code() != Some(0) {
        return Err(format!(
            "test failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap())
        .map_err(|e| e.to_string())?;
    let scripts = doc["scripts"].as_array().ok_or("no scripts")?;
    let index = dump_dom(
        chromium,
        &format!("file://{}", pages.join("index.html").display()),
    )?;
    let rows = tags_with_class(&index, "script");
    if rows.len() != scripts.len() {
        return Err(format!(
            "index shows {} scripts of {}",
            rows.len(),
            scripts.len()
        ));
    }
    let order = scripts
        .iter()
        .find(|s| s["script"] == "scripts/order_summary.script")
        .ok_or("order_summary not covered")?;
    let branches = order["branch_hits"].as_array().unwrap();
    let untaken = branches
        .iter()
        .position(|b| b["hits"] == 0)
        .ok_or("order_summary has no untaken branch to select")?;
    let page = pages.join("scripts_order_summary_script.html");
    let dom = dump_dom(
        chromium,
        &format!("file://{}?branch={untaken}", page.display()),
    )?;
    let nodes = tags_with_class(&dom, "node");
    let actions = order["action_hits"].as_array().unwrap();
    if nodes.len() != actions.len() {
        return Err(format!(
            "{} nodes rendered for {} actions",
            nodes.len(),
            actions.len()
        ));
    }
    let edges = |class: &str| -> Vec<String> {
        tags_with_class(&dom, class)
            .iter()
            .filter(|t| t.starts_with("<g") && attr(t, "data-branch").is_some())
            .filter_map(|t| attr(t, "id").map(str::to_string))
            .collect()
    };
    let want = |taken: bool| -> Vec<String> {
        branches
            .iter()
            .enumerate()
            .filter(|(_, b)| (b["hits"] != 0) == taken)
            .map(|(k, _)| format!("edge-{k}"))
            .collect()
    };
    if edges("covered") != want(true) || edges("uncovered") != want(false) {
        return Err(format!(
            "covered {:?} / uncovered {:?}, coverage says {:?} / {:?}",
            edges("covered"),
            edges("uncovered"),
            want(true),
            want(false)
        ));
    }
    let selected: Vec<String> = tags_with_class(&dom, "selected")
        .iter()
        .filter_map(|t| attr(t, "id").map(str::to_string))
        .collect();
    let expected = [
        format!("edge-{untaken}"),
        format!("label-{untaken}"),
        format!("branch-{untaken}"),
    ];
    let mut sorted = selected.clone();
    sorted.sort();
    let mut expected_sorted = expected.to_vec();
    expected_sorted.sort();
    if sorted != expected_sorted {
        return Err(format!("selected {selected:?}, wanted {expected:?}"));
    }
    let plain = dump_dom(chromium, &format!("file://{}", page.display()))?;
    if !tags_with_class(&plain, "selected").is_empty() {
        return Err("a branch is selected without being asked".into());
    }
    Ok(())
}

fn chromium_keeps_hostile_captions_as_text(chromium: &Path) -> Result<(), String> {
    let dir = TempDir::new().unwrap();
    let script = dir.path().join("hostile.script");
    std::fs::write(&script, HOSTILE_SCRIPT).unwrap();
    let report = dir.path().join("hostile.html");
    let svg = dir.path().join("hostile.svg");
    let out = studioflow()
        .arg("run")
        .arg(&script)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    if out.status.code() != Some(0) {
        return Err(format!(
            "run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let out = studioflow()
        .arg("graph")
        .arg(&script)
        .args(["--format", "svg", "-o"])
        .arg(&svg)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err("graph --format svg failed".into());
    }
    for page in [&report, &svg] {
        let dom = dump_dom(chromium, &format!("file://{}", page.display()))?;
        if dom.contains("<img")
            || dom.contains("<b>")
            || dom.contains("onload=") && dom.contains("<svg onload")
        {
            return Err(format!(
                "{} produced markup from a caption:\n{dom}",
                page.display()
            ));
        }
        if !dom.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;") {
            return Err(format!(
                "{}: the caption is not shown as text",
                page.display()
            ));
        }
    }
    Ok(())
}

fn main() {
    let check = |name, tool, package, check| ToolCheck {
        name,
        tool,
        package,
        check,
    };
    tool_harness::run(&[
        check(
            "graphviz_accepts_the_dot_of_every_example",
            "dot",
            "graphviz",
            graphviz_accepts_dot,
        ),
        check(
            "chromium_shows_the_run_report",
            "chromium",
            "chromium",
            chromium_shows_the_run_report,
        ),
        check(
            "chromium_shows_subscript_frames",
            "chromium",
            "chromium",
            chromium_shows_subscript_frames,
        ),
        check(
            "chromium_shows_coverage_pages",
            "chromium",
            "chromium",
            chromium_shows_coverage_pages,
        ),
        check(
            "chromium_keeps_hostile_captions_as_text",
            "chromium",
            "chromium",
            chromium_keeps_hostile_captions_as_text,
        ),
    ]);
}
