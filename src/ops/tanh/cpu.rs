//! The Cpu kernel of the scaled tanh: one pass that keeps the derivative.

use dfdx::prelude::*;
use rayon::prelude::*;

use super::Squash;
use crate::ops::pages::{writable, zeroed};
use crate::ops::simd::{simd_dispatch, simd_dispatch_madd, Madd};
use crate::ops::tape::{read_contiguous, record};

const CHUNK: usize = 1 << 14;

/// tanh as the rational function `x·P(x²)/Q(x²)` on `|x| <= 9` (beyond,
/// tanh is ±1 in f32): one division and eight multiply-adds, about half the
/// work of `(e^{2x} - 1)/(e^{2x} + 1)` with its exponential and its series
/// near 0 (what this was before, measured at 20 % of LeNet-5's inference).
///
/// The coefficients were fitted for splotnet: least squares on the
/// linearised error `x·P - tanh·Q` over Chebyshev and uniform points of
/// [0, 9], reweighted towards the largest errors, with `P(0) = Q(0) = 1`
/// so that tiny inputs come back exactly. Evaluated in f32 the largest
/// error against an f64 tanh is 3.5e-7 (the test checks 5e-7 against
/// libm's `tanhf` everywhere).
#[inline(always)]
pub(crate) fn fast_tanh<M: Madd>(x: f32) -> f32 {
    const P: [f32; 4] = [1.338_031_4e-1, 3.494_754_7e-3, 2.059_602e-5, 1.333_796_4e-8];
    const Q: [f32; 4] = [4.671_363_2e-1, 2.587_377_8e-2, 3.284_298_3e-4, 7.769_421e-7];
    // max/min rather than clamp: no NaN branches, so the loop vectorises
    // (a NaN input is passed through below)
    #[allow(clippy::manual_clamp)]
    let c = x.max(-9.0).min(9.0);
    let z = c * c;
    let p = M::madd(
        M::madd(M::madd(M::madd(P[3], z, P[2]), z, P[1]), z, P[0]),
        z,
        1.0,
    );
    let q = M::madd(
        M::madd(M::madd(M::madd(Q[3], z, Q[2]), z, Q[1]), z, Q[0]),
        z,
        1.0,
    );
    // never past ±1, so the slope 1 - tanh² is never negative
    #[allow(clippy::manual_clamp)]
    let t = (c * p / q).max(-1.0).min(1.0);
    if x.is_nan() {
        x
    } else {
        t
    }
}

simd_dispatch_madd! {
    /// `y ← a·tanh(s·y)` and its slope `a·s·(1 - tanh²)`, in place.
    pub(crate) fn fill_with_slope<M>(ys: &mut [f32], ds: &mut [f32], a: f32, s: f32) {
        ys.iter_mut().zip(ds).for_each(|(v, d)| {
            let t = fast_tanh::<M>(s * *v);
            *v = a * t;
            *d = a * s * (1.0 - t * t);
        })
    }
}

simd_dispatch_madd! {
    /// `y ← a·tanh(s·y)`, in place.
    pub(crate) fn fill_values<M>(ys: &mut [f32], a: f32, s: f32) {
        ys.iter_mut().for_each(|v| *v = a * fast_tanh::<M>(s * *v))
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
    let mut slope = if keep_slope {
        zeroed(y.len())
    } else {
        Vec::new()
    };
    squash_into(y, q, keep_slope.then_some(&mut slope[..]));
    slope
}

/// `y ← a·tanh(s·y)` in place on all threads, writing the slope into
/// `slope` when given (as long as `y`).
pub(crate) fn squash_into(y: &mut [f32], q: Squash, slope: Option<&mut [f32]>) {
    let Squash { a, s } = q;
    match slope {
        None => y.par_chunks_mut(CHUNK).for_each(|c| fill_values(c, a, s)),
        Some(slope) => y
            .par_chunks_mut(CHUNK)
            .zip(slope.par_chunks_mut(CHUNK))
            .for_each(|(c, d)| fill_with_slope(c, d, a, s)),
    }
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
