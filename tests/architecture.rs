//! The architecture test: the layers of `src/` import one way.
//!
//! Every `.rs` file under `src/` is read as text; every path it names
//! through `crate::`, `super::`, `self::`, a module the file declares
//! (`mod x;` then `x::f()`) and, in the command line, `studioflow::` is
//! resolved to the file that defines it. Two rules:
//!
//! 1. A file imports only from its own layer or the layers below it
//!    (`LAYERS`, lowest first).
//! 2. No import circle between files (a strongly connected group of two or
//!    more files).
//!
//! What the tree still does against the rules is listed, each with its
//! reason, in `KNOWN_UPWARD` and `KNOWN_CIRCLES`: the test fails on anything
//! new, and also when a listed exception has gone (so the lists only shrink).
//! Run `cargo test --test architecture -- --nocapture` to print the whole
//! picture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a file may import from its own layer and those
/// before it. A file belongs to the first entry whose prefix its path (under
/// `src/`, without `.rs`) starts with, so the more specific prefixes come
/// first within a layer table.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "files, diagnostics, time zones",
        &["files", "diagnostics", "tz"],
    ),
    ("permissions (knows nothing of scripts)", &["permissions"]),
    (
        "syntax",
        &["syntax", "snippet/ast", "snippet/parser", "snippet/mod"],
    ),
    // Studio's XML and JSON: read, write, the action table. It produces
    // `.script` text or the syntax AST, never the compiled program.
    ("studio", &["studio"]),
    ("resolver", &["resolver"]),
    // Values are data every layer from program up shares (a constant in
    // compiled code, a property default in a schema). Their files still sit
    // under runtime/ while the runtime is split; a move to src/value/ is a
    // pure rename.
    (
        "values",
        &["runtime/value", "runtime/security", "runtime/datetime"],
    ),
    ("program", &["program", "snippet/program"]),
    ("compile", &["compile", "snippet/compile"]),
    // The action API (schema, handler, error, `ActionCall`) is the run
    // loop's interface to handlers: the run loop calls handlers and hands
    // them an `ActionCall` over the run's state, so both sit in one layer.
    (
        "runtime (with the action API)",
        &[
            "runtime",
            "snippet/exec",
            "snippet/functions",
            "snippet/strings",
            "snippet/bounds",
            "snippet/run",
            "action",
        ],
    ),
    ("built-in actions", &["builtins"]),
    ("engine", &["engine"]),
    (
        "tools",
        &[
            "testing", "graph", "report", "format", "manifest", "export", "lsp",
        ],
    ),
    ("cli", &["cli", "main"]),
];

/// Files outside the layers: the crate root only re-exports; the unit
/// tests' helpers import nothing.
const UNLAYERED: &[&str] = &["lib", "test_support"];

/// Imports that run up a layer today, as `from -> to`, each with why it is
/// still there. Issue 18 removes them (its Done-when: at most 3).
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[
    (
        "program/handler",
        "action/handler",
        "a compiled action holds its handler (the trait takes the run's ActionCall); the one named exception of program",
    ),
];

/// Import circles today (their files, sorted, joined by ` `), each with why.
const KNOWN_CIRCLES: &[(&str, &str)] = &[
    (
        "action/call action/handler program/handler program/script program/units runtime/executor/options runtime/executor/outcome runtime/executor/state runtime/executor/trace_log runtime/variables snippet/exec/mod snippet/run",
        "a recursive type: a compiled action holds its handler, the handler takes an ActionCall, and the call reads the compiled script and the run's state (the Snippet seam and the trace it writes included); a Run's variables and steps name the compiled script",
    ),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as its module path: `runtime/eval`,
/// `compile/mod`, `lib`.
fn modules() -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&src_dir(), &src_dir(), &mut out);
    out
}

fn layer_of(module: &str) -> Option<usize> {
    if UNLAYERED.contains(&module) {
        return None;
    }
    let mut best: Option<(usize, usize)> = None;
    for (layer, (_, prefixes)) in LAYERS.iter().enumerate() {
        for prefix in *prefixes {
            let matches = module == *prefix
                || module.starts_with(&format!("{prefix}/"))
                || module == format!("{prefix}/mod");
            if matches && best.is_none_or(|(_, len)| prefix.len() > len) {
                best = Some((layer, prefix.len()));
            }
        }
    }
    Some(
        best.unwrap_or_else(|| panic!("src/{module}.rs belongs to no layer: add it to LAYERS"))
            .0,
    )
}

/// The module a file's `super::` names, as segments from the crate root.
fn parent_segments(module: &str) -> Vec<String> {
    let mut segments: Vec<String> = module.split('/').map(String::from).collect();
    // `a/b/mod` is module `a::b`; `a/b` is module `a::b`.
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments.pop();
    segments
}

fn self_segments(module: &str) -> Vec<String> {
    let mut segments: Vec<String> = module.split('/').map(String::from).collect();
    if segments
        .last()
        .is_some_and(|s| s == "mod" || s == "lib" || s == "main")
    {
        segments.pop();
    }
    segments
}

/// What each file re-exports: (file, name) → the path it names.
type Reexports = BTreeMap<(String, String), Vec<String>>;

/// The file that defines `segments` (a module path from the crate root):
/// the longest prefix that is a file, then through that file's re-exports
/// (`pub use`) to the file that defines the name.
fn resolve(
    segments: &[String],
    modules: &BTreeSet<String>,
    reexports: &Reexports,
) -> Option<String> {
    resolve_hops(segments, modules, reexports, 0)
}

fn resolve_hops(
    segments: &[String],
    modules: &BTreeSet<String>,
    reexports: &Reexports,
    hops: usize,
) -> Option<String> {
    for len in (1..=segments.len()).rev() {
        let joined = segments[..len].join("/");
        let file = if modules.contains(&joined) {
            joined
        } else if modules.contains(&format!("{joined}/mod")) {
            format!("{joined}/mod")
        } else {
            continue;
        };
        if let Some(name) = segments.get(len) {
            if hops < 8 {
                if let Some(target) = reexports.get(&(file.clone(), name.clone())) {
                    let mut through = target.clone();
                    through.extend(segments[len + 1..].iter().cloned());
                    return resolve_hops(&through, modules, reexports, hops + 1);
                }
            }
        }
        return Some(file);
    }
    None
}

/// The code of a file without comments, string contents and its
/// `#[cfg(test)]` modules (tests may import anything).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping_test_module = false;
    let mut depth_at_test: i32 = 0;
    let mut depth: i32 = 0;
    let mut pending_cfg_test = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if skipping_test_module {
            depth += brace_balance(line);
            if depth <= depth_at_test {
                skipping_test_module = false;
            }
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test && trimmed.starts_with("mod ") && trimmed.contains('{') {
            depth_at_test = depth;
            depth += brace_balance(line);
            skipping_test_module = depth > depth_at_test;
            pending_cfg_test = false;
            continue;
        }
        if !trimmed.starts_with("#[") {
            pending_cfg_test = false;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let code = strip_strings_and_comments(line);
        depth += brace_balance(&code);
        out.push_str(&code);
        out.push('\n');
    }
    out
}

fn brace_balance(line: &str) -> i32 {
    let code = strip_strings_and_comments(line);
    code.matches('{').count() as i32 - code.matches('}').count() as i32
}

/// One line without its `//` comment and with string literals emptied
/// (good enough for paths: a string never names a module we follow).
fn strip_strings_and_comments(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    out.push('"');
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push('"');
            }
            '\'' => {
                // A char literal ('"', '\'', '{') or a lifetime ('a).
                let rest: String = chars.clone().take(4).collect();
                if let Some(end) = rest.find('\'').filter(|&e| e > 0 && e <= 3) {
                    for _ in 0..=end {
                        chars.next();
                    }
                    out.push_str("' '");
                } else {
                    out.push('\'');
                }
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

/// Every module path the code names: `use` trees expanded, and paths in
/// expressions (`crate::x::y(...)`). Returned as segment lists from the
/// crate root, with the line each appears on.
fn imports(module: &str, code: &str, crate_name: &str) -> Vec<(Vec<String>, usize)> {
    imports_and_reexports(module, code, crate_name)
        .into_iter()
        .filter(|(_, _, reexport)| !reexport)
        .map(|(segments, line, _)| (segments, line))
        .collect()
}

/// [`imports`], each marked whether it is a `pub use` (a re-export: the
/// module passes a name on rather than depending on it).
fn imports_and_reexports(
    module: &str,
    code: &str,
    crate_name: &str,
) -> Vec<(Vec<String>, usize, bool)> {
    let mut found = Vec::new();
    // Join `use` statements onto one line each, keeping the first line number.
    let lines: Vec<&str> = code.lines().collect();
    // Modules this file declares (`mod x;`): `x::f()` in an expression
    // names a child file as surely as `use x::f` does.
    let children: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            let rest = line.trim_start();
            let rest = rest
                .strip_prefix("pub(crate) ")
                .or_else(|| rest.strip_prefix("pub(super) "))
                .or_else(|| rest.strip_prefix("pub "))
                .unwrap_or(rest);
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?.trim();
            Some(format!("{name}::"))
        })
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let is_use = trimmed.starts_with("use ")
            || trimmed.starts_with("pub use ")
            || trimmed.starts_with("pub(crate) use ")
            || trimmed.starts_with("pub(super) use ");
        if is_use {
            let start = i;
            let mut statement = String::from(trimmed);
            while !statement.contains(';') && i + 1 < lines.len() {
                i += 1;
                statement.push(' ');
                statement.push_str(lines[i].trim());
            }
            let body = statement
                .split_once("use ")
                .map(|(_, b)| b)
                .unwrap_or("")
                .trim_end_matches(';')
                .trim();
            let reexport =
                trimmed.starts_with("pub use ") || trimmed.starts_with("pub(crate) use ");
            for path in expand_use_tree(body) {
                if let Some(segments) = to_crate_path(module, &path, crate_name) {
                    found.push((segments, start + 1, reexport));
                }
            }
        } else {
            for (at, _) in line.match_indices("::") {
                // The path ending at this `::`'s left: find its start.
                let before = &line[..at];
                let start = before
                    .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .map_or(0, |p| p + 1);
                let head = &line[start..];
                // Only paths that start here (not the middle of one).
                if !(head.starts_with("crate::")
                    || head.starts_with("super::")
                    || head.starts_with(&format!("{crate_name}::"))
                    || children.iter().any(|c| head.starts_with(c.as_str())))
                {
                    continue;
                }
                if start < at && line[start..at].contains("::") {
                    continue;
                }
                let end = head
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(head.len());
                let path: Vec<String> = head[..end]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if let Some(segments) = to_crate_path(module, &path, crate_name) {
                    found.push((segments, i + 1, false));
                }
            }
        }
        i += 1;
    }
    found
}

/// `a::{b, c::{d, e}}` → `[a, b]`, `[a, c, d]`, `[a, c, e]` (`self` and
/// `as` renames handled; globs keep their prefix).
fn expand_use_tree(tree: &str) -> Vec<Vec<String>> {
    fn split_top(list: &str) -> Vec<&str> {
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in list.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&list[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&list[start..]);
        parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let prefix: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut out = Vec::new();
        for part in split_top(inner) {
            for mut rest in expand_use_tree(part) {
                if rest.first().is_some_and(|s| s == "self") {
                    rest.remove(0);
                }
                let mut path = prefix.clone();
                path.extend(rest);
                out.push(path);
            }
        }
        out
    } else {
        let path = tree.split(" as ").next().unwrap_or(tree);
        vec![path
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "*")
            .map(String::from)
            .collect()]
    }
}

/// A path as written in `module`, as segments from the crate root; `None`
/// for paths into other crates.
fn to_crate_path(module: &str, path: &[String], crate_name: &str) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut segments = if first == "crate" || first == crate_name {
        Vec::new()
    } else if first == "super" {
        parent_segments(module)
    } else if first == "self" {
        self_segments(module)
    } else {
        // A module declared in this file (`mod x;` then `use x::Y`): a child.
        let mut child = self_segments(module);
        child.push(first.clone());
        let mut segments = child;
        segments.extend(path[1..].iter().cloned());
        return Some(segments);
    };
    let mut rest = &path[1..];
    while rest.first().is_some_and(|s| s == "super") {
        segments.pop();
        rest = &rest[1..];
    }
    segments.extend(rest.iter().cloned());
    Some(segments)
}

struct Edge {
    from: String,
    to: String,
    line: usize,
}

fn edges() -> Vec<Edge> {
    let modules = modules();
    let mut codes = BTreeMap::new();
    let mut reexports = Reexports::new();
    for module in &modules {
        let text = std::fs::read_to_string(src_dir().join(format!("{module}.rs"))).unwrap();
        let code = code_of(&text);
        for (segments, _, reexport) in imports_and_reexports(module, &code, "studioflow") {
            if let (true, Some(name)) = (reexport, segments.last()) {
                reexports.insert((module.clone(), name.clone()), segments.clone());
            }
        }
        codes.insert(module.clone(), code);
    }
    let mut out = Vec::new();
    for (module, code) in &codes {
        for (segments, line) in imports(module, code, "studioflow") {
            // The binary (`main`, `cli/`) names the library as `studioflow::`.
            let Some(to) = resolve(&segments, &modules, &reexports) else {
                continue;
            };
            if &to == module || to == "lib" || to == "main" {
                continue;
            }
            out.push(Edge {
                from: module.clone(),
                to,
                line,
            });
        }
    }
    out
}

/// Strongly connected groups of two or more files (Tarjan).
fn circles(edges: &[Edge]) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges {
        graph.entry(&e.from).or_default().insert(&e.to);
        graph.entry(&e.to).or_default();
    }
    struct State<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(v: &'a str, graph: &BTreeMap<&'a str, BTreeSet<&'a str>>, s: &mut State<'a>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in &graph[v] {
            if !s.index.contains_key(w) {
                visit(w, graph, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.out.push(group);
            }
        }
    }
    let mut state = State {
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    let nodes: Vec<&str> = graph.keys().copied().collect();
    for v in nodes {
        if !state.index.contains_key(v) {
            visit(v, &graph, &mut state);
        }
    }
    state.out
}

#[test]
fn every_file_belongs_to_a_layer() {
    for module in modules() {
        let _ = layer_of(&module);
    }
}

#[test]
fn imports_run_down_the_layers() {
    let mut upward: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for e in edges() {
        let (Some(from), Some(to)) = (layer_of(&e.from), layer_of(&e.to)) else {
            continue;
        };
        if to > from {
            upward.entry((e.from, e.to)).or_default().push(e.line);
        }
    }
    let mut problems = Vec::new();
    for ((from, to), lines) in &upward {
        if !KNOWN_UPWARD.iter().any(|(f, t, _)| f == from && t == to) {
            problems.push(format!(
                "src/{from}.rs:{} imports from src/{to}.rs, a layer above it ({} -> {})",
                lines[0],
                LAYERS[layer_of(from).unwrap()].0,
                LAYERS[layer_of(to).unwrap()].0,
            ));
        }
    }
    for (from, to, why) in KNOWN_UPWARD {
        if !upward.contains_key(&(from.to_string(), to.to_string())) {
            problems.push(format!(
                "KNOWN_UPWARD lists {from} -> {to} ({why}), which no longer happens: remove it"
            ));
        }
    }
    println!("{} upward imports (file pairs):", upward.len());
    for ((from, to), lines) in &upward {
        println!("  src/{from}.rs:{lines:?} -> src/{to}.rs");
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn no_import_circles() {
    let found = circles(&edges());
    let mut problems = Vec::new();
    for group in &found {
        let key = group.join(" ");
        if !KNOWN_CIRCLES.iter().any(|(k, _)| *k == key) {
            problems.push(format!(
                "an import circle between {}",
                group
                    .iter()
                    .map(|m| format!("src/{m}.rs"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for (key, why) in KNOWN_CIRCLES {
        if !found.iter().any(|g| g.join(" ") == *key) {
            problems.push(format!(
                "KNOWN_CIRCLES lists {key} ({why}), which no longer exists: remove it"
            ));
        }
    }
    println!("{} circles:", found.len());
    for group in &found {
        println!("  {}", group.join(" "));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_reader_sees_what_it_should() {
    // The reader itself: a use tree, `super::`, and a path in an expression.
    let trees = expand_use_tree("crate::{runtime::{Value, eval::Code}, syntax as s, self}");
    assert_eq!(
        trees,
        vec![
            vec!["crate", "runtime", "Value"],
            vec!["crate", "runtime", "eval", "Code"],
            vec!["crate", "syntax"],
            vec!["crate"],
        ]
    );
    let code = code_of("use super::limits::Deadline;\nfn f() { crate::engine::go(\"crate::x::y\") } // crate::z\n#[cfg(test)]\nmod tests {\n    use crate::cli::X;\n}\n");
    let found: Vec<_> = imports("runtime/executor", &code, "studioflow")
        .into_iter()
        .map(|(s, l)| (s.join("::"), l))
        .collect();
    assert_eq!(
        found,
        vec![
            ("runtime::limits::Deadline".to_string(), 1),
            ("engine::go".to_string(), 2)
        ]
    );
    assert_eq!(layer_of("runtime/eval"), layer_of("snippet/exec"));
    assert!(layer_of("engine") > layer_of("runtime/executor"));
}

#[test]
fn the_reader_sees_paths_into_child_modules() {
    // `mod x;` then `x::f()` in an expression names the child file, as
    // `use x::f` does (a front file calling its rooms).
    let code = code_of("mod file;\npub(crate) mod junit;\nfn f() { file::Loader::new(); let x = junit::to_xml(); other::g(); }\n");
    let found: Vec<_> = imports("testing/mod", &code, "studioflow")
        .into_iter()
        .map(|(s, l)| (s.join("::"), l))
        .collect();
    assert_eq!(
        found,
        vec![
            ("testing::file::Loader::new".to_string(), 3),
            ("testing::junit::to_xml".to_string(), 3)
        ]
    );
}

/// Files still over [`MAX_LINES`], each with the plan that splits it.
const KNOWN_LONG: &[(&str, &str)] = &[];

/// A source file a reader can take in one sitting.
const MAX_LINES: usize = 900;

#[test]
fn no_source_file_is_too_long_to_read() {
    let mut problems = Vec::new();
    let mut long = Vec::new();
    for module in modules() {
        let text = std::fs::read_to_string(src_dir().join(format!("{module}.rs"))).unwrap();
        let lines = text.lines().count();
        if lines > MAX_LINES {
            long.push(module.clone());
            if !KNOWN_LONG.iter().any(|(m, _)| *m == module) {
                problems.push(format!(
                    "src/{module}.rs has {lines} lines, over {MAX_LINES}: split it"
                ));
            }
        }
    }
    for (module, plan) in KNOWN_LONG {
        if !long.iter().any(|m| m == module) {
            problems.push(format!(
                "KNOWN_LONG lists {module} ({plan}), now short enough: remove it"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
