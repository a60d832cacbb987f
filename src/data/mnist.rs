//! Loading MNIST: a directory of the four standard IDX files (raw or
//! gzipped), or the sample embedded in the crate.
//!
//! Every file is validated (present, IDX magic, kind, 28x28, length) before
//! anything reads it, so bad input gives an [`Error`] naming the file.
//!
//! The complete dataset (60,000 + 10,000 digits) is read by the `mnist`
//! crate, from the directory itself or, for gzipped files, from a private
//! staging directory removed afterwards. That crate hard-codes those counts
//! and panics on any other, so other sizes (the embedded sample, subsets) are
//! read directly from the validated bytes.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::idx::{validate, IdxKind};
use super::Split;
use crate::Error;

/// The four files, in the order train images, train labels, test images, test labels.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// MNIST's training and test splits.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// The training digits.
    pub train: Split,
    /// The test digits.
    pub test: Split,
}

/// Where a file was found.
enum Found {
    Raw(PathBuf),
    Gz(PathBuf),
}

fn find(dir: &Path, name: &str) -> Result<Found, Error> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if raw.is_file() {
        Ok(Found::Raw(raw))
    } else if gz.is_file() {
        Ok(Found::Gz(gz))
    } else {
        Err(Error::data(
            &raw,
            format!(
                "missing: neither {name} nor {name}.gz is in {}",
                dir.display()
            ),
        ))
    }
}

fn gunzip(file: &Path, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| Error::data(file, format!("not a valid gzip stream: {e}")))?;
    Ok(out)
}

/// A staging directory removed when dropped.
struct Staging(PathBuf);

impl Staging {
    fn new() -> Result<Self, Error> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("splotnet-mnist-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir)
            .map_err(|e| Error::data(&dir, format!("cannot create a staging directory: {e}")))?;
        Ok(Staging(dir))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Loads and validates MNIST from `dir` (the four standard names, each raw or `.gz`).
pub fn load_dir(dir: &Path) -> Result<Mnist, Error> {
    if !dir.is_dir() {
        return Err(Error::data(dir, "not a directory"));
    }
    let found: Vec<Found> = FILES
        .iter()
        .map(|n| find(dir, n))
        .collect::<Result<_, _>>()?;
    let all_raw = found.iter().all(|f| matches!(f, Found::Raw(_)));
    let staging = if all_raw { None } else { Some(Staging::new()?) };
    let mut kinds = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let expect_images = i % 2 == 0;
        match f {
            Found::Raw(path) => {
                let len = fs::metadata(path)
                    .map_err(|e| Error::data(path, e.to_string()))?
                    .len() as usize;
                let mut head = [0u8; 16];
                let mut file =
                    fs::File::open(path).map_err(|e| Error::data(path, e.to_string()))?;
                let n = file
                    .read(&mut head)
                    .map_err(|e| Error::data(path, e.to_string()))?;
                kinds.push(validate(path, &head[..n], len, expect_images)?);
                if let Some(st) = &staging {
                    fs::copy(path, st.0.join(FILES[i]))
                        .map_err(|e| Error::data(path, e.to_string()))?;
                }
            }
            Found::Gz(path) => {
                let packed = fs::read(path).map_err(|e| Error::data(path, e.to_string()))?;
                let bytes = gunzip(path, &packed)?;
                kinds.push(validate(path, &bytes, bytes.len(), expect_images)?);
                let st = staging
                    .as_ref()
                    .expect("staging exists when a file is gzipped");
                fs::write(st.0.join(FILES[i]), &bytes)
                    .map_err(|e| Error::data(path, e.to_string()))?;
            }
        }
    }
    let base = staging.as_ref().map_or(dir, |s| s.0.as_path());
    read_validated(base, &kinds, dir)
}

/// The embedded sample: 6,000 training and 1,000 test digits (see `data/mnist-sample`).
pub fn embedded_sample() -> Result<Mnist, Error> {
    const SAMPLE: [&[u8]; 4] = [
        include_bytes!("../../data/mnist-sample/train-images-idx3-ubyte.gz"),
        include_bytes!("../../data/mnist-sample/train-labels-idx1-ubyte.gz"),
        include_bytes!("../../data/mnist-sample/t10k-images-idx3-ubyte.gz"),
        include_bytes!("../../data/mnist-sample/t10k-labels-idx1-ubyte.gz"),
    ];
    let staging = Staging::new()?;
    let mut kinds = Vec::new();
    for (i, packed) in SAMPLE.iter().enumerate() {
        let name = PathBuf::from(format!("<embedded>/{}.gz", FILES[i]));
        let bytes = gunzip(&name, packed)?;
        kinds.push(validate(&name, &bytes, bytes.len(), i % 2 == 0)?);
        fs::write(staging.0.join(FILES[i]), &bytes)
            .map_err(|e| Error::data(&name, e.to_string()))?;
    }
    read_validated(&staging.0, &kinds, Path::new("<embedded sample>"))
}

/// The counts the `mnist` crate requires.
const STANDARD: (usize, usize) = (60_000, 10_000);

/// Reads four files already validated: the standard dataset through the
/// `mnist` crate, any other size directly.
fn read_validated(base: &Path, kinds: &[IdxKind], shown: &Path) -> Result<Mnist, Error> {
    let (n_train, n_test) = (kinds[0].count(), kinds[2].count());
    for (images, labels, split) in [(0, 1, "training"), (2, 3, "test")] {
        if kinds[images].count() != kinds[labels].count() {
            return Err(Error::data(
                shown,
                format!(
                    "the {split} split has {} images but {} labels",
                    kinds[images].count(),
                    kinds[labels].count()
                ),
            ));
        }
    }
    if (n_train, n_test) != STANDARD {
        let body = |i: usize, header: usize| -> Result<Vec<u8>, Error> {
            let path = base.join(FILES[i]);
            let bytes = fs::read(&path).map_err(|e| Error::data(&path, e.to_string()))?;
            Ok(bytes[header..].to_vec())
        };
        return Ok(Mnist {
            train: Split::new(body(0, 16)?, body(1, 8)?)?,
            test: Split::new(body(2, 16)?, body(3, 8)?)?,
        });
    }
    let base_str = base.to_str().ok_or_else(|| {
        Error::data(
            base,
            "the path is not valid UTF-8, which the mnist crate needs",
        )
    })?;
    let base_str = format!("{base_str}/");
    let m = mnist::MnistBuilder::new()
        .label_format_digit()
        .base_path(&base_str)
        .training_set_length(n_train as u32)
        .validation_set_length(0)
        .test_set_length(n_test as u32)
        .finalize();
    Ok(Mnist {
        train: Split::new(m.trn_img, m.trn_lbl)?,
        test: Split::new(m.tst_img, m.tst_lbl)?,
    })
}
