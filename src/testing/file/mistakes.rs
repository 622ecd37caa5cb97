//! Every mistake of a test file in one pass: each is placed at its line and
//! column and recorded, and the load goes on to find the others (up to
//! [`MAX_ERRORS`], then a count); unknown keys are found on the parsed
//! document, with a "did you mean".

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::loader::Loader;
use super::schema::{CASE_KEYS, EXPECT_KEYS, FILE_KEYS, HTTP_KEYS, MOCK_KEYS, RESULT_KEYS};
use crate::runtime::FixedClock;
use crate::testing::error::{closest, Problem, TestFileError};

/// At most this many mistakes of one test file are reported (then a count).
pub(super) const MAX_ERRORS: usize = 100;

impl Loader<'_> {
    pub(super) fn error(&self, span: Range<usize>, problem: Problem) -> TestFileError {
        let (line, column) = self.lines.line_col(&self.text, span.start);
        TestFileError {
            path: self.path.to_owned(),
            line,
            column,
            problem: Box::new(problem),
        }
    }

    /// Records a mistake; the load goes on to find the others.
    pub(super) fn push(&self, error: TestFileError) {
        let mut errors = self.errors.borrow_mut();
        if errors.len() < MAX_ERRORS {
            errors.push(error);
        } else {
            self.dropped.set(self.dropped.get() + 1);
        }
    }

    /// `Some(value)`, or records the error and gives `None`.
    pub(super) fn ok<T>(&self, result: Result<T, TestFileError>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// A serde error of a part of the file, unless it is the "missing
    /// field" of a key already reported as misspelt.
    pub(super) fn push_toml_error(&self, e: &toml::de::Error) {
        let message = e.message();
        let repeated = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .is_some_and(|field| self.misspelt.borrow().iter().any(|m| m == field));
        if !repeated {
            self.push(self.toml_error(e));
        }
    }

    pub(super) fn toml_error(&self, e: &toml::de::Error) -> TestFileError {
        self.error(
            e.span().unwrap_or(0..0),
            Problem::Toml(e.message().trim().to_string()),
        )
    }

    pub(super) fn line(&self, span: &Range<usize>) -> usize {
        self.lines.line_col(&self.text, span.start).0
    }

    /// The collected mistakes, in file order (file-wide ones first).
    pub(super) fn take_errors(&self) -> Vec<TestFileError> {
        let mut errors = self.errors.take();
        errors.sort_by_key(|e| (e.line, e.column));
        let dropped = self.dropped.get();
        if dropped > 0 {
            errors.push(self.error(0..0, Problem::TooManyErrors(dropped)));
            if let Some(last) = errors.last_mut() {
                last.line = 0;
            }
        }
        errors
    }

    /// `now`: an RFC 3339 string or a TOML offset datetime.
    pub(super) fn clock(&self, value: &Spanned<toml::Value>) -> Result<FixedClock, TestFileError> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => other.to_string(),
        };
        FixedClock::parse(&text).map_err(|e| {
            self.error(
                value.span(),
                Problem::BadTime {
                    text,
                    reason: e.to_string(),
                },
            )
        })
    }

    /// Reports every key of `table` that is not one of `known`, and walks
    /// into the tables below that have keys of their own.
    pub(super) fn unknown_keys(&self, table: &DeTable<'_>, known: &[&str]) {
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            if !known.contains(&name) {
                let close = closest(name, known.iter().copied());
                if let Some(close) = &close {
                    self.misspelt.borrow_mut().push(close.clone());
                }
                let suggestion = close
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                let expected: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                self.push(self.error(
                    key.span(),
                    Problem::Toml(format!(
                        "unknown field `{name}`, expected one of {}{suggestion}",
                        expected.join(", ")
                    )),
                ));
                continue;
            }
            let below = match (known, name) {
                (k, "case") if std::ptr::eq(k, FILE_KEYS) => Some(CASE_KEYS),
                (k, "expect") if std::ptr::eq(k, CASE_KEYS) => Some(EXPECT_KEYS),
                (k, "mock") if std::ptr::eq(k, CASE_KEYS) => Some(MOCK_KEYS),
                (k, "http") if std::ptr::eq(k, CASE_KEYS) => Some(HTTP_KEYS),
                (k, "results") if std::ptr::eq(k, MOCK_KEYS) => Some(RESULT_KEYS),
                _ => None,
            };
            if let Some(below) = below {
                self.unknown_keys_in(value.get_ref(), below);
            }
        }
    }

    /// [`Loader::unknown_keys`] of a table, or of each table of an array.
    fn unknown_keys_in(&self, value: &DeValue<'_>, known: &[&str]) {
        match value {
            DeValue::Table(table) => self.unknown_keys(table, known),
            DeValue::Array(items) => {
                for item in items.iter() {
                    if let DeValue::Table(table) = item.get_ref() {
                        self.unknown_keys(table, known);
                    }
                }
            }
            _ => {}
        }
    }
}
