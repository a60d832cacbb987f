//! Skip connections and unpooling in declared networks: the shapes the
//! macro and the types compute, the values of the wiring against the same
//! pass written by hand, and gradients against finite differences.

use splotnet::layers::{center_crop, concat_channels, kind, BedOfNails, NearestUnpool, Pool2d};
use splotnet::ops::Pool2dSpec;
use splotnet::prelude::*;
use splotnet::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};
use splotnet::typenum::{U1, U12, U16, U2, U3, U4, U8};

network! {
    /// One U-Net level without padding: 12 → 10 → 8 (kept) → 4 → 2 → 4 up;
    /// the kept 8x8 maps are centre-cropped to 4x4 and stacked first.
    pub TinyUNet(input: [1, 12, 12]) {
        c1: conv(3, k = 3),
        c2: conv(3, k = 3),
        d1: tanh -> [3, 8, 8],
        avg_pool(k = 2),
        c3: conv(4, k = 3) -> [4, 2, 2],
        up: conv_transpose(2, k = 2, s = 2) -> [2, 4, 4],
        crop_concat(from = d1) -> [5, 4, 4],
        score: conv(2, k = 1),
    }
}

network! {
    /// FCN-style fusion: coarse maps unpooled and added to finer ones.
    pub Fusion(input: [2, 8, 8]) {
        fine: conv(3, k = 1) -> [3, 8, 8],
        avg_pool(k = 2),
        coarse: conv(3, k = 1) -> [3, 4, 4],
        nn_unpool(2) -> [3, 8, 8],
        add(from = fine),
        bed_of_nails((1, 2)) -> [3, 8, 16],
    }
}

type Image<C, S> = Tensor<(usize, N<C>, N<S>, N<S>), f32, Cpu>;

#[test]
fn the_crop_and_concat_net_has_the_declared_shapes_and_counts() {
    let s = TinyUNet::<f32, Cpu>::summary();
    assert_eq!(s.output(), [Some(2), Some(4), Some(4)]);
    let join = s
        .rows
        .iter()
        .find(|r| r.kind.starts_with("crop_concat"))
        .unwrap();
    assert_eq!(join.kind, "crop_concat(from = d1, 3x8x8)");
    assert_eq!(
        (join.output.as_slice(), join.params),
        (&[Some(5), Some(4), Some(4)][..], 0)
    );
    // 1·3·9+3, 3·3·9+3, 3·4·9+4, 4·2·4+2, 5·2+2
    assert_eq!(s.params(), 30 + 84 + 112 + 34 + 12);
}

#[test]
fn the_skip_joins_the_centre_of_the_kept_maps() {
    let dev: Cpu = Default::default();
    let net = TinyUNet::<f32, Cpu>::build(&dev);
    let x: Image<U1, U12> =
        dev.tensor_from_vec(values(2 * 144, 3), (2, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    // the same pass, written out
    let d1 = net
        .c2
        .try_forward(net.c1.try_forward(x).unwrap())
        .unwrap()
        .tanh();
    let pool = Pool2d::<kind::Avg, Pool2dSpec<U2>>::default();
    let c3 = net
        .c3
        .try_forward(pool.try_forward(d1.clone()).unwrap())
        .unwrap();
    let up = net.up.try_forward(c3).unwrap();
    let kept = center_crop(d1, N::<U4>::new(), N::<U4>::new()).unwrap();
    let joined = concat_channels(kept, up).unwrap();
    let want = net.score.try_forward(joined).unwrap();
    // (the network's first convolution may take another kernel path)
    assert_close(
        &y.as_vec(),
        &want.as_vec(),
        1e-5,
        "network against the written-out pass",
    );
}

#[test]
fn gradients_flow_through_both_paths() {
    let dev: Cpu = Default::default();
    let net = TinyUNet::<f32, Cpu>::build(&dev);
    let xv = values(144, 4);
    let r = values(2 * 16, 5);
    let x: Image<U1, U12> = dev.tensor_from_vec(xv.clone(), (1, N::new(), N::new(), N::new()));
    let y = net.forward(x.leaky_trace()).unwrap();
    let grads = weighted_loss(y, &r).backward();
    let analytic = grads.get(&x).as_vec();
    let numeric = numeric_grad(&xv, 1e-2, |v| {
        let x: Image<U1, U12> = dev.tensor_from_vec(v.to_vec(), (1, N::new(), N::new(), N::new()));
        weighted_sum(&net.forward(x).unwrap().as_vec(), &r)
    });
    assert_close(&analytic, &numeric, 2e-3, "input gradient");
    // the border of the input reaches the output only through the
    // up path; the centre also through the skip: both have gradients
    assert!(analytic.iter().all(|g| g.is_finite()) && analytic[0] != 0.0);
}

#[test]
fn fusion_unpools_adds_and_nails() {
    let dev: Cpu = Default::default();
    let net = Fusion::<f32, Cpu>::build(&dev);
    let x: Image<U2, U8> =
        dev.tensor_from_vec(values(2 * 64, 9), (1, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    let _: &Tensor<(usize, N<U3>, N<U8>, N<U16>), f32, Cpu> = &y;
    let fine = net.fine.try_forward(x).unwrap();
    let pool = Pool2d::<kind::Avg, Pool2dSpec<U2>>::default();
    let coarse = net
        .coarse
        .try_forward(pool.try_forward(fine.clone()).unwrap())
        .unwrap();
    let up = NearestUnpool::<U2, U2>::default()
        .try_forward(coarse)
        .unwrap();
    let sum = up + fine;
    let want = BedOfNails::<U1, U2>::default().try_forward(sum).unwrap();
    assert_close(
        &y.as_vec(),
        &want.as_vec(),
        1e-5,
        "network against the written-out pass",
    );
}

#[cfg(feature = "zoo")]
#[test]
fn the_papers_unet_maps_572_to_388_with_its_parameter_count() {
    let s = splotnet::zoo::unet::UNet::<f32, Cpu>::summary();
    assert_eq!(s.input, [Some(1), Some(572), Some(572)]);
    assert_eq!(s.output(), [Some(2), Some(388), Some(388)]);
    assert_eq!(s.params(), 31_030_658);
}
