//! The datasets in MNIST's format: MNIST itself and Fashion-MNIST (Xiao,
//! Rasul and Vollgraf, 2017: Zalando's article images, the same 28x28 grey
//! IDX files and ten classes), each with its class names and normalisation.

use std::path::{Path, PathBuf};

use super::{load_dir, load_or_sample, Mnist};
use crate::Error;

/// A dataset in MNIST's IDX format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// Handwritten digits; the embedded sample when no directory is given.
    Mnist,
    /// Zalando's article images (not embedded: a directory is needed).
    FashionMnist,
}

/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST's
/// gzipped IDX files.
pub const FASHION_MNIST_DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

impl Dataset {
    /// The dataset's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Mnist => "MNIST",
            Dataset::FashionMnist => "Fashion-MNIST",
        }
    }

    /// The ten classes' names, by label (Fashion-MNIST's from its README).
    pub fn class_names(self) -> [&'static str; 10] {
        match self {
            Dataset::Mnist => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            Dataset::FashionMnist => [
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        }
    }

    /// Loads the dataset from `dir`; without one, MNIST's embedded sample
    /// (or `$MNIST_DIR`), or Fashion-MNIST from `$FASHION_MNIST_DIR` or
    /// Debian's location. MNIST keeps PyTorch's usual normalisation;
    /// Fashion-MNIST is normalised by its training split's own mean and
    /// standard deviation. Returns where the data came from (`None`: the
    /// embedded sample).
    pub fn load(self, dir: Option<&Path>) -> Result<(Mnist, Option<PathBuf>), Error> {
        match self {
            Dataset::Mnist => load_or_sample(dir),
            Dataset::FashionMnist => {
                let dir = dir
                    .map(Path::to_path_buf)
                    .or_else(|| std::env::var_os("FASHION_MNIST_DIR").map(PathBuf::from))
                    .or_else(|| {
                        let debian = PathBuf::from(FASHION_MNIST_DEBIAN_DIR);
                        debian.is_dir().then_some(debian)
                    })
                    .ok_or_else(|| {
                        Error::data(
                            FASHION_MNIST_DEBIAN_DIR,
                            "Fashion-MNIST is not embedded and is not installed here: pass --data DIR with its four IDX files, or install Debian's `dataset-fashion-mnist`",
                        )
                    })?;
                let m = load_dir(&dir)?;
                Ok((m.normalised_by_training_split(), Some(dir)))
            }
        }
    }
}

impl Mnist {
    /// Both splits normalised by the training split's pixel statistics.
    pub fn normalised_by_training_split(self) -> Mnist {
        let norm = self.train.pixel_stats();
        Mnist {
            train: self.train.normalised_by(norm),
            test: self.test.normalised_by(norm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Normalisation, Split, SIDE};

    #[test]
    fn a_split_normalised_by_its_own_statistics_has_mean_zero_and_unit_deviation() {
        // half the pixels 0, half 255: mean 0.5, deviation 0.5
        let images: Vec<u8> = (0..2 * SIDE * SIDE)
            .map(|i| if i % 2 == 0 { 0 } else { 255 })
            .collect();
        let split = Split::new(images, vec![3, 8]).unwrap();
        assert_eq!(split.normalisation(), Normalisation::MNIST);
        let m = Mnist {
            train: split.clone(),
            test: split,
        }
        .normalised_by_training_split();
        let stats = m.test.normalisation();
        assert!(
            (stats.mean - 0.5).abs() < 1e-6 && (stats.std - 0.5).abs() < 1e-6,
            "{stats:?}"
        );
        let (batch, labels) = m.test.batch(&[0, 1], 0);
        assert_eq!(labels, [3, 8]);
        assert!(
            batch.iter().all(|v| (v.abs() - 1.0).abs() < 1e-5),
            "every input is ±1"
        );
    }

    #[test]
    fn fashion_mnist_names_its_classes_and_a_missing_directory() {
        assert_eq!(Dataset::FashionMnist.class_names()[9], "Ankle boot");
        assert_eq!(Dataset::Mnist.class_names()[7], "7");
        let e = Dataset::FashionMnist
            .load(Some(Path::new("/nonexistent/fashion")))
            .unwrap_err();
        assert!(e.to_string().contains("no such directory"), "{e}");
    }
}
