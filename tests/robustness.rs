//! Robustness under hostile input (issue 4, "Robustness"):
//!
//! - the parser and checker never panic, on arbitrary strings, on strings
//!   over the language's own alphabet, on token soup and on mutated valid
//!   scripts, and every diagnostic points inside the input;
//! - the evaluator never panics on random well-formed expressions;
//! - nesting is bounded with a diagnostic, proven on a thread with a small stack;
//! - runs never hang or exhaust memory: step budget, string and list caps,
//!   `replace` blowup, and cancellation from another thread.
//!
//! Property tests use modest case counts so the file runs in well under 30 s
//! in debug mode; set `PROPTEST_CASES=N` for a longer soak.
//!
//! Tests that could crash the process (stack overflow) or run away with
//! memory or time if a bound were missing run in a child process (this same
//! test binary, re-executed on just that test) with a timeout, so a failure
//! is reported against the right test instead of taking the whole binary down.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use studioflow::{
    CancelToken, Diagnostics, Engine, Limits, Outcome, Run, RunOptions, Script, Value,
};

// ============================================================== helpers

/// A proptest config with `default_cases` cases unless `PROPTEST_CASES` is
/// set, and no regression files written into the source tree.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One engine shared by the property tests (runs may create roles in its
/// demo model; that is harmless here).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::demo)
}

/// Checks the compile contract: `Ok`, or `Err` with at least one error,
/// every diagnostic inside the input and on character boundaries, and
/// rendering that does not panic.
fn check_diagnostics(src: &str, diagnostics: &Diagnostics) {
    assert!(
        diagnostics.has_errors(),
        "a failed compile must carry at least one error; got {:?}",
        diagnostics.items()
    );
    for d in diagnostics.items() {
        assert!(
            d.span.start <= d.span.end && d.span.end <= src.len(),
            "diagnostic span {:?} lies outside the input of {} bytes: {}",
            d.span,
            src.len(),
            d.message
        );
        assert!(
            src.is_char_boundary(d.span.start) && src.is_char_boundary(d.span.end),
            "diagnostic span {:?} splits a character: {}",
            d.span,
            d.message
        );
        assert!(!d.message.trim().is_empty(), "empty diagnostic message");
    }
    let rendered = diagnostics.to_string();
    assert!(!rendered.is_empty());
}

/// Compiles `src`; checks the diagnostics when it fails, and runs it briefly
/// when it compiles. Never panics unless the library does.
fn compile_and_maybe_run(src: &str) {
    match engine().compile(src, "fuzz.script") {
        Err(diagnostics) => check_diagnostics(src, &diagnostics),
        Ok(script) => {
            for w in script.warnings().items() {
                assert!(w.span.end <= src.len(), "warning span outside input");
            }
            let run = engine().run(&script, RunOptions::default().max_steps(200));
            check_run_shape(&run);
        }
    }
}

/// Invariants every run must satisfy, whatever its outcome.
fn check_run_shape(run: &Run) {
    match run.outcome {
        Outcome::Completed => assert!(run.error.is_none(), "completed with an error"),
        Outcome::Stopped => {
            let error = run.error.as_ref().expect("a stopped run has an error");
            assert_eq!(error.kind, Outcome::Stopped);
            assert_eq!(
                run.variables.get("_ERR").and_then(Value::as_str),
                Some(error.message.as_str()),
                "a stop by an action error leaves its message in _ERR"
            );
        }
        Outcome::Limit => {
            assert_eq!(run.error.as_ref().map(|e| e.kind), Some(Outcome::Limit))
        }
        Outcome::Cancelled => {
            assert_eq!(run.error.as_ref().map(|e| e.kind), Some(Outcome::Cancelled))
        }
        Outcome::Waiting => {
            assert!(run.error.is_none(), "a waiting run has no error");
            let waiting = run.waiting.as_ref().expect("a waiting run says what for");
            assert_eq!(run.end.as_deref(), Some(waiting.action.as_str()));
            assert!(run.paused.is_some(), "a waiting run can be resumed");
        }
        other => panic!("an outcome this test does not know: {other}"),
    }
    // The --json document must always be producible.
    let json = run.to_json();
    assert!(json.get("outcome").is_some());
}

/// Runs `f` on a thread with a `stack` byte stack and returns its result;
/// a panic on that thread fails the caller with the panic message.
fn on_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn a thread");
    match handle.join() {
        Ok(v) => v,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

const SMALL_STACK: usize = 256 * 1024;
/// The default stack of a spawned Rust thread: what a host's worker threads usually get.
const DEFAULT_THREAD_STACK: usize = 2 * 1024 * 1024;

const CHILD_ENV: &str = "STUDIOFLOW_ROBUSTNESS_CHILD";

/// Runs `body` in a child process (this test binary, filtered to the test
/// `name`) and waits at most `timeout`. A stack overflow, an abort, an
/// allocation failure or a hang in the child fails this test with a clear
/// message instead of killing or stalling the whole test binary. The child
/// runs under a 6 GiB address-space limit when `prlimit` is available.
fn isolated(name: &str, timeout: Duration, body: impl FnOnce()) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        body();
        return;
    }
    // A hang guard, not a speed check: debug builds on shared 2-core machines
    // under heavy load run several times slower than the figures above assume.
    let timeout = timeout * 4;
    let exe = std::env::current_exe().expect("the test binary's path");
    let args = [name, "--exact", "--nocapture", "--test-threads=1"];
    let mut command = if std::path::Path::new("/usr/bin/prlimit").exists() {
        let mut c = Command::new("/usr/bin/prlimit");
        c.arg(format!("--as={}", 6u64 << 30)).arg("--").arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let mut child = command
        .args(args)
        .env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-run the test binary");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            break Some(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let (out, err) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    let tail = |s: &str| {
        s.chars()
            .rev()
            .take(3000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    match status {
        None => panic!(
            "`{name}` did not finish within {timeout:?}: a hang or runaway work; child stderr:\n{}",
            tail(&err)
        ),
        Some(status) => assert!(
            status.success() && out.contains("1 passed"),
            "`{name}` failed in its child process ({status}); a signal here usually means a \
             stack overflow or an allocation failure.\nstdout:\n{}\nstderr:\n{}",
            tail(&out),
            tail(&err)
        ),
    }
}

/// Compiles a one-Assign script whose Value is `expr`.
fn assign_script(expr: &str) -> String {
    format!("start: Begin {{ Default -> a }}\na: Assign {{ Variable = r  Value = {expr}  Default -> done }}\ndone: End\n")
}

fn compile(src: &str) -> Script {
    engine()
        .compile(src, "test.script")
        .unwrap_or_else(|d| panic!("expected the script to compile:\n{d}\n--- source ---\n{src}"))
}

fn run_with(engine: &Engine, script: &Script, max_steps: u64) -> Run {
    engine.run(script, RunOptions::default().max_steps(max_steps))
}

// ============================================================== corpus

/// Valid scripts: the language tour and API examples from the issues and the
/// docs, plus every `.script` file in `scripts/` and `tests/golden/` and the
/// script-looking code blocks of README.md and docs/ (read at run time, when present).
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut scripts: Vec<String> = BUILT_IN_CORPUS.iter().map(|s| s.to_string()).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("scripts"), root.join("tests").join("golden")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "script") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        scripts.push(text);
                    }
                }
            }
        }
        let docs = [
            "README.md",
            "docs/language.md",
            "docs/snippet.md",
            "docs/cli.md",
            "docs/testing.md",
        ];
        for readme in docs
            .iter()
            .filter_map(|d| std::fs::read_to_string(root.join(d)).ok())
        {
            let mut in_block = false;
            let mut block = String::new();
            for line in readme.lines() {
                if line.trim_start().starts_with("```") {
                    if in_block && block.contains("Begin") {
                        scripts.push(std::mem::take(&mut block));
                    }
                    block.clear();
                    in_block = !in_block;
                } else if in_block {
                    block.push_str(line);
                    block.push('\n');
                }
            }
        }
        scripts
    })
}

const BUILT_IN_CORPUS: &[&str] = &[
    r#"// The language tour from the core issue.
script "Supervisor lookup" type Phone      // optional header

start: Begin {
  Default -> greet
}

greet: Assign "Build greeting" {
  Variable = Greeting
  Value = "Hello {Name}, you have {count + 1} items"
  Default -> decide
}

decide: If {
  Expression = count > 3 and upper(Tier) = "GOLD"
  True -> vip
  False -> again
}

again: Loop {
  Repeat = 3
  CounterName = tries
  Repeat -> decide
  Finished -> done
}

vip: Case {
  Value = Tier
  Case "gold" -> done
  Case "silver" -> done
  Default -> done
}

done: End
"#,
    r#"start: Begin { Default -> check }
check: If { Expression = count > 3  True -> vip  False -> done }
vip: Assign { Variable = Tier  Value = "gold"  Default -> done }
done: End
"#,
    r#"start: Begin { Default -> a }
a: Assign { Variable = x  Value = [1, "a", x, "{upper("ab")}", [[]], (2)]  Default -> b }
b: Assign { Variable = y  Value = "{{literal}} {len(x)} {x[1]} {-(1 + 2) * 3 % 2} {not true || false && !false}"  Default -> c }
c: If { Expression = (1 < 2) = true and "10" > "9" and 1 <> 2 and 2 != 3 and 2 >= 2 and 1 <= 1  True -> d  False -> d  Error -> d }
d: Case { Value = substr(trim("  abc  "), 1, 1)  Case "b" -> e  Case 2 -> e  Case -1 -> e  Case true -> e  Case null -> e  Default -> e }
e: Assign { Variable = z  Value = replace(lower("A-B"), "-", "+") Default -> f }
f: Assign { Variable = w  Value = "{indexof("abc", "c")} {tostring(12)} {tonumber("3.5")} {isnull(q)} {isnumeric("7")} {contains("abc", "b")} {startswith("abc", "a")} {endswith("abc", "c")}"  Default -> g  Error -> g }
g: End
"#,
    r#"script "Role administration" type Generic
start: Begin { Default -> primary }
primary: SetSecurityUser "Primary admin" { Agent = "former"  Error -> backup  Default -> list }
backup: SetSecurityUser "Backup admin" { Agent = "sysadmin"  TimeZone = "Europe/Paris"  ScriptVariable = SecurityUser  Default -> list  Error -> giveUp }
list: ListRoles { Query = "systemDefined:none"  Sort = "name asc"  StartIndex = 0  ResultsPerPage = 25  ScriptVariable = Custom  Default -> create  Error -> giveUp }
create: CreateRole { Name = "QualityLead"  Description = "Quality leads"  Features = ["attribute", "reasoncode"]  Default -> update  Error -> giveUp }
update: UpdateRole { Role = "{Role.id}"  ChangeStamp = Role.changeStamp  Features = "attribute, reasoncode, skillgroup"  Default -> get  Error -> giveUp }
get: GetRole { Role = "Supervisor"  Default -> feats  Error -> giveUp }
feats: GetAvailableFeatures { Default -> agent  Error -> giveUp }
agent: GetAgent { Agent = "agentadmin"  Default -> agents  Error -> giveUp }
agents: ListAgents { Query = "a"  Status = "all"  Default -> del  Error -> giveUp }
del: DeleteRole { Role = "QualityLead"  Default -> report  Error -> giveUp }
report: Assign { Variable = Summary  Value = "{SecurityUser.userName} {Custom.pageInfo.totalResults} {now()}"  Default -> done }
giveUp: Assign { Variable = Summary  Value = "failed: {_ERR}"  Default -> done }
done: End
"#,
];

// ============================================================== parser + checker never panic

/// Characters of the language itself, so random text hits real tokens.
const ALPHABET: &str = r#"[a-zA-Z0-9_ {}()\[\]":=<>!+*/%.,\-\n]{0,300}"#;

/// Token soup: random sequences of real tokens reach deeper into the parser
/// and the checker than random characters.
fn token_soup() -> impl Strategy<Value = String> {
    const TOKENS: &[&str] = &[
        "start",
        "a",
        "b",
        "done",
        ":",
        "Begin",
        "End",
        "Assign",
        "If",
        "Case",
        "Loop",
        "SetSecurityUser",
        "GetRole",
        "CreateRole",
        "UpdateRole",
        "ListRoles",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "Default",
        "Error",
        "True",
        "False",
        "Repeat",
        "Finished",
        "->",
        "=",
        "==",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "and",
        "or",
        "not",
        "!",
        "&&",
        "||",
        ",",
        ".",
        "Variable",
        "Value",
        "Expression",
        "Agent",
        "Role",
        "ChangeStamp",
        "CounterName",
        "x",
        "_ERR",
        "1",
        "0",
        "2.5",
        "true",
        "false",
        "null",
        "\"",
        "\"a\"",
        "\"{x}\"",
        "\"{{\"",
        "\"}}\"",
        "\"{",
        "}\"",
        "len",
        "upper",
        "substr",
        "replace",
        "script",
        "type",
        "Phone",
        "Email",
        "\n",
        " ",
        "//c\n",
        "\\",
        "\"\\n\"",
        "é",
        "\u{1F600}",
    ];
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|tokens| {
        let mut out = String::new();
        for t in tokens {
            out.push_str(t);
            out.push(' ');
        }
        out
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(prop::sample::Index, usize),
    Insert(prop::sample::Index, String),
    Duplicate(prop::sample::Index, usize, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    const SNIPPETS: &[&str] = &[
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "{{",
        "}}",
        "->",
        "=",
        "\n",
        "//",
        "\\",
        "-",
        "!",
        "not ",
        "and ",
        "Begin",
        "End",
        "Error -> done",
        "x",
        "1",
        "é",
        "\u{1F600}",
        "\0",
        ",",
        ".",
        ":",
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..24).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (
            any::<prop::sample::Index>(),
            prop_oneof![
                prop::sample::select(SNIPPETS).prop_map(String::from),
                "[a-zA-Z0-9_ {}()\\[\\]\":=<>!+*/%.,\\-\\n]{1,8}",
            ]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (
            any::<prop::sample::Index>(),
            1usize..48,
            any::<prop::sample::Index>()
        )
            .prop_map(|(i, n, at)| Mutation::Duplicate(i, n, at)),
    ]
}

/// Applies mutations on characters (never splitting one).
fn mutate(src: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for m in mutations {
        let len = chars.len();
        match m {
            Mutation::Delete(i, n) => {
                if len > 0 {
                    let start = i.index(len);
                    let end = (start + n).min(len);
                    chars.drain(start..end);
                }
            }
            Mutation::Insert(i, s) => {
                let at = i.index(len + 1);
                chars.splice(at..at, s.chars());
            }
            Mutation::Duplicate(i, n, at) => {
                if len > 0 {
                    let start = i.index(len);
                    let end = (start + n).min(len);
                    let span: Vec<char> = chars[start..end].to_vec();
                    let at = at.index(len + 1);
                    chars.splice(at..at, span);
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn corpus_scripts_compile() {
    // The mutation tests start from valid scripts; make sure they are.
    for src in &corpus()[..BUILT_IN_CORPUS.len()] {
        compile(src);
    }
    for src in corpus() {
        compile_and_maybe_run(src);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn compile_never_panics_on_arbitrary_strings(src in any::<String>()) {
        compile_and_maybe_run(&src);
    }

    #[test]
    fn compile_never_panics_on_the_language_alphabet(src in ALPHABET) {
        compile_and_maybe_run(&src);
    }

    #[test]
    fn compile_never_panics_on_token_soup(src in token_soup()) {
        compile_and_maybe_run(&src);
    }

    #[test]
    fn compile_never_panics_on_mutated_scripts(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let src = mutate(&corpus[which.index(corpus.len())], &mutations);
        compile_and_maybe_run(&src);
    }
}

/// The one JSON value a `--json` command printed (panics otherwise).
fn one_json_object(stdout: &[u8]) -> serde_json::Value {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let first = values
        .next()
        .expect("a JSON value on stdout")
        .expect("valid JSON");
    assert!(values.next().is_none(), "more than one JSON value: {text}");
    assert!(first.is_object(), "{first}");
    first
}

/// Runs the binary on `args`, failing on a panic; returns the exit code and stdout.
fn cli(args: &[&std::ffi::OsStr]) -> (i32, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_studioflow"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let code = out.status.code().expect("exited, not killed by a signal");
    (code, out.stdout)
}

proptest! {
    // Each case starts the binary three times: few cases, every mutation kind.
    #![proptest_config(config(24))]

    /// `check`, `check --json` and `run --json` on mutated scripts: exit
    /// codes only from the documented set, never a panic, and `--json`
    /// always exactly one JSON object (issue 7, "Done when").
    #[test]
    fn the_cli_exits_with_a_documented_code_on_mutated_scripts(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let src = mutate(&corpus[which.index(corpus.len())], &mutations);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutated.script");
        std::fs::write(&path, &src).unwrap();
        let file = path.as_os_str();

        let (text_code, _) = cli(&["check".as_ref(), file]);
        prop_assert!(text_code == 0 || text_code == 2, "check exit {text_code}");
        let (json_code, stdout) = cli(&["check".as_ref(), file, "--json".as_ref()]);
        prop_assert_eq!(json_code, text_code);
        let doc = one_json_object(&stdout);
        prop_assert_eq!(doc["ok"].as_bool(), Some(json_code == 0));

        let (run_code, stdout) = cli(&[
            "run".as_ref(),
            file,
            "--json".as_ref(),
            "--max-steps".as_ref(),
            "500".as_ref(),
        ]);
        prop_assert!((0..=3).contains(&run_code), "run exit {run_code}");
        let doc = one_json_object(&stdout);
        // A script that does not check does not run, and says so.
        prop_assert_eq!(doc["outcome"] == "error", text_code == 2, "{}", doc);
    }
}

// ============================================================== evaluator never panics

/// Variables supplied to every generated run (plus `SecurityUser`, set by
/// the script, `_ERR`, and `missing`, which is never set).
const VARIABLES: &[&str] = &[
    "n",
    "s",
    "num",
    "neg",
    "lst",
    "obj",
    "t",
    "nul",
    "big",
    "empty",
    "uni",
    "_ERR",
    "SecurityUser",
    "missing",
];

fn inputs() -> indexmap::IndexMap<String, Value> {
    let mut vars = indexmap::IndexMap::new();
    vars.insert("n".into(), Value::from(3.0));
    vars.insert("s".into(), Value::from("hello World"));
    vars.insert("num".into(), Value::from(" 42 "));
    vars.insert("neg".into(), Value::from("-7.5"));
    vars.insert(
        "lst".into(),
        Value::from(serde_json::json!([1, "two", [3, null], {"k": "v"}])),
    );
    vars.insert(
        "obj".into(),
        Value::from(serde_json::json!({"id": 5000, "name": "Sup", "nested": {"a": [1, 2]}})),
    );
    vars.insert("t".into(), Value::from(true));
    vars.insert("nul".into(), Value::Null);
    vars.insert("big".into(), Value::from(1e300));
    vars.insert("empty".into(), Value::from(""));
    vars.insert("uni".into(), Value::from("ŉßé\u{1F600}İ"));
    vars
}

/// Built-in functions with their arities (substr also takes 2).
const FUNCTIONS: &[(&str, usize)] = &[
    ("len", 1),
    ("upper", 1),
    ("lower", 1),
    ("trim", 1),
    ("contains", 2),
    ("startswith", 2),
    ("endswith", 2),
    ("replace", 3),
    ("substr", 3),
    ("substr", 2),
    ("indexof", 2),
    ("tostring", 1),
    ("tonumber", 1),
    ("isnull", 1),
    ("isnumeric", 1),
];

const BINARY_OPS: &[&str] = &[
    "+", "-", "*", "/", "%", "<", "<=", ">", ">=", "=", "==", "<>", "!=", "and", "or", "&&", "||",
];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..100, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        Just("99999999999999999999999999".to_string()),
        Just("0".to_string()),
        prop::sample::select(&["true", "false", "null"][..]).prop_map(String::from),
        prop::sample::select(VARIABLES).prop_map(String::from),
        "[a-zA-Z0-9 _.,!?-]{0,8}".prop_map(|s| format!("\"{s}\"")),
        prop::sample::select(
            &[
                r#""\n\t\\\"""#,
                r#""{{}}""#,
                r#""ŉß""#,
                r#""10""#,
                r#""-3""#
            ][..]
        )
        .prop_map(String::from),
        Just("[]".to_string()),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    leaf().prop_recursive(6, 64, 4, |inner| {
        let call = prop::sample::select(FUNCTIONS).prop_flat_map({
            let inner = inner.clone();
            move |(name, arity)| {
                prop::collection::vec(inner.clone(), arity)
                    .prop_map(move |args| format!("{name}({})", args.join(", ")))
            }
        });
        prop_oneof![
            3 => (inner.clone(), prop::sample::select(BINARY_OPS), inner.clone())
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            1 => (prop::sample::select(&["-", "not ", "!"][..]), inner.clone())
                .prop_map(|(op, a)| format!("{op}({a})")),
            3 => call,
            1 => prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            1 => (inner.clone(), prop::sample::select(&["id", "name", "nested", "a", "userName", "timeZone", "x"][..]))
                .prop_map(|(a, m)| format!("({a}).{m}")),
            1 => (inner.clone(), inner.clone()).prop_map(|(a, i)| format!("({a})[{i}]")),
            1 => (inner.clone(), "[a-z ]{0,4}", inner.clone())
                .prop_map(|(a, text, b)| format!("\"<{{{a}}}{text}{{{b}}}>\"")),
        ]
    })
}

/// The expression in three places: a bare Assign value, a template, and an
/// If expression (which fails unless it is a boolean). Error branches are
/// connected on the first two, so the run ends completed or stopped at `c`.
fn expression_script(expr: &str) -> String {
    format!(
        r#"start: Begin {{ Default -> su }}
su: SetSecurityUser {{ Agent = "sysadmin"  Default -> a }}
a: Assign {{ Variable = r  Value = {expr}  Default -> b  Error -> b }}
b: Assign {{ Variable = tpl  Value = "[{{{expr}}}]"  Default -> c  Error -> c }}
c: If {{ Expression = {expr}  True -> done  False -> done }}
done: End
"#
    )
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn evaluator_never_panics(expr in expression()) {
        let src = expression_script(&expr);
        let script = compile(&src);
        let run = engine().run(&script, RunOptions::default().variables(inputs()).max_steps(100));
        check_run_shape(&run);
        match run.outcome {
            Outcome::Completed => {}
            Outcome::Stopped => {
                let error = run.error.as_ref().expect("error");
                prop_assert_eq!(error.action.as_str(), "c", "only the If has no Error branch");
                prop_assert!(!error.message.is_empty());
            }
            other => prop_assert!(false, "unexpected outcome {:?} for {}", other, expr),
        }
        // A failed Assign sets _ERR and leaves its variable unset.
        if !run.variables.contains_key("r") || !run.variables.contains_key("tpl") {
            let err = run.variables.get("_ERR").and_then(Value::as_str).unwrap_or("");
            prop_assert!(!err.is_empty(), "an Assign failed without setting _ERR");
        }
    }
}

// ============================================================== nesting

/// `Value = <expr>` in a one-action script, compiled on a 256 KiB stack:
/// must fail with an error diagnostic (not a panic, not a stack overflow).
fn refused_on_small_stack(expr: String, want: &'static str) {
    let src = assign_script(&expr);
    let message = on_stack(SMALL_STACK, move || {
        let engine = Engine::demo();
        match engine.compile(&src, "deep.script") {
            Ok(_) => panic!("a script nested 100,000 deep compiled"),
            Err(d) => {
                check_diagnostics(&src, &d);
                d.errors()
                    .next()
                    .map(|e| e.message.clone())
                    .unwrap_or_default()
            }
        }
    });
    assert!(message.contains(want), "unexpected diagnostic: {message}");
}

const DEEP: usize = 100_000;

#[test]
fn nesting_100k_parentheses() {
    isolated("nesting_100k_parentheses", Duration::from_secs(30), || {
        refused_on_small_stack(
            format!("{}1{}", "(".repeat(DEEP), ")".repeat(DEEP)),
            "deeper than",
        );
    });
}

#[test]
fn nesting_100k_brackets() {
    isolated("nesting_100k_brackets", Duration::from_secs(30), || {
        refused_on_small_stack(
            format!("{}1{}", "[".repeat(DEEP), "]".repeat(DEEP)),
            "deeper than",
        );
    });
}

#[test]
fn nesting_100k_template_braces() {
    isolated(
        "nesting_100k_template_braces",
        Duration::from_secs(30),
        || {
            refused_on_small_stack(
                format!("{}1{}", "\"{".repeat(DEEP), "}\"".repeat(DEEP)),
                "deeper than",
            );
        },
    );
}

#[test]
fn nesting_100k_unclosed_openers() {
    isolated(
        "nesting_100k_unclosed_openers",
        Duration::from_secs(30),
        || {
            refused_on_small_stack("([{\"{".repeat(DEEP / 4), "deeper than");
        },
    );
}

#[test]
fn nesting_100k_prefix_minus() {
    isolated("nesting_100k_prefix_minus", Duration::from_secs(30), || {
        refused_on_small_stack(format!("{}1", "-".repeat(DEEP)), "prefix operators");
        refused_on_small_stack(format!("{}true", "!".repeat(DEEP)), "prefix operators");
        refused_on_small_stack(format!("{}true", "not ".repeat(DEEP)), "prefix operators");
    });
}

#[test]
fn nesting_100k_term_chain() {
    isolated("nesting_100k_term_chain", Duration::from_secs(30), || {
        refused_on_small_stack(format!("1{}", "+1".repeat(DEEP)), "deeper than");
        refused_on_small_stack(format!("1{}", "*1".repeat(DEEP)), "deeper than");
        refused_on_small_stack(format!("true{}", " and true".repeat(DEEP)), "deeper than");
        // Studio's operators (`^ \\ & ~ |`) chain no deeper than the others.
        refused_on_small_stack(
            format!("1{}", "^1\\1&1~1|1".repeat(DEEP / 5)),
            "deeper than",
        );
    });
}

#[test]
fn nesting_100k_postfix_chain() {
    isolated(
        "nesting_100k_postfix_chain",
        Duration::from_secs(30),
        || {
            refused_on_small_stack(format!("obj{}", ".a".repeat(DEEP)), "deeper than");
            refused_on_small_stack(format!("lst{}", "[0]".repeat(DEEP)), "deeper than");
        },
    );
}

/// The deepest nesting the parser accepts must also compile, run and drop
/// on an ordinary 2 MiB thread, or the bound does not protect a host.
#[test]
fn deepest_accepted_nesting_runs_on_a_default_thread() {
    isolated(
        "deepest_accepted_nesting_runs_on_a_default_thread",
        Duration::from_secs(120),
        || {
            // Just under the bound (the Assign body's braces count too).
            let depth = studioflow::syntax::MAX_NESTING - 6;
            let cases = [
                format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
                format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
                format!("{}1{}", "len(".repeat(depth), ")".repeat(depth)),
                format!("{}1{}", "\"{".repeat(depth / 2), "}\"".repeat(depth / 2)),
                format!("{}1", "-".repeat(depth)),
                format!("1{}", "+1".repeat(depth)),
            ];
            for expr in cases {
                eprintln!("case: {}...", &expr[..12]);
                on_stack(DEFAULT_THREAD_STACK, move || {
                    let engine = Engine::demo();
                    let src = assign_script(&expr);
                    eprintln!("  compiling");
                    match engine.compile(&src, "deep.script") {
                        Ok(script) => {
                            eprintln!("  running");
                            let run = run_with(&engine, &script, 10);
                            assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
                            let _ = run.to_json().to_string();
                        }
                        Err(d) => check_diagnostics(&src, &d),
                    }
                });
            }
        },
    );
}

/// Depth can hide from a bound that only follows one spine of the tree: each
/// `len(...)` below resets the spine, and the 250 `+1` terms after it add 250
/// levels to the real depth. 100 such levels nest about 25,000 operations
/// deep with only 100 brackets, far past the 256 bound: this must be refused
/// with a diagnostic. (Run on a 16 MiB stack so that only the depth bound,
/// not the parser's own stack use, is under test.)
#[test]
fn nesting_hidden_behind_calls_and_lists_is_bounded() {
    isolated(
        "nesting_hidden_behind_calls_and_lists_is_bounded",
        Duration::from_secs(120),
        || {
            let levels = 100;
            let chain = "+1".repeat(250);
            for (open, close) in [("len(", ")"), ("[", "]"), ("(", ")")] {
                let mut expr = "1".to_string();
                for _ in 0..levels {
                    expr = if open == "(" {
                        // `(1+1)+(inner)+1+1...`: both sides binary, the spine follows the left.
                        format!("(1+1)+({expr}){chain}")
                    } else {
                        format!("{open}{expr}{close}{chain}")
                    };
                }
                eprintln!("case: nesting behind `{open}`");
                on_stack(16 * 1024 * 1024, move || {
                    let engine = Engine::demo();
                    let src = assign_script(&expr);
                    eprintln!("  compiling");
                    match engine.compile(&src, "deep.script") {
                        Err(d) => check_diagnostics(&src, &d),
                        Ok(script) => {
                            // Accepted: it must at least run and drop safely.
                            eprintln!("  compiled; running");
                            let run = run_with(&engine, &script, 10);
                            check_run_shape(&run);
                            drop(run);
                            eprintln!("  dropping the script");
                            drop(script);
                            panic!(
                                "an expression nested ~{} operations deep behind `{open}` compiled \
                                 without a depth diagnostic",
                                levels * 250
                            );
                        }
                    }
                });
            }
        },
    );
}

// ============================================================== runs never hang

#[test]
fn step_budget_stops_a_self_loop() {
    let script = compile(
        "start: Begin { Default -> spin }\nspin: Assign { Variable = x  Value = x + 1  Default -> spin }\n",
    );
    let mut options = RunOptions::default();
    options.variables.insert("x".into(), Value::from(0.0));
    let run = engine().run(&script, options);
    assert_eq!(run.outcome, Outcome::Limit);
    let error = run.error.as_ref().expect("a limit error");
    assert_eq!(error.kind, Outcome::Limit);
    assert_eq!(error.action, "spin");
    assert!(error.message.contains("10000"), "{}", error.message);
    assert_eq!(run.steps, Limits::default().max_steps);
    assert!(
        !run.variables.contains_key("_ERR"),
        "a limit leaves _ERR alone"
    );
    assert_eq!(run.variables["x"], Value::from(9_999.0));
    let json = run.to_json();
    assert_eq!(json["outcome"], "stopped");
    assert_eq!(json["error"]["kind"], "limit");

    // A caller's budget wins over the engine's.
    let mut options = RunOptions::default().max_steps(7);
    options.variables.insert("x".into(), Value::from(0.0));
    let run = engine().run(&script, options);
    assert_eq!((run.outcome, run.steps), (Outcome::Limit, 7));
}

#[test]
fn step_budget_stops_a_loop_between_actions() {
    // Two actions ping-ponging, with a Loop that keeps restarting.
    let script = compile(
        r#"start: Begin { Default -> l }
l: Loop { Repeat = 1000000  Repeat -> b  Finished -> l }
b: If { Expression = true  True -> l  False -> l }
"#,
    );
    let run = run_with(engine(), &script, 5_001);
    assert_eq!(run.outcome, Outcome::Limit);
    assert_eq!(run.steps, 5_001);
    assert_eq!(run.to_json()["error"]["kind"], "limit");
}

#[test]
fn doubling_template_hits_the_string_cap() {
    isolated(
        "doubling_template_hits_the_string_cap",
        Duration::from_secs(30),
        || {
            let script = compile(
                r#"start: Begin { Default -> init }
init: Assign { Variable = s  Value = "x"  Default -> grow }
grow: Assign { Variable = s  Value = "{s}{s}"  Default -> grow }
"#,
            );
            let run = run_with(engine(), &script, 1_000_000);
            assert_eq!(run.outcome, Outcome::Stopped, "{:?}", run.error);
            let error = run.error.as_ref().unwrap();
            assert_eq!(
                (error.kind, error.action.as_str()),
                (Outcome::Stopped, "grow")
            );
            assert!(error.message.contains("limit"), "{}", error.message);
            assert_eq!(run.variables["_ERR"].as_str(), Some(error.message.as_str()));
            let cap = Limits::default().max_string_bytes;
            let s = run.variables["s"].as_str().unwrap();
            assert!(s.len() <= cap, "s grew to {} bytes", s.len());
            // 2^20 is the last doubling that fits in 1 MiB.
            assert!(run.steps < 30, "{} steps", run.steps);
        },
    );
}

#[test]
fn configured_string_cap_is_enforced_by_templates_and_functions() {
    let engine = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_string_bytes(1000))
        .build();
    let cases = [
        // template growth
        r#""{s}{s}""#,
        // functions that grow text
        r#"replace(s, "a", "aaaa")"#,
        r#"upper(u)"#,
        r#"tostring(l)"#,
    ];
    for expr in cases {
        let script = engine.compile(&assign_script(expr), "cap.script").unwrap();
        let mut options = RunOptions::default();
        options
            .variables
            .insert("s".into(), Value::from("a".repeat(600)));
        // 'ŉ' is 2 bytes and upper-cases to 3 ("ʼN").
        options
            .variables
            .insert("u".into(), Value::from("ŉ".repeat(400)));
        // 900 bytes of text (inputs obey the limits too), 1,171 as JSON.
        options
            .variables
            .insert("l".into(), Value::from(vec![Value::from("0123456789"); 90]));
        let run = engine.run(&script, options);
        assert_eq!(
            run.outcome,
            Outcome::Stopped,
            "{expr}: {:?}",
            run.variables.get("r").map(|v| v.to_text().len())
        );
        let message = &run.error.as_ref().unwrap().message;
        assert!(message.contains("limit"), "{expr}: {message}");
        assert!(!run.variables.contains_key("r"));
    }
}

#[test]
fn list_literal_over_the_cap_fails() {
    // The default cap is 100,000 elements; a literal one past it fails its action.
    let n = Limits::default().max_list_len + 1;
    let expr = format!("[{}]", vec!["1"; n].join(","));
    let script = compile(&assign_script(&expr));
    let run = run_with(engine(), &script, 10);
    assert_eq!(run.outcome, Outcome::Stopped);
    let message = &run.error.as_ref().unwrap().message;
    assert!(message.contains("limit"), "{message}");

    // A configured cap.
    let small = Engine::builder()
        .directory(studioflow::permissions::Directory::demo())
        .limits(Limits::default().max_list_len(3))
        .build();
    let script = small
        .compile(&assign_script("[1, 2, 3, 4]"), "l.script")
        .unwrap();
    let run = run_with(&small, &script, 10);
    assert_eq!(run.outcome, Outcome::Stopped);
    assert!(run.error.as_ref().unwrap().message.contains("limit"));
    let script = small
        .compile(&assign_script("[1, 2, 3]"), "l.script")
        .unwrap();
    assert_eq!(run_with(&small, &script, 10).outcome, Outcome::Completed);
}

/// `l = [l, l]` doubles the number of leaves with each step while every list
/// has only two elements: its text (a template, `tostring`, the JSON output)
/// is exponential. 40 doublings make a trillion leaves; rendering them must
/// fail on the string cap, not try to build the whole text first.
#[test]
fn doubling_nested_list_text_is_capped() {
    isolated(
        "doubling_nested_list_text_is_capped",
        Duration::from_secs(30),
        || {
            let script = compile(
                r#"start: Begin { Default -> loop }
loop: Loop { Repeat = 40  Repeat -> grow  Finished -> show }
grow: Assign { Variable = l  Value = [l, l]  Default -> loop }
show: Assign { Variable = text  Value = "{l}"  Default -> str  Error -> str }
str: Assign { Variable = text2  Value = tostring(l)  Default -> done  Error -> done }
done: End
"#,
            );
            let run = run_with(engine(), &script, 1_000);
            // Either the list growth itself was refused (a cap on what lists may
            // hold), or both renderings failed on the string cap.
            match run.outcome {
                Outcome::Stopped => {
                    let message = &run.error.as_ref().unwrap().message;
                    assert!(message.contains("limit"), "{message}");
                }
                Outcome::Completed => {
                    assert!(!run.variables.contains_key("text"));
                    assert!(!run.variables.contains_key("text2"));
                    assert!(run.variables["_ERR"].to_text().contains("limit"));
                }
                other => panic!("unexpected {other:?}: {:?}", run.error),
            }
        },
    );
}

/// A list under the element cap can still stand for far more text than the
/// string cap: 65,536 shared references to one 512 KiB string are 32 GiB of
/// text (a nested `[l, l]` tree of 2^15 leaves, or a flat literal of 30,000
/// `s`). Every path that renders or copies a value (a template, `tostring`,
/// an error message naming the value, If, Case, an API action's list
/// property) must stop at a limit instead of building it. Runs in a child
/// with a 6 GiB address-space limit, so the failure mode of a missing bound
/// is an allocation failure or a timeout, not a swapped-out machine.
#[test]
fn list_of_shared_big_strings_is_capped_everywhere() {
    isolated(
        "list_of_shared_big_strings_is_capped_everywhere",
        Duration::from_secs(30),
        || {
            let flat = vec!["s"; 30_000].join(",");
            let script = compile(&format!(
                r#"start: Begin {{ Default -> init }}
init: Assign {{ Variable = s  Value = "x"  Default -> dbl }}
dbl: Loop {{ Repeat = 19  CounterName = i  Repeat -> grow  Finished -> wrap }}
grow: Assign {{ Variable = s  Value = "{{s}}{{s}}"  Default -> dbl }}
wrap: Assign {{ Variable = l  Value = [s]  Default -> fan }}
fan: Loop {{ Repeat = 15  CounterName = j  Repeat -> widen  Finished -> tpl }}
widen: Assign {{ Variable = l  Value = [l, l]  Default -> fan  Error -> tpl }}
tpl: Assign {{ Variable = a  Value = "{{l}}"  Default -> str  Error -> str }}
str: Assign {{ Variable = b  Value = tostring(l)  Default -> arith  Error -> arith }}
arith: Assign {{ Variable = c  Value = l + 1  Default -> cond  Error -> cond }}
cond: If {{ Expression = l  True -> sel  False -> sel  Error -> sel }}
sel: Case {{ Value = l  Case "x" -> su  Default -> su  Error -> su }}
su: SetSecurityUser {{ Agent = "sysadmin"  Default -> get  Error -> get }}
get: GetRole {{ Role = l  Default -> upd  Error -> upd }}
upd: UpdateRole {{ Role = "Supervisor"  ChangeStamp = l  Default -> flat  Error -> flat }}
flat: Assign {{ Variable = f  Value = [{flat}]  Default -> make  Error -> make }}
make: CreateRole {{ Name = "Big"  Features = f  Default -> done  Error -> done }}
done: End
"#
            ));
            let run = run_with(engine(), &script, 1_000);
            assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
            let cap = Limits::default().max_string_bytes;
            for var in ["a", "b", "_ERR"] {
                if let Some(v) = run.variables.get(var) {
                    assert!(
                        v.to_text().len() <= cap,
                        "{var} holds {} bytes",
                        v.to_text().len()
                    );
                }
            }
        },
    );
}

/// Comparing two independently built trees of 2^40 leaves must not take 2^40 steps.
#[test]
fn comparing_doubling_nested_lists_terminates() {
    isolated(
        "comparing_doubling_nested_lists_terminates",
        Duration::from_secs(30),
        || {
            let script = compile(
                r#"start: Begin { Default -> loop }
loop: Loop { Repeat = 40  Repeat -> growL  Finished -> cmp }
growL: Assign { Variable = l  Value = [l, l]  Default -> growM }
growM: Assign { Variable = m  Value = [m, m]  Default -> loop }
cmp: Assign { Variable = same  Value = l = m  Default -> has  Error -> has }
has: Assign { Variable = found  Value = contains([l], m)  Default -> done  Error -> done }
done: End
"#,
            );
            let run = run_with(engine(), &script, 1_000);
            assert!(
                matches!(run.outcome, Outcome::Completed | Outcome::Stopped),
                "{:?}",
                run.error
            );
        },
    );
}

/// `l = [l]` nests one level per step. With a large budget the nesting gets
/// as deep as the host allows steps; rendering, serializing and dropping the
/// result must not overflow the stack (or the nesting must be capped).
#[test]
fn deeply_nested_list_built_at_run_time_is_safe() {
    isolated(
        "deeply_nested_list_built_at_run_time_is_safe",
        Duration::from_secs(120),
        || {
            on_stack(DEFAULT_THREAD_STACK, || {
                let engine = Engine::demo();
                let script = engine
                    .compile(
                        r#"start: Begin { Default -> loop }
loop: Loop { Repeat = 100000  Repeat -> grow  Finished -> show }
grow: Assign { Variable = l  Value = [l]  Default -> loop }
show: Assign { Variable = text  Value = "{l}"  Default -> cmp  Error -> cmp }
cmp: Assign { Variable = same  Value = l = l  Default -> done  Error -> done }
done: End
"#,
                        "deep.script",
                    )
                    .unwrap();
                let run = run_with(&engine, &script, 1_000_000);
                check_run_shape(&run);
                let _ = run.to_json().to_string();
                drop(run);
            });
        },
    );
}

#[test]
fn replace_blowup_is_capped() {
    isolated("replace_blowup_is_capped", Duration::from_secs(30), || {
        // A quadratic replace: 5,000 a's each replaced by the whole string.
        let script = compile(&assign_script(r#"replace(s, "a", s)"#));
        let mut options = RunOptions::default();
        options
            .variables
            .insert("s".into(), Value::from("a".repeat(5_000)));
        let run = engine().run(&script, options);
        assert_eq!(run.outcome, Outcome::Stopped);
        assert!(run.error.unwrap().message.contains("limit"));

        // The same with the largest string allowed: 10^12 bytes if built.
        let mut options = RunOptions::default();
        options.variables.insert(
            "s".into(),
            Value::from("a".repeat(Limits::default().max_string_bytes)),
        );
        let run = engine().run(&script, options);
        assert_eq!(run.outcome, Outcome::Stopped);
        assert!(run.error.unwrap().message.contains("limit"));

        // A doubling replace loop stops on the cap, not on memory.
        let script = compile(
            r#"start: Begin { Default -> init }
init: Assign { Variable = s  Value = "ab"  Default -> grow }
grow: Assign { Variable = s  Value = replace(s, "a", "aa")  Default -> grow }
"#,
        );
        let run = run_with(engine(), &script, 1_000_000);
        assert_eq!(run.outcome, Outcome::Stopped);
        let error = run.error.unwrap();
        assert_eq!(error.action, "grow");
        assert!(error.message.contains("limit"), "{}", error.message);
    });
}

#[test]
fn cancellation_stops_a_long_run() {
    let script = compile(
        r#"start: Begin { Default -> spin }
spin: Assign { Variable = x  Value = x + 1  Default -> spin }
"#,
    );
    let token = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    // Cancel only once the run is under way (a fixed sleep would race with
    // a loaded machine's scheduler): the run says so after its 100th step.
    let (started_tx, started_rx) = mpsc::sync_channel::<()>(1);
    let runner = {
        let (engine, script, token) = (engine().clone(), script.clone(), token.clone());
        thread::spawn(move || {
            let observer: studioflow::StepObserver =
                Arc::new(move |step: &studioflow::TraceStep| {
                    if step.step == 100 {
                        let _ = started_tx.try_send(());
                    }
                });
            let mut options = RunOptions::default()
                .max_steps(u64::MAX)
                .cancel(token)
                .observer(observer);
            options.variables.insert("x".into(), Value::from(0.0));
            let run = engine.run(&script, options);
            let _ = tx.send(run);
        })
    };
    started_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the run reaches its 100th step");
    token.cancel();
    let run = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the cancelled run finishes");
    runner.join().unwrap();
    assert_eq!(run.outcome, Outcome::Cancelled);
    let error = run.error.as_ref().unwrap();
    assert_eq!(error.kind, Outcome::Cancelled);
    assert_eq!(error.action, "spin");
    assert!(run.steps > 0);
    assert_eq!(run.variables["x"], Value::from((run.steps - 1) as f64));
    assert_eq!(run.to_json()["outcome"], "stopped");

    // A token cancelled before the run starts stops it before the first action.
    let run = engine().run(&script, RunOptions::default().cancel(token));
    assert_eq!((run.outcome, run.steps), (Outcome::Cancelled, 0));
}

#[test]
fn cancellation_from_an_observer_thread_stops_many_runs() {
    // Eight long runs sharing one token; one cancel stops them all.
    let script = compile(
        r#"start: Begin { Default -> l }
l: Loop { Repeat = 1000000000  Repeat -> b  Finished -> l }
b: Assign { Variable = s  Value = "{counter}"  Default -> l }
"#,
    );
    let token = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    for _ in 0..8 {
        let (engine, script, token, tx) =
            (engine().clone(), script.clone(), token.clone(), tx.clone());
        thread::spawn(move || {
            let run = engine.run(
                &script,
                RunOptions::default().max_steps(u64::MAX).cancel(token),
            );
            let _ = tx.send(run.outcome);
        });
    }
    thread::sleep(Duration::from_millis(50));
    token.cancel();
    for _ in 0..8 {
        let outcome = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("every run finishes");
        assert_eq!(outcome, Outcome::Cancelled);
    }
}

// ====================================================== snippet nesting
//
// pest runs without its `std` feature (no native stack probe on every rule
// entry), so these prove the pre-scan alone keeps Snippet code, which has
// its own grammar, from overflowing a small stack.

fn snippet_script(code: &str) -> String {
    format!(
        "start: Begin {{ Default -> s }}\ns: Snippet {{\n  Data = \"\"\"\n{code}\n\"\"\"\n  Default -> done\n}}\ndone: End\n"
    )
}

#[test]
fn nesting_100k_snippet_code() {
    isolated("nesting_100k_snippet_code", Duration::from_secs(60), || {
        let cases = [
            format!("{}{}", "IF true { ".repeat(DEEP), "}".repeat(DEEP)),
            format!("{}{}", "FOR i = 1 TO 2 { ".repeat(DEEP), "}".repeat(DEEP)),
            format!(
                "{}{}",
                "SWITCH 1 { CASE 1 { ".repeat(DEEP),
                "} }".repeat(DEEP)
            ),
            format!("x = {}1{}", "(".repeat(DEEP), ")".repeat(DEEP)),
            format!("x = {}1{}", "f(".repeat(DEEP), ")".repeat(DEEP)),
            format!("x = {}1", "-".repeat(DEEP)),
            format!("x = 1{}", "+1".repeat(DEEP)),
            format!("x = o{}", ".a".repeat(DEEP)),
            "IF true { ".repeat(DEEP),
        ];
        for code in cases {
            let src = snippet_script(&code);
            let head: String = code.chars().take(12).collect();
            let result = on_stack(SMALL_STACK, move || {
                match Engine::demo().compile(&src, "deep.script") {
                    Ok(_) => None,
                    Err(d) => {
                        check_diagnostics(&src, &d);
                        Some(
                            d.errors()
                                .next()
                                .map(|e| e.message.clone())
                                .unwrap_or_default(),
                        )
                    }
                }
            });
            let message = result
                .unwrap_or_else(|| panic!("snippet `{head}...` nested 100,000 deep compiled"));
            assert!(
                message.contains("deeper than") || message.contains("prefix operators"),
                "`{head}...`: unexpected diagnostic: {message}"
            );
        }
    });
}

/// The deepest Snippet nesting accepted compiles and runs on a host's
/// ordinary 2 MiB thread.
#[test]
fn deepest_accepted_snippet_nesting_runs_on_a_default_thread() {
    isolated(
        "deepest_accepted_snippet_nesting_runs_on_a_default_thread",
        Duration::from_secs(120),
        || {
            let depth = studioflow::syntax::MAX_NESTING - 8;
            let cases = [
                format!("{}x = 1{}", "IF true { ".repeat(depth), "}".repeat(depth)),
                format!("x = {}1{}", "(".repeat(depth), ")".repeat(depth)),
                format!("x = 1{}", "+1".repeat(depth)),
            ];
            for code in cases {
                on_stack(DEFAULT_THREAD_STACK, move || {
                    let src = snippet_script(&code);
                    let engine = Engine::demo();
                    match engine.compile(&src, "deep.script") {
                        Ok(script) => {
                            let run = run_with(&engine, &script, 10);
                            assert_eq!(run.outcome, Outcome::Completed, "{:?}", run.error);
                        }
                        Err(d) => panic!("accepted nesting refused: {d}"),
                    }
                });
            }
        },
    );
}
