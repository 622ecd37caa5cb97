//! Names on disk: a test file is `NAME.test.toml`; its snapshots live at
//! `__snapshots__/NAME/CASE-NAME.json` beside it, the case name made
//! file-safe (the coverage pages name their files the same way).

use std::path::{Path, PathBuf};

/// The suffix that marks a test file.
pub const TEST_FILE_SUFFIX: &str = ".test.toml";

/// The folder that holds snapshots, beside the test files.
pub const SNAPSHOT_DIR: &str = "__snapshots__";

/// A case name made file-safe: every character other than an ASCII letter,
/// digit, `-` or `_` becomes `_`.
///
/// ```
/// assert_eq!(studioflow::testing::file_safe("gold caller → vip!"), "gold_caller___vip_");
/// ```
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The name of the snapshot folder of `test_file` inside `__snapshots__`:
/// its file name without `.test.toml`.
pub(crate) fn snapshot_stem(test_file: &Path) -> &str {
    let file_name = test_file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    file_name
        .strip_suffix(TEST_FILE_SUFFIX)
        .or_else(|| file_name.strip_suffix(".toml"))
        .unwrap_or(file_name)
}

/// Why a test file's stem cannot name its snapshot folder (`.`, `..` or
/// empty would put snapshots outside `__snapshots__`), if it cannot.
pub(crate) fn bad_stem(stem: &str) -> Option<String> {
    match stem {
        "" | "." | ".." => Some(format!(
            "this test file's name gives the snapshot folder name {stem:?}, which would lead out of {SNAPSHOT_DIR}: rename the file (NAME.test.toml)"
        )),
        _ => None,
    }
}

/// The folder holding the snapshots of test file `test_file`.
pub(crate) fn snapshot_folder(test_file: &Path) -> PathBuf {
    test_file
        .parent()
        .unwrap_or(Path::new(""))
        .join(SNAPSHOT_DIR)
        .join(snapshot_stem(test_file))
}

/// Where case `case` of `test_file` keeps its snapshot.
///
/// ```
/// use std::path::Path;
/// let path = studioflow::testing::snapshot_path(Path::new("flows/vip.test.toml"), "gold caller");
/// assert_eq!(path, Path::new("flows/__snapshots__/vip/gold_caller.json"));
/// ```
pub fn snapshot_path(test_file: &Path, case: &str) -> PathBuf {
    snapshot_folder(test_file).join(format!("{}.json", file_safe(case)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_safe_keeps_only_ascii_word_characters() {
        assert_eq!(file_safe("a-b_c 1/2.é"), "a-b_c_1_2__");
    }

    #[test]
    fn snapshot_lives_beside_the_test_file() {
        assert_eq!(
            snapshot_path(Path::new("a/b.test.toml"), "x y"),
            Path::new("a/__snapshots__/b/x_y.json")
        );
        assert_eq!(
            snapshot_path(Path::new("b.test.toml"), "x"),
            Path::new("__snapshots__/b/x.json")
        );
    }
}
