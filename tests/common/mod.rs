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
