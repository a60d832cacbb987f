//! Max pooling with switches and max-unpooling, against a naive oracle,
//! the generic path and finite differences.

use std::sync::Arc;

use dfdx::prelude::*;
use typenum::*;

use super::switches::*;
use super::*;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

/// Naive max pooling of one plane: per window, the first position holding
/// the maximum (row-major), as the kernel picks it.
fn naive_argmax(x: &[f32], (h, w): (usize, usize), k: usize, s: usize, p: usize) -> Vec<u32> {
    let out = |n: usize| (n + 2 * p - k) / s + 1;
    let mut at = Vec::new();
    for oy in 0..out(h) {
        for ox in 0..out(w) {
            let mut best: Option<(usize, f32)> = None;
            for ky in 0..k {
                for kx in 0..k {
                    let (iy, ix) = ((oy * s + ky).wrapping_sub(p), (ox * s + kx).wrapping_sub(p));
                    if iy < h && ix < w {
                        let v = x[iy * w + ix];
                        if best.is_none_or(|(_, b)| v > b) {
                            best = Some((iy * w + ix, v));
                        }
                    }
                }
            }
            at.push(best.map_or(NONE, |(i, _)| i as u32));
        }
    }
    at
}

/// Naive max-unpooling of one plane: each value written at its switch,
/// in output order (a later write replaces an earlier one).
fn naive_unpool(v: &[f32], at: &[u32], n_in: usize) -> Vec<f32> {
    let mut y = vec![0.0; n_in];
    for (&a, &x) in at.iter().zip(v) {
        y[a as usize] = x;
    }
    y
}

type Maps = Tensor<(usize, usize, usize, usize), f32, Cpu>;

/// Pool then unpool `x` (runtime sizes) with 3x3 windows at stride 2,
/// padding 1 (overlapping windows), through the Cpu kernels or the generic
/// path; the loss `Σ unpooled·r`: values, switches, input gradient.
fn round_trip(
    dims: [usize; 4],
    x: &[f32],
    r: &[f32],
    fast: bool,
) -> (Vec<f32>, Switches, Vec<f32>) {
    let dev: Cpu = Default::default();
    let xt: Maps = dev.tensor_from_vec(x.to_vec(), (dims[0], dims[1], dims[2], dims[3]));
    let spec = Pool2dSpec::<U3, U3, U2, U2, U1, U1>::new();
    let (b, c, h, w) = *xt.shape();
    let (g, ho, wo) = geometry(PoolKind::Max, spec, (b, c, h, w)).unwrap();
    let (pooled, at) = if fast {
        cpu_switched(xt.leaky_trace(), &g, (b, c, ho, wo)).unwrap()
    } else {
        generic_switched(xt.leaky_trace(), &g, (b, c, ho, wo)).unwrap()
    };
    let sw = Switches {
        planes: g.planes(),
        input: (h, w),
        output: (ho, wo),
        at: Arc::new(at),
    };
    let y: Tensor<(usize, usize, usize, usize), f32, Cpu, _> = if fast {
        max_unpool2d(pooled, &sw).unwrap()
    } else {
        // the generic gather behind the unpooling, on the Cpu
        let (n_out, n_in) = (ho * wo, h * w);
        let mut winner = vec![NONE; sw.planes * n_in];
        for (plane, at) in sw.at.chunks_exact(n_out).enumerate() {
            for (o, &a) in at.iter().enumerate() {
                winner[plane * n_in + a as usize] = o as u32;
            }
        }
        generic_gather(pooled, &winner, n_out, (b, c, h, w)).unwrap()
    };
    let yv = y.as_vec();
    let grads = weighted_loss(y, r).backward();
    (yv, sw, grads.get(&xt).as_vec())
}

#[test]
fn switches_and_unpooling_match_the_oracle_the_generic_path_and_finite_differences() {
    let dims = [2, 3, 7, 6];
    let n_in = dims[2] * dims[3];
    let x = values(dims.iter().product(), 31);
    let r = values(x.len(), 32);
    let (y, sw, dx) = round_trip(dims, &x, &r, true);
    let mut want = Vec::new();
    for (plane, xp) in x.chunks_exact(n_in).enumerate() {
        let at = naive_argmax(xp, (dims[2], dims[3]), 3, 2, 1);
        let n_out = at.len();
        assert_eq!(
            &sw.at[plane * n_out..(plane + 1) * n_out],
            &at[..],
            "plane {plane} switches"
        );
        let pooled: Vec<f32> = at.iter().map(|&a| xp[a as usize]).collect();
        want.extend(naive_unpool(&pooled, &at, n_in));
    }
    assert_eq!(y, want, "unpooled values");
    let (yg, swg, dxg) = round_trip(dims, &x, &r, false);
    assert_eq!((yg, swg), (y, sw.clone()), "generic path");
    assert_close(&dxg, &dx, 1e-6, "generic gradient");
    let numeric = numeric_grad(&x, 1e-3, |v| {
        let y: Vec<f32> = v
            .chunks_exact(n_in)
            .enumerate()
            .flat_map(|(plane, xp)| {
                let n_out = sw.at.len() / sw.planes;
                // the switches stay where they are for small moves
                let at = &sw.at[plane * n_out..(plane + 1) * n_out];
                let pooled: Vec<f32> = at.iter().map(|&a| xp[a as usize]).collect();
                naive_unpool(&pooled, at, n_in)
            })
            .collect();
        weighted_sum(&y, &r)
    });
    assert_close(&dx, &numeric, 1e-3, "finite differences");
}

#[test]
fn overlapping_windows_give_a_shared_maximum_to_the_last_window() {
    // one plane 1x5: windows of 3 at stride 2 share position 2, the maximum
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U1>, N<U5>), f32, Cpu> =
        dev.tensor_from_vec(vec![1., 2., 9., 3., 4.], (1, N::new(), N::new(), N::new()));
    let spec = Pool2dSpec::<U1, U3, U1, U2>::new();
    let (pooled, sw) = max_pool2d_switched(x.leaky_trace(), spec).unwrap();
    assert_eq!(pooled.as_vec(), [9., 9.]);
    assert_eq!(*sw.at, [2, 2]);
    let y: Tensor<(usize, N<U1>, N<U1>, N<U5>), f32, Cpu, _> = max_unpool2d(pooled, &sw).unwrap();
    assert_eq!(y.as_vec(), [0., 0., 9., 0., 0.]);
    let grads = weighted_loss(y, &[0., 0., 1., 0., 0.]).backward();
    // PyTorch writes the second window's value last: it alone reaches the output
    assert_eq!(grads.get(&x).as_vec(), [0., 0., 1., 0., 0.]);
}

#[test]
fn maps_that_do_not_pair_with_the_switches_are_refused() {
    let dev: Cpu = Default::default();
    let x: Maps = dev.tensor_from_vec(values(16, 1), (1, 1, 4, 4));
    let (pooled, sw) = max_pool2d_switched(x, Pool2dSpec::<U2>::new()).unwrap();
    let other: Maps = dev.zeros_like(&(1, 1, 3, 2));
    let e = max_unpool2d::<_, _, _, _, usize, usize, _, _>(other, &sw).unwrap_err();
    assert!(e.to_string().contains("do not pair"), "{e}");
    let e = max_unpool2d::<_, _, _, _, N<U5>, N<U4>, _, _>(pooled, &sw).unwrap_err();
    assert!(e.to_string().contains("not the stated output size"), "{e}");
}
