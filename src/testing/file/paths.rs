//! The files a test file names (`script`, `tenant`): relative to its folder
//! and inside the project root, by RunSub's rule.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use toml::Spanned;

use super::loader::Loader;
use super::{Tenant, MAX_INPUT_BYTES};
use crate::files::read_text;
use crate::permissions::Directory;
use crate::testing::error::{Problem, TestFileError};

/// The project root of a test file's folder: RunSub's rule
/// ([`crate::FileResolver`]), the nearest folder upward holding
/// `studioflow.toml`, else the folder itself (`.` for the empty path).
fn project_root(folder: &Path) -> PathBuf {
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    crate::resolver::FileResolver::root_for(folder)
}

impl Loader<'_> {
    /// `tenant = "..."`: read and checked once, copied fresh for each case.
    pub(super) fn tenant(
        &self,
        folder: &Path,
        written: &Spanned<String>,
    ) -> Result<Tenant, TestFileError> {
        let tenant_path = self.confined(folder, "tenant", written)?;
        let text = read_text(&tenant_path, MAX_INPUT_BYTES).map_err(|e| {
            self.error(
                written.span(),
                Problem::MissingFile {
                    key: "tenant",
                    path: tenant_path.display().to_string(),
                    reason: e.reason(),
                },
            )
        })?;
        Directory::from_json_str(&text).map_err(|e| {
            self.error(
                written.span(),
                Problem::Tenant(format!("{}: {e}", tenant_path.display())),
            )
        })?;
        Ok(Tenant::Json(text.into()))
    }

    /// A file the test file names (`script`, `tenant`), relative to the
    /// test file's folder and inside the project root, as RunSub's files are.
    pub(super) fn confined(
        &self,
        folder: &Path,
        key: &'static str,
        written: &Spanned<String>,
    ) -> Result<PathBuf, TestFileError> {
        let relative = Path::new(written.get_ref());
        let root = project_root(folder);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(self.error(
                written.span(),
                Problem::OutsideRoot {
                    key,
                    path: written.get_ref().clone(),
                    root: root.display().to_string(),
                },
            ));
        }
        let script_like = |x: &std::ffi::OsStr| {
            let x = x.to_string_lossy().to_ascii_lowercase();
            matches!(x.as_str(), "script" | "json" | "xml")
        };
        if key == "script" && relative.extension().is_none_or(|x| !script_like(x)) {
            return Err(self.error(
                written.span(),
                Problem::NotAScript(written.get_ref().clone()),
            ));
        }
        let path = folder.join(relative);
        self.check_inside_root(folder, key, &path, &written.span())?;
        Ok(path)
    }

    /// Refuses `path` when its real location (symbolic links and `..`
    /// resolved) is outside the project root of `folder`. A path that does
    /// not exist is left to the read that follows (which says so).
    pub(super) fn check_inside_root(
        &self,
        folder: &Path,
        key: &'static str,
        path: &Path,
        span: &Range<usize>,
    ) -> Result<(), TestFileError> {
        let root = project_root(folder);
        // A missing file: its folder's real location (the read that
        // follows reports it missing); a missing folder: nothing to check.
        let real = path
            .canonicalize()
            .or_else(|e| match (path.parent(), path.file_name()) {
                (Some(parent), Some(name)) => {
                    let parent = if parent.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        parent
                    };
                    parent.canonicalize().map(|p| p.join(name))
                }
                _ => Err(e),
            });
        let Ok(real) = real else {
            return Ok(());
        };
        let inside = root
            .canonicalize()
            .is_ok_and(|real_root| real.starts_with(real_root));
        if inside {
            Ok(())
        } else {
            Err(self.error(
                span.clone(),
                Problem::OutsideRoot {
                    key,
                    path: path.display().to_string(),
                    root: root.display().to_string(),
                },
            ))
        }
    }
}
