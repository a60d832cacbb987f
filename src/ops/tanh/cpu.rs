//! The Cpu kernel of the scaled tanh: one pass that keeps the derivative.

use dfdx::prelude::*;
use rayon::prelude::*;

use super::Squash;
use crate::ops::pages::{writable, zeroed};
use crate::ops::simd::simd_dispatch;
use crate::ops::tape::{read_contiguous, record};

const CHUNK: usize = 1 << 14;

/// `e^y` for `|y| <= 18`: `2^n · 2^f` with `n` the nearest integer to
/// `y·log2 e`, `|f| <= 1/2`, and `2^f = e^{f ln 2}` from its Taylor
/// polynomial to degree 6 (error below `0.35^7/7! ≈ 1.3e-7` relative).
///
/// Adding `1.5·2^23` rounds to the nearest integer and leaves it in the low
/// mantissa bits, so `n` and `2^n` come from plain float and integer adds
/// and shifts: the loop vectorises with baseline SSE2 (`round` would be a
/// libm call, and a float-to-int cast a scalar one).
#[inline(always)]
fn exp_small(y: f32) -> f32 {
    const SHIFTER: f32 = 12_582_912.0; // 1.5 · 2^23
    let t = y * core::f32::consts::LOG2_E;
    let k = t + SHIFTER;
    let n = k - SHIFTER;
    let r = (t - n) * core::f32::consts::LN_2;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let pow2 = (k.to_bits().wrapping_sub(0x4B40_0000).wrapping_add(127)) << 23;
    p * f32::from_bits(pow2)
}

/// tanh to about 2e-7, several times faster than libm's `tanhf` (which goes
/// through `expm1f`): `(e^{2x} - 1)/(e^{2x} + 1)` on `|x| <= 9` (beyond that
/// tanh is ±1 in f32), and the odd Taylor series below 0.1 where that
/// quotient would cancel.
#[inline(always)]
pub(crate) fn fast_tanh(x: f32) -> f32 {
    // max/min rather than clamp: no NaN branches, so the loop vectorises
    // (a NaN input is passed through below)
    #[allow(clippy::manual_clamp)]
    let c = x.max(-9.0).min(9.0);
    let e = exp_small(2.0 * c);
    let q = (e - 1.0) / (e + 1.0);
    let x2 = x * x;
    let series = x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0 - x2 * (17.0 / 315.0))));
    if x.abs() < 0.1 {
        series
    } else if x.is_nan() {
        x
    } else {
        q
    }
}

simd_dispatch! {
    /// `y ← a·tanh(s·y)` and its slope `a·s·(1 - tanh²)`, in place.
    pub(crate) fn fill_with_slope(ys: &mut [f32], ds: &mut [f32], a: f32, s: f32) {
        ys.iter_mut().zip(ds).for_each(|(v, d)| {
            let t = fast_tanh(s * *v);
            *v = a * t;
            *d = a * s * (1.0 - t * t);
        })
    }
}

simd_dispatch! {
    /// `y ← a·tanh(s·y)`, in place.
    pub(crate) fn fill_values(ys: &mut [f32], a: f32, s: f32) {
        ys.iter_mut().for_each(|v| *v = a * fast_tanh(s * *v))
    }
}

simd_dispatch! {
    /// `dx += dy · slope`.
    fn add_product(dx: &mut [f32], dy: &[f32], slope: &[f32]) {
        dx.iter_mut()
            .zip(dy)
            .zip(slope)
            .for_each(|((x, y), d)| *x += y * d)
    }
}

/// The Cpu path on dfdx's tape.
pub(crate) fn scaled_tanh<S: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    a: f32,
    s: f32,
) -> crate::Result<Tensor<S, f32, Cpu, T>> {
    let shape = *x.shape();
    let (x, y) = read_contiguous(x)?;
    // the copy becomes the output, which dfdx owns and frees
    let mut y = y.into_vec();
    let (x, tape) = x.split_tape();
    let slope = squash_in_place(&mut y, Squash { a, s }, T::OWNS_TAPE);
    let xg = x.ghost();
    record(x.device(), tape, y, shape, move |dy, grads| {
        writable(grads.get_or_alloc_mut(&xg)?)
            .par_chunks_mut(CHUNK)
            .zip(dy.par_chunks(CHUNK))
            .zip(slope.par_chunks(CHUNK))
            .for_each(|((dx, dy), d)| add_product(dx, dy, d));
        Ok(())
    })
}

/// `y ← a·tanh(s·y)` in place, on all threads; with `keep_slope`, returns
/// the slope `a·s·(1 - tanh²)` at each value for the backward pass (else an
/// empty vector).
pub(crate) fn squash_in_place(y: &mut [f32], q: Squash, keep_slope: bool) -> Vec<f32> {
    let Squash { a, s } = q;
    if !keep_slope {
        y.par_chunks_mut(CHUNK).for_each(|c| fill_values(c, a, s));
        return Vec::new();
    }
    let mut slope = zeroed(y.len());
    y.par_chunks_mut(CHUNK)
        .zip(slope.par_chunks_mut(CHUNK))
        .for_each(|(c, d)| fill_with_slope(c, d, a, s));
    slope
}

/// `dy · slope`: the gradient before a squash, from the one after it.
pub(crate) fn through_slope(dy: &[f32], slope: &[f32]) -> Vec<f32> {
    let mut pre = zeroed(dy.len());
    pre.par_chunks_mut(CHUNK)
        .zip(dy.par_chunks(CHUNK))
        .zip(slope.par_chunks(CHUNK))
        .for_each(|((p, dy), d)| add_product(p, dy, d));
    pre
}
