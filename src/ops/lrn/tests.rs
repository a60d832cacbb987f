use dfdx::prelude::*;
use typenum::*;

use super::*;
use crate::dims::N;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

/// The lecture's formula, one output at a time.
fn naive_lrn(p: &Lrn, [b, c, q]: [usize; 3], x: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0; x.len()];
    for n in 0..b {
        for i in 0..c {
            for pos in 0..q {
                let at = |ch: usize| x[(n * c + ch) * q + pos];
                let lo = i.saturating_sub(p.n / 2);
                let hi = (i + p.n / 2).min(c - 1);
                let s: f32 = (lo..=hi).map(|j| at(j) * at(j)).sum();
                y[(n * c + i) * q + pos] = at(i) / (p.k + p.alpha * s).powf(p.beta);
            }
        }
    }
    y
}

fn run(p: &Lrn, dims: [usize; 3], x: &[f32], r: &[f32], fast: bool) -> [Vec<f32>; 2] {
    let dev: Cpu = Default::default();
    let xt = dev.tensor_from_vec(x.to_vec(), (dims[0], dims[1], dims[2], 1usize));
    let y = if fast {
        local_response_norm(xt.leaky_trace(), p).unwrap()
    } else {
        generic::lrn(xt.leaky_trace(), p, dims).unwrap()
    };
    let yv = y.as_vec();
    let grads = weighted_loss(y, r).backward();
    [yv, grads.get(&xt).as_vec()]
}

#[test]
fn matches_the_formula_the_generic_path_and_finite_differences() {
    // strong alpha so the normalisation matters; windows of 5 and 3, and one wider than C
    let cases = [
        (
            Lrn {
                n: 5,
                k: 2.0,
                alpha: 0.3,
                beta: 0.75,
            },
            [3, 7, 4],
        ),
        (
            Lrn {
                n: 3,
                k: 1.0,
                alpha: 0.5,
                beta: 0.5,
            },
            [1, 4, 6],
        ),
        (
            Lrn {
                n: 9,
                k: 1.5,
                alpha: 0.2,
                beta: 1.0,
            },
            [2, 3, 5],
        ),
        (Lrn::ALEXNET, [2, 8, 3]),
    ];
    for (i, (p, dims)) in cases.into_iter().enumerate() {
        let x: Vec<f32> = values(dims.iter().product(), i as u64)
            .iter()
            .map(|v| v * 2.0)
            .collect();
        let expect = naive_lrn(&p, dims, &x);
        let r = values(x.len(), 50);
        let fast = run(&p, dims, &x, &r, true);
        let gen = run(&p, dims, &x, &r, false);
        assert_close(&fast[0], &expect, 1e-5, &format!("fast forward case {i}"));
        assert_close(&gen[0], &expect, 1e-5, &format!("generic forward case {i}"));
        assert_close(&fast[1], &gen[1], 1e-4, &format!("gradients case {i}"));
        let numeric = numeric_grad(&x, 1e-2, |v| weighted_sum(&naive_lrn(&p, dims, v), &r));
        assert_close(
            &fast[1],
            &numeric,
            2e-3,
            &format!("finite differences case {i}"),
        );
    }
}

#[test]
fn worked_example_with_hand_arithmetic() {
    // three channels of one pixel, a = [1, 2, 3], n = 3, k = 1, alpha = 1, beta = 1:
    // b0 = 1 / (1 + 1 + 4) , b1 = 2 / (1 + 1 + 4 + 9), b2 = 3 / (1 + 4 + 9)
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U3>, N<U1>, N<U1>), f32, Cpu> =
        dev.tensor_from_vec(vec![1., 2., 3.], (1, N::new(), N::new(), N::new()));
    let p = Lrn {
        n: 3,
        k: 1.0,
        alpha: 1.0,
        beta: 1.0,
    };
    let y = local_response_norm(x, &p).unwrap();
    assert_close(
        &y.as_vec(),
        &[1.0 / 6.0, 2.0 / 15.0, 3.0 / 14.0],
        1e-6,
        "hand example",
    );
}

#[test]
fn invalid_parameters_are_errors() {
    let dev: Cpu = Default::default();
    let x = dev.zeros_like(&(1usize, 2usize, 2usize, 2usize));
    let err = local_response_norm(
        x,
        &Lrn {
            n: 0,
            ..Lrn::ALEXNET
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("n >= 1"), "{err}");
}
