//! The three GEMMs of an im2col convolution, group by group: a group's
//! output channels see only its own input channels, so each group is its
//! own block of rows in the weights, the columns and the outputs. Both
//! im2col routes (an image per GEMM, or a run of images) call these with
//! `n`, the columns of one image or of the run.

use super::geom::ConvGeom;
use crate::ops::gemm::{matmul, matmul_transposed_into, Mat};

/// Whether a product with `rows` output channels and `n` columns runs
/// faster transposed (see [`matmul_transposed_into`]): fewer rows than the
/// kernel's 16, and enough columns to fill its rows instead.
fn few_rows(rows: usize, n: usize) -> bool {
    rows < 16 && n >= 16
}

/// `y[grp] = W[grp] · cols[grp]`, added to `y` when `accumulate`.
pub(super) fn forward(
    g: &ConvGeom,
    w: &[f32],
    cols: &[f32],
    n: usize,
    y: &mut [f32],
    accumulate: bool,
    threads: usize,
) {
    let (og, rows) = (g.group_out(), g.group_rows());
    for grp in 0..g.groups {
        let (y, w) = (
            &mut y[grp * og * n..(grp + 1) * og * n],
            &w[grp * og * rows..],
        );
        let (w, cols) = (
            Mat::new(w, og, rows),
            Mat::new(&cols[grp * rows * n..], rows, n),
        );
        if few_rows(og, n) {
            matmul_transposed_into(y, cols.t(), w.t(), accumulate, threads);
        } else {
            matmul(y, w, cols, accumulate, threads);
        }
    }
}

/// `dW[grp] += dy[grp] · cols[grp]ᵀ`.
pub(super) fn weight_grad(
    g: &ConvGeom,
    dy: &[f32],
    cols: &[f32],
    n: usize,
    dw: &mut [f32],
    threads: usize,
) {
    let (og, rows) = (g.group_out(), g.group_rows());
    for grp in 0..g.groups {
        let dw = &mut dw[grp * og * rows..(grp + 1) * og * rows];
        let dy = Mat::new(&dy[grp * og * n..], og, n);
        let cols = Mat::new(&cols[grp * rows * n..], rows, n);
        if few_rows(og, rows) {
            matmul_transposed_into(dw, cols, dy.t(), true, threads);
        } else {
            matmul(dw, dy, cols.t(), true, threads);
        }
    }
}

/// `cols[grp] = W[grp]ᵀ · dy[grp]`, added to `cols` when `accumulate`:
/// the input gradient's columns, for col2im (or the input gradient itself
/// for a 1x1 convolution, whose columns are the input).
pub(super) fn input_cols(
    g: &ConvGeom,
    w: &[f32],
    dy: &[f32],
    n: usize,
    cols: &mut [f32],
    accumulate: bool,
    threads: usize,
) {
    let (og, rows) = (g.group_out(), g.group_rows());
    for grp in 0..g.groups {
        matmul(
            &mut cols[grp * rows * n..(grp + 1) * rows * n],
            Mat::new(&w[grp * og * rows..], og, rows).t(),
            Mat::new(&dy[grp * og * n..], og, n),
            accumulate,
            threads,
        );
    }
}
