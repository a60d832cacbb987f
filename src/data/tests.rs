use super::*;
use std::path::{Path, PathBuf};

/// The embedded sample's directory: four gzipped IDX files.
fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-sample")
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("splotnet-data-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gunzip(p: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn embedded_sample_loads_with_sane_labels() {
    let m = embedded_sample().unwrap();
    assert_eq!((m.train.len(), m.test.len()), (6000, 1000));
    // the first training digits of MNIST are 5 0 4 1 9
    assert_eq!(
        (0..5).map(|i| m.train.label(i)).collect::<Vec<_>>(),
        vec![5, 0, 4, 1, 9]
    );
    let mut counts = [0usize; 10];
    (0..m.train.len()).for_each(|i| counts[m.train.label(i)] += 1);
    assert!(
        counts.iter().all(|&c| c > 450),
        "every digit is present: {counts:?}"
    );
}

#[test]
fn a_directory_of_gz_or_raw_files_loads_the_same() {
    let gz = sample_dir();
    let a = load_dir(&gz).unwrap();
    let raw = temp_dir("raw");
    for f in FILES {
        std::fs::write(raw.join(f), gunzip(&gz.join(format!("{f}.gz")))).unwrap();
    }
    let b = load_dir(&raw).unwrap();
    assert_eq!(a.train.pixels(17), b.train.pixels(17));
    assert_eq!(a.test.len(), b.test.len());
    std::fs::remove_dir_all(&raw).ok();
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let gz = sample_dir();
    let raw = temp_dir("bad");
    for f in FILES {
        std::fs::write(raw.join(f), gunzip(&gz.join(format!("{f}.gz")))).unwrap();
    }
    let images = raw.join(FILES[2]);
    let good = std::fs::read(&images).unwrap();
    // truncated
    std::fs::write(&images, &good[..good.len() - 100]).unwrap();
    let err = load_dir(&raw).unwrap_err().to_string();
    assert!(
        err.contains("t10k-images-idx3-ubyte") && err.contains("truncated"),
        "{err}"
    );
    // wrong magic
    let mut bad = good.clone();
    bad[3] = 0x05;
    std::fs::write(&images, &bad).unwrap();
    let err = load_dir(&raw).unwrap_err().to_string();
    assert!(err.contains("magic"), "{err}");
    // labels where images should be
    std::fs::write(&images, std::fs::read(raw.join(FILES[3])).unwrap()).unwrap();
    let err = load_dir(&raw).unwrap_err().to_string();
    assert!(err.contains("expected images"), "{err}");
    // missing
    std::fs::remove_file(&images).unwrap();
    let err = load_dir(&raw).unwrap_err().to_string();
    assert!(err.contains("missing"), "{err}");
    // a corrupt gzip
    std::fs::write(raw.join(format!("{}.gz", FILES[2])), b"not gzip at all").unwrap();
    let err = load_dir(&raw).unwrap_err().to_string();
    assert!(err.contains("gzip"), "{err}");
    // not a directory
    assert!(load_dir(&raw.join("nope")).is_err());
    std::fs::remove_dir_all(&raw).ok();
}

#[test]
fn batches_are_padded_and_normalised() {
    let m = embedded_sample().unwrap();
    let (x, y) = m.train.batch(&[0, 3], 2);
    assert_eq!(y, vec![5, 1]);
    assert_eq!(x.len(), 2 * 32 * 32);
    let background = -MNIST_MEAN / MNIST_STD;
    assert_eq!(x[0], background, "the border is padding");
    // pixel (r, c) of image 0 lands at (r+2, c+2)
    let p = m.train.pixels(0);
    let (r, c) = (14, 14);
    let expect = (p[r * 28 + c] as f32 / 255.0 - MNIST_MEAN) / MNIST_STD;
    assert_eq!(x[(r + 2) * 32 + c + 2], expect);
}

#[test]
fn the_full_dataset_loads_through_the_mnist_crate() {
    // CI and the project's machines have the full dataset beside the checkout
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if !dir.is_dir() {
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let m = load_dir(&dir).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (60_000, 10_000));
    let sample = embedded_sample().unwrap();
    assert_eq!(
        m.train.pixels(5999),
        sample.train.pixels(5999),
        "the sample is the dataset's head"
    );
    assert_eq!(m.test.label(999), sample.test.label(999));
}

#[test]
fn a_missing_directory_a_file_for_a_directory_and_a_directory_for_a_file_are_named() {
    let root = temp_dir("paths");
    let e = load_dir(&root.join("nowhere")).unwrap_err().to_string();
    assert!(e.contains("no such directory"), "{e}");
    let file = root.join("plain");
    std::fs::write(&file, b"x").unwrap();
    let e = load_dir(&file).unwrap_err().to_string();
    assert!(e.contains("is a file, not a directory"), "{e}");
    let dir = root.join("data");
    std::fs::create_dir_all(dir.join(FILES[0])).unwrap();
    let e = load_dir(&dir).unwrap_err().to_string();
    assert!(
        e.contains("train-images-idx3-ubyte") && e.contains("is a directory, not a data file"),
        "{e}"
    );
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_label_that_is_not_a_digit_is_named_with_its_file_and_index() {
    let gz = sample_dir();
    let raw = temp_dir("label");
    for f in FILES {
        std::fs::write(raw.join(f), gunzip(&gz.join(format!("{f}.gz")))).unwrap();
    }
    let labels = raw.join(FILES[3]);
    let mut bytes = std::fs::read(&labels).unwrap();
    bytes[8 + 42] = 12;
    std::fs::write(&labels, &bytes).unwrap();
    let e = load_dir(&raw).unwrap_err().to_string();
    assert!(
        e.contains("t10k-labels-idx1-ubyte") && e.contains("label 12 at index 42"),
        "{e}"
    );
    std::fs::remove_dir_all(&raw).ok();
}

#[test]
fn load_or_sample_reads_the_directory_given() {
    let (m, from) = load_or_sample(Some(&sample_dir())).unwrap();
    assert_eq!((m.train.len(), from), (6000, Some(sample_dir())));
    let e = load_or_sample(Some(Path::new("/nonexistent/mnist"))).unwrap_err();
    assert!(e.to_string().contains("no such directory"), "{e}");
}
