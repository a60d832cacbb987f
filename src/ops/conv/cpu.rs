//! Fast Cpu kernels: im2col + packed GEMM, images spread over rayon threads.
//!
//! Three kernels cover conv1d, conv2d and transposed conv2d (which is the
//! backward-data pass of the convolution it inverts):
//! - [`forward`]: `y = W ⋆ x + b`
//! - [`backward_data`]: `dx += Wᵀ ⋆ dy` (the output error correlated with the
//!   kernel rotated 180°, computed as a GEMM then col2im)
//! - [`backward_filter`]: `dW += dy ⋆ x` (correlation of error and input)
//!
//! Parallelism: with at least as many images as threads, each thread takes a
//! contiguous run of images and runs single-threaded GEMMs with its own im2col
//! buffer (no sharing, no locks). With fewer images (inference on one image)
//! the GEMM itself is spread over the threads.

use rayon::prelude::*;
use std::cell::RefCell;

use super::batched;
use super::geom::{AxisGeom, ConvGeom};
use crate::ops::gemm::{matmul, Mat};
use crate::ops::simd::simd_dispatch;

/// Writes the im2col matrix of one image: row `(c, ky, kx)`, column `(oy, ox)`.
pub(crate) fn im2col(g: &ConvGeom, img: &[f32], cols: &mut [f32]) {
    im2col_into(g, img, cols, g.out_plane(), 0);
}

/// [`im2col`] into rows `stride` apart, from column `offset`: several
/// images side by side in one matrix, for one GEMM over all of them.
pub(crate) fn im2col_into(
    g: &ConvGeom,
    img: &[f32],
    cols: &mut [f32],
    stride: usize,
    offset: usize,
) {
    let (ho, wo) = (g.y.output, g.x.output);
    let (hi, wi) = (g.y.input, g.x.input);
    let plane = ho * wo;
    if g.y.is_plain() && g.x.is_plain() {
        return im2col_plain(g, img, cols, stride, offset);
    }
    let mut r = 0;
    for c in 0..g.c_in {
        let chan = &img[c * hi * wi..(c + 1) * hi * wi];
        for ky in 0..g.y.k {
            for kx in 0..g.x.k {
                let start = r * stride + offset;
                r += 1;
                let Some(row) = cols.get_mut(start..start + plane) else {
                    return;
                };
                let (lo, hi_x) = g.x.valid_outputs(kx);
                for oy in 0..ho {
                    let dst = &mut row[oy * wo..(oy + 1) * wo];
                    match g.y.source(oy, ky) {
                        None => dst.fill(0.0),
                        Some(iy) => {
                            let src = &chan[iy * wi..(iy + 1) * wi];
                            dst[..lo].fill(0.0);
                            dst[hi_x..].fill(0.0);
                            copy_strided(&mut dst[lo..hi_x], src, lo, kx, &g.x);
                        }
                    }
                }
            }
        }
    }
}

/// Adds the im2col-shaped `cols` back into one image (the adjoint of [`im2col`]).
pub(crate) fn col2im(g: &ConvGeom, cols: &[f32], img: &mut [f32]) {
    col2im_from(g, cols, g.out_plane(), 0, img);
}

/// [`col2im`] from rows `stride` apart, starting at column `offset`.
pub(crate) fn col2im_from(
    g: &ConvGeom,
    cols: &[f32],
    stride: usize,
    offset: usize,
    img: &mut [f32],
) {
    let (ho, wo) = (g.y.output, g.x.output);
    let (hi, wi) = (g.y.input, g.x.input);
    let plane = ho * wo;
    if g.y.is_plain() && g.x.is_plain() {
        return col2im_plain(g, cols, stride, offset, img);
    }
    let mut r = 0;
    for c in 0..g.c_in {
        let chan = &mut img[c * hi * wi..(c + 1) * hi * wi];
        for ky in 0..g.y.k {
            for kx in 0..g.x.k {
                let start = r * stride + offset;
                r += 1;
                let Some(row) = cols.get(start..start + plane) else {
                    return;
                };
                let (lo, hi_x) = g.x.valid_outputs(kx);
                for oy in 0..ho {
                    if let Some(iy) = g.y.source(oy, ky) {
                        let src = &row[oy * wo + lo..oy * wo + hi_x];
                        let dst = &mut chan[iy * wi..(iy + 1) * wi];
                        add_strided(dst, src, lo, kx, &g.x);
                    }
                }
            }
        }
    }
}

simd_dispatch! {
    /// [`im2col_into`] at stride 1 without padding or dilation: every row is
    /// `ho` windows of `wo` consecutive input values.
    fn im2col_plain(g: &ConvGeom, img: &[f32], cols: &mut [f32], stride: usize, offset: usize) {
        let (hi, wi, wo) = (g.y.input, g.x.input, g.x.output);
        let plane = g.out_plane();
        let mut r = 0;
        for chan in img.chunks_exact(hi * wi).take(g.c_in) {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    let start = r * stride + offset;
                    let Some(row) = cols.get_mut(start..start + plane) else {
                        return;
                    };
                    r += 1;
                    for (oy, dst) in row.chunks_exact_mut(wo).enumerate() {
                        copy_short(dst, &chan[(oy + ky) * wi + kx..][..wo]);
                    }
                }
            }
        }
    }
}

simd_dispatch! {
    /// [`col2im_from`] at stride 1 without padding or dilation.
    fn col2im_plain(g: &ConvGeom, cols: &[f32], stride: usize, offset: usize, img: &mut [f32]) {
        let (hi, wi, wo) = (g.y.input, g.x.input, g.x.output);
        let plane = g.out_plane();
        let mut r = 0;
        for chan in img.chunks_exact_mut(hi * wi).take(g.c_in) {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    let start = r * stride + offset;
                    let Some(row) = cols.get(start..start + plane) else {
                        return;
                    };
                    r += 1;
                    for (oy, src) in row.chunks_exact(wo).enumerate() {
                        let dst = &mut chan[(oy + ky) * wi + kx..][..wo];
                        dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
                    }
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for the short rows of small maps: fixed
/// blocks of 8 compile to plain vector moves, where `copy_from_slice` calls
/// `memmove`, whose call costs as much as a 28-value row.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    if dst.len() > 64 {
        dst.copy_from_slice(src);
        return;
    }
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let s: &[f32; 8] = s.try_into().unwrap_or(&[0.0; 8]);
        d.copy_from_slice(s);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

#[inline(always)]
fn copy_strided(dst: &mut [f32], src: &[f32], first_out: usize, tap: usize, a: &AxisGeom) {
    let start = first_out * a.s + tap * a.d - a.p;
    if a.s == 1 {
        copy_short(dst, &src[start..start + dst.len()]);
    } else {
        for (j, v) in dst.iter_mut().enumerate() {
            *v = src[start + j * a.s];
        }
    }
}

#[inline(always)]
fn add_strided(dst: &mut [f32], src: &[f32], first_out: usize, tap: usize, a: &AxisGeom) {
    let start = first_out * a.s + tap * a.d - a.p;
    if a.s == 1 {
        for (d, s) in dst[start..start + src.len()].iter_mut().zip(src) {
            *d += s;
        }
    } else {
        for (j, s) in src.iter().enumerate() {
            dst[start + j * a.s] += s;
        }
    }
}

thread_local! {
    /// Each thread's im2col buffer, kept between calls: allocating a fresh
    /// one per call costs a page fault per 4 KiB on first touch, which on
    /// the machines measured here cost as much as the GEMM it feeds.
    static COLS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's im2col buffer, grown to `len` values.
pub(super) fn with_cols<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COLS.with(|cell| {
        // a nested call (none today) gets a fresh buffer instead of a panic
        let Ok(mut buf) = cell.try_borrow_mut() else {
            return f(&mut vec![0.0f32; len]);
        };
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        f(&mut buf[..len])
    })
}

/// How a batch is spread: runs of images per task, and GEMM threads per task.
pub(super) struct Split {
    pub(super) images_per_task: usize,
    pub(super) gemm_threads: usize,
}

pub(super) fn split(batch: usize) -> Split {
    let threads = rayon::current_num_threads().max(1);
    if batch >= threads {
        Split {
            images_per_task: batch.div_ceil(threads),
            gemm_threads: 1,
        }
    } else {
        Split {
            images_per_task: 1,
            gemm_threads: threads,
        }
    }
}

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
    let plan = split(g.batch);
    let chunk = batched::images_per_gemm(g, &plan);
    if chunk > 1 {
        return batched::forward(g, x, w, b, y, accumulate, &plan, chunk);
    }
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
        let rows = g.group_rows();
        let og = g.group_out();
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
        for grp in 0..g.groups {
            matmul(
                &mut y_img[grp * og * l..(grp + 1) * og * l],
                Mat::new(&self.w[grp * og * rows..], og, rows),
                Mat::new(&cols[grp * rows * l..], rows, l),
                self.accumulate || self.b.is_some(),
                self.threads,
            );
        }
    }
}

/// `dx += convᵀ(dy, w)`: the input gradient, or a transposed convolution.
///
/// At stride 1 this is the lecture's rule: the output error correlated with
/// the kernel rotated 180° (and transposed per group), padded by
/// `D(K-1) - P`. That runs as a forward pass, whose GEMM has the long inner
/// dimension `C·K·K` and needs no col2im scatter. Strided convolutions, and
/// padding beyond the kernel span, take the GEMM + col2im route.
pub fn backward_data(g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    match rotated_geometry(g) {
        Some(full) => forward(&full, dy, &rotate_kernel(g, w), None, dx, true),
        None => backward_data_col2im(g, w, dy, dx),
    }
}

/// The geometry of `dx = corr(pad(dy), rot180(w)ᵀ)`, when it exists and pays.
///
/// It pays when its im2col (`c_out·K²` rows over the input's positions) is no
/// larger than the col2im route's (`c_in·K²` rows over the output's), and its
/// GEMM has enough rows (`c_in`) not to degenerate into a matrix-vector
/// product: true for ResNet's 64→64 3x3, false for LeNet's 1→6 and 6→16.
fn rotated_geometry(g: &ConvGeom) -> Option<ConvGeom> {
    let rotated_cols = g.c_out * g.in_plane();
    let scattered_cols = g.c_in * g.out_plane();
    if g.c_in < 8 || rotated_cols > scattered_cols {
        return None;
    }
    let axis = |a: &AxisGeom| -> Option<AxisGeom> {
        let reach = a.d * (a.k - 1);
        (a.s == 1 && a.p <= reach).then_some(AxisGeom {
            input: a.output,
            output: a.input,
            k: a.k,
            s: 1,
            p: reach - a.p,
            d: a.d,
        })
    };
    Some(ConvGeom {
        batch: g.batch,
        c_in: g.c_out,
        c_out: g.c_in,
        groups: g.groups,
        y: axis(&g.y)?,
        x: axis(&g.x)?,
        flipped: false,
        data_input: false,
    })
}

/// `w'[grp, ci, oc, ky, kx] = w[grp, oc, ci, K-1-ky, K-1-kx]`.
fn rotate_kernel(g: &ConvGeom, w: &[f32]) -> Vec<f32> {
    let (og, cg, taps) = (g.group_out(), g.group_in(), g.taps());
    let mut r = vec![0.0f32; w.len()];
    for grp in 0..g.groups {
        for oc in 0..og {
            for ci in 0..cg {
                let src = &w[((grp * og + oc) * cg + ci) * taps..][..taps];
                let dst = &mut r[((grp * cg + ci) * og + oc) * taps..][..taps];
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            }
        }
    }
    r
}

fn backward_data_col2im(g: &ConvGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let plan = split(g.batch);
    let chunk = batched::images_per_gemm(g, &plan);
    if chunk > 1 {
        return batched::backward_data(g, w, dy, dx, &plan, chunk);
    }
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
    let rows = g.group_rows();
    let og = g.group_out();
    for grp in 0..g.groups {
        let wt = Mat::new(&w[grp * og * rows..], og, rows).t();
        let dy_g = Mat::new(&dy_img[grp * og * l..], og, l);
        if g.is_pointwise() {
            matmul(
                &mut dx_img[grp * rows * l..(grp + 1) * rows * l],
                wt,
                dy_g,
                true,
                threads,
            );
        } else {
            matmul(
                &mut cols[grp * rows * l..(grp + 1) * rows * l],
                wt,
                dy_g,
                false,
                threads,
            );
        }
    }
    if !g.is_pointwise() {
        col2im(g, cols, dx_img);
    }
}

/// `dw += Σ_images dy ⋆ x`: the weight gradient.
pub fn backward_filter(g: &ConvGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let plan = split(g.batch);
    let chunk = batched::images_per_gemm(g, &plan);
    if chunk > 1 {
        return batched::backward_filter(g, x, dy, dw, &plan, chunk);
    }
    let (il, ol) = (g.in_len(), g.out_len());
    let col_len = if g.is_pointwise() {
        0
    } else {
        g.c_in * g.taps() * g.out_plane()
    };
    let tasks = g.batch.div_ceil(plan.images_per_task);
    let partials: Vec<Vec<f32>> = (0..tasks)
        .into_par_iter()
        .map(|task| {
            let mut local = vec![0.0f32; g.weight_len()];
            let first = task * plan.images_per_task;
            let last = (first + plan.images_per_task).min(g.batch);
            with_cols(col_len, |cols| {
                for n in first..last {
                    let x_img = &x[n * il..(n + 1) * il];
                    let dy_img = &dy[n * ol..(n + 1) * ol];
                    backward_filter_image(g, x_img, dy_img, &mut local, cols, plan.gemm_threads);
                }
            });
            local
        })
        .collect();
    for part in partials {
        for (d, p) in dw.iter_mut().zip(&part) {
            *d += p;
        }
    }
}

fn backward_filter_image(
    g: &ConvGeom,
    x_img: &[f32],
    dy_img: &[f32],
    dw: &mut [f32],
    cols: &mut [f32],
    threads: usize,
) {
    let l = g.out_plane();
    let rows = g.group_rows();
    let og = g.group_out();
    let cols: &[f32] = if g.is_pointwise() {
        x_img
    } else {
        im2col(g, x_img, cols);
        cols
    };
    for grp in 0..g.groups {
        matmul(
            &mut dw[grp * og * rows..(grp + 1) * og * rows],
            Mat::new(&dy_img[grp * og * l..], og, l),
            Mat::new(&cols[grp * rows * l..], rows, l).t(),
            true,
            threads,
        );
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
