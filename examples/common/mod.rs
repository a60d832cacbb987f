//! What the classifier-training examples (`lenet5`, `train`) share: the
//! recipe's flags, the run's log (progress bar and `metrics.csv`), the
//! closing report and the pictures.

pub mod bar;

use clap::ValueEnum;
use indicatif::ProgressBar;
use splotnet::data::{Augment, Samples};
use splotnet::inspect::Activation;
use splotnet::plot::{feature_maps, filter_grid, training_curves};
use splotnet::prelude::*;
use splotnet::train::{
    first_filters, Classifier, EpochMetrics, OptimizerKind, Progress, RunStart, Schedule,
    TrainConfig,
};
use std::path::{Path, PathBuf};

pub type AnyError = Box<dyn std::error::Error>;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Opt {
    Sgd,
    /// SGD with Nesterov momentum.
    Nesterov,
    Adam,
    /// Adam with decoupled weight decay.
    Adamw,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Sched {
    Constant,
    /// The rate times 0.3 every 3 epochs.
    Step,
    /// Cosine, one rate per epoch.
    Cosine,
    /// Cosine, moving every step.
    CosineSteps,
}

/// How to train: the optimiser, its schedule, and the run directory.
#[derive(clap::Args, Debug)]
pub struct Recipe {
    #[arg(long, default_value_t = 8)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 0.05)]
    pub lr: f32,
    #[arg(long, value_enum, default_value_t = Opt::Sgd)]
    pub optimizer: Opt,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f32,
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f32,
    #[arg(long, value_enum, default_value_t = Sched::Cosine)]
    pub schedule: Sched,
    /// Epochs over which the learning rate ramps up linearly, step by step.
    #[arg(long, default_value_t = 0)]
    pub warmup_epochs: usize,
    /// Seeds the initial weights, the shuffling and the augmentation: the same seed gives the same run.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run directory for metrics, checkpoints and pictures.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in --out from its last checkpoint, exactly as if it
    /// had not stopped (the other settings must match the run's).
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Replace the run --out holds (its checkpoint, optimiser state and metrics are deleted).
    #[arg(long)]
    pub force: bool,
}

impl Recipe {
    /// Sets the worker threads, refusing 0.
    pub fn set_threads(&self) -> Result<(), AnyError> {
        if let Some(n) = self.threads {
            if n == 0 {
                return Err("--threads must be at least 1".into());
            }
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()?;
        }
        Ok(())
    }

    /// How the run directory is treated.
    pub fn start(&self) -> RunStart {
        match (self.resume, self.force) {
            (true, _) => RunStart::Resume,
            (false, true) => RunStart::Replace,
            (false, false) => RunStart::New,
        }
    }

    /// The run's settings, checkpointing into `out`.
    pub fn config(&self, data: &str, augment: Augment, out: &Path) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.lr,
            optimizer: match self.optimizer {
                Opt::Sgd => OptimizerKind::Sgd {
                    momentum: self.momentum,
                },
                Opt::Nesterov => OptimizerKind::Nesterov {
                    momentum: self.momentum,
                },
                Opt::Adam => OptimizerKind::Adam,
                Opt::Adamw => OptimizerKind::AdamW,
            },
            weight_decay: self.weight_decay,
            schedule: match self.schedule {
                Sched::Constant => Schedule::Constant,
                Sched::Step => Schedule::Step {
                    every: 3,
                    gamma: 0.3,
                },
                Sched::Cosine => Schedule::Cosine,
                Sched::CosineSteps => Schedule::CosineSteps,
            },
            seed: self.seed,
            checkpoint: Some(out.join("checkpoint.safetensors")),
            resume: self.resume,
            augment,
            warmup_epochs: self.warmup_epochs,
            data: data.into(),
        }
    }
}

/// Shows a run's progress and keeps `metrics.csv` up to date.
pub struct RunLog {
    bar: ProgressBar,
    rows: Vec<EpochMetrics>,
    csv_path: PathBuf,
    epochs: usize,
    out: PathBuf,
}

impl RunLog {
    /// A log for a run of `epochs` in `out`; a resumed run keeps the rows
    /// of the epochs it continues from.
    pub fn new(out: &Path, epochs: usize, resume: bool) -> Result<Self, AnyError> {
        let csv_path = out.join("metrics.csv");
        let rows = if resume {
            std::fs::read_to_string(&csv_path)
                .unwrap_or_default()
                .lines()
                .filter_map(EpochMetrics::from_csv_row)
                .collect()
        } else {
            vec![]
        };
        Ok(RunLog {
            bar: bar::epoch_bar()?,
            rows,
            csv_path,
            epochs,
            out: out.to_path_buf(),
        })
    }

    /// Shows one report of the training loop.
    pub fn on(&mut self, p: Progress) {
        let bar = &self.bar;
        match p {
            Progress::Step {
                epoch,
                seen,
                total,
                loss,
                accuracy,
                images_per_sec,
            } => bar::show_step(
                bar,
                (epoch, self.epochs),
                seen,
                total,
                format!(
                    "loss {loss:.4} acc {:>6.2}% {images_per_sec:>6.0} img/s",
                    accuracy * 100.0
                ),
            ),
            Progress::Resumed(done) => {
                // (suspend, not println: indicatif drops lines while hidden)
                let out = self.out.display();
                bar.suspend(|| println!("resuming after epoch {done} from {out}"));
            }
            Progress::Epoch(m) => {
                bar.suspend(|| println!(
                    "epoch {:>2}: lr {:.4}  train loss {:.4}  train acc {:.2}%  test acc {:.2}% (top-5 {:.2}%)  {:.0} img/s  {:.1} s",
                    m.epoch,
                    m.lr,
                    m.train_loss,
                    m.train_accuracy * 100.0,
                    m.test_accuracy * 100.0,
                    m.test_top5 * 100.0,
                    m.images_per_sec,
                    m.seconds
                ));
                self.rows.retain(|r| r.epoch < m.epoch);
                self.rows.push(m.clone());
                // rewritten each epoch, so a stopped run keeps its rows
                let csv: Vec<String> = std::iter::once(EpochMetrics::CSV_HEADER.to_string())
                    .chain(self.rows.iter().map(EpochMetrics::csv_row))
                    .collect();
                let text = csv.join("\n") + "\n";
                if let Err(e) = splotnet::train::write_atomically(&self.csv_path, text.as_bytes()) {
                    bar.suspend(|| eprintln!("warning: {e}"));
                }
            }
        }
    }

    /// Clears the bar: every epoch's metrics, this run's and before.
    pub fn finish(self) -> Vec<EpochMetrics> {
        self.bar.finish_and_clear();
        self.rows
    }
}

/// Prints and saves the last epoch's confusion matrix and accuracy.
pub fn report(history: &[EpochMetrics], class_names: &[&str], out: &Path) -> Result<(), AnyError> {
    let Some(last) = history.last() else {
        return Ok(());
    };
    let legend: Vec<String> = class_names
        .iter()
        .enumerate()
        .filter(|(i, n)| n.parse::<usize>().ok() != Some(*i))
        .map(|(i, n)| format!("{i} {n}"))
        .collect();
    println!(
        "\nconfusion matrix on the test split after epoch {}{}:\n{}",
        last.epoch,
        if legend.is_empty() {
            String::new()
        } else {
            format!(" ({})", legend.join(", "))
        },
        last.confusion
    );
    std::fs::write(out.join("confusion.txt"), last.confusion.to_string())?;
    println!(
        "final test accuracy {:.2}% (error {:.2}%, top-5 {:.2}%); run directory {}",
        last.test_accuracy * 100.0,
        100.0 - last.test_accuracy * 100.0,
        last.test_top5 * 100.0,
        out.display()
    );
    Ok(())
}

/// Writes `curves.png`, `filters.png` (when the network has a 2D
/// convolution) and `feature_maps.png` (test sample 0) to `out`.
pub fn pictures<M: Classifier<Cpu> + Sync>(
    model: &M,
    test: &dyn Samples,
    class_names: &[&str],
    history: &[EpochMetrics],
    out: &Path,
) -> Result<(), AnyError> {
    let title = out.file_name().map_or_else(
        || out.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    training_curves(history, &title)?.save_png(&out.join("curves.png"))?;
    let mut written = vec!["curves.png"];
    if let Some((weights, [count, channels, kh, kw])) = first_filters(model) {
        let first_channel: Vec<f32> = weights
            .chunks(channels * kh * kw)
            .flat_map(|f| f[..kh * kw].to_vec())
            .collect();
        filter_grid(&first_channel, count, kh, kw, 12)?.save_png(&out.join("filters.png"))?;
        written.push("filters.png");
    }
    let mut values = Vec::new();
    test.batch_into(&[0], None, &mut values)?;
    let dev = Cpu::default();
    let x = dev.tensor_from_vec(values.clone(), (1, values.len()));
    let predicted = splotnet::train::argmax(&model.scores(x.clone())?.as_vec());
    let mut acts = model.layer_outputs(x)?;
    acts.insert(
        0,
        Activation {
            name: "input".into(),
            shape: test.sample_dims(),
            values,
        },
    );
    let name = |c: usize| class_names.get(c).map_or(c.to_string(), |n| n.to_string());
    let caption = format!(
        "test sample 0: a {}, predicted {}",
        name(test.label(0)),
        name(predicted)
    );
    feature_maps(&acts, 16, 56, &caption)?.save_png(&out.join("feature_maps.png"))?;
    written.push("feature_maps.png");
    println!("pictures: {} ({caption})", written.join(", "));
    Ok(())
}
