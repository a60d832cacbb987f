//! Data: MNIST from IDX files (raw or gzipped) or the embedded sample, and
//! mini-batches padded and normalised for LeNet-5.
//!
//! ```
//! let mnist = splotnet::data::embedded_sample().unwrap();
//! assert_eq!((mnist.train.len(), mnist.test.len()), (6000, 1000));
//! let (images, labels) = mnist.test.batch(&[0, 1, 2], 2);
//! assert_eq!(images.len(), 3 * 32 * 32); // 28x28 padded by 2 on each side
//! assert_eq!(labels, vec![7, 2, 1]);     // the first test digits
//! ```

mod augment;
mod canvas;
mod colour;
mod dataset;
mod folder;
mod idx;
mod mnist;
mod samples;

pub use self::mnist::{embedded_sample, load_dir, Mnist, FILES};
pub use augment::Distortion;
pub use canvas::{export_canvases, CanvasSet, Canvases, CANVAS_CLASSES, CANVAS_CLASS_NAMES};
pub use colour::PcaJitter;
pub use dataset::{Dataset, FASHION_MNIST_DEBIAN_DIR};
pub use folder::{FolderStats, ImageFolder, IMAGENET_MEAN, IMAGENET_STD, IMAGE_EXTENSIONS};
pub use idx::{validate, IdxKind};
pub use samples::{Augment, Padded, Samples};

use crate::Error;

/// MNIST from `dir`, else from the directory in `$MNIST_DIR`, else the
/// embedded sample; with where it came from, for the user: the directory,
/// or `None` for the sample.
pub fn load_or_sample(
    dir: Option<&std::path::Path>,
) -> Result<(Mnist, Option<std::path::PathBuf>), Error> {
    let dir = dir
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os("MNIST_DIR").map(std::path::PathBuf::from));
    match dir {
        Some(d) => Ok((load_dir(&d)?, Some(d))),
        None => Ok((embedded_sample()?, None)),
    }
}

/// MNIST's pixel mean over the training set, on a 0–1 scale (as PyTorch's examples use).
pub const MNIST_MEAN: f32 = 0.1307;
/// MNIST's pixel standard deviation over the training set, on a 0–1 scale.
pub const MNIST_STD: f32 = 0.3081;
/// Side of an MNIST image.
pub const SIDE: usize = 28;

/// How a pixel's intensity `x` (0 to 1) becomes an input: `(x - mean) / std`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalisation {
    /// The training pixels' mean intensity.
    pub mean: f32,
    /// Their standard deviation.
    pub std: f32,
}

impl Normalisation {
    /// MNIST's, as PyTorch's examples use: [`MNIST_MEAN`], [`MNIST_STD`].
    pub const MNIST: Normalisation = Normalisation {
        mean: MNIST_MEAN,
        std: MNIST_STD,
    };

    /// The input for intensity `x`.
    pub fn apply(&self, x: f32) -> f32 {
        (x - self.mean) / self.std
    }
}

/// One split of MNIST (or of a dataset in its format, Fashion-MNIST):
/// 28x28 grey images, their labels 0-9, and how they are normalised.
#[derive(Clone, Debug)]
pub struct Split {
    images: Vec<u8>,
    labels: Vec<u8>,
    norm: Normalisation,
}

impl Split {
    /// Checks that `images` holds one 28x28 image per label and every label is a digit.
    pub fn new(images: Vec<u8>, labels: Vec<u8>) -> Result<Self, Error> {
        if images.len() != labels.len() * SIDE * SIDE {
            return Err(Error::data(
                "<split>",
                format!("{} image bytes for {} labels", images.len(), labels.len()),
            ));
        }
        if let Some((i, bad)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
            return Err(Error::data(
                "<split>",
                format!("label {bad} at index {i} is not a digit (0-9)"),
            ));
        }
        Ok(Split {
            images,
            labels,
            norm: Normalisation::MNIST,
        })
    }

    /// How this split's batches are normalised (MNIST's unless set).
    pub fn normalisation(&self) -> Normalisation {
        self.norm
    }

    /// The split with batches normalised by `norm`.
    pub fn normalised_by(self, norm: Normalisation) -> Self {
        Split { norm, ..self }
    }

    /// The mean and standard deviation of this split's intensities (0 to
    /// 1): the normalisation its own pixels call for.
    pub fn pixel_stats(&self) -> Normalisation {
        let n = self.images.len().max(1) as f64;
        let sum: f64 = self.images.iter().map(|&p| p as f64 / 255.0).sum();
        let mean = sum / n;
        let var = self
            .images
            .iter()
            .map(|&p| (p as f64 / 255.0 - mean).powi(2))
            .sum::<f64>()
            / n;
        Normalisation {
            mean: mean as f32,
            std: (var.sqrt() as f32).max(f32::MIN_POSITIVE),
        }
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The label of digit `i`.
    pub fn label(&self, i: usize) -> usize {
        self.labels[i] as usize
    }

    /// The raw pixels of digit `i`.
    pub fn pixels(&self, i: usize) -> &[u8] {
        &self.images[i * SIDE * SIDE..(i + 1) * SIDE * SIDE]
    }

    /// A batch of the digits `indices`, each zero-padded by `pad` pixels on
    /// every side and normalised `(x/255 - mean)/std` by the split's
    /// [`Normalisation`]; and their labels.
    pub fn batch(&self, indices: &[usize], pad: usize) -> (Vec<f32>, Vec<usize>) {
        let mut images = Vec::new();
        self.batch_into(indices, pad, &mut images);
        (images, indices.iter().map(|&i| self.label(i)).collect())
    }

    /// [`Split::batch`]'s images, written into a reused buffer.
    pub fn batch_into(&self, indices: &[usize], pad: usize, out: &mut Vec<f32>) {
        let side = SIDE + 2 * pad;
        let norm = self.norm;
        let background = norm.apply(0.0);
        out.clear();
        out.resize(indices.len() * side * side, background);
        for (b, &i) in indices.iter().enumerate() {
            let img = &mut out[b * side * side..(b + 1) * side * side];
            for (r, row) in self.pixels(i).chunks_exact(SIDE).enumerate() {
                let dst = &mut img[(r + pad) * side + pad..(r + pad) * side + pad + SIDE];
                for (d, &p) in dst.iter_mut().zip(row) {
                    *d = norm.apply(p as f32 / 255.0);
                }
            }
        }
    }
}

impl Split {
    /// [`Split::batch_into`] with every digit randomly distorted by `d`.
    pub fn distorted_batch_into(
        &self,
        indices: &[usize],
        pad: usize,
        d: &Distortion,
        rng: &mut impl rand::Rng,
        out: &mut Vec<f32>,
    ) {
        let side = SIDE + 2 * pad;
        out.clear();
        out.resize(indices.len() * side * side, 0.0);
        for (img, &i) in out.chunks_exact_mut(side * side).zip(indices) {
            d.apply(self.pixels(i), pad, img, rng);
            img.iter_mut().for_each(|v| *v = self.norm.apply(*v));
        }
    }
}

#[cfg(test)]
mod tests;
