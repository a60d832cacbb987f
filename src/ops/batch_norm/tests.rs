use dfdx::prelude::*;

use super::*;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

const DIMS: [usize; 3] = [3, 4, 5];

/// The paper's algorithm 1, one value at a time in f64: `(y, batch mean,
/// biased batch variance)`; with `stats`, the given statistics instead.
fn naive(x: &[f32], g: &[f32], b: &[f32], stats: Option<(&[f32], &[f32])>) -> Vec<f32> {
    let [n, c, p] = DIMS;
    let at = |i: usize, ch: usize, q: usize| x[(i * c + ch) * p + q] as f64;
    let mut y = vec![0.0; x.len()];
    for ch in 0..c {
        let (mean, var) = match stats {
            Some((m, v)) => (m[ch] as f64, v[ch] as f64),
            None => {
                let all: Vec<f64> = (0..n)
                    .flat_map(|i| (0..p).map(move |q| (i, q)))
                    .map(|(i, q)| at(i, ch, q))
                    .collect();
                let mean = all.iter().sum::<f64>() / all.len() as f64;
                let var = all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / all.len() as f64;
                (mean, var)
            }
        };
        for i in 0..n {
            for q in 0..p {
                let xhat = (at(i, ch, q) - mean) / (var + 1e-5).sqrt();
                y[(i * c + ch) * p + q] = (g[ch] as f64 * xhat + b[ch] as f64) as f32;
            }
        }
    }
    y
}

struct Case {
    x: Vec<f32>,
    g: Vec<f32>,
    b: Vec<f32>,
    mean: Vec<f32>,
    var: Vec<f32>,
    r: Vec<f32>,
}

fn case() -> Case {
    let [n, c, p] = DIMS;
    Case {
        x: values(n * c * p, 11)
            .iter()
            .map(|v| v * 3.0 + 1.0)
            .collect(),
        g: vec![0.5, 1.5, -1.0, 2.0],
        b: vec![0.1, -0.2, 0.3, 0.0],
        mean: vec![0.2, -0.1, 0.4, 1.0],
        var: vec![1.5, 0.5, 2.0, 0.8],
        r: values(n * c * p, 12),
    }
}

type Maps = Tensor<(usize, usize, usize), f32, Cpu>;

/// `(y, dx, dγ, dβ, running mean, running var)` of one pass, on the Cpu
/// kernel (`fast`) or the generic path.
fn run(c: &Case, train: bool, fast: bool) -> [Vec<f32>; 6] {
    let dev: Cpu = Default::default();
    let [n, ch, p] = DIMS;
    let x: Maps = dev.tensor_from_vec(c.x.clone(), (n, ch, p));
    let g = dev.tensor_from_vec(c.g.clone(), (ch,));
    let b = dev.tensor_from_vec(c.b.clone(), (ch,));
    let mut m = dev.tensor_from_vec(c.mean.clone(), (ch,));
    let mut v = dev.tensor_from_vec(c.var.clone(), (ch,));
    let y = match (train, fast) {
        (false, true) => batch_norm_eval(x.leaky_trace(), &g, &b, (&m, &v), 1e-5).unwrap(),
        (false, false) => generic::eval(x.leaky_trace(), &g, &b, (&m, &v), 1e-5, DIMS).unwrap(),
        (true, true) => {
            batch_norm_train(x.leaky_trace(), &g, &b, (&mut m, &mut v), 1e-5, 0.1).unwrap()
        }
        (true, false) => {
            generic::train(x.leaky_trace(), &g, &b, (&mut m, &mut v), 1e-5, 0.1, DIMS).unwrap()
        }
    };
    let yv = y.as_vec();
    let grads = weighted_loss(y, &c.r).backward();
    [
        yv,
        grads.get(&x).as_vec(),
        grads.get(&g).as_vec(),
        grads.get(&b).as_vec(),
        m.as_vec(),
        v.as_vec(),
    ]
}

#[test]
fn matches_the_formula_and_the_generic_path() {
    let c = case();
    for train in [false, true] {
        let fast = run(&c, train, true);
        let slow = run(&c, train, false);
        let want = match train {
            true => naive(&c.x, &c.g, &c.b, None),
            false => naive(&c.x, &c.g, &c.b, Some((&c.mean, &c.var))),
        };
        assert_close(&fast[0], &want, 1e-5, "y against the formula");
        for (i, what) in ["y", "dx", "dgamma", "dbeta", "running mean", "running var"]
            .iter()
            .enumerate()
        {
            assert_close(
                &fast[i],
                &slow[i],
                1e-4,
                &format!("{what} (train {train}): Cpu against generic"),
            );
        }
    }
}

#[test]
fn running_statistics_move_with_momentum_and_the_unbiased_variance() {
    let c = case();
    let [n, ch, p] = DIMS;
    let [_, _, _, _, mean, var] = run(&c, true, true);
    let count = (n * p) as f64;
    for k in 0..ch {
        let vals: Vec<f64> = (0..n)
            .flat_map(|i| (0..p).map(move |q| (i, q)))
            .map(|(i, q)| c.x[(i * ch + k) * p + q] as f64)
            .collect();
        let m = vals.iter().sum::<f64>() / count;
        let v = vals.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (count - 1.0);
        assert!((mean[k] as f64 - (0.9 * c.mean[k] as f64 + 0.1 * m)).abs() < 1e-5);
        assert!((var[k] as f64 - (0.9 * c.var[k] as f64 + 0.1 * v)).abs() < 1e-4);
    }
    // inference leaves them alone
    let [_, _, _, _, mean, var] = run(&c, false, true);
    assert_eq!((mean, var), (c.mean.clone(), c.var.clone()));
}

#[test]
fn gradients_match_finite_differences() {
    let c = case();
    for train in [false, true] {
        let [_, dx, dg, db, _, _] = run(&c, train, true);
        let loss = |x: &[f32], g: &[f32], b: &[f32]| {
            let d = Case {
                x: x.to_vec(),
                g: g.to_vec(),
                b: b.to_vec(),
                mean: c.mean.clone(),
                var: c.var.clone(),
                r: c.r.clone(),
            };
            weighted_sum(&run(&d, train, true)[0], &c.r)
        };
        let nx = numeric_grad(&c.x, 1e-2, |x| loss(x, &c.g, &c.b));
        let ng = numeric_grad(&c.g, 1e-2, |g| loss(&c.x, g, &c.b));
        let nb = numeric_grad(&c.b, 1e-2, |b| loss(&c.x, &c.g, b));
        assert_close(&dx, &nx, 5e-3, &format!("dx (train {train})"));
        assert_close(&dg, &ng, 5e-3, &format!("dgamma (train {train})"));
        assert_close(&db, &nb, 5e-3, &format!("dbeta (train {train})"));
    }
}

#[test]
fn sizes_that_do_not_fit_are_errors() {
    let dev: Cpu = Default::default();
    let x: Maps = dev.tensor_from_vec(vec![1.0; 6], (1, 2, 3));
    let (g, b) = (dev.ones_like(&(2,)), dev.zeros_like(&(2,)));
    let (m, v) = (dev.zeros_like(&(2,)), dev.ones_like(&(2,)));
    let err = Cpu::batch_norm_eval(x, &g, &b, (&m, &v), 1e-5, [1, 2, 4]).unwrap_err();
    assert!(err.to_string().contains("do not make"), "{err}");
}
