//! Snapshots: a case's whole `--json` run document, stored pretty-printed at
//! `__snapshots__/NAME/CASE-NAME.json` beside the test file `NAME.test.toml`.

use std::path::{Path, PathBuf};

use super::expect::{line_diff, Mismatch};
use super::write_atomically;

/// The folder that holds snapshots, beside the test files.
pub const SNAPSHOT_DIR: &str = "__snapshots__";

/// Snapshots larger than this are refused when read.
const MAX_SNAPSHOT_BYTES: u64 = 64 << 20;

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

/// The folder holding the snapshots of test file `test_file`.
pub(crate) fn snapshot_folder(test_file: &Path) -> PathBuf {
    let file_name = test_file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = file_name
        .strip_suffix(super::file::TEST_FILE_SUFFIX)
        .or_else(|| file_name.strip_suffix(".toml"))
        .unwrap_or(file_name);
    test_file
        .parent()
        .unwrap_or(Path::new(""))
        .join(SNAPSHOT_DIR)
        .join(stem)
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

/// What happened to a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotChange {
    /// It matched (or the case takes none).
    Unchanged,
    /// `--update` wrote a missing snapshot.
    Written(PathBuf),
    /// `--update` rewrote a changed snapshot.
    Updated(PathBuf),
}

/// Compares a run document with its snapshot, writing it when `update` is
/// set and it is missing or differs.
pub(crate) fn compare(
    path: &Path,
    doc: &serde_json::Value,
    update: bool,
) -> Result<SnapshotChange, Mismatch> {
    let shown = path.display().to_string();
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    let write = |change: SnapshotChange| {
        write_atomically(path, text.as_bytes())
            .map(|()| change)
            .map_err(|e| Mismatch::SnapshotError {
                path: shown.clone(),
                message: format!("cannot write: {e}"),
            })
    };
    let stored = match super::read_text(path, MAX_SNAPSHOT_BYTES) {
        Ok(stored) => stored,
        Err(crate::files::FileError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return if update {
                write(SnapshotChange::Written(path.to_owned()))
            } else {
                Err(Mismatch::SnapshotMissing { path: shown })
            };
        }
        Err(e) => {
            return Err(Mismatch::SnapshotError {
                path: shown,
                message: super::file_reason(&e),
            })
        }
    };
    let same = match serde_json::from_str::<serde_json::Value>(&stored) {
        Ok(value) => value == *doc,
        // A snapshot that is not JSON differs (and --update replaces it).
        Err(_) => false,
    };
    if same {
        Ok(SnapshotChange::Unchanged)
    } else if update {
        write(SnapshotChange::Updated(path.to_owned()))
    } else {
        Err(Mismatch::SnapshotDiffers {
            path: shown,
            diff: line_diff(&stored, &text),
        })
    }
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
