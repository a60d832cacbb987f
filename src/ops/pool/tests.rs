use dfdx::prelude::*;
use typenum::*;

use super::*;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

fn naive_pool(g: &PoolGeom, kind: PoolKind, x: &[f32]) -> Vec<f32> {
    let mut y = Vec::with_capacity(g.planes() * g.out_plane());
    for plane in x.chunks(g.in_plane()) {
        for oy in 0..g.y.output {
            for ox in 0..g.x.output {
                let mut window = Vec::new();
                for ky in 0..g.y.k {
                    for kx in 0..g.x.k {
                        let iy = (oy * g.y.s + ky) as isize - g.y.p as isize;
                        let ix = (ox * g.x.s + kx) as isize - g.x.p as isize;
                        let inside = iy >= 0
                            && ix >= 0
                            && (iy as usize) < g.y.input
                            && (ix as usize) < g.x.input;
                        window.push(inside.then(|| plane[iy as usize * g.x.input + ix as usize]));
                    }
                }
                let real = window.iter().flatten();
                y.push(match kind {
                    PoolKind::Max => real.fold(f32::NEG_INFINITY, |a, &b| a.max(b)),
                    PoolKind::Avg => real.sum::<f32>() / window.len() as f32,
                    PoolKind::L2 => real.map(|v| v * v).sum::<f32>().sqrt(),
                });
            }
        }
    }
    y
}

fn axis(input: usize, k: usize, s: usize, p: usize) -> AxisGeom {
    AxisGeom::sliding(input, k, s, p, 1).unwrap()
}

fn grid() -> Vec<PoolGeom> {
    let geom = |batch, channels, y, x| PoolGeom {
        batch,
        channels,
        y,
        x,
    };
    vec![
        geom(1, 1, axis(4, 2, 2, 0), axis(4, 2, 2, 0)),
        geom(3, 2, axis(7, 3, 2, 0), axis(9, 3, 2, 0)),
        geom(2, 3, axis(6, 3, 2, 1), axis(5, 3, 1, 1)),
        geom(3, 2, axis(5, 2, 1, 1), axis(7, 4, 3, 2)),
        geom(1, 4, axis(5, 5, 1, 0), axis(3, 1, 1, 0)),
    ]
}

/// Distinct values (a shuffled ramp), so finite differences never cross a max tie.
fn distinct(n: usize, seed: u64) -> Vec<f32> {
    let keys = values(n, seed);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    let mut v = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        v[i] = rank as f32 * 0.05 - n as f32 * 0.025 + 0.013;
    }
    v
}

fn run(g: &PoolGeom, kind: PoolKind, x: &[f32], r: &[f32], fast: bool) -> [Vec<f32>; 2] {
    let dev: Cpu = Default::default();
    let xt = dev.tensor_from_vec(x.to_vec(), (g.batch, g.channels, g.y.input, g.x.input));
    let out = (g.batch, g.channels, g.y.output, g.x.output);
    let y = if fast {
        <Cpu as crate::ops::PoolKernel>::pool(xt.leaky_trace(), kind, g, out).unwrap()
    } else {
        generic::pool(xt.leaky_trace(), kind, g, out).unwrap()
    };
    let yv = y.as_vec();
    let grads = weighted_loss(y, r).backward();
    [yv, grads.get(&xt).as_vec()]
}

#[test]
fn every_kind_matches_the_oracle_generic_path_and_finite_differences() {
    for (i, g) in grid().into_iter().enumerate() {
        for kind in [PoolKind::Max, PoolKind::Avg, PoolKind::L2] {
            let x = distinct(g.planes() * g.in_plane(), i as u64);
            let expect = naive_pool(&g, kind, &x);
            let r = values(expect.len(), 11);
            let fast = run(&g, kind, &x, &r, true);
            let gen = run(&g, kind, &x, &r, false);
            let what = format!("{kind:?} case {i}");
            assert_close(&fast[0], &expect, 1e-5, &format!("fast forward {what}"));
            assert_close(&gen[0], &expect, 1e-5, &format!("generic forward {what}"));
            assert_close(&fast[1], &gen[1], 1e-4, &format!("gradients {what}"));
            let numeric = numeric_grad(&x, 1e-3, |v| weighted_sum(&naive_pool(&g, kind, v), &r));
            assert_close(
                &fast[1],
                &numeric,
                5e-3,
                &format!("finite differences {what}"),
            );
        }
    }
}

#[test]
fn max_pool_routes_the_gradient_to_the_arg_max_only() {
    // 4x4 -> 2x2 with 2x2 windows: each window's largest value wins
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> = dev.tensor_from_vec(
        vec![
            1., 3., 2., 1., 4., 2., 0., 1., 5., 1., 7., 8., 0., 6., 9., 2.,
        ],
        (1, N::new(), N::new(), N::new()),
    );
    let y: Tensor<(usize, N<U1>, N<U2>, N<U2>), f32, Cpu, _> =
        max_pool2d(x.leaky_trace(), Pool2dSpec::<U2>::new()).unwrap();
    assert_eq!(y.as_vec(), vec![4., 2., 6., 9.]);
    let grads = y.sum().backward();
    let mut expect = vec![0.0; 16];
    for i in [4, 2, 13, 14] {
        expect[i] = 1.0;
    }
    assert_eq!(grads.get(&x).as_vec(), expect);
}

#[test]
fn static_and_runtime_dims_agree_and_bad_runtime_sizes_are_errors() {
    let dev: Cpu = Default::default();
    let xv = values(2 * 3 * 27 * 27, 4);
    let spec = Pool2dSpec::<U3, U3, U2, U2>::new();
    let xs: Tensor<(usize, N<U3>, N<U27>, N<U27>), f32, Cpu> =
        dev.tensor_from_vec(xv.clone(), (2, N::new(), N::new(), N::new()));
    let ys: Tensor<(usize, N<U3>, N<U13>, N<U13>), f32, Cpu> = avg_pool2d(xs, spec).unwrap();
    let xd = dev.tensor_from_vec(xv, (2usize, 3usize, 27usize, 27usize));
    let yd = avg_pool2d(xd, spec).unwrap();
    assert_eq!(yd.shape().concrete(), [2, 3, 13, 13]);
    assert_eq!(ys.as_vec(), yd.as_vec());

    let small = dev.zeros_like(&(1usize, 1usize, 2usize, 2usize));
    let err = max_pool2d(small.clone(), spec).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    let err = max_pool2d(small, Pool2dSpec::<U2, U2, U1, U1, U2>::new()).unwrap_err();
    assert!(err.to_string().contains("more than half"), "{err}");
}

#[test]
fn global_pools_match_the_oracle_and_finite_differences() {
    let dev: Cpu = Default::default();
    let (b, c, h, w) = (3, 4, 5, 6);
    let xv = distinct(b * c * h * w, 9);
    let r = values(b * c, 2);
    let oracle = |x: &[f32], max: bool| -> Vec<f32> {
        x.chunks(h * w)
            .map(|p| {
                if max {
                    p.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v))
                } else {
                    p.iter().sum::<f32>() / (h * w) as f32
                }
            })
            .collect()
    };
    for max in [false, true] {
        let x: Tensor<(usize, N<U4>, N<U5>, N<U6>), f32, Cpu> =
            dev.tensor_from_vec(xv.clone(), (b, N::new(), N::new(), N::new()));
        let y = if max {
            global_max_pool2d(x.leaky_trace())
        } else {
            global_avg_pool2d(x.leaky_trace())
        }
        .unwrap();
        assert_eq!(y.shape().concrete(), [3, 4]);
        assert_close(&y.as_vec(), &oracle(&xv, max), 1e-6, "global pool forward");
        let grads = weighted_loss(y, &r).backward();
        let numeric = numeric_grad(&xv, 1e-3, |v| weighted_sum(&oracle(v, max), &r));
        assert_close(
            &grads.get(&x).as_vec(),
            &numeric,
            5e-3,
            "global pool gradient",
        );
    }
}

#[test]
fn ceil_mode_max_pooling_matches_the_oracle_both_paths_and_finite_differences() {
    use splotnet_sizes::Round;
    let ceil = |input, k, s, p| AxisGeom::window(input, k, s, p, 1, Round::Ceil).unwrap();
    let geoms = [
        // GoogLeNet's 3x3 stride 2 at 112 (ceil: 56 rather than 55), small
        PoolGeom {
            batch: 2,
            channels: 2,
            y: ceil(12, 3, 2, 0),
            x: ceil(8, 3, 2, 0),
        },
        // with padding: a last window that would start in the padding is dropped
        PoolGeom {
            batch: 1,
            channels: 3,
            y: ceil(5, 2, 2, 1),
            x: ceil(7, 3, 2, 1),
        },
    ];
    assert_eq!(
        (geoms[0].y.output, geoms[0].x.output),
        (6, 4),
        "12 -> 6 and 8 -> 4 in ceil mode"
    );
    assert_eq!(
        geoms[1].y.output, 3,
        "the fourth window would start in the padding"
    );
    for (i, g) in geoms.iter().enumerate() {
        let x = distinct(g.planes() * g.in_plane(), 30 + i as u64);
        let expect = naive_pool(g, PoolKind::Max, &x);
        let r = values(expect.len(), 12);
        let fast = run(g, PoolKind::Max, &x, &r, true);
        let gen = run(g, PoolKind::Max, &x, &r, false);
        assert_close(
            &fast[0],
            &expect,
            1e-6,
            &format!("ceil case {i}: fast forward"),
        );
        assert_close(
            &gen[0],
            &expect,
            1e-6,
            &format!("ceil case {i}: generic forward"),
        );
        let numeric = numeric_grad(&x, 1e-3, |v| {
            weighted_sum(&naive_pool(g, PoolKind::Max, v), &r)
        });
        assert_close(
            &fast[1],
            &numeric,
            5e-3,
            &format!("ceil case {i}: fast gradient"),
        );
        assert_close(
            &gen[1],
            &numeric,
            5e-3,
            &format!("ceil case {i}: generic gradient"),
        );
    }
}

#[test]
fn ceil_mode_through_the_typed_api_and_its_limits() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U112>, N<U112>), f32, Cpu> =
        dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    let y = max_pool2d(
        x.clone(),
        Pool2dSpec::<U3, U3, U2, U2, U0, U0, crate::formula::Ceil>::new(),
    )
    .unwrap();
    let _: &Tensor<(usize, N<U1>, N<U56>, N<U56>), f32, Cpu> = &y;
    // runtime sizes take the same rule
    let r: Tensor<(usize, N<U1>, usize, usize), f32, Cpu> =
        dev.zeros_like(&(1, N::new(), 112, 112));
    let y = max_pool2d(
        r.clone(),
        Pool2dSpec::<U3, U3, U2, U2, U0, U0, crate::formula::Ceil>::new(),
    )
    .unwrap();
    assert_eq!(y.shape().concrete(), [1, 1, 56, 56]);
    let err = avg_pool2d(
        r,
        Pool2dSpec::<U3, U3, U2, U2, U0, U0, crate::formula::Ceil>::new(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("ceil mode is for max pooling"),
        "{err}"
    );
}

/// PyTorch's scan of each max window: row by row, left to right, a greater
/// value or a NaN replacing the best so far. The value and its plane index
/// per output.
fn scanned_max(g: &PoolGeom, x: &[f32]) -> Vec<(f32, u32)> {
    let mut out = Vec::new();
    for plane in x.chunks(g.in_plane()) {
        for oy in 0..g.y.output {
            for ox in 0..g.x.output {
                let mut best: Option<(f32, u32)> = None;
                for ky in 0..g.y.k {
                    for kx in 0..g.x.k {
                        let iy = (oy * g.y.s + ky) as isize - g.y.p as isize;
                        let ix = (ox * g.x.s + kx) as isize - g.x.p as isize;
                        if iy < 0 || ix < 0 || iy as usize >= g.y.input || ix as usize >= g.x.input
                        {
                            continue;
                        }
                        let at = iy as usize * g.x.input + ix as usize;
                        let v = plane[at];
                        if best.is_none_or(|(b, _)| v > b || v.is_nan()) {
                            best = Some((v, at as u32));
                        }
                    }
                }
                out.push(best.expect("every window holds an input"));
            }
        }
    }
    out
}

#[test]
fn max_pool_picks_pytorchs_tap_among_ties_and_nans() {
    use splotnet_sizes::Round;
    let window = |input, k, s, p, round| AxisGeom::window(input, k, s, p, 1, round).unwrap();
    let mut cases = grid();
    cases.extend([
        // ResNet's stem pool, the 2012 AlexNet's, a wide kernel on a tiny input
        PoolGeom {
            batch: 2,
            channels: 3,
            y: axis(12, 3, 2, 1),
            x: axis(13, 3, 2, 1),
        },
        PoolGeom {
            batch: 1,
            channels: 2,
            y: axis(13, 3, 2, 0),
            x: axis(13, 3, 2, 0),
        },
        PoolGeom {
            batch: 1,
            channels: 1,
            y: axis(1, 7, 2, 3),
            x: axis(2, 7, 2, 3),
        },
        // rows wide enough for the eight-lane loops, odd and even widths
        PoolGeom {
            batch: 1,
            channels: 2,
            y: axis(9, 3, 2, 1),
            x: axis(41, 3, 2, 1),
        },
        PoolGeom {
            batch: 1,
            channels: 2,
            y: axis(7, 3, 2, 0),
            x: axis(40, 3, 2, 0),
        },
        // GoogLeNet's ceil mode
        PoolGeom {
            batch: 1,
            channels: 2,
            y: window(14, 3, 2, 0, Round::Ceil),
            x: window(15, 2, 2, 0, Round::Ceil),
        },
    ]);
    for (i, g) in cases.iter().enumerate() {
        // few distinct values, so most windows hold ties, and some NaNs
        let x: Vec<f32> = values(g.planes() * g.in_plane(), 40 + i as u64)
            .iter()
            .map(|v| match (v.abs() * 10.0) as u32 % 5 {
                0 => f32::NAN,
                n => (n % 3) as f32,
            })
            .collect();
        let expect = scanned_max(g, &x);
        let mut y = vec![0.0; expect.len()];
        let mut route = vec![0u32; expect.len()];
        cpu::forward(g, PoolKind::Max, &x, &mut y, &mut route);
        let mut inference = vec![0.0; expect.len()];
        cpu::forward(g, PoolKind::Max, &x, &mut inference, &mut []);
        for (o, &(v, at)) in expect.iter().enumerate() {
            let same = |a: f32| a == v || (a.is_nan() && v.is_nan());
            assert!(
                same(y[o]) && same(inference[o]),
                "case {i} output {o}: {} / {} against {v}",
                y[o],
                inference[o]
            );
            assert_eq!(route[o], at, "case {i} output {o}: the route");
        }
    }
}
