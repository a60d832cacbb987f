use dfdx::prelude::*;
use typenum::{U1, U2, U3, U4, U5, U7};

use super::*;
use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};

// 7919 is prime and larger than every `n` here, so `i·7919 mod n` permutes `0..n`

/// The definition, one output at a time.
fn naive(
    x: &[f32],
    (b, c, h, w): (usize, usize, usize, usize),
    (oh, ow): (usize, usize),
    max: bool,
) -> Vec<f32> {
    let mut y = Vec::new();
    for plane in x.chunks_exact(h * w).take(b * c) {
        for oy in 0..oh {
            let (y0, y1) = window(oy, h, oh);
            for ox in 0..ow {
                let (x0, x1) = window(ox, w, ow);
                let vals: Vec<f32> = (y0..y1)
                    .flat_map(|iy| (x0..x1).map(move |ix| plane[iy * w + ix]))
                    .collect();
                y.push(if max {
                    vals.iter().copied().fold(f32::NEG_INFINITY, f32::max)
                } else {
                    vals.iter().sum::<f32>() / vals.len() as f32
                });
            }
        }
    }
    y
}

#[test]
fn windows_follow_pytorchs_rule() {
    // 14 -> 4 (GoogLeNet's auxiliary heads): four windows of 4, overlapping
    let w14: Vec<_> = (0..4).map(|i| window(i, 14, 4)).collect();
    assert_eq!(w14, [(0, 4), (3, 7), (7, 11), (10, 14)]);
    // 5 -> 3: sizes 2, 3, 2; every input covered
    assert_eq!(
        (0..3).map(|i| window(i, 5, 3)).collect::<Vec<_>>(),
        [(0, 2), (1, 4), (3, 5)]
    );
    // divisible: plain non-overlapping pooling
    assert_eq!(
        (0..2).map(|i| window(i, 6, 2)).collect::<Vec<_>>(),
        [(0, 3), (3, 6)]
    );
    // more outputs than inputs: windows of one, repeated
    assert_eq!(
        (0..3).map(|i| window(i, 2, 3)).collect::<Vec<_>>(),
        [(0, 1), (0, 2), (1, 2)]
    );
}

fn check_case<H: ConstDim, W: ConstDim, OH: crate::dims::Size, OW: crate::dims::Size>(seed: u64) {
    let dev: Cpu = Default::default();
    let (b, c, h, w) = (2, 3, H::SIZE, W::SIZE);
    // distinct values 0.01 apart in a scrambled order: a finite-difference
    // step of 1e-3 cannot swap a window's maximum
    let n = b * c * h * w;
    let xs: Vec<f32> = (0..n)
        .map(|i| ((i * 7919 + seed as usize) % n) as f32 * 0.01 - 0.005 * n as f32)
        .collect();
    let x: Tensor<(usize, usize, H, W), f32, Cpu> =
        dev.tensor_from_vec(xs.clone(), (b, c, H::default(), W::default()));
    let r = values(b * c * OH::USIZE * OW::USIZE, seed + 7);
    for max in [false, true] {
        let what = |t: &str| {
            format!(
                "{h}x{w} -> {}x{} {}: {t}",
                OH::USIZE,
                OW::USIZE,
                if max { "max" } else { "avg" }
            )
        };
        let run = |x: Tensor<(usize, usize, H, W), f32, Cpu, OwnedTape<f32, Cpu>>| -> Tensor<(usize, usize, N<OH>, N<OW>), f32, Cpu, OwnedTape<f32, Cpu>> {
            if max { adaptive_max_pool2d(x).unwrap() } else { adaptive_avg_pool2d(x).unwrap() }
        };
        let y = run(x.leaky_trace());
        let want = naive(&xs, (b, c, h, w), (OH::USIZE, OW::USIZE), max);
        assert_close(&y.as_vec(), &want, 1e-6, &what("values"));
        let dx = weighted_loss(y, &r).backward().get(&x).as_vec();
        let fd = numeric_grad(&xs, 1e-3, |v| {
            weighted_sum(&naive(v, (b, c, h, w), (OH::USIZE, OW::USIZE), max), &r)
        });
        assert_close(&dx, &fd, 1e-2, &what("gradient against finite differences"));
    }
}

#[test]
fn values_and_gradients_match_the_definition() {
    check_case::<Const<14>, Const<14>, U4, U4>(1);
    check_case::<Const<5>, Const<7>, U3, U2>(2);
    check_case::<Const<6>, Const<6>, U2, U3>(3);
    check_case::<Const<2>, Const<3>, U3, U5>(4);
    check_case::<Const<7>, Const<7>, U7, U7>(5);
    check_case::<Const<3>, Const<3>, U1, U1>(6);
}

#[test]
fn empty_maps_are_errors_not_panics() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, usize, usize, usize), f32, Cpu> = dev.zeros_like(&(1, 1, 0, 4));
    let err = adaptive_avg_pool2d::<_, _, _, _, U2, U2, _, _>(x).unwrap_err();
    assert!(
        err.to_string().contains("cannot pool 0x4 maps to 2x2"),
        "{err}"
    );
}
