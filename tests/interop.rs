//! torchvision's own blocks, loaded under their PyTorch names, give
//! PyTorch's numbers: in eval mode, in one training pass, and in the running
//! statistics that pass leaves.

mod common;

use std::collections::HashMap;

use ::safetensors::tensor::{serialize, TensorView};
use ::safetensors::SafeTensors;
use splotnet::prelude::*;
use typenum::{U16, U32, U4, U8};

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
        1_192,
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

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/resnet_basic_down.safetensors"
);

fn floats(st: &SafeTensors, name: &str) -> Vec<f32> {
    let t = st.tensor(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn torchvisions_basic_block_with_downsample_gives_pytorchs_numbers() {
    let bytes = std::fs::read(FIXTURE).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    // the block's own tensors, from `layer2.0.*` (its place in ResNet) to
    // `blk.*` (its place here); every other name is torchvision's
    let renamed: HashMap<String, TensorView> = st
        .tensors()
        .into_iter()
        .filter_map(|(name, view)| {
            name.strip_prefix("layer2.0.")
                .map(|rest| (format!("blk.{rest}"), view))
        })
        .collect();
    assert_eq!(renamed.len(), 15, "5 tensors per conv + bn pair, 3 pairs");
    let dir = common::temp_dir("interop");
    let path = dir.join("block.safetensors");
    std::fs::write(&path, serialize(renamed, &None).unwrap()).unwrap();

    let dev: Cpu = Default::default();
    let mut net = BasicDown::<f32, Cpu>::build(&dev);
    net.load_safetensors(&path).unwrap();
    assert_eq!(
        net.num_trainable_params(),
        14_528,
        "torchvision's parameter count"
    );
    assert_eq!(BasicDown::<f32, Cpu>::summary().params(), 14_528);

    let x: Tensor<(usize, N<U16>, N<U8>, N<U8>), f32, Cpu> =
        dev.tensor_from_vec(floats(&st, "x"), (2, N::new(), N::new(), N::new()));
    let y_eval: Tensor<(usize, N<U32>, N<U4>, N<U4>), f32, Cpu> = net.forward(x.clone()).unwrap();
    common::assert_close(
        &y_eval.as_vec(),
        &floats(&st, "y_eval"),
        1e-4,
        "eval output",
    );
    let y_train = net.forward_train(x.leaky_trace()).unwrap();
    common::assert_close(
        &y_train.as_vec(),
        &floats(&st, "y_train"),
        1e-4,
        "train-mode output",
    );
    for (name, ours) in [
        ("bn1", (&net.blk.bn1.running_mean, &net.blk.bn1.running_var)),
        ("bn2", (&net.blk.bn2.running_mean, &net.blk.bn2.running_var)),
        (
            "downsample.1",
            (
                &net.blk.downsample.norm.running_mean,
                &net.blk.downsample.norm.running_var,
            ),
        ),
    ] {
        let key = |stat: &str| format!("after_train.layer2.0.{name}.{stat}");
        common::assert_close(
            &ours.0.as_vec(),
            &floats(&st, &key("running_mean")),
            1e-4,
            &key("running_mean"),
        );
        common::assert_close(
            &ours.1.as_vec(),
            &floats(&st, &key("running_var")),
            1e-4,
            &key("running_var"),
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
