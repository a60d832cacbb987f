//! The run directory: created before a run writes anything, and never
//! overwritten by a new run.

use std::path::Path;

use crate::Error;

/// How a run treats its directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStart {
    /// A new run: the directory must not hold one.
    New,
    /// Continue the run the directory holds (`--resume`).
    Resume,
    /// A new run in place of the one the directory holds (`--force`): its
    /// checkpoint, optimiser state and metrics are deleted first, so no
    /// file of the old run is mistaken for the new one's.
    Replace,
}

/// Makes `out` ready for a run whose checkpoint is `out/checkpoint`: a new
/// run needs a directory without a checkpoint (one that holds a run is
/// refused, so nothing is overwritten), a resumed one needs the checkpoint,
/// a replacing one deletes the old run's files. A path through a regular
/// file is named as such.
pub fn prepare_run_dir(out: &Path, checkpoint: &str, start: RunStart) -> crate::Result<()> {
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
    match (start, held) {
        (RunStart::Resume, false) => Err(Error::data(
            out,
            "--resume: there is no checkpoint here to continue from",
        )),
        (RunStart::New, true) => Err(Error::data(
            out,
            "already holds a run; pass --resume to continue it, --force to replace it, or choose another --out",
        )),
        (RunStart::Replace, true) => {
            let model = out.join(checkpoint);
            for file in [super::optimizer_path(&model), out.join("metrics.csv"), model] {
                if file.exists() {
                    std::fs::remove_file(&file)
                        .map_err(|e| Error::data(&file, format!("cannot delete the old run's file: {e}")))?;
                }
            }
            Ok(())
        }
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
        prepare_run_dir(&out, "checkpoint.safetensors", RunStart::New).unwrap();
        let e = prepare_run_dir(&out, "checkpoint.safetensors", RunStart::Resume).unwrap_err();
        assert!(e.to_string().contains("no checkpoint here"), "{e}");
        std::fs::write(out.join("checkpoint.safetensors"), b"x").unwrap();
        let e = prepare_run_dir(&out, "checkpoint.safetensors", RunStart::New).unwrap_err();
        assert!(e.to_string().contains("already holds a run"), "{e}");
        prepare_run_dir(&out, "checkpoint.safetensors", RunStart::Resume).unwrap();
        // --force deletes the old run's files, and only them
        for f in [
            "checkpoint.optimizer.safetensors",
            "metrics.csv",
            "notes.txt",
        ] {
            std::fs::write(out.join(f), b"x").unwrap();
        }
        prepare_run_dir(&out, "checkpoint.safetensors", RunStart::Replace).unwrap();
        let left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["notes.txt"]);
        prepare_run_dir(&out, "checkpoint.safetensors", RunStart::New).unwrap();
        let file = root.join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = prepare_run_dir(&file.join("run"), "c", RunStart::New).unwrap_err();
        assert!(e.to_string().contains("is a file, not a directory"), "{e}");
        let e = prepare_run_dir(&file, "c", RunStart::New).unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
