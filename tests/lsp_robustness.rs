//! The language server never crashes or hangs on any text: every golden
//! malformed case typed into an empty document one character at a time
//! (one incremental `didChange` per character, its position counted in
//! UTF-16 as an editor does), the diagnostics of every version awaited,
//! and every few characters every read-only request asked at the cursor.
//!
//! A failure is any of: no answer within the patience (a hang), the server
//! thread gone (a panic outside the request guard), an `InternalError`
//! (-32603: the server caught a panic in a request), diagnostics saying
//! "studioflow could not check this document" (a panic while checking),
//! diagnostics for the wrong version, or diagnostics of the text typed
//! change by change that differ from those of the same text sent whole
//! (the incremental edits went wrong).
//!
//! `cargo test` types the golden malformed cases (all of them, character by
//! character) and a deterministic sample of the script corpus. The full
//! sweep (every `.script` of `scripts/`, `tests/golden/`, `examples/`, the
//! Studio fixtures as JSON and XML, and the fuzz corpus `fuzz/corpus/compile`
//! when a fuzzing run left one, or `STUDIOFLOW_LSP_CORPUS=dir`) is ignored
//! by default; run it with
//! `cargo test --release --test lsp_robustness -- --ignored`.

#[path = "lsp_support/mod.rs"]
mod lsp_support;

use std::path::{Path, PathBuf};

use lsp_support::Client;
use serde_json::{json, Value};

/// Files up to this size are typed one character per change; larger ones
/// one [`CHUNK`] of characters per change.
const SMALL: usize = 4096;
const CHUNK: usize = 64;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files under `dir` (recursively) whose name ends with one of `exts`,
/// sorted.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if exts.is_empty()
                || exts
                    .iter()
                    .any(|e| path.extension().is_some_and(|x| x == *e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A file's text as an editor would hold it (invalid UTF-8 replaced).
fn text_of(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

/// What went wrong, for the report.
struct Failures(Vec<String>);

impl Failures {
    fn check(self) {
        assert!(
            self.0.is_empty(),
            "{} failure(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// A document being typed into, and where its end is (UTF-16).
struct Typist<'a> {
    client: &'a mut Client,
    uri: String,
    name: String,
    version: i32,
    text: String,
    line: u32,
    character: u32,
    last: Option<char>,
    last_diagnostics: Value,
}

impl Typist<'_> {
    /// Appends `chunk` at the end with one incremental change, waits for
    /// the diagnostics of the new version.
    fn append(&mut self, chunk: &str, failures: &mut Failures) {
        let at = json!({ "line": self.line, "character": self.character });
        self.version += 1;
        self.client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": self.uri, "version": self.version },
                "contentChanges": [{ "range": { "start": at, "end": at }, "text": chunk }]
            }),
        );
        for c in chunk.chars() {
            match c {
                // `\r\n` is one line break: the `\r` already moved the end.
                '\n' if self.last == Some('\r') => {}
                '\n' | '\r' => {
                    self.line += 1;
                    self.character = 0;
                }
                c => self.character += c.len_utf16() as u32,
            }
            self.last = Some(c);
        }
        self.text.push_str(chunk);
        self.await_diagnostics(failures);
    }

    fn await_diagnostics(&mut self, failures: &mut Failures) {
        let published = self.client.diagnostics();
        if published["version"] != self.version || published["uri"] != self.uri.as_str() {
            failures.0.push(format!(
                "{}: diagnostics for version {} of {}, expected {} of {}",
                self.name, published["version"], published["uri"], self.version, self.uri
            ));
        }
        for d in published["diagnostics"].as_array().into_iter().flatten() {
            let message = d["message"].as_str().unwrap_or("");
            if message.starts_with("studioflow could not check") {
                failures.0.push(format!(
                    "{}: checking panicked after {} bytes ({:?}): {message}",
                    self.name,
                    self.text.len(),
                    tail(&self.text)
                ));
            }
        }
        self.last_diagnostics = published["diagnostics"].clone();
    }

    /// Every read-only request, at the end and one character before it:
    /// each must be answered with a result or an error other than
    /// InternalError.
    fn probe(&mut self, failures: &mut Failures) {
        let doc = json!({ "uri": self.uri });
        let end = json!({ "line": self.line, "character": self.character });
        let everything = json!({ "start": { "line": 0, "character": 0 }, "end": end });
        let options = json!({ "tabSize": 2, "insertSpaces": true });
        let mut requests = vec![
            (
                "textDocument/documentSymbol",
                json!({ "textDocument": doc }),
            ),
            ("textDocument/foldingRange", json!({ "textDocument": doc })),
            (
                "textDocument/semanticTokens/full",
                json!({ "textDocument": doc }),
            ),
            (
                "textDocument/formatting",
                json!({ "textDocument": doc, "options": options }),
            ),
            (
                "textDocument/rangeFormatting",
                json!({ "textDocument": doc, "options": options, "range": everything }),
            ),
            (
                "textDocument/codeAction",
                json!({ "textDocument": doc, "range": everything,
                        "context": { "diagnostics": self.last_diagnostics } }),
            ),
        ];
        let mut places = vec![end];
        if self.character > 0 {
            places.push(json!({ "line": self.line, "character": self.character - 1 }));
        }
        for position in places {
            let at = json!({ "textDocument": doc, "position": position });
            for method in [
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/definition",
                "textDocument/prepareRename",
            ] {
                requests.push((method, at.clone()));
            }
            let mut refs = at.clone();
            refs["context"] = json!({ "includeDeclaration": true });
            requests.push(("textDocument/references", refs));
            let mut rename = at;
            rename["newName"] = json!("renamed");
            requests.push(("textDocument/rename", rename));
        }
        for (method, params) in requests {
            if let Err(error) = self.client.request(method, params.clone()) {
                if error["code"] == -32603 {
                    failures.0.push(format!(
                        "{}: {method} {params} after {} bytes ({:?}): InternalError (a panic): {}",
                        self.name,
                        self.text.len(),
                        tail(&self.text),
                        error["message"]
                    ));
                }
            }
        }
    }
}

/// The end of a text, for messages.
fn tail(text: &str) -> String {
    let start = text.char_indices().rev().nth(40).map_or(0, |(i, _)| i);
    text[start..].to_string()
}

/// Types `text` into an empty document of `language` named like `path`,
/// `step` characters per change, probing every `probe_every` changes and at
/// the end; then sends the whole text and compares the diagnostics.
fn type_text(
    client: &mut Client,
    path: &Path,
    language: &str,
    text: &str,
    step: usize,
    probe_every: usize,
    failures: &mut Failures,
) {
    let uri = format!("file://{}", path.display());
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": language, "version": 0, "text": "" } }),
    );
    let mut typist = Typist {
        client,
        uri: uri.clone(),
        name,
        version: 0,
        text: String::new(),
        line: 0,
        character: 0,
        last: None,
        last_diagnostics: json!([]),
    };
    typist.await_diagnostics(failures);
    let chars: Vec<char> = text.chars().collect();
    for (n, chunk) in chars.chunks(step).enumerate() {
        let chunk: String = chunk.iter().collect();
        typist.append(&chunk, failures);
        if (n + 1) % probe_every == 0 {
            typist.probe(failures);
        }
    }
    typist.probe(failures);
    // The same text sent whole: the same diagnostics.
    let typed = typist.last_diagnostics.clone();
    let version = typist.version + 1;
    let whole = typist.client.change(&uri, version, text);
    if whole["diagnostics"] != typed {
        failures.0.push(format!(
            "{}: typed change by change, the diagnostics differ from the whole text's:\n  typed: {typed}\n  whole: {}",
            typist.name, whole["diagnostics"]
        ));
    }
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    let closed = client.diagnostics();
    assert_eq!(closed["diagnostics"], json!([]), "closing clears: {closed}");
}

/// Types each file: small ones a character per change, larger ones
/// [`CHUNK`] characters per change.
fn type_files(paths: &[PathBuf], probe_every: usize) {
    let mut client = Client::new();
    let mut failures = Failures(Vec::new());
    for path in paths {
        let text = text_of(path);
        let language = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => "json",
            Some("xml") => "xml",
            _ => "studioflow",
        };
        let step = if text.len() <= SMALL { 1 } else { CHUNK };
        type_text(
            &mut client,
            path,
            language,
            &text,
            step,
            probe_every,
            &mut failures,
        );
    }
    client.stop().expect("the server ends cleanly");
    failures.check();
}

fn malformed() -> Vec<PathBuf> {
    files(&root().join("tests/golden/malformed"), &["script"])
}

/// Every `.script` of the repository but the malformed cases, and the
/// Studio fixtures.
fn corpus() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for dir in ["scripts", "tests/golden", "examples"] {
        paths.extend(
            files(&root().join(dir), &["script"])
                .into_iter()
                .filter(|p| !p.starts_with(root().join("tests/golden/malformed"))),
        );
    }
    paths.extend(files(
        &root().join("tests/fixtures/studio"),
        &["json", "xml"],
    ));
    paths
}

/// The fuzz corpus: the committed seeds (`fuzz/seeds/compile`: token soup
/// from `fuzz/compile.dict` and script fragments, cut and doubled at random
/// with a fixed seed), then `STUDIOFLOW_LSP_CORPUS` or else what `cargo fuzz
/// run compile` left in `fuzz/corpus/compile` (not in git; often absent).
fn fuzz_corpus() -> Vec<PathBuf> {
    let dir = std::env::var_os("STUDIOFLOW_LSP_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("fuzz/corpus/compile"));
    let mut paths = fuzz_seeds();
    paths.extend(files(&dir, &[]));
    paths
}

fn fuzz_seeds() -> Vec<PathBuf> {
    files(&root().join("fuzz/seeds/compile"), &[])
}

/// The committed fuzz seeds (all under 4 KB), typed one character at a time.
#[test]
fn the_fuzz_seeds_typed_one_character_at_a_time() {
    let seeds = fuzz_seeds();
    assert!(seeds.len() >= 10, "fuzz/seeds/compile: {seeds:?}");
    assert!(seeds
        .iter()
        .all(|p| std::fs::metadata(p).is_ok_and(|m| m.len() as usize <= SMALL)));
    type_files(&seeds, 8);
}

/// Every other malformed case, from the `first`: the cases are typed by two
/// tests, which `cargo test` runs side by side (a debug build checks a few
/// hundred prefixes a second: the parse is most of it).
fn half_of_the_malformed(first: usize) -> Vec<PathBuf> {
    let paths = malformed();
    assert!(paths.len() >= 50, "the golden malformed cases: {paths:?}");
    paths.into_iter().skip(first).step_by(2).collect()
}

#[test]
fn every_golden_malformed_case_typed_one_character_at_a_time_first_half() {
    type_files(&half_of_the_malformed(0), 8);
}

#[test]
fn every_golden_malformed_case_typed_one_character_at_a_time_second_half() {
    type_files(&half_of_the_malformed(1), 8);
}

/// A deterministic sample of the corpus: files up to 4 KB, evenly spaced,
/// about [`SAMPLE_BYTES`] in all.
#[test]
fn a_sample_of_the_corpus_typed_one_character_at_a_time() {
    let small: Vec<PathBuf> = corpus()
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() as usize <= SMALL))
        .collect();
    let total: u64 = small
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let every = (total as usize / SAMPLE_BYTES).max(1);
    let paths: Vec<PathBuf> = small.into_iter().step_by(every).collect();
    assert!(paths.len() >= 5, "{paths:?}");
    type_files(&paths, 16);
}

/// How much of the corpus `cargo test` types.
const SAMPLE_BYTES: usize = 3000;

/// The full sweep: every file of the corpus and the fuzz corpus (see the
/// file's doc comment). Minutes in a debug build; with `--release`, 29 s
/// with the erasing sweep beside it (2 vCPUs, no fuzz corpus, 2026-12-06).
#[test]
#[ignore = "the full sweep: cargo test --release --test lsp_robustness -- --ignored"]
fn the_whole_corpus_and_the_fuzz_corpus_typed() {
    let mut paths = corpus();
    paths.extend(fuzz_corpus());
    type_files(&paths, 8);
}

/// Editors also delete: every fourth malformed case (those with a line
/// break of each kind among them) erased from the end one character at a
/// time (each deletion a range in UTF-16, `\r\n` as one line break), the
/// server answering every version; then the text inserted whole into the
/// empty document gives a fresh open's diagnostics.
#[test]
fn malformed_cases_erased_one_character_at_a_time() {
    let paths: Vec<PathBuf> = malformed()
        .into_iter()
        .enumerate()
        .filter(|(i, p)| i % 4 == 0 || p.to_string_lossy().contains("line_endings"))
        .map(|(_, p)| p)
        .collect();
    erase_files(&paths);
}

/// [`malformed_cases_erased_one_character_at_a_time`] for all of them.
#[test]
#[ignore = "the full sweep: cargo test --release --test lsp_robustness -- --ignored"]
fn every_malformed_case_erased_one_character_at_a_time() {
    erase_files(&malformed());
}

fn erase_files(paths: &[PathBuf]) {
    let mut client = Client::new();
    let mut failures = Failures(Vec::new());
    for path in paths {
        let text = text_of(path);
        let uri = format!("file://{}", path.display());
        client.open(&uri, &text);
        let mut version = 1;
        let mut rest = text.clone();
        while let Some(c) = rest.chars().last() {
            // The position of the last character's start, and of the end.
            // (`\r\n` goes as one: the protocol has no place between them.)
            let end = utf16_end(&rest);
            if rest.ends_with("\r\n") {
                rest.pop();
            }
            rest.pop();
            let start = utf16_end(&rest);
            version += 1;
            client.notify(
                "textDocument/didChange",
                json!({
                    "textDocument": { "uri": uri, "version": version },
                    "contentChanges": [{ "range": { "start": start, "end": end }, "text": "" }]
                }),
            );
            let published = client.diagnostics();
            if published["version"] != version {
                failures.0.push(format!(
                    "{}: erasing {c:?}: diagnostics for version {}, expected {version}",
                    path.display(),
                    published["version"]
                ));
            }
            if published["diagnostics"]
                .to_string()
                .contains("studioflow could not check")
            {
                failures.0.push(format!(
                    "{}: checking panicked with {} bytes left",
                    path.display(),
                    rest.len()
                ));
            }
        }
        // Empty now: the server's text is empty too, so a whole new text
        // inserted at 0:0 gives the same diagnostics as opening it.
        version += 1;
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "text": text }]
            }),
        );
        let again = client.diagnostics();
        client.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
        client.diagnostics();
        let opened = client.open(&uri, &text);
        if again["diagnostics"] != opened["diagnostics"] {
            failures.0.push(format!(
                "{}: after erasing everything and inserting the text again, the diagnostics differ from a fresh open:\n  {}\n  {}",
                path.display(),
                again["diagnostics"],
                opened["diagnostics"]
            ));
        }
        client.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
        client.diagnostics();
    }
    client.stop().expect("the server ends cleanly");
    failures.check();
}

/// The position of the end of `text` in UTF-16 (`\n`, `\r\n`, `\r` end lines).
fn utf16_end(text: &str) -> Value {
    let (mut line, mut character, mut last) = (0u32, 0u32, None);
    for c in text.chars() {
        match c {
            '\n' if last == Some('\r') => {}
            '\n' | '\r' => {
                line += 1;
                character = 0;
            }
            c => character += c.len_utf16() as u32,
        }
        last = Some(c);
    }
    json!({ "line": line, "character": character })
}
