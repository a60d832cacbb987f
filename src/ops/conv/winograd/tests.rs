//! The transforms against their definitions; whole convolutions by this
//! route are checked against the naive oracle in `conv::tests`.

use super::tiles::TileGrid;
use super::transform::*;
use crate::ops::conv::geom::{AxisGeom, ConvGeom};
use crate::testing::assert_close;

fn values<const N: usize>(seed: u32) -> [f32; N] {
    std::array::from_fn(|i| {
        let h = (i as u32)
            .wrapping_mul(2_654_435_761)
            .wrapping_add(seed * 97);
        (h % 2001) as f32 / 1000.0 - 1.0
    })
}

/// `Aᵀ[(G g) ⊙ (Bᵀ d)]` is the correlation of six inputs with three taps.
#[test]
fn forward_transforms_compute_a_correlation() {
    for seed in 0..20 {
        let (d, k) = (values::<SPAN>(seed), values::<TAPS>(seed + 100));
        let (dt, kt) = (input_1d(d), kernel_1d(k));
        let y = output_1d(std::array::from_fn(|i| dt[i] * kt[i]));
        let want: [f32; TILE] = std::array::from_fn(|i| (0..TAPS).map(|j| d[i + j] * k[j]).sum());
        assert_close(&y, &want, 2e-6, &format!("seed {seed}"));
    }
}

/// `Gᵀ[(A dy) ⊙ (Bᵀ d)]` is the gradient of that correlation in its taps.
#[test]
fn gradient_transforms_compute_the_kernel_gradient() {
    for seed in 0..20 {
        let (d, dy) = (values::<SPAN>(seed), values::<TILE>(seed + 200));
        let (dt, qt) = (input_1d(d), output_grad_1d(dy));
        let dk = kernel_grad_1d(std::array::from_fn(|i| dt[i] * qt[i]));
        let want: [f32; TAPS] = std::array::from_fn(|j| (0..TILE).map(|i| dy[i] * d[i + j]).sum());
        assert_close(&dk, &want, 2e-6, &format!("seed {seed}"));
    }
}

/// The lane type computes what `f32` computes, lane by lane.
#[test]
fn lanes_transform_like_scalars() {
    let d: [Lanes; SPAN] = std::array::from_fn(|i| Lanes(values::<LANES>(i as u32)));
    let out = input_1d(d);
    for lane in 0..LANES {
        let scalar = input_1d(std::array::from_fn(|i| d[i].0[lane]));
        let lanes: [f32; SPAN] = std::array::from_fn(|i| out[i].0[lane]);
        assert_eq!(lanes, scalar, "lane {lane}");
    }
}

#[test]
fn tiles_number_row_by_row_then_image_by_image() {
    let axis = |n| AxisGeom::sliding(n, 3, 1, 1, 1).expect("valid axis");
    let g = ConvGeom {
        batch: 2,
        c_in: 1,
        c_out: 1,
        groups: 1,
        y: axis(7),
        x: axis(9),
        flipped: false,
        data_input: false,
    };
    // 7x9 outputs: 2 rows of 3 tiles, the last row and column partial
    let grid = TileGrid::new(&g);
    assert_eq!(grid.per_image, 6);
    let t = grid.locate(10);
    assert_eq!((t.image, t.row, t.col), (1, 4, 4));
}
