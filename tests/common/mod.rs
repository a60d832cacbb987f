//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use splotnet::prelude::*;

/// A fresh directory under the system's temp dir, unique to this process and `tag`.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splotnet-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The JSON header of a safetensors file (its first 8 bytes give the length).
pub fn safetensors_header(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    String::from_utf8(bytes[8..8 + len].to_vec()).unwrap()
}

/// One-hot rows for `labels` over `C` classes.
pub fn onehot<C: ConstDim>(dev: &Cpu, labels: &[usize]) -> Tensor<(usize, C), f32, Cpu> {
    let mut v = vec![0.0f32; labels.len() * C::SIZE];
    for (i, &l) in labels.iter().enumerate() {
        v[i * C::SIZE + l] = 1.0;
    }
    dev.tensor_from_vec(v, (labels.len(), C::default()))
}

/// Asserts `a` and `b` agree entry by entry within `tol` (relative above 1).
pub fn assert_close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "entry {i}: {x} vs {y}"
        );
    }
}

/// The traced tensors a training forward pass takes and gives.
pub type Traced<S> = Tensor<S, f32, Cpu, OwnedTape<f32, Cpu>>;

/// `steps` Adam steps of softmax cross-entropy on one batch; the losses.
pub fn train_adam<M, S, C>(
    net: &mut M,
    x: &Tensor<S, f32, Cpu>,
    targets: &Tensor<(usize, C), f32, Cpu>,
    steps: usize,
    lr: f64,
    mut forward: impl FnMut(&mut M, Traced<S>) -> Traced<(usize, C)>,
) -> Vec<f32>
where
    M: TensorCollection<f32, Cpu>,
    S: Shape,
    C: Dim,
{
    let mut opt = Adam::new(
        net,
        AdamConfig {
            lr,
            ..Default::default()
        },
    );
    let mut grads = net.alloc_grads();
    let mut losses = vec![];
    for _ in 0..steps {
        let logits = forward(net, x.clone().traced(grads));
        let loss = cross_entropy_with_logits_loss(logits, targets.clone());
        losses.push(loss.array());
        grads = loss.backward();
        opt.update(net, &grads).unwrap();
        net.zero_grads(&mut grads);
    }
    losses
}

/// Saves `net`, checks the file names each of `names`, loads it into
/// `fresh`, and checks both give the same `outputs`.
pub fn assert_round_trip<M: TensorCollection<f32, Cpu>>(
    net: &M,
    mut fresh: M,
    tag: &str,
    names: &[&str],
    outputs: impl Fn(&M) -> Vec<f32>,
) {
    let dir = temp_dir(tag);
    let path = dir.join("net.safetensors");
    net.save_safetensors(&path).unwrap();
    let header = safetensors_header(&path);
    for name in names {
        assert!(
            header.contains(&format!("\"{name}\"")),
            "{name} missing from {header}"
        );
    }
    fresh.load_safetensors(&path).unwrap();
    assert_eq!(outputs(net), outputs(&fresh));
    std::fs::remove_dir_all(&dir).unwrap();
}
