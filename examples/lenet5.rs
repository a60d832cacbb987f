//! Train LeNet-5 on MNIST: the main job.
//!
//!     cargo run --release --example lenet5                      # embedded 6,000-digit sample
//!     cargo run --release --example lenet5 -- --data ../shared/data/mnist --epochs 10
//!
//! Writes to the run directory (`--out`, default `runs/lenet5`): the model
//! summary, `metrics.csv` (one row per epoch), `confusion.txt`,
//! `checkpoint.safetensors` and `checkpoint.optimizer.safetensors`
//! (replaced atomically after every epoch; `--resume` continues from them
//! exactly), and pictures: `curves.png` (loss and accuracy per epoch),
//! `filters.png` (the first layer's filters) and `feature_maps.png` (a test
//! digit's maps at each layer).

use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use splotnet::data::{Dataset, Mnist};
use splotnet::plot::{feature_maps, filter_grid, training_curves};
use splotnet::prelude::*;
use splotnet::train::{
    prepare_run_dir, train, Digits, EpochMetrics, MnistClassifier, OptimizerKind, Progress,
    Schedule, TrainConfig,
};
use splotnet::zoo::lenet5::{LeNet5, LeNet5Modern};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Model {
    /// The 1998 network: trainable subsampling, C3 table, scaled tanh.
    Classic,
    /// ReLU, max pooling, dense C3, dropout.
    Modern,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Data {
    /// Handwritten digits (the embedded sample without --data).
    Mnist,
    /// Zalando's article images (--data, $FASHION_MNIST_DIR, or Debian's dataset-fashion-mnist).
    Fashion,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Opt {
    Sgd,
    /// SGD with Nesterov momentum.
    Nesterov,
    Adam,
    /// Adam with decoupled weight decay.
    Adamw,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Sched {
    Constant,
    Step,
    Cosine,
}

/// Train LeNet-5 on MNIST with splotnet.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Directory with the four MNIST IDX files (raw or .gz); default: $MNIST_DIR, else the embedded sample.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Which dataset in MNIST's format the files hold.
    #[arg(long, value_enum, default_value_t = Data::Mnist)]
    dataset: Data,
    #[arg(long, value_enum, default_value_t = Model::Classic)]
    model: Model,
    #[arg(long, default_value_t = 8)]
    epochs: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.05)]
    lr: f32,
    #[arg(long, value_enum, default_value_t = Opt::Sgd)]
    optimizer: Opt,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    momentum: f32,
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f32,
    #[arg(long, value_enum, default_value_t = Sched::Cosine)]
    schedule: Sched,
    /// Epochs over which the learning rate ramps up linearly, step by step.
    #[arg(long, default_value_t = 0)]
    warmup_epochs: usize,
    /// Seeds the initial weights and the shuffling: the same seed gives the same run.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Randomly rotate (±10°), scale (±10 %) and shift (±2 px) the training digits.
    #[arg(long)]
    augment: bool,
    /// Run directory for metrics, checkpoints and pictures.
    #[arg(long, default_value = "runs/lenet5")]
    out: PathBuf,
    /// Continue the run in --out from its last checkpoint, exactly as if it
    /// had not stopped (the other settings must match the run's).
    #[arg(long)]
    resume: bool,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(n) = args.threads {
        if n == 0 {
            return Err("--threads must be at least 1".into());
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    let dataset = match args.dataset {
        Data::Mnist => Dataset::Mnist,
        Data::Fashion => Dataset::FashionMnist,
    };
    let (data, from) = dataset.load(args.data.as_deref())?;
    match &from {
        Some(d) => println!("data: {}", d.display()),
        None => println!("data: the embedded sample (pass --data DIR for full MNIST)"),
    }
    let norm = data.train.normalisation();
    println!(
        "{}: classes {}; inputs (x - {:.4}) / {:.4}",
        dataset.name(),
        dataset.class_names().join(", "),
        norm.mean,
        norm.std
    );
    println!(
        "{} training digits, {} test digits",
        data.train.len(),
        data.test.len()
    );
    let dev = Cpu::seed_from_u64(args.seed);
    match args.model {
        Model::Classic => {
            let summary = LeNet5::<f32, Cpu>::summary();
            go(args, &data, LeNet5::<f32, Cpu>::build(&dev), summary)
        }
        Model::Modern => {
            let summary = LeNet5Modern::<f32, Cpu>::summary();
            go(args, &data, LeNet5Modern::<f32, Cpu>::build(&dev), summary)
        }
    }
}

fn go<M: MnistClassifier>(
    args: &Args,
    data: &Mnist,
    mut model: M,
    summary: splotnet::summary::Summary,
) -> Result<(), Box<dyn std::error::Error>> {
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        optimizer: match args.optimizer {
            Opt::Sgd => OptimizerKind::Sgd {
                momentum: args.momentum,
            },
            Opt::Nesterov => OptimizerKind::Nesterov {
                momentum: args.momentum,
            },
            Opt::Adam => OptimizerKind::Adam,
            Opt::Adamw => OptimizerKind::AdamW,
        },
        weight_decay: args.weight_decay,
        schedule: match args.schedule {
            Sched::Constant => Schedule::Constant,
            Sched::Step => Schedule::Step {
                every: 3,
                gamma: 0.3,
            },
            Sched::Cosine => Schedule::Cosine,
        },
        seed: args.seed,
        checkpoint: Some(args.out.join("checkpoint.safetensors")),
        resume: args.resume,
        augment: args.augment.then_some(splotnet::data::Distortion::DEFAULT),
        warmup_epochs: args.warmup_epochs,
        data: match args.dataset {
            Data::Mnist => "MNIST",
            Data::Fashion => "Fashion-MNIST",
        }
        .into(),
    };
    // refuse bad settings and an occupied run directory before writing anything
    config.validate_for(data)?;
    prepare_run_dir(&args.out, "checkpoint.safetensors", args.resume)?;
    println!("{summary}");
    std::fs::write(args.out.join("summary.txt"), summary.to_string())?;
    let csv_path = args.out.join("metrics.csv");
    // a resumed run keeps the rows of the epochs it continues from
    let mut rows: Vec<EpochMetrics> = if args.resume {
        std::fs::read_to_string(&csv_path)
            .unwrap_or_default()
            .lines()
            .filter_map(EpochMetrics::from_csv_row)
            .collect()
    } else {
        vec![]
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30.cyan/blue}] {pos:>6}/{len} {msg} ({elapsed}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let history = train(&mut model, data, &config, |p| match p {
        Progress::Step {
            epoch,
            seen,
            total,
            loss,
            accuracy,
            images_per_sec,
        } => {
            if bar.length() != Some(total as u64) || seen < bar.position() as usize {
                bar.reset();
                bar.set_length(total as u64);
                bar.set_prefix(format!("epoch {epoch:>2}/{}", config.epochs));
            }
            bar.set_position(seen as u64);
            bar.set_message(format!(
                "loss {loss:.4} acc {:>6.2}% {images_per_sec:>6.0} img/s",
                accuracy * 100.0
            ));
        }
        Progress::Resumed(done) => {
            // (suspend, not println: indicatif drops lines while hidden)
            bar.suspend(|| println!("resuming after epoch {done} from {}", args.out.display()));
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
            rows.retain(|r| r.epoch < m.epoch);
            rows.push(m.clone());
            // rewritten each epoch, so a stopped run keeps its rows
            let csv: Vec<String> = std::iter::once(EpochMetrics::CSV_HEADER.to_string())
                .chain(rows.iter().map(EpochMetrics::csv_row))
                .collect();
            if let Err(e) =
                splotnet::train::write_atomically(&csv_path, (csv.join("\n") + "\n").as_bytes())
            {
                bar.suspend(|| eprintln!("warning: {e}"));
            }
        }
    });
    bar.finish_and_clear();
    let history = history?;
    pictures(&model, data, &rows, &args.out)?;
    if let Some(last) = history.last() {
        println!(
            "\nconfusion matrix on the test split after epoch {}:\n{}",
            last.epoch, last.confusion
        );
        std::fs::write(args.out.join("confusion.txt"), last.confusion.to_string())?;
        println!(
            "final test accuracy {:.2}% (error {:.2}%); run directory {}",
            last.test_accuracy * 100.0,
            100.0 - last.test_accuracy * 100.0,
            args.out.display()
        );
    }
    Ok(())
}

/// Writes `curves.png`, `filters.png` and `feature_maps.png` to `out`.
fn pictures<M: MnistClassifier>(
    model: &M,
    data: &Mnist,
    history: &[EpochMetrics],
    out: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    training_curves(history).save_png(&out.join("curves.png"))?;
    let (weights, [count, channels, kh, kw]) = model.first_filters();
    let first_channel: Vec<f32> = weights
        .chunks(channels * kh * kw)
        .flat_map(|f| f[..kh * kw].to_vec())
        .collect();
    filter_grid(&first_channel, count, kh, kw, 12)?.save_png(&out.join("filters.png"))?;
    let mut pixels = Vec::new();
    data.test.batch_into(&[0], 2, &mut pixels);
    let dev: Cpu = Default::default();
    let digit: Digits = dev.tensor_from_vec(pixels, (1, N::new(), N::new(), N::new()));
    let mut acts = model.activations(digit.clone())?;
    acts.insert(0, splotnet::plot::Activation::first_sample("input", &digit));
    feature_maps(&acts, 16, 56).save_png(&out.join("feature_maps.png"))?;
    println!(
        "pictures: curves.png, filters.png, feature_maps.png (test digit 0, a {})",
        data.test.label(0)
    );
    Ok(())
}
