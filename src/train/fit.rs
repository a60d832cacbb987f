//! The training loop of every classifier: [`fit`] trains any
//! [`Classifier`] on any [`Samples`], on any device that can be seeded.

use dfdx::nn::ZeroGrads;
use dfdx::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::Instant;

use super::{
    argmax, checkpoint, epoch_seed, resume, Classifier, Confusion, EpochMetrics, Optimizer,
    Progress, Rows, TrainConfig,
};
use crate::data::Samples;
use crate::ops::Backend;
use crate::Error;

/// A device the loop can make afresh from a seed each epoch, so that
/// dropout's draws depend on the run's seed and the epoch only (which is
/// what makes a resumed run exact).
pub trait SeededDevice: Backend {
    /// The device, its random generator seeded with `seed`.
    fn seeded(seed: u64) -> crate::Result<Self>;
}

/// What one training step returns: the main scores, the loss, and the
/// gradients (zeroed, for the next step's tape).
pub struct StepResult<D: Storage<f32>> {
    /// The main output's scores, row by row.
    pub scores: Vec<f32>,
    /// The step's loss (heads included).
    pub loss: f32,
    /// The gradient buffers, zeroed after the update.
    pub grads: Gradients<f32, D>,
}

/// A classifier the loop can train on `D`: it says where a step runs.
///
/// Every [`Classifier`] has it on `Cpu` (when it is `Send + Sync`, as
/// declared networks are), where each step and each evaluation batch runs
/// inside one rayon scope, so that every op's parallel loop starts on a
/// worker thread (one hand-off per step instead of one per op: about 10 %
/// of a LeNet-5 step), and on `Cuda`, where steps run on the calling
/// thread (dfdx's `Cuda` device cannot move between threads).
pub trait TrainOn<D: Backend>: Classifier<D> {
    /// Forward, loss, backward and update on one batch, recording into
    /// `grads` (see [`train_step`]).
    fn step(
        &mut self,
        x: Rows<D>,
        grads: Gradients<f32, D>,
        targets: &Rows<D>,
        opt: &mut Optimizer,
    ) -> crate::Result<StepResult<D>>;

    /// Inference scores of one batch.
    fn eval_scores(&self, x: Rows<D>) -> crate::Result<Rows<D>>;
}

impl<M: Classifier<Cpu> + Send + Sync> TrainOn<Cpu> for M {
    fn step(
        &mut self,
        x: Rows<Cpu>,
        grads: Gradients<f32, Cpu>,
        targets: &Rows<Cpu>,
        opt: &mut Optimizer,
    ) -> crate::Result<StepResult<Cpu>> {
        rayon::scope(|_| train_step(self, x, grads, targets, opt))
    }

    fn eval_scores(&self, x: Rows<Cpu>) -> crate::Result<Rows<Cpu>> {
        rayon::scope(|_| self.scores(x))
    }
}

#[cfg(feature = "cuda")]
impl<M: Classifier<Cuda>> TrainOn<Cuda> for M {
    fn step(
        &mut self,
        x: Rows<Cuda>,
        grads: Gradients<f32, Cuda>,
        targets: &Rows<Cuda>,
        opt: &mut Optimizer,
    ) -> crate::Result<StepResult<Cuda>> {
        train_step(self, x, grads, targets, opt)
    }

    fn eval_scores(&self, x: Rows<Cuda>) -> crate::Result<Rows<Cuda>> {
        self.scores(x)
    }
}

/// One training step: the cross-entropy of the main scores plus each
/// auxiliary head's times its weight, its gradients, and the optimiser's
/// update; a non-finite loss is an error before anything is updated.
pub fn train_step<D: Backend, M: Classifier<D>>(
    model: &mut M,
    x: Rows<D>,
    grads: Gradients<f32, D>,
    targets: &Rows<D>,
    opt: &mut Optimizer,
) -> crate::Result<StepResult<D>> {
    let out = model.train_scores(x.traced(grads))?;
    let scores = out.main.as_vec();
    let mut loss = cross_entropy_with_logits_loss(out.main, targets.clone());
    for (head, weight) in out.aux {
        let head_loss = cross_entropy_with_logits_loss(head, targets.clone());
        loss = loss + head_loss * weight;
    }
    let value = loss.as_vec()[0];
    if !value.is_finite() {
        return Err(Error::Device(format!(
            "the loss became {value} (learning rate {}); lower the learning rate",
            opt.lr
        )));
    }
    let mut grads = loss.backward();
    opt.update(model, &grads)?;
    model.try_zero_grads(&mut grads)?;
    Ok(StepResult {
        scores,
        loss: value,
        grads,
    })
}

impl SeededDevice for Cpu {
    fn seeded(seed: u64) -> crate::Result<Self> {
        Ok(Cpu::seed_from_u64(seed))
    }
}

#[cfg(feature = "cuda")]
impl SeededDevice for Cuda {
    /// The first GPU.
    fn seeded(seed: u64) -> crate::Result<Self> {
        Ok(Cuda::try_build(0, seed)?)
    }
}

/// Checks everything [`fit`] would refuse, so that a caller can refuse it
/// before writing anything: the settings ([`TrainConfig::validate`]) and
/// the data (both splits hold samples of the network's input shape,
/// labelled with its classes).
pub fn check_fit<D: Backend, M: Classifier<D>>(
    train: &dyn Samples,
    test: &dyn Samples,
    config: &TrainConfig,
) -> crate::Result<()> {
    config.validate()?;
    let dims = M::input_dims();
    for (name, split) in [("training", train), ("test", test)] {
        let bad = |m: String| Err(Error::shape("training data", m));
        if split.is_empty() {
            return bad(format!("the {name} split has no samples"));
        }
        if split.sample_dims() != dims {
            return bad(format!(
                "the {name} split's samples are {:?}, the network takes {dims:?}",
                split.sample_dims()
            ));
        }
        let classes = M::classes();
        if let Some(i) = (0..split.len()).find(|&i| split.label(i) >= classes) {
            return bad(format!(
                "sample {i} of the {name} split has label {}, but the network scores {classes} classes",
                split.label(i)
            ));
        }
    }
    Ok(())
}

/// One-hot rows of `labels` over `classes` classes.
fn one_hot<D: Backend>(dev: &D, labels: &[usize], classes: usize) -> crate::Result<Rows<D>> {
    let mut v = vec![0.0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        v[i * classes + l] = 1.0;
    }
    Ok(dev.try_tensor_from_vec(v, (labels.len(), classes))?)
}

/// Trains `model` on `train`, evaluating on `test` after every epoch.
///
/// The loss is the cross-entropy of the main scores plus each auxiliary
/// head's weighted by its declared weight. Returns the metrics of every
/// epoch run here (after a resume, the ones after it); stops with an error
/// on a non-finite loss, naming the epoch, step and learning rate.
pub fn fit<D: SeededDevice, M: TrainOn<D>>(
    model: &mut M,
    train: &dyn Samples,
    test: &dyn Samples,
    config: &TrainConfig,
    mut progress: impl FnMut(Progress),
) -> crate::Result<Vec<EpochMetrics>> {
    check_fit::<D, M>(train, test, config)?;
    let mut opt = Optimizer::new(config.optimizer, config.lr, config.weight_decay);
    let mut first = 0;
    if config.resume {
        let path = config
            .checkpoint
            .as_ref()
            .ok_or_else(|| Error::shape("train", "resuming needs the checkpoint's path"))?;
        first = resume(model, &mut opt, path, config)?;
        progress(Progress::Resumed(first));
    }
    let classes = M::classes();
    let mut grads = model.try_alloc_grads()?;
    let mut order: Vec<usize> = Vec::with_capacity(train.len());
    let mut pixels = Vec::new();
    let mut history = Vec::new();
    let augment = (!config.augment.is_none()).then_some(&config.augment);
    for epoch in first..config.epochs {
        let steps = train.len().div_ceil(config.batch_size);
        let mut lr = config.step_rate(epoch, 0, steps);
        let seed = epoch_seed(config.seed, epoch);
        let mut rng = StdRng::seed_from_u64(seed);
        // inputs come from this device, whose generator drives dropout
        let dev = D::seeded(seed)?;
        order.clear();
        order.extend(0..train.len());
        order.shuffle(&mut rng);
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
        for (step, batch) in order.chunks(config.batch_size).enumerate() {
            lr = config.step_rate(epoch, step, steps);
            opt.lr = lr;
            train.batch_into(batch, augment.map(|a| (a, &mut rng)), &mut pixels)?;
            let x = {
                // the batch's buffer becomes the tensor's: no copy
                let len = pixels.len() / batch.len();
                dev.try_tensor_from_vec(std::mem::take(&mut pixels), (batch.len(), len))?
            };
            let labels: Vec<usize> = batch.iter().map(|&i| train.label(i)).collect();
            let targets = one_hot(&dev, &labels, classes)?;
            let done = model
                .step(x, grads, &targets, &mut opt)
                .map_err(|e| match e {
                    Error::Device(m) => {
                        Error::Device(format!("epoch {}, step {step}: {m}", epoch + 1))
                    }
                    e => e,
                })?;
            let (scores, value) = (done.scores, done.loss);
            grads = done.grads;
            loss_sum += value as f64 * batch.len() as f64;
            correct += scores
                .chunks_exact(classes)
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
        let Evaluation { confusion, loss } = evaluate_on(model, test, 1000, &dev)?;
        let metrics = EpochMetrics {
            epoch: epoch + 1,
            lr,
            train_loss: (loss_sum / seen.max(1) as f64) as f32,
            train_accuracy: correct as f32 / seen.max(1) as f32,
            test_accuracy: confusion.accuracy(),
            test_top5: confusion.top5_accuracy(),
            test_loss: loss,
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

/// What classifying a split measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The confusion matrix, with top-5.
    pub confusion: Confusion,
    /// The mean cross-entropy.
    pub loss: f32,
}

/// The cross-entropy of one row of scores for class `truth`:
/// `log Σ exp(s) - s[truth]`, computed from the largest score.
fn cross_entropy(scores: &[f32], truth: usize) -> f64 {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let sum: f64 = scores.iter().map(|&s| (s as f64 - max).exp()).sum();
    max + sum.ln() - scores[truth] as f64
}

/// Classifies every sample of `split` in batches of `batch` on `dev`: the
/// confusion matrix (with top-5) and the mean cross-entropy.
pub fn evaluate_on<D: Backend, M: TrainOn<D>>(
    model: &M,
    split: &dyn Samples,
    batch: usize,
    dev: &D,
) -> crate::Result<Evaluation> {
    let classes = M::classes();
    let mut confusion = Confusion::new(classes);
    let mut loss = 0.0f64;
    let indices: Vec<usize> = (0..split.len()).collect();
    let mut pixels = Vec::new();
    for chunk in indices.chunks(batch.max(1)) {
        split.batch_into(chunk, None, &mut pixels)?;
        let x = {
            let len = pixels.len() / chunk.len();
            dev.try_tensor_from_vec(std::mem::take(&mut pixels), (chunk.len(), len))?
        };
        let scores = model.eval_scores(x)?.as_vec();
        for (s, &i) in scores.chunks_exact(classes).zip(chunk) {
            confusion.add_scores(split.label(i), s);
            loss += cross_entropy(s, split.label(i));
        }
    }
    Ok(Evaluation {
        confusion,
        loss: (loss / split.len().max(1) as f64) as f32,
    })
}
