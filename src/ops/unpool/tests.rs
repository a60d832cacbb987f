use dfdx::prelude::*;
use typenum::*;

use super::*;
use crate::dims::N;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

/// The definition, one output at a time, from the output's coordinates.
fn naive(kind: Unpool, g: &UnpoolGeom, x: &[f32]) -> Vec<f32> {
    let (oh, ow) = (g.h * g.sy, g.w * g.sx);
    let mut y = Vec::new();
    for plane in x.chunks(g.h * g.w) {
        for oy in 0..oh {
            for ox in 0..ow {
                let v = plane[(oy / g.sy) * g.w + ox / g.sx];
                let kept = kind == Unpool::Nearest || (oy % g.sy == 0 && ox % g.sx == 0);
                y.push(if kept { v } else { 0.0 });
            }
        }
    }
    y
}

/// Output and input gradient for loss `Σ y·r`, through the Cpu kernel or
/// the generic path.
fn run(kind: Unpool, g: &UnpoolGeom, x: &[f32], r: &[f32], fast: bool) -> [Vec<f32>; 2] {
    let dev: Cpu = Default::default();
    let xt = dev.tensor_from_vec(x.to_vec(), (g.batch, g.channels, g.h, g.w));
    let out = (g.batch, g.channels, g.oh(), g.ow());
    let y = if fast {
        unpool_cpu(xt.leaky_trace(), kind, g, out).unwrap()
    } else {
        generic::unpool(xt.leaky_trace(), kind, g, out).unwrap()
    };
    let yv = y.as_vec();
    let grads = weighted_loss(y, r).backward();
    [yv, grads.get(&xt).as_vec()]
}

#[test]
fn matches_the_definition_the_generic_path_and_finite_differences() {
    let geoms = [(2, 3, 4, 5, 2, 2), (1, 2, 3, 3, 3, 2), (2, 1, 1, 4, 1, 3)];
    for (i, &(batch, channels, h, w, sy, sx)) in geoms.iter().enumerate() {
        let g = UnpoolGeom {
            batch,
            channels,
            h,
            w,
            sy,
            sx,
        };
        let x = values(batch * channels * h * w, 10 + i as u64);
        let r = values(batch * channels * g.oh() * g.ow(), 20 + i as u64);
        for kind in [Unpool::Nearest, Unpool::BedOfNails] {
            let what = format!("{kind:?} {g:?}");
            let [y, dx] = run(kind, &g, &x, &r, true);
            assert_eq!(y, naive(kind, &g, &x), "{what}: forward");
            let [yg, dxg] = run(kind, &g, &x, &r, false);
            assert_eq!(yg, y, "{what}: generic forward");
            assert_close(&dxg, &dx, 1e-5, &format!("{what}: generic gradient"));
            let numeric = numeric_grad(&x, 1e-2, |x| weighted_sum(&naive(kind, &g, x), &r));
            assert_close(&dx, &numeric, 1e-3, &format!("{what}: finite differences"));
        }
    }
}

#[test]
fn the_lectures_unpoolings_of_a_2x2_map() {
    // lecture §7: nearest neighbour copies into the window, bed of nails
    // keeps one corner; a 2x2 input [1 2] [3 4] unpooled by 2
    let g = UnpoolGeom {
        batch: 1,
        channels: 1,
        h: 2,
        w: 2,
        sy: 2,
        sx: 2,
    };
    let x = [1., 2., 3., 4.];
    let ones = [1.0; 16];
    let [nn, dnn] = run(Unpool::Nearest, &g, &x, &ones, true);
    #[rustfmt::skip]
    assert_eq!(nn, [
        1., 1., 2., 2.,
        1., 1., 2., 2.,
        3., 3., 4., 4.,
        3., 3., 4., 4.,
    ]);
    assert_eq!(dnn, [4.0; 4], "each input reaches its four copies");
    let [nails, dnails] = run(Unpool::BedOfNails, &g, &x, &ones, true);
    #[rustfmt::skip]
    assert_eq!(nails, [
        1., 0., 2., 0.,
        0., 0., 0., 0.,
        3., 0., 4., 0.,
        0., 0., 0., 0.,
    ]);
    assert_eq!(dnails, [1.0; 4], "each input reaches its one nail");
}

#[test]
fn static_and_runtime_sizes_agree() {
    let dev: Cpu = Default::default();
    let v = values(2 * 3 * 3 * 2, 7);
    let xs: Tensor<(usize, N<U3>, N<U3>, N<U2>), f32, Cpu> =
        dev.tensor_from_vec(v.clone(), (2, N::new(), N::new(), N::new()));
    let ys: Tensor<(usize, N<U3>, N<U6>, N<U6>), f32, Cpu> =
        nearest_unpool2d::<U2, U3, _, _, _, _, _, _>(xs).unwrap();
    let xr: Tensor<(usize, usize, usize, usize), f32, Cpu> = dev.tensor_from_vec(v, (2, 3, 3, 2));
    let yr = nearest_unpool2d::<U2, U3, _, _, _, _, _, _>(xr).unwrap();
    assert_eq!(yr.shape().concrete(), [2, 3, 6, 6]);
    assert_eq!(yr.as_vec(), ys.as_vec());
}

#[test]
fn a_zero_factor_is_an_error() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, usize, usize, usize), f32, Cpu> = dev.zeros_like(&(1, 1, 2, 2));
    let e = bed_of_nails2d::<U0, U2, _, _, _, _, _, _>(x).unwrap_err();
    assert!(e.to_string().contains("at least 1"), "{e}");
}
