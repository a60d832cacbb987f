//! torchvision's own blocks, loaded under their PyTorch names, give
//! PyTorch's numbers: in eval mode, in one training pass, and in the running
//! statistics that pass leaves.

mod common;

use std::collections::HashMap;

use ::safetensors::tensor::{serialize, TensorView};
use ::safetensors::SafeTensors;
use splotnet::dfdx::nn::TensorCollection;
use splotnet::prelude::*;
use typenum::{U16, U8};

network! {
    /// torchvision's `BasicBlock(16, 32, stride=2)` with its downsample.
    BasicDown(input: [16, 8, 8]) {
        blk: residual(downsample) {
            conv1: conv(32, k = 3, s = 2, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(32, k = 3, p = 1, bias = false), bn2: batch_norm,
        } -> [32, 4, 4],
        relu,
    }
}

network! {
    /// torchvision's GoogLeNet `BasicConv2d`: conv without bias, batch norm
    /// with eps 0.001, ReLU (here with 8 filters).
    pub block BasicConv2d(input: [C, H, W]) {
        conv: conv(8, k = 7, s = 2, p = 3, bias = false),
        bn: batch_norm(eps = 0.001),
        relu,
    }
}

network! {
    /// GoogLeNet's first layer, named as in torchvision: `conv1.conv.weight`.
    Stem(input: [3, 15, 15]) {
        conv1: block(BasicConv2d) -> [8, 8, 8],
    }
}

#[test]
fn googlenets_basic_conv_loads_pytorchs_file_as_it_is() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/googlenet_stem_conv.safetensors"
    );
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let dev: Cpu = Default::default();
    let mut net = Stem::<f32, Cpu>::build(&dev);
    // no renaming: the declaration's names are torchvision's
    net.load_safetensors(path).unwrap();
    assert_eq!(
        net.num_trainable_params(),
        torchvision_params("googlenet_stem_conv"),
        "torchvision's parameter count"
    );
    let x: Tensor<(usize, N<typenum::U3>, N<typenum::U15>, N<typenum::U15>), f32, Cpu> =
        dev.tensor_from_vec(floats(&st, "x"), (2, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    common::assert_close(
        &y.as_vec(),
        &floats(&st, "y_eval"),
        1e-4,
        "eval output (eps 0.001)",
    );
    let y = net.forward_train(x.leaky_trace()).unwrap();
    common::assert_close(
        &y.as_vec(),
        &floats(&st, "y_train"),
        1e-4,
        "train-mode output",
    );
    let bn = &net.conv1.bn;
    common::assert_close(
        &bn.running_mean.as_vec(),
        &floats(&st, "after_train.conv1.bn.running_mean"),
        1e-4,
        "running mean",
    );
    common::assert_close(
        &bn.running_var.as_vec(),
        &floats(&st, "after_train.conv1.bn.running_var"),
        1e-4,
        "running var",
    );
}

network! {
    /// torchvision's `BasicBlock(16, 16)`: identity shortcut.
    Basic(input: [16, 8, 8]) {
        blk: residual {
            conv1: conv(16, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(16, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// torchvision's `Bottleneck(16, 8, stride=2)`: 1x1, 3x3 at stride 2,
    /// 1x1 to 4·8 channels, with its downsample.
    BottleneckDown(input: [16, 8, 8]) {
        blk: residual(downsample) {
            conv1: conv(8, k = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(8, k = 3, s = 2, p = 1, bias = false), bn2: batch_norm, relu,
            conv3: conv(32, k = 1, bias = false), bn3: batch_norm,
        } -> [32, 4, 4],
        relu,
    }
}

/// torchvision's parameter count of fixture `case`, from the index the
/// fixtures were made with.
fn torchvision_params(case: &str) -> usize {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/interop_index.json"
    );
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    index[case]["params"]
        .as_u64()
        .unwrap_or_else(|| panic!("{case}: no params in the index")) as usize
}

type X = Tensor<(usize, N<U16>, N<U8>, N<U8>), f32, Cpu>;

/// A float32 tensor of a safetensors file, as values.
fn floats(st: &SafeTensors, name: &str) -> Vec<f32> {
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// A residual block's fixture: its tensors under `prefix` (its place in
/// ResNet) loaded as `blk.*` (its place here), then PyTorch's eval output,
/// train-mode output and running statistics after that pass, each within
/// 1e-4. `stats` lists the block's batch norms by their PyTorch names.
fn check_residual_fixture<M: TensorCollection<f32, Cpu>>(
    file: &str,
    prefix: &str,
    mut net: M,
    params: usize,
    eval: impl Fn(&M, X) -> Vec<f32>,
    train: impl Fn(&mut M, X) -> Vec<f32>,
    stats: impl Fn(&M) -> Vec<(&'static str, Vec<f32>, Vec<f32>)>,
) {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let renamed: HashMap<String, TensorView> = st
        .tensors()
        .into_iter()
        .filter_map(|(name, view)| {
            name.strip_prefix(prefix)
                .map(|rest| (format!("blk.{rest}"), view))
        })
        .collect();
    let dir = common::temp_dir(file);
    let renamed_path = dir.join("block.safetensors");
    std::fs::write(&renamed_path, serialize(renamed, &None).unwrap()).unwrap();
    net.load_safetensors(&renamed_path).unwrap();
    assert_eq!(
        net.num_trainable_params(),
        params,
        "{file}: torchvision's parameter count"
    );
    let dev: Cpu = Default::default();
    let x: X = dev.tensor_from_vec(floats(&st, "x"), (2, N::new(), N::new(), N::new()));
    common::assert_close(
        &eval(&net, x.clone()),
        &floats(&st, "y_eval"),
        1e-4,
        &format!("{file}: eval output"),
    );
    common::assert_close(
        &train(&mut net, x),
        &floats(&st, "y_train"),
        1e-4,
        &format!("{file}: train output"),
    );
    for (bn, mean, var) in stats(&net) {
        let key = |stat: &str| format!("after_train.{prefix}{bn}.{stat}");
        common::assert_close(
            &mean,
            &floats(&st, &key("running_mean")),
            1e-4,
            &key("running_mean"),
        );
        common::assert_close(
            &var,
            &floats(&st, &key("running_var")),
            1e-4,
            &key("running_var"),
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn stats<C: splotnet::dims::Size>(
    name: &'static str,
    bn: &splotnet::layers::BatchNorm2d<C, f32, Cpu>,
) -> (&'static str, Vec<f32>, Vec<f32>) {
    (name, bn.running_mean.as_vec(), bn.running_var.as_vec())
}

#[test]
fn torchvisions_resnet_blocks_give_pytorchs_numbers() {
    let dev: Cpu = Default::default();
    check_residual_fixture(
        "resnet_basic.safetensors",
        "layer1.0.",
        Basic::<f32, Cpu>::build(&dev),
        torchvision_params("resnet_basic"),
        |n, x| n.forward(x).unwrap().as_vec(),
        |n, x| n.forward_train(x.leaky_trace()).unwrap().as_vec(),
        |n| vec![stats("bn1", &n.blk.bn1), stats("bn2", &n.blk.bn2)],
    );
    check_residual_fixture(
        "resnet_basic_down.safetensors",
        "layer2.0.",
        BasicDown::<f32, Cpu>::build(&dev),
        torchvision_params("resnet_basic_down"),
        |n, x| n.forward(x).unwrap().as_vec(),
        |n, x| n.forward_train(x.leaky_trace()).unwrap().as_vec(),
        |n| {
            vec![
                stats("bn1", &n.blk.bn1),
                stats("bn2", &n.blk.bn2),
                stats("downsample.1", &n.blk.downsample.norm),
            ]
        },
    );
    check_residual_fixture(
        "resnet_bottleneck_down.safetensors",
        "layer2.0.",
        BottleneckDown::<f32, Cpu>::build(&dev),
        torchvision_params("resnet_bottleneck_down"),
        |n, x| n.forward(x).unwrap().as_vec(),
        |n, x| n.forward_train(x.leaky_trace()).unwrap().as_vec(),
        |n| {
            let b = &n.blk;
            vec![
                stats("bn1", &b.bn1),
                stats("bn2", &b.bn2),
                stats("bn3", &b.bn3),
                stats("downsample.1", &b.downsample.norm),
            ]
        },
    );
}

network! {
    /// torchvision's `BasicBlock` as a generic block whose keys are
    /// torchvision's: the residual adds no level (`conv1`, not `body.conv1`).
    pub block TvBasic(input: [C, H, W]) {
        #[key = ""]
        body: residual {
            conv1: conv(C, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(C, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// torchvision's first block of a stage that halves the size and
    /// doubles the channels, with its downsample.
    pub block TvBasicDown(input: [C, H, W]) {
        #[key = ""]
        body: residual(downsample) {
            conv1: conv(2 * C, k = 3, s = 2, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(2 * C, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// Two blocks at torchvision's places in ResNet: `layer1.0` and `layer2.0`.
    TvStages(input: [16, 8, 8]) {
        #[key = "layer1.0"]
        layer1_0: block(TvBasic) -> [16, 8, 8],
        #[key = "layer2.0"]
        layer2_0: block(TvBasicDown) -> [32, 4, 4],
    }
}

#[test]
fn torchvision_names_load_without_renaming() {
    let dev: Cpu = Default::default();
    let mut net = TvStages::<f32, Cpu>::build(&dev);
    let dir = common::temp_dir("tv-names");
    let ours = dir.join("ours.safetensors");
    net.save_safetensors(&ours).unwrap();
    let header = common::safetensors_header(&ours);
    for name in [
        "layer1.0.conv1.weight",
        "layer1.0.bn2.running_var",
        "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.bias",
    ] {
        assert!(
            header.contains(&format!("\"{name}\"")),
            "{name} missing from {header}"
        );
    }
    assert!(
        !header.contains("body"),
        "the residual adds no level: {header}"
    );
    // the two fixtures' tensors in one file, every name as PyTorch saved it
    let files = ["resnet_basic.safetensors", "resnet_basic_down.safetensors"];
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|f| {
            std::fs::read(format!("{}/tests/fixtures/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
        })
        .collect();
    let files_st: Vec<SafeTensors> = bytes
        .iter()
        .map(|b| SafeTensors::deserialize(b).unwrap())
        .collect();
    let merged: HashMap<String, TensorView> = files_st
        .iter()
        .flat_map(|st| st.tensors())
        .filter(|(name, _)| name.starts_with("layer"))
        .collect();
    let theirs = dir.join("theirs.safetensors");
    std::fs::write(&theirs, serialize(merged, &None).unwrap()).unwrap();
    net.load_safetensors(&theirs).unwrap();
    for (st, stage) in files_st.iter().zip([1, 2]) {
        let x: X = dev.tensor_from_vec(floats(st, "x"), (2, N::new(), N::new(), N::new()));
        let y = if stage == 1 {
            net.layer1_0.try_forward(x).unwrap().as_vec()
        } else {
            net.layer2_0.try_forward(x).unwrap().as_vec()
        };
        common::assert_close(
            &y,
            &floats(st, "y_eval"),
            1e-4,
            &format!("layer{stage}.0: eval output"),
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
