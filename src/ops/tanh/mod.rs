//! `y = A · tanh(S · x)` as one op: tanh (`A = S = 1`) and LeCun's scaled tanh
//! (`A = 1.7159, S = 2/3`).
//!
//! Fused because the composition costs three passes and three allocations,
//! and dfdx's tanh recomputes tanh in its backward pass; the fast path
//! evaluates tanh once and keeps the derivative `A·S·(1 - tanh²)` for backward.

use dfdx::prelude::*;
use rayon::prelude::*;

use super::simd::simd_dispatch;
use super::tape::{detach, read_contiguous};
use super::Backend;

/// `A · tanh(S · x)`, elementwise, any shape.
pub fn scaled_tanh<S: Shape, D: Backend, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    a: f32,
    s: f32,
) -> crate::Result<Tensor<S, f32, D, T>> {
    D::scaled_tanh(x, a, s)
}

/// The device-generic path: three dfdx ops.
pub fn generic<S: Shape, D: Device<f32>, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    a: f32,
    s: f32,
) -> crate::Result<Tensor<S, f32, D, T>> {
    x.try_mul(s)
        .and_then(|v| v.try_tanh())
        .and_then(|v| v.try_mul(a))
        .map_err(crate::Error::device)
}

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
    fn fill_with_slope(ys: &mut [f32], ds: &mut [f32], a: f32, s: f32) {
        ys.iter_mut().zip(ds).for_each(|(v, d)| {
            let t = fast_tanh(s * *v);
            *v = a * t;
            *d = a * s * (1.0 - t * t);
        })
    }
}

simd_dispatch! {
    /// `y ← a·tanh(s·y)`, in place.
    fn fill_values(ys: &mut [f32], a: f32, s: f32) {
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
pub(crate) fn cpu<S: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    a: f32,
    s: f32,
) -> crate::Result<Tensor<S, f32, Cpu, T>> {
    let shape = *x.shape();
    let (x, mut y) = read_contiguous(x)?;
    let (x, mut tape) = x.split_tape();
    let mut slope = if T::OWNS_TAPE {
        vec![0.0f32; y.len()]
    } else {
        Vec::new()
    };
    let fill = |(ys, ds): (&mut [f32], Option<&mut [f32]>)| match ds {
        Some(ds) => fill_with_slope(ys, ds, a, s),
        None => fill_values(ys, a, s),
    };
    if slope.is_empty() {
        y.par_chunks_mut(CHUNK).for_each(|c| fill((c, None)));
    } else {
        y.par_chunks_mut(CHUNK)
            .zip(slope.par_chunks_mut(CHUNK))
            .for_each(|(c, d)| fill((c, Some(d))));
    }
    let y = x.device().try_tensor_from_vec(y, shape)?;
    if T::OWNS_TAPE {
        let (xg, yg) = (x.ghost(), y.ghost());
        tape.add_backward_op(move |grads| {
            grads.try_alloc_for(&xg)?;
            grads.try_alloc_for(&yg)?;
            // SAFETY: both gradients allocated above; the output's is only read.
            let dy = unsafe { detach(grads.get_or_alloc_mut(&yg)?) };
            let dx = grads.get_or_alloc_mut(&xg)?;
            dx.par_chunks_mut(CHUNK)
                .zip(dy.par_chunks(CHUNK))
                .zip(slope.par_chunks(CHUNK))
                .for_each(|((dx, dy), d)| add_product(dx, dy, d));
            Ok(())
        });
    }
    Ok(y.put_tape(tape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

    #[test]
    fn fast_tanh_matches_libm_everywhere() {
        let mut worst = 0.0f32;
        let mut x = -12.0f32;
        while x <= 12.0 {
            worst = worst.max((fast_tanh(x) - x.tanh()).abs());
            x += 1e-3;
        }
        for x in [
            0.0,
            1e-30,
            -1e-8,
            0.0999,
            0.1,
            0.1001,
            9.0,
            50.0,
            -50.0,
            f32::MAX,
            f32::MIN,
        ] {
            worst = worst.max((fast_tanh(x) - x.tanh()).abs());
        }
        assert!(worst < 5e-7, "max abs error {worst}");
        assert!(fast_tanh(f32::NAN).is_nan());
    }

    #[test]
    fn matches_the_formula_the_generic_path_and_finite_differences() {
        let dev: Cpu = Default::default();
        let xv: Vec<f32> = values(3 * 7 * 5, 1).iter().map(|v| v * 3.0).collect();
        let r = values(xv.len(), 2);
        for (a, s) in [(1.0, 1.0), (1.7159, 2.0 / 3.0)] {
            let expect: Vec<f32> = xv.iter().map(|v| a * (s * v).tanh()).collect();
            let run = |fast: bool| {
                let x = dev.tensor_from_vec(xv.clone(), (3usize, 7usize, 5usize));
                let y = if fast {
                    scaled_tanh(x.leaky_trace(), a, s)
                } else {
                    generic(x.leaky_trace(), a, s)
                }
                .unwrap();
                let yv = y.as_vec();
                let g = weighted_loss(y, &r).backward();
                (yv, g.get(&x).as_vec())
            };
            let (fy, fg) = run(true);
            let (gy, gg) = run(false);
            assert_close(&fy, &expect, 1e-6, "fast forward");
            assert_close(&gy, &expect, 1e-6, "generic forward");
            assert_close(&fg, &gg, 1e-5, "fast vs generic gradient");
            let numeric = numeric_grad(&xv, 1e-3, |v| {
                weighted_sum(
                    &v.iter().map(|x| a * (s * x).tanh()).collect::<Vec<_>>(),
                    &r,
                )
            });
            assert_close(&fg, &numeric, 2e-3, "finite differences");
        }
    }
}
