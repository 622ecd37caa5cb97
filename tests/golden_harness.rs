//! This repository's golden tests.
//!
//! - Every `NAME.test.toml` under `tests/golden/` and `scripts/` is one named
//!   test, run through the public [`studioflow::testing`] library exactly as
//!   `studioflow test` runs it: each case pins its outcome, its check
//!   warnings and (as a snapshot under `__snapshots__/NAME/`) its whole run
//!   document with trace and final variables.
//! - Every script under `tests/golden/malformed/` is a diagnostics case: the
//!   `check` output of a script that does not compile (or the run of one that
//!   barely does) is compared with an insta snapshot under
//!   `tests/golden/snapshots/malformed/`.
//! - Every `.script` under `tests/golden/` and `scripts/` is parsed and its
//!   AST's spans checked (`span_nesting`): every node's span lies inside its
//!   parent's and after its previous sibling's, Snippet code included.
//!
//! Updating expectations:
//! - `UPDATE_GOLDEN=1 cargo test --test golden` writes missing and changed
//!   snapshots of both kinds (review them with `git diff`);
//! - otherwise a mismatch or a missing snapshot fails (locally insta leaves a
//!   `.snap.new` beside a diagnostics snapshot for `cargo insta review`);
//! - under CI (`CI=true`) nothing is ever written, whatever else is set.

use std::collections::BTreeSet;
use std::path::Path;

use datatest_stable::Utf8Path;
use serde::Deserialize;
use studioflow::permissions::Directory;
use studioflow::snippet::{PathStep, Stmt, StmtKind};
use studioflow::syntax::ast::{Expr, ExprKind, ScriptAst, TemplatePart};
use studioflow::testing::TestRunner;
use studioflow::{CompileOptions, Engine, FixedClock, Outcome, RunOptions, Span, Value};

/// The inputs a diagnostics case may declare in a `// golden: {...}` first line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(default)]
    vars: serde_json::Map<String, serde_json::Value>,
    directory: Option<String>,
    now: Option<String>,
    max_steps: Option<u64>,
    #[serde(default)]
    inputs: Vec<String>,
}

const HEADER_PREFIX: &str = "// golden:";

/// The clock of a case that does not set `now`.
const DEFAULT_NOW: &str = studioflow::testing::DEFAULT_NOW;

fn parse_header(source: &str) -> Result<Header, String> {
    let Some(first) = source.lines().next() else {
        return Ok(Header::default());
    };
    match first.trim_start().strip_prefix(HEADER_PREFIX) {
        Some(json) => {
            serde_json::from_str(json.trim()).map_err(|e| format!("bad golden header: {e}"))
        }
        None => Ok(Header::default()),
    }
}

/// Exit codes, as the CLI reports them.
const EXIT_OK: i32 = 0;
const EXIT_STOPPED: i32 = 1;
const EXIT_INPUT: i32 = 2;
const EXIT_LIMIT: i32 = 3;

/// Checks (and, when it compiles, runs) a diagnostics case the way
/// `studioflow check` / `run --json` do and renders the snapshotted document.
fn render_case(path: &Utf8Path, bytes: &[u8]) -> Result<String, String> {
    // Diagnostics name the file by its crate-relative path, with `/`.
    let name = path.as_str().replace('\\', "/");
    let source = match String::from_utf8(bytes.to_vec()) {
        Ok(s) => s,
        Err(e) => {
            return Ok(format!(
                "exit: {EXIT_INPUT}\n--- error ---\n{name}: not a UTF-8 text file (invalid byte at offset {})\n",
                e.utf8_error().valid_up_to()
            ));
        }
    };
    let header = parse_header(&source)?;
    let now = header.now.as_deref().unwrap_or(DEFAULT_NOW);
    let clock = FixedClock::parse(now).map_err(|e| format!("bad `now` {now:?}: {e}"))?;
    // RunSub targets are read relative to the case, as `run` reads them.
    let mut builder = Engine::builder()
        .clock(clock)
        .script_resolver(studioflow::FileResolver::new(1 << 20));
    if let Some(dir) = &header.directory {
        let base = path
            .parent()
            .map(Utf8Path::as_std_path)
            .unwrap_or(Path::new("."));
        match Directory::load_file(&base.join(dir)) {
            Ok(directory) => builder = builder.directory(directory),
            Err(e) => return Ok(format!("exit: {EXIT_INPUT}\n--- error ---\n{e}\n")),
        }
    }
    let engine = builder.build();
    let inputs: BTreeSet<String> = header
        .inputs
        .iter()
        .cloned()
        .chain(header.vars.keys().cloned())
        .collect();
    let options = CompileOptions {
        inputs: inputs.into_iter().collect(),
    };
    let script = match engine.compile_with(&source, &name, &options) {
        Ok(script) => script,
        Err(diagnostics) => {
            // As `check` prints them: the command line's input hint.
            let diagnostics = diagnostics.with_input_hint(|name| format!("--var {name}"));
            return Ok(format!(
                "exit: {EXIT_INPUT}\n--- diagnostics ---\n{diagnostics}\n"
            ));
        }
    };
    let mut run_options = RunOptions::default().trace(true);
    run_options.max_steps = header.max_steps;
    for (k, v) in &header.vars {
        run_options.variables.insert(k.clone(), Value::from_json(v));
    }
    let run = engine.run(&script, run_options);
    let (code, word) = match run.outcome {
        Outcome::Completed => (EXIT_OK, "completed"),
        Outcome::Stopped => (EXIT_STOPPED, "stopped"),
        Outcome::Cancelled => (EXIT_STOPPED, "cancelled"),
        Outcome::Limit => (EXIT_LIMIT, "limit"),
        // `Outcome` is non_exhaustive: a future outcome stops.
        _ => (EXIT_STOPPED, "stopped"),
    };
    let json = serde_json::to_string_pretty(&run.to_json()).map_err(|e| e.to_string())?;
    let warnings = script
        .warnings()
        .clone()
        .with_input_hint(|name| format!("--var {name}"));
    let warnings = if warnings.is_empty() {
        "(none)".to_string()
    } else {
        warnings.to_string()
    };
    Ok(format!(
        "exit: {code} ({word})\n--- warnings ---\n{warnings}\n--- run ---\n{json}\n"
    ))
}

/// A diagnostics case under `tests/golden/malformed/`.
fn diagnostics(path: &Utf8Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    let doc = render_case(path, &bytes)?;
    let rel = path.as_str().replace('\\', "/");
    let stem = rel
        .rsplit_once('/')
        .map_or(rel.as_str(), |(_, f)| f)
        .trim_end_matches(".script")
        .to_string();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("golden/snapshots/malformed");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(path.as_std_path());
    settings.bind(|| insta::assert_snapshot!(stem, doc));
    Ok(())
}

/// True when `CI` says this runs in CI.
fn in_ci() -> bool {
    match std::env::var("CI").as_deref() {
        Ok("") | Ok("0") | Ok("false") => false,
        Ok(_) => true,
        Err(_) => std::env::var_os("TF_BUILD").is_some(),
    }
}

fn update_requested() -> bool {
    !in_ci()
        && matches!(
            std::env::var("UPDATE_GOLDEN").as_deref(),
            Ok("1") | Ok("true") | Ok("yes")
        )
}

/// A test file: every case must pass (snapshots written only on request).
fn case_file(path: &Utf8Path, _bytes: Vec<u8>) -> datatest_stable::Result<()> {
    let runner = TestRunner::new().update_snapshots(update_requested());
    let file = runner.load(path.as_std_path()).map_err(|e| e.to_string())?;
    let report = runner.run_file(&file);
    let mut failures = Vec::new();
    for case in &report.cases {
        if !case.passed() {
            failures.push(format!("FAILED {path}: {}", case.name));
            failures.extend(case.mismatches.iter().map(|m| format!("    {m}")));
        }
    }
    for stale in &report.stale_snapshots {
        failures.push(format!("{}: a snapshot no case uses", stale.display()));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// The test file of an example under `scripts/`.
fn example_file(path: &Utf8Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    case_file(path, bytes)
}

/// Maps `UPDATE_GOLDEN` and `CI` onto insta's update mode. Runs before any
/// test thread starts (insta reads its configuration once, lazily).
fn configure_updates() -> &'static str {
    // SAFETY: called while the harness collects tests, before any test
    // thread exists, so no other thread reads the environment concurrently.
    unsafe {
        if in_ci() {
            // CI never writes a snapshot and never passes a mismatch.
            std::env::set_var("INSTA_UPDATE", "no");
            std::env::remove_var("INSTA_FORCE_PASS");
        } else if update_requested() {
            std::env::set_var("INSTA_UPDATE", "always");
        }
    }
    "tests/golden/malformed"
}

/// A node of the span tree: what it is (for messages), where, and its
/// children in source order.
struct Node {
    what: String,
    span: Span,
    children: Vec<Node>,
}

fn leaf(what: &str, span: Span) -> Node {
    Node {
        what: what.to_string(),
        span,
        children: Vec::new(),
    }
}

fn expr_node(e: &Expr) -> Node {
    let mut children = Vec::new();
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Variable(_) => {}
        ExprKind::Template(parts) => {
            for part in parts {
                if let TemplatePart::Expr(inner) = part {
                    children.push(expr_node(inner));
                }
            }
        }
        ExprKind::List(items) => children.extend(items.iter().map(expr_node)),
        ExprKind::Member(base, _) => children.push(expr_node(base)),
        ExprKind::Index(base, index) => {
            children.push(expr_node(base));
            children.push(expr_node(index));
        }
        ExprKind::Unary(_, inner) => children.push(expr_node(inner)),
        ExprKind::Binary(_, a, b) => {
            children.push(expr_node(a));
            children.push(expr_node(b));
        }
        ExprKind::Call(_, name_span, args) => {
            children.push(leaf("function name", *name_span));
            children.extend(args.iter().map(expr_node));
            // `x.f(y)` is `f(x, y)` written with its first argument first.
            children.sort_by_key(|c| c.span.start);
        }
    }
    Node {
        what: "expression".into(),
        span: e.span,
        children,
    }
}

fn block(statements: &[Stmt], out: &mut Vec<Node>) {
    out.extend(statements.iter().map(stmt_node));
}

fn stmt_node(st: &Stmt) -> Node {
    let mut children = Vec::new();
    match &st.kind {
        StmtKind::Assign { target, value } => {
            children.push(leaf("assignment target", target.span));
            for step in &target.path {
                if let PathStep::Index(index) = step {
                    children.push(expr_node(index));
                }
            }
            children.push(expr_node(value));
        }
        StmtKind::If {
            cond,
            then,
            otherwise,
        } => {
            children.push(expr_node(cond));
            block(then, &mut children);
            block(otherwise, &mut children);
        }
        StmtKind::Switch {
            subject,
            cases,
            default,
        } => {
            children.push(expr_node(subject));
            for (labels, body) in cases {
                children.extend(labels.iter().map(expr_node));
                block(body, &mut children);
            }
            block(default.as_deref().unwrap_or(&[]), &mut children);
        }
        StmtKind::Select { cases, default } => {
            for (labels, body) in cases {
                children.extend(labels.iter().map(expr_node));
                block(body, &mut children);
            }
            block(default.as_deref().unwrap_or(&[]), &mut children);
        }
        StmtKind::For {
            start, end, body, ..
        } => {
            children.push(expr_node(start));
            children.push(expr_node(end));
            block(body, &mut children);
        }
        StmtKind::ForEach { array, body, .. } => {
            children.push(expr_node(array));
            block(body, &mut children);
        }
        StmtKind::Repeat { count, body } => {
            children.push(expr_node(count));
            block(body, &mut children);
        }
        StmtKind::Function(f) => {
            children.push(leaf("function name", f.name_span));
            block(&f.body, &mut children);
        }
        StmtKind::Return(Some(e)) | StmtKind::Trace(e) | StmtKind::Call(e) => {
            children.push(expr_node(e))
        }
        StmtKind::Return(None) | StmtKind::Break | StmtKind::Dynamic(_) => {}
    }
    Node {
        what: "Snippet statement".into(),
        span: st.span,
        children,
    }
}

/// The span tree of a parsed script. Properties and branches are two
/// lists in the AST (written interleaved), so each is its own group node.
fn script_tree(source: &str, ast: &ScriptAst) -> Node {
    let mut children = Vec::new();
    if let Some(h) = &ast.header {
        if let Some((_, span)) = &h.script_type {
            children.push(leaf("header type", *span));
        }
        children.extend(h.inputs.iter().map(|(_, span)| leaf("header input", *span)));
    }
    for a in &ast.actions {
        let mut parts = vec![
            leaf("action id", a.id_span),
            leaf("action type", a.type_span),
        ];
        let group = |what: &str, nodes: Vec<Node>| Node {
            what: what.into(),
            span: match (nodes.first(), nodes.last()) {
                (Some(f), Some(l)) => Span::new(f.span.start, l.span.end),
                _ => Span::new(a.type_span.end, a.type_span.end),
            },
            children: nodes,
        };
        let properties = a
            .properties
            .iter()
            .map(|p| {
                let mut children = vec![leaf("property name", p.name_span), expr_node(&p.value)];
                // Snippet code in a `"""` block: its statements too.
                let written = source
                    .get(p.value.span.start..p.value.span.end)
                    .unwrap_or("");
                let written = written.trim_end();
                if written.len() >= 6
                    && written.starts_with("\"\"\"")
                    && written.ends_with("\"\"\"")
                {
                    let start = p.value.span.start + 3;
                    let code = &source[start..p.value.span.start + written.len() - 3];
                    if let Ok(statements) = studioflow::snippet::parse(code, start) {
                        let value = children.last_mut().expect("the value");
                        value.children.extend(statements.iter().map(stmt_node));
                    }
                }
                Node {
                    what: format!("property `{}`", p.name),
                    span: Span::new(p.name_span.start, p.value.span.end),
                    children,
                }
            })
            .collect();
        let branches = a
            .branches
            .iter()
            .map(|b| Node {
                what: format!("branch `{}`", b.name),
                span: Span::new(b.name_span.start, b.target_span.end),
                children: vec![
                    leaf("branch name", b.name_span),
                    leaf("branch target", b.target_span),
                ],
            })
            .collect();
        let body = Node {
            what: "body".into(),
            span: Span::new(a.type_span.end, a.span.end),
            children: vec![group("properties", properties), group("branches", branches)],
        };
        // The two groups overlap when properties and branches interleave:
        // check each group against the body, not against each other.
        parts.push(body);
        children.push(Node {
            what: format!("action `{}`", a.id),
            span: a.span,
            children: parts,
        });
    }
    Node {
        what: "script".into(),
        span: Span::new(0, source.len()),
        children,
    }
}

/// Every node inside its parent and after its previous sibling (the body's
/// two groups, properties and branches, are each checked alone).
fn check_spans(node: &Node, path: &str, source: &str, problems: &mut Vec<String>) {
    let here = format!("{path} > {}", node.what);
    let show = |s: Span| {
        let line = source[..s.start.min(source.len())].matches('\n').count() + 1;
        format!("{}..{} (line {line})", s.start, s.end)
    };
    if node.span.start > node.span.end {
        problems.push(format!("{here}: span {} runs backwards", show(node.span)));
    }
    let mut previous: Option<&Node> = None;
    for child in &node.children {
        if child.span.start < node.span.start || child.span.end > node.span.end {
            problems.push(format!(
                "{here} > {}: span {} is not inside its parent's {}",
                child.what,
                show(child.span),
                show(node.span)
            ));
        }
        if node.what != "body" {
            if let Some(prev) = previous {
                if child.span.start < prev.span.end {
                    problems.push(format!(
                        "{here} > {}: span {} starts before its previous sibling ({}) ends at {}",
                        child.what,
                        show(child.span),
                        prev.what,
                        prev.span.end
                    ));
                }
            }
        }
        previous = Some(child);
        check_spans(child, &here, source, problems);
    }
}

/// Every script's AST spans nest (ruff's parser tests check the same): what
/// diagnostics, `fmt` and a language server point at lies where it is
/// written. Scripts with syntax errors are checked on what did parse.
fn span_nesting(path: &Utf8Path, bytes: Vec<u8>) -> datatest_stable::Result<()> {
    let Ok(source) = String::from_utf8(bytes) else {
        return Ok(());
    };
    let parsed = studioflow::syntax::parse_script_recovering(&source);
    let tree = script_tree(&source, &parsed.ast);
    let mut problems = Vec::new();
    check_spans(&tree, path.as_str(), &source, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        problems.truncate(20);
        Err(problems.join("\n").into())
    }
}

datatest_stable::harness! {
    { test = diagnostics, root = configure_updates(), pattern = r"\.script$" },
    { test = case_file, root = "tests/golden", pattern = r"\.test\.toml$" },
    { test = example_file, root = "scripts", pattern = r"^[^/]*\.test\.toml$" },
    { test = span_nesting, root = "tests/golden", pattern = r"\.script$" },
    { test = span_nesting, root = "scripts", pattern = r"\.script$" },
}
