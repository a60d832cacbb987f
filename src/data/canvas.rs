//! A semantic-segmentation set from real MNIST digits, as M2NIST builds
//! one: a seeded generator places 1 to 3 digits on a square canvas, and
//! each pixel is labelled with its digit's class + 1 where that digit's
//! intensity is at least one half, 0 (background) elsewhere, so 11 classes.
//!
//! Digits are placed where their 28x28 boxes do not overlap when a few
//! random tries find such a place (on a 64x64 canvas they nearly always
//! do); otherwise they overlap, the brighter pixel is kept and the label
//! goes to the later digit where it is bright.
//!
//! ```
//! use splotnet::data::{embedded_sample, CanvasSet, Canvases};
//!
//! let mnist = embedded_sample().unwrap();
//! let set = CanvasSet::compose(&mnist.test, &Canvases { count: 4, ..Canvases::default() }).unwrap();
//! assert_eq!((set.len(), set.side()), (4, 64));
//! // every foreground label is a digit + 1, and some pixels are foreground
//! assert!(set.masks().iter().all(|&m| m <= 10));
//! assert!(set.masks().iter().any(|&m| m > 0));
//! ```

use rand::{Rng, SeedableRng};

use super::{Split, MNIST_MEAN, MNIST_STD, SIDE};
use crate::Error;

/// Classes of the set: background and the ten digits.
pub const CANVAS_CLASSES: usize = 11;

/// The names of the classes, in label order.
pub const CANVAS_CLASS_NAMES: [&str; CANVAS_CLASSES] = [
    "background",
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
];

/// How a set of canvases is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Canvases {
    /// Canvases to draw.
    pub count: usize,
    /// Side of a square canvas, at least 28 (one digit).
    pub side: usize,
    /// The most digits on one canvas (each has 1 ..= this many).
    pub max_digits: usize,
    /// The generator's seed: the same seed and split give the same set.
    pub seed: u64,
}

impl Default for Canvases {
    /// 1,000 canvases of 64x64 with 1 to 3 digits, seed 0.
    fn default() -> Self {
        Canvases {
            count: 1000,
            side: 64,
            max_digits: 3,
            seed: 0,
        }
    }
}

/// Canvases of digits and their per-pixel labels.
#[derive(Clone, Debug, PartialEq)]
pub struct CanvasSet {
    side: usize,
    /// Intensities in 0..=1, one `side x side` canvas after another.
    images: Vec<f32>,
    /// Labels, `0` background, `d + 1` for digit `d`.
    masks: Vec<u8>,
}

impl CanvasSet {
    /// Draws `spec.count` canvases from the digits of `split`.
    pub fn compose(split: &Split, spec: &Canvases) -> Result<Self, Error> {
        if split.is_empty() {
            return Err(Error::data(
                "<canvases>",
                "no digits to place: the split is empty",
            ));
        }
        if spec.side < SIDE || spec.max_digits == 0 {
            return Err(Error::data(
                "<canvases>",
                format!(
                    "a canvas needs a side of at least {SIDE} and room for a digit; got side {} and at most {} digits",
                    spec.side, spec.max_digits
                ),
            ));
        }
        let side = spec.side;
        let plane = side * side;
        let mut rng = rand::rngs::StdRng::seed_from_u64(spec.seed);
        let mut images = vec![0.0f32; spec.count * plane];
        let mut masks = vec![0u8; spec.count * plane];
        for (image, mask) in images
            .chunks_exact_mut(plane)
            .zip(masks.chunks_exact_mut(plane))
        {
            let digits = rng.gen_range(1..=spec.max_digits);
            let mut boxes: Vec<(usize, usize)> = Vec::with_capacity(digits);
            for _ in 0..digits {
                let at = place(&mut rng, side, &boxes);
                boxes.push(at);
                let d = rng.gen_range(0..split.len());
                let class = split.label(d) as u8 + 1;
                for (r, row) in split.pixels(d).chunks_exact(SIDE).enumerate() {
                    let o = (at.0 + r) * side + at.1;
                    for (c, &p) in row.iter().enumerate() {
                        let v = p as f32 / 255.0;
                        image[o + c] = image[o + c].max(v);
                        if v >= 0.5 {
                            mask[o + c] = class;
                        }
                    }
                }
            }
        }
        Ok(CanvasSet {
            side,
            images,
            masks,
        })
    }

    /// Number of canvases.
    pub fn len(&self) -> usize {
        self.masks.len() / (self.side * self.side)
    }

    /// Whether there are no canvases.
    pub fn is_empty(&self) -> bool {
        self.masks.is_empty()
    }

    /// Side of a canvas.
    pub fn side(&self) -> usize {
        self.side
    }

    /// Intensities in 0..=1, canvas after canvas.
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// Per-pixel labels, canvas after canvas.
    pub fn masks(&self) -> &[u8] {
        &self.masks
    }

    /// The canvases `indices` normalised as MNIST's digits are,
    /// `(x - mean)/std`, and their labels as class indices.
    pub fn batch_into(&self, indices: &[usize], images: &mut Vec<f32>, labels: &mut Vec<usize>) {
        let plane = self.side * self.side;
        images.clear();
        labels.clear();
        for &i in indices {
            let src = &self.images[i * plane..(i + 1) * plane];
            images.extend(src.iter().map(|v| (v - MNIST_MEAN) / MNIST_STD));
            labels.extend(
                self.masks[i * plane..(i + 1) * plane]
                    .iter()
                    .map(|&m| m as usize),
            );
        }
    }
}

/// Writes both splits to one safetensors file, so another framework can
/// train on the identical data: `train_images` and `test_images` as float32
/// `[N, 1, side, side]` intensities in 0..=1, `train_masks` and
/// `test_masks` as uint8 `[N, side, side]` labels. The file is replaced
/// in one step.
pub fn export_canvases(
    path: &std::path::Path,
    train: &CanvasSet,
    test: &CanvasSet,
) -> Result<(), Error> {
    use safetensors::tensor::{Dtype, TensorView};
    let bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let (train_px, test_px) = (bytes(&train.images), bytes(&test.images));
    let view = |dtype, set: &CanvasSet, data, images: bool| {
        let (n, s) = (set.len(), set.side);
        let shape = if images {
            vec![n, 1, s, s]
        } else {
            vec![n, s, s]
        };
        TensorView::new(dtype, shape, data)
            .map_err(|e| Error::data(path, format!("cannot describe a tensor: {e:?}")))
    };
    let tensors = vec![
        (
            "train_images",
            view(Dtype::F32, train, &train_px[..], true)?,
        ),
        (
            "train_masks",
            view(Dtype::U8, train, &train.masks[..], false)?,
        ),
        ("test_images", view(Dtype::F32, test, &test_px[..], true)?),
        ("test_masks", view(Dtype::U8, test, &test.masks[..], false)?),
    ];
    let file = safetensors::tensor::serialize(tensors, &None)
        .map_err(|e| Error::data(path, format!("cannot encode the set: {e:?}")))?;
    crate::io::write_atomically(path, &file)
}

/// The top-left corner of a digit's box: the first of a few random tries
/// whose box overlaps none of `taken`, else the last try.
fn place(rng: &mut impl Rng, side: usize, taken: &[(usize, usize)]) -> (usize, usize) {
    let free = side - SIDE;
    let mut at = (0, 0);
    for _ in 0..32 {
        at = (rng.gen_range(0..=free), rng.gen_range(0..=free));
        let clear = taken
            .iter()
            .all(|t| t.0.abs_diff(at.0) >= SIDE || t.1.abs_diff(at.1) >= SIDE);
        if clear {
            break;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split() -> Split {
        // three digits: a bright square 0, a dim 1 (never foreground), a bar 2
        let mut images = vec![0u8; 3 * SIDE * SIDE];
        for r in 4..10 {
            for c in 4..10 {
                images[r * SIDE + c] = 255;
                images[SIDE * SIDE + r * SIDE + c] = 100;
            }
        }
        for c in 0..SIDE {
            images[2 * SIDE * SIDE + 14 * SIDE + c] = 200;
        }
        Split::new(images, vec![0, 1, 2]).unwrap()
    }

    #[test]
    fn labels_follow_the_half_intensity_rule_and_the_seed_decides_the_set() {
        let spec = Canvases {
            count: 50,
            ..Canvases::default()
        };
        let set = CanvasSet::compose(&split(), &spec).unwrap();
        assert_eq!(set.len(), 50);
        for (v, &m) in set.images().iter().zip(set.masks()) {
            // foreground exactly where a pasted pixel is at least 0.5
            assert_eq!(m > 0, *v >= 0.5, "pixel {v} labelled {m}");
            assert!(m == 0 || m == 1 || m == 3, "only digits 0 and 2 are bright");
        }
        let bars = set.masks().iter().filter(|&&m| m == 3).count();
        assert_eq!(bars % SIDE, 0, "a 2 is a whole row of 28 bright pixels");
        assert_eq!(CanvasSet::compose(&split(), &spec).unwrap(), set);
        let other = Canvases { seed: 1, ..spec };
        assert_ne!(CanvasSet::compose(&split(), &other).unwrap(), set);
    }

    #[test]
    fn the_export_holds_both_splits_with_their_shapes() {
        let spec = Canvases {
            count: 3,
            ..Canvases::default()
        };
        let train = CanvasSet::compose(&split(), &spec).unwrap();
        let test = CanvasSet::compose(
            &split(),
            &Canvases {
                count: 2,
                seed: 5,
                ..spec
            },
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("splotnet-canvas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("set.safetensors");
        export_canvases(&path, &train, &test).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let images = file.tensor("test_images").unwrap();
        assert_eq!(images.shape(), [2, 1, 64, 64]);
        let back: Vec<f32> = images
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(back, test.images());
        let masks = file.tensor("train_masks").unwrap();
        assert_eq!(
            (masks.shape(), masks.data()),
            (&[3, 64, 64][..], train.masks())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_specs_and_empty_splits_are_errors() {
        let empty = Split::new(vec![], vec![]).unwrap();
        let e = CanvasSet::compose(&empty, &Canvases::default()).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let small = Canvases {
            side: 20,
            ..Canvases::default()
        };
        let e = CanvasSet::compose(&split(), &small).unwrap_err();
        assert!(e.to_string().contains("at least 28"), "{e}");
    }
}
