//! Training and evaluating MNIST classifiers: seeded shuffling, SGD with
//! momentum or Adam, weight decay, a learning-rate schedule, per-epoch test
//! accuracy, a confusion matrix, atomic checkpoints with the optimiser's
//! state (so `resume` continues a run exactly), and a clear stop on a
//! non-finite loss.

mod checkpoint;
mod metrics;
mod optim;
mod run_dir;
pub mod segment;
#[cfg(test)]
mod tests;

pub use crate::io::write_atomically;
pub use checkpoint::{optimizer_path, save_atomically};
pub use metrics::{Confusion, EpochMetrics};
pub use optim::Optimizer;
pub use run_dir::prepare_run_dir;

use dfdx::nn::ZeroGrads;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::HashMap;
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
pub trait MnistClassifier: TensorCollection<f32, Cpu> + Send + Sync {
    /// Training pass (dropout on, batch statistics).
    fn logits_train(
        &mut self,
        x: Digits<OwnedTape<f32, Cpu>>,
    ) -> crate::Result<Logits<OwnedTape<f32, Cpu>>>;
    /// Inference pass.
    fn logits(&self, x: Digits) -> crate::Result<Logits>;
    /// Every named layer's output on the first digit of `x`.
    fn activations(&self, x: Digits) -> crate::Result<Vec<crate::inspect::Activation>>;
    /// The first convolution's filters: values and `[filters, channels, kh, kw]`.
    fn first_filters(&self) -> (Vec<f32>, [usize; 4]);
}

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
    /// Where to write the model after every epoch, if anywhere; the
    /// optimiser's state goes beside it (see [`optimizer_path`]).
    pub checkpoint: Option<PathBuf>,
    /// Continue from the checkpoint (model and optimiser state) after the
    /// epochs it completed, exactly as if the run had not stopped.
    pub resume: bool,
    /// Random distortions of the training digits, if any.
    pub augment: Option<crate::data::Distortion>,
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
        let rate = self.schedule.rate(self.lr, epoch, self.epochs);
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
            augment: None,
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
fn resume<M: TensorCollection<f32, Cpu>>(
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
fn checkpoint<M: TensorCollection<f32, Cpu>>(
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

/// Trains `model` on `data.train`, evaluating on `data.test` after every epoch.
///
/// Returns the metrics of every epoch run here (after a resume, the ones
/// after it); stops with an error on a non-finite loss.
pub fn train<M: MnistClassifier>(
    model: &mut M,
    data: &Mnist,
    config: &TrainConfig,
    mut progress: impl FnMut(Progress),
) -> crate::Result<Vec<EpochMetrics>> {
    config.validate_for(data)?;
    let mut opt = Optimizer::new(config.optimizer, config.lr, config.weight_decay);
    let mut first = 0;
    if config.resume {
        let path = config.checkpoint.as_ref().ok_or_else(|| Error::Shape {
            op: "train",
            message: "resuming needs the checkpoint's path".into(),
        })?;
        first = resume(model, &mut opt, path, config)?;
        progress(Progress::Resumed(first));
    }
    let mut grads = model.alloc_grads();
    let mut order: Vec<usize> = Vec::with_capacity(data.train.len());
    let mut pixels = Vec::new();
    let mut history = Vec::new();
    for epoch in first..config.epochs {
        let steps = data.train.len().div_ceil(config.batch_size);
        let mut lr = config.step_rate(epoch, 0, steps);
        let seed = epoch_seed(config.seed, epoch);
        let mut rng = StdRng::seed_from_u64(seed);
        // inputs come from this device, whose generator drives dropout
        let dev = Cpu::seed_from_u64(seed);
        order.clear();
        order.extend(0..data.train.len());
        order.shuffle(&mut rng);
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        for (step, batch) in order.chunks(config.batch_size).enumerate() {
            lr = config.step_rate(epoch, step, steps);
            opt.lr = lr;
            match &config.augment {
                Some(d) => data
                    .train
                    .distorted_batch_into(batch, 2, d, &mut rng, &mut pixels),
                None => data.train.batch_into(batch, 2, &mut pixels),
            }
            let x: Digits =
                dev.tensor_from_vec(pixels.clone(), (batch.len(), N::new(), N::new(), N::new()));
            let labels: Vec<usize> = batch.iter().map(|&i| data.train.label(i)).collect();
            let targets = one_hot(&dev, &labels);
            // one hand-off to the thread pool per step, not one per op: the
            // ops' parallel loops then start from a worker thread
            let (scores, value, next) = rayon::scope(|_| -> crate::Result<_> {
                let logits = model.logits_train(x.traced(grads))?;
                let scores = logits.as_vec();
                let loss = cross_entropy_with_logits_loss(logits, targets);
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
                Ok((scores, value, grads))
            })?;
            grads = next;
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
            test_top5: confusion.top5_accuracy(),
            images_per_sec: seen as f32 / train_seconds,
            seconds: start.elapsed().as_secs_f32(),
            confusion,
        };
        if let Some(path) = &config.checkpoint {
            checkpoint(model, &opt, path, config, epoch + 1)?;
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
        let scores = rayon::scope(|_| model.logits(x))?.as_vec();
        for (s, &i) in scores.chunks_exact(10).zip(chunk) {
            confusion.add_scores(split.label(i), s);
        }
    }
    Ok(confusion)
}
