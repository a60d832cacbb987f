//! Training and evaluating MNIST classifiers: seeded shuffling, SGD with
//! momentum or Adam, weight decay, a learning-rate schedule, per-epoch test
//! accuracy, a confusion matrix, atomic checkpoints, and a clear stop on a
//! non-finite loss.

mod checkpoint;
mod metrics;
#[cfg(test)]
mod tests;

pub use checkpoint::save_atomically;
pub use metrics::{Confusion, EpochMetrics};

use dfdx::nn::ZeroGrads;
use dfdx::optim::{Adam, Optimizer, Sgd};
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::PathBuf;
use std::time::Instant;
use typenum::{U1, U10, U32};

use crate::data::{Mnist, Split};
use crate::dims::N;
use crate::Error;

/// A batch of padded MNIST digits.
pub type Digits<T = NoneTape> = Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu, T>;
/// Ten class scores per digit.
pub type Logits<T = NoneTape> = Tensor<(usize, N<U10>), f32, Cpu, T>;

/// A network that maps padded 32x32 digits to ten class scores.
pub trait MnistClassifier: TensorCollection<f32, Cpu> {
    /// Training pass (dropout on, batch statistics).
    fn logits_train(
        &mut self,
        x: Digits<OwnedTape<f32, Cpu>>,
    ) -> crate::Result<Logits<OwnedTape<f32, Cpu>>>;
    /// Inference pass.
    fn logits(&self, x: Digits) -> crate::Result<Logits>;
}

/// Which optimiser updates the parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// SGD with classic momentum.
    Sgd {
        /// The momentum (0 for plain SGD).
        momentum: f32,
    },
    /// Adam with PyTorch's default betas.
    Adam,
}

/// How the learning rate moves over epochs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// The same rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` epochs.
    Step {
        /// Epochs between decays.
        every: usize,
        /// The decay factor.
        gamma: f32,
    },
    /// Cosine from the base rate down to zero over the run.
    Cosine,
}

impl Schedule {
    /// The learning rate of `epoch` (from 0) out of `epochs`.
    pub fn rate(&self, base: f32, epoch: usize, epochs: usize) -> f32 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine => {
                let t = epoch as f32 / epochs.max(1) as f32;
                base * 0.5 * (1.0 + (core::f32::consts::PI * t).cos())
            }
        }
    }
}

/// Everything a training run needs besides the model and the data.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Passes over the training split.
    pub epochs: usize,
    /// Digits per step.
    pub batch_size: usize,
    /// The base learning rate.
    pub lr: f32,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// L2 weight decay added to the gradients.
    pub weight_decay: f32,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Seeds the shuffling.
    pub seed: u64,
    /// Where to write `checkpoint.safetensors` after every epoch, if anywhere.
    pub checkpoint: Option<PathBuf>,
    /// Random distortions of the training digits, if any.
    pub augment: Option<crate::data::Distortion>,
}

impl Default for TrainConfig {
    /// The anchor's settings: SGD, lr 0.05, momentum 0.9, batch 64.
    fn default() -> Self {
        TrainConfig {
            epochs: 3,
            batch_size: 64,
            lr: 0.05,
            optimizer: OptimizerKind::Sgd { momentum: 0.9 },
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            seed: 0,
            checkpoint: None,
            augment: None,
        }
    }
}

/// What the loop reports while it runs.
pub enum Progress<'a> {
    /// After a step: epoch, digits seen, digits in the epoch, running loss and accuracy, digits/s.
    Step {
        /// Epoch (from 1).
        epoch: usize,
        /// Digits seen this epoch.
        seen: usize,
        /// Digits in the epoch.
        total: usize,
        /// Mean loss so far this epoch.
        loss: f32,
        /// Accuracy so far this epoch.
        accuracy: f32,
        /// Training throughput so far this epoch.
        images_per_sec: f32,
    },
    /// After an epoch's evaluation.
    Epoch(&'a EpochMetrics),
}

enum Opt<M> {
    Sgd(Sgd<M, f32, Cpu>),
    Adam(Adam<M, f32, Cpu>),
}

impl<M: TensorCollection<f32, Cpu>> Opt<M> {
    fn new(model: &M, c: &TrainConfig) -> Self {
        let wd = (c.weight_decay > 0.0).then_some(WeightDecay::L2(c.weight_decay as f64));
        match c.optimizer {
            OptimizerKind::Sgd { momentum } => Opt::Sgd(Sgd::new(
                model,
                SgdConfig {
                    lr: c.lr as f64,
                    momentum: (momentum > 0.0).then_some(Momentum::Classic(momentum as f64)),
                    weight_decay: wd,
                },
            )),
            OptimizerKind::Adam => Opt::Adam(Adam::new(
                model,
                AdamConfig {
                    lr: c.lr as f64,
                    weight_decay: wd,
                    ..Default::default()
                },
            )),
        }
    }

    fn set_lr(&mut self, lr: f32) {
        match self {
            Opt::Sgd(o) => o.cfg.lr = lr as f64,
            Opt::Adam(o) => o.cfg.lr = lr as f64,
        }
    }

    fn update(&mut self, model: &mut M, grads: &Gradients<f32, Cpu>) -> crate::Result<()> {
        match self {
            Opt::Sgd(o) => o.update(model, grads),
            Opt::Adam(o) => o.update(model, grads),
        }
        .map_err(|e| Error::Device(format!("optimiser update: {e}")))
    }
}

fn one_hot(dev: &Cpu, labels: &[usize]) -> Tensor<(usize, N<U10>), f32, Cpu> {
    let mut v = vec![0.0f32; labels.len() * 10];
    for (i, &l) in labels.iter().enumerate() {
        v[i * 10 + l] = 1.0;
    }
    dev.tensor_from_vec(v, (labels.len(), N::new()))
}

fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}

/// Trains `model` on `data.train`, evaluating on `data.test` after every epoch.
///
/// Returns the metrics of every epoch; stops with an error on a non-finite loss.
pub fn train<M: MnistClassifier>(
    model: &mut M,
    data: &Mnist,
    config: &TrainConfig,
    mut progress: impl FnMut(Progress),
) -> crate::Result<Vec<EpochMetrics>> {
    let dev: Cpu = Cpu::default();
    let mut opt = Opt::new(model, config);
    let mut grads = model.alloc_grads();
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..data.train.len()).collect();
    let mut pixels = Vec::new();
    let mut history = Vec::new();
    for epoch in 0..config.epochs {
        let lr = config.schedule.rate(config.lr, epoch, config.epochs);
        opt.set_lr(lr);
        order.shuffle(&mut rng);
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        for (step, batch) in order.chunks(config.batch_size).enumerate() {
            match &config.augment {
                Some(d) => data
                    .train
                    .distorted_batch_into(batch, 2, d, &mut rng, &mut pixels),
                None => data.train.batch_into(batch, 2, &mut pixels),
            }
            let x: Digits =
                dev.tensor_from_vec(pixels.clone(), (batch.len(), N::new(), N::new(), N::new()));
            let labels: Vec<usize> = batch.iter().map(|&i| data.train.label(i)).collect();
            let logits = model.logits_train(x.traced(grads))?;
            let scores = logits.as_vec();
            let loss = cross_entropy_with_logits_loss(logits, one_hot(&dev, &labels));
            let value = loss.array();
            if !value.is_finite() {
                return Err(Error::Device(format!(
                    "the loss became {value} at epoch {}, step {step} (learning rate {lr}); lower the learning rate",
                    epoch + 1
                )));
            }
            grads = loss.backward();
            opt.update(model, &grads)?;
            model.zero_grads(&mut grads);
            loss_sum += value as f64 * batch.len() as f64;
            correct += scores
                .chunks_exact(10)
                .zip(&labels)
                .filter(|(s, &l)| argmax(s) == l)
                .count();
            seen += batch.len();
            if step % 20 == 0 || seen == order.len() {
                progress(Progress::Step {
                    epoch: epoch + 1,
                    seen,
                    total: order.len(),
                    loss: (loss_sum / seen as f64) as f32,
                    accuracy: correct as f32 / seen as f32,
                    images_per_sec: seen as f32 / start.elapsed().as_secs_f32(),
                });
            }
        }
        let train_seconds = start.elapsed().as_secs_f32();
        let confusion = evaluate(model, &data.test, 1000)?;
        let metrics = EpochMetrics {
            epoch: epoch + 1,
            lr,
            train_loss: (loss_sum / seen.max(1) as f64) as f32,
            train_accuracy: correct as f32 / seen.max(1) as f32,
            test_accuracy: confusion.accuracy(),
            images_per_sec: seen as f32 / train_seconds,
            seconds: start.elapsed().as_secs_f32(),
            confusion,
        };
        if let Some(path) = &config.checkpoint {
            save_atomically(model, path)?;
        }
        progress(Progress::Epoch(&metrics));
        history.push(metrics);
    }
    Ok(history)
}

/// Classifies every digit of `split` in batches of `batch`: the confusion matrix.
pub fn evaluate<M: MnistClassifier>(
    model: &M,
    split: &Split,
    batch: usize,
) -> crate::Result<Confusion> {
    let dev: Cpu = Cpu::default();
    let mut confusion = Confusion::default();
    let indices: Vec<usize> = (0..split.len()).collect();
    let mut pixels = Vec::new();
    for chunk in indices.chunks(batch.max(1)) {
        split.batch_into(chunk, 2, &mut pixels);
        let x: Digits =
            dev.tensor_from_vec(pixels.clone(), (chunk.len(), N::new(), N::new(), N::new()));
        let scores = model.logits(x)?.as_vec();
        for (s, &i) in scores.chunks_exact(10).zip(chunk) {
            confusion.add(split.label(i), argmax(s));
        }
    }
    Ok(confusion)
}
