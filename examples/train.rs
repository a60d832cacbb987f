//! Train any classifier declared with `network!` on MNIST, Fashion-MNIST
//! or a folder of images: the zoo's LeNet-5s or a network declared below.
//!
//!     cargo run --release --example train -- --model fashion-net --dataset fashion --flip
//!     cargo run --release --example train -- --model lenet5 --data ../shared/data/mnist
//!     cargo run --release --example train -- --model rgb-net --dataset folder --data DIR
//!     cargo run --release --example train -- --list
//!
//! The networks declared here are ordinary `network!` declarations: the
//! training loop (`splotnet::train::fit`) needs nothing else of them.
//! MNIST-format images are padded to the network's input when it is larger
//! (LeNet-5's 32x32); a folder's images (`DIR/train/<class>/*.png|jpg` and
//! `DIR/val/<class>/..` or `DIR/test/<class>/..`, as torchvision's
//! `ImageFolder`) are resized to it and normalised by the training images'
//! own channel statistics. Data the network cannot take is refused before
//! anything is written.
//!
//! Writes to the run directory (`--out`, default `runs/MODEL`) what the
//! `lenet5` example writes: `summary.txt`, `metrics.csv`, `confusion.txt`,
//! the checkpoint and optimiser state after every epoch, `curves.png`,
//! `filters.png` and `feature_maps.png`. A directory that holds a run is
//! refused unless `--resume` (continue it exactly) or `--force` (replace
//! it) is given.

mod common;

use clap::{Parser, ValueEnum};
use common::{pictures, report, AnyError, Recipe, RunLog};
use splotnet::data::{Augment, Dataset, Distortion, ImageFolder, Padded, Samples};
use splotnet::prelude::*;
use splotnet::train::{check_fit, fit, prepare_run_dir, Classifier};
use splotnet::zoo::lenet5::{LeNet5, LeNet5Modern};
use std::path::PathBuf;

network! {
    /// A VGG-style network for 28x28 grey images: two stages of two 3x3
    /// convolutions with batch norm, then two linear layers with dropout
    /// between them.
    pub FashionNet(input: [1, 28, 28]) {
        conv1: conv(32, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
        conv2: conv(32, k = 3, p = 1, bias = false), bn2: batch_norm, relu,
        max_pool(k = 2) -> [32, 14, 14],
        conv3: conv(64, k = 3, p = 1, bias = false), bn3: batch_norm, relu,
        conv4: conv(64, k = 3, p = 1, bias = false), bn4: batch_norm, relu,
        max_pool(k = 2) -> [64, 7, 7],
        flatten,
        fc1: linear(256), relu,
        dropout(p = 0.25),
        fc2: linear(10),
    }
}

network! {
    /// A small network with a GoogLeNet-style auxiliary classifier after
    /// its first stage, whose loss counts 0.3 in training (Szegedy et al.
    /// 2015); inference uses the main output only.
    pub AuxNet(input: [1, 28, 28]) {
        conv1: conv(16, k = 3, p = 1), relu,
        max_pool(k = 2) -> [16, 14, 14],
        head: aux(weight = 0.3) {
            global_avg_pool,
            fc: linear(10),
        },
        conv2: conv(32, k = 3, p = 1), relu,
        max_pool(k = 2) -> [32, 7, 7],
        flatten,
        fc: linear(10),
    }
}

network! {
    /// A small residual network for RGB images at 32x32 (CIFAR-sized).
    pub RgbNet(input: [3, 32, 32]) {
        stem: conv(32, k = 3, p = 1, bias = false), bn: batch_norm, relu,
        res1: residual {
            conv1: conv(32, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(32, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
        max_pool(k = 2) -> [32, 16, 16],
        conv3: conv(64, k = 3, p = 1, bias = false), bn3: batch_norm, relu,
        max_pool(k = 2) -> [64, 8, 8],
        global_avg_pool,
        fc: linear(10),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Model {
    /// LeNet-5 as in the 1998 paper (32x32 input: images padded by 2).
    Lenet5,
    /// LeNet-5 with ReLU, max pooling and dropout.
    Lenet5Modern,
    /// VGG-style, batch norm, 28x28 (declared in this example).
    FashionNet,
    /// With an auxiliary head weighted 0.3 (declared in this example).
    AuxNet,
    /// Residual, RGB 32x32, up to 10 classes (declared in this example).
    RgbNet,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Data {
    /// Handwritten digits (the embedded sample without --data).
    Mnist,
    /// Zalando's article images (--data, $FASHION_MNIST_DIR, or Debian's dataset-fashion-mnist).
    Fashion,
    /// Class folders of PNG/JPEG images: --data DIR with DIR/train and DIR/val (or DIR/test).
    Folder,
}

/// Train a network declared with `network!` on MNIST or Fashion-MNIST.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The network to train.
    #[arg(long, value_enum, default_value_t = Model::FashionNet, required_unless_present = "list")]
    model: Model,
    /// List the networks with their parameter counts and input shapes, and stop.
    #[arg(long)]
    list: bool,
    /// Directory with the four IDX files (raw or .gz); see --dataset for the defaults.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Which dataset in MNIST's format the files hold.
    #[arg(long, value_enum, default_value_t = Data::Mnist)]
    dataset: Data,
    /// Random crops after padding by this many pixels (0: none).
    #[arg(long, default_value_t = 0)]
    crop_pad: usize,
    /// Mirror training images left to right with probability 1/2 (not for digits).
    #[arg(long)]
    flip: bool,
    /// Randomly rotate (±10°), scale (±10 %) and shift (±2 px) the training images.
    #[arg(long)]
    distort: bool,
    /// Random-resized crops of at least this fraction of the area (folders; 0.08 as torchvision).
    #[arg(long)]
    resized_crop: Option<f32>,
    /// AlexNet's PCA colour jitter, σ 0.1 (RGB folders).
    #[arg(long)]
    pca_jitter: bool,
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
    if args.list {
        for model in Model::value_variants() {
            let (params, dims) = describe(*model);
            let name = model.to_possible_value().map(|v| v.get_name().to_string());
            println!(
                "{:<14} {params:>10} params  input {dims:?}",
                name.unwrap_or_default()
            );
        }
        return Ok(());
    }
    args.recipe.set_threads()?;
    macro_rules! go {
        ($net:ident) => {
            go(
                args,
                $net::<f32, Cpu>::build(&Cpu::seed_from_u64(args.recipe.seed)),
                $net::<f32, Cpu>::summary(),
            )
        };
    }
    match args.model {
        Model::Lenet5 => go!(LeNet5),
        Model::Lenet5Modern => go!(LeNet5Modern),
        Model::FashionNet => go!(FashionNet),
        Model::AuxNet => go!(AuxNet),
        Model::RgbNet => go!(RgbNet),
    }
}

/// The data's two splits as the network's samples, its name and the
/// classes' names.
struct Splits<'a> {
    train: Box<dyn Samples + 'a>,
    test: Box<dyn Samples + 'a>,
    name: String,
    classes: Vec<String>,
    /// The training images' colour components (RGB folders).
    pca: Option<splotnet::data::PcaJitter>,
}

/// MNIST-format data is read into `mnist`, which the splits borrow.
fn load<'a>(
    args: &Args,
    dims: &[usize],
    mnist: &'a mut Option<splotnet::data::Mnist>,
) -> Result<Splits<'a>, AnyError> {
    let dataset = match args.dataset {
        Data::Mnist => Dataset::Mnist,
        Data::Fashion => Dataset::FashionMnist,
        Data::Folder => return load_folder(args, dims),
    };
    let (data, from) = dataset.load(args.data.as_deref())?;
    match &from {
        Some(d) => println!("data: {} from {}", dataset.name(), d.display()),
        None => println!("data: the embedded MNIST sample (pass --data DIR for the full set)"),
    }
    let data = mnist.insert(data);
    Ok(Splits {
        train: Box::new(Padded::to_fit(&data.train, dims)?),
        test: Box::new(Padded::to_fit(&data.test, dims)?),
        name: dataset.name().into(),
        classes: dataset
            .class_names()
            .iter()
            .map(|c| c.to_string())
            .collect(),
        pca: None,
    })
}

fn load_folder(args: &Args, dims: &[usize]) -> Result<Splits<'static>, AnyError> {
    let root = args
        .data
        .as_ref()
        .ok_or("--dataset folder needs --data DIR (with DIR/train and DIR/val or DIR/test)")?;
    if !root.is_dir() {
        return Err(format!("{}: no such directory", root.display()).into());
    }
    let test_dir = ["val", "test"]
        .iter()
        .map(|d| root.join(d))
        .find(|d| d.is_dir())
        .ok_or_else(|| format!("{}: holds no val/ or test/ folder", root.display()))?;
    let train = ImageFolder::open(root.join("train"), dims)?;
    let test = ImageFolder::open(&test_dir, dims)?;
    if train.classes() != test.classes() {
        return Err(format!(
            "{}: the training classes {:?} are not the test classes {:?}",
            root.display(),
            train.classes(),
            test.classes()
        )
        .into());
    }
    let stats = train.statistics()?;
    let (mean, std) = (stats.mean, stats.std);
    println!(
        "data: {} (train), {} (test); per channel mean {mean:.3?}, std {std:.3?}",
        root.join("train").display(),
        test_dir.display()
    );
    let classes = train.classes().to_vec();
    Ok(Splits {
        train: Box::new(train.normalised_by(&mean, &std)?),
        test: Box::new(test.normalised_by(&mean, &std)?),
        name: format!("folder {}", root.display()),
        classes,
        pca: stats.pca,
    })
}

/// The model's parameter count and input shape.
fn describe(model: Model) -> (u64, Vec<usize>) {
    fn of<M: Classifier<Cpu>>(summary: splotnet::summary::Summary) -> (u64, Vec<usize>) {
        (summary.params(), M::input_dims())
    }
    match model {
        Model::Lenet5 => of::<LeNet5<f32, Cpu>>(LeNet5::<f32, Cpu>::summary()),
        Model::Lenet5Modern => of::<LeNet5Modern<f32, Cpu>>(LeNet5Modern::<f32, Cpu>::summary()),
        Model::FashionNet => of::<FashionNet<f32, Cpu>>(FashionNet::<f32, Cpu>::summary()),
        Model::AuxNet => of::<AuxNet<f32, Cpu>>(AuxNet::<f32, Cpu>::summary()),
        Model::RgbNet => of::<RgbNet<f32, Cpu>>(RgbNet::<f32, Cpu>::summary()),
    }
}

fn go<M: Classifier<Cpu> + Send + Sync>(
    args: &Args,
    mut model: M,
    summary: splotnet::summary::Summary,
) -> Result<(), AnyError> {
    let name = args
        .model
        .to_possible_value()
        .map_or("model".to_string(), |v| v.get_name().to_string());
    let out = args
        .recipe
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&name));
    let mut mnist = None;
    let data = load(args, &M::input_dims(), &mut mnist)?;
    println!(
        "{} training images, {} test images, classes {}",
        data.train.len(),
        data.test.len(),
        data.classes.join(", ")
    );
    let pca = match (args.pca_jitter, data.pca) {
        (false, _) => None,
        (true, Some(pca)) => Some(pca),
        (true, None) => return Err("--pca-jitter needs RGB images from --dataset folder".into()),
    };
    let augment = Augment {
        distort: args.distort.then_some(Distortion::DEFAULT),
        crop_pad: args.crop_pad,
        flip: args.flip,
        resized_crop: args.resized_crop,
        pca,
    };
    let config = args.recipe.config(&data.name, augment, &out);
    // refuse bad settings, data the network cannot take and an occupied run
    // directory before writing anything
    check_fit::<Cpu, M>(&*data.train, &*data.test, &config)?;
    prepare_run_dir(&out, "checkpoint.safetensors", args.recipe.start())?;
    let summary = summary.for_batch(config.batch_size).to_string();
    println!("{summary}");
    std::fs::write(out.join("summary.txt"), summary)?;
    let mut log = RunLog::new(&out, config.epochs, config.resume)?;
    let history = fit(&mut model, &*data.train, &*data.test, &config, |p| {
        log.on(p)
    });
    let rows = log.finish();
    let history = history?;
    let classes: Vec<&str> = data.classes.iter().map(String::as_str).collect();
    pictures(&model, &*data.test, &classes, &rows, &out)?;
    report(&history, &classes, &out)
}
