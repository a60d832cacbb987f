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

#[allow(unused_imports)] // not every test binary compares values
pub use splotnet::testing::assert_close;

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

/// Checks the analytic gradient `analytic` of the parameter `param` picks
/// against central differences of `loss`, at its first, middle and last
/// entries: the comparison that shows a gradient is right, not merely there.
pub fn assert_matches_finite_differences<M, S: Shape>(
    net: &mut M,
    name: &str,
    analytic: &[f32],
    param: fn(&mut M) -> &mut Tensor<S, f32, Cpu>,
    mut loss: impl FnMut(&mut M) -> f64,
) {
    let mut largest = 0.0f64;
    for i in [0, analytic.len() / 2, analytic.len() - 1] {
        let a = analytic[i] as f64;
        // a ReLU or max whose input is within the step of its kink bends the
        // difference quotient, so smaller steps get a say
        let mut tried = Vec::new();
        for eps in [1e-2f32, 2e-3, 5e-4] {
            nudge(param(net), i, eps);
            let up = loss(net);
            nudge(param(net), i, -2.0 * eps);
            let down = loss(net);
            nudge(param(net), i, eps);
            let numeric = (up - down) / (2.0 * eps as f64);
            largest = largest.max(numeric.abs());
            tried.push(numeric);
            if (numeric - a).abs() <= 2e-2 * numeric.abs().max(a.abs()) + 1e-4 {
                break;
            }
        }
        let close = |n: &f64| (n - a).abs() <= 2e-2 * n.abs().max(a.abs()) + 1e-4;
        assert!(
            tried.iter().any(close),
            "{name}[{i}]: analytic {a} vs numeric {tried:?}"
        );
    }
    assert!(
        largest > 1e-4,
        "{name}: the loss does not depend on it ({largest})"
    );
}

/// Changes one entry of a parameter tensor in place.
pub fn nudge<S: Shape>(t: &mut Tensor<S, f32, Cpu>, i: usize, delta: f32) {
    let mut v = t.as_vec();
    v[i] += delta;
    t.copy_from(&v);
}

/// The mean of squares in f64: the loss the tests' backward passes use.
pub fn mean_square(y: &[f32]) -> f64 {
    y.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / y.len() as f64
}
