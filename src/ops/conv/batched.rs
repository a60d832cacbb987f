//! Several images per GEMM, for convolutions whose output maps are small.
//!
//! One image's GEMM has as many columns as output positions: 100 for
//! LeNet's C3, 1 for C5, where it degenerates into a matrix-vector product
//! and its fixed costs (packing the weights) dominate. Here the im2col
//! matrices of a run of images sit side by side, `[rows, images · positions]`,
//! so one GEMM covers them all; outputs and output gradients are gathered to
//! and scattered from the same layout.

use rayon::prelude::*;

use super::geom::ConvGeom;
use super::grouped;
use super::im2col::{col2im_from, im2col_into};
use super::scratch::{add_task_sums, with_cols};
use super::strategy::Plan;
use crate::ops::gemm::{matmul, Mat};

/// A kernel that covers the whole (unpadded) input, one group: the
/// convolution is a linear map of each image (LeNet's C5), computed on the
/// images as they lie, with no im2col at all.
fn is_dense(g: &ConvGeom) -> bool {
    g.groups == 1 && g.out_plane() == 1 && g.y.is_plain() && g.x.is_plain()
}

/// The runs of at most `chunk` images of each task: `(first, count)`.
fn runs(g: &ConvGeom, plan: &Plan, chunk: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut first = 0;
    while first < g.batch {
        let task_end = (first / plan.images_per_task + 1) * plan.images_per_task;
        let end = (first + chunk).min(task_end).min(g.batch);
        out.push((first, end - first));
        first = end;
    }
    out
}

/// The columns of `count` images side by side: `g.c_in·K²` rows of `count·l`.
fn fill_cols(g: &ConvGeom, x: &[f32], first: usize, count: usize, cols: &mut [f32]) {
    let (il, l) = (g.in_len(), g.out_plane());
    for j in 0..count {
        let n = first + j;
        im2col_into(g, &x[n * il..(n + 1) * il], cols, count * l, j * l);
    }
}

/// `dst[o][j·l..] = images[first + j][o]` for a `[O, count·l]` matrix.
fn gather(g: &ConvGeom, per_image: &[f32], first: usize, count: usize, dst: &mut [f32]) {
    let (l, ol) = (g.out_plane(), g.out_len());
    for j in 0..count {
        let img = &per_image[(first + j) * ol..(first + j + 1) * ol];
        for (o, plane) in img.chunks_exact(l).enumerate() {
            dst[o * count * l + j * l..][..l].copy_from_slice(plane);
        }
    }
}

/// `y = W ⋆ x + b` (or `y +=` when `accumulate`), a run of images per GEMM.
#[allow(clippy::too_many_arguments)]
pub(super) fn forward(
    plan: &Plan,
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    let chunk = plan.images_per_gemm;
    let (l, ol, rows) = (g.out_plane(), g.out_len(), g.group_rows());
    if is_dense(g) {
        // y[n, o] = Σ_r x[n, r] w[o, r] + b[o]: one GEMM per task
        let il = g.in_len();
        let per = plan.images_per_task;
        return y[..g.batch * ol]
            .par_chunks_mut(ol * per)
            .enumerate()
            .for_each(|(task, ys)| {
                let count = ys.len() / ol;
                let xs = Mat::new(&x[task * per * il..], count, il);
                let keep = accumulate;
                if let Some(b) = b {
                    for row in ys.chunks_exact_mut(ol) {
                        if keep {
                            row.iter_mut().zip(b).for_each(|(v, b)| *v += b);
                        } else {
                            row.copy_from_slice(b);
                        }
                    }
                }
                matmul(
                    ys,
                    xs,
                    Mat::new(w, ol, il).t(),
                    keep || b.is_some(),
                    plan.gemm_threads,
                );
            });
    }
    let col_len = g.groups * rows * chunk * l;
    let out_len = g.c_out * chunk * l;
    let all = runs(g, plan, chunk);
    y[..g.batch * ol]
        .par_chunks_mut(ol * plan.images_per_task)
        .enumerate()
        .for_each(|(task, ys)| {
            let base = task * plan.images_per_task;
            with_cols(col_len + out_len, |buf| {
                let (cols, out) = buf.split_at_mut(col_len);
                for &(first, count) in all.iter().filter(|(f, _)| f / plan.images_per_task == task)
                {
                    let cl = count * l;
                    fill_cols(g, x, first, count, cols);
                    grouped::forward(g, w, cols, cl, out, false, plan.gemm_threads);
                    for j in 0..count {
                        let img = &mut ys[(first - base + j) * ol..][..ol];
                        for (o, plane) in img.chunks_exact_mut(l).enumerate() {
                            let bias = b.map_or(0.0, |b| b[o]);
                            let src = &out[o * cl + j * l..][..l];
                            if accumulate {
                                plane.iter_mut().zip(src).for_each(|(v, s)| *v += s + bias);
                            } else {
                                plane.iter_mut().zip(src).for_each(|(v, s)| *v = s + bias);
                            }
                        }
                    }
                }
            })
        });
}

/// `dW += Σ dy ⋆ x`, a run of images per GEMM.
pub(super) fn backward_filter(plan: &Plan, g: &ConvGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let chunk = plan.images_per_gemm;
    let (l, rows) = (g.out_plane(), g.group_rows());
    if is_dense(g) {
        // dW[o, r] += Σ_n dy[n, o] x[n, r]: one GEMM over the batch
        let (il, ol) = (g.in_len(), g.out_len());
        let dys = Mat::new(dy, g.batch, ol).t();
        let threads = rayon::current_num_threads();
        return matmul(dw, dys, Mat::new(x, g.batch, il), true, threads);
    }
    let col_len = g.groups * rows * chunk * l;
    let dy_len = g.c_out * chunk * l;
    let tasks = g.batch.div_ceil(plan.images_per_task);
    let all = runs(g, plan, chunk);
    add_task_sums(tasks, &mut dw[..g.weight_len()], |task, local| {
        with_cols(col_len + dy_len, |buf| {
            let (cols, dys) = buf.split_at_mut(col_len);
            for &(first, count) in all.iter().filter(|(f, _)| f / plan.images_per_task == task) {
                let cl = count * l;
                fill_cols(g, x, first, count, cols);
                gather(g, dy, first, count, dys);
                grouped::weight_grad(g, dys, cols, cl, local, plan.gemm_threads);
            }
        });
    });
}

/// `dx += Wᵀ ⋆ dy` through col2im, a run of images per GEMM.
pub(super) fn backward_data(plan: &Plan, g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let chunk = plan.images_per_gemm;
    let (l, il, rows) = (g.out_plane(), g.in_len(), g.group_rows());
    if is_dense(g) {
        // dx[n, r] += Σ_o dy[n, o] w[o, r]: one GEMM per task
        let (ol, per) = (g.out_len(), plan.images_per_task);
        return dx[..g.batch * il]
            .par_chunks_mut(il * per)
            .enumerate()
            .for_each(|(task, dxs)| {
                let count = dxs.len() / il;
                let dys = Mat::new(&dy[task * per * ol..], count, ol);
                matmul(dxs, dys, Mat::new(w, ol, il), true, plan.gemm_threads);
            });
    }
    let col_len = g.groups * rows * chunk * l;
    let dy_len = g.c_out * chunk * l;
    let all = runs(g, plan, chunk);
    dx[..g.batch * il]
        .par_chunks_mut(il * plan.images_per_task)
        .enumerate()
        .for_each(|(task, dxs)| {
            let base = task * plan.images_per_task;
            with_cols(col_len + dy_len, |buf| {
                let (cols, dys) = buf.split_at_mut(col_len);
                for &(first, count) in all.iter().filter(|(f, _)| f / plan.images_per_task == task)
                {
                    let cl = count * l;
                    gather(g, dy, first, count, dys);
                    grouped::input_cols(g, w, dys, cl, cols, false, plan.gemm_threads);
                    for j in 0..count {
                        let img = &mut dxs[(first - base + j) * il..][..il];
                        col2im_from(g, cols, cl, j * l, img);
                    }
                }
            })
        });
}
