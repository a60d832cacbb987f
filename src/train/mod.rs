//! Training and evaluating classifiers: [`fit`] trains any `network!`
//! declaration that scores classes ([`Classifier`]) on any labelled
//! [`Samples`](crate::data::Samples), with seeded shuffling and
//! augmentation, SGD (momentum, Nesterov), Adam or AdamW, weight decay,
//! warm-up and a learning-rate schedule, auxiliary heads' weighted losses,
//! per-epoch top-1 and top-5 test accuracy and a confusion matrix, atomic
//! checkpoints with the optimiser's state (so `resume` continues a run
//! exactly, and refuses one it cannot), and a clear stop on a non-finite
//! loss. [`train`] is the same loop for MNIST-format data.

mod checkpoint;
mod classifier;
mod fit;
mod metrics;
mod optim;
mod run_dir;
pub mod segment;
#[cfg(test)]
mod tests;

pub use crate::io::write_atomically;
pub use checkpoint::{optimizer_path, save_atomically};
pub use classifier::{as_rows, check_rows, first_filters, Classifier, Rows, TrainScores};
pub use fit::{
    check_fit, evaluate_on, fit, train_step, Evaluation, SeededDevice, StepResult, TrainOn,
};
pub use metrics::{Confusion, EpochMetrics};
pub use optim::Optimizer;
pub use run_dir::{prepare_run_dir, RunStart};

use dfdx::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use typenum::{U1, U10, U32};

use crate::data::{Mnist, Padded, Split};
use crate::dims::N;
use crate::Error;

/// A batch of padded MNIST digits.
pub type Digits<T = NoneTape> = Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu, T>;
/// Ten class scores per digit.
pub type Logits<T = NoneTape> = Tensor<(usize, N<U10>), f32, Cpu, T>;

/// Which optimiser updates the parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// SGD with classic momentum.
    Sgd {
        /// The momentum (0 for plain SGD).
        momentum: f32,
    },
    /// SGD with Nesterov momentum, as PyTorch's `nesterov=True`.
    Nesterov {
        /// The momentum (above 0).
        momentum: f32,
    },
    /// Adam with PyTorch's default betas.
    Adam,
    /// AdamW (Loshchilov and Hutter, 2019): Adam with the weight decay
    /// applied to the weights directly, not added to the gradient.
    AdamW,
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
    /// Cosine from the base rate down to zero over the run, one rate per
    /// epoch.
    Cosine,
    /// The same cosine, moving every step (PyTorch's `CosineAnnealingLR`
    /// stepped per batch): the last steps train at nearly zero.
    CosineSteps,
}

impl Schedule {
    /// The learning rate of `epoch` (from 0) out of `epochs`.
    pub fn rate(&self, base: f32, epoch: usize, epochs: usize) -> f32 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine | Schedule::CosineSteps => {
                cosine(base, epoch as f32 / epochs.max(1) as f32)
            }
        }
    }
}

/// The cosine schedule's rate at fraction `t` of the run.
fn cosine(base: f32, t: f32) -> f32 {
    base * 0.5 * (1.0 + (core::f32::consts::PI * t).cos())
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
    /// Where to write the model after every epoch, if anywhere; the
    /// optimiser's state goes beside it (see [`optimizer_path`]).
    pub checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint (model and optimiser state) after the
    /// epochs it completed, exactly as if the run had not stopped.
    pub resume: bool,
    /// Random transformations of the training samples.
    pub augment: crate::data::Augment,
    /// Epochs over which the learning rate ramps up linearly, step by
    /// step, to the schedule's (0: none).
    pub warmup_epochs: usize,
    /// The data's name (`MNIST`, `Fashion-MNIST`, ..), stored with the
    /// checkpoint so that a run is resumed on the data it started on.
    pub data: String,
}

impl TrainConfig {
    /// Checks the settings a run cannot go on with (no epoch, empty
    /// batches, a learning rate that is not a positive number, a momentum
    /// outside `[0, 1)`, a negative or non-finite weight decay), so that a
    /// caller refuses them before writing anything.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |m: String| Err(Error::shape("training settings", m));
        if self.epochs == 0 {
            return bad("the number of epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("the batch size must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!(
                "the learning rate must be a positive number, got {}",
                self.lr
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!(
                "the weight decay must be zero or positive, got {}",
                self.weight_decay
            ));
        }
        if let OptimizerKind::Sgd { momentum } | OptimizerKind::Nesterov { momentum } =
            self.optimizer
        {
            if !(0.0..1.0).contains(&momentum) {
                return bad(format!("the momentum must be in [0, 1), got {momentum}"));
            }
        }
        Ok(())
    }

    /// [`TrainConfig::validate`], and the data: both splits must hold digits.
    pub fn validate_for(&self, data: &Mnist) -> crate::Result<()> {
        self.validate()?;
        for (name, split) in [("training", &data.train), ("test", &data.test)] {
            if split.is_empty() {
                return Err(Error::shape(
                    "training settings",
                    format!("the {name} split has no digits"),
                ));
            }
        }
        Ok(())
    }
}

impl TrainConfig {
    /// The learning rate of step `step` (from 0) of epoch `epoch` (from 0)
    /// when an epoch has `steps` steps: the schedule's rate for the epoch,
    /// scaled by `(s + 1) / warm-up steps` while the warm-up lasts (`s`
    /// counting steps from the start of the run).
    pub fn step_rate(&self, epoch: usize, step: usize, steps: usize) -> f32 {
        let rate = match self.schedule {
            Schedule::CosineSteps => {
                let t = (epoch * steps + step) as f32 / (self.epochs * steps).max(1) as f32;
                cosine(self.lr, t)
            }
            _ => self.schedule.rate(self.lr, epoch, self.epochs),
        };
        let warmup = self.warmup_epochs * steps;
        let s = epoch * steps + step;
        if s < warmup {
            rate * (s + 1) as f32 / warmup as f32
        } else {
            rate
        }
    }
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
            resume: false,
            augment: crate::data::Augment::NONE,
            warmup_epochs: 0,
            data: "MNIST".into(),
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
    /// A resumed run continues after this many completed epochs.
    Resumed(usize),
}

/// The index of the highest score (the first of equal ones): the
/// predicted class.
pub fn argmax(row: &[f32]) -> usize {
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

/// The seed of epoch `epoch`'s shuffling, distortions and dropout: each
/// epoch derives its own, so a resumed run needs no generator state.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (epoch as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

/// The settings a resumed run must share with the run it continues.
fn run_fields(c: &TrainConfig) -> Vec<(&'static str, String)> {
    vec![
        ("seed", c.seed.to_string()),
        ("epochs", c.epochs.to_string()),
        ("batch_size", c.batch_size.to_string()),
        ("lr", c.lr.to_string()),
        ("optimizer_settings", format!("{:?}", c.optimizer)),
        ("weight_decay", c.weight_decay.to_string()),
        ("schedule", format!("{:?}", c.schedule)),
        ("augment", format!("{:?}", c.augment)),
        ("data", c.data.clone()),
        ("warmup_epochs", c.warmup_epochs.to_string()),
    ]
}

/// Loads the checkpoint and optimiser state of an earlier run with the same
/// settings: the number of epochs it completed.
fn resume<M: TensorCollection<f32, D>, D: Device<f32>>(
    model: &mut M,
    opt: &mut Optimizer,
    path: &std::path::Path,
    config: &TrainConfig,
) -> crate::Result<usize> {
    let state_path = optimizer_path(path);
    // the model's file first: a damaged one is named as such, not as a
    // mismatch with the optimiser state
    let saved = crate::state_dict::file_shapes(path)?;
    let meta = opt.load(&state_path)?;
    for (key, value) in run_fields(config) {
        let saved = meta.get(key).map_or("(missing)", String::as_str);
        if saved != value {
            return Err(Error::data(
                &state_path,
                format!("cannot resume exactly: the run used {key} {saved}, this one {value}"),
            ));
        }
    }
    // another network's checkpoint: its tensors are not this model's
    let ours = crate::state_dict::tensor_shapes(model);
    if meta.get("network").map(String::as_str) != Some(network_key(&ours).as_str()) {
        let first_difference = ours
            .iter()
            .find(|t| !saved.contains(t))
            .map(|(n, s)| format!("this model's `{n}` {s:?} is not in it"))
            .or_else(|| {
                saved
                    .iter()
                    .find(|t| !ours.contains(t))
                    .map(|(n, s)| format!("its `{n}` {s:?} is not in this model"))
            })
            .unwrap_or_else(|| "the tensors are the same, the network recorded is not".into());
        return Err(Error::data(
            path,
            format!("the checkpoint was written by another network: {first_difference}; resume with the model that wrote it"),
        ));
    }
    if meta.get("model").map(String::as_str) != Some(checkpoint::fingerprint(path)?.as_str()) {
        return Err(Error::data(
            path,
            "the model checkpoint is not the one the optimiser state was saved with (a run stopped between the two writes?)",
        ));
    }
    opt.check_against(model, &state_path)?;
    crate::state_dict::load_state_dict(model, path)?;
    meta.get("epochs_done")
        .and_then(|e| e.parse().ok())
        .ok_or_else(|| Error::data(&state_path, "the optimiser state lacks `epochs_done`"))
}

/// A key of a network's tensors, names and shapes in order: two networks
/// share it only if a checkpoint of one fits the other.
fn network_key(tensors: &[(String, Vec<usize>)]) -> String {
    let text: String = tensors.iter().map(|(n, s)| format!("{n}{s:?};")).collect();
    checkpoint::fnv(text.as_bytes())
}

/// Saves the model, then the optimiser state tied to it.
fn checkpoint<M: TensorCollection<f32, D>, D: Device<f32>>(
    model: &M,
    opt: &Optimizer,
    path: &std::path::Path,
    config: &TrainConfig,
    epochs_done: usize,
) -> crate::Result<()> {
    save_atomically(model, path)?;
    let mut meta: HashMap<String, String> = run_fields(config)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    meta.insert("epochs_done".into(), epochs_done.to_string());
    meta.insert("model".into(), checkpoint::fingerprint(path)?);
    meta.insert(
        "network".into(),
        network_key(&crate::state_dict::tensor_shapes(model)),
    );
    opt.save(&optimizer_path(path), meta)
}

/// Trains `model` on `data.train`, evaluating on `data.test` after every
/// epoch: [`fit`] with the 28x28 images padded to the network's input
/// (LeNet-5's 32x32: 2 pixels a side).
pub fn train<M: Classifier<Cpu> + Send + Sync>(
    model: &mut M,
    data: &Mnist,
    config: &TrainConfig,
    progress: impl FnMut(Progress),
) -> crate::Result<Vec<EpochMetrics>> {
    let train = Padded::to_fit(&data.train, &M::input_dims())?;
    let test = Padded::to_fit(&data.test, &M::input_dims())?;
    fit(model, &train, &test, config, progress)
}

/// Classifies every image of `split`, padded to the network's input, in
/// batches of `batch`: the confusion matrix.
pub fn evaluate<M: Classifier<Cpu> + Send + Sync>(
    model: &M,
    split: &Split,
    batch: usize,
) -> crate::Result<Confusion> {
    let samples = Padded::to_fit(split, &M::input_dims())?;
    Ok(evaluate_on(model, &samples, batch, &Cpu::default())?.confusion)
}
