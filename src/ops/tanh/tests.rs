use super::cpu::fast_tanh;
use super::*;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

#[test]
fn fast_tanh_matches_libm_everywhere() {
    use crate::ops::simd::{Fused, Madd, Separate};
    fn worst<M: Madd>() -> f32 {
        let mut worst = 0.0f32;
        let mut x = -12.0f32;
        while x <= 12.0 {
            worst = worst.max((fast_tanh::<M>(x) - x.tanh()).abs());
            x += 1e-4;
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
            worst = worst.max((fast_tanh::<M>(x) - x.tanh()).abs());
        }
        assert!(fast_tanh::<M>(f32::NAN).is_nan());
        assert_eq!(
            fast_tanh::<M>(1e-30),
            1e-30,
            "tiny inputs come back exactly"
        );
        assert!(fast_tanh::<M>(9.0) <= 1.0 && fast_tanh::<M>(-9.0) >= -1.0);
        worst
    }
    // both builds: fused multiply-adds (AVX2 + FMA) and separate ones
    for (build, worst) in [
        ("fused", worst::<Fused>()),
        ("separate", worst::<Separate>()),
    ] {
        assert!(worst < 5e-7, "{build}: max abs error {worst}");
    }
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
                generic::scaled_tanh(x.leaky_trace(), a, s)
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

/// Gradients of `x`, `w` and `b` under `Σ r·y` for `y` from `run`.
fn conv_grads(
    run: impl Fn(
        Tensor<(usize, usize, usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
        &Tensor<(usize, usize, usize, usize), f32, Cpu>,
        &Tensor<(usize,), f32, Cpu>,
    ) -> Tensor<(usize, usize, usize, usize), f32, Cpu, OwnedTape<f32, Cpu>>,
    data_input: bool,
) -> Vec<Vec<f32>> {
    let dev: Cpu = Default::default();
    let (shape, wshape) = ((3, 2, 9, 8), (4, 2, 3, 3));
    let x = dev.tensor_from_vec(values(3 * 2 * 9 * 8, 1), shape);
    let w = dev.tensor_from_vec(values(4 * 2 * 9, 2), wshape);
    let b = dev.tensor_from_vec(values(4, 3), (4,));
    let y = run(x.leaky_trace(), &w, &b);
    let r = values(y.shape().num_elements(), 4);
    let yv = y.as_vec();
    let g = weighted_loss(y, &r).backward();
    let mut out = vec![yv, g.get(&w).as_vec(), g.get(&b).as_vec()];
    if !data_input {
        out.push(g.get(&x).as_vec());
    }
    out
}

#[test]
fn a_squashed_convolution_equals_the_convolution_then_the_squash() {
    use crate::ops::{Conv2dSpec, TryConv2d};
    let spec = Conv2dSpec::<typenum::U1, typenum::U2, typenum::U1>::new();
    for (q, data_input) in [(Squash::LECUN, false), (Squash::TANH, true)] {
        let fused = conv_grads(
            |x, w, b| {
                x.try_conv2d_squashed(w, Some(b), spec, q, data_input)
                    .unwrap()
            },
            data_input,
        );
        let apart = conv_grads(
            |x, w, b| {
                let y = if data_input {
                    x.try_conv2d_on_data(w, Some(b), spec)
                } else {
                    x.try_conv2d(w, Some(b), spec)
                };
                y.unwrap().try_scaled_tanh(q.a, q.s).unwrap()
            },
            data_input,
        );
        for (what, (f, a)) in ["y", "dw", "db", "dx"].iter().zip(fused.iter().zip(&apart)) {
            assert_close(f, a, 1e-5, &format!("{what}, {q:?}"));
        }
        // and the generic path's fallback, squash applied apart
        let generic = q.apply(Cpu::default().tensor([0.5f32, -2.0])).unwrap();
        assert_close(
            &generic.as_vec(),
            &[q.a * (0.5 * q.s).tanh(), q.a * (-2.0 * q.s).tanh()],
            1e-6,
            "apply",
        );
    }
}

#[test]
fn a_squashed_subsampling_equals_the_subsampling_then_the_squash() {
    use crate::layers::{SquashedForward, Subsample2d};
    use crate::prelude::N;
    use typenum::{U2, U3, U8};
    let dev: Cpu = Default::default();
    let mut s2 = Subsample2d::<U3, U2, f32, Cpu>::build(&dev);
    s2.bias = dev.tensor_from_vec(values(3, 5), (N::new(),));
    let x: Tensor<(usize, N<U3>, N<U8>, N<U8>), f32, Cpu> =
        dev.tensor_from_vec(values(2 * 3 * 64, 6), (2, N::new(), N::new(), N::new()));
    let run = |fused: bool| {
        let mut grads = s2.alloc_grads();
        let y = if fused {
            s2.try_forward_then(x.trace(grads), Some(Squash::LECUN), false)
        } else {
            s2.try_forward_then(x.trace(grads), None, false)
                .and_then(|y| y.try_scaled_tanh(Squash::LECUN.a, Squash::LECUN.s))
        }
        .unwrap();
        let yv = y.as_vec();
        // the same weights for both runs: the seed, not the size, fixes them
        let r = values(yv.len(), 7);
        grads = weighted_loss(y, &r).backward();
        [
            yv,
            grads.get(&s2.weight).as_vec(),
            grads.get(&s2.bias).as_vec(),
        ]
    };
    let (fused, apart) = (run(true), run(false));
    for (what, (f, a)) in ["y", "da", "db"].iter().zip(fused.iter().zip(&apart)) {
        assert_close(f, a, 1e-5, what);
    }
}
