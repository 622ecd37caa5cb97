//! `[case.expect]`: what must hold after a case's run, and the mismatches
//! shown when it does not.

use std::fmt;

use super::error::var_hint;
use crate::runtime::{Outcome, Run};
use crate::Script;

/// The expectations of one case; every key present must hold.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expect {
    pub outcome: Option<Outcome>,
    pub end: Option<String>,
    pub error: Option<String>,
    pub path: Option<Vec<ActionRef>>,
    pub visits: Option<Vec<ActionRef>>,
    pub not_visits: Option<Vec<ActionRef>>,
    pub steps: Option<u64>,
    pub variables: Option<Vec<(String, VarExpect)>>,
    pub warnings: Option<Vec<String>>,
    /// `return`: what the script's own Return returned.
    pub returned: Option<VarExpect>,
    /// `heard`: substrings of the prompts played, in order.
    pub heard: Option<Vec<String>>,
    /// `unused_events`: the events the run is expected to leave unused.
    pub unused_events: Option<Vec<crate::Event>>,
}

/// An action an expectation names, checked at load time.
#[derive(Debug, Clone)]
pub(crate) struct ActionRef {
    /// As written and shown: `id`, or `script:id` inside a subscript.
    pub name: String,
    /// Its unit in [`Script::units`] (0: the tested script).
    pub unit: usize,
    /// Its index in that unit's flow.
    pub action: usize,
}

impl AsRef<str> for ActionRef {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

/// What `expect.variables` says of one variable.
#[derive(Debug, Clone)]
pub(crate) enum VarExpect {
    /// Equal (numbers numerically, `""` for null).
    Equals(serde_json::Value),
    /// `{ contains = "..." }`: its text contains this.
    Contains(String),
    /// `{ matches = "regex" }`: its text matches (anywhere; anchor with `^...$`).
    Matches(regex::Regex),
}

/// `matches` patterns longer than this are refused.
pub(crate) const MAX_PATTERN_CHARS: usize = 1_000;
/// The compiled size bound of a `matches` pattern (the `regex` crate's
/// `size_limit` and `dfa_size_limit`).
pub(crate) const MAX_PATTERN_BYTES: usize = 1 << 20;

impl VarExpect {
    /// A `matches` pattern, bounded in length and compiled size.
    pub(crate) fn pattern(pattern: &str) -> Result<VarExpect, String> {
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(format!(
                "`matches` pattern of {} characters; at most {MAX_PATTERN_CHARS}",
                pattern.chars().count()
            ));
        }
        regex::RegexBuilder::new(pattern)
            .size_limit(MAX_PATTERN_BYTES)
            .dfa_size_limit(MAX_PATTERN_BYTES)
            .nest_limit(64)
            .build()
            .map(VarExpect::Matches)
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => {
                    format!("`matches` pattern compiles to more than {limit} bytes: simplify it")
                }
                // The regex crate's message spans lines (the pattern, a caret, the reason).
                e => {
                    let text = e.to_string();
                    let reason = text.lines().last().unwrap_or_default().trim();
                    let reason = reason.strip_prefix("error: ").unwrap_or(reason);
                    format!("`matches` is not a regular expression: {reason}")
                }
            })
    }

    /// Whether the variable's value (`None`: no such variable) holds.
    fn holds(&self, actual: Option<&crate::runtime::Value>) -> bool {
        match self {
            VarExpect::Equals(expected) => json_matches(
                expected,
                &actual.map_or(serde_json::Value::Null, |v| v.to_json()),
            ),
            VarExpect::Contains(part) => {
                actual.is_some_and(|v| v.to_text().contains(part.as_str()))
            }
            VarExpect::Matches(regex) => actual.is_some_and(|v| regex.is_match(&v.to_text())),
        }
    }
}

/// The step's action as expectations name it: `id`, or `script:id` inside a subscript.
pub(crate) fn step_id(step: &crate::runtime::TraceStep) -> String {
    match &step.script {
        Some(script) => format!("{script}:{}", step.action),
        None => step.action.to_string(),
    }
}

/// One way a case did not pass.
///
/// ```
/// use studioflow::testing::Mismatch;
/// let m = Mismatch::Expect { key: "steps".into(), expected: "4".into(), actual: "5".into(), diff: None };
/// assert_eq!(m.to_string(), "expect.steps: expected 4, got 5");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Mismatch {
    /// An `expect` key that does not hold.
    Expect {
        /// The key (`outcome`, `variables.Tier`, ...).
        key: String,
        /// What was expected.
        expected: String,
        /// What the run gave.
        actual: String,
        /// A line diff, for values that span lines.
        diff: Option<String>,
    },
    /// The snapshot differs from the run.
    SnapshotDiffers {
        /// The snapshot file.
        path: String,
        /// A unified diff, stored (-) against this run (+).
        diff: String,
    },
    /// There is no snapshot yet.
    SnapshotMissing {
        /// Where it should be.
        path: String,
    },
    /// The snapshot cannot be read, parsed or written.
    SnapshotError {
        /// The snapshot file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The script does not compile with the engine built for this case.
    Compile(String),
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Expect {
                key,
                expected,
                actual,
                diff,
            } => {
                write!(f, "expect.{key}: expected {expected}, got {actual}")?;
                if let Some(diff) = diff {
                    write!(f, "\n{}", diff.trim_end())?;
                }
                Ok(())
            }
            Mismatch::SnapshotDiffers { path, diff } => {
                write!(f, "snapshot {path} differs (- stored, + this run):\n{}", diff.trim_end())
            }
            Mismatch::SnapshotMissing { path } => write!(
                f,
                "snapshot {path} does not exist; run `studioflow test --update` to write it, then review and commit it"
            ),
            Mismatch::SnapshotError { path, message } => write!(f, "snapshot {path}: {message}"),
            Mismatch::Compile(diagnostics) => {
                write!(f, "the script does not compile for this case:\n{diagnostics}")
            }
        }
    }
}

/// The name `expect.outcome` uses for an outcome.
fn list(ids: &[impl AsRef<str>]) -> String {
    format!(
        "[{}]",
        ids.iter()
            .map(|s| format!("{:?}", s.as_ref()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// JSON equality where numbers compare numerically (`5` equals `5.0`) and
/// `""` stands for null (TOML has no null).
pub(crate) fn json_matches(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (expected, actual) {
        (J::String(s), J::Null) if s.is_empty() => true,
        (J::Number(a), J::Number(b)) => a.as_f64() == b.as_f64(),
        (J::Array(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_matches(x, y))
        }
        (J::Object(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| json_matches(v, w)))
        }
        (a, b) => a == b,
    }
}

/// Texts with more lines than this together are not line-diffed (a diff
/// costs up to lines × differences): the first differing line is shown.
const MAX_DIFF_INPUT_LINES: usize = 20_000;

/// A unified line diff of two texts, bounded in size and time.
pub(crate) fn line_diff(old: &str, new: &str) -> String {
    const MAX_LINES: usize = 200;
    let (old_lines, new_lines) = (old.lines().count(), new.lines().count());
    if old_lines + new_lines > MAX_DIFF_INPUT_LINES {
        let first = old
            .lines()
            .zip(new.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(old_lines.min(new_lines));
        let line = |text: &str| short(text.lines().nth(first).unwrap_or("(no line)").to_string());
        return format!(
            "(too large for a line diff: {old_lines} lines stored, {new_lines} in this run; the first difference is at line {}:)\n-{}\n+{}",
            first + 1,
            line(old),
            line(new)
        );
    }
    // A diff that would take long falls back to a coarser (still correct) one.
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(500))
        .diff_lines(old, new);
    let text = diff.unified_diff().context_radius(3).to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text;
    }
    let mut out = lines[..MAX_LINES].join("\n");
    out.push_str(&format!(
        "\n... {} more diff lines",
        lines.len() - MAX_LINES
    ));
    out
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Shortens long text for a one-line message.
fn short(text: String) -> String {
    const MAX: usize = 400;
    if text.len() <= MAX {
        return text;
    }
    let end = crate::diagnostics::floor_char_boundary(&text, MAX);
    format!("{}... ({} bytes)", &text[..end], text.len())
}

impl Expect {
    /// Every mismatch between the run and these expectations.
    pub fn check(&self, run: &Run, script: &Script) -> Vec<Mismatch> {
        let mut out = Vec::new();
        let mut mismatch = |key: &str, expected: String, actual: String| {
            out.push(Mismatch::Expect {
                key: key.to_string(),
                expected: short(expected),
                actual: short(actual),
                diff: None,
            })
        };
        // Steps inside subscripts as `script:action`, as mocks name them.
        let steps = run.trace.as_deref().unwrap_or_default();
        let owned: Vec<String> = steps.iter().map(step_id).collect();
        let executed: Vec<&str> = owned.iter().map(String::as_str).collect();

        let why = || {
            run.error
                .as_ref()
                .map(|e| format!(" (in `{}`: {})", e.action, e.message))
                .unwrap_or_default()
        };
        if let Some(outcome) = self.outcome {
            if run.outcome != outcome {
                mismatch(
                    "outcome",
                    outcome.name().into(),
                    format!("{}{}", run.outcome.name(), why()),
                );
            }
        } else if run.outcome == Outcome::Waiting {
            // A contact left waiting fails unless the case expects it.
            let what = run.waiting.as_ref().map_or(String::new(), |w| {
                format!(" (action `{}` waits for {})", w.action, w.wait.kind())
            });
            mismatch(
                "outcome",
                "completed (a case whose run ends waiting must give it `events` or expect `outcome = \"waiting\"`)".into(),
                format!("waiting{what}"),
            );
        } else if self.error.is_none() && run.outcome != Outcome::Completed {
            // A run that stops (an error, a limit) fails unless the case expects it.
            mismatch(
                "outcome",
                "completed (a case whose run stops must expect it: `outcome = \"...\"` or `error = \"...\"`)".into(),
                format!("{}{}", run.outcome.name(), why()),
            );
        }
        if let Some(end) = &self.end {
            // As `--json` says it: the last executed action, or for a stopped
            // run the action its error names (`script:action` inside a subscript).
            let actual = run.end.as_deref();
            if actual != Some(end.as_str()) {
                mismatch(
                    "end",
                    format!("{end:?}"),
                    actual.map_or("no action".into(), |e| format!("{e:?}")),
                );
            }
        }
        if let Some(error) = &self.error {
            match &run.error {
                Some(e) if e.message.contains(error.as_str()) => {}
                Some(e) => mismatch(
                    "error",
                    format!("a message containing {error:?}"),
                    format!("{:?}", e.message),
                ),
                None => mismatch(
                    "error",
                    format!("a message containing {error:?}"),
                    "no error (the run completed)".into(),
                ),
            }
        }
        // The trace keeps the first and last steps of a long run; the
        // run's counts say whether an action ran at all, however long the run.
        let omitted = run.trace_omitted;
        let ran = |r: &ActionRef| match &run.counts {
            Some(counts) => counts.action_hits(r.unit, r.action) > 0,
            None => executed.contains(&r.name.as_str()),
        };
        let shown_path = || {
            let mut text = list(&executed);
            if omitted > 0 {
                text += &format!(" (the trace leaves out {omitted} steps in the middle)");
            }
            text
        };
        if let Some(path) = &self.path {
            if omitted > 0 {
                mismatch(
                    "path",
                    format!("{} ({} steps)", list(path), path.len()),
                    format!(
                        "a run of {} steps, too long to compare step by step: its trace keeps the first {} and the last {}; expect `steps`, `visits`, `not_visits` or `end` instead",
                        run.steps,
                        crate::runtime::TRACE_KEEP_FIRST,
                        crate::runtime::TRACE_KEEP_LAST
                    ),
                );
            } else if !executed
                .iter()
                .copied()
                .eq(path.iter().map(|p| p.name.as_str()))
            {
                mismatch("path", list(path), list(&executed));
            }
        }
        if let Some(visits) = &self.visits {
            let missing: Vec<&ActionRef> = visits.iter().filter(|v| !ran(v)).collect();
            if !missing.is_empty() {
                mismatch(
                    "visits",
                    format!("{} executed", list(&missing)),
                    format!("a run that never executed them; path {}", shown_path()),
                );
            }
        }
        if let Some(not_visits) = &self.not_visits {
            let hit: Vec<&ActionRef> = not_visits.iter().filter(|v| ran(v)).collect();
            if !hit.is_empty() {
                mismatch(
                    "not_visits",
                    format!("{} never executed", list(&hit)),
                    format!("path {}", shown_path()),
                );
            }
        }
        if let Some(steps) = self.steps {
            if run.steps != steps {
                mismatch("steps", steps.to_string(), run.steps.to_string());
            }
        }
        if let Some(warnings) = &self.warnings {
            // Test files pin warnings as `studioflow check` prints them.
            let shown = script.warnings().clone().with_input_hint(var_hint);
            let rendered: Vec<String> = shown
                .items()
                .iter()
                .map(|d| {
                    let text = shown.render(d);
                    text.lines().next().unwrap_or_default().to_string()
                })
                .collect();
            if warnings.is_empty() && !rendered.is_empty() {
                mismatch("warnings", "no warnings".into(), rendered.join("; "));
            }
            for w in warnings {
                if !rendered.iter().any(|r| r.contains(w.as_str())) {
                    let actual = if rendered.is_empty() {
                        "no warnings".into()
                    } else {
                        rendered.join("; ")
                    };
                    mismatch("warnings", format!("a warning containing {w:?}"), actual);
                }
            }
        }
        if let Some(variables) = &self.variables {
            for (name, expected) in variables {
                let value = run.variables.get(name);
                if expected.holds(value) {
                    continue;
                }
                let actual = value.map_or(serde_json::Value::Null, |v| v.to_json());
                let shown_actual = if value.is_some() {
                    short(serde_json::to_string(&actual).unwrap_or_default())
                } else {
                    "no such variable".into()
                };
                let (expected_text, diff) = match expected {
                    VarExpect::Equals(expected) => {
                        let (e, a) = (pretty(expected), pretty(&actual));
                        let diff =
                            (e.contains('\n') || a.contains('\n')).then(|| line_diff(&e, &a));
                        (serde_json::to_string(expected).unwrap_or_default(), diff)
                    }
                    VarExpect::Contains(part) => (format!("text containing {part:?}"), None),
                    VarExpect::Matches(regex) => {
                        (format!("text matching /{}/", regex.as_str()), None)
                    }
                };
                out.push(Mismatch::Expect {
                    key: format!("variables.{name}"),
                    expected: short(expected_text),
                    actual: shown_actual,
                    diff,
                });
            }
        }
        if let Some(expected) = &self.returned {
            let value = run.returned.as_ref();
            if !expected.holds(value) {
                let expected_text = match expected {
                    VarExpect::Equals(expected) => {
                        serde_json::to_string(expected).unwrap_or_default()
                    }
                    VarExpect::Contains(part) => format!("text containing {part:?}"),
                    VarExpect::Matches(regex) => format!("text matching /{}/", regex.as_str()),
                };
                let actual = match value {
                    Some(v) => serde_json::to_string(&v.to_json()).unwrap_or_default(),
                    None => format!(
                        "no return (the run ended at {})",
                        run.end
                            .as_deref()
                            .map_or("no action".into(), |e| format!("`{e}`"))
                    ),
                };
                out.push(Mismatch::Expect {
                    key: "return".into(),
                    expected: short(expected_text),
                    actual: short(actual),
                    diff: None,
                });
            }
        }
        out
    }
}

impl Expect {
    /// The contact's expectations: `heard` (each a substring of a prompt
    /// played, in order) and the events left unused (none, unless
    /// `unused_events` lists them).
    pub(crate) fn check_contact(&self, run: &Run, unused: &[crate::Event]) -> Vec<Mismatch> {
        let mut out = Vec::new();
        if let Some(heard) = &self.heard {
            let prompts: Vec<&str> = run
                .transcript
                .iter()
                .filter(|e| e.kind == crate::TranscriptKind::Prompt)
                .map(|e| &*e.text)
                .collect();
            let mut next = 0;
            let mut missing = None;
            for (i, want) in heard.iter().enumerate() {
                match prompts[next..]
                    .iter()
                    .position(|p| p.contains(want.as_str()))
                {
                    Some(at) => next += at + 1,
                    None => {
                        missing = Some(i);
                        break;
                    }
                }
            }
            if let Some(i) = missing {
                out.push(Mismatch::Expect {
                    key: "heard".into(),
                    expected: short(format!(
                        "prompts containing {} in this order (missing {:?})",
                        list(heard),
                        heard[i]
                    )),
                    actual: short(list(&prompts)),
                    diff: None,
                });
            }
        }
        let unused_text: Vec<String> = unused.iter().map(ToString::to_string).collect();
        match &self.unused_events {
            Some(expected) => {
                let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
                if expected != unused_text {
                    // A long list of events is shown cut.
                    out.push(Mismatch::Expect {
                        key: "unused_events".into(),
                        expected: short(list(&expected)),
                        actual: short(list(&unused_text)),
                        diff: None,
                    });
                }
            }
            None if !unused.is_empty() => out.push(Mismatch::Expect {
                key: "events".into(),
                expected: "every event used (or `expect.unused_events` listing those left)".into(),
                actual: format!(
                    "the run ended ({}) with {} unused",
                    run.outcome,
                    short(list(&unused_text))
                ),
                diff: None,
            }),
            None => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_numerically_and_empty_means_null() {
        assert!(json_matches(&json!(5), &json!(5.0)));
        assert!(json_matches(
            &json!({"a": [1, "x"]}),
            &json!({"a": [1.0, "x"]})
        ));
        assert!(json_matches(&json!(""), &json!(null)));
        assert!(!json_matches(&json!("5"), &json!(5)));
        assert!(!json_matches(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_matches(&json!([1]), &json!([1, 2])));
    }

    #[test]
    fn huge_diffs_are_not_computed() {
        let old: String = (0..1_000_000).map(|i| format!("line {i}\n")).collect();
        let started = std::time::Instant::now();
        let diff = line_diff(&old, "line 0\nchanged\n");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            diff.starts_with("(too large for a line diff: 1000000 lines stored, 2 in this run; the first difference is at line 2:)\n-line 1\n+changed"),
            "{diff}"
        );
    }

    #[test]
    fn long_diffs_are_cut() {
        let old: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let diff = line_diff(&old, "");
        assert!(diff.lines().count() <= 201);
        assert!(diff.ends_with("more diff lines"));
    }
}
