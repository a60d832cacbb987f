//! Small padded maps tap by tap: one GEMM per kernel tap, over only the
//! outputs whose tap reads inside the input.
//!
//! On a 2x2 map padded by 1, a 3x3 kernel reaches 4 input values per
//! output, yet im2col + GEMM multiplies all 9 taps, 5 of them by padding;
//! on a 4x4 map, 6.25 of 9 are real. ResNet's last two stages run on such
//! maps at small inputs, with 256 and 512 channels, so there the zeros are
//! most of the work. Tap `t = (ky, kx)` reads inside the input for a
//! rectangle of outputs; with `W_t = W[:, :, ky, kx]` (`O × C`, every
//! `K²`-th weight) and `X_t` the values the rectangle reads (`C × outputs`):
//!
//! ```text
//! forward           Y[:, rect_t]    += W_t · X_t
//! input gradient    dX[:, reads_t]  += W_tᵀ · dY[:, rect_t]
//! weight gradient   dW_t            += dY[:, rect_t] · X_tᵀ
//! ```
//!
//! Each GEMM spans all the images of a task, so it keeps enough columns
//! even where a rectangle is a single output.

use rayon::prelude::*;

use super::geom::ConvGeom;
use super::scratch::{add_task_sums, with_cols};
use super::strategy::Plan;
use crate::ops::gemm::{matmul, Mat};

/// Whether this route computes `g`: one group, a kernel of more than one
/// tap, and padding (without it every tap is valid everywhere, and im2col
/// wastes nothing).
pub(super) fn fits(g: &ConvGeom) -> bool {
    g.groups == 1 && g.taps() > 1 && (g.y.p > 0 || g.x.p > 0)
}

/// The share of the (tap, output) products that read inside the input.
pub(super) fn valid_share(g: &ConvGeom) -> f64 {
    let valid = |a: &super::geom::AxisGeom| -> usize {
        (0..a.k)
            .map(|t| {
                let (lo, hi) = a.valid_outputs(t);
                hi - lo
            })
            .sum()
    };
    let all = g.taps() * g.out_plane();
    (valid(&g.y) * valid(&g.x)) as f64 / all.max(1) as f64
}

/// One tap and the outputs it reaches, row by row: each output's offset
/// within its plane, and the offset of the input it reads within its plane.
struct Tap {
    index: usize,
    outputs: Vec<usize>,
    inputs: Vec<usize>,
}

/// Every tap that reads inside the input for at least one output.
fn taps(g: &ConvGeom) -> Vec<Tap> {
    let mut taps = Vec::with_capacity(g.taps());
    for ky in 0..g.y.k {
        let (y0, y1) = g.y.valid_outputs(ky);
        for kx in 0..g.x.k {
            let (x0, x1) = g.x.valid_outputs(kx);
            let mut tap = Tap {
                index: ky * g.x.k + kx,
                outputs: Vec::with_capacity((y1 - y0) * (x1 - x0)),
                inputs: Vec::with_capacity((y1 - y0) * (x1 - x0)),
            };
            for oy in y0..y1 {
                let iy = oy * g.y.s + ky * g.y.d - g.y.p;
                for ox in x0..x1 {
                    let ix = ox * g.x.s + kx * g.x.d - g.x.p;
                    tap.outputs.push(oy * g.x.output + ox);
                    tap.inputs.push(iy * g.x.input + ix);
                }
            }
            if !tap.outputs.is_empty() {
                taps.push(tap);
            }
        }
    }
    taps
}

/// `W_t`: output channel `o`, input channel `c`, at `(o·C + c)·K² + t`.
fn tap_weights<'a>(g: &ConvGeom, w: &'a [f32], tap: &Tap) -> Mat<'a> {
    let taps = g.taps();
    Mat::strided(&w[tap.index..], g.c_out, g.c_in, g.c_in * taps, taps)
}

/// `dst[ch][j·v + k] = images[j][ch][offset k]` for `channels` channels of
/// planes `plane` long: the values a tap reads or writes, `v` per image.
fn gather(images: &[f32], channels: usize, plane: usize, offsets: &[usize], dst: &mut [f32]) {
    let count = images.len() / (channels * plane);
    let v = offsets.len();
    for (ch, row) in dst.chunks_exact_mut(count * v).take(channels).enumerate() {
        for (j, part) in row.chunks_exact_mut(v).enumerate() {
            let src = &images[(j * channels + ch) * plane..][..plane];
            for (d, &at) in part.iter_mut().zip(offsets) {
                *d = src[at];
            }
        }
    }
}

/// `images[j][ch][offset k] += src[ch][j·v + k]`: the adjoint of [`gather`].
fn scatter_add(src: &[f32], channels: usize, plane: usize, offsets: &[usize], images: &mut [f32]) {
    let count = images.len() / (channels * plane);
    let v = offsets.len();
    for (ch, row) in src.chunks_exact(count * v).take(channels).enumerate() {
        for (j, part) in row.chunks_exact(v).enumerate() {
            let dst = &mut images[(j * channels + ch) * plane..][..plane];
            for (&s, &at) in part.iter().zip(offsets) {
                dst[at] += s;
            }
        }
    }
}

/// `y = conv(x, w) + b` (or `y +=` when `accumulate`), tap by tap.
pub(super) fn forward(
    plan: &Plan,
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    let (il, ol, l) = (g.in_len(), g.out_len(), g.out_plane());
    let taps = taps(g);
    let most = plan.images_per_task * l;
    y[..g.batch * ol]
        .par_chunks_mut(ol * plan.images_per_task)
        .enumerate()
        .for_each(|(task, ys)| {
            let count = ys.len() / ol;
            let first = task * plan.images_per_task;
            let xs = &x[first * il..(first + count) * il];
            for img in ys.chunks_exact_mut(ol) {
                for (o, plane) in img.chunks_exact_mut(l).enumerate() {
                    let bias = b.map_or(0.0, |b| b[o]);
                    if accumulate {
                        plane.iter_mut().for_each(|v| *v += bias);
                    } else {
                        plane.fill(bias);
                    }
                }
            }
            with_cols((g.c_in + g.c_out) * most, |buf| {
                let (xt, out) = buf.split_at_mut(g.c_in * most);
                for tap in &taps {
                    let cols = count * tap.outputs.len();
                    gather(xs, g.c_in, g.in_plane(), &tap.inputs, xt);
                    matmul(
                        &mut out[..g.c_out * cols],
                        tap_weights(g, w, tap),
                        Mat::new(xt, g.c_in, cols),
                        false,
                        plan.gemm_threads,
                    );
                    scatter_add(out, g.c_out, l, &tap.outputs, ys);
                }
            })
        });
}

/// `dx += convᵀ(dy, w)`, tap by tap.
pub(super) fn backward_data(plan: &Plan, g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (il, ol, l) = (g.in_len(), g.out_len(), g.out_plane());
    let taps = taps(g);
    let most = plan.images_per_task * l;
    dx[..g.batch * il]
        .par_chunks_mut(il * plan.images_per_task)
        .enumerate()
        .for_each(|(task, dxs)| {
            let count = dxs.len() / il;
            let first = task * plan.images_per_task;
            let dys = &dy[first * ol..(first + count) * ol];
            with_cols((g.c_in + g.c_out) * most, |buf| {
                let (dyt, dxt) = buf.split_at_mut(g.c_out * most);
                for tap in &taps {
                    let cols = count * tap.outputs.len();
                    gather(dys, g.c_out, l, &tap.outputs, dyt);
                    matmul(
                        &mut dxt[..g.c_in * cols],
                        tap_weights(g, w, tap).t(),
                        Mat::new(dyt, g.c_out, cols),
                        false,
                        plan.gemm_threads,
                    );
                    scatter_add(dxt, g.c_in, g.in_plane(), &tap.inputs, dxs);
                }
            })
        });
}

/// `dw += Σ_images dy ⋆ x`, tap by tap.
pub(super) fn backward_filter(plan: &Plan, g: &ConvGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let (il, ol, l) = (g.in_len(), g.out_len(), g.out_plane());
    let taps = taps(g);
    let most = plan.images_per_task * l;
    let pairs = g.c_out * g.c_in;
    let tasks = g.batch.div_ceil(plan.images_per_task);
    add_task_sums(tasks, &mut dw[..g.weight_len()], |task, local| {
        let first = task * plan.images_per_task;
        let count = plan.images_per_task.min(g.batch - first);
        let xs = &x[first * il..(first + count) * il];
        let dys = &dy[first * ol..(first + count) * ol];
        with_cols((g.c_in + g.c_out) * most + pairs, |buf| {
            let (xt, rest) = buf.split_at_mut(g.c_in * most);
            let (dyt, tap_grad) = rest.split_at_mut(g.c_out * most);
            for tap in &taps {
                let cols = count * tap.outputs.len();
                gather(xs, g.c_in, g.in_plane(), &tap.inputs, xt);
                gather(dys, g.c_out, l, &tap.outputs, dyt);
                matmul(
                    tap_grad,
                    Mat::new(dyt, g.c_out, cols),
                    Mat::new(xt, g.c_in, cols).t(),
                    false,
                    plan.gemm_threads,
                );
                for (d, v) in local[tap.index..]
                    .iter_mut()
                    .step_by(g.taps())
                    .zip(&*tap_grad)
                {
                    *d += v;
                }
            }
        });
    });
}
