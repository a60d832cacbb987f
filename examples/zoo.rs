//! The zoo from the command line: every model (torchvision's classifiers,
//! U-Net and FCN) with its parameter count,
//! any model's layer table, and a forward pass with PyTorch's weights.
//!
//!     cargo run --release --features zoo --example zoo -- list
//!     cargo run --release --features zoo --example zoo -- summary resnet50
//!     cargo run --release --features zoo --example zoo -- run resnet18 --load resnet18.safetensors
//!
//! `--load` takes a state dict saved from PyTorch with
//! `safetensors.torch.save_file(model.state_dict(), "resnet18.safetensors")`
//! (torchvision's names are the zoo's, so nothing is renamed). A wrong,
//! truncated or mismatched file is an error naming the file and the first
//! offending tensor.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use splotnet::inspect::{thousands, Summary};
use splotnet::prelude::*;
use splotnet::zoo::{
    alexnet::*, densenet::*, fcn::*, googlenet::*, highway::*, resnet::*, unet::*, vgg::*,
};

#[derive(Parser)]
#[command(about = "torchvision's models, declared with network! and checked by the compiler")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every model, with its parameters and multiply-adds.
    List,
    /// A model's layer table.
    Summary {
        /// The model, as `list` names it (torchvision's name).
        model: String,
    },
    /// One forward pass on a random batch, printing the output's shape.
    Run {
        /// The model, as `list` names it.
        model: String,
        /// A PyTorch state dict saved as safetensors.
        #[arg(long)]
        load: Option<PathBuf>,
        /// Images in the batch.
        #[arg(long, default_value_t = 1)]
        batch: usize,
    },
}

/// `(name, summary, run)` per model: `run` builds it, loads the weights if
/// given, and runs one batch.
macro_rules! zoo {
    ($($name:literal => $ty:ident;)*) => {
        const MODELS: &[&str] = &[$($name),*];

        fn summary(model: &str) -> Option<Summary> {
            match model {
                $($name => Some($ty::<f32, Cpu>::summary()),)*
                _ => None,
            }
        }

        fn run(model: &str, load: Option<&PathBuf>, batch: usize) -> Result<(), String> {
            let dev: Cpu = Default::default();
            match model {
                $($name => {
                    let mut net = $ty::<f32, Cpu>::build(&dev);
                    if let Some(file) = load {
                        let loaded = splotnet::state_dict::load_state_dict(&mut net, file)
                            .map_err(|e| e.to_string())?;
                        println!(
                            "loaded {} tensors from {} (skipped {} counters)",
                            loaded.tensors,
                            file.display(),
                            loaded.skipped.len()
                        );
                    }
                    let x = dev.sample_normal_like(&(batch, N::new(), N::new(), N::new()));
                    let start = Instant::now();
                    let y = net.forward(x).map_err(|e| e.to_string())?;
                    let values = y.as_vec();
                    let mean = values.iter().sum::<f32>() / values.len() as f32;
                    println!(
                        "{model}: output {:?} in {:.0} ms (mean {mean:.4})",
                        y.shape().concrete(),
                        start.elapsed().as_secs_f64() * 1e3
                    );
                    Ok(())
                })*
                _ => Err(unknown(model)),
            }
        }
    };
}

zoo! {
    "alexnet" => AlexNet;
    "alexnet2012" => AlexNet2012;
    "vgg11" => Vgg11;
    "vgg11_bn" => Vgg11Bn;
    "vgg13" => Vgg13;
    "vgg13_bn" => Vgg13Bn;
    "vgg16" => Vgg16;
    "vgg16_bn" => Vgg16Bn;
    "vgg19" => Vgg19;
    "vgg19_bn" => Vgg19Bn;
    "googlenet" => GoogLeNet;
    "googlenet_aux" => GoogLeNetAux;
    "resnet18" => ResNet18;
    "resnet34" => ResNet34;
    "resnet50" => ResNet50;
    "resnet101" => ResNet101;
    "resnet152" => ResNet152;
    "densenet121" => DenseNet121;
    "densenet169" => DenseNet169;
    "densenet201" => DenseNet201;
    "highway10" => Highway10;
    "unet" => UNet;
    "unet_padded" => UNetPadded;
    "fcn32s" => Fcn32s;
    "fcn16s" => Fcn16s;
    "fcn8s" => Fcn8s;
}

fn unknown(model: &str) -> String {
    format!(
        "unknown model `{model}`; the zoo has: {}",
        MODELS.join(", ")
    )
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.command {
        Command::List => {
            println!(
                "{:<14} {:>13} {:>16}  input",
                "model", "params", "mult-adds"
            );
            for m in MODELS {
                let s = summary(m).expect("every listed model has a summary");
                let macs = s.weight_macs().map_or_else(
                    || "?".into(),
                    |m| match m {
                        m if m >= 100_000_000 => format!("{:.3} G", m as f64 / 1e9),
                        m => format!("{:.3} M", m as f64 / 1e6),
                    },
                );
                let input: Vec<String> = s
                    .input
                    .iter()
                    .map(|d| d.map_or_else(|| "_".into(), |d| d.to_string()))
                    .collect();
                println!(
                    "{m:<14} {:>13} {macs:>16}  {}",
                    thousands(s.params()),
                    input.join("x")
                );
            }
            Ok(())
        }
        Command::Summary { model } => match summary(model) {
            Some(s) => {
                print!("{s}");
                Ok(())
            }
            None => Err(unknown(model)),
        },
        Command::Run { model, load, batch } => {
            if *batch == 0 {
                Err("--batch must be at least 1".to_string())
            } else {
                run(model, load.as_ref(), *batch)
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
