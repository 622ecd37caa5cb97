//! The key `run --pause` signs paused runs with and `resume` checks them
//! with: `STUDIOFLOW_PAUSE_KEY` (hex, at least 32 bytes) when set, else a
//! random key kept at `$XDG_CONFIG_HOME/studioflow/pause.key`
//! (`~/.config/studioflow/pause.key` without XDG_CONFIG_HOME), made on
//! first use with mode 0600.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use studioflow::PauseKey;

/// The environment variable that holds the key as hex.
pub(super) const KEY_VARIABLE: &str = "STUDIOFLOW_PAUSE_KEY";

/// A key file holds 64 hex digits and a newline; anything far larger is not one.
const MAX_KEY_FILE_BYTES: u64 = 4096;

/// The key of this process: from the environment, else from (or made at)
/// the key file. Errors are messages for the person at the terminal.
pub(super) fn pause_key() -> Result<PauseKey, String> {
    // An empty variable counts as unset (the usual way to clear one in CI).
    match std::env::var_os(KEY_VARIABLE).filter(|v| !v.is_empty()) {
        Some(value) => {
            let text = value
                .to_str()
                .ok_or_else(|| format!("{KEY_VARIABLE}: {}", not_hex()))?;
            PauseKey::from_hex(text).map_err(|e| format!("{KEY_VARIABLE}: {e}"))
        }
        None => load_or_create(&key_path()?),
    }
}

fn not_hex() -> String {
    studioflow::PauseError::BadKey("not hex".into()).to_string()
}

/// Where the key file is: under `$XDG_CONFIG_HOME` when it is an absolute
/// path (the XDG rule: a relative one is ignored), else `$HOME/.config`.
pub(super) fn key_path() -> Result<PathBuf, String> {
    key_path_from(
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

fn key_path_from(xdg: Option<OsString>, home: Option<OsString>) -> Result<PathBuf, String> {
    let config = match xdg.map(PathBuf::from).filter(|p| p.is_absolute()) {
        Some(dir) => dir,
        None => match home.map(PathBuf::from).filter(|p| p.is_absolute()) {
            Some(home) => home.join(".config"),
            None => {
                return Err(format!(
                    "no place for the pause key: set {KEY_VARIABLE} (hex, at least 32 bytes), XDG_CONFIG_HOME or HOME"
                ));
            }
        },
    };
    Ok(config.join("studioflow").join("pause.key"))
}

/// Reads the key at `path`, making a random one there first if there is
/// none. Two processes making it at once end with one key: each writes its
/// own temporary file and links it into place, which never replaces a key
/// already there; the loser reads the winner's.
pub(super) fn load_or_create(path: &Path) -> Result<PauseKey, String> {
    match fs::symlink_metadata(path) {
        Ok(_) => return read_key(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("pause key {}: cannot read: {e}", path.display())),
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    create_private_folder(folder).map_err(|e| {
        format!(
            "pause key: cannot create the folder {}: {e}",
            folder.display()
        )
    })?;
    let key = PauseKey::generate();
    match publish(path, folder, &key) {
        Ok(()) => Ok(key),
        // Another process made it first: its key is the key.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key(path),
        Err(e) => Err(format!("pause key {}: cannot create: {e}", path.display())),
    }
}

fn read_key(path: &Path) -> Result<PauseKey, String> {
    let text = studioflow::files::read_text(path, MAX_KEY_FILE_BYTES)
        .map_err(|e| format!("pause key: {e}"))?;
    PauseKey::from_hex(&text).map_err(|e| {
        format!(
            "pause key {}: {e}; remove the file to make a new key (pauses signed with it can then no longer be resumed), or set {KEY_VARIABLE}",
            path.display()
        )
    })
}

fn create_private_folder(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}

/// Writes the key to a temporary file (mode 0600, synced) and links it in
/// at `path`; `AlreadyExists` when a key is already there.
fn publish(path: &Path, folder: &Path, key: &PauseKey) -> io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = folder.join(format!(".pause.key.{}-{n}.tmp", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(format!("{}\n", key.to_hex()).as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| fs::hard_link(&temp, path));
    let _ = fs::remove_file(&temp);
    linked?;
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_found_under_xdg_config_home_else_home() {
        let path = key_path_from(Some("/x/conf".into()), Some("/home/a".into())).unwrap();
        assert_eq!(path, Path::new("/x/conf/studioflow/pause.key"));
        // A relative XDG_CONFIG_HOME is ignored, as the XDG rules say.
        let path = key_path_from(Some("conf".into()), Some("/home/a".into())).unwrap();
        assert_eq!(path, Path::new("/home/a/.config/studioflow/pause.key"));
        let e = key_path_from(None, None).unwrap_err();
        assert!(e.contains(KEY_VARIABLE), "{e}");
    }

    #[test]
    fn racing_creators_end_with_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studioflow").join("pause.key");
        let keys: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_create(&path).unwrap().to_hex()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
        assert_eq!(
            fs::read_to_string(&path).unwrap().trim(),
            keys[0],
            "the file holds the key every process used"
        );
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["pause.key"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_bad_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pause.key");
        fs::write(&path, "not a key\n").unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert!(e.contains("not hex") && e.contains("pause.key"), "{e}");
        fs::write(&path, "abcd\n").unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert!(e.contains("at least 32 bytes"), "{e}");
        // A folder where the key should be.
        let folder = dir.path().join("folder.key");
        fs::create_dir(&folder).unwrap();
        let e = load_or_create(&folder).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
