//! The zoo's models are torchvision's: the same parameter count, and the
//! same state-dict names and shapes (buffers included; PyTorch's
//! `num_batches_tracked` counters are not kept), in
//! `tests/fixtures/torchvision_state_dicts.json`.

mod common;

use splotnet::dfdx::nn::TensorCollection;
use splotnet::prelude::*;
use splotnet::zoo::alexnet::AlexNet;
use splotnet::zoo::densenet::DenseNet121;
use splotnet::zoo::googlenet::{GoogLeNet, GoogLeNetAux};
use splotnet::zoo::resnet::{ResNet18, ResNet34, ResNet50};
use splotnet::zoo::vgg::{Vgg11, Vgg16, Vgg16Bn};

/// torchvision's parameter count and `(name, shape)` list of `model`.
fn torchvision(model: &str) -> (u64, Vec<(String, Vec<u64>)>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torchvision_state_dicts.json"
    );
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let m = &all[model];
    let names = m["state_dict"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e[0].as_str().unwrap().ends_with("num_batches_tracked"))
        .map(|e| {
            let shape = e[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .collect();
            (e[0].as_str().unwrap().to_string(), shape)
        })
        .collect();
    (m["params"].as_u64().unwrap(), names)
}

/// Our `(name, shape)` list, sorted: the names dfdx saves and loads under.
fn ours<M: TensorCollection<f32, Cpu>>(net: &M) -> Vec<(String, Vec<u64>)> {
    let mut out: Vec<(String, Vec<u64>)> = splotnet::state_dict::tensor_shapes(net)
        .into_iter()
        .map(|(n, s)| (n, s.into_iter().map(|d| d as u64).collect()))
        .collect();
    out.sort();
    out
}

/// The `(name, shape)` list of the file `save_safetensors` writes, sorted.
fn saved<M: TensorCollection<f32, Cpu>>(net: &M, tag: &str) -> Vec<(String, Vec<u64>)> {
    let dir = common::temp_dir(tag);
    let path = dir.join("model.safetensors");
    net.save_safetensors(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    let mut out: Vec<(String, Vec<u64>)> = header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .map(|(name, t)| {
            (
                name.clone(),
                t["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

fn assert_same_state_dict(model: &str, params: u64, mut saved: Vec<(String, Vec<u64>)>) {
    let (want_params, mut want) = torchvision(model);
    assert_eq!(params, want_params, "{model}: parameter count");
    want.sort();
    saved.sort();
    let missing: Vec<_> = want.iter().filter(|w| !saved.contains(w)).collect();
    let extra: Vec<_> = saved.iter().filter(|s| !want.contains(s)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{model}: missing {missing:?}, unexpected {extra:?}"
    );
}

#[test]
fn resnet18_is_torchvisions() {
    let dev: Cpu = Default::default();
    let net = ResNet18::<f32, Cpu>::build(&dev);
    assert_eq!(
        ResNet18::<f32, Cpu>::summary().params(),
        net.num_trainable_params() as u64
    );
    assert_same_state_dict(
        "resnet18",
        ResNet18::<f32, Cpu>::summary().params(),
        ours(&net),
    );
    // the file `save_safetensors` writes holds exactly those names and shapes
    assert_eq!(saved(&net, "resnet18"), ours(&net));
    // one image through it: every shape the declaration states holds
    let x: Tensor<
        (
            usize,
            N<splotnet::typenum::U3>,
            N<splotnet::typenum::U224>,
            N<splotnet::typenum::U224>,
        ),
        f32,
        Cpu,
    > = dev.sample_normal_like(&(1, N::new(), N::new(), N::new()));
    assert_eq!(net.forward(x).unwrap().shape().concrete(), [1, 1000]);
}

#[test]
fn resnet50_is_torchvisions() {
    let dev: Cpu = Default::default();
    let net = ResNet50::<f32, Cpu>::build(&dev);
    assert_eq!(
        ResNet50::<f32, Cpu>::summary().params(),
        net.num_trainable_params() as u64
    );
    assert_same_state_dict(
        "resnet50",
        ResNet50::<f32, Cpu>::summary().params(),
        ours(&net),
    );
    // conv and linear multiply-adds at 224x224, blocks counting their own
    assert_eq!(
        ResNet50::<f32, Cpu>::summary().weight_macs(),
        Some(4_089_184_256)
    );
}

#[test]
fn resnet34_is_torchvisions() {
    let dev: Cpu = Default::default();
    let net = ResNet34::<f32, Cpu>::build(&dev);
    assert_same_state_dict(
        "resnet34",
        ResNet34::<f32, Cpu>::summary().params(),
        ours(&net),
    );
}

#[test]
fn alexnet_is_torchvisions() {
    let dev: Cpu = Default::default();
    let net = AlexNet::<f32, Cpu>::build(&dev);
    assert_eq!(
        AlexNet::<f32, Cpu>::summary().params(),
        net.num_trainable_params() as u64
    );
    assert_same_state_dict(
        "alexnet",
        AlexNet::<f32, Cpu>::summary().params(),
        ours(&net),
    );
    // conv and linear multiply-adds at 224x224, torchvision's count (issue 9)
    assert_eq!(
        conv_linear_macs(&AlexNet::<f32, Cpu>::summary()),
        714_188_480
    );
}

/// Multiply-adds of the convolutions and linear layers, torchvision's count,
/// from the rows' kinds (for networks without generic blocks), checked
/// against the summary's own weight count.
fn conv_linear_macs(s: &splotnet::inspect::Summary) -> u64 {
    assert_eq!(
        s.weight_macs(),
        Some(
            s.rows
                .iter()
                .filter(|r| r.kind.starts_with("Conv2d") || r.kind == "Linear")
                .map(|r| r.macs.unwrap())
                .sum()
        )
    );
    s.rows
        .iter()
        .filter(|r| r.kind.starts_with("Conv2d") || r.kind == "Linear")
        .map(|r| r.macs.unwrap())
        .sum()
}

#[test]
fn vggs_are_torchvisions() {
    let dev: Cpu = Default::default();
    assert_same_state_dict(
        "vgg11",
        Vgg11::<f32, Cpu>::summary().params(),
        ours(&Vgg11::<f32, Cpu>::build(&dev)),
    );
    assert_same_state_dict(
        "vgg16",
        Vgg16::<f32, Cpu>::summary().params(),
        ours(&Vgg16::<f32, Cpu>::build(&dev)),
    );
    assert_same_state_dict(
        "vgg16_bn",
        Vgg16Bn::<f32, Cpu>::summary().params(),
        ours(&Vgg16Bn::<f32, Cpu>::build(&dev)),
    );
    assert_eq!(
        conv_linear_macs(&Vgg16::<f32, Cpu>::summary()),
        15_470_264_320
    );
}

#[test]
fn googlenets_are_torchvisions() {
    let dev: Cpu = Default::default();
    let net = GoogLeNet::<f32, Cpu>::build(&dev);
    assert_eq!(
        GoogLeNet::<f32, Cpu>::summary().params(),
        net.num_trainable_params() as u64
    );
    assert_same_state_dict(
        "googlenet",
        GoogLeNet::<f32, Cpu>::summary().params(),
        ours(&net),
    );
    assert_same_state_dict(
        "googlenet_aux",
        GoogLeNetAux::<f32, Cpu>::summary().params(),
        ours(&GoogLeNetAux::<f32, Cpu>::build(&dev)),
    );
    assert_eq!(
        GoogLeNet::<f32, Cpu>::summary().weight_macs(),
        Some(1_498_376_192)
    );
}

#[test]
fn densenet121_is_torchvisions() {
    let dev: Cpu = Default::default();
    let net = DenseNet121::<f32, Cpu>::build(&dev);
    assert_eq!(
        DenseNet121::<f32, Cpu>::summary().params(),
        net.num_trainable_params() as u64
    );
    assert_same_state_dict(
        "densenet121",
        DenseNet121::<f32, Cpu>::summary().params(),
        ours(&net),
    );
    assert_eq!(
        DenseNet121::<f32, Cpu>::summary().weight_macs(),
        Some(2_834_161_664)
    );
}

/// A file laid out as `safetensors.torch.save_file(resnet18().state_dict())`
/// writes it (every name and shape from torchvision's list, the
/// `num_batches_tracked` counters as int64 scalars) loads into `ResNet18`.
#[test]
fn a_torchvision_state_dict_loads_into_resnet18() {
    use ::safetensors::tensor::{serialize, TensorView};
    let all: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/torchvision_state_dicts.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let entries: Vec<(String, Vec<usize>)> = all["resnet18"]["state_dict"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let shape = e[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize);
            (e[0].as_str().unwrap().to_string(), shape.collect())
        })
        .collect();
    let bytes: Vec<Vec<u8>> = entries
        .iter()
        .enumerate()
        .map(
            |(i, (name, shape))| match name.ends_with("num_batches_tracked") {
                true => 5i64.to_le_bytes().to_vec(),
                false => (0..shape.iter().product::<usize>())
                    .flat_map(|j| ((i + j) as f32 * 1e-3).to_le_bytes())
                    .collect(),
            },
        )
        .collect();
    let views: Vec<(String, TensorView)> = entries
        .iter()
        .zip(&bytes)
        .map(|((name, shape), b)| {
            let dtype = match name.ends_with("num_batches_tracked") {
                true => ::safetensors::Dtype::I64,
                false => ::safetensors::Dtype::F32,
            };
            (
                name.clone(),
                TensorView::new(dtype, shape.clone(), b).unwrap(),
            )
        })
        .collect();
    let dir = common::temp_dir("tv-resnet18");
    let path = dir.join("resnet18.safetensors");
    std::fs::write(&path, serialize(views, &None).unwrap()).unwrap();
    let dev: Cpu = Default::default();
    let mut net = ResNet18::<f32, Cpu>::build(&dev);
    let loaded = splotnet::state_dict::load_state_dict(&mut net, &path).unwrap();
    assert_eq!(loaded.tensors + loaded.skipped.len(), entries.len());
    let norms = ours(&net)
        .iter()
        .filter(|(n, _)| n.ends_with("running_var"))
        .count();
    assert_eq!(loaded.skipped.len(), norms, "one counter per batch norm");
    let fc_bias_index = entries.iter().position(|(n, _)| n == "fc.bias").unwrap();
    assert_eq!(net.fc.bias.as_vec()[3], (fc_bias_index + 3) as f32 * 1e-3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_papers_unet_maps_572_to_388_with_its_parameter_count() {
    let s = splotnet::zoo::unet::UNet::<f32, Cpu>::summary();
    assert_eq!(s.input, [Some(1), Some(572), Some(572)]);
    assert_eq!(s.output(), [Some(2), Some(388), Some(388)]);
    assert_eq!(s.params(), 31_030_658);
}

#[test]
fn fcns_end_at_the_input_size_with_the_papers_crop_offsets() {
    use splotnet::zoo::fcn::{Fcn16s, Fcn32s, Fcn8s};
    let nets = [
        (Fcn32s::<f32, Cpu>::summary(), 19),
        (Fcn16s::<f32, Cpu>::summary(), 27),
        (Fcn8s::<f32, Cpu>::summary(), 31),
    ];
    for (s, offset) in &nets {
        assert_eq!(s.output(), [Some(21), Some(500), Some(500)], "{}", s.name);
        let crop = &s.rows.last().unwrap().kind;
        assert_eq!(
            *crop,
            format!("Crop to input at ({offset}, {offset})"),
            "{}",
            s.name
        );
    }
    // the fusions centre-crop pool4's 44x44 scores to 34x34 and pool3's
    // 88x88 to 70x70: by 5 and 9, the Caffe models' offsets
    let fcn8 = &nets[2].0;
    assert_eq!(fcn8.row("upscore2").unwrap().output[1], Some(34));
    assert_eq!(
        fcn8.row("fuse_pool4").unwrap().kind,
        "add(from = pool4, 512x44x44) via score_pool4"
    );
    assert_eq!(fcn8.row("upscore_pool4").unwrap().output[1], Some(70));
    assert_eq!(
        fcn8.row("fuse_pool3").unwrap().kind,
        "add(from = pool3, 256x88x88) via score_pool3"
    );
    // VGG-16 with its classifier as convolutions: the same weights, but
    // 21 scores instead of 1000 and the upsampling kernels without bias
    // (VGG-16 less its 1000-class layer, plus the 21-class scores)
    let vgg16 = Vgg16::<f32, Cpu>::summary().params() - (4096 * 1000 + 1000);
    let scores = 4096 * 21 + 21;
    let fcn32 = vgg16 + scores + 21 * 21 * 64 * 64;
    assert_eq!(nets[0].0.params(), fcn32);
    let score_pool = |c: u64| c * 21 + 21;
    let fcn16 = vgg16 + scores + score_pool(512) + 21 * 21 * (4 * 4 + 32 * 32);
    assert_eq!(nets[1].0.params(), fcn16);
    let fcn8 = vgg16 + scores + score_pool(512) + score_pool(256) + 21 * 21 * (16 + 16 + 16 * 16);
    assert_eq!(nets[2].0.params(), fcn8);
    let dev: Cpu = Default::default();
    let net = Fcn8s::<f32, Cpu>::build(&dev);
    let names: Vec<String> = ours(&net).into_iter().map(|(n, _)| n).collect();
    for name in [
        "conv1_1.weight",
        "fc6.weight",
        "score_pool4.weight",
        "score_pool3.bias",
        "upscore8.weight",
    ] {
        assert!(names.contains(&name.to_string()), "{name} in {names:?}");
    }
    assert!(!names
        .iter()
        .any(|n| n.starts_with("upscore") && n.ends_with("bias")));
}
