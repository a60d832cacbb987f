//! Train LeNet-5 on MNIST: the main job.
//!
//!     cargo run --release --example lenet5                      # embedded 6,000-digit sample
//!     cargo run --release --example lenet5 -- --data ../shared/data/mnist --epochs 10
//!
//! Writes to the run directory (`--out`, default `runs/lenet5`): the model
//! summary, `metrics.csv` (one row per epoch), `confusion.txt`, and
//! `checkpoint.safetensors` (replaced atomically after every epoch).

use clap::{Parser, ValueEnum};
use splotnet::data::{embedded_sample, load_dir, Mnist};
use splotnet::prelude::*;
use splotnet::train::{
    train, EpochMetrics, MnistClassifier, OptimizerKind, Progress, Schedule, TrainConfig,
};
use splotnet::zoo::lenet5::{LeNet5, LeNet5Modern};
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Model {
    /// The 1998 network: trainable subsampling, C3 table, scaled tanh.
    Classic,
    /// ReLU, max pooling, dense C3, dropout.
    Modern,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Opt {
    Sgd,
    Adam,
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
    /// Seeds the initial weights and the shuffling: the same seed gives the same run.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Randomly rotate (±10°), scale (±10 %) and shift (±2 px) the training digits.
    #[arg(long)]
    augment: bool,
    /// Run directory for metrics and checkpoints.
    #[arg(long, default_value = "runs/lenet5")]
    out: PathBuf,
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
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    let dir = args
        .data
        .clone()
        .or_else(|| std::env::var_os("MNIST_DIR").map(PathBuf::from));
    let data = match &dir {
        Some(d) => {
            println!("data: {}", d.display());
            load_dir(d)?
        }
        None => {
            println!("data: the embedded sample (pass --data DIR for full MNIST)");
            embedded_sample()?
        }
    };
    println!(
        "{} training digits, {} test digits",
        data.train.len(),
        data.test.len()
    );
    std::fs::create_dir_all(&args.out)?;
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
    println!("{summary}");
    std::fs::write(args.out.join("summary.txt"), summary.to_string())?;
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        optimizer: match args.optimizer {
            Opt::Sgd => OptimizerKind::Sgd {
                momentum: args.momentum,
            },
            Opt::Adam => OptimizerKind::Adam,
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
        augment: args.augment.then_some(splotnet::data::Distortion::DEFAULT),
    };
    let csv_path = args.out.join("metrics.csv");
    let mut csv = std::fs::File::create(&csv_path)?;
    writeln!(csv, "{}", EpochMetrics::CSV_HEADER)?;
    let mut rows: Vec<String> = Vec::new();
    let history = train(&mut model, data, &config, |p| match p {
        Progress::Step {
            epoch,
            seen,
            total,
            loss,
            accuracy,
            images_per_sec,
        } => {
            let width = 30;
            let done = width * seen / total.max(1);
            eprint!(
                "\repoch {epoch:>2}/{} [{}{}] {seen:>6}/{total} loss {loss:.4} acc {:>6.2}% {images_per_sec:>7.0} img/s",
                config.epochs,
                "#".repeat(done),
                " ".repeat(width - done),
                accuracy * 100.0
            );
        }
        Progress::Epoch(m) => {
            eprintln!();
            println!(
                "epoch {:>2}: lr {:.4}  train loss {:.4}  train acc {:.2}%  test acc {:.2}%  {:.0} img/s  {:.1} s",
                m.epoch,
                m.lr,
                m.train_loss,
                m.train_accuracy * 100.0,
                m.test_accuracy * 100.0,
                m.images_per_sec,
                m.seconds
            );
            rows.push(m.csv_row());
        }
    })?;
    for row in &rows {
        writeln!(csv, "{row}")?;
    }
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
