//! `load_state_dict` takes a PyTorch-style file whole or not at all: a
//! missing, unexpected, misshapen or non-f32 tensor, or a truncated file,
//! is an error naming the file and the tensor, and the model is unchanged.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ::safetensors::tensor::{serialize, TensorView};
use ::safetensors::{Dtype, SafeTensors};
use splotnet::prelude::*;
use splotnet::state_dict::{load_state_dict, tensor_shapes};

network! {
    Tiny(input: [2, 4, 4]) {
        c: conv(3, k = 3, bias = false) -> [3, 2, 2],
        bn: batch_norm,
        flatten,
        fc: linear(2),
    }
}

/// A file of `tensors` (name, dtype, shape, bytes) at `dir/name`.
fn write(dir: &Path, name: &str, tensors: &[(String, Dtype, Vec<usize>, Vec<u8>)]) -> PathBuf {
    let views: HashMap<String, TensorView> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, serialize(views, &None).unwrap()).unwrap();
    path
}

/// A trained-looking model's tensors as PyTorch would save them, with its
/// `num_batches_tracked` counter (int64).
fn pytorch_file(net: &Tiny<f32, Cpu>) -> Vec<(String, Dtype, Vec<usize>, Vec<u8>)> {
    let mut out: Vec<_> = tensor_shapes(net)
        .into_iter()
        .enumerate()
        .map(|(i, (name, shape))| {
            let n: usize = shape.iter().product();
            let bytes = (0..n)
                .flat_map(|j| (0.5 + (i * 100 + j) as f32 * 0.01).to_le_bytes())
                .collect();
            (name, Dtype::F32, shape, bytes)
        })
        .collect();
    out.push((
        "bn.num_batches_tracked".into(),
        Dtype::I64,
        vec![],
        7i64.to_le_bytes().to_vec(),
    ));
    out
}

fn values(net: &Tiny<f32, Cpu>) -> Vec<f32> {
    [
        net.c.weight.as_vec(),
        net.bn.running_var.as_vec(),
        net.fc.bias.as_vec(),
    ]
    .concat()
}

#[test]
fn a_pytorch_state_dict_loads_whole() {
    let dev: Cpu = Default::default();
    let mut net = Tiny::<f32, Cpu>::build(&dev);
    let dir = common::temp_dir("state-dict-ok");
    let file = pytorch_file(&net);
    let path = write(&dir, "ok.safetensors", &file);
    let loaded = load_state_dict(&mut net, &path).unwrap();
    assert_eq!(loaded.tensors, file.len() - 1);
    assert_eq!(loaded.skipped, ["bn.num_batches_tracked"]);
    let st_bytes = std::fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&st_bytes).unwrap();
    let fc_bias: Vec<f32> = st
        .tensor("fc.bias")
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(net.fc.bias.as_vec(), fc_bias);
    assert_eq!(
        net.num_trainable_params() as u64,
        Tiny::<f32, Cpu>::summary().params()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_wrong_file_names_the_tensor_and_changes_nothing() {
    let dev: Cpu = Default::default();
    let mut net = Tiny::<f32, Cpu>::build(&dev);
    let before = values(&net);
    let dir = common::temp_dir("state-dict-bad");
    let good = pytorch_file(&net);
    let cases: Vec<(&str, Vec<(String, Dtype, Vec<usize>, Vec<u8>)>, &str)> = vec![
        (
            "missing",
            good.iter()
                .filter(|t| t.0 != "bn.running_mean")
                .cloned()
                .collect(),
            "missing tensor `bn.running_mean`",
        ),
        (
            "unexpected",
            good.iter()
                .cloned()
                .chain([("fc2.weight".to_string(), Dtype::F32, vec![1], vec![0; 4])])
                .collect(),
            "unexpected tensor `fc2.weight`",
        ),
        (
            "shape",
            good.iter()
                .map(|t| match t.0.as_str() {
                    "fc.weight" => (t.0.clone(), t.1, vec![12, 2], t.3.clone()),
                    _ => t.clone(),
                })
                .collect(),
            "tensor `fc.weight` has shape [12, 2] in the file, [2, 12] in the model",
        ),
        (
            "dtype",
            good.iter()
                .map(|t| match t.0.as_str() {
                    "fc.bias" => (
                        t.0.clone(),
                        Dtype::F64,
                        t.2.clone(),
                        [t.3.clone(), t.3.clone()].concat(),
                    ),
                    _ => t.clone(),
                })
                .collect(),
            "tensor `fc.bias` is F64",
        ),
    ];
    for (case, tensors, want) in cases {
        let path = write(&dir, &format!("{case}.safetensors"), &tensors);
        let err = load_state_dict(&mut net, &path).unwrap_err().to_string();
        assert!(err.contains(want), "{case}: {err}");
        assert!(
            err.contains(&format!("{case}.safetensors")),
            "{case}: names the file: {err}"
        );
        assert_eq!(values(&net), before, "{case}: the model is unchanged");
    }
    // a file cut short
    let full = std::fs::read(write(&dir, "whole.safetensors", &good)).unwrap();
    let cut = dir.join("cut.safetensors");
    std::fs::write(&cut, &full[..full.len() - 10]).unwrap();
    let err = load_state_dict(&mut net, &cut).unwrap_err().to_string();
    assert!(
        err.contains("cut.safetensors") && err.contains("not a complete safetensors file"),
        "{err}"
    );
    let err = load_state_dict(&mut net, dir.join("absent.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("absent.safetensors") && err.contains("cannot read"),
        "{err}"
    );
    assert_eq!(values(&net), before);
    std::fs::remove_dir_all(&dir).unwrap();
}
