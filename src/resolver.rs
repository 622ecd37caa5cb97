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
/// own folder. Without `NAME.script`, a Studio file `NAME.json`, else
/// `NAME.xml`, is imported (as `studioflow import` does); a name written
/// with one of these extensions is that file. A backslash separates
/// folders, as in Studio's paths.
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
///
/// // A Studio file is found when no `.script` of that name exists.
/// std::fs::write(dir.path().join("shared/fetch.json"),
///     r#"{"actions": {"1": {"name": "BEGIN", "label": "go"}}}"#).unwrap();
/// let found = r.resolve("shared\\fetch", caller.to_str().unwrap()).unwrap();
/// assert!(found.name.ends_with("fetch.json"));
/// assert!(found.source.contains("go: Begin"));
/// let e = r.resolve("nothing", caller.to_str().unwrap()).unwrap_err();
/// assert!(e.to_string().contains("nothing.script, "), "{e}");
/// assert!(e.to_string().ends_with("nothing.xml)"), "{e}");
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
        // Studio writes folder paths with backslashes (`Support\Lookup`).
        let name_path = name.replace('\\', "/");
        let relative = Path::new(&name_path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        {
            return Err(outside());
        }
        // A name with its extension is that file; a bare name is the first of
        // NAME.script, NAME.json, NAME.xml that exists.
        let candidates: Vec<PathBuf> = if has_extension(&name_path) {
            vec![folder.join(&name_path)]
        } else {
            SUBSCRIPT_EXTENSIONS
                .iter()
                .map(|x| folder.join(format!("{name_path}.{x}")))
                .collect()
        };
        let not_found = || ResolveError::NotFound {
            name: name.to_string(),
            looked_for: looked_for(&candidates),
        };
        let path = candidates
            .iter()
            .find(|p| p.exists())
            .ok_or_else(not_found)?;
        // Compare real paths, so neither `..` nor a symlink leads out.
        let real = path.canonicalize().map_err(|_| not_found())?;
        let real_root = root.canonicalize().map_err(|_| not_found())?;
        if !real.starts_with(&real_root) {
            return Err(outside());
        }
        let read_error = |message: String| ResolveError::Read {
            name: name.to_string(),
            message,
        };
        let source = match crate::studio::StudioFormat::of_path(path) {
            None => crate::files::read_text(&real, self.max_bytes)
                .map_err(|e| read_error(e.to_string()))?,
            // A Studio file is imported as `studioflow import` imports it
            // (its warnings are `import`'s and `check FILE`'s to show).
            Some(format) => {
                let bytes = crate::files::read_bytes(&real, self.max_bytes)
                    .map_err(|e| read_error(e.to_string()))?;
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                crate::studio::import_bytes(&bytes, format, &stem)
                    .map_err(|e| read_error(format!("{}: {e}", path.display())))?
                    .text
            }
        };
        Ok(ResolvedScript {
            name: path.display().to_string(),
            source,
        })
    }
}

/// What a bare subscript name is looked for as, in this order.
const SUBSCRIPT_EXTENSIONS: [&str; 3] = ["script", "json", "xml"];

/// Whether a subscript name ends in one of [`SUBSCRIPT_EXTENSIONS`] (in any
/// case, as Studio names are case-insensitive).
fn has_extension(name: &str) -> bool {
    Path::new(name)
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| {
            SUBSCRIPT_EXTENSIONS
                .iter()
                .any(|e| x.eq_ignore_ascii_case(e))
        })
}

/// `a.script`, `a.script or a.json`, `a.script, a.json or a.xml`.
fn looked_for(candidates: &[PathBuf]) -> String {
    let names: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}
