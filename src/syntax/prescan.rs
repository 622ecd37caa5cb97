//! An iterative pass over the raw text that runs before pest sees it.
//!
//! pest's generated parser recurses once per nesting level, so deeply nested
//! input (100,000 parentheses) would overflow the stack before any check on
//! the tree could run. This scan bounds nesting with an explicit stack, and it
//! also gives unterminated strings and lone `}` in templates their own clear
//! messages instead of a generic "expected ...".

use crate::diagnostics::{Diagnostic, DiagnosticCode, Span};

/// The deepest nesting of brackets, strings and template braces accepted.
///
/// ```
/// let deep = format!("a: Assign {{ Variable = x Value = {}1{} }}", "(".repeat(300), ")".repeat(300));
/// let err = studioflow::syntax::parse_script(&deep).unwrap_err();
/// assert!(err.message.contains(&studioflow::syntax::MAX_NESTING.to_string()));
/// ```
pub const MAX_NESTING: usize = 256;

#[derive(Clone, Copy)]
enum Frame {
    /// `(`, `[` or `{` in code, with the byte that closes it.
    Bracket(u8),
    /// Inside a template string literal that opened at this offset.
    Template(Quote),
    /// Inside `{ ... }` of a template, opened at this offset.
    Interpolation(usize),
    /// Inside `studio { ... }`, where every string is raw.
    Studio,
}

/// A template literal under way: where it opened and how it is written.
#[derive(Clone, Copy)]
struct Quote {
    start: usize,
    /// `"` or `'`.
    close: u8,
    /// `$"..."`: a lone `}` is text.
    dollar: bool,
}

/// Which text is scanned: a `.script` file (an unknown escape such as `\d`
/// is an error) or Snippet code (real Studio code writes `"\bwd\b"`, meaning
/// the backslashes: kept as written).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Script,
    Snippet,
}

/// Scans `text` and returns the first structural problem, if any.
pub fn prescan(text: &str) -> Result<(), Diagnostic> {
    prescan_in(text, Dialect::Script)
}

/// [`prescan`] for `dialect`.
pub(crate) fn prescan_in(text: &str, dialect: Dialect) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    // Whether the previous significant token was a word that is not an
    // operator keyword: a string right after such a word is a raw string
    // (a caption, the header name, a Case label), not a template.
    let mut after_word = false;
    // Whether the previous significant token ends an operand (a name, a
    // number, `)` or `]`), after which no string can start.
    let mut after_operand = false;
    // Whether the previous significant token was the word `studio`.
    let mut after_studio = false;
    let mut i = 0;
    while i < bytes.len() {
        let template = match stack.last() {
            Some(Frame::Template(q)) => Some(*q),
            _ => None,
        };
        let b = bytes[i];
        if let Some(quote) = template {
            match b {
                b'\\' => {
                    check_escape(text, i, quote.close, dialect)?;
                    i += 2;
                }
                _ if b == quote.close => {
                    stack.pop();
                    after_word = false;
                    after_operand = true;
                    i += 1;
                }
                b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
                b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
                b'{' => {
                    push(&mut stack, Frame::Interpolation(i), i)?;
                    after_word = false;
                    after_operand = false;
                    i += 1;
                }
                b'}' if quote.dollar => i += 1,
                b'}' => {
                    // A string that runs over a line break into a `}`, or
                    // has no quote after the `}` on its line, most likely
                    // lacks its closing quote: say so, at the quote.
                    let rest_of_line = text[i..].split(['\n', '\r']).next().unwrap_or("");
                    if text[quote.start..i].contains(['\n', '\r'])
                        || !rest_of_line.contains(quote.close as char)
                    {
                        return Err(open_string(&stack));
                    }
                    return Err(Diagnostic::new(
                        DiagnosticCode::LoneBrace,
                        Span::new(i, i + 1),
                        "a lone `}` in a string must be written `}}`",
                    ));
                }
                _ => i += 1,
            }
            continue;
        }
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b'"' if text[i..].starts_with("\"\"\"") => {
                // A `"""` code block: raw text up to the next `"""`. Its
                // contents (Snippet code) get a pre-scan of their own.
                match text[i + 3..].find("\"\"\"") {
                    Some(len) => i += 3 + len + 3,
                    None => {
                        return Err(Diagnostic::new(
                            DiagnosticCode::UnterminatedString,
                            Span::new(i, i + 3),
                            "unterminated code block: no closing `\"\"\"`",
                        ))
                    }
                }
                after_word = false;
            }
            // A quote right after a complete operand inside `{...}` cannot
            // start a string: it is the template's closing quote, and the
            // `{` before it was never closed.
            b'"' | b'\'' if after_operand && closes_template(&stack, b) => {
                let open = match stack.last() {
                    Some(Frame::Interpolation(open)) => *open,
                    _ => i,
                };
                return Err(unclosed_interpolation(open));
            }
            b'"' if after_word || in_studio_block(&stack) => {
                // Raw string: runs to the next unescaped quote.
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err(unterminated(start, b'"')),
                        Some(b'\\') => {
                            check_escape(text, i, b'"', dialect)?;
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                after_word = false;
            }
            // In a `.script` file an apostrophe right after a word is prose
            // (a file that is no script at all), not a string to scan.
            b'\'' if after_operand && dialect == Dialect::Script => {
                after_word = false;
                after_operand = false;
                i += 1;
            }
            b'{' if after_studio => {
                push(&mut stack, Frame::Studio, i)?;
                after_word = false;
                after_operand = false;
                after_studio = false;
                i += 1;
            }
            b'"' | b'\'' => {
                let quote = Quote {
                    start: i,
                    close: b,
                    dollar: false,
                };
                push(&mut stack, Frame::Template(quote), i)?;
                i += 1;
            }
            b'$' if bytes.get(i + 1) == Some(&b'"') => {
                let quote = Quote {
                    start: i,
                    close: b'"',
                    dollar: true,
                };
                push(&mut stack, Frame::Template(quote), i)?;
                i += 2;
            }
            b'(' | b'[' | b'{' => {
                let closer = match b {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                };
                push(&mut stack, Frame::Bracket(closer), i)?;
                after_word = false;
                after_operand = false;
                i += 1;
            }
            b')' | b']' | b'}' => {
                match stack.last() {
                    Some(Frame::Bracket(c)) if *c == b => {
                        stack.pop();
                    }
                    Some(Frame::Interpolation(_) | Frame::Studio) if b == b'}' => {
                        stack.pop();
                    }
                    // A stray closer is left for the parser to report in context.
                    _ => {}
                }
                after_word = b == b')' || b == b']';
                after_operand = after_word;
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                let word = &text[start..i];
                after_studio = word.eq_ignore_ascii_case("studio");
                after_word = !["and", "or", "not"]
                    .iter()
                    .any(|k| word.eq_ignore_ascii_case(k));
                after_operand = after_word;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                after_studio = false;
                after_word = false;
                after_operand = false;
                i += 1;
            }
        }
    }
    if stack.iter().any(|f| matches!(f, Frame::Template(_))) {
        return Err(open_string(&stack));
    }
    Ok(())
}

/// Inside `studio { ... }` (or a list there): strings are raw.
fn in_studio_block(stack: &[Frame]) -> bool {
    matches!(
        stack,
        [.., Frame::Studio] | [.., Frame::Studio, Frame::Bracket(b']')]
    )
}

/// Whether `quote` would close the template whose `{...}` the scan is in.
fn closes_template(stack: &[Frame], quote: u8) -> bool {
    match stack {
        [.., Frame::Template(q), Frame::Interpolation(_)] => q.close == quote,
        _ => false,
    }
}

/// The error for a string left open: the innermost one is reported, but
/// when it opened inside a `{...}` of another string, that `{` was left
/// open first (`"Hello {"` is missing a `}`, not a quote).
fn open_string(stack: &[Frame]) -> Diagnostic {
    let innermost = stack.iter().rposition(|f| matches!(f, Frame::Template(_)));
    match innermost.map(|i| (i.checked_sub(1).map(|j| stack[j]), stack[i])) {
        Some((Some(Frame::Interpolation(open)), _)) => unclosed_interpolation(open),
        Some((_, Frame::Template(q))) => unterminated(q.start, q.close),
        _ => unterminated(0, b'"'),
    }
}

fn push(stack: &mut Vec<Frame>, frame: Frame, at: usize) -> Result<(), Diagnostic> {
    if stack.len() >= MAX_NESTING {
        return Err(Diagnostic::new(
            DiagnosticCode::NestingTooDeep,
            Span::new(at, at + 1),
            format!("nesting is deeper than {MAX_NESTING} levels"),
        ));
    }
    stack.push(frame);
    Ok(())
}

/// In a `.script` file, the backslash at `at` must start one of the escapes
/// `\"` (`\'` in a single-quoted string), `\\`, `\n`, `\t`, `\{`, `\}`.
/// Snippet code keeps any other pair as written.
fn check_escape(text: &str, at: usize, quote: u8, dialect: Dialect) -> Result<(), Diagnostic> {
    match text[at + 1..].chars().next() {
        // End of text: the string is unterminated, reported by the caller.
        None | Some('\\' | 'n' | 't' | 'r' | '{' | '}') => Ok(()),
        Some(c) if c == quote as char || dialect == Dialect::Snippet => Ok(()),
        Some(c) => Err(Diagnostic::new(
            DiagnosticCode::UnknownEscape,
            Span::new(at, at + 1 + c.len_utf8()),
            format!(
                "unknown escape `\\{c}` in a string: use \\{}, \\\\, \\n, \\r, \\t, \\{{ or \\}}",
                quote as char
            ),
        )),
    }
}

fn unclosed_interpolation(open: usize) -> Diagnostic {
    Diagnostic::new(
        DiagnosticCode::MissingBrace,
        Span::new(open, open + 1),
        "this `{` in a string is never closed: end the expression with `}`, or write a literal `{` as `{{`",
    )
}

fn unterminated(start: usize, quote: u8) -> Diagnostic {
    Diagnostic::new(
        DiagnosticCode::UnterminatedString,
        Span::new(start, start + 1),
        format!(
            "unterminated string literal: no closing `{}`",
            quote as char
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_parentheses_are_refused_without_recursion() {
        let text = format!(
            "x: Assign {{ Value = {}1{} }}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let err = prescan(&text).unwrap_err();
        assert!(err.message.contains("deeper than 256"), "{}", err.message);
    }

    #[test]
    fn unterminated_string_points_at_its_quote() {
        let err = prescan("a: Assign { Value = \"abc }").unwrap_err();
        assert_eq!(err.span.start, 20);
        assert!(err.message.contains("unterminated"));
    }

    #[test]
    fn lone_closing_brace_in_template() {
        let err = prescan("a: Assign { Value = \"a } b\" }").unwrap_err();
        assert!(err.message.contains("lone `}`"));
    }

    #[test]
    fn captions_may_hold_braces_and_templates_may_nest_strings() {
        prescan("a: Assign \"cap { x\" { Value = \"{upper(\"ab\")}\" }").unwrap();
        prescan("a: If { Expression = x and \"{y}\" = \"\" }").unwrap();
    }
}
