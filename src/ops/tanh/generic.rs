//! The device-generic path of the scaled tanh: three dfdx ops.

use dfdx::prelude::*;

/// `a · tanh(s · x)` from dfdx's own ops, for any device.
pub fn scaled_tanh<S: Shape, D: crate::ops::F32Device, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    a: f32,
    s: f32,
) -> crate::Result<Tensor<S, f32, D, T>> {
    Ok(x.try_mul(s)
        .and_then(|v| v.try_tanh())
        .and_then(|v| v.try_mul(a))?)
}
