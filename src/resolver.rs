//! Where subscripts come from: a `RunSub` names a script, and the engine's
//! resolver supplies its text when the calling script compiles.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

/// A subscript's text and the name it compiles under (its path, for files).
///
/// ```
/// let s = studioflow::ResolvedScript { name: "lookup.script".into(), source: "start: Begin".into() };
/// assert_eq!(s.name, "lookup.script");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedScript {
    /// The name the subscript compiles under: diagnostics and traces show it,
    /// and two RunSubs that resolve to the same name share one compiled script.
    pub name: String,
    /// Its source text.
    pub source: String,
}

/// Why a subscript could not be supplied.
///
/// ```
/// let e = studioflow::ResolveError::NotFound { name: "x".into(), looked_for: "x.script".into() };
/// assert_eq!(e.to_string(), "subscript `x` not found (looked for x.script)");
/// ```
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// Nothing by that name.
    #[error("subscript `{name}` not found (looked for {looked_for})")]
    NotFound {
        /// The ScriptName as written.
        name: String,
        /// Where the resolver looked.
        looked_for: String,
    },
    /// The name leads outside the project root.
    #[error("subscript `{name}` is outside the project root {root}")]
    OutsideRoot {
        /// The ScriptName as written.
        name: String,
        /// The root.
        root: String,
    },
    /// The engine has no resolver.
    #[error(
        "subscript `{name}`: this engine has no script resolver (EngineBuilder::script_resolver)"
    )]
    NoResolver {
        /// The ScriptName as written.
        name: String,
    },
    /// Reading failed.
    #[error("subscript `{name}`: {message}")]
    Read {
        /// The ScriptName as written.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Supplies the scripts that `RunSub` actions name.
///
/// `name` is the ScriptName as written; `caller` is the name the calling
/// script compiles under (a path for files), so names can be relative to it.
///
/// ```
/// use studioflow::{Engine, MemoryResolver, RunOptions};
/// let mut scripts = MemoryResolver::default();
/// scripts.insert("double", "start: Begin { Default -> r }\nr: Return { ReturnValue = p1 * 2 }");
/// let engine = Engine::builder().script_resolver(scripts).build();
/// let main = engine.compile(
///     "start: Begin { Default -> call }\ncall: RunSub { ScriptName = \"double\" Parameters = [21] ReturnVariable = Answer }",
///     "main",
/// ).unwrap();
/// assert_eq!(engine.run(&main, RunOptions::default()).variables["Answer"].to_text(), "42");
/// ```
pub trait ScriptResolver: Send + Sync {
    /// The script `name`, as seen from `caller`.
    fn resolve(&self, name: &str, caller: &str) -> Result<ResolvedScript, ResolveError>;
}

/// Scripts held in memory by name (for hosts and tests).
///
/// ```
/// use studioflow::{MemoryResolver, ScriptResolver};
/// let mut r = MemoryResolver::default();
/// r.insert("a", "start: Begin");
/// assert_eq!(r.resolve("a", "main").unwrap().source, "start: Begin");
/// assert!(r.resolve("b", "main").is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryResolver {
    scripts: HashMap<String, String>,
}

impl MemoryResolver {
    /// Adds (or replaces) a script.
    ///
    /// ```
    /// let mut r = studioflow::MemoryResolver::default();
    /// r.insert("lookup", "start: Begin");
    /// ```
    pub fn insert(&mut self, name: impl Into<String>, source: impl Into<String>) {
        self.scripts.insert(name.into(), source.into());
    }
}

impl ScriptResolver for MemoryResolver {
    fn resolve(&self, name: &str, _caller: &str) -> Result<ResolvedScript, ResolveError> {
        self.scripts
            .get(name)
            .map(|source| ResolvedScript {
                name: name.to_string(),
                source: source.clone(),
            })
            .ok_or_else(|| ResolveError::NotFound {
                name: name.to_string(),
                looked_for: "the in-memory scripts".into(),
            })
    }
}

/// Reads `<name>.script` relative to the calling script's folder (subfolders
/// allowed), never outside the project root: the folder holding
/// `studioflow.toml` (searched upward from the caller), else the caller's
/// own folder.
///
/// ```
/// use studioflow::{FileResolver, ScriptResolver};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("shared")).unwrap();
/// std::fs::write(dir.path().join("shared/lookup.script"), "start: Begin").unwrap();
/// let caller = dir.path().join("main.script");
/// let r = FileResolver::new(1 << 20);
/// let found = r.resolve("shared/lookup", caller.to_str().unwrap()).unwrap();
/// assert_eq!(found.source, "start: Begin");
/// assert!(r.resolve("../elsewhere", caller.to_str().unwrap()).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct FileResolver {
    max_bytes: u64,
}

impl FileResolver {
    /// A resolver reading files of at most `max_bytes`.
    ///
    /// ```
    /// let _ = studioflow::FileResolver::new(16 << 20);
    /// ```
    pub fn new(max_bytes: u64) -> Self {
        FileResolver { max_bytes }
    }

    pub(crate) fn root_for(folder: &Path) -> PathBuf {
        let mut dir = Some(folder);
        while let Some(d) = dir {
            if d.join("studioflow.toml").is_file() {
                // `Path::new("scripts").parent()` is the empty path: the current folder.
                return if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d.to_path_buf()
                };
            }
            dir = d.parent();
        }
        folder.to_path_buf()
    }
}

impl ScriptResolver for FileResolver {
    fn resolve(&self, name: &str, caller: &str) -> Result<ResolvedScript, ResolveError> {
        let folder = Path::new(caller)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let root = Self::root_for(folder);
        let outside = || ResolveError::OutsideRoot {
            name: name.to_string(),
            root: root.display().to_string(),
        };
        let relative = Path::new(name);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(outside());
        }
        let file_name = if name.ends_with(".script") {
            name.to_string()
        } else {
            format!("{name}.script")
        };
        let path = folder.join(&file_name);
        let not_found = || ResolveError::NotFound {
            name: name.to_string(),
            looked_for: path.display().to_string(),
        };
        // Compare real paths, so neither `..` nor a symlink leads out.
        let real = path.canonicalize().map_err(|_| not_found())?;
        let real_root = root.canonicalize().map_err(|_| not_found())?;
        if !real.starts_with(&real_root) {
            return Err(outside());
        }
        let source =
            crate::files::read_text(&real, self.max_bytes).map_err(|e| ResolveError::Read {
                name: name.to_string(),
                message: e.to_string(),
            })?;
        Ok(ResolvedScript {
            name: path.display().to_string(),
            source,
        })
    }
}
