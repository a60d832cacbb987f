use dfdx::prelude::*;
use typenum::*;

use super::*;
use crate::dims::N;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

/// The definition, one output at a time:
/// `y[n,o,z,i,j] = b[o] + Σ_{c,a,m,l} w[o,c,a,m,l] · x[n, g·Cg + c, zS+aD-P, iS+mD-P, jS+lD-P]`.
fn naive_conv3d(g: &Conv3dGeom, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
    let [d, y, xa] = g.axes;
    let (cg, og) = (g.group_in(), g.group_out());
    let at = |a: &AxisGeom, o: usize, k: usize| -> Option<usize> {
        let i = (o * a.s + k * a.d) as isize - a.p as isize;
        (i >= 0 && (i as usize) < a.input).then_some(i as usize)
    };
    let mut out = Vec::new();
    for n in 0..g.batch {
        for o in 0..g.c_out {
            let grp = o / og;
            for z in 0..d.output {
                for i in 0..y.output {
                    for j in 0..xa.output {
                        let mut s = b.map_or(0.0, |b| b[o] as f64);
                        for c in 0..cg {
                            for ka in 0..d.k {
                                for km in 0..y.k {
                                    for kl in 0..xa.k {
                                        let (Some(iz), Some(iy), Some(ix)) =
                                            (at(&d, z, ka), at(&y, i, km), at(&xa, j, kl))
                                        else {
                                            continue;
                                        };
                                        let ci = grp * cg + c;
                                        let xv = x[(((n * g.c_in + ci) * d.input + iz) * y.input
                                            + iy)
                                            * xa.input
                                            + ix];
                                        let wv =
                                            w[(((o * cg + c) * d.k + ka) * y.k + km) * xa.k + kl];
                                        s += xv as f64 * wv as f64;
                                    }
                                }
                            }
                        }
                        out.push(s as f32);
                    }
                }
            }
        }
    }
    out
}

type Vol = Tensor<(usize, usize, usize, usize, usize), f32, Cpu>;

/// Output and the gradients of x, w and b for the loss `Σ y·r`.
fn run(g: &Conv3dGeom, x: &[f32], w: &[f32], b: &[f32], r: &[f32], fast: bool) -> [Vec<f32>; 4] {
    let dev: Cpu = Default::default();
    let [d, y, xa] = g.axes;
    let xt: Vol = dev.tensor_from_vec(x.to_vec(), (g.batch, g.c_in, d.input, y.input, xa.input));
    let wt: Vol = dev.tensor_from_vec(w.to_vec(), (g.c_out, g.group_in(), d.k, y.k, xa.k));
    let bt = dev.tensor_from_vec(b.to_vec(), (g.c_out,));
    let out = (g.batch, g.c_out, d.output, y.output, xa.output);
    let yt = if fast {
        conv3d_cpu(xt.leaky_trace(), &wt, Some(&bt), g, out).unwrap()
    } else {
        generic::conv3d(xt.leaky_trace(), &wt, Some(&bt), g, out).unwrap()
    };
    let yv = yt.as_vec();
    let grads = weighted_loss(yt, r).backward();
    [
        yv,
        grads.get(&xt).as_vec(),
        grads.get(&wt).as_vec(),
        grads.get(&bt).as_vec(),
    ]
}

fn geom(
    batch: usize,
    c_in: usize,
    c_out: usize,
    groups: usize,
    axes: [(usize, usize, usize, usize, usize); 3],
) -> Conv3dGeom {
    let mut a = [AxisGeom::UNIT; 3];
    for (i, (n, k, s, p, d)) in axes.into_iter().enumerate() {
        a[i] = AxisGeom::sliding(n, k, s, p, d).unwrap();
    }
    Conv3dGeom {
        batch,
        c_in,
        c_out,
        groups,
        axes: a,
    }
}

#[test]
fn conv3d_matches_the_definition_the_generic_path_and_finite_differences() {
    let cases = [
        geom(
            2,
            2,
            3,
            1,
            [(4, 3, 1, 1, 1), (5, 3, 1, 0, 1), (4, 2, 1, 0, 1)],
        ),
        // stride, dilation and padding differing per axis, two groups
        geom(
            1,
            4,
            2,
            2,
            [(5, 2, 2, 1, 1), (6, 3, 1, 2, 2), (5, 3, 2, 1, 1)],
        ),
    ];
    for (k, g) in cases.iter().enumerate() {
        let xs = values(g.batch * g.c_in * g.in_vol(), 40 + k as u64);
        let ws = values(g.c_out * g.group_in() * g.taps(), 50 + k as u64);
        let bs = values(g.c_out, 60 + k as u64);
        let r = values(g.batch * g.c_out * g.out_vol(), 70 + k as u64);
        let [y, dx, dw, db] = run(g, &xs, &ws, &bs, &r, true);
        let what = format!("case {k}");
        assert_close(
            &y,
            &naive_conv3d(g, &xs, &ws, Some(&bs)),
            1e-5,
            &format!("{what}: forward"),
        );
        let [yg, dxg, dwg, dbg] = run(g, &xs, &ws, &bs, &r, false);
        assert_close(&yg, &y, 1e-5, &format!("{what}: generic forward"));
        assert_close(&dxg, &dx, 1e-4, &format!("{what}: generic dx"));
        assert_close(&dwg, &dw, 1e-4, &format!("{what}: generic dw"));
        assert_close(&dbg, &db, 1e-4, &format!("{what}: generic db"));
        let loss =
            |x: &[f32], w: &[f32], b: &[f32]| weighted_sum(&naive_conv3d(g, x, w, Some(b)), &r);
        let nx = numeric_grad(&xs, 1e-2, |v| loss(v, &ws, &bs));
        assert_close(&dx, &nx, 2e-3, &format!("{what}: dx by finite differences"));
        let nw = numeric_grad(&ws, 1e-2, |v| loss(&xs, v, &bs));
        assert_close(&dw, &nw, 2e-3, &format!("{what}: dw by finite differences"));
        let nb = numeric_grad(&bs, 1e-2, |v| loss(&xs, &ws, v));
        assert_close(&db, &nb, 2e-3, &format!("{what}: db by finite differences"));
    }
}

#[test]
fn the_lectures_2d_example_is_a_volume_of_depth_one() {
    // lecture §1: input [a b c d] [e f g h] [i j k l], kernel [w x] [y z]:
    // the first output is aw + bx + ey + fz; with depth 1 a 3D
    // convolution is the 2D one
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U1>, N<U3>, N<U4>), f32, Cpu> = dev.tensor_from_vec(
        (1..=12).map(|v| v as f32).collect(),
        (1, N::new(), N::new(), N::new(), N::new()),
    );
    let w: Tensor<(N<U1>, N<U1>, N<U1>, N<U2>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(vec![10., 20., 30., 40.], Default::default());
    let spec = Conv3dSpec::<(U1, U1, U1)>::new();
    let y: Tensor<(usize, N<U1>, N<U1>, N<U2>, N<U3>), f32, Cpu> =
        conv3d(x, &w, None, spec).unwrap();
    let (a, b, e, f) = (1., 2., 5., 6.);
    assert_eq!(y.as_vec()[0], a * 10. + b * 20. + e * 30. + f * 40.);
    assert_eq!(y.as_vec().len(), 6, "a 2x3 output");
}

/// Naive 3D pooling of one volume: max or mean (padding counted) per window.
fn naive_pool3d(g: &Conv3dGeom, kind: PoolKind, x: &[f32]) -> Vec<f32> {
    let mut out = Vec::new();
    for vol in x.chunks_exact(g.in_vol()) {
        for o in 0..g.out_vol() {
            let vals: Vec<f32> = (0..g.taps())
                .filter_map(|t| g.source(o, t))
                .map(|i| vol[i])
                .collect();
            out.push(match kind {
                PoolKind::Max => vals.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                _ => vals.iter().sum::<f32>() / g.taps() as f32,
            });
        }
    }
    out
}

#[test]
fn pool3d_matches_the_definition_the_generic_path_and_finite_differences() {
    let g = geom(
        2,
        3,
        3,
        1,
        [(4, 2, 2, 0, 1), (5, 3, 2, 1, 1), (6, 2, 2, 1, 1)],
    );
    let xs = values(g.batch * g.c_in * g.in_vol(), 80);
    let r = values(g.batch * g.c_out * g.out_vol(), 81);
    let dev: Cpu = Default::default();
    let [d, y, xa] = g.axes;
    let out = (g.batch, g.c_out, d.output, y.output, xa.output);
    for kind in [PoolKind::Max, PoolKind::Avg] {
        let run = |fast: bool| {
            let xt: Vol =
                dev.tensor_from_vec(xs.clone(), (g.batch, g.c_in, d.input, y.input, xa.input));
            let yt = if fast {
                pool3d_cpu(xt.leaky_trace(), kind, &g, out).unwrap()
            } else {
                generic::pool3d(xt.leaky_trace(), kind, &g, out).unwrap()
            };
            let yv = yt.as_vec();
            let grads = weighted_loss(yt, &r).backward();
            (yv, grads.get(&xt).as_vec())
        };
        let (yv, dx) = run(true);
        assert_close(
            &yv,
            &naive_pool3d(&g, kind, &xs),
            1e-6,
            &format!("{kind:?} forward"),
        );
        let (yg, dxg) = run(false);
        assert_close(&yg, &yv, 1e-6, &format!("{kind:?} generic forward"));
        assert_close(&dxg, &dx, 1e-5, &format!("{kind:?} generic gradient"));
        let numeric = numeric_grad(&xs, 1e-3, |v| weighted_sum(&naive_pool3d(&g, kind, v), &r));
        assert_close(&dx, &numeric, 2e-3, &format!("{kind:?} finite differences"));
    }
}

#[test]
fn bad_groups_and_windows_are_errors() {
    let dev: Cpu = Default::default();
    let x: Vol = dev.zeros_like(&(1, 3, 4, 4, 4));
    let w: Vol = dev.zeros_like(&(2, 2, 3, 3, 3));
    let e = conv3d(x.clone(), &w, None, Conv3dSpec::<(U1, U1, U1)>::new()).unwrap_err();
    assert!(e.to_string().contains("groups"), "{e}");
    let big: Vol = dev.zeros_like(&(2, 3, 5, 3, 3));
    let e = conv3d(x.clone(), &big, None, Conv3dSpec::<(U1, U1, U1)>::new()).unwrap_err();
    assert!(e.to_string().contains("conv3d"), "{e}");
    let e = max_pool3d(
        x,
        Pool3dSpec::<(U2, U2, U2), (U2, U2, U2), (U2, U0, U0)>::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("more than half"), "{e}");
}
