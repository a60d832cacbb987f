//! torchvision's own blocks, loaded under their PyTorch names, give
//! PyTorch's numbers: in eval mode, in one training pass, and in the running
//! statistics that pass leaves. Each fixture (made by
//! `shared/anchors/make_interop_fixtures.py`, see `tests/fixtures/README.md`)
//! holds a block's weights under its place in torchvision's model, an input
//! `x`, `y_eval`, `y_train`, and `after_train.*` statistics.

mod common;

use std::collections::HashMap;

use ::safetensors::tensor::{serialize, TensorView};
use ::safetensors::SafeTensors;
use splotnet::dfdx::nn::TensorCollection;
use splotnet::prelude::*;
use splotnet::zoo::densenet::Transition;
use splotnet::zoo::googlenet::{BasicConv7x7s2, Inception};
use splotnet::zoo::resnet::{BasicBlock, BasicBlockDown};
use typenum::{U15, U16, U3, U32, U6, U7, U8};

/// The index the fixtures were made with: each case's torchvision class,
/// name prefix, shapes and parameter count.
fn index(case: &str) -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/interop_index.json"
    );
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    index[case].clone()
}

/// A float32 tensor of a safetensors file, as values.
fn floats(st: &SafeTensors, name: &str) -> Vec<f32> {
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn fixture_path(case: &str) -> String {
    format!(
        "{}/tests/fixtures/{case}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Checks fixture `case` against `net`: its tensors under torchvision's
/// prefix are loaded under `into` (the block's place here), then the eval
/// output, the train-mode output and every running statistic after that
/// pass must equal PyTorch's within 1e-4, and `params` (the block's count
/// in `net`) torchvision's.
fn check_fixture<M: TensorCollection<f32, Cpu>>(
    case: &str,
    into: &str,
    (mut net, params): (M, u64),
    eval: impl Fn(&M, Vec<f32>) -> Vec<f32>,
    train: impl Fn(&mut M, Vec<f32>) -> Vec<f32>,
) {
    let meta = index(case);
    let prefix = meta["prefix"].as_str().unwrap();
    let bytes = std::fs::read(fixture_path(case)).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    // the network's own tensors, the fixture's over those of the block
    let dir = common::temp_dir(case);
    let own_path = dir.join("own.safetensors");
    net.save_safetensors(&own_path).unwrap();
    let own_bytes = std::fs::read(&own_path).unwrap();
    let own = SafeTensors::deserialize(&own_bytes).unwrap();
    let mut merged: HashMap<String, TensorView> = own.tensors().into_iter().collect();
    let mut loaded = 0;
    for (name, view) in st.tensors() {
        if let Some(rest) = name.strip_prefix(prefix) {
            let ours = format!("{into}{rest}");
            assert!(
                merged.contains_key(&ours),
                "{case}: {name} has no place {ours}"
            );
            merged.insert(ours, view);
            loaded += 1;
        }
    }
    assert_eq!(
        loaded,
        meta["names"].as_array().unwrap().len(),
        "{case}: every tensor"
    );
    let renamed_path = dir.join("block.safetensors");
    std::fs::write(&renamed_path, serialize(merged, &None).unwrap()).unwrap();
    net.load_safetensors(&renamed_path).unwrap();
    assert_eq!(
        params,
        meta["params"].as_u64().unwrap(),
        "{case}: torchvision's parameter count"
    );
    common::assert_close(
        &eval(&net, floats(&st, "x")),
        &floats(&st, "y_eval"),
        1e-4,
        &format!("{case}: eval output"),
    );
    common::assert_close(
        &train(&mut net, floats(&st, "x")),
        &floats(&st, "y_train"),
        1e-4,
        &format!("{case}: train output"),
    );
    // every running statistic, read back under torchvision's names
    let after = dir.join("after.safetensors");
    net.save_safetensors(&after).unwrap();
    let ours_bytes = std::fs::read(&after).unwrap();
    let ours = SafeTensors::deserialize(&ours_bytes).unwrap();
    let mut checked = 0;
    for name in ours.names() {
        let Some(rest) = name.strip_prefix(into) else {
            continue; // another block of the same network
        };
        if !(name.ends_with("running_mean") || name.ends_with("running_var")) {
            continue;
        }
        let theirs = format!("after_train.{prefix}{rest}");
        common::assert_close(&floats(&ours, name), &floats(&st, &theirs), 1e-4, &theirs);
        checked += 1;
    }
    let expected = st
        .names()
        .iter()
        .filter(|n| n.starts_with("after_train.") && n.ends_with("running_var"))
        .count();
    assert_eq!(
        checked,
        2 * expected,
        "{case}: every batch norm's statistics"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A network whose every parameter is the fixture's block's.
fn whole<M: TensorCollection<f32, Cpu>>(net: M) -> (M, u64) {
    let n = net.num_trainable_params() as u64;
    (net, n)
}

/// The fixture's input as a batch of `[C, H, W]` maps.
fn maps<C: ConstDim, H: ConstDim, W: ConstDim>(x: Vec<f32>) -> Tensor<(usize, C, H, W), f32, Cpu> {
    let batch = x.len() / (C::SIZE * H::SIZE * W::SIZE);
    Cpu::default().tensor_from_vec(x, (batch, C::default(), H::default(), W::default()))
}

network! {
    /// GoogLeNet's first layer, named as in torchvision: `conv1.conv.weight`.
    Stem(input: [3, 15, 15]) {
        conv1: block(BasicConv7x7s2<8>) -> [8, 8, 8],
    }
}

#[test]
fn googlenets_basic_conv_loads_pytorchs_file_as_it_is() {
    let dev: Cpu = Default::default();
    // no renaming: the declaration's names are torchvision's
    check_fixture(
        "googlenet_stem_conv",
        "conv1.",
        whole(Stem::<f32, Cpu>::build(&dev)),
        |n, x| {
            n.forward(maps::<N<U3>, N<U15>, N<U15>>(x))
                .unwrap()
                .as_vec()
        },
        |n, x| {
            let x = maps::<N<U3>, N<U15>, N<U15>>(x).leaky_trace();
            n.forward_train(x).unwrap().as_vec()
        },
    );
}

network! {
    /// torchvision's `Inception(16, 8, 4, 8, 2, 4, 4)` as GoogLeNet's `inception3a`.
    Incep(input: [16, 7, 7]) {
        blk: block(Inception<8, 4, 8, 2, 4, 4>) -> [24, 7, 7],
    }
}

#[test]
fn googlenets_inception_gives_pytorchs_numbers() {
    let dev: Cpu = Default::default();
    check_fixture(
        "googlenet_inception",
        "blk.",
        whole(Incep::<f32, Cpu>::build(&dev)),
        |n, x| n.forward(maps::<N<U16>, N<U7>, N<U7>>(x)).unwrap().as_vec(),
        |n, x| {
            let x = maps::<N<U16>, N<U7>, N<U7>>(x).leaky_trace();
            n.forward_train(x).unwrap().as_vec()
        },
    );
}

network! {
    /// torchvision's `_DenseBlock(num_layers=2, num_input_features=16,
    /// bn_size=4, growth_rate=8)` and `_Transition(32, 16)`.
    Dense(input: [16, 6, 6]) {
        blk: dense(layers = 2, keys = "denselayer{1}") {
            norm1: batch_norm, relu, conv1: conv(32, k = 1, bias = false),
            norm2: batch_norm, relu, conv2: conv(8, k = 3, p = 1, bias = false),
        } -> [32, 6, 6],
    }
}

network! {
    Trans(input: [32, 6, 6]) {
        blk: block(Transition) -> [16, 3, 3],
    }
}

#[test]
fn densenets_block_and_transition_give_pytorchs_numbers() {
    let dev: Cpu = Default::default();
    check_fixture(
        "densenet_block",
        "blk.",
        whole(Dense::<f32, Cpu>::build(&dev)),
        |n, x| n.forward(maps::<N<U16>, N<U6>, N<U6>>(x)).unwrap().as_vec(),
        |n, x| {
            let x = maps::<N<U16>, N<U6>, N<U6>>(x).leaky_trace();
            n.forward_train(x).unwrap().as_vec()
        },
    );
    check_fixture(
        "densenet_transition",
        "blk.",
        whole(Trans::<f32, Cpu>::build(&dev)),
        |n, x| n.forward(maps::<N<U32>, N<U6>, N<U6>>(x)).unwrap().as_vec(),
        |n, x| {
            let x = maps::<N<U32>, N<U6>, N<U6>>(x).leaky_trace();
            n.forward_train(x).unwrap().as_vec()
        },
    );
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

network! {
    /// ResNet's blocks at torchvision's places: `layer1.0` and `layer2.0`.
    Stages(input: [16, 8, 8]) {
        #[key = "layer1.0"]
        layer1_0: block(BasicBlock) -> [16, 8, 8],
        #[key = "layer2.0"]
        layer2_0: block(BasicBlockDown) -> [32, 4, 4],
    }
}

#[test]
fn torchvisions_resnet_blocks_give_pytorchs_numbers() {
    let dev: Cpu = Default::default();
    let stages = || Stages::<f32, Cpu>::build(&dev);
    let basic = BasicBlock::<U16, f32, Cpu>::param_count();
    let down = BasicBlockDown::<U16, f32, Cpu>::param_count();
    check_fixture(
        "resnet_basic",
        "layer1.0.",
        (stages(), basic),
        |n, x| {
            n.layer1_0
                .try_forward(maps::<N<U16>, N<U8>, N<U8>>(x))
                .unwrap()
                .as_vec()
        },
        |n, x| {
            let x = maps::<N<U16>, N<U8>, N<U8>>(x).leaky_trace();
            n.layer1_0.try_forward_mut(x).unwrap().as_vec()
        },
    );
    check_fixture(
        "resnet_basic_down",
        "layer2.0.",
        (stages(), down),
        |n, x| {
            n.layer2_0
                .try_forward(maps::<N<U16>, N<U8>, N<U8>>(x))
                .unwrap()
                .as_vec()
        },
        |n, x| {
            let x = maps::<N<U16>, N<U8>, N<U8>>(x).leaky_trace();
            n.layer2_0.try_forward_mut(x).unwrap().as_vec()
        },
    );
    // written out rather than ResNet-50's generic block: the declaration
    // of the fixture's widths (16 in, 8 wide, 32 out) as it reads
    check_fixture(
        "resnet_bottleneck_down",
        "blk.",
        whole(BottleneckDown::<f32, Cpu>::build(&dev)),
        |n, x| n.forward(maps::<N<U16>, N<U8>, N<U8>>(x)).unwrap().as_vec(),
        |n, x| {
            let x = maps::<N<U16>, N<U8>, N<U8>>(x).leaky_trace();
            n.forward_train(x).unwrap().as_vec()
        },
    );
}

#[test]
fn torchvision_names_load_without_renaming() {
    let dev: Cpu = Default::default();
    let mut net = Stages::<f32, Cpu>::build(&dev);
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
    let bytes: Vec<Vec<u8>> = ["resnet_basic", "resnet_basic_down"]
        .iter()
        .map(|c| std::fs::read(fixture_path(c)).unwrap())
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
    let x = |st: &SafeTensors| maps::<N<U16>, N<U8>, N<U8>>(floats(st, "x"));
    let y1 = net.layer1_0.try_forward(x(&files_st[0])).unwrap();
    let y2 = net.layer2_0.try_forward(x(&files_st[1])).unwrap();
    common::assert_close(
        &y1.as_vec(),
        &floats(&files_st[0], "y_eval"),
        1e-4,
        "layer1.0",
    );
    common::assert_close(
        &y2.as_vec(),
        &floats(&files_st[1], "y_eval"),
        1e-4,
        "layer2.0",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
