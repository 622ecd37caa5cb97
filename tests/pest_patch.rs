//! The patch to pest in vendor/pest (STUDIOFLOW_PATCH.md): stack snapshots
//! are not taken until a grammar first uses its stack, and the call-limit
//! tracker is skipped when no limit is set. A grammar that uses `PUSH`,
//! `POP`, `PEEK`, `DROP` must parse exactly as with pest as published, most
//! of all when its first `PUSH` happens inside checkpoints that were not
//! recorded and one of them then backtracks. Every expected result below
//! was worked out by hand, and the same tests pass against pest 2.9.6 as
//! published (the `[patch.crates-io]` entry of Cargo.toml removed). Each
//! test can fail: with `restore` or `checkpoint` skipped whatever the flag,
//! or the tracker idle even with a limit set, some of them do.
//!
//! The second change: the line index behind `Pair::line_col` is built on
//! the first question, not on every parse; its answers must not change.

// pest_derive without its `std` feature writes `alloc::boxed::Box`.
extern crate alloc;

use std::num::NonZeroUsize;
use std::sync::Mutex;

use pest::Parser;
use pest_derive::Parser;

#[derive(Parser)]
#[grammar_inline = r####"
letter = _{ 'a'..'z' }
digit  = _{ '0'..'9' }

// The first PUSH, inside the sequence of the first alternative, which then
// fails: the second alternative must see an empty stack (PEEK_ALL matches
// nothing), not the pushed letter.
first_push_fails = { SOI ~ ((PUSH(letter) ~ "!") | (letter ~ PEEK_ALL)) ~ EOI }

// Two PUSHes, the second inside an optional, then the enclosing sequence
// fails: both are undone.
nested_push_fails = { SOI ~ ((PUSH(letter) ~ ("-" ~ PUSH(letter))? ~ "!") | (letter ~ "-"? ~ letter? ~ PEEK_ALL)) ~ EOI }

// A DROP inside an optional that fails after it: the dropped element comes
// back (POP then matches it); when the optional succeeds, what it pushed is
// what POP matches.
drop_restored = { SOI ~ PUSH(digit) ~ (PEEK ~ DROP ~ "x" ~ PUSH("y"))? ~ POP ~ EOI }

// Lookaheads always restore the stack, positive or negative.
lookahead_push = { SOI ~ &PUSH(letter) ~ letter ~ PEEK_ALL ~ EOI }
not_push       = { SOI ~ !(PUSH(letter) ~ "!") ~ letter ~ PEEK_ALL ~ EOI }

// Matching tags, repeated: PUSH and POP inside a repetition that
// backtracks at every closing tag.
tags = { SOI ~ tag* ~ EOI }
tag  = { "<" ~ PUSH(letter+) ~ ">" ~ tag* ~ "</" ~ POP ~ ">" }

// Rust's raw strings: r#"..."#, as many # to close as to open.
raw     = { SOI ~ "r" ~ PUSH("#"*) ~ "\"" ~ content ~ "\"" ~ POP ~ EOI }
content = { (!("\"" ~ PEEK) ~ ANY)* }

// A grammar without the stack, for the call limit.
digits = { SOI ~ (digit ~ ("," ~ digit)*)? ~ EOI }

// Words on lines, for `Pair::line_col` (the line index, built lazily).
words = { SOI ~ (word | " " | "\t" | "\r" | "\n")* ~ EOI }
word  = { (!(" " | "\t" | "\r" | "\n") ~ ANY)+ }

// Character ranges and case-insensitive strings over ASCII and multi-byte
// text (the third change: an ASCII byte is matched without decoding, an
// insensitive string that differs at its first byte without slicing).
ranges  = { SOI ~ (lower | upper | accented | emoji | other)* ~ EOI }
lower   = { 'a'..'z' }
upper   = { 'A'..'Z' }
accented = { '\u{C0}'..'\u{17F}' }
emoji   = { '\u{1F300}'..'\u{1FAFF}' }
other   = { ' '..'@' | '['..'`' | '{'..'\u{BF}' | '\u{180}'..'\u{1F2FF}' | '\u{1FB00}'..'\u{10FFFF}' }
insensitive = { SOI ~ (^"select" | ^"é" | ^"ab" | ^"a" | "-")* ~ EOI }
"####]
struct P;

/// `pest::set_call_limit` is process-wide: the tests take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn parses(rule: Rule, input: &str) -> bool {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    P::parse(rule, input).is_ok()
}

#[test]
fn a_first_push_undone_by_its_failing_sequence() {
    // "a": `PUSH(a) ~ "!"` fails at the end; `a ~ PEEK_ALL` matches with an
    // empty stack.
    assert!(parses(Rule::first_push_fails, "a"));
    // "aa": had the stack kept `a`, PEEK_ALL would match the second `a`.
    assert!(!parses(Rule::first_push_fails, "aa"));
    assert!(parses(Rule::first_push_fails, "a!"));
}

#[test]
fn nested_pushes_undone_by_the_enclosing_sequence() {
    // The second alternative, with PEEK_ALL matching nothing.
    assert!(parses(Rule::nested_push_fails, "a-b"));
    // [a, b] left on the stack would make PEEK_ALL match "ba".
    assert!(!parses(Rule::nested_push_fails, "a-bba"));
    assert!(parses(Rule::nested_push_fails, "a-b!"));
    assert!(parses(Rule::nested_push_fails, "a!"));
}

#[test]
fn a_drop_is_undone_when_its_optional_fails() {
    // PUSH 1; the optional peeks "1", drops, fails at "x" (restored: [1]);
    // POP matches the second "1".
    assert!(parses(Rule::drop_restored, "11"));
    // POP matches the second "1", then "1" is left over.
    assert!(!parses(Rule::drop_restored, "111"));
    // The optional succeeds: [y]; POP matches a second "y".
    assert!(parses(Rule::drop_restored, "11xyy"));
    assert!(!parses(Rule::drop_restored, "11xy"));
    assert!(!parses(Rule::drop_restored, "11x1"));
}

#[test]
fn lookaheads_restore_the_stack() {
    assert!(parses(Rule::lookahead_push, "a"));
    assert!(!parses(Rule::lookahead_push, "aa"));
    assert!(parses(Rule::not_push, "a"));
    assert!(!parses(Rule::not_push, "aa"));
    assert!(!parses(Rule::not_push, "a!"));
}

#[test]
fn matching_tags() {
    assert!(parses(Rule::tags, "<a><bc></bc><d></d></a><e></e>"));
    assert!(parses(Rule::tags, ""));
    assert!(!parses(Rule::tags, "<a><b></a></b>"));
    assert!(!parses(Rule::tags, "<a><b></b>"));
    assert!(!parses(Rule::tags, "<a></a></a>"));
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pairs = P::parse(Rule::tags, "<a><b></b></a><c></c>").unwrap();
    let spans: Vec<(usize, usize)> = pairs
        .flatten()
        .filter(|p| p.as_rule() == Rule::tag)
        .map(|p| (p.as_span().start(), p.as_span().end()))
        .collect();
    assert_eq!(spans, [(0, 14), (3, 10), (14, 21)]);
}

#[test]
fn raw_strings() {
    let content = |input: &str| {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        P::parse(Rule::raw, input).ok().map(|pairs| {
            pairs
                .flatten()
                .find(|p| p.as_rule() == Rule::content)
                .unwrap()
                .as_str()
                .to_string()
        })
    };
    assert_eq!(content(r###"r##"a"#b"##"###).as_deref(), Some(r##"a"#b"##));
    assert_eq!(content(r#"r"x""#).as_deref(), Some("x"));
    assert_eq!(content(r##"r#"x"##), None);
    assert_eq!(content(r###"r#"x"##"###), None);
}

#[test]
fn the_call_limit_still_counts() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let input = vec!["1"; 200].join(",");
    // Without a limit (the patched tracker's idle path) the list parses.
    assert!(P::parse(Rule::digits, &input).is_ok());
    pest::set_call_limit(NonZeroUsize::new(50));
    let limited = P::parse(Rule::digits, &input);
    let short = P::parse(Rule::digits, "1,2");
    pest::set_call_limit(None);
    let err = limited.expect_err("200 items take more than 50 calls");
    assert!(err.to_string().contains("call limit reached"), "{err}");
    assert!(short.is_ok(), "a short input stays under the limit");
    assert!(P::parse(Rule::digits, &input).is_ok());
}

/// `(line, column)` of byte `pos`, counted the plain way: 1-based, columns
/// in characters, lines ended by `\n`.
fn naive_line_col(input: &str, pos: usize) -> (usize, usize) {
    let before = &input[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, input[line_start..pos].chars().count() + 1)
}

#[test]
fn line_col_answers_are_unchanged() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let inputs = [
        "",
        "one",
        "hello 你好 A🎈C\nworld",
        "\n\n  a\tbé\r\nçd  \n\n🎈x\n last",
        "first\r\nsecond\rthird\n\nfifth ",
    ];
    for input in inputs {
        let pairs = P::parse(Rule::words, input).unwrap();
        // Asked in reverse order, from clones, from a flattened walk and from
        // `into_inner`: one index, shared, built on the first question.
        let mut words: Vec<_> = pairs
            .clone()
            .flatten()
            .filter(|p| p.as_rule() == Rule::word)
            .collect();
        words.reverse();
        for word in &words {
            let pos = word.as_span().start();
            assert_eq!(
                word.line_col(),
                naive_line_col(input, pos),
                "{input:?} at {pos}"
            );
            assert_eq!(
                word.clone().line_col(),
                word.as_span().start_pos().line_col()
            );
        }
        let top = pairs.clone().next().unwrap();
        assert_eq!(top.line_col(), (1, 1));
        let inner: Vec<_> = top
            .into_inner()
            .filter(|p| p.as_rule() == Rule::word)
            .collect();
        assert_eq!(inner.len(), words.len());
        for word in inner {
            let pos = word.as_span().start();
            assert_eq!(
                word.line_col(),
                naive_line_col(input, pos),
                "{input:?} at {pos}"
            );
        }
    }
}

#[test]
fn ranges_and_insensitive_strings_match_as_before() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    fn kinds(input: &str) -> Vec<(Rule, &str)> {
        P::parse(Rule::ranges, input)
            .unwrap()
            .next()
            .unwrap()
            .into_inner()
            .filter(|p| p.as_rule() != Rule::EOI)
            .map(|p| (p.as_rule(), p.as_str()))
            .collect()
    }
    use Rule::{accented, emoji, lower, other, upper};
    assert_eq!(
        kinds("aZ é~🎈\u{10FFFF}Àÿſƀ"),
        [
            (lower, "a"),
            (upper, "Z"),
            (other, " "),
            (accented, "é"),
            (other, "~"),
            (emoji, "🎈"),
            (other, "\u{10FFFF}"),
            (accented, "À"),
            (accented, "ÿ"),
            (accented, "ſ"),
            (other, "ƀ"),
        ]
    );
    // NUL is in no range: the parse stops there.
    assert!(P::parse(Rule::ranges, "a\u{0}").is_err());
    assert!(P::parse(Rule::ranges, "").is_ok());
    for (input, ok) in [
        ("SELECT-select-SeLeCt", true),
        ("é-É", false), // not ASCII: no case folding
        ("é-é-AB-ab-aB-A-a", true),
        ("selec", false),
        ("sélect", false),
        ("", true),
        ("-é", true),
        ("b", false),
    ] {
        assert_eq!(P::parse(Rule::insensitive, input).is_ok(), ok, "{input:?}");
    }
}

#[test]
fn error_detail_still_names_the_strings_tried() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    pest::set_error_detail(true);
    let err = P::parse(Rule::insensitive, "select-x");
    pest::set_error_detail(false);
    let attempts = err
        .expect_err("x is no alternative")
        .parse_attempts()
        .expect("error detail was on");
    let expected: Vec<String> = attempts
        .expected_tokens()
        .iter()
        .map(|t| t.to_string())
        .collect();
    // Insensitive strings are shown upper-cased, sensitive ones as written.
    for token in ["SELECT", "É", "AB", "A", "-"] {
        assert!(
            expected.iter().any(|t| t == token),
            "{token} not in {expected:?}"
        );
    }
    let plain = P::parse(Rule::insensitive, "select-x").unwrap_err();
    assert!(plain.parse_attempts().is_none());
}
