//! Loading MNIST: a directory of the four standard IDX files (raw or
//! gzipped), or the sample embedded in the crate.
//!
//! Every file is validated (present, IDX magic, kind, 28x28, length) before
//! anything reads it, so bad input gives an [`Error`] naming the file.
//!
//! The complete dataset as four raw files (60,000 + 10,000 digits) is read
//! by the `mnist` crate. That crate hard-codes those counts and panics on
//! any other, and reads only raw files, so gzipped files (decoded in
//! memory: nothing is written to disk, so an interrupted load leaves
//! nothing behind) and other sizes (the embedded sample, subsets) are read
//! directly from the validated bytes.

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
    for path in [&raw, &gz] {
        if path.is_dir() {
            return Err(Error::data(path, "is a directory, not a data file"));
        }
    }
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

/// One of the four files, validated: where it is, its kind, and its bytes
/// when they are already in memory (decoded gzip).
struct Checked {
    path: PathBuf,
    kind: IdxKind,
    bytes: Option<Vec<u8>>,
}

/// Loads and validates MNIST from `dir` (the four standard names, each raw or `.gz`).
pub fn load_dir(dir: &Path) -> Result<Mnist, Error> {
    if !dir.exists() {
        return Err(Error::data(dir, "no such directory"));
    }
    if !dir.is_dir() {
        return Err(Error::data(
            dir,
            "is a file, not a directory of MNIST files",
        ));
    }
    let found: Vec<Found> = FILES
        .iter()
        .map(|n| find(dir, n))
        .collect::<Result<_, _>>()?;
    let mut checked = Vec::new();
    for (i, f) in found.into_iter().enumerate() {
        let expect_images = i % 2 == 0;
        checked.push(match f {
            Found::Raw(path) => {
                let len = fs::metadata(&path)
                    .map_err(|e| Error::data(&path, e.to_string()))?
                    .len() as usize;
                let mut head = [0u8; 16];
                let mut file =
                    fs::File::open(&path).map_err(|e| Error::data(&path, e.to_string()))?;
                let n = file
                    .read(&mut head)
                    .map_err(|e| Error::data(&path, e.to_string()))?;
                let kind = validate(&path, &head[..n], len, expect_images)?;
                Checked {
                    path,
                    kind,
                    bytes: None,
                }
            }
            Found::Gz(path) => {
                let packed = fs::read(&path).map_err(|e| Error::data(&path, e.to_string()))?;
                let bytes = gunzip(&path, &packed)?;
                let kind = validate(&path, &bytes, bytes.len(), expect_images)?;
                Checked {
                    path,
                    kind,
                    bytes: Some(bytes),
                }
            }
        });
    }
    read_validated(dir, checked)
}

/// The embedded sample: 6,000 training and 1,000 test digits (see `data/mnist-sample`).
pub fn embedded_sample() -> Result<Mnist, Error> {
    const SAMPLE: [&[u8]; 4] = [
        include_bytes!("../../data/mnist-sample/train-images-idx3-ubyte.gz"),
        include_bytes!("../../data/mnist-sample/train-labels-idx1-ubyte.gz"),
        include_bytes!("../../data/mnist-sample/t10k-images-idx3-ubyte.gz"),
        include_bytes!("../../data/mnist-sample/t10k-labels-idx1-ubyte.gz"),
    ];
    let mut checked = Vec::new();
    for (i, packed) in SAMPLE.iter().enumerate() {
        let path = PathBuf::from(format!("<embedded>/{}.gz", FILES[i]));
        let bytes = gunzip(&path, packed)?;
        let kind = validate(&path, &bytes, bytes.len(), i % 2 == 0)?;
        checked.push(Checked {
            path,
            kind,
            bytes: Some(bytes),
        });
    }
    read_validated(Path::new("<embedded sample>"), checked)
}

/// The counts the `mnist` crate requires.
const STANDARD: (usize, usize) = (60_000, 10_000);

/// Reads four files already validated: the standard dataset in four raw
/// files through the `mnist` crate, anything else from the bytes directly.
fn read_validated(dir: &Path, files: Vec<Checked>) -> Result<Mnist, Error> {
    let count = |i: usize| files[i].kind.count();
    for (images, labels, split) in [(0, 1, "training"), (2, 3, "test")] {
        if count(images) != count(labels) {
            return Err(Error::data(
                dir,
                format!(
                    "the {split} split has {} images but {} labels",
                    count(images),
                    count(labels)
                ),
            ));
        }
    }
    let all_raw = files.iter().all(|f| f.bytes.is_none());
    if all_raw && (count(0), count(2)) == STANDARD {
        return read_standard(dir, &files);
    }
    let mut bodies = Vec::new();
    for (i, f) in files.into_iter().enumerate() {
        let bytes = match f.bytes {
            Some(b) => b,
            None => fs::read(&f.path).map_err(|e| Error::data(&f.path, e.to_string()))?,
        };
        let header = if i % 2 == 0 { 16 } else { 8 };
        bodies.push((f.path, bytes[header..].to_vec()));
    }
    let mut bodies = bodies.into_iter();
    let mut split = || -> Result<Split, Error> {
        let (Some((_, images)), Some((label_path, labels))) = (bodies.next(), bodies.next()) else {
            return Err(Error::data(dir, "four files were validated, fewer read"));
        };
        split_from(images, labels, &label_path)
    };
    Ok(Mnist {
        train: split()?,
        test: split()?,
    })
}

/// A split from validated image and label bytes; its error (a label that
/// is not a digit, with the index) names the labels' file.
fn split_from(images: Vec<u8>, labels: Vec<u8>, label_path: &Path) -> Result<Split, Error> {
    Split::new(images, labels).map_err(|e| match e {
        Error::Data { message, .. } => Error::data(label_path, message),
        e => e,
    })
}

/// The standard dataset through the `mnist` crate.
fn read_standard(dir: &Path, files: &[Checked]) -> Result<Mnist, Error> {
    let base_str = dir.to_str().ok_or_else(|| {
        Error::data(
            dir,
            "the path is not valid UTF-8, which the mnist crate needs",
        )
    })?;
    let base_str = format!("{base_str}/");
    let m = mnist::MnistBuilder::new()
        .label_format_digit()
        .base_path(&base_str)
        .training_set_length(files[0].kind.count() as u32)
        .validation_set_length(0)
        .test_set_length(files[2].kind.count() as u32)
        .finalize();
    Ok(Mnist {
        train: split_from(m.trn_img, m.trn_lbl, &files[1].path)?,
        test: split_from(m.tst_img, m.tst_lbl, &files[3].path)?,
    })
}
