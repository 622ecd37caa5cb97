//! Snapshots: a case's whole `--json` run document, stored pretty-printed at
//! `__snapshots__/NAME/CASE-NAME.json` beside the test file `NAME.test.toml`.

use std::path::{Path, PathBuf};

use super::expect::{line_diff, Mismatch};
use super::names::{bad_stem, snapshot_stem, SNAPSHOT_DIR};

/// Snapshots larger than this are refused when read.
const MAX_SNAPSHOT_BYTES: u64 = 64 << 20;

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
