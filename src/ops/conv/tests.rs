use dfdx::prelude::*;
use typenum::*;

use super::cpu;
use super::generic;
use super::*;
use crate::dims::N;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

/// The definition, one output at a time: no im2col, no GEMM.
fn naive_conv(g: &ConvGeom, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
    let (cg, og) = (g.group_in(), g.group_out());
    let mut y = vec![0.0; g.batch * g.out_len()];
    for n in 0..g.batch {
        for o in 0..g.c_out {
            let grp = o / og;
            for oy in 0..g.y.output {
                for ox in 0..g.x.output {
                    let mut acc = b.map_or(0.0, |b| b[o]);
                    for ci in 0..cg {
                        let c = grp * cg + ci;
                        for ky in 0..g.y.k {
                            for kx in 0..g.x.k {
                                let (ty, tx) = if g.flipped {
                                    (g.y.k - 1 - ky, g.x.k - 1 - kx)
                                } else {
                                    (ky, kx)
                                };
                                let iy = (oy * g.y.s + ty * g.y.d) as isize - g.y.p as isize;
                                let ix = (ox * g.x.s + tx * g.x.d) as isize - g.x.p as isize;
                                if iy < 0
                                    || ix < 0
                                    || iy >= g.y.input as isize
                                    || ix >= g.x.input as isize
                                {
                                    continue;
                                }
                                let xi = ((n * g.c_in + c) * g.y.input + iy as usize) * g.x.input
                                    + ix as usize;
                                let wi = ((o * cg + ci) * g.y.k + ky) * g.x.k + kx;
                                acc += x[xi] * w[wi];
                            }
                        }
                    }
                    y[((n * g.c_out + o) * g.y.output + oy) * g.x.output + ox] = acc;
                }
            }
        }
    }
    y
}

/// The transposed convolution by its definition: every small-map value
/// scatters a scaled kernel into the big map.
fn naive_conv_transpose(g: &ConvGeom, x: &[f32], w: &[f32], b: Option<&[f32]>) -> Vec<f32> {
    let (cg, og) = (g.group_in(), g.group_out());
    let mut y = vec![0.0; g.batch * g.in_len()];
    for n in 0..g.batch {
        for c in 0..g.c_in {
            let plane = &mut y[(n * g.c_in + c) * g.in_plane()..][..g.in_plane()];
            plane.fill(b.map_or(0.0, |b| b[c]));
        }
        for o in 0..g.c_out {
            let grp = o / og;
            for iy in 0..g.y.output {
                for ix in 0..g.x.output {
                    let v = x[((n * g.c_out + o) * g.y.output + iy) * g.x.output + ix];
                    for ci in 0..cg {
                        for ky in 0..g.y.k {
                            for kx in 0..g.x.k {
                                let oy = (iy * g.y.s + ky * g.y.d) as isize - g.y.p as isize;
                                let ox = (ix * g.x.s + kx * g.x.d) as isize - g.x.p as isize;
                                if oy < 0
                                    || ox < 0
                                    || oy >= g.y.input as isize
                                    || ox >= g.x.input as isize
                                {
                                    continue;
                                }
                                let c = grp * cg + ci;
                                let wi = ((o * cg + ci) * g.y.k + ky) * g.x.k + kx;
                                y[((n * g.c_in + c) * g.y.input + oy as usize) * g.x.input
                                    + ox as usize] += v * w[wi];
                            }
                        }
                    }
                }
            }
        }
    }
    y
}

fn axis(input: usize, k: usize, s: usize, p: usize, d: usize) -> AxisGeom {
    AxisGeom::sliding(input, k, s, p, d).unwrap()
}

/// Geometries covering stride, padding, dilation, groups, rectangular
/// kernels, 1x1, odd sizes, batch 1 and 3.
/// A correlation's geometry (neither flipped nor on data).
fn geom(
    batch: usize,
    c_in: usize,
    c_out: usize,
    groups: usize,
    y: AxisGeom,
    x: AxisGeom,
) -> ConvGeom {
    ConvGeom {
        batch,
        c_in,
        c_out,
        groups,
        y,
        x,
        flipped: false,
        data_input: false,
    }
}

fn grid() -> Vec<ConvGeom> {
    vec![
        geom(1, 1, 1, 1, axis(3, 2, 1, 0, 1), axis(4, 2, 1, 0, 1)),
        geom(3, 2, 3, 1, axis(7, 3, 1, 1, 1), axis(6, 3, 1, 1, 1)),
        geom(3, 3, 4, 1, axis(9, 3, 2, 0, 1), axis(8, 5, 3, 2, 1)),
        geom(2, 2, 2, 1, axis(9, 3, 1, 2, 2), axis(7, 2, 2, 1, 3)),
        geom(3, 4, 6, 2, axis(5, 3, 1, 1, 1), axis(6, 1, 1, 0, 1)),
        geom(1, 6, 6, 6, axis(5, 3, 2, 1, 1), axis(5, 3, 2, 1, 1)),
        geom(3, 5, 4, 1, axis(4, 1, 1, 0, 1), axis(5, 1, 1, 0, 1)),
        geom(2, 3, 2, 1, axis(1, 1, 1, 0, 1), axis(11, 4, 2, 1, 1)),
        // enough channels for the stride-1 input gradient to run as a correlation
        geom(2, 8, 8, 2, axis(6, 3, 1, 1, 1), axis(5, 3, 1, 1, 2)),
        // kernels covering the whole unpadded input (LeNet's C5): im2col is the input
        geom(3, 4, 6, 2, axis(5, 5, 1, 0, 1), axis(4, 4, 2, 0, 1)),
        // ...but not once padded
        geom(2, 2, 3, 1, axis(3, 3, 1, 1, 1), axis(3, 3, 1, 1, 1)),
        // stride 1 without padding: im2col's plain path, with output rows
        // longer than one vector and a remainder
        geom(3, 2, 3, 1, axis(6, 3, 1, 0, 1), axis(14, 3, 1, 0, 1)),
        // output channels in blocks of 16 on small unpadded maps: the
        // direct route, its tiles of 6 positions crossing rows, a partial
        // last tile, and two blocks
        geom(3, 2, 16, 1, axis(6, 3, 1, 0, 1), axis(9, 2, 1, 0, 1)),
        geom(2, 1, 32, 1, axis(4, 2, 1, 0, 1), axis(4, 3, 1, 0, 1)),
    ]
}

type Dyn4 = (usize, usize, usize, usize);

fn tensors(g: &ConvGeom, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    (
        values(g.batch * g.in_len(), seed),
        values(g.weight_len(), seed + 1),
        values(g.c_out, seed + 2),
    )
}

fn w_shape(g: &ConvGeom) -> Dyn4 {
    (g.c_out, g.group_in(), g.y.k, g.x.k)
}

/// Runs `Backend::conv` on Cpu (fast) or the generic path, returning y and
/// the gradients of `Σ y·r` for x, w, b.
fn run_conv(g: &ConvGeom, x: &[f32], w: &[f32], b: &[f32], r: &[f32], fast: bool) -> [Vec<f32>; 4] {
    let dev: Cpu = Default::default();
    let xt = dev.tensor_from_vec(x.to_vec(), (g.batch, g.c_in, g.y.input, g.x.input));
    let wt = dev.tensor_from_vec(w.to_vec(), w_shape(g));
    let bt = dev.tensor_from_vec(b.to_vec(), (g.c_out,));
    let out: Dyn4 = (g.batch, g.c_out, g.y.output, g.x.output);
    let xt_traced = xt.leaky_trace();
    let y = if fast {
        <Cpu as ConvKernel>::conv(xt_traced, &wt, Some(&bt), g, out).unwrap()
    } else {
        generic::conv_forward(xt_traced, &wt, Some(&bt), g, out).unwrap()
    };
    let y_vals = y.as_vec();
    let grads = weighted_loss(y, r).backward();
    [
        y_vals,
        grads.get(&xt).as_vec(),
        grads.get(&wt).as_vec(),
        grads.get(&bt).as_vec(),
    ]
}

#[test]
fn fast_and_generic_paths_match_the_naive_oracle() {
    for (i, mut g) in grid().into_iter().enumerate() {
        for flipped in [false, true] {
            g.flipped = flipped;
            let (x, w, b) = tensors(&g, i as u64 * 10);
            let expect = naive_conv(&g, &x, &w, Some(&b));
            let r = values(expect.len(), 99);
            let fast = run_conv(&g, &x, &w, &b, &r, true);
            let gen = run_conv(&g, &x, &w, &b, &r, false);
            assert_close(
                &fast[0],
                &expect,
                1e-4,
                &format!("fast forward, case {i} {g:?}"),
            );
            assert_close(
                &gen[0],
                &expect,
                1e-4,
                &format!("generic forward, case {i}"),
            );
            for k in 1..4 {
                assert_close(&fast[k], &gen[k], 1e-4, &format!("gradient {k}, case {i}"));
            }
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    for (i, mut g) in grid().into_iter().enumerate() {
        g.flipped = i % 2 == 1;
        let (x, w, b) = tensors(&g, 7 + i as u64);
        let r = values(g.batch * g.out_len(), 3);
        let [_, dx, dw, db] = run_conv(&g, &x, &w, &b, &r, true);
        let loss =
            |x: &[f32], w: &[f32], b: &[f32]| weighted_sum(&naive_conv(&g, x, w, Some(b)), &r);
        let eps = 1e-2;
        assert_close(
            &dx,
            &numeric_grad(&x, eps, |v| loss(v, &w, &b)),
            2e-3,
            &format!("dx, case {i}"),
        );
        assert_close(
            &dw,
            &numeric_grad(&w, eps, |v| loss(&x, v, &b)),
            2e-3,
            &format!("dw, case {i}"),
        );
        assert_close(
            &db,
            &numeric_grad(&b, eps, |v| loss(&x, &w, v)),
            2e-3,
            &format!("db, case {i}"),
        );
    }
}

#[test]
fn lecture_worked_example_cross_correlation() {
    // input rows [a b c d] [e f g h] [i j k l], kernel [w x] [y z]:
    // the 2x3 output's first cell is aw + bx + ey + fz.
    let dev: Cpu = Default::default();
    let input: [f32; 12] = [1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12.];
    let kernel: [f32; 4] = [2., 3., 5., 7.];
    let x: Tensor<(usize, N<U1>, N<U3>, N<U4>), f32, Cpu> =
        dev.tensor_from_vec(input.to_vec(), (1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U1>, N<U1>, N<U2>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(kernel.to_vec(), Default::default());
    let y: Tensor<(usize, N<U1>, N<U2>, N<U3>), f32, Cpu> =
        conv2d(x, &w, None, <Conv2dSpec>::new()).unwrap();
    let cell = |r: usize, c: usize| {
        let at = |i: usize, j: usize| input[(r + i) * 4 + c + j];
        at(0, 0) * kernel[0] + at(0, 1) * kernel[1] + at(1, 0) * kernel[2] + at(1, 1) * kernel[3]
    };
    assert_eq!(y.as_vec()[0], 1. * 2. + 2. * 3. + 5. * 5. + 6. * 7.);
    let expect: Vec<f32> = (0..2)
        .flat_map(|r| (0..3).map(move |c| (r, c)))
        .map(|(r, c)| cell(r, c))
        .collect();
    assert_eq!(y.as_vec(), expect);
}

#[test]
fn lecture_worked_example_transposed_convolution() {
    // input [0 1] [2 3], kernel [0 1] [2 3], stride 1 -> [0 0 1] [0 4 6] [4 12 9]
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U2>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(vec![0., 1., 2., 3.], (1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U1>, N<U1>, N<U2>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(vec![0., 1., 2., 3.], Default::default());
    let y: Tensor<(usize, N<U1>, N<U3>, N<U3>), f32, Cpu> =
        conv_transpose2d(x.clone(), &w, None, <ConvTranspose2dSpec>::new()).unwrap();
    let expect = vec![0., 0., 1., 0., 4., 6., 4., 12., 9.];
    assert_eq!(y.as_vec(), expect);
    let dyn_x = x.reshape_like(&(1usize, 1usize, 2usize, 2usize));
    let g = ConvGeom {
        batch: 1,
        c_in: 1,
        c_out: 1,
        groups: 1,
        y: axis(3, 2, 1, 0, 1),
        x: axis(3, 2, 1, 0, 1),
        flipped: false,
        data_input: false,
    };
    let y_gen = generic::conv_transpose_forward(
        dyn_x,
        &w,
        None::<&Tensor<(usize,), f32, Cpu>>,
        &g,
        (1usize, 1usize, 3usize, 3usize),
    )
    .unwrap();
    assert_eq!(y_gen.as_vec(), expect);
}

/// Transposed geometries: (big, small) axes with output padding folded in.
fn transposed_grid() -> Vec<ConvGeom> {
    let t = |small: usize, k: usize, s: usize, p: usize, d: usize, op: usize| {
        let big = crate::formula::conv_transpose_out(small, k, s, p, d, op).unwrap();
        AxisGeom {
            input: big,
            output: small,
            k,
            s,
            p,
            d,
        }
    };
    vec![
        geom(1, 1, 1, 1, t(2, 2, 1, 0, 1, 0), t(2, 2, 1, 0, 1, 0)),
        geom(3, 3, 2, 1, t(4, 2, 2, 0, 1, 0), t(3, 3, 2, 1, 1, 1)),
        geom(2, 4, 6, 2, t(3, 3, 1, 1, 2, 0), t(5, 4, 3, 2, 1, 2)),
    ]
}

#[test]
fn transposed_convolution_matches_oracle_generic_path_and_finite_differences() {
    let dev: Cpu = Default::default();
    for (i, g) in transposed_grid().into_iter().enumerate() {
        let x = values(g.batch * g.out_len(), 40 + i as u64);
        let w = values(g.weight_len(), 41 + i as u64);
        let b = values(g.c_in, 42 + i as u64);
        let expect = naive_conv_transpose(&g, &x, &w, Some(&b));
        let r = values(expect.len(), 5);
        let run = |fast: bool| {
            let xt = dev.tensor_from_vec(x.clone(), (g.batch, g.c_out, g.y.output, g.x.output));
            let wt = dev.tensor_from_vec(w.clone(), w_shape(&g));
            let bt = dev.tensor_from_vec(b.clone(), (g.c_in,));
            let out: Dyn4 = (g.batch, g.c_in, g.y.input, g.x.input);
            let y = if fast {
                <Cpu as ConvKernel>::conv_transpose(xt.leaky_trace(), &wt, Some(&bt), &g, out)
                    .unwrap()
            } else {
                generic::conv_transpose_forward(xt.leaky_trace(), &wt, Some(&bt), &g, out).unwrap()
            };
            let yv = y.as_vec();
            let grads = weighted_loss(y, &r).backward();
            [
                yv,
                grads.get(&xt).as_vec(),
                grads.get(&wt).as_vec(),
                grads.get(&bt).as_vec(),
            ]
        };
        let fast = run(true);
        let gen = run(false);
        assert_close(
            &fast[0],
            &expect,
            1e-4,
            &format!("fast transposed forward, case {i}"),
        );
        assert_close(
            &gen[0],
            &expect,
            1e-4,
            &format!("generic transposed forward, case {i}"),
        );
        let loss = |x: &[f32], w: &[f32], b: &[f32]| {
            weighted_sum(&naive_conv_transpose(&g, x, w, Some(b)), &r)
        };
        let numeric = [
            numeric_grad(&x, 1e-2, |v| loss(v, &w, &b)),
            numeric_grad(&w, 1e-2, |v| loss(&x, v, &b)),
            numeric_grad(&b, 1e-2, |v| loss(&x, &w, v)),
        ];
        for k in 0..3 {
            assert_close(
                &fast[k + 1],
                &numeric[k],
                2e-3,
                &format!("fast grad {k}, case {i}"),
            );
            assert_close(
                &gen[k + 1],
                &numeric[k],
                2e-3,
                &format!("generic grad {k}, case {i}"),
            );
        }
    }
}

#[test]
fn true_convolution_is_correlation_with_the_rotated_kernel() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U2>, N<U6>, N<U5>), f32, Cpu> =
        dev.tensor_from_vec(values(3 * 2 * 30, 1), (3, N::new(), N::new(), N::new()));
    let wv = values(4 * 2 * 3 * 2, 2);
    let w: Tensor<(N<U4>, N<U2>, N<U3>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(wv.clone(), Default::default());
    let rotated: Vec<f32> = wv
        .chunks(6)
        .flat_map(|k| k.iter().rev().copied().collect::<Vec<_>>())
        .collect();
    let w_rot: Tensor<(N<U4>, N<U2>, N<U3>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(rotated, Default::default());
    let spec = Conv2dSpec::<U1, U1, U1, U0>::new();
    let a = convolve2d(x.clone(), &w, None, spec).unwrap();
    let b = conv2d(x, &w_rot, None, spec).unwrap();
    assert_eq!(a.shape().concrete(), [3, 4, 6, 4]);
    assert_close(
        &a.as_vec(),
        &b.as_vec(),
        1e-5,
        "convolve vs rotated correlation",
    );
}

#[test]
fn true_convolution_matches_the_1d_definition() {
    // (x * w)(t) = Σ_a x(a) w(t - a), "full" mode: pad K-1 on both sides.
    let dev: Cpu = Default::default();
    let xv = [1.0f32, 2., -1., 3.];
    let wv = [0.5f32, -2., 1.];
    let x: Tensor<(usize, N<U1>, N<U1>, N<U4>), f32, Cpu> =
        dev.tensor_from_vec(xv.to_vec(), (1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U1>, N<U1>, N<U1>, N<U3>), f32, Cpu> =
        dev.tensor_from_vec(wv.to_vec(), Default::default());
    let y = convolve2d(x, &w, None, Conv2dSpec::<U1, U1, U0, U2>::new()).unwrap();
    let expect: Vec<f32> = (0..6)
        .map(|t: usize| {
            (0..4)
                .filter(|&a| t >= a && t - a < 3)
                .map(|a| xv[a] * wv[t - a])
                .sum()
        })
        .collect();
    assert_eq!(y.shape().concrete(), [1, 1, 1, 6]);
    assert_close(&y.as_vec(), &expect, 1e-6, "1D full convolution");
}

#[test]
fn static_and_runtime_dims_give_the_same_result() {
    let dev: Cpu = Default::default();
    let xv = values(3 * 3 * 11 * 9, 5);
    let wv = values(4 * 3 * 3 * 3, 6);
    let spec = Conv2dSpec::<U2, U1, U1, U0, U1, U2>::new();
    let xs: Tensor<(usize, N<U3>, N<U11>, N<U9>), f32, Cpu> =
        dev.tensor_from_vec(xv.clone(), (3, N::new(), N::new(), N::new()));
    let ws: Tensor<(N<U4>, N<U3>, N<U3>, N<U3>), f32, Cpu> =
        dev.tensor_from_vec(wv.clone(), Default::default());
    // H: (11 + 2 - 3)/2 + 1 = 6; W: (9 - 5)/1 + 1 = 5
    let ys: Tensor<(usize, N<U4>, N<U6>, N<U5>), f32, Cpu> = conv2d(xs, &ws, None, spec).unwrap();
    let xd = dev.tensor_from_vec(xv, (3usize, 3usize, 11usize, 9usize));
    let wd = dev.tensor_from_vec(wv, (4usize, 3usize, 3usize, 3usize));
    let yd = conv2d(xd, &wd, None, spec).unwrap();
    assert_eq!(yd.shape().concrete(), [3, 4, 6, 5]);
    assert_eq!(ys.as_vec(), yd.as_vec());
}

#[test]
fn conv1d_matches_conv2d_on_one_row() {
    let dev: Cpu = Default::default();
    let xv = values(3 * 4 * 13, 8);
    let wv = values(6 * 2 * 3, 9);
    let bv = values(6, 10);
    let x1: Tensor<(usize, N<U4>, N<U13>), f32, Cpu> =
        dev.tensor_from_vec(xv.clone(), (3, N::new(), N::new()));
    let w1: Tensor<(N<U6>, N<U2>, N<U3>), f32, Cpu> =
        dev.tensor_from_vec(wv.clone(), Default::default());
    let b: Tensor<(N<U6>,), f32, Cpu> = dev.tensor_from_vec(bv, Default::default());
    // stride 2, padding 1, dilation 2, 2 groups: (13 + 2 - 5)/2 + 1 = 6
    let y1: Tensor<(usize, N<U6>, N<U6>), f32, Cpu, OwnedTape<f32, Cpu>> = conv1d(
        x1.leaky_trace(),
        &w1,
        Some(&b),
        Conv1dSpec::<U2, U1, U2, U2>::new(),
    )
    .unwrap();
    let x2: Tensor<(usize, N<U4>, N<U1>, N<U13>), f32, Cpu> =
        dev.tensor_from_vec(xv, (3, N::new(), N::new(), N::new()));
    let w2: Tensor<(N<U6>, N<U2>, N<U1>, N<U3>), f32, Cpu> =
        dev.tensor_from_vec(wv, Default::default());
    let y2 = conv2d(
        x2,
        &w2,
        Some(&b),
        Conv2dSpec::<U1, U2, U0, U1, U1, U2, U2>::new(),
    )
    .unwrap();
    assert_eq!(y1.as_vec(), y2.as_vec());
    let grads = y1.sum().backward();
    assert_eq!(grads.get(&w1).shape().concrete(), [6, 2, 3]);
}

#[test]
fn runtime_sizes_that_break_a_rule_are_errors_not_panics() {
    let dev: Cpu = Default::default();
    let x = dev.zeros_like(&(2usize, 3usize, 4usize, 4usize));
    let w = dev.zeros_like(&(5usize, 3usize, 5usize, 5usize));
    let err = conv2d(x.clone(), &w, None, <Conv2dSpec>::new()).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    let w_bad = dev.zeros_like(&(5usize, 2usize, 3usize, 3usize));
    let err = conv2d(x.clone(), &w_bad, None, <Conv2dSpec>::new()).unwrap_err();
    assert!(err.to_string().contains("input has 3"), "{err}");
    // exact rounding rejects 4 + 0 - 3 = 1 not divisible by 2
    let w3 = dev.zeros_like(&(5usize, 3usize, 3usize, 3usize));
    let err = conv2d(
        x.clone(),
        &w3,
        None,
        Conv2dSpec::<U2, U2, U0, U0, U1, U1, U1, crate::formula::Exact>::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("exact"), "{err}");
    // groups must divide the output channels
    let w_g = dev.zeros_like(&(5usize, 1usize, 3usize, 3usize));
    let err = conv2d(
        x,
        &w_g,
        None,
        Conv2dSpec::<U1, U1, U0, U0, U1, U1, U3>::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("groups"), "{err}");
}

#[test]
fn accumulating_forward_adds_to_existing_output() {
    let g = grid()[1];
    let (x, w, b) = tensors(&g, 77);
    let mut y = vec![1.0; g.batch * g.out_len()];
    cpu::forward(&g, &x, &w, Some(&b), &mut y, true);
    let expect: Vec<f32> = naive_conv(&g, &x, &w, Some(&b))
        .iter()
        .map(|v| v + 1.0)
        .collect();
    assert_close(&y, &expect, 1e-4, "accumulate");
}

/// Every route a Cpu call can take, built by hand so that each one runs
/// here whatever the core count and batch ([`Plan::choose`] would pick one).
fn every_route(g: &ConvGeom) -> Vec<(&'static str, strategy::Plan)> {
    let one = strategy::Plan {
        images_per_task: 1,
        gemm_threads: 1,
        images_per_gemm: 1,
        rotated_data_grad: false,
        winograd: false,
        tapwise: false,
        direct: false,
    };
    use strategy::Plan;
    vec![
        ("per image, a task each", one),
        (
            "per image, the batch in one task",
            Plan {
                images_per_task: g.batch,
                ..one
            },
        ),
        (
            "per image, GEMM on two threads",
            Plan {
                gemm_threads: 2,
                ..one
            },
        ),
        (
            "batched by 2",
            Plan {
                images_per_task: g.batch,
                images_per_gemm: 2,
                ..one
            },
        ),
        (
            "batched by 3, tasks of 2",
            Plan {
                images_per_task: 2,
                images_per_gemm: 3,
                ..one
            },
        ),
        (
            "rotated input gradient",
            Plan {
                rotated_data_grad: true,
                ..one
            },
        ),
        (
            "Winograd where it fits, rotated input gradient",
            Plan {
                images_per_task: 2,
                rotated_data_grad: true,
                winograd: true,
                ..one
            },
        ),
        (
            "tap by tap where there is padding",
            Plan {
                images_per_task: 2,
                tapwise: true,
                ..one
            },
        ),
        (
            "direct where it fits",
            Plan {
                images_per_task: 2,
                direct: true,
                ..one
            },
        ),
        (
            "rotated input gradient, batched",
            Plan {
                images_per_task: g.batch,
                images_per_gemm: 2,
                rotated_data_grad: true,
                ..one
            },
        ),
    ]
}

#[test]
fn every_route_matches_the_oracle_and_finite_differences() {
    let (mut rotated_runs, mut tapwise_runs, mut direct_runs) = (0, 0, 0);
    for (i, g) in grid().iter().enumerate() {
        let (x, w, b) = tensors(g, 40 + i as u64);
        let r = values(g.batch * g.out_len(), 90 + i as u64);
        let y0 = values(g.batch * g.out_len(), 70 + i as u64);
        let want_y = naive_conv(g, &x, &w, Some(&b));
        let want_dx = naive_conv_transpose(g, &r, &w, None);
        let loss_w = |w: &[f32]| weighted_sum(&naive_conv(g, &x, w, None), &r);
        let fd_dw = numeric_grad(&w, 1e-2, loss_w);
        let loss_x = |x: &[f32]| weighted_sum(&naive_conv(g, x, &w, None), &r);
        let fd_dx = numeric_grad(&x, 1e-2, loss_x);
        if super::rotated::geometry(g).is_some() {
            rotated_runs += 1;
        }
        if super::tapwise::fits(g) {
            tapwise_runs += 1;
        }
        if super::direct::fits(g) {
            direct_runs += 1;
        }
        for (route, plan) in every_route(g) {
            let what = |t: &str| format!("geometry {i}, {route}: {t}");
            let mut y = vec![f32::NAN; want_y.len()];
            cpu::forward_with(&plan, g, &x, &w, Some(&b), &mut y, false);
            assert_close(&y, &want_y, 1e-5, &what("y"));
            let mut acc = y0.clone();
            cpu::forward_with(&plan, g, &x, &w, Some(&b), &mut acc, true);
            let want_acc: Vec<f32> = y0.iter().zip(&want_y).map(|(a, b)| a + b).collect();
            assert_close(&acc, &want_acc, 1e-5, &what("y += conv"));
            let mut dx = vec![0.0; x.len()];
            cpu::backward_data_with(&plan, g, &w, &r, &mut dx);
            assert_close(&dx, &want_dx, 1e-5, &what("dx against the oracle"));
            assert_close(&dx, &fd_dx, 2e-2, &what("dx against finite differences"));
            let mut dw = vec![0.0; w.len()];
            cpu::backward_filter_with(&plan, g, &x, &r, &mut dw);
            assert_close(&dw, &fd_dw, 2e-2, &what("dw against finite differences"));
        }
    }
    assert!(
        rotated_runs >= 3,
        "the grid reaches the rotated route: {rotated_runs}"
    );
    assert!(
        tapwise_runs >= 3,
        "the grid reaches the tap-by-tap route: {tapwise_runs}"
    );
    assert!(
        direct_runs >= 2,
        "the grid reaches the direct route: {direct_runs}"
    );
}

/// Winograd on maps of many tiles: blocks that span images, partial tiles
/// at the right and bottom edges, padding 0 to 2, and enough channels for
/// [`Plan::choose`](strategy::Plan::choose) to pick it.
///
/// F(4x4, 3x3) rounds more than the direct sum (see
/// [`set_winograd`](super::set_winograd)), and its error scales with the
/// sums' terms, not with each result: a weight gradient that cancels to
/// near zero keeps the error of its large terms. So the tolerance is
/// relative to the largest value of each result.
#[test]
fn winograd_matches_the_oracle_over_blocks_edges_and_padding() {
    let cases = [
        geom(3, 16, 17, 1, axis(30, 3, 1, 1, 1), axis(21, 3, 1, 0, 1)),
        geom(2, 16, 16, 1, axis(9, 3, 1, 2, 1), axis(14, 3, 1, 1, 1)),
        geom(5, 3, 20, 1, axis(5, 3, 1, 1, 1), axis(3, 3, 1, 1, 1)),
    ];
    for (i, g) in cases.iter().enumerate() {
        let (x, w, b) = tensors(g, 300 + i as u64);
        let r = values(g.batch * g.out_len(), 400 + i as u64);
        let plan = strategy::Plan {
            images_per_task: 2,
            gemm_threads: 1,
            images_per_gemm: 1,
            rotated_data_grad: true,
            winograd: true,
            tapwise: false,
            direct: false,
        };
        let direct = strategy::Plan {
            winograd: false,
            ..plan
        };
        let what = |t: &str| format!("case {i}: {t}");
        let assert_close = |a: &[f32], b: &[f32], what: &str| {
            let largest = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            assert_close(a, b, 2e-5 * largest, what)
        };
        let mut y = vec![f32::NAN; g.batch * g.out_len()];
        cpu::forward_with(&plan, g, &x, &w, Some(&b), &mut y, false);
        assert_close(&y, &naive_conv(g, &x, &w, Some(&b)), &what("y"));
        let mut dx = vec![0.5; x.len()];
        cpu::backward_data_with(&plan, g, &w, &r, &mut dx);
        let want: Vec<f32> = naive_conv_transpose(g, &r, &w, None)
            .iter()
            .map(|v| v + 0.5)
            .collect();
        assert_close(&dx, &want, &what("dx"));
        // the direct route's weight gradient is checked against finite
        // differences in `every_route_matches_the_oracle_and_finite_differences`
        let mut dw = vec![0.25; w.len()];
        cpu::backward_filter_with(&plan, g, &x, &r, &mut dw);
        let mut want = vec![0.25; w.len()];
        cpu::backward_filter_with(&direct, g, &x, &r, &mut want);
        assert_close(&dw, &want, &what("dw"));
    }
    let chosen = strategy::Plan::choose(&cases[0]);
    assert!(chosen.winograd, "16 channels each way take Winograd");
}
