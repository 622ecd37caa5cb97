//! Ids that survive every trip through a script exactly.
//!
//! Scripts hold numbers as `f64` (as Studio does), and ids travel through
//! values, templates (`{SecurityUser.agentId}`) and JSON output. An `f64`
//! carries every integer up to 2^53 − 1 exactly, but 2^53 + 1 rounds to 2^53:
//! an id above the bound could come back as a *different* id and pick the
//! wrong person. So the model refuses ids above [`MAX_EXACT_ID`] when a tenant
//! loads (naming the place) and stops allocating role ids there
//! (`invalidInput.outOfRange`), and a numeric reference is parsed from its text
//! exactly, never through an `f64`.

/// The largest id (and changeStamp) the model accepts: 2^53 − 1, the largest
/// integer `n` such that `n` and `n + 1` are both exact in an `f64`
/// (JavaScript's `Number.MAX_SAFE_INTEGER`).
///
/// ```
/// use studioflow::permissions::MAX_EXACT_ID;
/// assert_eq!(MAX_EXACT_ID, 9_007_199_254_740_991);
/// assert_eq!(MAX_EXACT_ID as f64 as u64, MAX_EXACT_ID);
/// assert_ne!((MAX_EXACT_ID + 2) as f64 as u64, MAX_EXACT_ID + 2); // 2^53 + 1 is not exact
/// ```
pub const MAX_EXACT_ID: u64 = (1 << 53) - 1;

/// Parses a reference as an id: canonical decimal digits only (no sign, no
/// leading zero, no fraction, no exponent), within [`MAX_EXACT_ID`].
///
/// Anything else is not an id, so the reference is then looked up as a name.
///
/// ```
/// use studioflow::permissions::parse_id;
/// assert_eq!(parse_id("1001"), Some(1001));
/// assert_eq!(parse_id("9007199254740991"), Some(9_007_199_254_740_991));
/// assert_eq!(parse_id("9007199254740993"), None); // beyond exact: never rounded to another id
/// for not_an_id in ["", "+1001", "01001", "1001.0", "1e3", " 1001", "-1"] {
///     assert_eq!(parse_id(not_an_id), None, "{not_an_id:?}");
/// }
/// ```
pub fn parse_id(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let canonical = !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1);
    if !canonical {
        return None;
    }
    text.parse::<u64>().ok().filter(|&id| id <= MAX_EXACT_ID)
}
