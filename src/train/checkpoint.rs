//! Checkpoints in safetensors, written so that a crash never leaves half a file.

use dfdx::nn::SaveToSafetensors;
use dfdx::prelude::*;
use std::path::Path;

use crate::Error;

/// Saves `model` to `path` through a temporary file in the same directory
/// and a rename, which replaces the old checkpoint in one step.
pub fn save_atomically<M: TensorCollection<f32, Cpu>>(model: &M, path: &Path) -> crate::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::data(dir, e.to_string()))?;
    let name = path
        .file_name()
        .map_or_else(|| "checkpoint".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    model
        .save_safetensors(&tmp)
        .map_err(|e| Error::data(&tmp, format!("cannot write the checkpoint: {e:?}")))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::data(path, format!("cannot move the checkpoint into place: {e}"))
    })
}
