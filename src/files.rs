//! Safe file input and output for everything studioflow reads or writes:
//! scripts, tenant files, test files, reports, formatted sources.
//!
//! - [`read_text`] / [`read_bytes`]: read an input file with a size bound,
//!   refusing anything that is not a regular file (a directory, `/dev/urandom`,
//!   a FIFO) before reading a byte of it.
//! - [`write_atomically`]: replace a file so that readers see either the old
//!   or the new content, never half of it, and never write over something
//!   that is not a regular file.
//!
//! Every error is a [`FileError`] that names the path the user gave.
//!
//! ```
//! use studioflow::files;
//!
//! let folder = std::env::temp_dir().join(format!("studioflow-doc-files-{}", std::process::id()));
//! std::fs::create_dir_all(&folder).unwrap();
//! let path = folder.join("notes.txt");
//! files::write_atomically(&path, b"hello\n").unwrap();
//! assert_eq!(files::read_text(&path, files::DEFAULT_MAX_INPUT_BYTES).unwrap(), "hello\n");
//!
//! // Too large for the bound: refused before reading.
//! let e = files::read_text(&path, 3).unwrap_err();
//! assert!(matches!(e, files::FileError::TooLarge { size: 6, max: 3, .. }), "{e}");
//! // A folder is not an input file.
//! let e = files::read_text(&folder, 1024).unwrap_err();
//! assert_eq!(e.to_string(), format!("{}: not a regular file (a directory)", folder.display()));
//! std::fs::remove_dir_all(&folder).unwrap();
//! ```
//!
//! # How [`write_atomically`] works
//!
//! 1. The target is resolved: a symbolic link is followed (up to 40 links) to
//!    the file it names, so the real file is replaced and the link stays a
//!    link. An existing target that is not a regular file (a directory, a
//!    device such as `/dev/null`, a FIFO, a socket) is refused, and so is a
//!    read-only one (no write permission bit set: refused even for root).
//! 2. The bytes go to a temporary file in the target's folder, named
//!    `.<name>.studioflow-<pid>-<n>.tmp`, which the writer holds an exclusive
//!    lock on while it exists. They are flushed to disk (`fsync`), the
//!    temporary file gets the existing target's permissions (and, on Unix,
//!    its owner where allowed), and is renamed over the target; the folder is
//!    synced too.
//! 3. On every failure the temporary file is removed. A process killed
//!    between creating and renaming it leaves it behind: the next save to the
//!    same target removes every `.<name>.studioflow-*.tmp` in that folder that
//!    no live writer holds locked (the lock dies with its process), so stale
//!    files never accumulate. They are also easy to find by that pattern.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The default bound on an input file (scripts, tenant files, test files): 64 MiB.
///
/// Large enough for a tenant of a few hundred thousand agents; small enough
/// that a mistaken `--directory /dev/zero`-style argument or a runaway
/// generated file is refused instead of filling memory. The command line
/// changes it with `--max-file-size`.
///
/// ```
/// assert_eq!(studioflow::files::DEFAULT_MAX_INPUT_BYTES, 64 * 1024 * 1024);
/// ```
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// How many symbolic links [`write_atomically`] follows before giving up (as Linux does).
const MAX_SYMLINK_HOPS: usize = 40;

/// A file that cannot be read or written. Every variant names the path the caller gave.
///
/// ```
/// let e = studioflow::files::read_text(std::path::Path::new("/no/such/file.script"), 1024).unwrap_err();
/// assert_eq!(e.path(), std::path::Path::new("/no/such/file.script"));
/// assert!(e.to_string().starts_with("/no/such/file.script: cannot read: "), "{e}");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// An operating-system call failed.
    #[error("{}: cannot {operation}: {source}", path.display())]
    Io {
        /// The file the caller named.
        path: PathBuf,
        /// What was being done, e.g. `read` or `create a temporary file in /tmp/x`.
        operation: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The path names something other than a regular file.
    #[error("{}: not a regular file ({kind})", path.display())]
    NotRegularFile {
        /// The file the caller named.
        path: PathBuf,
        /// What it is instead: `a directory`, `a character device`, `a FIFO`, ...
        kind: &'static str,
    },
    /// An input file is over the size bound.
    #[error("{}: the file has {size} bytes, over the limit of {max} bytes", path.display())]
    TooLarge {
        /// The file the caller named.
        path: PathBuf,
        /// Its size in bytes (at least `max + 1` when it grew while being read).
        size: u64,
        /// The bound.
        max: u64,
    },
    /// An input file is not UTF-8 text.
    #[error("{}: not a UTF-8 text file (invalid byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The file the caller named.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The target of a write exists and is read-only.
    #[error("{}: the file is read-only; not replaced", path.display())]
    ReadOnly {
        /// The file the caller named.
        path: PathBuf,
    },
    /// An output would replace a file the same command reads (the same
    /// device and inode, whatever the path or link that names it).
    #[error("{}: is the input {} of this command; refusing to overwrite it", path.display(), input.display())]
    IsAnInput {
        /// The output the caller named.
        path: PathBuf,
        /// The input it is the same file as, as the caller named it.
        input: PathBuf,
    },
    /// The path has no file name (`/`, `..`, an empty path) or its symbolic
    /// links do not end at a file.
    #[error("{}: not a file path ({reason})", path.display())]
    NotAFilePath {
        /// The path the caller gave.
        path: PathBuf,
        /// Why.
        reason: &'static str,
    },
}

impl FileError {
    /// The path the caller gave.
    ///
    /// ```
    /// let e = studioflow::files::write_atomically(std::path::Path::new("/no/such/dir/out.json"), b"{}").unwrap_err();
    /// assert_eq!(e.path(), std::path::Path::new("/no/such/dir/out.json"));
    /// ```
    pub fn path(&self) -> &Path {
        match self {
            FileError::Io { path, .. }
            | FileError::NotRegularFile { path, .. }
            | FileError::TooLarge { path, .. }
            | FileError::NotUtf8 { path, .. }
            | FileError::ReadOnly { path }
            | FileError::IsAnInput { path, .. }
            | FileError::NotAFilePath { path, .. } => path,
        }
    }

    /// What went wrong, without the path the message starts with (for
    /// messages that name the file elsewhere).
    pub(crate) fn reason(&self) -> String {
        let text = self.to_string();
        let prefix = format!("{}: ", self.path().display());
        text.strip_prefix(&prefix)
            .map_or(text.clone(), str::to_string)
    }

    fn io(path: &Path, operation: impl Into<String>) -> impl FnOnce(io::Error) -> FileError {
        let path = path.to_owned();
        let operation = operation.into();
        move |source| FileError::Io {
            path,
            operation,
            source,
        }
    }
}

/// What a non-regular file is, in words for an error message.
fn kind_of(metadata: &Metadata) -> &'static str {
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    if file_type.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Opens `path` for reading without blocking on a FIFO, and checks on the
/// open handle (so a swap after the check cannot fool it) that it is a
/// regular file.
pub(crate) fn open_regular(path: &Path) -> Result<(File, Metadata), FileError> {
    // Refuse before opening: opening a FIFO or a device can block or have effects.
    let before = fs::metadata(path).map_err(FileError::io(path, "read"))?;
    if !before.is_file() {
        return Err(FileError::NotRegularFile {
            path: path.to_owned(),
            kind: kind_of(&before),
        });
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(FileError::io(path, "read"))?;
    let metadata = file.metadata().map_err(FileError::io(path, "read"))?;
    if !metadata.is_file() {
        return Err(FileError::NotRegularFile {
            path: path.to_owned(),
            kind: kind_of(&metadata),
        });
    }
    Ok((file, metadata))
}

/// Reads at most `max` bytes from an open regular file; more is [`FileError::TooLarge`].
pub(crate) fn read_open(
    path: &Path,
    reader: impl Read,
    metadata: &Metadata,
    max: u64,
) -> Result<Vec<u8>, FileError> {
    if metadata.len() > max {
        return Err(FileError::TooLarge {
            path: path.to_owned(),
            size: metadata.len(),
            max,
        });
    }
    // The file may grow between the check and the read: read one byte past the bound.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileError::io(path, "read"))?;
    let read = bytes.len() as u64;
    if read > max {
        return Err(FileError::TooLarge {
            path: path.to_owned(),
            size: read,
            max,
        });
    }
    Ok(bytes)
}

/// Reads a regular file of at most `max_bytes` bytes.
///
/// Refuses a directory, a device, a FIFO or a socket (without opening it in
/// a way that could block), and a file over the bound (without reading more
/// than `max_bytes + 1` bytes, even if it grows meanwhile).
///
/// ```
/// let e = studioflow::files::read_bytes(std::path::Path::new("/dev/urandom"), 1024).unwrap_err();
/// assert_eq!(e.to_string(), "/dev/urandom: not a regular file (a character device)");
/// ```
pub fn read_bytes(path: &Path, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    let (file, metadata) = open_regular(path)?;
    read_open(path, file, &metadata, max_bytes)
}

/// Reads a regular UTF-8 text file of at most `max_bytes` bytes (see [`read_bytes`]).
///
/// ```
/// let path = std::env::temp_dir().join(format!("studioflow-doc-latin1-{}", std::process::id()));
/// std::fs::write(&path, b"caf\xe9").unwrap();
/// let e = studioflow::files::read_text(&path, 1024).unwrap_err();
/// assert!(e.to_string().ends_with("not a UTF-8 text file (invalid byte at offset 3)"), "{e}");
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String, FileError> {
    bytes_to_text(path, read_bytes(path, max_bytes)?)
}

pub(crate) fn bytes_to_text(path: &Path, bytes: Vec<u8>) -> Result<String, FileError> {
    String::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        path: path.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Where a write to `path` really lands: symbolic links followed to the end.
/// Returns the final path and the metadata of an existing regular file there
/// (`None` when the file does not exist yet).
fn resolve_target(path: &Path) -> Result<(PathBuf, Option<Metadata>), FileError> {
    let mut current = path.to_owned();
    for hop in 0..=MAX_SYMLINK_HOPS {
        let metadata = match fs::symlink_metadata(&current) {
            // A link to nothing: writing through it would create a file
            // somewhere the user never named (refused, as a dangling link
            // is more often a mistake than an invitation).
            Err(e) if e.kind() == io::ErrorKind::NotFound && hop > 0 => {
                return Err(FileError::NotAFilePath {
                    path: path.to_owned(),
                    reason: "a symbolic link to a file that does not exist",
                });
            }
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((current, None)),
            // `file.txt/out.html`: say so rather than "os error 20".
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                return Err(FileError::NotAFilePath {
                    path: path.to_owned(),
                    reason: "its folder is not a directory",
                });
            }
            Err(e) => return Err(FileError::io(path, "inspect the target")(e)),
        };
        if metadata.file_type().is_symlink() {
            let link = fs::read_link(&current).map_err(FileError::io(path, "read the link"))?;
            current = match current.parent() {
                Some(parent) if link.is_relative() => parent.join(link),
                _ => link,
            };
            continue;
        }
        if !metadata.is_file() {
            return Err(FileError::NotRegularFile {
                path: path.to_owned(),
                kind: kind_of(&metadata),
            });
        }
        if metadata.permissions().readonly() {
            return Err(FileError::ReadOnly {
                path: path.to_owned(),
            });
        }
        return Ok((current, Some(metadata)));
    }
    Err(FileError::NotAFilePath {
        path: path.to_owned(),
        reason: "too many levels of symbolic links",
    })
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The prefix and suffix of a target's temporary files: `.<name>.studioflow-` … `.tmp`.
fn temp_affixes(file_name: &str) -> (String, &'static str) {
    (format!(".{file_name}.studioflow-"), ".tmp")
}

/// Removes temporary files of `file_name` in `folder` that no live writer holds.
///
/// A writer locks its temporary file for as long as it exists, and the lock
/// dies with the process: a file whose lock can be taken is stale.
fn remove_stale_temporaries(folder: &Path, file_name: &str) {
    let (prefix, suffix) = temp_affixes(file_name);
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(&prefix) && name.ends_with(suffix)) {
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = OpenOptions::new().read(true).open(entry.path()) else {
            continue;
        };
        if fs4::FileExt::try_lock(&file).is_ok() {
            // Held by us now, so no writer is using it. A writer that created
            // it but had not locked it yet notices the removal (see `create_temporary`).
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Creates and locks a fresh temporary file for `file_name` in `folder`;
/// `private`: readable by the owner only until its permissions are set.
fn create_temporary(
    path: &Path,
    folder: &Path,
    file_name: &str,
    private: bool,
) -> Result<(PathBuf, File), FileError> {
    let (prefix, suffix) = temp_affixes(file_name);
    // A few attempts: another process's stale-file cleanup may remove ours
    // between creating and locking it (then the path no longer names our file).
    for _ in 0..8 {
        let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = folder.join(format!("{prefix}{}-{counter}{suffix}", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let file = match options.open(&temp) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                let operation = format!("create a temporary file in {}", folder.display());
                return Err(FileError::io(path, operation)(e));
            }
        };
        if let Err(e) = fs4::FileExt::lock(&file) {
            drop(file);
            let _ = fs::remove_file(&temp);
            return Err(FileError::io(path, "lock the temporary file")(e));
        }
        if same_file(&file, &temp) {
            return Ok((temp, file));
        }
    }
    Err(FileError::Io {
        path: path.to_owned(),
        operation: format!("create a temporary file in {}", folder.display()),
        source: io::Error::other("it kept disappearing (another process removing it?)"),
    })
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
pub(crate) fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` still names the open `file` (without inode numbers: it exists).
#[cfg(not(unix))]
pub(crate) fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Whether the open `handle` still holds `loaded` (read through the handle:
/// an in-place edit shows there) and `path` still names it (a replacement
/// shows there): the check before writing over a file that was read, so a
/// change made meanwhile by someone else is not lost (`run --save`, `fmt`).
pub(crate) fn still_holds(path: &Path, handle: &File, loaded: &[u8]) -> bool {
    let mut handle = handle;
    let Ok(metadata) = handle.metadata() else {
        return false;
    };
    if !same_file(handle, path) || handle.seek(io::SeekFrom::Start(0)).is_err() {
        return false;
    }
    read_open(path, handle, &metadata, loaded.len() as u64).is_ok_and(|now| now == loaded)
}

/// Replaces (or creates) the regular file at `path` with `bytes`, atomically.
///
/// Readers see the old content or the new, never a mix; a crash leaves the
/// old file intact. Symbolic links are followed (the file they name is
/// replaced; the link stays). An existing file's permissions are kept. A
/// target that exists but is not a regular file, or is read-only, is refused
/// and left untouched. Errors name `path`, never the temporary file. See the
/// [module documentation](self) for the temporary files and their cleanup.
///
/// ```
/// use studioflow::files::{write_atomically, FileError};
/// // A folder (like /dev/null, a FIFO or a socket) is refused and left as it is.
/// let folder = std::env::temp_dir();
/// let e = write_atomically(&folder, b"x").unwrap_err();
/// assert!(matches!(e, FileError::NotRegularFile { kind: "a directory", .. }), "{e}");
/// assert!(folder.is_dir());
/// ```
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomically_as(path, bytes, false)
}

/// [`write_atomically`] for a file only its owner may read or write (mode
/// 0600 on Unix, whatever the umask or the file it replaces): a paused run
/// holds a caller's variables.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("call.pause");
/// studioflow::files::write_privately(&path, b"secret").unwrap();
/// #[cfg(unix)]
/// {
///     use std::os::unix::fs::PermissionsExt;
///     assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
/// }
/// ```
pub fn write_privately(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomically_as(path, bytes, true)
}

fn write_atomically_as(path: &Path, bytes: &[u8], private: bool) -> Result<(), FileError> {
    let (target, existing) = resolve_target(path)?;
    let Some(file_name) = target.file_name().and_then(|name| name.to_str()) else {
        return Err(FileError::NotAFilePath {
            path: path.to_owned(),
            reason: "no file name, or not valid Unicode",
        });
    };
    let file_name = file_name.to_owned();
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&folder) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => {
            return Err(FileError::NotAFilePath {
                path: path.to_owned(),
                reason: "its folder is not a directory",
            })
        }
        Err(e) => {
            let operation = format!("use the folder {}", folder.display());
            return Err(FileError::io(path, operation)(e));
        }
    }
    remove_stale_temporaries(&folder, &file_name);

    let (temp, mut file) = create_temporary(path, &folder, &file_name, existing.is_some())?;
    let result = (|| {
        // Before a byte is written: a 0600 file's content is never readable
        // through a looser temporary file.
        if let Some(metadata) = &existing {
            keep_owner_and_permissions(&file, metadata)
                .map_err(FileError::io(path, "copy the file's permissions"))?;
        }
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(FileError::io(path, "make the file private"))?;
        }
        #[cfg(not(unix))]
        let _ = private;
        file.write_all(bytes)
            .map_err(FileError::io(path, "write the temporary file"))?;
        file.sync_all()
            .map_err(FileError::io(path, "flush the temporary file"))?;
        fs::rename(&temp, &target).map_err(FileError::io(path, "replace the file"))
    })();
    drop(file);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
        return result;
    }
    // Persist the rename itself; not every platform can sync a folder.
    if let Ok(folder_handle) = File::open(&folder) {
        let _ = folder_handle.sync_all();
    }
    Ok(())
}

/// Refuses an output that is the same file as one of the command's inputs.
///
/// Files are compared by device and inode (on Unix; by canonical path
/// elsewhere), so neither another spelling of the path nor a symbolic or
/// hard link slips through. An output that does not exist yet is never an
/// input; an input that cannot be inspected is skipped (its read reports it).
///
/// ```
/// use studioflow::files::{refuse_overwriting_inputs, FileError};
/// let dir = tempfile::tempdir().unwrap();
/// let script = dir.path().join("flow.script");
/// std::fs::write(&script, "start: Begin").unwrap();
/// let same = dir.path().join(".").join("flow.script");
/// let e = refuse_overwriting_inputs(&same, [script.as_path()]).unwrap_err();
/// assert!(matches!(e, FileError::IsAnInput { .. }), "{e}");
/// assert!(refuse_overwriting_inputs(&dir.path().join("report.html"), [script.as_path()]).is_ok());
/// ```
pub fn refuse_overwriting_inputs<'a>(
    output: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<(), FileError> {
    let Some(out) = file_identity(output) else {
        return Ok(());
    };
    for input in inputs {
        if file_identity(input).as_ref() == Some(&out) {
            return Err(FileError::IsAnInput {
                path: output.to_owned(),
                input: input.to_owned(),
            });
        }
    }
    Ok(())
}

/// What makes two paths the same file: device and inode on Unix.
#[cfg(unix)]
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// What makes two paths the same file: the canonical path elsewhere.
#[cfg(not(unix))]
fn file_identity(path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok()
}

/// Gives the temporary file the replaced file's permission bits and (on
/// Unix, where the process may) its owner and group.
fn keep_owner_and_permissions(file: &File, existing: &Metadata) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Only root may give a file away; for anyone else the owner is already theirs.
        let _ = std::os::unix::fs::fchown(file, Some(existing.uid()), Some(existing.gid()));
    }
    file.set_permissions(existing.permissions())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn folder() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn is_link(path: &Path) -> bool {
        fs::symlink_metadata(path).unwrap().file_type().is_symlink()
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn refuses_non_regular_inputs_without_blocking() {
        let dir = folder();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = read_text(&fifo, 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: not a regular file (a FIFO)", fifo.display())
        );
        let e = read_text(dir.path(), 10).unwrap_err();
        assert!(matches!(
            e,
            FileError::NotRegularFile {
                kind: "a directory",
                ..
            }
        ));
        let e = read_bytes(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(matches!(
            e,
            FileError::NotRegularFile {
                kind: "a character device",
                ..
            }
        ));
    }

    #[test]
    fn bounds_input_size() {
        let dir = folder();
        let path = dir.path().join("big.script");
        fs::write(&path, vec![b'x'; 1001]).unwrap();
        assert_eq!(read_bytes(&path, 1001).unwrap().len(), 1001);
        let e = read_bytes(&path, 1000).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::TooLarge {
                    size: 1001,
                    max: 1000,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn refuses_non_regular_targets_and_leaves_them_alone() {
        let dir = folder();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let e = write_atomically(&sub, b"x").unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotRegularFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{e}"
        );
        assert!(sub.is_dir());
        let fifo = dir.path().join("pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let e = write_atomically(&fifo, b"x").unwrap_err();
        assert!(
            matches!(e, FileError::NotRegularFile { kind: "a FIFO", .. }),
            "{e}"
        );
        // A symbolic link to /dev/null is refused too, and stays a link.
        let link = dir.path().join("null-link");
        symlink("/dev/null", &link).unwrap();
        let e = write_atomically(&link, b"x").unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotRegularFile {
                    kind: "a character device",
                    ..
                }
            ),
            "{e}"
        );
        assert!(is_link(&link));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn writes_through_symlinks_and_keeps_permissions() {
        let dir = folder();
        let real = dir.path().join("real.json");
        fs::write(&real, b"old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.json");
        symlink("real.json", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(is_link(&link));
        assert_eq!(fs::read(&real).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn refuses_a_dangling_symlink_as_a_target() {
        // Issue 17 item 14: writing through it created the file it names.
        let dir = folder();
        let link = dir.path().join("out.html");
        let nowhere = dir.path().join("elsewhere.html");
        symlink(&nowhere, &link).unwrap();
        let e = write_atomically(&link, b"x").unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotAFilePath {
                    reason: "a symbolic link to a file that does not exist",
                    ..
                }
            ),
            "{e}"
        );
        assert!(!nowhere.exists());
        assert!(is_link(&link));
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn an_output_over_an_input_is_refused_through_links() {
        // Issue 17 item 8.
        let dir = folder();
        let input = dir.path().join("flow.script");
        fs::write(&input, b"start: Begin").unwrap();
        let soft = dir.path().join("soft.script");
        symlink("flow.script", &soft).unwrap();
        let hard = dir.path().join("hard.script");
        fs::hard_link(&input, &hard).unwrap();
        for output in [&input, &soft, &hard] {
            let e = refuse_overwriting_inputs(output, [input.as_path()]).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "{}: is the input {} of this command; refusing to overwrite it",
                    output.display(),
                    input.display()
                )
            );
        }
        let other = dir.path().join("other.script");
        fs::write(&other, b"x").unwrap();
        assert!(refuse_overwriting_inputs(&other, [input.as_path()]).is_ok());
        assert!(refuse_overwriting_inputs(&dir.path().join("new.html"), [input.as_path()]).is_ok());
    }

    #[test]
    fn refuses_read_only_targets() {
        let dir = folder();
        let path = dir.path().join("locked.json");
        fs::write(&path, b"keep").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        let e = write_atomically(&path, b"new").unwrap_err();
        assert!(matches!(e, FileError::ReadOnly { .. }), "{e}");
        assert_eq!(fs::read(&path).unwrap(), b"keep");
    }

    #[test]
    fn errors_name_the_target_not_the_temporary_file() {
        let e = write_atomically(Path::new("/nonexistent/dir/out.json"), b"x").unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("/nonexistent/dir/out.json: cannot use the folder /nonexistent/dir: "),
            "{text}"
        );
        assert!(!text.contains(".tmp"), "{text}");
    }

    #[test]
    fn removes_stale_temporaries_but_not_live_ones() {
        let dir = folder();
        let path = dir.path().join("tenant.json");
        // A killed writer's leftover: nobody holds its lock.
        let stale = dir.path().join(".tenant.json.studioflow-999999-0.tmp");
        fs::write(&stale, b"half").unwrap();
        // A live writer's file: locked by an open handle.
        let live = dir.path().join(".tenant.json.studioflow-999999-1.tmp");
        let live_handle = File::create(&live).unwrap();
        fs4::FileExt::lock(&live_handle).unwrap();
        // Another target's temporary file is not ours to touch.
        let other = dir.path().join(".other.json.studioflow-999999-0.tmp");
        fs::write(&other, b"x").unwrap();
        write_atomically(&path, b"{}").unwrap();
        assert!(!stale.exists());
        assert!(live.exists());
        assert!(other.exists());
        assert_eq!(fs::read(&path).unwrap(), b"{}");
    }
}
