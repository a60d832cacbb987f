//! 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3)
//! (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
//! CVPR 2016).
//!
//! Each 4x4 output tile is computed from a 6x6 input tile in a transformed
//! domain where the 3x3 correlation becomes an elementwise product: 36
//! multiplies per tile and channel pair instead of the 144 of the direct
//! sum (or of im2col + GEMM). Summed over input channels, the elementwise
//! products are 36 independent GEMMs, one per transformed position `ξ`:
//!
//! ```text
//! V[ξ][c][t] = (Bᵀ d B)[ξ]    input tile t of channel c      (C × T each)
//! U[ξ][o][c] = (G g Gᵀ)[ξ]    kernel of output o, input c    (O × C each)
//! M[ξ]       = U[ξ] · V[ξ]                                    (O × T each)
//! y tile     = Aᵀ M A                                         (4 × 4)
//! ```
//!
//! The weight gradient shares the input transform: per position,
//! `S[ξ] = Σ_tiles W[ξ] · V[ξ]ᵀ` with `W = A dy Aᵀ`, then `dw = Gᵀ S G`
//! ([`transform`] derives it). The input gradient of a 3x3 stride-1
//! convolution is itself such a convolution (the rotated kernel,
//! [`rotated`](super::rotated)), so all three passes take this route.
//!
//! The tiles of a task's images are numbered as one sequence and handled in
//! blocks of [`BLOCK_TILES`], so maps of a few tiles (8x8: four) still make
//! GEMMs with enough columns, and large maps keep `V` and `M` in cache.
//! The transforms run on eight tiles at once, one per vector lane.

use rayon::prelude::*;

use super::geom::{AxisGeom, ConvGeom};
use super::scratch::{add_task_sums, with_cols};
use super::strategy::Plan;
use crate::ops::gemm::{matmul, Mat};

mod tiles;
mod transform;

use tiles::{
    matrix_len, row_stride, transform_input, transform_output, transform_output_grad, TileAt,
    TileGrid,
};
use transform::{add_kernel_gradients, transform_kernels, POSITIONS, TAPS};

/// Tiles per block: enough GEMM columns to amortise each GEMM's packing,
/// few enough that a block's matrices stay in the L2 cache at 64 channels.
/// 32 and 128 measured the same as 64 within the noise on resnet_3x3.
const BLOCK_TILES: usize = 64;

/// Whether `g` has the shape this route computes: one group, 3x3 taps,
/// stride 1, no dilation, on both axes.
pub(super) fn fits(g: &ConvGeom) -> bool {
    let axis_fits = |a: &AxisGeom| a.k == TAPS && a.s == 1 && a.d == 1;
    g.groups == 1 && axis_fits(&g.y) && axis_fits(&g.x)
}

/// Runs `f(at, stride)` for each block of the `images` images' tiles, with
/// `at` locating the block's tiles and `stride` its matrices' row length.
fn for_each_block(g: &ConvGeom, images: usize, mut f: impl FnMut(&[TileAt], usize)) {
    let grid = TileGrid::new(g);
    let tiles = images * grid.per_image;
    let mut at = Vec::with_capacity(BLOCK_TILES);
    for start in (0..tiles).step_by(BLOCK_TILES) {
        at.clear();
        at.extend((start..tiles.min(start + BLOCK_TILES)).map(|t| grid.locate(t)));
        f(&at, row_stride(at.len()));
    }
}

/// `y = conv(x, w) + b` (or `y +=` when `accumulate`) for a geometry that
/// [`fits`].
pub(super) fn forward(
    plan: &Plan,
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    debug_assert!(fits(g), "Winograd F(4x4, 3x3) needs 3x3 stride-1 taps");
    let (il, ol) = (g.in_len(), g.out_len());
    let (c_in, c_out) = (g.c_in, g.c_out);
    let u = transform_kernels(w, c_out * c_in);
    let most = row_stride(BLOCK_TILES);
    y[..g.batch * ol]
        .par_chunks_mut(ol * plan.images_per_task)
        .enumerate()
        .for_each(|(task, ys)| {
            let first = task * plan.images_per_task;
            let images = ys.len() / ol;
            let xs = &x[first * il..(first + images) * il];
            with_cols(matrix_len(c_in + c_out, most), |buf| {
                let (v, m) = buf.split_at_mut(matrix_len(c_in, most));
                for_each_block(g, images, |at, n| {
                    transform_input(g, at, xs, v, n);
                    for pos in 0..POSITIONS {
                        matmul(
                            &mut m[pos * c_out * n..][..c_out * n],
                            Mat::new(&u[pos * c_out * c_in..], c_out, c_in),
                            Mat::new(&v[pos * c_in * n..], c_in, n),
                            false,
                            plan.gemm_threads,
                        );
                    }
                    transform_output(g, at, m, n, b, ys, accumulate);
                })
            })
        });
}

/// `dw += Σ_images dy ⋆ x` for a geometry that [`fits`]: per position `ξ`,
/// `S[ξ] = Σ_tiles W[ξ] · V[ξ]ᵀ` (output gradient and input transformed),
/// then `dw = Gᵀ S G`.
pub(super) fn backward_filter(plan: &Plan, g: &ConvGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    debug_assert!(fits(g), "Winograd F(4x4, 3x3) needs 3x3 stride-1 taps");
    let (il, ol) = (g.in_len(), g.out_len());
    let (c_in, c_out) = (g.c_in, g.c_out);
    let pairs = c_out * c_in;
    let most = row_stride(BLOCK_TILES);
    let tasks = g.batch.div_ceil(plan.images_per_task);
    let mut total = vec![0.0f32; POSITIONS * pairs];
    add_task_sums(tasks, &mut total, |task, s| {
        let first = task * plan.images_per_task;
        let images = plan.images_per_task.min(g.batch - first);
        let xs = &x[first * il..(first + images) * il];
        let dys = &dy[first * ol..(first + images) * ol];
        with_cols(matrix_len(c_in + c_out, most), |buf| {
            let (v, wt) = buf.split_at_mut(matrix_len(c_in, most));
            for_each_block(g, images, |at, n| {
                transform_input(g, at, xs, v, n);
                transform_output_grad(g, at, dys, wt, n);
                for pos in 0..POSITIONS {
                    matmul(
                        &mut s[pos * pairs..][..pairs],
                        Mat::new(&wt[pos * c_out * n..], c_out, n),
                        Mat::new(&v[pos * c_in * n..], c_in, n).t(),
                        true,
                        plan.gemm_threads,
                    );
                }
            })
        });
    });
    add_kernel_gradients(&total, pairs, dw);
}

#[cfg(test)]
mod tests;
