use super::cpu::fast_tanh;
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
