//! `studioflow fmt`: idempotent, meaning-preserving (same AST without
//! spans, same warnings), comments kept; generated scripts and every
//! script in the repository; the command's files, exit codes and exclusions.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use proptest::prelude::*;
use studioflow::format::{format_script, snippet_comments, snippet_without_spans};
use studioflow::syntax::ast::{Expr, ExprKind, Literal, ScriptAst, TemplatePart};
use studioflow::syntax::parse_script;
use studioflow::{Engine, Span};

/// The AST with every span (and derived depth) zeroed, for comparison.
fn without_spans(mut ast: ScriptAst) -> ScriptAst {
    fn expr(e: &mut Expr) {
        e.span = Span::new(0, 0);
        match &mut e.kind {
            ExprKind::Literal(_) | ExprKind::Variable(_) => {}
            ExprKind::Template(parts) => parts.iter_mut().for_each(|p| {
                if let TemplatePart::Expr(e) = p {
                    expr(e)
                }
            }),
            ExprKind::List(items) => items.iter_mut().for_each(expr),
            ExprKind::Call(_, span, items) => {
                *span = Span::new(0, 0);
                items.iter_mut().for_each(expr)
            }
            ExprKind::Member(a, _) | ExprKind::Unary(_, a) => expr(a),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                expr(a);
                expr(b)
            }
        }
    }
    if let Some(h) = &mut ast.header {
        if let Some((_, s)) = &mut h.script_type {
            *s = Span::new(0, 0);
        }
    }
    for a in &mut ast.actions {
        a.id_span = Span::new(0, 0);
        a.type_span = Span::new(0, 0);
        a.span = Span::new(0, 0);
        let snippet = a.action_type.eq_ignore_ascii_case("Snippet");
        for p in &mut a.properties {
            p.name_span = Span::new(0, 0);
            expr(&mut p.value);
            // Snippet code compares as its statement tree (layout aside).
            if let (true, ExprKind::Literal(Literal::String(code))) = (snippet, &mut p.value.kind) {
                if let Ok(stmts) = studioflow::snippet::parse(code, 0) {
                    *code = format!("{:?}", snippet_without_spans(stmts));
                }
            }
        }
        for b in &mut a.branches {
            b.name_span = Span::new(0, 0);
            b.target_span = Span::new(0, 0);
        }
    }
    ast
}

/// The check warnings without their positions; `None` when it does not
/// compile (error messages may name lines, which formatting moves).
fn warnings(text: &str) -> Option<Vec<String>> {
    Engine::new().compile(text, "x.script").ok().map(|script| {
        script
            .warnings()
            .items()
            .iter()
            .map(|d| d.message.clone())
            .collect()
    })
}

/// The script's comments, then those inside its Snippet code.
fn comments(text: &str) -> Vec<String> {
    let mut found: Vec<String> = studioflow::syntax::comment_spans(text)
        .unwrap()
        .iter()
        .map(|s| text[s.start..s.end].trim_end().to_string())
        .collect();
    for a in parse_script(text).unwrap().actions {
        for p in a.properties {
            if let ExprKind::Literal(Literal::String(code)) = p.value.kind {
                if a.action_type.eq_ignore_ascii_case("Snippet") {
                    found.extend(snippet_comments(&code));
                }
            }
        }
    }
    found
}

/// fmt is idempotent, keeps the AST (without spans), the warnings and the comments.
fn check_formats(text: &str, what: &str) {
    let Ok(ast) = parse_script(text) else { return };
    let formatted = format_script(text).unwrap_or_else(|d| panic!("{what}: {}", d.message));
    let reparsed = parse_script(&formatted).unwrap_or_else(|d| {
        panic!(
            "{what}: formatted text does not parse: {}\n{formatted}",
            d.message
        )
    });
    assert_eq!(
        without_spans(reparsed),
        without_spans(ast),
        "{what}: the AST changed\n{formatted}"
    );
    assert_eq!(
        format_script(&formatted).unwrap(),
        formatted,
        "{what}: not idempotent"
    );
    assert_eq!(
        warnings(&formatted),
        warnings(text),
        "{what}: warnings changed"
    );
    assert_eq!(
        comments(&formatted),
        comments(text),
        "{what}: comments changed\n{formatted}"
    );
}

fn every_script(folder: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            every_script(&path, out);
        } else if path.extension().is_some_and(|x| x == "script") {
            out.push(path);
        }
    }
}

#[test]
fn every_script_in_the_repository_formats_faithfully() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    every_script(&root.join("scripts"), &mut paths);
    every_script(&root.join("tests"), &mut paths);
    assert!(paths.len() > 50);
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        check_formats(&text, &path.display().to_string());
    }
}

// ---------------------------------------------------------------- generated scripts

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x".to_string()),
        Just("Tier".to_string()),
        Just("_n".to_string()),
        Just("count".to_string())
    ]
}

fn string_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just(" "),
            Just("\\\""),
            Just("\\\\"),
            Just("\\n"),
            Just("{{"),
            Just("}}"),
            Just("//"),
            Just("é")
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        ident(),
        (0u32..1000).prop_map(|n| n.to_string()),
        Just("2.50".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        string_text().prop_map(|t| format!("\"{t}\"")),
        (string_text(), ident()).prop_map(|(t, v)| format!("\"{t}{{{v}}}\"")),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop_oneof![
                    Just("+"),
                    Just("-"),
                    Just("*"),
                    Just("&&"),
                    Just("or"),
                    Just("=="),
                    Just("<>"),
                    Just("<")
                ],
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a}){op}({b})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            inner.clone().prop_map(|a| format!("!({a})")),
            prop::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(","))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("len({a}) + upper({b})")),
            inner.clone().prop_map(|a| format!("x.member[{a}]")),
        ]
    })
}

fn space() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just(" // note\n".to_string()),
        Just("\n\n// own line\n".to_string())
    ]
}

fn script() -> impl Strategy<Value = String> {
    (
        prop::option::of(Just("script \"Gen // not a comment\" type Phone")),
        prop::collection::vec((expr(), space(), space(), any::<bool>()), 1..5),
    )
        .prop_map(|(header, bodies)| {
            let mut text = String::new();
            if let Some(h) = header {
                text += h;
                text += " // header\n";
            }
            text += "start: Begin { Default -> a0 }\n";
            let n = bodies.len();
            for (i, (value, s1, s2, caption)) in bodies.into_iter().enumerate() {
                let next = if i + 1 < n { format!("a{}", i + 1) } else { "done".into() };
                let caption = if caption { " \"cap {x} // c\"" } else { "" };
                text += &format!("a{i}:{s1}Assign{caption}{{Variable{s2}= v{i} Value ={s1}{value}{s2}Default -> {next} Error -> done}}{s1}\n");
            }
            text += "// before done\ndone: End\n// the end\n";
            text
        })
}

/// Snippet statements in any case, spacing and line breaks, with comments.
fn snippet_statement() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        (any::<bool>(), ident(), expr())
            .prop_map(|(kw, v, e)| format!("{}{v}={e}", if kw { "assign " } else { "" })),
        (ident(), expr(), expr()).prop_map(|(v, i, e)| format!("{v}.a[{i}].b = {e}")),
        expr().prop_map(|e| format!("Trace {e}")),
        Just("DYNAMIC o, p".to_string()),
        Just("break".to_string()),
        expr().prop_map(|e| format!("return {e}")),
        Just("global:total = total + 1".to_string()),
    ];
    simple.prop_recursive(3, 16, 3, |inner| {
        let body = prop::collection::vec((inner, space()), 0..3)
            .prop_map(|items| {
                items
                    .into_iter()
                    .map(|(s, sp)| format!("{s}{sp}"))
                    .collect::<String>()
            })
            .boxed();
        prop_oneof![
            (expr(), body.clone(), prop::option::of(body.clone())).prop_map(|(c, t, e)| match e {
                Some(e) => format!("IF {c} {{{t}}} else {{ {e} }}"),
                None => format!("if({c}){{ {t} }}"),
            }),
            (expr(), expr(), body.clone()).prop_map(|(a, b, t)| format!("For i={a} TO {b}{{{t}}}")),
            (expr(), body.clone()).prop_map(|(a, t)| format!("foreach item in {a} {{\n{t}\n}}")),
            (expr(), body.clone(), body.clone()).prop_map(|(s, a, b)| format!(
                "SWITCH {s} {{ case 1 {{ {a} }} // one\n CASE \"two\" {{}} default {{{b}}} }}"
            )),
            (expr(), body.clone()).prop_map(|(c, t)| format!("select {{ case {c} {{ {t} }} }}")),
            body.prop_map(|t| format!("FUNCTION f(a, b) {{ {t} return a }}")),
        ]
    })
}

fn snippet_script() -> impl Strategy<Value = String> {
    prop::collection::vec((snippet_statement(), space()), 1..5).prop_map(|stmts| {
        let code: String = stmts.into_iter().map(|(s, sp)| format!("{s}{sp}")).collect();
        format!(
            "start: Begin {{ Default -> s }}\ns: Snippet {{ Data = \"\"\"\n{code}\n\"\"\" Default -> done }}\ndone: End\n"
        )
    })
}

/// Blanks and comments that may sit between two tokens of an action.
fn trivia() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(" "),
        Just("\n"),
        Just(" // c\n"),
        Just("\n\n"),
        Just("\n  // own\n"),
        Just("\n\n// own\n\n"),
        Just(" // t\n\n"),
        Just("// t\n  // u\n"),
    ]
}

/// An Assign and a Snippet action with a comment or blank lines (or not)
/// between every two tokens: every place a comment can be written.
fn commented_script() -> impl Strategy<Value = String> {
    const TOKENS: &[&str] = &[
        "script",
        "\"N\"",
        "type",
        "Phone",
        "start",
        ":",
        "Begin",
        "{",
        "Default",
        "->",
        "a",
        "}",
        "a",
        ":",
        "Assign",
        "\"cap\"",
        "{",
        "Variable",
        "=",
        "x",
        "Value",
        "=",
        "1",
        "+",
        "y",
        "Default",
        "->",
        "s",
        "}",
        "s",
        ":",
        "Snippet",
        "{",
        "Data",
        "=",
        "\"\"\"\nx = 1 // in\n\"\"\"",
        "Default",
        "->",
        "done",
        "}",
    ];
    prop::collection::vec(trivia(), TOKENS.len()).prop_map(|gaps| {
        let mut text = String::new();
        for (token, gap) in TOKENS.iter().zip(gaps) {
            text += token;
            text += gap;
        }
        // Numbered, so that a comment moved past another is seen.
        let mut n = 0;
        let text: String = text
            .split("// ")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_string()
                } else {
                    n += 1;
                    format!("// {n}{part}")
                }
            })
            .collect();
        text + "\ndone: End\n"
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]
    /// Comments anywhere in an action (between `Data` and `=`, after `=`,
    /// after a `\"\"\"` block, around blank lines): the formatted text
    /// parses to the same script, keeps every comment in order, and
    /// formats to itself.
    #[test]
    fn comments_anywhere_format_faithfully_and_idempotently(text in commented_script()) {
        prop_assert!(parse_script(&text).is_ok(), "does not parse:\n{text}");
        check_formats(&text, &text);
    }

    #[test]
    fn generated_scripts_format_faithfully(text in script()) {
        prop_assume!(parse_script(&text).is_ok());
        check_formats(&text, &text);
    }

    /// Snippet code: the statement tree, the comments and the warnings are
    /// kept, and formatting twice changes nothing.
    #[test]
    fn generated_snippet_code_formats_faithfully(text in snippet_script()) {
        prop_assume!(parse_script(&text).is_ok());
        let code_parses = parse_script(&text).unwrap().actions[1].properties.iter().all(|p| match &p.value.kind {
            ExprKind::Literal(Literal::String(code)) => studioflow::snippet::parse(code, 0).is_ok(),
            _ => true,
        });
        prop_assume!(code_parses);
        // The formatter's own proof held (it did not fall back to the text as written).
        for p in &parse_script(&text).unwrap().actions[1].properties {
            if let ExprKind::Literal(Literal::String(code)) = &p.value.kind {
                prop_assert!(studioflow::format::format_snippet(code, "    ").is_some(), "kept verbatim:\n{code}");
            }
        }
        check_formats(&text, &text);
    }
}

/// Messy Snippet code comes out canonical: keywords upper case, blocks
/// indented with their braces on lines of their own (as NICE's help pages
/// write them), comments and blank lines kept; the formatter is not a no-op.
#[test]
fn snippet_code_is_laid_out_canonically() {
    let text = r#"calc: Snippet "Build" {
  Data = """
  assign total=0   // start
      for i=1 to 3{total=total+i}


  // by tier
  switch Tier{case "gold"{discount=10} default{
  discount=0
  trace "none for {Tier}"}}
  IF total>5 && isnull(x) { o.a[1].b = total
  x = o.asjson() } else {}
  """
  Default -> done
}

done: End
"#;
    let formatted = format_script(text).unwrap();
    assert_eq!(
        formatted,
        r#"calc: Snippet "Build" {
  Data = """
    ASSIGN total = 0 // start
    FOR i = 1 TO 3
    {
      total = total + i
    }

    // by tier
    SWITCH Tier
    {
      CASE "gold"
      {
        discount = 10
      }
      DEFAULT
      {
        discount = 0
        TRACE "none for {Tier}"
      }
    }
    IF total > 5 and isnull(x)
    {
      o.a[1].b = total
      x = o.asjson()
    }
    ELSE
    {
    }
  """
  Default -> done
}

done: End
"#
    );
    check_formats(text, "messy snippet");
}

// ---------------------------------------------------------------- the command

fn studioflow(dir: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("studioflow");
    cmd.current_dir(dir);
    cmd
}

const UGLY: &str = "start:Begin{Default->done // go\n}\ndone :End\n";
const PRETTY: &str = "start: Begin {\n  Default -> done // go\n}\n\ndone: End\n";

#[test]
fn fmt_rewrites_check_lists_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("flows")).unwrap();
    let ugly = dir.path().join("flows/ugly.script");
    let pretty = dir.path().join("pretty.script");
    std::fs::write(&ugly, UGLY).unwrap();
    std::fs::write(&pretty, PRETTY).unwrap();
    let before = std::fs::metadata(&pretty).unwrap().modified().unwrap();

    let out = studioflow(dir.path())
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "./flows/ugly.script"
    );
    assert_eq!(
        std::fs::read_to_string(&ugly).unwrap(),
        UGLY,
        "--check changes nothing"
    );

    let out = studioflow(dir.path()).arg("fmt").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&ugly).unwrap(), PRETTY);
    assert_eq!(
        std::fs::metadata(&pretty).unwrap().modified().unwrap(),
        before,
        "an unchanged file is not rewritten"
    );
    let out = studioflow(dir.path())
        .args(["fmt", "--check", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.script");
    std::fs::write(&bad, "start Begin {").unwrap();
    std::fs::write(dir.path().join("ugly.script"), UGLY).unwrap();
    let out = studioflow(dir.path()).arg("fmt").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.script:1:7: error[syntax-error]: expected `:`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "start Begin {");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ugly.script")).unwrap(),
        PRETTY,
        "other files are still formatted"
    );
}

#[test]
fn exclusions_from_the_command_line_and_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("broken/deep")).unwrap();
    std::fs::write(dir.path().join("broken/deep/bad.script"), "start Begin {").unwrap();
    std::fs::write(dir.path().join("ugly.script"), UGLY).unwrap();
    let out = studioflow(dir.path())
        .args(["fmt", "--check", "--exclude", "broken/**"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.path().join("studioflow.toml"),
        "[fmt]\nexclude = [\"broken/**\", \"ugly.script\"]\n",
    )
    .unwrap();
    let out = studioflow(&dir.path().join("broken"))
        .args(["fmt", "--check", ".."])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.path().join("studioflow.toml"), "[fmt]\nexclud = []\n").unwrap();
    let out = studioflow(dir.path()).arg("fmt").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("studioflow.toml"));
    let out = studioflow(dir.path())
        .args(["fmt", "--exclude", "[oops"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_repository_is_formatted() {
    let out = studioflow(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["fmt", "--check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
