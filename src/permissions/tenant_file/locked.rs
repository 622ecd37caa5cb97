//! [`TenantFile`]: a tenant file held under an exclusive lock for a whole
//! load–run–save cycle, saved only when nobody changed it meanwhile.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::files::{self, FileError};

use super::load::load_bytes;
use super::{LoadError, SaveError};
use crate::permissions::directory::Directory;

/// How many times [`TenantFile::open`] re-opens a file that was replaced
/// while it waited for the lock before giving up.
const MAX_LOCK_ATTEMPTS: usize = 64;

/// A tenant file held for a whole load–run–save cycle, so that processes
/// sharing one file never lose each other's updates.
///
/// [`TenantFile::open`] takes an exclusive advisory lock (`flock` on Unix,
/// `LockFileEx` on Windows, through the `fs4` crate) on the file and keeps it
/// until the `TenantFile` is dropped; a second process opening the same file
/// waits, then loads what the first one saved, so its changeStamps are
/// checked against the saved state. [`TenantFile::save`] also refuses to
/// write when the file changed since it was loaded (a writer that does not
/// take the lock, such as an editor), instead of silently overwriting it.
///
/// ```
/// use studioflow::permissions::{Directory, TenantFile};
/// let dir = std::env::temp_dir().join(format!("studioflow-doc-tenantfile-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("tenant.json");
/// Directory::demo().save_file(&path).unwrap();
///
/// let (held, directory) = TenantFile::open(&path, studioflow::files::DEFAULT_MAX_INPUT_BYTES).unwrap();
/// directory.update_role(1001, "Supervisor", 0, Default::default()).unwrap();
/// held.save(&directory).unwrap();
/// drop(held); // releases the lock
///
/// let reloaded = Directory::load_file(&path).unwrap();
/// assert_eq!(reloaded.get_role(1001, "Supervisor").unwrap().change_stamp, 1);
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug)]
pub struct TenantFile {
    path: PathBuf,
    /// The locked handle; closing it releases the lock.
    handle: fs::File,
    /// The bytes the directory was loaded from.
    loaded: Vec<u8>,
}

impl TenantFile {
    /// Locks the tenant file at `path` (waiting while another process holds
    /// it), then loads it (at most `max_bytes` bytes).
    ///
    /// # Errors
    /// Everything [`Directory::load_file_with_limit`] reports, and a lock
    /// that cannot be taken.
    pub fn open(path: &Path, max_bytes: u64) -> Result<(TenantFile, Directory), LoadError> {
        TenantFile::open_with(path, max_bytes, || {})
    }

    /// [`TenantFile::open`], calling `on_wait` once if another process holds
    /// the lock (before waiting for it), e.g. to tell the user why nothing happens.
    ///
    /// ```
    /// # use studioflow::permissions::{Directory, TenantFile};
    /// # let dir = std::env::temp_dir().join(format!("studioflow-doc-wait-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("tenant.json");
    /// Directory::demo().save_file(&path).unwrap();
    /// let (_held, _) = TenantFile::open_with(&path, 1 << 20, || eprintln!("waiting for {}", path.display())).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn open_with(
        path: &Path,
        max_bytes: u64,
        mut on_wait: impl FnMut(),
    ) -> Result<(TenantFile, Directory), LoadError> {
        let lock_error = |source: io::Error| {
            LoadError::File(FileError::Io {
                path: path.to_owned(),
                operation: "lock".to_owned(),
                source,
            })
        };
        let mut told = false;
        for _ in 0..MAX_LOCK_ATTEMPTS {
            let (handle, _) = files::open_regular(path)?;
            match fs4::FileExt::try_lock(&handle) {
                Ok(()) => {}
                Err(fs4::TryLockError::WouldBlock) => {
                    if !std::mem::replace(&mut told, true) {
                        on_wait();
                    }
                    fs4::FileExt::lock(&handle).map_err(lock_error)?;
                }
                Err(fs4::TryLockError::Error(source)) => return Err(lock_error(source)),
            }
            // The holder we waited for replaced the file (a save renames a new
            // file into place): our lock is on the old one. Start again.
            if !files::same_file(&handle, path) {
                continue;
            }
            let metadata = handle.metadata().map_err(|source| {
                LoadError::File(FileError::Io {
                    path: path.to_owned(),
                    operation: "read".to_owned(),
                    source,
                })
            })?;
            let bytes = files::read_open(path, &handle, &metadata, max_bytes)?;
            let directory = load_bytes(path, bytes.clone())?;
            let held = TenantFile {
                path: path.to_owned(),
                handle,
                loaded: bytes,
            };
            return Ok((held, directory));
        }
        Err(LoadError::File(FileError::Io {
            path: path.to_owned(),
            operation: "lock".to_owned(),
            source: io::Error::other("the file kept being replaced while waiting for its lock"),
        }))
    }

    /// Whether the held file still has the loaded bytes (read through the
    /// locked handle: an in-place edit shows there, a replacement is caught by
    /// `same_file`).
    fn still_holds_loaded(&self) -> bool {
        files::still_holds(&self.path, &self.handle, &self.loaded)
    }

    /// The path given to [`TenantFile::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `other` names this same file (after following links), e.g.
    /// to decide whether a `--save` target is the loaded file.
    ///
    /// ```
    /// # use studioflow::permissions::{Directory, TenantFile};
    /// # let dir = std::env::temp_dir().join(format!("studioflow-doc-same-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("tenant.json");
    /// Directory::demo().save_file(&path).unwrap();
    /// let (held, _) = TenantFile::open(&path, 1 << 20).unwrap();
    /// assert!(held.is_file(&dir.join(".").join("tenant.json")));
    /// assert!(!held.is_file(&dir.join("other.json")));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn is_file(&self, other: &Path) -> bool {
        files::same_file(&self.handle, other)
    }

    /// Saves `directory` over the held file, atomically (see
    /// [`files::write_atomically`]); the lock stays held until `self` is dropped.
    ///
    /// # Errors
    /// [`SaveError::Changed`] when the file no longer holds what was loaded
    /// (nothing is written); the errors of [`Directory::save_file`].
    pub fn save(&self, directory: &Directory) -> Result<(), SaveError> {
        let unchanged = files::same_file(&self.handle, &self.path) && self.still_holds_loaded();
        if !unchanged {
            return Err(SaveError::Changed {
                path: self.path.clone(),
            });
        }
        files::write_atomically(&self.path, directory.to_tenant_text()?.as_bytes())?;
        Ok(())
    }
}
