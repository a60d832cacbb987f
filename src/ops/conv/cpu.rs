//! Fast Cpu kernels: im2col + packed GEMM, images spread over rayon threads.
//!
//! Three kernels cover conv1d, conv2d and transposed conv2d (which is the
//! backward-data pass of the convolution it inverts):
//! - [`forward`]: `y = W ⋆ x + b`
//! - [`backward_data`]: `dx += Wᵀ ⋆ dy` (the output error correlated with the
//!   kernel rotated 180°)
//! - [`backward_filter`]: `dW += dy ⋆ x` (correlation of error and input)
//!
//! Each runs by one of the routes beside it — [`per_image`](super::per_image),
//! [`batched`](super::batched), [`rotated`](super::rotated) for the input
//! gradient — as [`Plan::choose`] decides; the `_with` twins take the plan,
//! so tests can run every route on any machine.

use super::geom::ConvGeom;
use super::strategy::Plan;
use super::{batched, direct, per_image, rotated, tapwise, winograd};
use crate::ops::simd::simd_dispatch;

/// `y = conv(x, w) + b` for the whole batch; `y` is overwritten, or added to
/// when `accumulate`.
pub fn forward(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    forward_with(&Plan::choose(g), g, x, w, b, y, accumulate)
}

/// [`forward`] by the routes of `plan`.
pub(crate) fn forward_with(
    plan: &Plan,
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    if plan.winograd && winograd::fits(g) {
        winograd::forward(plan, g, x, w, b, y, accumulate)
    } else if plan.direct && direct::fits(g) {
        direct::forward(g, x, w, b, y, accumulate)
    } else if plan.tapwise && tapwise::fits(g) {
        tapwise::forward(plan, g, x, w, b, y, accumulate)
    } else if plan.images_per_gemm > 1 {
        batched::forward(plan, g, x, w, b, y, accumulate)
    } else {
        per_image::forward(plan, g, x, w, b, y, accumulate)
    }
}

/// `dx += convᵀ(dy, w)`: the input gradient, or a transposed convolution.
///
/// At stride 1 this is the lecture's rule: the output error correlated with
/// the kernel rotated 180° (and transposed per group), padded by
/// `D(K-1) - P`. That runs as a forward pass, whose GEMM has the long inner
/// dimension `C·K·K` and needs no col2im scatter. Strided convolutions, and
/// padding beyond the kernel span, take the GEMM + col2im route, as do
/// convolutions where the rotation does not pay ([`Plan::choose`]).
pub fn backward_data(g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    backward_data_with(&Plan::choose(g), g, w, dy, dx)
}

/// [`backward_data`] by the routes of `plan`.
pub(crate) fn backward_data_with(plan: &Plan, g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    if plan.tapwise && tapwise::fits(g) {
        return tapwise::backward_data(plan, g, w, dy, dx);
    }
    if plan.rotated_data_grad {
        if let Some(full) = rotated::geometry(g) {
            let inner = plan.for_geometry(&full);
            return forward_with(&inner, &full, dy, &rotated::kernel(g, w), None, dx, true);
        }
    }
    if plan.images_per_gemm > 1 {
        batched::backward_data(plan, g, w, dy, dx)
    } else {
        per_image::backward_data(plan, g, w, dy, dx)
    }
}

/// `dw += Σ_images dy ⋆ x`: the weight gradient.
pub fn backward_filter(g: &ConvGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    backward_filter_with(&Plan::choose(g), g, x, dy, dw)
}

/// [`backward_filter`] by the routes of `plan`.
pub(crate) fn backward_filter_with(
    plan: &Plan,
    g: &ConvGeom,
    x: &[f32],
    dy: &[f32],
    dw: &mut [f32],
) {
    if plan.winograd && winograd::fits(g) {
        winograd::backward_filter(plan, g, x, dy, dw)
    } else if plan.direct && direct::fits(g) {
        direct::backward_filter(plan, g, x, dy, dw)
    } else if plan.tapwise && tapwise::fits(g) {
        tapwise::backward_filter(plan, g, x, dy, dw)
    } else if plan.images_per_gemm > 1 {
        batched::backward_filter(plan, g, x, dy, dw)
    } else {
        per_image::backward_filter(plan, g, x, dy, dw)
    }
}

simd_dispatch! {
    /// `db[c] += Σ dy[n, c, :]` over maps of `plane` positions: a bias gradient.
    pub fn sum_planes(dy: &[f32], plane: usize, db: &mut [f32]) {
        let channels = db.len();
        for img in dy.chunks_exact(channels * plane) {
            for (d, p) in db.iter_mut().zip(img.chunks_exact(plane)) {
                // eight partial sums, so the sum vectorises
                let mut acc = [0.0f32; 8];
                let mut chunks = p.chunks_exact(8);
                for c in &mut chunks {
                    for i in 0..8 {
                        acc[i] += c[i];
                    }
                }
                *d += acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>();
            }
        }
    }
}
