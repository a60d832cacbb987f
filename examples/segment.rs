//! Semantic segmentation of MNIST digits on 64x64 canvases with a padded
//! U-Net (`splotnet::zoo::unet::UNetPadded`): every pixel is background or
//! one of the ten digits.
//!
//!     cargo run --release --example segment                      # canvases from the embedded sample
//!     cargo run --release --example segment -- --data ../shared/data/mnist
//!     cargo run --release --example segment -- --data ../shared/data/mnist --export m2nist.safetensors
//!
//! Each epoch prints the training loss and pixel accuracy, and the test
//! pixel accuracy and mean IoU over the 11 classes (`test mIoU 0.xxxx`).
//! The run directory (`--out`, default `runs/segment`) gets the summary,
//! `metrics.csv`, `iou.txt` (per-class IoU), `curves.png`, `canvases.png`
//! (test canvases: input | truth | prediction), and the checkpoint and
//! optimiser state after every epoch (`--resume` continues exactly).

#[path = "common/bar.rs"]
mod bar;

use clap::{Parser, ValueEnum};
use splotnet::data::{export_canvases, load_or_sample, CanvasSet, Canvases, CANVAS_CLASS_NAMES};
use splotnet::plot::{segmentation_curves, segmentation_grid};
use splotnet::prelude::*;
use splotnet::train::segment::{
    check_run, predicted_classes, train_segmenter, Canvas, SegmentEpoch, SegmentProgress, Segmenter,
};
use splotnet::train::{prepare_run_dir, OptimizerKind, RunStart, Schedule, TrainConfig};
use splotnet::zoo::unet::UNetPadded;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Opt {
    Sgd,
    /// SGD with Nesterov momentum.
    Nesterov,
    Adam,
    /// Adam with decoupled weight decay.
    Adamw,
}

/// Train a U-Net to segment MNIST digits on 64x64 canvases.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Directory with the four MNIST IDX files (raw or .gz); default: $MNIST_DIR, else the embedded sample.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Training canvases (default: 10,000 from full MNIST, 2,000 from the sample).
    #[arg(long)]
    train_canvases: Option<usize>,
    /// Test canvases (default: 2,000 from full MNIST, 300 from the sample).
    #[arg(long)]
    test_canvases: Option<usize>,
    /// Passes over the training canvases (default: 7 on full MNIST, 6 on the sample).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.003)]
    lr: f32,
    #[arg(long, value_enum, default_value_t = Opt::Adam)]
    optimizer: Opt,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    momentum: f32,
    /// Seeds the canvases, the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Write the canvases of both splits to this safetensors file and stop.
    #[arg(long)]
    export: Option<PathBuf>,
    /// Run directory for metrics, checkpoints and pictures.
    #[arg(long, default_value = "runs/segment")]
    out: PathBuf,
    /// Continue the run in --out from its last checkpoint (the other settings must match).
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
    let (mnist, from) = load_or_sample(args.data.as_deref())?;
    match &from {
        Some(d) => println!("data: {}", d.display()),
        None => println!("data: the embedded sample (pass --data DIR for full MNIST)"),
    }
    let full = from.is_some();
    let (train_n, test_n, epochs) = match full {
        true => (10_000, 2_000, 7),
        false => (2_000, 300, 6),
    };
    let spec = |count, seed| Canvases {
        count,
        seed,
        ..Canvases::default()
    };
    let train = CanvasSet::compose(
        &mnist.train,
        &spec(args.train_canvases.unwrap_or(train_n), args.seed),
    )?;
    let test = CanvasSet::compose(
        &mnist.test,
        &spec(args.test_canvases.unwrap_or(test_n), args.seed ^ 0x7e57),
    )?;
    println!(
        "{} training canvases (from {} digits), {} test canvases (from {} test digits), 64x64, 1 to 3 digits each",
        train.len(),
        mnist.train.len(),
        test.len(),
        mnist.test.len()
    );
    if let Some(path) = &args.export {
        export_canvases(path, &train, &test)?;
        println!("wrote {}", path.display());
        return Ok(());
    }
    let config = TrainConfig {
        epochs: args.epochs.unwrap_or(epochs),
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
        weight_decay: 0.0,
        schedule: Schedule::Cosine,
        seed: args.seed,
        checkpoint: Some(args.out.join("checkpoint.safetensors")),
        resume: args.resume,
        augment: splotnet::data::Augment::NONE,
        warmup_epochs: 0,
        data: "MNIST canvases".into(),
    };
    check_run(&train, &test, &config)?;
    let start = if args.resume {
        RunStart::Resume
    } else {
        RunStart::New
    };
    prepare_run_dir(&args.out, "checkpoint.safetensors", start)?;
    let summary = UNetPadded::<f32, Cpu>::summary();
    println!("{summary}");
    std::fs::write(args.out.join("summary.txt"), summary.to_string())?;
    let dev = Cpu::seed_from_u64(args.seed);
    let mut model = UNetPadded::<f32, Cpu>::build(&dev);
    let csv_path = args.out.join("metrics.csv");
    let mut rows: Vec<String> = if args.resume {
        std::fs::read_to_string(&csv_path)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect()
    } else {
        vec![]
    };
    let bar = bar::epoch_bar()?;
    let history = train_segmenter(&mut model, &train, &test, &config, |p| match p {
        SegmentProgress::Step {
            epoch,
            seen,
            total,
            loss,
            pixel_accuracy,
            images_per_sec,
        } => bar::show_step(
            &bar,
            (epoch, config.epochs),
            seen,
            total,
            format!(
                "loss {loss:.4} pixel acc {:>6.2}% {images_per_sec:>5.1} img/s",
                pixel_accuracy * 100.0
            ),
        ),
        SegmentProgress::Resumed(done) => {
            bar.suspend(|| println!("resuming after epoch {done} from {}", args.out.display()));
        }
        SegmentProgress::Epoch(m) => {
            bar.suspend(|| println!(
                "epoch {:>2}: lr {:.5}  train loss {:.4}  train pixel acc {:.2}%  test loss {:.4}  test pixel acc {:.2}%  test mIoU {:.4}  {:.1} img/s  {:.0} s",
                m.epoch,
                m.lr,
                m.train_loss,
                m.train_pixel_accuracy * 100.0,
                m.test_loss,
                m.test_pixel_accuracy * 100.0,
                m.test_miou,
                m.images_per_sec,
                m.seconds
            ));
            // rows of epochs this run redoes are replaced
            rows.retain(|r| {
                r.split(',').next().and_then(|e| e.parse::<usize>().ok()) < Some(m.epoch)
            });
            rows.push(m.csv_row());
            let csv = std::iter::once(SegmentEpoch::CSV_HEADER.to_string())
                .chain(rows.iter().cloned())
                .collect::<Vec<_>>()
                .join("\n")
                + "\n";
            if let Err(e) = splotnet::train::write_atomically(&csv_path, csv.as_bytes()) {
                bar.suspend(|| eprintln!("warning: {e}"));
            }
        }
    });
    bar.finish_and_clear();
    let history = history?;
    if let Some(last) = history.last() {
        println!(
            "\nper-class IoU on the test canvases after epoch {}:\n{}",
            last.epoch, last.confusion
        );
        std::fs::write(args.out.join("iou.txt"), last.confusion.to_string() + "\n")?;
        segmentation_curves(&history)?.save_png(&args.out.join("curves.png"))?;
        canvases_picture(&model, &test, &args.out.join("canvases.png"))?;
        println!(
            "final test mIoU {:.4}, pixel accuracy {:.2}%; run directory {} (curves.png, canvases.png, iou.txt, metrics.csv)",
            last.test_miou,
            last.test_pixel_accuracy * 100.0,
            args.out.display()
        );
    }
    Ok(())
}

/// Eight test canvases beside their true and predicted labels.
fn canvases_picture<M: Segmenter>(
    model: &M,
    test: &CanvasSet,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let indices: Vec<usize> = (0..test.len().min(8)).collect();
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    test.batch_into(&indices, &mut pixels, &mut labels);
    let dev = Cpu::default();
    let x: Canvas = dev.tensor_from_vec(pixels, (indices.len(), N::new(), N::new(), N::new()));
    let predicted = predicted_classes(&model.scores(x)?.as_vec());
    let (side, n) = (test.side(), indices.len());
    let plane = side * side;
    segmentation_grid(
        &test.images()[..n * plane],
        &test.masks()[..n * plane],
        &predicted,
        side,
        3,
        &CANVAS_CLASS_NAMES,
    )?
    .save_png(path)?;
    Ok(())
}
