//! What can be wrong with a test file: every error names the file, the line
//! and column (when there is one) and what is wrong.

use std::path::PathBuf;

use thiserror::Error;

use crate::diagnostics::floor_char_boundary;

/// A test file that cannot be run (bad input: the CLI's exit code 2).
///
/// ```
/// let runner = studioflow::testing::TestRunner::new();
/// let error = runner.load("no/such/flow.test.toml").unwrap_err();
/// assert!(error.to_string().starts_with("no/such/flow.test.toml: cannot read"));
/// ```
#[derive(Debug, Error)]
#[error("{}{}: {problem}", path.display(), location(*line, *column))]
pub struct TestFileError {
    /// The test file.
    pub path: PathBuf,
    /// 1-based line in the test file (0 when the problem has no place in it).
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong.
    pub problem: Box<Problem>,
}

fn location(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}:{column}")
    }
}

/// What is wrong with a test file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Problem {
    /// The file cannot be read.
    #[error("{0}")]
    Read(String),
    /// Not TOML, an unknown key, a value of the wrong type.
    #[error("{0}")]
    Toml(String),
    /// The file name does not say which script it tests.
    #[error("cannot tell which script this file tests: name it NAME.test.toml beside NAME.script, or set `script = \"path\"`")]
    NoScript,
    /// The script (or tenant) file named by the test file cannot be read.
    #[error("`{key}` names {path}, which cannot be read: {reason}")]
    MissingFile {
        /// `script` or `tenant`.
        key: &'static str,
        /// The path as resolved.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// `script` or `tenant` leads outside the project root.
    #[error("`{key}` names {path}, which is outside the project root {root} (the folder of the nearest studioflow.toml, else the test file's folder): a test file reads files of its project only, as RunSub does")]
    OutsideRoot {
        /// `script` or `tenant`.
        key: &'static str,
        /// The path.
        path: String,
        /// The project root.
        root: String,
    },
    /// `script` names a file that is not a `.script` file.
    #[error("`script` names {0:?}, which is not a .script file (nor a Studio .json or .xml file): name the script the file tests (its content is not read)")]
    NotAScript(String),
    /// Without `script =`, more than one script of the test file's name.
    #[error("cannot tell which script this file tests: {0} all exist; set `script = \"...\"`")]
    SeveralScripts(String),
    /// A Studio file that cannot be imported.
    #[error("the Studio file {path} cannot be imported: {reason}")]
    StudioFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The tenant file is not a valid tenant.
    #[error("bad tenant file: {0}")]
    Tenant(String),
    /// The script does not compile.
    #[error("the script {script} does not compile:\n{diagnostics}")]
    Compile {
        /// The script path.
        script: String,
        /// Its rendered diagnostics.
        diagnostics: String,
    },
    /// The project manifest is bad.
    #[error("{0}")]
    Manifest(String),
    /// `now` is not an RFC 3339 time.
    #[error("`now` = {text:?} is not an RFC 3339 time ({reason}); e.g. 2026-03-08T06:30:00Z")]
    BadTime {
        /// What was written.
        text: String,
        /// Why it does not parse.
        reason: String,
    },
    /// No `[[case]]` table.
    #[error("the file has no [[case]] table")]
    NoCases,
    /// An empty case name.
    #[error("a case name must not be empty")]
    EmptyName,
    /// Two cases with one name.
    #[error("a second case named {name:?} (the first is on line {first_line}): case names are unique in a file")]
    DuplicateCase {
        /// The name.
        name: String,
        /// Where the first one is.
        first_line: usize,
    },
    /// Two snapshot cases whose names map to one snapshot file.
    #[error("cases {first:?} and {second:?} both store their snapshot in {file}: rename one")]
    SnapshotCollision {
        /// The earlier case.
        first: String,
        /// The later case.
        second: String,
        /// The shared file name.
        file: String,
    },
    /// A snapshot case whose snapshot file cannot be placed safely.
    #[error("{0}")]
    BadSnapshot(String),
    /// An action id the script does not have.
    #[error(
        "{what} names action `{id}`, which the script does not have{}",
        suggest(suggestion)
    )]
    UnknownAction {
        /// Where it is used (`mock`, `expect.path`, ...).
        what: &'static str,
        /// The id written.
        id: String,
        /// The closest existing id.
        suggestion: Option<String>,
    },
    /// A branch an action does not have.
    #[error(
        "action `{action}` ({action_type}) has no branch {branch}; its branches are {known}{}",
        suggest(suggestion)
    )]
    UnknownBranch {
        /// The action id.
        action: String,
        /// Its type.
        action_type: String,
        /// The branch written (quoted label for `case`).
        branch: String,
        /// The branches it has.
        known: String,
        /// The closest one.
        suggestion: Option<String>,
    },
    /// A mock result that cannot be carried out.
    #[error("{0}")]
    BadMock(String),
    /// `script:action` naming a script the tested script never calls.
    #[error(
        "{what} names `{script}:{id}`, but `{script}` is not a subscript this script calls ({known}){}",
        suggest(suggestion)
    )]
    UnknownSubscript {
        /// Where it is used (`mock`).
        what: &'static str,
        /// The script part written.
        script: String,
        /// The action part written.
        id: String,
        /// The subscripts called, as RunSub names them.
        known: String,
        /// The closest subscript name.
        suggestion: Option<String>,
    },
    /// Two mocks for one action in one case.
    #[error("a second mock for action `{0}` in this case: put every result in one `results` list")]
    DuplicateMock(String),
    /// More cases than a test file may hold.
    #[error(
        "the file has {count} cases, over the limit of {max}: split it into several test files"
    )]
    TooManyCases {
        /// How many it has.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More mistakes than are reported.
    #[error("and {0} more mistakes (fix the ones above first)")]
    TooManyErrors(usize),
    /// A `matches` pattern that is not a regular expression.
    #[error("{0}")]
    BadPattern(String),
    /// An unknown `outcome` word.
    #[error("unknown outcome {0:?}; expected completed, stopped, limit or cancelled")]
    UnknownOutcome(String),
    /// An event that is not one (`events = [...]`, `expect.unused_events`).
    #[error("{0}")]
    BadEvent(String),
    /// A `[[case.http]]` reply that cannot be one.
    #[error("[[case.http]]: {0}")]
    BadHttpMock(String),
    /// A variable name that is not one.
    #[error("{0:?} is not a variable name (letters, digits, `_`, `$`; not starting with a digit)")]
    BadVariableName(String),
}

fn suggest(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// How a test file's compile errors and pinned warnings advise declaring a
/// host input: as `studioflow check` prints them (`--var NAME`), for
/// [`crate::Diagnostics::with_input_hint`].
pub(crate) fn var_hint(name: &str) -> String {
    format!("--var {name}")
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// typo: the one "did you mean" rule of the crate
/// ([`crate::diagnostics::did_you_mean`]), so `check` and `test` suggest alike.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    crate::diagnostics::did_you_mean(word, candidates).map(str::to_string)
}

/// Where each line of a text starts, for line and column lookups in
/// logarithmic time (a file with many mistakes is not rescanned per mistake).
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset` in `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, text[start..offset].chars().count() + 1)
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::line_col;

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\ncé\nx";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(
                index.line_col(text, offset),
                line_col(text, offset),
                "{offset}"
            );
        }
        assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_col("ab\ncé\nx", 5), (2, 2));
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("lookpu", ["lookup", "done"]), Some("lookup".into()));
        assert_eq!(closest("zzz", ["lookup", "done"]), None);
    }
}
