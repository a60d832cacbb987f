//! Tiles in and out of the transformed domain: each function gathers one
//! tile per lane from NCHW maps (zeros beyond the edges), transforms eight
//! at once, and writes rows of the `[ξ][channel][tile]` matrices the GEMMs
//! read, or the reverse.
//!
//! Rows of those matrices are `stride` tiles long, a multiple of [`LANES`],
//! so every row access is a whole vector; lanes past the block's last tile
//! carry zeros in and are dropped on the way out.

use super::transform::{
    both_axes, input_1d, output_1d, output_grad_1d, Lanes, LANES, POSITIONS, SPAN, TILE,
};
use crate::ops::conv::geom::ConvGeom;
use crate::ops::simd::simd_dispatch;

/// Where one tile lies: its image in the task, and its top-left output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TileAt {
    pub image: usize,
    pub row: usize,
    pub col: usize,
}

/// The 4x4 tiles that cover one output map, numbered row by row and then
/// image by image.
pub(super) struct TileGrid {
    across: usize,
    pub per_image: usize,
}

impl TileGrid {
    pub(super) fn new(g: &ConvGeom) -> Self {
        let across = g.x.output.div_ceil(TILE);
        TileGrid {
            across,
            per_image: across * g.y.output.div_ceil(TILE),
        }
    }

    pub(super) fn locate(&self, t: usize) -> TileAt {
        let within = t % self.per_image;
        TileAt {
            image: t / self.per_image,
            row: within / self.across * TILE,
            col: within % self.across * TILE,
        }
    }
}

/// A row of `LANES` values from a transformed matrix.
#[inline(always)]
fn load(m: &[f32], at: usize) -> Lanes {
    let mut v = Lanes::ZERO;
    v.0.copy_from_slice(&m[at..][..LANES]);
    v
}

/// Where row `i` of tile `t`'s input patch in channel `c` starts in `x`,
/// when its six values all lie inside the map.
#[inline(always)]
fn inside_start(g: &ConvGeom, t: &TileAt, c: usize, i: usize) -> Option<usize> {
    let (h, w) = (g.y.input, g.x.input);
    let iy = (t.row + i).checked_sub(g.y.p).filter(|&iy| iy < h)?;
    let ix = t.col.checked_sub(g.x.p).filter(|&ix| ix + SPAN <= w)?;
    Some(((t.image * g.c_in + c) * h + iy) * w + ix)
}

/// Row `i` of tile `t`'s input patch in channel `c`, zero beyond the map.
#[inline(always)]
fn edge_row(g: &ConvGeom, t: &TileAt, x: &[f32], c: usize, i: usize) -> [f32; SPAN] {
    let (h, w) = (g.y.input, g.x.input);
    let mut row = [0.0f32; SPAN];
    let Some(iy) = (t.row + i).checked_sub(g.y.p).filter(|&iy| iy < h) else {
        return row;
    };
    let line = &x[((t.image * g.c_in + c) * h + iy) * w..][..w];
    for (j, r) in row.iter_mut().enumerate() {
        if let Some(ix) = (t.col + j).checked_sub(g.x.p).filter(|&ix| ix < w) {
            *r = line[ix];
        }
    }
    row
}

/// Row `i` of the input patches of up to eight tiles, one per lane: column
/// `j` of the result holds every tile's `j`-th value. (Whole-row loads
/// transposed in registers measured no faster: the time is in the loads.)
#[inline(always)]
fn patch_row(g: &ConvGeom, tiles: &[TileAt], x: &[f32], c: usize, i: usize) -> [Lanes; SPAN] {
    let mut d = [Lanes::ZERO; SPAN];
    for (lane, t) in tiles.iter().enumerate() {
        match inside_start(g, t, c, i) {
            Some(at) => {
                for (dj, &xv) in d.iter_mut().zip(&x[at..][..SPAN]) {
                    dj.0[lane] = xv;
                }
            }
            None => {
                for (dj, xv) in d.iter_mut().zip(edge_row(g, t, x, c, i)) {
                    dj.0[lane] = xv;
                }
            }
        }
    }
    d
}

simd_dispatch! {
    /// `V[ξ][c][t] = (Bᵀ d B)[ξ]` for the tiles `at` of the images `x`,
    /// each input patch starting `p` before its output tile.
    pub(super) fn transform_input(g: &ConvGeom, at: &[TileAt], x: &[f32], v: &mut [f32], stride: usize) {
        for c in 0..g.c_in {
            for (group, tiles) in at.chunks(LANES).enumerate() {
                let d: [[Lanes; SPAN]; SPAN] = std::array::from_fn(|i| patch_row(g, tiles, x, c, i));
                let out = both_axes(&d, input_1d);
                for (pos, val) in out.iter().flatten().enumerate() {
                    let at = (pos * g.c_in + c) * stride + group * LANES;
                    v[at..][..LANES].copy_from_slice(&val.0);
                }
            }
        }
    }
}

simd_dispatch! {
    /// `y tile = Aᵀ M A (+ b)` for the tiles `at`, written into (or added
    /// to) the images `y`; the parts of edge tiles beyond the map are dropped.
    pub(super) fn transform_output(
        g: &ConvGeom,
        at: &[TileAt],
        m: &[f32],
        stride: usize,
        b: Option<&[f32]>,
        y: &mut [f32],
        accumulate: bool,
    ) {
        let (h, w) = (g.y.output, g.x.output);
        for o in 0..g.c_out {
            let bias = b.map_or(0.0, |b| b[o]);
            for (group, tiles) in at.chunks(LANES).enumerate() {
                let mut tile = [[Lanes::ZERO; SPAN]; SPAN];
                for (pos, val) in tile.iter_mut().flatten().enumerate() {
                    *val = load(m, (pos * g.c_out + o) * stride + group * LANES);
                }
                let out = both_axes(&tile, output_1d);
                for (lane, t) in tiles.iter().enumerate() {
                    let plane = &mut y[(t.image * g.c_out + o) * h * w..][..h * w];
                    let cols = (w - t.col).min(TILE);
                    for (i, out_row) in out.iter().enumerate().take(h - t.row) {
                        let dst = &mut plane[(t.row + i) * w + t.col..][..cols];
                        for (d, val) in dst.iter_mut().zip(out_row) {
                            let value = val.0[lane] + bias;
                            *d = if accumulate { *d + value } else { value };
                        }
                    }
                }
            }
        }
    }
}

simd_dispatch! {
    /// `W[ξ][o][t] = (A dy Aᵀ)[ξ]` for the tiles `at` of the output
    /// gradients `dy`; outputs beyond the map count as zero.
    pub(super) fn transform_output_grad(g: &ConvGeom, at: &[TileAt], dy: &[f32], wt: &mut [f32], stride: usize) {
        let (h, w) = (g.y.output, g.x.output);
        for o in 0..g.c_out {
            for (group, tiles) in at.chunks(LANES).enumerate() {
                let mut q = [[Lanes::ZERO; TILE]; TILE];
                for (lane, t) in tiles.iter().enumerate() {
                    let plane = &dy[(t.image * g.c_out + o) * h * w..][..h * w];
                    let cols = (w - t.col).min(TILE);
                    for (i, q_row) in q.iter_mut().enumerate().take(h - t.row) {
                        let src = &plane[(t.row + i) * w + t.col..][..cols];
                        for (qv, &dv) in q_row.iter_mut().zip(src) {
                            qv.0[lane] = dv;
                        }
                    }
                }
                let out = both_axes(&q, output_grad_1d);
                for (pos, val) in out.iter().flatten().enumerate() {
                    let at = (pos * g.c_out + o) * stride + group * LANES;
                    wt[at..][..LANES].copy_from_slice(&val.0);
                }
            }
        }
    }
}

/// The rows a block of `tiles` tiles needs: a whole number of vectors.
pub(super) fn row_stride(tiles: usize) -> usize {
    tiles.div_ceil(LANES) * LANES
}

/// Floats in one `[ξ][channel][tile]` matrix of a block.
pub(super) fn matrix_len(channels: usize, stride: usize) -> usize {
    POSITIONS * channels * stride
}
