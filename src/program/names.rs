//! Name rules shared by compile and the run: hidden variables, the error
//! variable, case-insensitive ordering of names.

/// Variables compile invents (Snippet FUNCTION parameters, temporaries)
/// start with this character, which no written name can: they are never
/// shown in results, warnings or reports.
pub(crate) const HIDDEN_PREFIX: char = '#';

/// The name of the system variable holding the last error.
///
/// ```
/// assert_eq!(studioflow::ERR_VARIABLE, "_ERR");
/// ```
pub const ERR_VARIABLE: &str = "_ERR";

/// Orders names as their ASCII lower-case forms would order, without
/// building them: the case-insensitive key of the registries.
pub(crate) fn cmp_ignore_ascii_case(left: &str, right: &str) -> std::cmp::Ordering {
    left.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(right.bytes().map(|b| b.to_ascii_lowercase()))
}

/// Studio's special member of every value: `x.$value` is `x` itself. It
/// cannot be assigned.
pub(crate) const VALUE_MEMBER: &str = "$value";

/// The member name Studio reserves on dynamic data objects.
pub(crate) const RESERVED_MEMBER: &str = "__type";
