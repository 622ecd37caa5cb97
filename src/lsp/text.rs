//! Positions: byte offsets in a document ↔ LSP line/character positions,
//! in UTF-16 code units (the protocol's default) or UTF-8 bytes (when the
//! client negotiates `utf-8`).

use lsp_types::{Position, Range};

use crate::Span;

/// What a position's `character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-16 code units (LSP's default).
    Utf16,
    /// UTF-8 bytes.
    Utf8,
}

/// Where each line starts, for one version of a text. Built in one pass;
/// a conversion then costs the length of one line, not of the document.
///
/// ```
/// use studioflow::lsp::{Encoding, LineIndex};
/// let text = "a: Begin\nb: Assign { Value = \"né😀x\" }";
/// let lines = LineIndex::new(text, Encoding::Utf16);
/// let x = text.find('x').unwrap();
/// let at = lines.position(text, x);
/// assert_eq!((at.line, at.character), (1, 25)); // é is one unit, 😀 two
/// assert_eq!(lines.offset(text, at), x);
/// ```
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    encoding: Encoding,
}

impl LineIndex {
    /// The index of `text`'s lines (`\n`, `\r\n` and a lone `\r` end a line,
    /// as the protocol says).
    pub fn new(text: &str, encoding: Encoding) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts, encoding }
    }

    /// The encoding positions use.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// How many lines the text has (at least one).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The byte where `line` starts (the text's end past the last line).
    pub fn line_start(&self, text: &str, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(text.len())
    }

    /// The byte where `line`'s text ends (before its line break).
    fn line_end(&self, text: &str, line: usize) -> usize {
        let end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let bytes = text.as_bytes();
        let mut end = end;
        if end > self.line_start(text, line) && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > self.line_start(text, line) && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        end
    }

    /// The position of byte `offset` (clamped to the text, moved back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = crate::diagnostics::floor_char_boundary(text, offset);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character = match self.encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => text[start..offset].chars().map(char::len_utf16).sum(),
        };
        Position::new(line as u32, character as u32)
    }

    /// The byte of `position`: a line past the end is the text's end; a
    /// character past the line's end is the line's end; inside a character
    /// (half a surrogate pair, the middle of a UTF-8 sequence) is its start.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let start = self.starts[line];
        let end = self.line_end(text, line);
        let wanted = position.character as usize;
        match self.encoding {
            Encoding::Utf8 => {
                crate::diagnostics::floor_char_boundary(text, (start + wanted).min(end))
            }
            Encoding::Utf16 => {
                let mut units = 0;
                for (i, c) in text[start..end].char_indices() {
                    let next = units + c.len_utf16();
                    if next > wanted {
                        return start + i;
                    }
                    units = next;
                }
                end
            }
        }
    }

    /// The range of a byte span.
    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(
            self.position(text, span.start),
            self.position(text, span.end),
        )
    }

    /// The byte span of a range (its ends ordered).
    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_of_every_kind_end_lines() {
        let text = "a\r\nb\rc\nd";
        let lines = LineIndex::new(text, Encoding::Utf16);
        assert_eq!(lines.line_count(), 4);
        for (offset, line) in [(0, 0), (3, 1), (5, 2), (7, 3)] {
            assert_eq!(lines.position(text, offset), Position::new(line, 0));
            assert_eq!(lines.offset(text, Position::new(line, 0)), offset);
        }
        // Past the line's end: the line's end, never the next line.
        assert_eq!(lines.offset(text, Position::new(0, 9)), 1);
        assert_eq!(lines.offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn utf8_and_utf16_count_differently() {
        let text = "😀é=1";
        let utf16 = LineIndex::new(text, Encoding::Utf16);
        let utf8 = LineIndex::new(text, Encoding::Utf8);
        let eq = text.find('=').unwrap();
        assert_eq!(utf16.position(text, eq).character, 3);
        assert_eq!(utf8.position(text, eq).character, 6);
        // Half a surrogate pair falls back to the character's start.
        assert_eq!(utf16.offset(text, Position::new(0, 1)), 0);
        assert_eq!(utf8.offset(text, Position::new(0, 2)), 0);
    }
}
