//! Training and evaluating segmenters: networks that give class scores
//! for every pixel of a canvas ([`crate::data::CanvasSet`]). The loss is
//! the per-pixel cross-entropy averaged over pixels; the measures are pixel
//! accuracy and intersection over union per class (and their mean, mIoU).
//!
//! Runs use [`TrainConfig`] as classifiers do, with the same checkpoints
//! and exact resume.

use core::fmt;
use dfdx::nn::ZeroGrads;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Instant;
use typenum::{Unsigned, U1, U11, U64};

use super::{checkpoint, epoch_seed, resume, Optimizer, TrainConfig};
use crate::data::{CanvasSet, CANVAS_CLASSES, CANVAS_CLASS_NAMES};
use crate::dims::N;
use crate::Error;

/// A batch of 64x64 canvases.
pub type Canvas<T = NoneTape> = Tensor<(usize, N<U1>, N<U64>, N<U64>), f32, Cpu, T>;
/// Eleven class scores per pixel of a canvas.
pub type PixelScores<T = NoneTape> = Tensor<(usize, N<U11>, N<U64>, N<U64>), f32, Cpu, T>;

/// A network that gives every pixel of a 64x64 canvas eleven class scores.
pub trait Segmenter: TensorCollection<f32, Cpu> + Send + Sync {
    /// Training pass (batch statistics).
    fn scores_train(
        &mut self,
        x: Canvas<OwnedTape<f32, Cpu>>,
    ) -> crate::Result<PixelScores<OwnedTape<f32, Cpu>>>;
    /// Inference pass.
    fn scores(&self, x: Canvas) -> crate::Result<PixelScores>;
}

impl Segmenter for crate::zoo::unet::UNetPadded<f32, Cpu> {
    fn scores_train(
        &mut self,
        x: Canvas<OwnedTape<f32, Cpu>>,
    ) -> crate::Result<PixelScores<OwnedTape<f32, Cpu>>> {
        self.forward_train(x)
    }

    fn scores(&self, x: Canvas) -> crate::Result<PixelScores> {
        self.forward(x)
    }
}

/// Counts of (true class, predicted class) over pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PixelConfusion {
    classes: usize,
    /// `counts[truth * classes + predicted]`.
    counts: Vec<u64>,
}

impl PixelConfusion {
    /// An empty matrix over `classes` classes.
    pub fn new(classes: usize) -> Self {
        PixelConfusion {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Records one pixel.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    /// Pixels of class `truth` predicted as `predicted`.
    pub fn count(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    /// The fraction of pixels labelled correctly.
    pub fn accuracy(&self) -> f32 {
        let right: u64 = (0..self.classes).map(|c| self.count(c, c)).sum();
        right as f32 / self.counts.iter().sum::<u64>().max(1) as f32
    }

    /// Intersection over union of class `c`: `TP / (TP + FP + FN)`, or
    /// `None` when the class is neither present nor predicted.
    pub fn iou(&self, c: usize) -> Option<f32> {
        let tp = self.count(c, c);
        let truth: u64 = (0..self.classes).map(|p| self.count(c, p)).sum();
        let predicted: u64 = (0..self.classes).map(|t| self.count(t, c)).sum();
        let union = truth + predicted - tp;
        (union > 0).then(|| tp as f32 / union as f32)
    }

    /// The mean of [`PixelConfusion::iou`] over the classes that have one.
    pub fn mean_iou(&self) -> f32 {
        let ious: Vec<f32> = (0..self.classes).filter_map(|c| self.iou(c)).collect();
        ious.iter().sum::<f32>() / ious.len().max(1) as f32
    }
}

impl fmt::Display for PixelConfusion {
    /// The per-class table: IoU, pixels of the class, pixels predicted as it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>12} {:>8} {:>10} {:>10}",
            "class", "IoU", "pixels", "predicted"
        )?;
        for c in 0..self.classes {
            let name = CANVAS_CLASS_NAMES
                .get(c)
                .map_or_else(|| c.to_string(), |n| n.to_string());
            let truth: u64 = (0..self.classes).map(|p| self.count(c, p)).sum();
            let predicted: u64 = (0..self.classes).map(|t| self.count(t, c)).sum();
            let iou = self.iou(c).map_or("-".into(), |v| format!("{v:.4}"));
            writeln!(f, "{name:>12} {iou:>8} {truth:>10} {predicted:>10}")?;
        }
        writeln!(f, "{:>12} {:>8.4}", "mean", self.mean_iou())?;
        write!(f, "{:>12} {:>8.4}", "pixel acc", self.accuracy())
    }
}

/// What one epoch of a segmentation run measured.
#[derive(Clone, Debug)]
pub struct SegmentEpoch {
    /// The epoch, from 1.
    pub epoch: usize,
    /// Its learning rate.
    pub lr: f32,
    /// Mean training loss per pixel.
    pub train_loss: f32,
    /// Training pixel accuracy (weights moving).
    pub train_pixel_accuracy: f32,
    /// Mean loss per pixel on the test set after the epoch.
    pub test_loss: f32,
    /// Test pixel accuracy after the epoch.
    pub test_pixel_accuracy: f32,
    /// Test mean IoU over the classes after the epoch.
    pub test_miou: f32,
    /// Training canvases per second.
    pub images_per_sec: f32,
    /// Wall time of the epoch, evaluation included.
    pub seconds: f32,
    /// The test set's pixel confusion matrix.
    pub confusion: PixelConfusion,
}

impl SegmentEpoch {
    /// The columns of [`SegmentEpoch::csv_row`].
    pub const CSV_HEADER: &'static str = "epoch,lr,train_loss,train_pixel_accuracy,test_loss,test_pixel_accuracy,test_miou,images_per_sec,seconds";

    /// The epoch as one CSV row.
    pub fn csv_row(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{}",
            self.epoch,
            self.lr,
            self.train_loss,
            self.train_pixel_accuracy,
            self.test_loss,
            self.test_pixel_accuracy,
            self.test_miou,
            self.images_per_sec,
            self.seconds
        )
    }
}

/// What a segmentation run reports while it runs.
pub enum SegmentProgress<'a> {
    /// After a step: epoch (from 1), canvases seen and in the epoch, mean
    /// loss and pixel accuracy so far, canvases per second.
    Step {
        /// Epoch (from 1).
        epoch: usize,
        /// Canvases seen this epoch.
        seen: usize,
        /// Canvases in the epoch.
        total: usize,
        /// Mean loss per pixel so far.
        loss: f32,
        /// Pixel accuracy so far.
        pixel_accuracy: f32,
        /// Throughput so far.
        images_per_sec: f32,
    },
    /// After an epoch's evaluation.
    Epoch(&'a SegmentEpoch),
    /// A resumed run continues after this many completed epochs.
    Resumed(usize),
}

/// The per-pixel cross-entropy of `scores` against `labels` (one class per
/// pixel, image by image, row by row), averaged over pixels.
pub fn pixel_cross_entropy<T: Tape<f32, Cpu>>(
    scores: PixelScores<T>,
    labels: &[usize],
) -> crate::Result<Tensor<(), f32, Cpu, T>> {
    let (b, _, h, w) = *scores.shape();
    let pixels = b * h.size() * w.size();
    if labels.len() != pixels {
        return Err(Error::shape(
            "pixel_cross_entropy",
            format!("{} labels for {pixels} pixels", labels.len()),
        ));
    }
    let mut one_hot = vec![0.0f32; pixels * CANVAS_CLASSES];
    for (p, &l) in labels.iter().enumerate() {
        if l >= CANVAS_CLASSES {
            return Err(Error::shape(
                "pixel_cross_entropy",
                format!("pixel {p}: label {l} is not one of {CANVAS_CLASSES} classes"),
            ));
        }
        one_hot[p * CANVAS_CLASSES + l] = 1.0;
    }
    let dev = scores.device().clone();
    let targets = dev.try_tensor_from_vec(one_hot, (pixels, N::<U11>::new()))?;
    let rows = scores
        .try_permute::<_, Axes4<0, 2, 3, 1>>()?
        .try_reshape_like(&(pixels, N::<U11>::new()))?;
    Ok(rows
        .try_log_softmax::<Axis<1>>()?
        .try_mul(targets)?
        .try_sum()?
        .try_negate()?
        / pixels as f32)
}

/// Pixels of a canvas, from [`Canvas`]'s type.
const PLANE: usize = U64::USIZE * U64::USIZE;

// the score type's classes are the data's
const _: () = assert!(U11::USIZE == CANVAS_CLASSES);

/// The class with the highest score at each pixel of `scores`
/// (`images x classes x pixels`).
pub fn predicted_classes(scores: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(scores.len() / CANVAS_CLASSES);
    for img in scores.chunks_exact(CANVAS_CLASSES * PLANE) {
        for p in 0..PLANE {
            let best = (0..CANVAS_CLASSES)
                .max_by(|&a, &b| img[a * PLANE + p].total_cmp(&img[b * PLANE + p]))
                .unwrap_or(0);
            out.push(best as u8);
        }
    }
    out
}

/// Checks what [`train_segmenter`] cannot run with: call it before writing
/// anything, so a bad setting loses nothing.
pub fn check_run(train: &CanvasSet, test: &CanvasSet, config: &TrainConfig) -> crate::Result<()> {
    let bad = |m: String| Err(Error::shape("train_segmenter", m));
    config.validate()?;
    for (name, set) in [("training", train), ("test", test)] {
        if set.is_empty() {
            return bad(format!("the {name} set has no canvases"));
        }
        let side = U64::USIZE;
        if set.side() != side {
            return bad(format!(
                "the {name} canvases are {0}x{0}; this network takes {side}x{side}",
                set.side()
            ));
        }
    }
    Ok(())
}

/// Trains `model` on `train`, evaluating on `test` after every epoch; with
/// `config.checkpoint`, saves the model and optimiser after each epoch, and
/// with `config.resume` continues a stopped run exactly.
///
/// Returns the metrics of every epoch run here; stops with an error on a
/// non-finite loss. `config.augment` is not used (digit distortions are
/// for single digits).
pub fn train_segmenter<M: Segmenter>(
    model: &mut M,
    train: &CanvasSet,
    test: &CanvasSet,
    config: &TrainConfig,
    mut progress: impl FnMut(SegmentProgress),
) -> crate::Result<Vec<SegmentEpoch>> {
    check_run(train, test, config)?;
    let mut opt = Optimizer::new(config.optimizer, config.lr, config.weight_decay);
    let mut first = 0;
    if config.resume {
        let path = config.checkpoint.as_ref().ok_or_else(|| {
            Error::shape("train_segmenter", "resuming needs the checkpoint's path")
        })?;
        first = resume(model, &mut opt, path, config)?;
        progress(SegmentProgress::Resumed(first));
    }
    let mut grads = model.alloc_grads();
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    let mut history = Vec::new();
    for epoch in first..config.epochs {
        let steps = train.len().div_ceil(config.batch_size);
        let mut lr = config.step_rate(epoch, 0, steps);
        let seed = epoch_seed(config.seed, epoch);
        let mut rng = StdRng::seed_from_u64(seed);
        let dev = Cpu::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        let start = Instant::now();
        let (mut loss_sum, mut right, mut seen) = (0.0f64, 0usize, 0usize);
        for (step, batch) in order.chunks(config.batch_size).enumerate() {
            lr = config.step_rate(epoch, step, steps);
            opt.lr = lr;
            train.batch_into(batch, &mut pixels, &mut labels);
            let x: Canvas =
                dev.tensor_from_vec(pixels.clone(), (batch.len(), N::new(), N::new(), N::new()));
            let (predicted, value, next) = rayon::scope(|_| -> crate::Result<_> {
                let scores = model.scores_train(x.traced(grads))?;
                let predicted = predicted_classes(&scores.as_vec());
                let loss = pixel_cross_entropy(scores, &labels)?;
                let value = loss.array();
                if !value.is_finite() {
                    return Err(Error::Device(format!(
                        "the loss became {value} at epoch {}, step {step} (learning rate {lr}); lower the learning rate",
                        epoch + 1
                    )));
                }
                let mut grads = loss.backward();
                opt.update(model, &grads)?;
                model.zero_grads(&mut grads);
                Ok((predicted, value, grads))
            })?;
            grads = next;
            loss_sum += value as f64 * batch.len() as f64;
            right += predicted
                .iter()
                .zip(&labels)
                .filter(|(p, l)| **p as usize == **l)
                .count();
            seen += batch.len();
            progress(SegmentProgress::Step {
                epoch: epoch + 1,
                seen,
                total: order.len(),
                loss: (loss_sum / seen as f64) as f32,
                pixel_accuracy: right as f32 / (seen * PLANE) as f32,
                images_per_sec: seen as f32 / start.elapsed().as_secs_f32(),
            });
        }
        let train_seconds = start.elapsed().as_secs_f32();
        let (confusion, test_loss) = evaluate_segmenter(model, test, 100)?;
        let metrics = SegmentEpoch {
            epoch: epoch + 1,
            lr,
            train_loss: (loss_sum / seen as f64) as f32,
            train_pixel_accuracy: right as f32 / (seen * PLANE) as f32,
            test_loss,
            test_pixel_accuracy: confusion.accuracy(),
            test_miou: confusion.mean_iou(),
            images_per_sec: seen as f32 / train_seconds,
            seconds: start.elapsed().as_secs_f32(),
            confusion,
        };
        if let Some(path) = &config.checkpoint {
            checkpoint(model, &opt, path, config, epoch + 1)?;
        }
        progress(SegmentProgress::Epoch(&metrics));
        history.push(metrics);
    }
    Ok(history)
}

/// Segments every canvas of `set` in batches of `batch`: the pixel
/// confusion matrix and the mean loss per pixel.
pub fn evaluate_segmenter<M: Segmenter>(
    model: &M,
    set: &CanvasSet,
    batch: usize,
) -> crate::Result<(PixelConfusion, f32)> {
    let dev = Cpu::default();
    let mut confusion = PixelConfusion::new(CANVAS_CLASSES);
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    let indices: Vec<usize> = (0..set.len()).collect();
    let mut loss_sum = 0.0f64;
    for chunk in indices.chunks(batch.max(1)) {
        set.batch_into(chunk, &mut pixels, &mut labels);
        let x: Canvas =
            dev.tensor_from_vec(pixels.clone(), (chunk.len(), N::new(), N::new(), N::new()));
        let scores = rayon::scope(|_| model.scores(x))?;
        for (p, &t) in predicted_classes(&scores.as_vec()).iter().zip(&labels) {
            confusion.add(t, *p as usize);
        }
        loss_sum += pixel_cross_entropy(scores, &labels)?.array() as f64 * chunk.len() as f64;
    }
    Ok((confusion, (loss_sum / set.len().max(1) as f64) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{embedded_sample, Canvases};
    use crate::train::{OptimizerKind, Schedule};
    use crate::zoo::unet::UNetPadded;

    #[test]
    fn iou_and_accuracy_from_the_confusion_matrix() {
        let mut c = PixelConfusion::new(3);
        // class 0: 6 right, 2 called 1; class 1: 3 right, 1 called 0; class 2 absent
        for (t, p, n) in [(0, 0, 6), (0, 1, 2), (1, 1, 3), (1, 0, 1)] {
            (0..n).for_each(|_| c.add(t, p));
        }
        assert_eq!(c.iou(0), Some(6.0 / 9.0));
        assert_eq!(c.iou(1), Some(3.0 / 6.0));
        assert_eq!(c.iou(2), None, "absent and never predicted");
        assert!((c.mean_iou() - (6.0 / 9.0 + 0.5) / 2.0).abs() < 1e-6);
        assert_eq!(c.accuracy(), 9.0 / 12.0);
    }

    #[test]
    fn the_loss_is_the_mean_pixel_cross_entropy() {
        let dev: Cpu = Default::default();
        let v = crate::testing::values(2 * CANVAS_CLASSES * PLANE, 3);
        let scores: PixelScores = dev.tensor_from_vec(v.clone(), (2, N::new(), N::new(), N::new()));
        let labels: Vec<usize> = (0..2 * PLANE).map(|p| (p * 7) % CANVAS_CLASSES).collect();
        let got = pixel_cross_entropy(scores, &labels).unwrap().array() as f64;
        let mut want = 0.0f64;
        for (p, &l) in labels.iter().enumerate() {
            let (img, at) = (p / PLANE, p % PLANE);
            let s = |c: usize| v[(img * CANVAS_CLASSES + c) * PLANE + at] as f64;
            let lse = (0..CANVAS_CLASSES).map(|c| s(c).exp()).sum::<f64>().ln();
            want += lse - s(l);
        }
        want /= labels.len() as f64;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        let bad = vec![CANVAS_CLASSES; 2 * PLANE];
        let scores: PixelScores = dev.zeros_like(&(2, N::new(), N::new(), N::new()));
        let e = pixel_cross_entropy(scores, &bad).unwrap_err();
        assert!(e.to_string().contains("label 11"), "{e}");
    }

    #[test]
    fn a_resumed_run_ends_where_an_unbroken_one_does() {
        let mnist = embedded_sample().unwrap();
        let spec = |count, seed| Canvases {
            count,
            seed,
            ..Canvases::default()
        };
        let train = CanvasSet::compose(&mnist.train, &spec(12, 1)).unwrap();
        let test = CanvasSet::compose(&mnist.test, &spec(4, 2)).unwrap();
        let dir = std::env::temp_dir().join(format!("splotnet-segresume-{}", std::process::id()));
        let (whole_dir, cut_dir) = (dir.join("whole"), dir.join("cut"));
        std::fs::create_dir_all(&whole_dir).unwrap();
        std::fs::create_dir_all(&cut_dir).unwrap();
        let config = |d: &std::path::Path, resume| TrainConfig {
            epochs: 2,
            batch_size: 4,
            lr: 1e-3,
            optimizer: OptimizerKind::Adam,
            schedule: Schedule::Cosine,
            checkpoint: Some(d.join("checkpoint.safetensors")),
            resume,
            ..TrainConfig::default()
        };
        // the same seed builds the same starting weights
        let start = || UNetPadded::<f32, Cpu>::build(&Cpu::seed_from_u64(0));
        // the unbroken run, whose files after epoch 1 are kept as if it had stopped there
        let mut whole = start();
        let files = ["checkpoint.safetensors", "checkpoint.optimizer.safetensors"];
        let history = train_segmenter(&mut whole, &train, &test, &config(&whole_dir, false), |p| {
            if let SegmentProgress::Epoch(m) = p {
                if m.epoch == 1 {
                    for f in files {
                        std::fs::copy(whole_dir.join(f), cut_dir.join(f)).unwrap();
                    }
                }
            }
        })
        .unwrap();
        assert_eq!(history.len(), 2);
        let mut resumed = start();
        let mut from = None;
        let rest = train_segmenter(&mut resumed, &train, &test, &config(&cut_dir, true), |p| {
            if let SegmentProgress::Resumed(done) = p {
                from = Some(done);
            }
        })
        .unwrap();
        assert_eq!((from, rest.len()), (Some(1), 1));
        assert_eq!(rest[0].test_miou, history[1].test_miou);
        let (a, b) = (&whole.conv1_1.weight, &resumed.conv1_1.weight);
        assert_eq!(
            a.as_vec(),
            b.as_vec(),
            "first layer after the resumed epoch"
        );
        let (a, b) = (&whole.conv4_2.weight, &resumed.conv4_2.weight);
        assert_eq!(a.as_vec(), b.as_vec(), "bottleneck after the resumed epoch");
        assert_eq!(
            whole.bn3_1.running_var.as_vec(),
            resumed.bn3_1.running_var.as_vec()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
