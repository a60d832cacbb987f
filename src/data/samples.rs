//! Labelled samples as the classifier training loop sees them: any data
//! set that can write a batch of normalised samples, and the random
//! augmentations applied to training batches on the fly.

use rand::rngs::StdRng;
use rand::Rng;

use super::{Distortion, Split, SIDE};
use crate::Error;

/// A set of labelled samples of one shape, as [`crate::train::fit`] reads
/// them.
pub trait Samples: Sync {
    /// Number of samples.
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One sample's shape as a batch holds it, `[C, H, W]` for images.
    fn sample_dims(&self) -> Vec<usize>;

    /// The label of sample `i`.
    fn label(&self, i: usize) -> usize;

    /// Writes the samples `indices`, normalised, into `out` (replacing
    /// what it held), one after another; with `augment`, each randomly
    /// transformed by it.
    fn batch_into(
        &self,
        indices: &[usize],
        augment: Option<(&Augment, &mut StdRng)>,
        out: &mut Vec<f32>,
    ) -> crate::Result<()>;
}

/// Random transformations of training samples, drawn afresh for every
/// sample of every batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Augment {
    /// Affine distortion of a 28x28 grey digit (before any padding).
    pub distort: Option<Distortion>,
    /// Random crop after zero padding by this many pixels on every side
    /// (torchvision's `RandomCrop(size, padding=pad)`); 0: none.
    pub crop_pad: usize,
    /// Mirror left to right with probability 1/2
    /// (`RandomHorizontalFlip`).
    pub flip: bool,
    /// Crop a random part of the image, of at least this fraction of its
    /// area and an aspect ratio between 3/4 and 4/3, and resize it to the
    /// sample size (torchvision's `RandomResizedCrop(scale=(s, 1))`; the
    /// usual `s` is 0.08). Image folders only.
    pub resized_crop: Option<f32>,
    /// AlexNet's PCA colour jitter. Image folders of RGB images only.
    pub pca: Option<super::PcaJitter>,
}

impl Augment {
    /// No transformation.
    pub const NONE: Augment = Augment {
        distort: None,
        crop_pad: 0,
        flip: false,
        resized_crop: None,
        pca: None,
    };

    /// Whether it transforms nothing.
    pub fn is_none(&self) -> bool {
        *self == Augment::NONE
    }

    /// Crops and flips one normalised sample of `dims` (`[C, H, W]`) in
    /// place: pixels shifted in from outside read `fill[c]`, the value the
    /// zero padding of channel `c` has after normalisation.
    pub fn crop_and_flip(
        &self,
        sample: &mut [f32],
        dims: &[usize],
        fill: &[f32],
        rng: &mut StdRng,
    ) {
        let (h, w) = match dims {
            [.., h, w] => (*h, *w),
            _ => return,
        };
        let p = self.crop_pad as isize;
        let (dy, dx) = if p > 0 {
            (rng.gen_range(-p..=p), rng.gen_range(-p..=p))
        } else {
            (0, 0)
        };
        let flip = self.flip && rng.gen_bool(0.5);
        if (dy, dx) == (0, 0) && !flip {
            return;
        }
        let mut plane = vec![0.0; h * w];
        for (c, channel) in sample.chunks_exact_mut(h * w).enumerate() {
            let fill = fill.get(c).copied().unwrap_or(0.0);
            plane.copy_from_slice(channel);
            for y in 0..h {
                for x in 0..w {
                    // output (y, x) reads the padded input at (y + p + dy, x + p + dx)
                    let sx = if flip { w - 1 - x } else { x };
                    let (iy, ix) = (y as isize + dy, sx as isize + dx);
                    let inside = (0..h as isize).contains(&iy) && (0..w as isize).contains(&ix);
                    channel[y * w + x] = if inside {
                        plane[iy as usize * w + ix as usize]
                    } else {
                        fill
                    };
                }
            }
        }
    }
}

/// An MNIST-format split as samples of `[1, 28 + 2·pad, 28 + 2·pad]`:
/// zero-padded (LeNet-5 takes 32x32 digits: `pad` 2) and normalised.
#[derive(Clone, Copy, Debug)]
pub struct Padded<'a> {
    /// The split.
    pub split: &'a Split,
    /// Background pixels added on every side.
    pub pad: usize,
}

impl<'a> Padded<'a> {
    /// `split` padded to the `[1, H, W]` samples a network takes, or an
    /// error naming both shapes when its 28x28 images cannot become them
    /// by padding evenly.
    pub fn to_fit(split: &'a Split, dims: &[usize]) -> crate::Result<Self> {
        match dims {
            [1, h, w] if h == w && *h >= SIDE && (h - SIDE) % 2 == 0 => Ok(Padded {
                split,
                pad: (h - SIDE) / 2,
            }),
            _ => Err(Error::shape(
                "data",
                format!("the network takes samples of {dims:?}; 28x28 grey images become [1, 28 + 2p, 28 + 2p] by padding"),
            )),
        }
    }
}

impl Samples for Padded<'_> {
    fn len(&self) -> usize {
        self.split.len()
    }

    fn sample_dims(&self) -> Vec<usize> {
        let side = SIDE + 2 * self.pad;
        vec![1, side, side]
    }

    fn label(&self, i: usize) -> usize {
        self.split.label(i)
    }

    fn batch_into(
        &self,
        indices: &[usize],
        augment: Option<(&Augment, &mut StdRng)>,
        out: &mut Vec<f32>,
    ) -> crate::Result<()> {
        let Some((augment, rng)) = augment else {
            self.split.batch_into(indices, self.pad, out);
            return Ok(());
        };
        if augment.resized_crop.is_some() || augment.pca.is_some() {
            return Err(Error::shape(
                "augmentation",
                "random-resized crops and PCA colour jitter need an image folder's images",
            ));
        }
        match &augment.distort {
            Some(d) => self
                .split
                .distorted_batch_into(indices, self.pad, d, rng, out),
            None => self.split.batch_into(indices, self.pad, out),
        }
        if augment.crop_pad > 0 || augment.flip {
            let dims = self.sample_dims();
            let fill = [self.split.normalisation().apply(0.0)];
            for sample in out.chunks_exact_mut(dims.iter().product()) {
                augment.crop_and_flip(sample, &dims, &fill, rng);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The naive rule: output (y, x) is the zero-padded input at
    /// (y + p + dy, x' + p + dx), x' mirrored when flipped.
    #[test]
    fn crop_and_flip_read_the_padded_input_at_the_drawn_offset() {
        let (h, w) = (4, 5);
        let input: Vec<f32> = (0..2 * h * w).map(|v| v as f32 + 1.0).collect();
        let augment = Augment {
            crop_pad: 2,
            flip: true,
            ..Augment::NONE
        };
        let mut seen = std::collections::HashSet::new();
        for seed in 0..200 {
            let mut out = input.clone();
            augment.crop_and_flip(
                &mut out,
                &[2, h, w],
                &[-1.0, -1.0],
                &mut StdRng::seed_from_u64(seed),
            );
            // find the offset and flip that explain the output
            let explained = (-2isize..=2).flat_map(|dy| (-2isize..=2).map(move |dx| (dy, dx)));
            let found =
                explained
                    .flat_map(|o| [(o, false), (o, true)])
                    .find(|&((dy, dx), flip)| {
                        (0..2 * h * w).all(|i| {
                            let (c, y, x) = (i / (h * w), i / w % h, i % w);
                            let sx = if flip { w - 1 - x } else { x };
                            let (iy, ix) = (y as isize + dy, sx as isize + dx);
                            let want =
                                if (0..h as isize).contains(&iy) && (0..w as isize).contains(&ix) {
                                    input[c * h * w + iy as usize * w + ix as usize]
                                } else {
                                    -1.0
                                };
                            out[i] == want
                        })
                    });
            seen.insert(found.expect("every output is a padded crop, maybe mirrored"));
        }
        // 25 offsets x 2 flips, nearly all drawn in 200 tries
        assert!(seen.len() > 40, "only {} of 50 crops drawn", seen.len());
    }

    #[test]
    fn padding_to_a_networks_input() {
        let data = crate::data::embedded_sample().unwrap();
        let padded = Padded::to_fit(&data.test, &[1, 32, 32]).unwrap();
        assert_eq!((padded.pad, padded.sample_dims()), (2, vec![1, 32, 32]));
        for bad in [[1, 31, 31], [3, 32, 32], [1, 24, 24]] {
            let e = Padded::to_fit(&data.test, &bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }
}
