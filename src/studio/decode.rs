//! A Studio file's bytes as text, and which format a path names.
//!
//! Studio files are UTF-8, usually with a byte-order mark (Desktop Studio's
//! .NET serializer writes one, and so do Windows editors). A file saved as
//! UTF-16 (what Windows calls "Unicode") is decoded when its byte-order mark
//! says so; anything else that is not UTF-8 is refused with the line and
//! column of the first bad byte, never read as garbage.

use std::path::Path;

use super::error::StudioError;

/// One of Studio's two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudioFormat {
    /// CXone Studio JSON (`{header, actions, properties, branches}`).
    Json,
    /// Desktop Studio XML (`<ScriptContainer>`).
    Xml,
}

impl StudioFormat {
    /// The format a file name's extension names (`.json`, `.xml`, in any
    /// case); `None` for anything else (a `.script` file, say).
    ///
    /// ```
    /// use studioflow::studio::StudioFormat;
    /// use std::path::Path;
    /// assert_eq!(StudioFormat::of_path(Path::new("flows/Main.JSON")), Some(StudioFormat::Json));
    /// assert_eq!(StudioFormat::of_path(Path::new("Main.xml")), Some(StudioFormat::Xml));
    /// assert_eq!(StudioFormat::of_path(Path::new("Main.script")), None);
    /// ```
    pub fn of_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("json") {
            Some(StudioFormat::Json)
        } else if extension.eq_ignore_ascii_case("xml") {
            Some(StudioFormat::Xml)
        } else {
            None
        }
    }
}

/// A Studio file's bytes as text: UTF-8 (a byte-order mark is dropped), or
/// UTF-16 with a byte-order mark (decoded). Anything else is an
/// [`StudioError::Encoding`] naming the line and column of the first byte
/// that is not text.
///
/// ```
/// use studioflow::studio::decode;
/// assert_eq!(decode(b"\xEF\xBB\xBF{}").unwrap(), "{}");
/// // UTF-16, little-endian, with its byte-order mark.
/// assert_eq!(decode(b"\xFF\xFE{\0}\0").unwrap(), "{}");
/// let e = decode(b"{\n  \"a\": \"caf\xE9\"}").unwrap_err();
/// assert_eq!(e.to_string(), "line 2, column 12: not UTF-8 text (the byte 0xE9); save the file as UTF-8");
/// ```
pub fn decode(bytes: &[u8]) -> Result<String, StudioError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest);
    }
    // UTF-32 marks first: FF FE 00 00 also starts like UTF-16 little-endian.
    if bytes.starts_with(b"\xFF\xFE\0\0") || bytes.starts_with(b"\0\0\xFE\xFF") {
        return Err(StudioError::Encoding {
            place: "line 1, column 1".into(),
            message: "the file is UTF-32, which Studio never writes; save it as UTF-8".into(),
        });
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes);
    }
    // `<\0` or `\0<`: UTF-16 without a byte-order mark, which cannot be told
    // apart from binary reliably: say what it looks like.
    if bytes.len() >= 2 && (bytes[0] == 0) != (bytes[1] == 0) {
        return Err(StudioError::Encoding {
            place: "line 1, column 1".into(),
            message: "the file looks like UTF-16 without a byte-order mark; save it as UTF-8 (or UTF-16 with a byte-order mark)".into(),
        });
    }
    utf8(bytes)
}

fn utf8(bytes: &[u8]) -> Result<String, StudioError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let good = e.valid_up_to();
            // The prefix is valid UTF-8 by construction.
            let before = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
            Err(StudioError::Encoding {
                place: place_after(before),
                message: format!(
                    "not UTF-8 text (the byte 0x{:02X}); save the file as UTF-8",
                    bytes[good]
                ),
            })
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, StudioError> {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(e) => {
                return Err(StudioError::Encoding {
                    place: place_after(&text),
                    message: format!(
                        "not UTF-16 text (a lone surrogate 0x{:04X})",
                        e.unpaired_surrogate()
                    ),
                })
            }
        }
    }
    if bytes.len() % 2 == 1 {
        return Err(StudioError::Encoding {
            place: place_after(&text),
            message: "the UTF-16 text ends in half a character (an odd number of bytes)".into(),
        });
    }
    // A declaration saying `encoding="utf-16"` now describes a `str`: the
    // XML reader takes text, not bytes, so it does not matter.
    Ok(text)
}

/// The 1-based line and column of the character after `text`.
fn place_after(text: &str) -> String {
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf16_both_orders_decode_and_bad_ones_name_the_place() {
        assert_eq!(decode(&utf16le("a\r\nbé😀")).unwrap(), "a\r\nbé😀");
        let mut be = vec![0xFE, 0xFF];
        be.extend("x\ny".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap(), "x\ny");
        let mut lone = utf16le("ab\ncd");
        lone.extend([0x00, 0xD8, b'e', 0]);
        let e = decode(&lone).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 3: not UTF-16 text (a lone surrogate 0xD800)"
        );
        let mut odd = utf16le("ab");
        odd.push(b'c');
        assert!(decode(&odd)
            .unwrap_err()
            .to_string()
            .contains("half a character"));
    }

    #[test]
    fn utf32_and_utf16_without_a_mark_are_refused() {
        let e = decode(b"\xFF\xFE\0\0{\0\0\0").unwrap_err();
        assert!(e.to_string().contains("UTF-32"), "{e}");
        let e = decode(b"<\0S\0").unwrap_err();
        assert!(e.to_string().contains("without a byte-order mark"), "{e}");
        assert_eq!(decode(b"").unwrap(), "");
        assert_eq!(decode(b"\xEF\xBB\xBF").unwrap(), "");
    }
}
