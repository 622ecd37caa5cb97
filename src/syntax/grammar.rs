//! The script grammar (pest) and the text scans around it: where actions
//! start (for recovery and for errors).

use pest_derive::Parser;

use crate::diagnostics::{Span, BOM};

#[derive(Parser)]
#[grammar = "../grammar/studio.pest"]
pub(crate) struct StudioParser;

/// Byte offsets of the lines that start like an action (`id:` after
/// optional blanks): the places where recovery resumes.
pub(super) fn action_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut line_start = if text.starts_with(BOM) {
        BOM.len_utf8()
    } else {
        0
    };
    loop {
        let mut i = line_start;
        while matches!(bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let id_start = i;
        if bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            while bytes.get(i).is_some_and(|b| is_ident_byte(*b)) {
                i += 1;
            }
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if bytes.get(i) == Some(&b':') && id_start > 0 {
                starts.push(id_start);
            }
        }
        // On to the next line, whatever ends this one.
        match bytes[i..].iter().position(|b| matches!(b, b'\n' | b'\r')) {
            Some(n) => line_start = i + n + 1,
            None => break,
        }
    }
    starts
}

pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The identifier at `at` (the start of an action piece) and its span.
pub(super) fn leading_id(text: &str, at: usize) -> (&str, Span) {
    let len = text.as_bytes()[at..]
        .iter()
        .take_while(|b| is_ident_byte(**b))
        .count();
    (&text[at..at + len], Span::new(at, at + len))
}
