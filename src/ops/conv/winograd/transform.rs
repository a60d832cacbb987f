//! The arithmetic of F(4x4, 3x3): the 1D transforms, applied along both
//! axes of a tile, on eight tiles at once.
//!
//! With `Bᵀ`, `G` and `Aᵀ` from Lavin & Gray (2016), interpolation points
//! 0, ±1, ±2 and ∞:
//! - forward: `y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A`;
//! - weight gradient, by differentiating that in `g`:
//!   `dg = Gᵀ[(A dy Aᵀ) ⊙ (Bᵀ d B)]G`, so it shares the input transform.
//!
//! Each transform is written out rather than multiplied by its matrix, so
//! the zeros and ones of the matrices cost nothing.

use std::ops::{Add, Mul, Sub};

use rayon::prelude::*;

/// Output tile side.
pub(super) const TILE: usize = 4;
/// Kernel side.
pub(super) const TAPS: usize = 3;
/// Transformed tile side: `TILE + TAPS - 1`.
pub(super) const SPAN: usize = TILE + TAPS - 1;
/// Transformed positions: one GEMM each.
pub(super) const POSITIONS: usize = SPAN * SPAN;
/// Tiles transformed together, one per lane of an AVX2 vector.
pub(super) const LANES: usize = 8;

/// Eight values, one per tile, that the transforms treat as one number;
/// the loops over lanes compile to single vector instructions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Lanes(pub [f32; LANES]);

impl Lanes {
    pub(super) const ZERO: Lanes = Lanes([0.0; LANES]);
}

impl Add for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn add(mut self, o: Lanes) -> Lanes {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
        self
    }
}

impl Sub for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn sub(mut self, o: Lanes) -> Lanes {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a -= b;
        }
        self
    }
}

impl Mul<f32> for Lanes {
    type Output = Lanes;
    #[inline(always)]
    fn mul(mut self, k: f32) -> Lanes {
        for a in self.0.iter_mut() {
            *a *= k;
        }
        self
    }
}

/// What the 1D transforms need of a number: `f32` in the kernel transforms
/// and the tests, [`Lanes`] in the tile transforms.
pub(super) trait Num:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<f32, Output = Self>
{
    const ZERO: Self;
}

impl Num for f32 {
    const ZERO: f32 = 0.0;
}

impl Num for Lanes {
    const ZERO: Lanes = Lanes::ZERO;
}

/// `Bᵀ d`: the input transform along one axis.
#[inline(always)]
pub(super) fn input_1d<V: Num>(d: [V; SPAN]) -> [V; SPAN] {
    [
        d[0] * 4.0 - d[2] * 5.0 + d[4],
        d[3] + d[4] - (d[1] + d[2]) * 4.0,
        (d[1] - d[2]) * 4.0 + d[4] - d[3],
        (d[3] - d[1]) * 2.0 + d[4] - d[2],
        (d[1] - d[3]) * 2.0 + d[4] - d[2],
        d[1] * 4.0 - d[3] * 5.0 + d[5],
    ]
}

/// `G g`: the kernel transform along one axis.
#[inline(always)]
pub(super) fn kernel_1d<V: Num>(g: [V; TAPS]) -> [V; SPAN] {
    [
        g[0] * (1.0 / 4.0),
        (g[0] + g[1] + g[2]) * (-1.0 / 6.0),
        (g[0] - g[1] + g[2]) * (-1.0 / 6.0),
        g[0] * (1.0 / 24.0) + g[1] * (1.0 / 12.0) + g[2] * (1.0 / 6.0),
        g[0] * (1.0 / 24.0) - g[1] * (1.0 / 12.0) + g[2] * (1.0 / 6.0),
        g[2],
    ]
}

/// `Aᵀ m`: the output transform along one axis.
#[inline(always)]
pub(super) fn output_1d<V: Num>(m: [V; SPAN]) -> [V; TILE] {
    let (sum12, diff12) = (m[1] + m[2], m[1] - m[2]);
    let (sum34, diff34) = (m[3] + m[4], m[3] - m[4]);
    [
        m[0] + sum12 + sum34,
        diff12 + diff34 * 2.0,
        sum12 + sum34 * 4.0,
        diff12 + diff34 * 8.0 + m[5],
    ]
}

/// `A q`: an output gradient tile into the transformed domain (the
/// transpose of [`output_1d`]).
#[inline(always)]
pub(super) fn output_grad_1d<V: Num>(q: [V; TILE]) -> [V; SPAN] {
    let (even, odd) = (q[0] + q[2], q[1] + q[3]);
    let (even4, odd2) = (q[0] + q[2] * 4.0, (q[1] + q[3] * 4.0) * 2.0);
    [
        q[0],
        even + odd,
        even - odd,
        even4 + odd2,
        even4 - odd2,
        q[3],
    ]
}

/// `Gᵀ m`: a transformed kernel gradient back to three taps (the transpose
/// of [`kernel_1d`]).
#[inline(always)]
pub(super) fn kernel_grad_1d<V: Num>(m: [V; SPAN]) -> [V; TAPS] {
    let (sum12, diff12) = (m[1] + m[2], m[2] - m[1]);
    let (sum34, diff34) = (m[3] + m[4], m[3] - m[4]);
    [
        m[0] * (1.0 / 4.0) - sum12 * (1.0 / 6.0) + sum34 * (1.0 / 24.0),
        diff12 * (1.0 / 6.0) + diff34 * (1.0 / 12.0),
        (sum34 - sum12) * (1.0 / 6.0) + m[5],
    ]
}

/// Applies a 1D transform to the columns, then the rows, of a square tile.
#[inline(always)]
pub(super) fn both_axes<V: Num, const I: usize, const O: usize>(
    tile: &[[V; I]; I],
    f: impl Fn([V; I]) -> [V; O],
) -> [[V; O]; O] {
    let mut cols = [[V::ZERO; O]; I];
    for (j, col) in cols.iter_mut().enumerate() {
        let mut line = [V::ZERO; I];
        for (i, v) in line.iter_mut().enumerate() {
            *v = tile[i][j];
        }
        *col = f(line);
    }
    let mut out = [[V::ZERO; O]; O];
    for (i, row) in out.iter_mut().enumerate() {
        let mut line = [V::ZERO; I];
        for (j, v) in line.iter_mut().enumerate() {
            *v = cols[j][i];
        }
        *row = f(line);
    }
    out
}

/// `U[ξ][o][c] = (G g Gᵀ)[ξ]` for every 3x3 kernel of `w` (`(O, C, 3, 3)`),
/// `pairs = O·C` of them. Kernels are transformed in parallel (512x512
/// channels make 9.4M values), then laid out by position for the GEMMs.
pub(super) fn transform_kernels(w: &[f32], pairs: usize) -> Vec<f32> {
    let transformed: Vec<[f32; POSITIONS]> = w[..pairs * TAPS * TAPS]
        .par_chunks_exact(TAPS * TAPS)
        .with_min_len(MIN_KERNELS_PER_TASK)
        .map(|k| {
            let mut tile = [[0.0f32; TAPS]; TAPS];
            for (i, row) in tile.iter_mut().enumerate() {
                row.copy_from_slice(&k[i * TAPS..][..TAPS]);
            }
            let t = both_axes(&tile, kernel_1d);
            std::array::from_fn(|pos| t[pos / SPAN][pos % SPAN])
        })
        .collect();
    let mut u = vec![0.0f32; POSITIONS * pairs];
    u.par_chunks_exact_mut(pairs)
        .enumerate()
        .for_each(|(pos, row)| {
            for (v, t) in row.iter_mut().zip(&transformed) {
                *v = t[pos];
            }
        });
    u
}

/// `dw[pair] += Gᵀ S[pair] G` for every kernel: the transformed gradients
/// `s` (`[ξ][pair]`) back to 3x3 taps.
pub(super) fn add_kernel_gradients(s: &[f32], pairs: usize, dw: &mut [f32]) {
    dw[..pairs * TAPS * TAPS]
        .par_chunks_exact_mut(TAPS * TAPS)
        .with_min_len(MIN_KERNELS_PER_TASK)
        .enumerate()
        .for_each(|(pair, k)| {
            let mut tile = [[0.0f32; SPAN]; SPAN];
            for (pos, v) in tile.iter_mut().flatten().enumerate() {
                *v = s[pos * pairs + pair];
            }
            let t = both_axes(&tile, kernel_grad_1d);
            for (d, v) in k.iter_mut().zip(t.iter().flatten()) {
                *d += v;
            }
        });
}

/// Kernels per rayon task: each is ~200 flops, too little to schedule alone.
const MIN_KERNELS_PER_TASK: usize = 1024;
