//! AVX2 gathers for the tile transforms. The portable gather moves one
//! float at a time into each lane, and the vector loads that follow stall
//! on the narrow stores; here each tile's row is one vector load and eight
//! of them are transposed in registers.
//!
//! Callers check `is_x86_feature_detected!` for AVX2 and FMA first.

use std::arch::x86_64::*;

use super::tiles::{edge_row, input_tiles, inside_start, TileAt};
use super::transform::{Lanes, LANES, SPAN};
use crate::ops::conv::geom::ConvGeom;

/// The 8x8 transpose: `out[j][l] = rows[l][j]`.
#[inline(always)]
unsafe fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    // per 128-bit half: four rows' j-th values, j = 0..4 low, 4..8 high
    let q0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let q1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let q2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let q3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let q4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let q5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let q6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let q7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(q0, q4),
        _mm256_permute2f128_ps::<0x20>(q1, q5),
        _mm256_permute2f128_ps::<0x20>(q2, q6),
        _mm256_permute2f128_ps::<0x20>(q3, q7),
        _mm256_permute2f128_ps::<0x31>(q0, q4),
        _mm256_permute2f128_ps::<0x31>(q1, q5),
        _mm256_permute2f128_ps::<0x31>(q2, q6),
        _mm256_permute2f128_ps::<0x31>(q3, q7),
    ]
}

/// Row `i` of up to eight tiles' input patches, one tile per lane: each
/// row read as one vector (its two floats past the patch are dropped by
/// the transpose), zeros for missing lanes.
#[inline(always)]
unsafe fn patch_row(
    g: &ConvGeom,
    tiles: &[TileAt],
    x: &[f32],
    c: usize,
    i: usize,
) -> [Lanes; SPAN] {
    let mut rows = [_mm256_setzero_ps(); LANES];
    for (row, t) in rows.iter_mut().zip(tiles) {
        *row = match inside_start(g, t, c, i) {
            Some(at) if at + LANES <= x.len() => _mm256_loadu_ps(x[at..].as_ptr()),
            _ => _mm256_loadu_ps(edge_row(g, t, x, c, i).as_ptr()),
        };
    }
    let cols = transpose8(rows);
    std::array::from_fn(|j| {
        let mut lanes = Lanes::ZERO;
        _mm256_storeu_ps(lanes.0.as_mut_ptr(), cols[j]);
        lanes
    })
}

/// [`input_tiles`] with whole-row loads.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn transform_input(
    g: &ConvGeom,
    at: &[TileAt],
    x: &[f32],
    v: &mut [f32],
    stride: usize,
) {
    input_tiles(g, at, v, stride, |tiles, c, i| unsafe {
        patch_row(g, tiles, x, c, i)
    });
}
