//! Files written so that a crash never leaves half of one: the bottom
//! layer that checkpoints (`train`) and pictures (`plot`) both use.

use std::path::{Path, PathBuf};

use crate::Error;

/// A temporary path beside `path`, in the same directory (so a rename
/// replaces `path` in one step), created if missing.
pub(crate) fn temp_beside(path: &Path) -> crate::Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::data(dir, e.to_string()))?;
    let name = path
        .file_name()
        .map_or_else(|| "checkpoint".into(), |n| n.to_string_lossy().into_owned());
    Ok(dir.join(format!(".{name}.{}.tmp", std::process::id())))
}

pub(crate) fn move_into_place(tmp: &Path, path: &Path) -> crate::Result<()> {
    std::fs::rename(tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        Error::data(path, format!("cannot move the file into place: {e}"))
    })
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> crate::Result<()> {
    let tmp = temp_beside(path)?;
    std::fs::write(&tmp, bytes).map_err(|e| Error::data(&tmp, format!("cannot write: {e}")))?;
    move_into_place(&tmp, path)
}
