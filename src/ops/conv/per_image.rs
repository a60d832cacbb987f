//! The per-image route: each image's im2col and GEMM on its own. With at
//! least as many images as threads, each thread takes a contiguous run of
//! images and runs single-threaded GEMMs with its own im2col buffer (no
//! sharing, no locks); with fewer, the GEMM itself is spread over threads.

use rayon::prelude::*;

use super::geom::ConvGeom;
use super::grouped;
use super::im2col::{col2im, im2col};
use super::scratch::{add_task_sums, with_cols};
use super::strategy::Plan;

/// `y = conv(x, w) + b` (or `y +=` when `accumulate`), one image per GEMM.
pub(super) fn forward(
    plan: &Plan,
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    let (il, ol) = (g.in_len(), g.out_len());
    let col_len = if g.is_pointwise() {
        0
    } else {
        g.c_in * g.taps() * g.out_plane()
    };
    let job = ForwardJob {
        g,
        w,
        b,
        accumulate,
        threads: plan.gemm_threads,
    };
    y[..g.batch * ol]
        .par_chunks_mut(ol * plan.images_per_task)
        .enumerate()
        .for_each(|(task, ys)| {
            with_cols(col_len, |cols| {
                for (i, y_img) in ys.chunks_exact_mut(ol).enumerate() {
                    let n = task * plan.images_per_task + i;
                    job.image(&x[n * il..(n + 1) * il], y_img, cols);
                }
            })
        });
}

/// What every image of one forward call shares.
struct ForwardJob<'a> {
    g: &'a ConvGeom,
    w: &'a [f32],
    b: Option<&'a [f32]>,
    accumulate: bool,
    threads: usize,
}

impl ForwardJob<'_> {
    fn image(&self, x_img: &[f32], y_img: &mut [f32], cols: &mut [f32]) {
        let g = self.g;
        let l = g.out_plane();
        let cols: &[f32] = if g.is_pointwise() {
            x_img
        } else {
            im2col(g, x_img, cols);
            cols
        };
        if let Some(b) = self.b {
            for (plane, &bias) in y_img.chunks_exact_mut(l).zip(b) {
                if self.accumulate {
                    plane.iter_mut().for_each(|v| *v += bias);
                } else {
                    plane.fill(bias);
                }
            }
        }
        let keep = self.accumulate || self.b.is_some();
        grouped::forward(g, self.w, cols, l, y_img, keep, self.threads);
    }
}

/// `dx += convᵀ(dy, w)` by GEMM and col2im, one image at a time.
pub(super) fn backward_data(plan: &Plan, g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let (il, ol) = (g.in_len(), g.out_len());
    let col_len = if g.is_pointwise() {
        0
    } else {
        g.c_in * g.taps() * g.out_plane()
    };
    dx[..g.batch * il]
        .par_chunks_mut(il * plan.images_per_task)
        .enumerate()
        .for_each(|(task, dxs)| {
            with_cols(col_len, |cols| {
                for (i, dx_img) in dxs.chunks_exact_mut(il).enumerate() {
                    let n = task * plan.images_per_task + i;
                    let dy_img = &dy[n * ol..(n + 1) * ol];
                    backward_data_image(g, w, dy_img, dx_img, cols, plan.gemm_threads);
                }
            })
        });
}

fn backward_data_image(
    g: &ConvGeom,
    w: &[f32],
    dy_img: &[f32],
    dx_img: &mut [f32],
    cols: &mut [f32],
    threads: usize,
) {
    let l = g.out_plane();
    // a 1x1 convolution's columns are the image itself
    if g.is_pointwise() {
        grouped::input_cols(g, w, dy_img, l, dx_img, true, threads);
    } else {
        grouped::input_cols(g, w, dy_img, l, cols, false, threads);
        col2im(g, cols, dx_img);
    }
}

/// `dw += Σ_images dy ⋆ x`, one image per GEMM.
pub(super) fn backward_filter(plan: &Plan, g: &ConvGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let (il, ol) = (g.in_len(), g.out_len());
    let col_len = if g.is_pointwise() {
        0
    } else {
        g.c_in * g.taps() * g.out_plane()
    };
    let tasks = g.batch.div_ceil(plan.images_per_task);
    add_task_sums(tasks, &mut dw[..g.weight_len()], |task, local| {
        let first = task * plan.images_per_task;
        let last = (first + plan.images_per_task).min(g.batch);
        with_cols(col_len, |cols| {
            for n in first..last {
                let x_img = &x[n * il..(n + 1) * il];
                let dy_img = &dy[n * ol..(n + 1) * ol];
                backward_filter_image(g, x_img, dy_img, local, cols, plan.gemm_threads);
            }
        });
    });
}

fn backward_filter_image(
    g: &ConvGeom,
    x_img: &[f32],
    dy_img: &[f32],
    dw: &mut [f32],
    cols: &mut [f32],
    threads: usize,
) {
    let cols: &[f32] = if g.is_pointwise() {
        x_img
    } else {
        im2col(g, x_img, cols);
        cols
    };
    grouped::weight_grad(g, dy_img, cols, g.out_plane(), dw, threads);
}
