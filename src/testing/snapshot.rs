//! Snapshots: a case's whole `--json` run document, stored pretty-printed at
//! `__snapshots__/NAME/CASE-NAME.json` beside the test file `NAME.test.toml`.

use std::path::{Path, PathBuf};

use super::expect::{line_diff, Mismatch};

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

/// The name of the snapshot folder of `test_file` inside `__snapshots__`:
/// its file name without `.test.toml`.
pub(crate) fn snapshot_stem(test_file: &Path) -> &str {
    let file_name = test_file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    file_name
        .strip_suffix(super::file::TEST_FILE_SUFFIX)
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

/// Checks that `path` (a snapshot of `test_file`) stays inside the test
/// file's `__snapshots__` folder: by its components (no `.` or `..`), and on
/// disk (no folder on the way is a symbolic link leading out, and the
/// snapshot itself is not a symbolic link).
fn check_inside(test_file: &Path, path: &Path) -> Result<(), String> {
    use std::path::Component;
    if let Some(why) = bad_stem(snapshot_stem(test_file)) {
        return Err(why);
    }
    let root = test_file
        .parent()
        .unwrap_or(Path::new(""))
        .join(SNAPSHOT_DIR);
    let inside = path
        .strip_prefix(&root)
        .ok()
        .filter(|rest| {
            rest.components().count() == 2
                && rest.components().all(|c| matches!(c, Component::Normal(_)))
        })
        .is_some();
    if !inside {
        return Err(format!("not inside {}", root.display()));
    }
    let outside = || {
        format!(
            "leads out of {} (a symbolic link?); not written",
            root.display()
        )
    };
    let (Ok(real_root), Some(Ok(real_folder))) =
        (root.canonicalize(), path.parent().map(Path::canonicalize))
    else {
        return Err(outside());
    };
    let test_folder = test_file.parent().filter(|p| !p.as_os_str().is_empty());
    let real_test_folder = test_folder
        .unwrap_or(Path::new("."))
        .canonicalize()
        .map_err(|_| outside())?;
    if real_root != real_test_folder.join(SNAPSHOT_DIR) || !real_folder.starts_with(&real_root) {
        return Err(outside());
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err("is a symbolic link; snapshots are regular files (not written)".into());
    }
    Ok(())
}

/// Writes a snapshot: creates its folder inside `__snapshots__` if needed,
/// checks that it stays inside, then writes atomically.
fn write_snapshot(test_file: &Path, path: &Path, text: &str) -> Result<(), String> {
    if let Some(why) = bad_stem(snapshot_stem(test_file)) {
        return Err(why);
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    check_inside(test_file, path)?;
    crate::files::write_atomically(path, text.as_bytes()).map_err(|e| e.reason())
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
    test_file: &Path,
    path: &Path,
    doc: &serde_json::Value,
    update: bool,
) -> Result<SnapshotChange, Mismatch> {
    let shown = path.display().to_string();
    if let Some(message) = bad_stem(snapshot_stem(test_file)) {
        return Err(Mismatch::SnapshotError {
            path: shown,
            message,
        });
    }
    // Never read (and show in a diff) a file outside `__snapshots__`.
    if path.parent().is_some_and(Path::exists) {
        if let Err(message) = check_inside(test_file, path) {
            return Err(Mismatch::SnapshotError {
                path: shown,
                message,
            });
        }
    }
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.push('\n');
    let write = |change: SnapshotChange| {
        write_snapshot(test_file, path, &text)
            .map(|()| change)
            .map_err(|e| Mismatch::SnapshotError {
                path: shown.clone(),
                message: format!("cannot write: {e}"),
            })
    };
    let stored = match crate::files::read_text(path, MAX_SNAPSHOT_BYTES) {
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
                message: e.reason(),
            })
        }
    };
    // The same text is the same snapshot (no parse needed); otherwise compare as JSON.
    let same = stored == text
        || match serde_json::from_str::<serde_json::Value>(&stored) {
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
