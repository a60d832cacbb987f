//! The run directory: created before a run writes anything, and never
//! overwritten by a new run.

use std::path::Path;

use crate::Error;

/// Makes `out` ready for a run whose checkpoint is `out/checkpoint`: a new
/// run needs a directory without a checkpoint (one that holds a run is
/// refused, so nothing is overwritten), a resumed one needs the checkpoint.
/// A path through a regular file is named as such.
pub fn prepare_run_dir(out: &Path, checkpoint: &str, resume: bool) -> crate::Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::data(
            out,
            "exists and is not a directory; choose another --out",
        ));
    }
    // the first part of the path that is a file, not a directory
    if let Some(file) = out.ancestors().skip(1).find(|a| a.is_file()) {
        return Err(Error::data(
            out,
            format!(
                "cannot be created: {} is a file, not a directory",
                file.display()
            ),
        ));
    }
    let held = out.join(checkpoint).exists();
    match (resume, held) {
        (true, false) => Err(Error::data(
            out,
            "--resume: there is no checkpoint here to continue from",
        )),
        (false, true) => Err(Error::data(
            out,
            "already holds a run; pass --resume to continue it, or choose another --out",
        )),
        _ => std::fs::create_dir_all(out)
            .map_err(|e| Error::data(out, format!("cannot create the run directory: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_directory_is_never_overwritten_and_bad_paths_are_named() {
        let root = std::env::temp_dir().join(format!("splotnet-rundir-{}", std::process::id()));
        let out = root.join("run");
        prepare_run_dir(&out, "checkpoint.safetensors", false).unwrap();
        let e = prepare_run_dir(&out, "checkpoint.safetensors", true).unwrap_err();
        assert!(e.to_string().contains("no checkpoint here"), "{e}");
        std::fs::write(out.join("checkpoint.safetensors"), b"x").unwrap();
        let e = prepare_run_dir(&out, "checkpoint.safetensors", false).unwrap_err();
        assert!(e.to_string().contains("already holds a run"), "{e}");
        prepare_run_dir(&out, "checkpoint.safetensors", true).unwrap();
        let file = root.join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = prepare_run_dir(&file.join("run"), "c", false).unwrap_err();
        assert!(e.to_string().contains("is a file, not a directory"), "{e}");
        let e = prepare_run_dir(&file, "c", false).unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
