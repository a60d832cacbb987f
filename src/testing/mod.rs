//! Helpers shared by splotnet's own tests, unit and integration alike:
//! deterministic data, closeness, and central finite differences. Public
//! so that `tests/` uses the same ones; not part of the API.

use dfdx::prelude::*;

/// Deterministic pseudo-random values in [-1, 1) (no rand state to thread through tests).
pub fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Asserts `a ≈ b` elementwise within `tol` (absolute, scaled by magnitude above 1).
#[track_caller]
pub fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let scale = 1.0f32.max(x.abs()).max(y.abs());
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}: index {i}: {x} vs {y} (tol {tol})"
        );
    }
}

/// Central finite differences of `loss` with respect to every entry of `at`.
pub fn numeric_grad(at: &[f32], eps: f32, mut loss: impl FnMut(&[f32]) -> f64) -> Vec<f32> {
    let mut v = at.to_vec();
    (0..v.len())
        .map(|i| {
            let orig = v[i];
            v[i] = orig + eps;
            let up = loss(&v);
            v[i] = orig - eps;
            let down = loss(&v);
            v[i] = orig;
            ((up - down) / (2.0 * eps as f64)) as f32
        })
        .collect()
}

/// `Σ y·r` in f64: a loss whose gradient with respect to `y` is `r`.
pub fn weighted_sum(y: &[f32], r: &[f32]) -> f64 {
    y.iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
}

/// The same loss on the tape.
pub fn weighted_loss<S: Shape, D: Device<f32>, T: Tape<f32, D>>(
    y: Tensor<S, f32, D, T>,
    r: &[f32],
) -> Tensor<(), f32, D, T> {
    let rt = y.device().tensor_from_vec(r.to_vec(), *y.shape());
    (y * rt).sum()
}
