//! LeNet's trainable subsampling as one op: per map `c`,
//! `y = a_c · Σ window + b_c` over non-overlapping windows.
//!
//! Composed of dfdx ops (average pooling, a broadcast product, a broadcast
//! sum) it made three passes over the maps, each into a fresh buffer, plus
//! the backward passes of all three; on LeNet-5's inference at batch 1000
//! those passes were about a sixth of the time. Here the Cpu does the sum
//! and the affine map plane by plane while the plane is in cache, and the
//! backward pass is one pass too. Other devices keep the composition
//! ([`generic`]).

use dfdx::prelude::*;
use rayon::prelude::*;

use super::cpu::{sum_backward_plane, sum_plane};
use super::{generic as pool_generic, PoolGeom, PoolKind};
use crate::ops::pages::{writable, zeroed};
use crate::ops::tanh::cpu::{fill_values, fill_with_slope, through_slope};
use crate::ops::tape::{read_contiguous, read_param, record};
use crate::ops::Squash;
use crate::{Error, Result};

/// The device-generic subsampling: average pooling times `K²·a_c`, plus
/// `b_c`, differentiable through dfdx's tape.
pub fn generic<D, Si, C, So, T>(
    x: Tensor<Si, f32, D, T>,
    coef: &Tensor<(C,), f32, D>,
    bias: &Tensor<(C,), f32, D>,
    g: &PoolGeom,
    out: So,
) -> Result<Tensor<So, f32, D, T>>
where
    D: crate::ops::F32Device,
    Si: Shape,
    C: Dim,
    So: Shape,
    T: Tape<f32, D>,
{
    let maps = (g.batch, g.channels, g.out_plane());
    let mean = pool_generic::pool(x, PoolKind::Avg, g, maps)?;
    let area = (g.y.k * g.x.k) as f32;
    let per_map = |t: &Tensor<(C,), f32, D>| -> Result<_> {
        Ok(t.retaped::<T>()
            .try_reshape_like(&(g.channels,))?
            .try_broadcast_like::<_, Axes2<0, 2>>(&maps)?)
    };
    let y = mean
        .try_mul(per_map(coef)?.try_mul(area)?)?
        .try_add(per_map(bias)?)?;
    Ok(y.try_reshape_like(&out)?)
}

/// Checks the sizes a Cpu kernel will index by.
fn check(g: &PoolGeom, x_len: usize, coef_len: usize, bias_len: usize) -> Result<()> {
    let op = "subsample2d";
    if x_len != g.planes() * g.in_plane() {
        return Err(Error::shape(op, format!("input size does not match {g:?}")));
    }
    if coef_len != g.channels || bias_len != g.channels {
        return Err(Error::shape(
            op,
            format!(
                "{coef_len} coefficients and {bias_len} biases for {} maps",
                g.channels
            ),
        ));
    }
    if g.y.k != g.y.s || g.x.k != g.x.s || g.y.p + g.x.p != 0 {
        return Err(Error::shape(
            op,
            "windows must tile the maps: stride = kernel, no padding",
        ));
    }
    Ok(())
}

/// The Cpu subsampling on dfdx's tape.
pub(crate) fn cpu<Si: Shape, C: Dim, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    coef: &Tensor<(C,), f32, Cpu>,
    bias: &Tensor<(C,), f32, Cpu>,
    g: &PoolGeom,
    out: So,
    squash: Option<Squash>,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    check(
        &g,
        x.shape().num_elements(),
        coef.shape().num_elements(),
        bias.shape().num_elements(),
    )?;
    let (x, xs) = read_contiguous(x)?;
    let (x, tape) = x.split_tape();
    let area = (g.y.k * g.x.k) as f32;
    // the scale applies to the window's mean, which the pooling kernel gives
    let scale: Vec<f32> = read_param(coef)?.iter().map(|a| a * area).collect();
    let shift = read_param(bias)?;
    let (ip, op, c) = (g.in_plane(), g.out_plane(), g.channels);
    let mut y = zeroed(g.planes() * op);
    // the means, for the coefficients' gradient, and the squash's slope
    let (mut means, mut slope) = match (T::OWNS_TAPE, squash) {
        (false, _) => (Vec::new(), Vec::new()),
        (true, None) => (zeroed(y.len()), Vec::new()),
        (true, Some(_)) => (zeroed(y.len()), zeroed(y.len())),
    };
    let image = |x: &[f32], y: &mut [f32], mut m: Option<&mut [f32]>, mut d: Option<&mut [f32]>| {
        for (ch, (x, y)) in x.chunks_exact(ip).zip(y.chunks_exact_mut(op)).enumerate() {
            let plane = ch * op..(ch + 1) * op;
            sum_plane(&g, PoolKind::Avg, x, y);
            if let Some(m) = m.as_deref_mut() {
                m[plane.clone()].copy_from_slice(y);
            }
            let (a, b) = (scale[ch], shift[ch]);
            y.iter_mut().for_each(|v| *v = *v * a + b);
            match (squash, d.as_deref_mut()) {
                (Some(q), Some(d)) => fill_with_slope(y, &mut d[plane], q.a, q.s),
                (Some(q), None) => fill_values(y, q.a, q.s),
                (None, _) => {}
            }
        }
    };
    // one image's maps at a time: `c` planes in, `c` planes out
    let (per_in, per) = (ip * c, op * c);
    let images = xs.par_chunks_exact(per_in).zip(y.par_chunks_exact_mut(per));
    match (means.is_empty(), slope.is_empty()) {
        (true, _) => images.for_each(|(x, y)| image(x, y, None, None)),
        (false, true) => images
            .zip(means.par_chunks_exact_mut(per))
            .for_each(|((x, y), m)| image(x, y, Some(m), None)),
        (false, false) => images
            .zip(means.par_chunks_exact_mut(per))
            .zip(slope.par_chunks_exact_mut(per))
            .for_each(|(((x, y), m), d)| image(x, y, Some(m), Some(d))),
    }
    let (xg, ag, bg) = (x.ghost(), coef.ghost(), bias.ghost());
    record(x.device(), tape, y, out, move |dy, grads| {
        // the gradient before the squash, if there was one
        let pre = (!slope.is_empty()).then(|| through_slope(dy, &slope));
        let dy = pre.as_deref().unwrap_or(dy);
        // dx: the pooling's backward pass of dy·K²·a_c; the coefficient's
        // and bias's gradients: Σ dy·K²·mean and Σ dy per map
        let (dx_len, per_task) = (g.planes() * ip, (16 * 1024 / per_in).max(1));
        let dx = writable(grads.get_or_alloc_mut(&xg)?);
        if dx.len() != dx_len {
            return Err(CpuError::WrongNumElements);
        }
        // each image's sums in its own slot, added up in image order after:
        // the same rounding on every run, whatever rayon's split (a resumed
        // training run must end bit for bit where an uninterrupted one does)
        let mut per_image = vec![0.0f32; g.batch * 2 * c];
        dx.par_chunks_exact_mut(per_in)
            .zip(dy.par_chunks_exact(per))
            .zip(means.par_chunks_exact(per))
            .zip(per_image.par_chunks_exact_mut(2 * c))
            .with_min_len(per_task)
            .for_each_init(
                || vec![0.0f32; op],
                |scaled, (((dx, dy), m), sums)| {
                    let planes = dx.chunks_exact_mut(ip).zip(dy.chunks_exact(op));
                    for (ch, ((dx, dy), m)) in planes.zip(m.chunks_exact(op)).enumerate() {
                        let a = scale[ch];
                        scaled.iter_mut().zip(dy).for_each(|(s, d)| *s = d * a);
                        sum_backward_plane(&g, PoolKind::Avg, &[], &[], scaled, dx);
                        sums[ch] = dy.iter().zip(m).map(|(d, m)| d * m).sum::<f32>() * area;
                        sums[c + ch] = dy.iter().sum::<f32>();
                    }
                },
            );
        let mut partial = vec![0.0f32; 2 * c];
        for sums in per_image.chunks_exact(2 * c) {
            partial.iter_mut().zip(sums).for_each(|(p, s)| *p += s);
        }
        let (da, db) = partial.split_at(c);
        for (grad, part) in [(&ag, da), (&bg, db)] {
            grads
                .get_or_alloc_mut(grad)?
                .iter_mut()
                .zip(part)
                .for_each(|(g, p)| *g += p);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::conv::AxisGeom;
    use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

    fn geom(batch: usize, channels: usize, h: usize, w: usize, k: usize) -> PoolGeom {
        let axis = |n| AxisGeom::sliding(n, k, k, 0, 1).unwrap();
        PoolGeom {
            batch,
            channels,
            y: axis(h),
            x: axis(w),
        }
    }

    /// `a_c · Σ window + b_c` by its definition.
    fn naive(g: &PoolGeom, x: &[f32], a: &[f32], b: &[f32]) -> Vec<f32> {
        let (k, wi) = (g.y.k, g.x.input);
        let mut y = Vec::new();
        for (p, plane) in x.chunks(g.in_plane()).enumerate() {
            let c = p % g.channels;
            for oy in 0..g.y.output {
                for ox in 0..g.x.output {
                    let mut sum = 0.0;
                    for ky in 0..k {
                        for kx in 0..k {
                            sum += plane[(oy * k + ky) * wi + ox * k + kx];
                        }
                    }
                    y.push(a[c] * sum + b[c]);
                }
            }
        }
        y
    }

    /// Values and the gradients of input, coefficients and biases under
    /// the weighted loss `Σ r·y`, on the Cpu kernel or the generic path.
    fn run(g: &PoolGeom, x: &[f32], a: &[f32], b: &[f32], r: &[f32], fast: bool) -> [Vec<f32>; 4] {
        let dev: Cpu = Default::default();
        let xt = dev.tensor_from_vec(x.to_vec(), (g.batch, g.channels, g.y.input, g.x.input));
        let at = dev.tensor_from_vec(a.to_vec(), (g.channels,));
        let bt = dev.tensor_from_vec(b.to_vec(), (g.channels,));
        let out = (g.batch, g.channels, g.y.output, g.x.output);
        let y = if fast {
            cpu(xt.leaky_trace(), &at, &bt, g, out, None).unwrap()
        } else {
            generic(xt.leaky_trace(), &at, &bt, g, out).unwrap()
        };
        let yv = y.as_vec();
        let grads = weighted_loss(y, r).backward();
        [
            yv,
            grads.get(&xt).as_vec(),
            grads.get(&at).as_vec(),
            grads.get(&bt).as_vec(),
        ]
    }

    #[test]
    fn the_lectures_2x2_example_is_a_scaled_window_sum_plus_bias() {
        // the lecture's 4x4 map: window sums 13, 21, 8, 8
        let x = [
            1., 1., 2., 4., 5., 6., 7., 8., 3., 2., 1., 0., 1., 2., 3., 4.,
        ];
        let g = geom(1, 1, 4, 4, 2);
        let [y, ..] = run(&g, &x, &[0.5], &[-1.0], &[0.0; 4], true);
        assert_eq!(y, [5.5, 9.5, 3.0, 3.0]);
    }

    #[test]
    fn values_and_gradients_match_the_oracle_the_generic_path_and_finite_differences() {
        for (i, g) in [
            geom(2, 3, 6, 4, 2),
            geom(3, 2, 9, 7, 3),
            geom(1, 4, 2, 2, 2),
        ]
        .iter()
        .enumerate()
        {
            let seed = 10 * i as u64;
            let x = values(g.planes() * g.in_plane(), seed);
            let a = values(g.channels, seed + 1);
            let b = values(g.channels, seed + 2);
            let r = values(g.planes() * g.out_plane(), seed + 3);
            let fast = run(g, &x, &a, &b, &r, true);
            let slow = run(g, &x, &a, &b, &r, false);
            assert_close(
                &fast[0],
                &naive(g, &x, &a, &b),
                1e-5,
                "values vs the oracle",
            );
            for (what, (f, s)) in ["y", "dx", "da", "db"].iter().zip(fast.iter().zip(&slow)) {
                assert_close(f, s, 1e-4, &format!("{what}: Cpu vs generic, {g:?}"));
            }
            let loss_x = |x: &[f32]| weighted_sum(&naive(g, x, &a, &b), &r);
            let loss_a = |a: &[f32]| weighted_sum(&naive(g, &x, a, &b), &r);
            let loss_b = |b: &[f32]| weighted_sum(&naive(g, &x, &a, b), &r);
            assert_close(
                &fast[1],
                &numeric_grad(&x, 1e-2, loss_x),
                2e-3,
                "dx vs finite differences",
            );
            assert_close(
                &fast[2],
                &numeric_grad(&a, 1e-2, loss_a),
                2e-3,
                "da vs finite differences",
            );
            assert_close(
                &fast[3],
                &numeric_grad(&b, 1e-2, loss_b),
                2e-3,
                "db vs finite differences",
            );
        }
    }

    #[test]
    fn a_wrong_parameter_count_or_overlapping_windows_is_an_error() {
        let dev: Cpu = Default::default();
        let g = geom(1, 2, 4, 4, 2);
        let x = dev.tensor_from_vec(vec![0.0; 32], (1, 2, 4, 4));
        let three = dev.tensor_from_vec(vec![0.0; 3], (3,));
        let two = dev.tensor_from_vec(vec![0.0; 2], (2,));
        let err = cpu(x.clone(), &three, &two, &g, (1, 2, 2, 2), None).unwrap_err();
        assert!(err.to_string().contains("3 coefficients"), "{err}");
        let overlapping = PoolGeom {
            y: AxisGeom::sliding(4, 2, 1, 0, 1).unwrap(),
            ..g
        };
        let err = cpu(x, &two, &two, &overlapping, (1, 2, 3, 2), None).unwrap_err();
        assert!(err.to_string().contains("tile"), "{err}");
    }
}
