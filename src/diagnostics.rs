//! Diagnostics: errors and warnings with source spans, printed the same way
//! whether they come from the depth pre-scan, the parser or the checker.

use std::fmt;
use std::sync::Arc;

/// A byte range in a script's source text.
///
/// ```
/// let span = studioflow::Span::new(3, 7);
/// assert_eq!(span.len(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (bytes).
    ///
    /// ```
    /// assert_eq!(studioflow::Span::new(2, 5).end, 5);
    /// ```
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(studioflow::Span::new(2, 5).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    /// True for an empty span.
    ///
    /// ```
    /// assert!(studioflow::Span::new(4, 4).is_empty());
    /// ```
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "ok.script").unwrap();
    /// assert!(s.warnings().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How serious a diagnostic is.
///
/// ```
/// assert_eq!(studioflow::Severity::Error.to_string(), "error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The script cannot run.
    Error,
    /// The script runs, but probably not as meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One message about a place in a script.
///
/// ```
/// use studioflow::{Diagnostic, Span};
/// let d = Diagnostic::error(Span::new(0, 1), "boom");
/// assert!(d.is_error());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub span: Span,
    /// What, in one line.
    pub message: String,
}

impl Diagnostic {
    /// An error at `span`.
    ///
    /// ```
    /// let d = studioflow::Diagnostic::error(studioflow::Span::new(0, 1), "bad");
    /// assert_eq!(d.severity, studioflow::Severity::Error);
    /// ```
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
        }
    }
    /// A warning at `span`.
    ///
    /// ```
    /// assert!(!studioflow::Diagnostic::warning(studioflow::Span::default(), "hm").is_error());
    /// ```
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
        }
    }
    /// True when this is an error.
    ///
    /// ```
    /// assert!(studioflow::Diagnostic::error(studioflow::Span::default(), "x").is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A named source text, kept so diagnostics can show line, column and the line itself.
///
/// ```
/// let src = studioflow::SourceFile::new("a.script", "x\ny");
/// assert_eq!(src.line_col(2), (2, 1));
/// ```
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: Arc<str>,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    /// Wraps a source text under a display name (usually its path).
    ///
    /// ```
    /// let src = studioflow::SourceFile::new("a.script", "start: Begin");
    /// assert_eq!(src.text().len(), 12);
    /// ```
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: Arc::from(name.into()),
            text: Arc::from(text),
            line_starts: Arc::from(line_starts),
        }
    }
    /// The display name.
    ///
    /// ```
    /// assert_eq!(studioflow::SourceFile::new("a.script", "").name(), "a.script");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The text.
    ///
    /// ```
    /// assert_eq!(studioflow::SourceFile::new("a", "xyz").text(), "xyz");
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }
    /// 1-based line and column (in characters) of a byte offset.
    ///
    /// ```
    /// let src = studioflow::SourceFile::new("a", "ab\ncd");
    /// assert_eq!(src.line_col(4), (2, 2));
    /// ```
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line + 1, col + 1)
    }
    /// The text of a 1-based line, without its line break.
    ///
    /// ```
    /// let src = studioflow::SourceFile::new("a", "ab\ncd");
    /// assert_eq!(src.line_text(2), "cd");
    /// assert_eq!(src.line_text(9), "");
    /// ```
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// The diagnostics of one compile, with the source they point into.
///
/// Display renders each as `file:line:col: error: message`, then the source
/// line and a caret under the column.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let err = engine.compile("start: Begin { Default -> nowhere }", "bad.script").unwrap_err();
/// assert!(err.has_errors());
/// assert!(err.to_string().starts_with("bad.script:1:27: error:"));
/// ```
#[derive(Debug, Clone)]
pub struct Diagnostics {
    source: SourceFile,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Diagnostics about `source`.
    ///
    /// ```
    /// use studioflow::{Diagnostic, Diagnostics, SourceFile, Span};
    /// let d = Diagnostics::new(SourceFile::new("a", "x y"), vec![Diagnostic::warning(Span::new(2, 3), "w")]);
    /// assert!(!d.has_errors() && d.items().len() == 1);
    /// ```
    pub fn new(source: SourceFile, mut items: Vec<Diagnostic>) -> Self {
        items.sort_by_key(|d| (d.span.start, d.severity));
        Diagnostics { source, items }
    }
    /// All diagnostics, in source order.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("a: Nope", "a.script").unwrap_err();
    /// assert_eq!(e.items().len(), 1); // the unknown type (no Begin is not reported on top)
    /// ```
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }
    /// The source they point into.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("a: Nope", "a.script").unwrap_err();
    /// assert_eq!(e.source().name(), "a.script");
    /// ```
    pub fn source(&self) -> &SourceFile {
        &self.source
    }
    /// True when any is an error.
    ///
    /// ```
    /// assert!(studioflow::Engine::new().compile("", "e.script").unwrap_err().has_errors());
    /// ```
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
    /// Only the errors.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("a: Nope", "a.script").unwrap_err();
    /// assert!(e.errors().all(|d| d.is_error()));
    /// ```
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.is_error())
    }
    /// Only the warnings.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin\nlost: End", "w.script").unwrap();
    /// assert_eq!(s.warnings().warnings().count(), 1);
    /// ```
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }
    /// True when there are none.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("", "e").unwrap_err();
    /// assert!(!e.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Renders one diagnostic in the `file:line:col: severity: message` form with its source line and caret.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("start: Begin { Default -> x }", "r.script").unwrap_err();
    /// let text = e.render(&e.items()[0]);
    /// assert!(text.starts_with("r.script:1:27: error: branch target `x` does not exist"));
    /// assert!(text.ends_with("^"));
    /// ```
    pub fn render(&self, d: &Diagnostic) -> String {
        let (line, col) = self.source.line_col(d.span.start);
        let text = self.source.line_text(line);
        // Control characters would garble a terminal; show them as spaces.
        let shown: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let caret_pad = " ".repeat(col.saturating_sub(1));
        format!(
            "{}:{}:{}: {}: {}\n  {}\n  {}^",
            self.source.name(),
            line,
            col,
            d.severity,
            d.message,
            shown,
            caret_pad
        )
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&self.render(d))?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
