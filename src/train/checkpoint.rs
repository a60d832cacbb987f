//! Checkpoints in safetensors, written so that a crash never leaves half a file.

use dfdx::nn::SaveToSafetensors;
use dfdx::prelude::*;
use std::path::{Path, PathBuf};

use crate::io::{move_into_place, temp_beside};
use crate::Error;

/// Saves `model` to `path` through a temporary file in the same directory
/// and a rename, which replaces the old checkpoint in one step.
pub fn save_atomically<M: TensorCollection<f32, D>, D: Device<f32>>(
    model: &M,
    path: &Path,
) -> crate::Result<()> {
    let tmp = temp_beside(path)?;
    model
        .save_safetensors(&tmp)
        .map_err(|e| Error::data(&tmp, format!("cannot write the checkpoint: {e:?}")))?;
    move_into_place(&tmp, path)
}

/// FNV-1a (64 bit) of a file's bytes: ties an optimiser state to the model
/// checkpoint written in the same epoch.
pub(crate) fn fingerprint(path: &Path) -> crate::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::data(path, format!("cannot read: {e}")))?;
    Ok(fnv(&bytes))
}

/// FNV-1a (64 bit) of `bytes`, as 16 hex digits.
pub(crate) fn fnv(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The optimiser state's file beside the model checkpoint `model`:
/// `checkpoint.safetensors` → `checkpoint.optimizer.safetensors`.
pub fn optimizer_path(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map_or_else(|| "checkpoint".into(), |s| s.to_string_lossy().into_owned());
    model.with_file_name(format!("{stem}.optimizer.safetensors"))
}
