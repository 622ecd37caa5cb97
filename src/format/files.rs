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
