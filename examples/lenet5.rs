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
//! digit's maps at each layer). A directory that already holds a run is
//! refused unless `--resume` or `--force` (replace it) is given.
//!
//! `examples/train.rs` trains any declared network with the same loop.

mod common;

use clap::{Parser, ValueEnum};
use common::{pictures, report, AnyError, Recipe, RunLog};
use splotnet::data::{Augment, Dataset, Distortion, Mnist, Padded};
use splotnet::prelude::*;
use splotnet::train::{prepare_run_dir, train, Classifier};
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
    /// Randomly rotate (±10°), scale (±10 %) and shift (±2 px) the training digits.
    #[arg(long)]
    augment: bool,
    #[command(flatten)]
    recipe: Recipe,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), AnyError> {
    args.recipe.set_threads()?;
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
    let dev = Cpu::seed_from_u64(args.recipe.seed);
    match args.model {
        Model::Classic => go(
            args,
            dataset,
            &data,
            LeNet5::<f32, Cpu>::build(&dev),
            LeNet5::<f32, Cpu>::summary(),
        ),
        Model::Modern => go(
            args,
            dataset,
            &data,
            LeNet5Modern::<f32, Cpu>::build(&dev),
            LeNet5Modern::<f32, Cpu>::summary(),
        ),
    }
}

fn go<M: Classifier<Cpu> + Send + Sync>(
    args: &Args,
    dataset: Dataset,
    data: &Mnist,
    mut model: M,
    summary: splotnet::summary::Summary,
) -> Result<(), AnyError> {
    let out = args
        .recipe
        .out
        .clone()
        .unwrap_or_else(|| "runs/lenet5".into());
    let augment = Augment {
        distort: args.augment.then_some(Distortion::DEFAULT),
        ..Augment::NONE
    };
    let config = args.recipe.config(dataset.name(), augment, &out);
    // refuse bad settings and an occupied run directory before writing anything
    config.validate_for(data)?;
    prepare_run_dir(&out, "checkpoint.safetensors", args.recipe.start())?;
    println!("{summary}");
    std::fs::write(out.join("summary.txt"), summary.to_string())?;
    let mut log = RunLog::new(&out, config.epochs, config.resume)?;
    let history = train(&mut model, data, &config, |p| log.on(p));
    let rows = log.finish();
    let history = history?;
    let test = Padded::to_fit(&data.test, &M::input_dims())?;
    pictures(&model, &test, &dataset.class_names(), &rows, &out)?;
    report(&history, &dataset.class_names(), &out)
}
