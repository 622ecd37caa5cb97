//! Case-insensitive matching of userNames, role names and department names.
//!
//! Every comparison that ignores case goes through [`fold_case`]: Unicode
//! *default case folding* (full folding from `CaseFolding.txt`, through the
//! `caseless` crate), applied the same way to the stored name and to the
//! reference. Lowercasing is not a fold: a titlecase letter such as `ǅ`
//! (U+01C5) is not "uppercase", so code that lowercased only references with
//! uppercase letters could not find `ǅmir` by its own name; and `ß`/`SS`,
//! `ς`/`σ`, `K` (Kelvin sign)/`k` only meet under folding.
//!
//! No normalization (NFC/NFKC) is applied: names are compared as written.

use std::borrow::Cow;

/// The Unicode default case fold of `text` (borrowed when already folded ASCII).
///
/// ```
/// use studioflow::permissions::fold_case;
/// assert_eq!(fold_case("ǅmir"), fold_case("ǆmir"));
/// assert_eq!(fold_case("ǅmir"), fold_case("Ǆmir"));
/// assert_eq!(fold_case("Straße"), "strasse");
/// assert_eq!(fold_case("SysAdmin"), "sysadmin");
/// ```
pub fn fold_case(text: &str) -> Cow<'_, str> {
    // No early exit: names are short, and a loop without branches is
    // cheaper than stopping at the first byte that needs folding.
    let needs_folding = text
        .bytes()
        .fold(false, |any, b| any | !b.is_ascii() | b.is_ascii_uppercase());
    if !needs_folding {
        Cow::Borrowed(text)
    } else if text.is_ascii() {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Owned(caseless::default_case_fold_str(text))
    }
}

/// Whether two names are equal under [`fold_case`].
///
/// ```
/// use studioflow::permissions::eq_folded;
/// assert!(eq_folded("ǅmir", "ǆMIR"));
/// assert!(eq_folded("MASSE", "maße"));
/// assert!(!eq_folded("ana", "anna"));
/// ```
pub fn eq_folded(left: &str, right: &str) -> bool {
    if left.is_ascii() && right.is_ascii() {
        return left.eq_ignore_ascii_case(right);
    }
    fold_case(left) == fold_case(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titlecase_and_special_folds_meet() {
        // U+01C4..U+01C6: Ǆ ǅ ǆ; U+212A Kelvin sign; final sigma.
        for (a, b) in [
            ("ǅmir", "ǆmir"),
            ("Ǆmir", "ǅmir"),
            ("\u{212A}elvin", "kelvin"),
            ("ΟΔΟΣ", "οδος"),
            ("οδος", "οδοσ"),
            ("Fuß", "FUSS"),
        ] {
            assert!(eq_folded(a, b), "{a} vs {b}");
            assert_eq!(fold_case(a), fold_case(b), "{a} vs {b}");
        }
        assert!(!eq_folded("ǅmir", "dzmir"));
    }
}
