//! Which files `fmt` formats: `*.script` under the given paths, minus
//! exclusions from `--exclude GLOB` and the `[fmt] exclude` list of the
//! project's `studioflow.toml`.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Why the exclusions could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExcludeError {
    /// A pattern is not a valid glob.
    #[error("{origin}: {pattern:?} is not a valid glob: {message}")]
    BadGlob {
        /// Where the pattern came from (`--exclude` or the manifest's path).
        origin: String,
        /// The pattern.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// The manifest cannot be read or is not valid TOML of the expected shape.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest.
        path: String,
        /// What is wrong (with line and column for TOML errors).
        message: String,
    },
}

/// Glob patterns (`*`, `**`, `?`, `[...]`) matched against a file's path
/// relative to a root folder, with `/` separators.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    sets: Vec<(PathBuf, GlobSet)>,
}

impl Exclusions {
    /// Adds patterns matched relative to `root`.
    pub fn add(
        &mut self,
        root: &Path,
        origin: &str,
        patterns: &[String],
    ) -> Result<(), ExcludeError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(pattern).map_err(|e| ExcludeError::BadGlob {
                origin: origin.to_string(),
                pattern: pattern.clone(),
                message: e.kind().to_string(),
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| ExcludeError::BadGlob {
            origin: origin.to_string(),
            pattern: patterns.join(", "),
            message: e.to_string(),
        })?;
        let root = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root
        };
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        self.sets.push((root, set));
        Ok(())
    }

    /// Adds the `[fmt] exclude` list of the project manifest
    /// (`studioflow.toml`, found walking up from `start`), matched relative
    /// to the manifest's folder. Returns the manifest's path, if any.
    pub fn add_manifest(&mut self, start: &Path) -> Result<Option<PathBuf>, ExcludeError> {
        let manifest =
            crate::manifest::Manifest::find(start).map_err(|e| ExcludeError::Manifest {
                path: e.path.display().to_string(),
                message: e.to_string(),
            })?;
        let Some(manifest) = manifest else {
            return Ok(None);
        };
        let origin = manifest.path().display().to_string();
        self.add(manifest.root(), &origin, manifest.fmt_exclude())?;
        Ok(Some(manifest.path().to_path_buf()))
    }

    /// True when some pattern matches the file.
    pub fn excludes(&self, file: &Path) -> bool {
        let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        self.sets.iter().any(|(root, set)| {
            file.strip_prefix(root).is_ok_and(|relative| {
                let text = relative.to_string_lossy().replace('\\', "/");
                set.is_match(&text)
            })
        })
    }
}

/// The `*.script` files under `paths` (files given by name are always
/// taken; folders are searched recursively, in name order, without
/// following symbolic links), minus the exclusions.
pub fn script_files(paths: &[PathBuf], exclusions: &Exclusions) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path)?;
        if meta.is_dir() {
            walk(path, exclusions, &mut found)?;
        } else if !exclusions.excludes(path) {
            found.push(path.clone());
        }
    }
    Ok(found)
}

fn walk(folder: &Path, exclusions: &Exclusions, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(folder)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let hidden = name.to_string_lossy().starts_with('.');
        if kind.is_dir() && !hidden && name != "target" {
            if !exclusions.excludes(&path) {
                walk(&path, exclusions, found)?;
            }
        } else if kind.is_file()
            && path.extension().is_some_and(|x| x == "script")
            && !exclusions.excludes(&path)
        {
            found.push(path);
        }
    }
    Ok(())
}

/// A script file as `fmt` read it: its text, and the open file, so that
/// [`ScriptFile::replace`] can refuse to write over an edit made meanwhile
/// (the check `run --save` makes on a tenant file).
///
/// ```
/// use studioflow::format::{ReplaceError, ScriptFile};
/// let dir = std::env::temp_dir().join(format!("studioflow-doc-scriptfile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("flow.script");
/// std::fs::write(&path, "start:Begin").unwrap();
///
/// let file = ScriptFile::read(&path, 1 << 20).unwrap();
/// assert_eq!(file.text(), "start:Begin");
/// std::fs::write(&path, "start:Begin // edited meanwhile").unwrap();
/// assert!(matches!(file.replace(b"start: Begin\n"), Err(ReplaceError::Changed { .. })));
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "start:Begin // edited meanwhile");
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct ScriptFile {
    path: PathBuf,
    handle: std::fs::File,
    text: String,
}

/// Why [`ScriptFile::replace`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    /// The file changed (was edited or replaced) since it was read.
    #[error("{}: the file changed while it was being formatted; not written (run fmt again)", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be written.
    #[error(transparent)]
    File(#[from] crate::files::FileError),
}

impl ScriptFile {
    /// Reads the regular UTF-8 file at `path` (at most `max_bytes` bytes).
    ///
    /// # Errors
    /// What [`crate::files::read_text`] reports.
    pub fn read(path: &Path, max_bytes: u64) -> Result<Self, crate::files::FileError> {
        let (handle, metadata) = crate::files::open_regular(path)?;
        let bytes = crate::files::read_open(path, &handle, &metadata, max_bytes)?;
        let text = crate::files::bytes_to_text(path, bytes)?;
        Ok(ScriptFile {
            path: path.to_path_buf(),
            handle,
            text,
        })
    }

    /// The text as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Replaces the file with `bytes`, atomically
    /// ([`crate::files::write_atomically`]), unless it no longer holds the
    /// text read (or `path` names another file now).
    ///
    /// # Errors
    /// [`ReplaceError::Changed`], with nothing written; the errors of
    /// [`crate::files::write_atomically`].
    pub fn replace(&self, bytes: &[u8]) -> Result<(), ReplaceError> {
        if !crate::files::still_holds(&self.path, &self.handle, self.text.as_bytes()) {
            return Err(ReplaceError::Changed {
                path: self.path.clone(),
            });
        }
        crate::files::write_atomically(&self.path, bytes)?;
        Ok(())
    }
}
