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
        f.write_str(self.name())
    }
}

impl Severity {
    /// `"error"` or `"warning"`, as printed and in JSON.
    ///
    /// ```
    /// assert_eq!(studioflow::Severity::Warning.name(), "warning");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! diagnostic_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $severity:ident; )*) => {
        /// What kind of problem a diagnostic reports: a stable, documented
        /// name that editors and CI can match on (the message wording may
        /// change, the code does not). Each code has a fixed severity.
        ///
        /// ```
        /// use studioflow::{DiagnosticCode, Severity};
        /// assert_eq!(DiagnosticCode::UnknownFunction.name(), "unknown-function");
        /// assert_eq!(DiagnosticCode::UnreachableAction.severity(), Severity::Warning);
        /// assert_eq!("unknown-function".parse::<DiagnosticCode>(), Ok(DiagnosticCode::UnknownFunction));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DiagnosticCode {
            $( $(#[$doc])* $variant, )*
        }

        impl DiagnosticCode {
            /// Every code, in documentation order.
            ///
            /// ```
            /// assert!(studioflow::DiagnosticCode::ALL.len() > 20);
            /// ```
            pub const ALL: &'static [DiagnosticCode] = &[$(DiagnosticCode::$variant),*];

            /// The stable kebab-case name (`syntax-error`, `unknown-function`, ...).
            ///
            /// ```
            /// assert_eq!(studioflow::DiagnosticCode::SyntaxError.name(), "syntax-error");
            /// ```
            pub fn name(self) -> &'static str {
                match self { $(DiagnosticCode::$variant => $name,)* }
            }

            /// Error or warning: fixed per code.
            ///
            /// ```
            /// assert!(studioflow::DiagnosticCode::MissingBrace.severity() == studioflow::Severity::Error);
            /// ```
            pub fn severity(self) -> Severity {
                match self { $(DiagnosticCode::$variant => Severity::$severity,)* }
            }
        }
    };
}

diagnostic_codes! {
    // ---- files
    /// A file that cannot be read: missing, not a regular file, over the size limit, not UTF-8.
    UnreadableFile = "unreadable-file", Error;
    /// The project's `studioflow.toml` cannot be read or is invalid.
    InvalidManifest = "invalid-manifest", Error;
    /// `fmt` refused to write its result: it would not parse to the same script.
    FormatRefused = "format-refused", Error;
    // ---- reading and syntax
    /// The script holds nothing but whitespace and comments.
    EmptyScript = "empty-script", Error;
    /// A NUL byte: probably a binary file.
    BinaryInput = "binary-input", Error;
    /// The text does not follow the grammar ("expected ...").
    SyntaxError = "syntax-error", Error;
    /// A `{` or `}` is missing: an action body or a `{expression}` in a string left open.
    MissingBrace = "missing-brace", Error;
    /// A string literal has no closing quote.
    UnterminatedString = "unterminated-string", Error;
    /// A backslash escape other than `\"`, `\\`, `\n`, `\t`.
    UnknownEscape = "unknown-escape", Error;
    /// A lone `}` in a string template (write `}}`).
    LoneBrace = "lone-brace", Error;
    /// Brackets, strings or operator chains nest deeper than the parser allows.
    NestingTooDeep = "nesting-too-deep", Error;
    /// `a < b < c`: comparisons do not chain.
    ChainedComparison = "chained-comparison", Error;
    /// A number literal too large to be represented (it would be infinity).
    NumberOutOfRange = "number-out-of-range", Error;
    /// A string literal longer than the engine's string limit.
    StringTooLong = "string-too-long", Error;
    // ---- structure
    /// `script "..." type T` names an unknown type.
    UnknownScriptType = "unknown-script-type", Error;
    /// Two actions with the same id.
    DuplicateActionId = "duplicate-action-id", Error;
    /// No `Begin` action.
    NoBegin = "no-begin", Error;
    /// More than one `Begin` action.
    SecondBegin = "second-begin", Error;
    /// An action type no registry knows.
    UnknownActionType = "unknown-action-type", Error;
    /// An action type not allowed in the header's script type.
    UnsupportedActionType = "unsupported-action-type", Error;
    // ---- properties
    /// A property the action type does not have.
    UnknownProperty = "unknown-property", Error;
    /// A property written twice.
    DuplicateProperty = "duplicate-property", Error;
    /// A required property is not written.
    MissingProperty = "missing-property", Error;
    /// A property value of the wrong shape (an expression where a name is needed, ...).
    InvalidPropertyValue = "invalid-property-value", Error;
    // ---- branches
    /// A branch the action type does not have.
    UnknownBranch = "unknown-branch", Error;
    /// A branch written twice.
    DuplicateBranch = "duplicate-branch", Error;
    /// A branch whose target action does not exist.
    MissingTarget = "missing-target", Error;
    /// A branch on an action that ends the script.
    BranchOnTerminal = "branch-on-terminal", Error;
    /// A `Case` branch without a label, or a label on another branch.
    InvalidCaseLabel = "invalid-case-label", Error;
    // ---- expressions
    /// A function no registry knows.
    UnknownFunction = "unknown-function", Error;
    /// A function called with too few or too many arguments.
    WrongArgumentCount = "wrong-argument-count", Error;
    /// A list literal nested deeper than values may be.
    ValueTooDeep = "value-too-deep", Error;
    // ---- subscripts
    /// A RunSub's ScriptName the resolver cannot read (not found, outside the project root, no resolver).
    UnresolvedSubscript = "unresolved-subscript", Error;
    /// A subscript of another script type than its caller.
    SubscriptTypeMismatch = "subscript-type-mismatch", Error;
    /// A RunSub passing more than 9 parameters, or not as many as the subscript's Begin declares.
    WrongParameterCount = "wrong-parameter-count", Error;
    // ---- Snippet code
    /// A Snippet statement Studio has but studioflow does not run (`WHILE`, `USES`).
    UnsupportedStatement = "unsupported-statement", Error;
    /// A Snippet FUNCTION or parameter declared twice.
    DuplicateDeclaration = "duplicate-declaration", Error;
    /// A Snippet FUNCTION named like a built-in function.
    ReservedName = "reserved-name", Error;
    /// Snippet code assigns a member that cannot be assigned (`$value`, `__type`).
    ReadOnlyMember = "read-only-member", Error;
    /// A `#"..."` datetime literal that is not a date and time.
    InvalidDatetime = "invalid-datetime", Error;
    // ---- contacts
    /// A second `OnRelease` event action: a script has at most one.
    SecondOnRelease = "second-onrelease", Error;
    /// A media action (Play, Menu, Capture, Music) reachable from `OnRelease`: the contact is gone.
    MediaAfterRelease = "media-after-release", Error;
    // ---- Studio files
    /// A `studio { ... }` entry that is unknown, written twice, of the wrong shape, or a Studio ActionID two actions share.
    InvalidStudioEntry = "invalid-studio-entry", Error;
    // ---- warnings
    /// An action no path from `Begin` reaches.
    UnreachableAction = "unreachable-action", Warning;
    /// An action that can fail for outside reasons has no Error branch.
    ErrorBranchNotConnected = "error-branch-not-connected", Warning;
    /// A variable read but never assigned nor declared as a host input.
    UnassignedVariable = "unassigned-variable", Warning;
    /// A subscript called from the script has no `Return` action.
    SubscriptWithoutReturn = "subscript-without-return", Warning;
    /// RunSub calls that form a cycle: only the depth limit ends them.
    SubscriptRecursion = "subscript-recursion", Warning;
    /// A literal index of 0 or below: Studio's arrays start at 1.
    IndexBelowOne = "index-below-one", Warning;
    /// A Menu or Capture with neither Timeout nor Default connected: a silent caller gets stuck.
    UnhandledTimeout = "unhandled-timeout", Warning;
    /// A Music action connected to itself (Studio: loop through a short Wait).
    MusicSelfLoop = "music-self-loop", Warning;
    /// A Studio action studioflow does not simulate (kept opaque): mock it in a test.
    NotSimulated = "not-simulated", Warning;
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DiagnosticCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DiagnosticCode::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown diagnostic code `{s}`"))
    }
}

/// One message about a place in a script.
///
/// ```
/// use studioflow::{Diagnostic, DiagnosticCode, Span};
/// let d = Diagnostic::new(DiagnosticCode::SyntaxError, Span::new(0, 1), "expected `:`");
/// assert!(d.is_error());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning (fixed by the code).
    pub severity: Severity,
    /// What kind of problem, as a stable name.
    pub code: DiagnosticCode,
    /// Where.
    pub span: Span,
    /// What, in one line.
    pub message: String,
    /// The variable a host may declare as an input to settle this one; its
    /// message then names [`INPUTS_HINT`] (see [`Diagnostics::with_input_hint`]).
    input: Option<Box<str>>,
}

/// How a library diagnostic tells to declare a host input: hosts that take
/// inputs their own way (the command line's `--var NAME`) put theirs in its
/// place with [`Diagnostics::with_input_hint`].
///
/// ```
/// let e = studioflow::Engine::new()
///     .compile("start: Begin { Default -> a }\na: Assign { Variable = x Value = Tier }", "s")
///     .unwrap();
/// assert!(e.warnings().items()[0].message.ends_with("(declare host inputs with CompileOptions::inputs)"));
/// assert!(e.warnings().items()[0].message.contains(studioflow::INPUTS_HINT));
/// ```
pub const INPUTS_HINT: &str = "CompileOptions::inputs";

impl Diagnostic {
    /// A diagnostic of kind `code` at `span`; its severity is the code's.
    ///
    /// ```
    /// use studioflow::{Diagnostic, DiagnosticCode, Severity, Span};
    /// let d = Diagnostic::new(DiagnosticCode::UnreachableAction, Span::new(0, 1), "action `x` is unreachable from Begin");
    /// assert_eq!(d.severity, Severity::Warning);
    /// ```
    pub fn new(code: DiagnosticCode, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code,
            span,
            message: message.into(),
            input: None,
        }
    }
    /// The same diagnostic, settled by declaring `name` as a host input (its
    /// message names [`INPUTS_HINT`]).
    pub(crate) fn with_input(mut self, name: &str) -> Self {
        self.input = Some(name.into());
        self
    }
    /// The same diagnostic moved by `offset` bytes (for text parsed as a slice of a larger source).
    ///
    /// ```
    /// use studioflow::{Diagnostic, DiagnosticCode, Span};
    /// let d = Diagnostic::new(DiagnosticCode::SyntaxError, Span::new(1, 2), "x").shifted(10);
    /// assert_eq!(d.span, Span::new(11, 12));
    /// ```
    pub fn shifted(mut self, offset: usize) -> Self {
        self.span = Span::new(self.span.start + offset, self.span.end + offset);
        self
    }
    /// True when this is an error.
    ///
    /// ```
    /// use studioflow::{Diagnostic, DiagnosticCode, Span};
    /// assert!(Diagnostic::new(DiagnosticCode::NoBegin, Span::default(), "x").is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A named source text, kept so diagnostics can show line, column and the line itself.
///
/// Lines end at `\n`, `\r\n` or a lone `\r` alike; a UTF-8 byte order mark
/// at the start takes no column.
///
/// ```
/// let src = studioflow::SourceFile::new("a.script", "x\ry\r\nz");
/// assert_eq!(src.line_col(2), (2, 1));
/// assert_eq!(src.line_col(5), (3, 1));
/// ```
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: Arc<str>,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

/// The byte order mark editors may write at the start of a UTF-8 file.
pub(crate) const BOM: char = '\u{feff}';

impl SourceFile {
    /// Wraps a source text under a display name (usually its path).
    ///
    /// ```
    /// let src = studioflow::SourceFile::new("a.script", "start: Begin");
    /// assert_eq!(src.text().len(), 12);
    /// ```
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
        }
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
    /// let bom = studioflow::SourceFile::new("a", "\u{feff}ab");
    /// assert_eq!(bom.line_col(4), (1, 2));
    /// ```
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let mut start = self.line_starts[line];
        if line == 0 && self.text.starts_with(BOM) && offset >= BOM.len_utf8() {
            start = BOM.len_utf8();
        }
        let col = match self.text.get(start..offset) {
            Some(s) => s.chars().count(),
            // Inside a multi-byte character: count up to its start.
            None => self.text[start..]
                .char_indices()
                .take_while(|(i, _)| start + i < offset)
                .count(),
        };
        (line + 1, col + 1)
    }
    /// The text of a 1-based line, without its line break.
    ///
    /// ```
    /// let src = studioflow::SourceFile::new("a", "ab\r\ncd");
    /// assert_eq!(src.line_text(1), "ab");
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
            .copied()
            .unwrap_or(self.text.len());
        let text = self.text.get(start..end).unwrap_or("");
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .or_else(|| text.strip_suffix('\r'))
            .unwrap_or(text);
        if line == 1 {
            text.strip_prefix(BOM).unwrap_or(text)
        } else {
            text
        }
    }
}

/// How many characters of a source line a rendered diagnostic shows at
/// most: longer lines are clipped to a window around the caret, so output
/// stays proportional to the number of diagnostics, not to line length.
pub const SHOWN_LINE_CHARS: usize = 100;

/// How many diagnostics of one file [`Diagnostics`]' `Display` (and
/// `studioflow check`) prints; the rest are counted in a closing line.
pub const SHOWN_DIAGNOSTICS: usize = 50;

/// The diagnostics of one compile, with the source they point into.
///
/// Display renders each as `file:line:col: error[code]: message`, then the
/// source line (clipped to a window around the caret) and carets under the
/// span; after [`SHOWN_DIAGNOSTICS`] of them, one line says how many more
/// there were.
///
/// ```
/// let engine = studioflow::Engine::new();
/// let err = engine.compile("start: Begin { Default -> nowhere }", "bad.script").unwrap_err();
/// assert!(err.has_errors());
/// assert!(err.to_string().starts_with("bad.script:1:27: error[missing-target]:"));
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
    /// use studioflow::{Diagnostic, DiagnosticCode, Diagnostics, SourceFile, Span};
    /// let w = Diagnostic::new(DiagnosticCode::UnassignedVariable, Span::new(2, 3), "w");
    /// let d = Diagnostics::new(SourceFile::new("a", "x y"), vec![w]);
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
    /// The same diagnostics with the library's advice to declare a host
    /// input ([`INPUTS_HINT`]) replaced by `hint(name)`: how this host takes
    /// inputs. The command line passes `--var NAME`.
    ///
    /// ```
    /// let src = "start: Begin { Default -> a }\na: Assign { Variable = x Value = Tier }";
    /// let s = studioflow::Engine::new().compile(src, "s").unwrap();
    /// let cli = s.warnings().clone().with_input_hint(|name| format!("--var {name}"));
    /// assert!(cli.items()[0].message.ends_with("(declare host inputs with --var Tier)"));
    /// ```
    pub fn with_input_hint(mut self, hint: impl Fn(&str) -> String) -> Diagnostics {
        for d in &mut self.items {
            if let Some(name) = &d.input {
                d.message = d.message.replace(INPUTS_HINT, &hint(name));
            }
        }
        self
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
    /// Renders one diagnostic in the `file:line:col: severity[code]: message` form with its source line and caret.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("start: Begin { Default -> x }", "r.script").unwrap_err();
    /// let text = e.render(&e.items()[0]);
    /// assert!(text.starts_with("r.script:1:27: error[missing-target]: branch target `x` does not exist"));
    /// assert!(text.ends_with("^"));
    /// ```
    pub fn render(&self, d: &Diagnostic) -> String {
        let (line, col) = self.source.line_col(d.span.start);
        let text = self.source.line_text(line);
        let (end_line, end_col) = self.source.line_col(d.span.end);
        // Carets under the span's part on this line, at least one.
        let width = if end_line == line {
            end_col.saturating_sub(col).max(1)
        } else {
            1
        };
        let (shown, caret_col, width) = clip_line(text, col - 1, width);
        format!(
            "{}:{}:{}: {}[{}]: {}\n  {}\n  {}{}",
            self.source.name(),
            line,
            col,
            d.severity,
            d.code,
            d.message,
            shown,
            " ".repeat(caret_col),
            "^".repeat(width)
        )
    }
    /// One diagnostic as a JSON object: `file`, `line`, `column`, `end_line`,
    /// `end_column` (1-based; columns count characters; the end is just past
    /// the span), `severity`, `code`, `message`.
    ///
    /// ```
    /// let e = studioflow::Engine::new().compile("start: Begin { Default -> x }", "r.script").unwrap_err();
    /// let json = e.to_json(&e.items()[0]);
    /// assert_eq!(json["code"], "missing-target");
    /// assert_eq!((json["line"].as_u64(), json["column"].as_u64(), json["end_column"].as_u64()), (Some(1), Some(27), Some(28)));
    /// ```
    pub fn to_json(&self, d: &Diagnostic) -> serde_json::Value {
        let (line, column) = self.source.line_col(d.span.start);
        let (end_line, end_column) = self.source.line_col(d.span.end);
        serde_json::json!({
            "file": self.source.name(),
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "severity": d.severity.name(),
            "code": d.code.name(),
            "message": d.message,
        })
    }
}

/// Words longer than this get no "did you mean": a typo of a real name is
/// short, and edit distance costs the product of the two lengths.
const SUGGEST_MAX_CHARS: usize = 64;

/// The candidate closest to `word` when it is close enough to be a typo of
/// it: at most one edit per three characters (at least one; swapping two
/// neighbours is one edit, as in `Ture` for `True`), ignoring case
/// (so `language` finds `Language`). Ties go to the alphabetically first
/// (candidates may come from a hash set); `word` itself is never suggested.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_chars = word.chars().count();
    if word_chars > SUGGEST_MAX_CHARS {
        return None;
    }
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let chars = candidate.chars().count();
        let allowed = (chars.max(word_chars) / 3).max(1);
        if candidate == word || chars > SUGGEST_MAX_CHARS || chars.abs_diff(word_chars) > allowed {
            continue;
        }
        let distance = strsim::osa_distance(&lower, &candidate.to_lowercase());
        if distance <= allowed && best.is_none_or(|(d, c)| (distance, candidate) < (d, c)) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The largest char boundary of `text` at or below byte `i` (clamped to
/// its length): where to clip text without splitting a character. The one
/// copy of the crate (`str::floor_char_boundary` is newer than the MSRV):
/// `floor_char_boundary("né", 2)` is 1.
pub(crate) fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// ` (did you mean `x`?)` after a message, or nothing.
pub(crate) fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match did_you_mean(word, candidates) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

/// Clips `line` to at most [`SHOWN_LINE_CHARS`] characters around the caret
/// at character `caret` (0-based), marking each clipped side with `…`.
/// Returns the shown text, the caret's column in it and the caret width.
fn clip_line(line: &str, caret: usize, width: usize) -> (String, usize, usize) {
    const BEFORE: usize = SHOWN_LINE_CHARS * 2 / 5;
    let total = line.chars().count();
    let caret = caret.min(total);
    let first = if total <= SHOWN_LINE_CHARS {
        0
    } else {
        caret
            .saturating_sub(BEFORE)
            .min(total.saturating_sub(SHOWN_LINE_CHARS))
    };
    let last = (first + SHOWN_LINE_CHARS).min(total);
    let mut shown = String::new();
    let mut caret_col = caret - first;
    if first > 0 {
        shown.push('…');
        caret_col += 1;
    }
    // Control characters would garble a terminal; show them as spaces.
    shown.extend(line.chars().skip(first).take(last - first).map(|c| {
        if c.is_control() {
            ' '
        } else {
            c
        }
    }));
    if last < total {
        shown.push('…');
    }
    let width = width.min((last - caret).max(1));
    (shown, caret_col, width)
}

/// `severity[code]: message`, without the place (a [`Diagnostics`] renders
/// it with its file, line and column).
///
/// ```
/// use studioflow::{Diagnostic, DiagnosticCode, Span};
/// let d = Diagnostic::new(DiagnosticCode::MissingTarget, Span::new(0, 1), "branch target `x` does not exist");
/// assert_eq!(d.to_string(), "error[missing-target]: branch target `x` does not exist");
/// ```
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().take(SHOWN_DIAGNOSTICS).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&self.render(d))?;
        }
        let hidden = self.items.len().saturating_sub(SHOWN_DIAGNOSTICS);
        if hidden > 0 {
            write!(
                f,
                "\n{}: {hidden} more diagnostic{} not shown ({} in all: {} error{}, {} warning{})",
                self.source.name(),
                if hidden == 1 { "" } else { "s" },
                self.items.len(),
                self.errors().count(),
                if self.errors().count() == 1 { "" } else { "s" },
                self.warnings().count(),
                if self.warnings().count() == 1 {
                    ""
                } else {
                    "s"
                },
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// 1-based line and column (in characters) of byte `offset` in `text`,
/// lines ending at `\n` only (the test files' and the manifest's rule; a
/// [`SourceFile`] also ends lines at a lone `\r`). An offset inside a
/// character counts the characters before it.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let bytes = &text.as_bytes()[..offset];
    let line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let column = text[start..]
        .char_indices()
        .take_while(|(i, c)| start + i + c.len_utf8() <= offset)
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_clipped_around_the_caret() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let (shown, caret, width) = clip_line(&line, 5000, 1);
        assert!(shown.chars().count() <= SHOWN_LINE_CHARS + 2);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(caret), Some('X'));
        assert_eq!(width, 1);
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let (shown, caret, width) = clip_line("abc def", 4, 3);
        assert_eq!((shown.as_str(), caret, width), ("abc def", 4, 3));
    }

    #[test]
    fn the_caret_can_sit_at_the_end_of_a_long_line() {
        let line = "x".repeat(1000);
        let (shown, caret, _) = clip_line(&line, 1000, 1);
        assert!(shown.starts_with('…') && !shown.ends_with('…'));
        assert_eq!(caret, shown.chars().count());
    }

    #[test]
    fn suggestions_are_close_names_only() {
        let names = ["upper", "lower", "Language", "len"];
        assert_eq!(did_you_mean("uper", names), Some("upper"));
        assert_eq!(did_you_mean("UPPR", names), Some("upper"));
        assert_eq!(did_you_mean("language", names), Some("Language"));
        assert_eq!(did_you_mean("Lnaguage", names), Some("Language"));
        assert_eq!(did_you_mean("Ture", ["True", "False"]), Some("True"));
        assert_eq!(did_you_mean("frobnicate", names), None);
        assert_eq!(did_you_mean("x", names), None);
        assert_eq!(did_you_mean("upper", names), None, "never the word itself");
        let long = "u".repeat(100_000);
        assert_eq!(did_you_mean(&long, names), None);
        assert_eq!(suggestion("lenn", names), " (did you mean `len`?)");
        assert_eq!(suggestion("zzzz", names), "");
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let src = SourceFile::new("a", "one\rtwo\rthree");
        assert_eq!(src.line_col(8), (3, 1));
        assert_eq!(src.line_text(2), "two");
    }
}
