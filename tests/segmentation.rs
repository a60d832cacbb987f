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

network! {
    /// SegNet's decoder step: unpool with the encoder pool's switches.
    pub SegNetLevel(input: [2, 8, 8]) {
        enc: conv(3, k = 3, p = 1),
        p1: max_pool(k = 2) -> [3, 4, 4],
        mid: conv(3, k = 1),
        max_unpool(from = p1) -> [3, 8, 8],
        dec: conv(2, k = 3, p = 1),
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

#[test]
fn max_unpooling_puts_values_back_at_the_pools_maxima() {
    let dev: Cpu = Default::default();
    let net = SegNetLevel::<f32, Cpu>::build(&dev);
    let x: Image<U2, U8> =
        dev.tensor_from_vec(values(2 * 64, 12), (1, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    let enc = net.enc.try_forward(x).unwrap();
    let (pooled, switches) =
        splotnet::ops::max_pool2d_switched(enc, Pool2dSpec::<U2>::new()).unwrap();
    let mid = net.mid.try_forward(pooled).unwrap();
    let back: Image<U3, U8> = splotnet::ops::max_unpool2d(mid, &switches).unwrap();
    // a quarter of the unpooled values are set, the rest are zeros
    let set = back.as_vec().iter().filter(|v| **v != 0.0).count();
    assert_eq!(set, 3 * 16);
    let want = net.dec.try_forward(back).unwrap();
    assert_close(
        &y.as_vec(),
        &want.as_vec(),
        1e-5,
        "network against the written-out pass",
    );
    let s = SegNetLevel::<f32, Cpu>::summary();
    assert_eq!(s.rows[3].kind, "MaxUnpool (switches of p1)");
}

network! {
    /// FCN's upsampling: a transposed convolution without bias.
    pub Upsample(input: [2, 4, 4]) {
        up: conv_transpose(3, k = 4, s = 2, p = 1, bias = false) -> [3, 8, 8],
    }
}

#[test]
fn a_transposed_convolution_without_bias_has_only_its_kernels() {
    let s = Upsample::<f32, Cpu>::summary();
    assert_eq!(s.params(), 2 * 3 * 4 * 4);
    assert_eq!(s.rows[0].kind, "ConvTranspose2d 4x4 (no bias)");
    let dev: Cpu = Default::default();
    let net = Upsample::<f32, Cpu>::build(&dev);
    let names: Vec<String> = splotnet::state_dict::tensor_shapes(&net)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["up.weight"]);
    // zero input, zero output: no bias is added
    let x: Image<U2, U4> = dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    assert!(net.forward(x).unwrap().as_vec().iter().all(|v| *v == 0.0));
}

network! {
    /// A small FCN: scores upsampled 2x, fused with the finer pool's
    /// scores, upsampled 2x again and cropped back to the input where the
    /// two line up (5 pixels in: the padding of 5, less what the kernels
    /// shift the centres).
    pub TinyFcn(input: [1, 16, 16]) {
        c1: conv(4, k = 3, p = 5) -> [4, 24, 24],
        p1: max_pool(k = 2, ceil) -> [4, 12, 12],
        c2: conv(4, k = 3) -> [4, 10, 10],
        max_pool(k = 2, ceil) -> [4, 5, 5],
        score: conv(2, k = 1),
        up2: conv_transpose(2, k = 4, s = 2, bias = false) -> [2, 12, 12],
        #[key = ""]
        fuse: add(from = p1) { score_p1: conv(2, k = 1) },
        up: conv_transpose(2, k = 4, s = 2, bias = false) -> [2, 26, 26],
        crop(to = input) -> [2, 16, 16],
    }
}

network! {
    /// A crop moves where the maps sit: cropped to the input once, a
    /// second crop to the input keeps everything.
    pub TwiceCropped(input: [1, 16, 16]) {
        c1: conv(2, k = 3, p = 3) -> [2, 20, 20],
        crop(to = input) -> [2, 16, 16],
        crop(to = input),
    }
}

#[test]
fn a_crop_moves_the_alignment_by_its_offset() {
    let s = TwiceCropped::<f32, Cpu>::summary();
    let kinds: Vec<&str> = s.rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds[1..],
        ["Crop to input at (2, 2)", "Crop to input at (0, 0)"]
    );
}

#[test]
fn fcn_fusion_and_the_aligned_crop() {
    let s = TinyFcn::<f32, Cpu>::summary();
    assert_eq!(s.rows.last().unwrap().kind, "Crop to input at (5, 5)");
    let fuse = s.row("fuse").unwrap();
    assert_eq!(fuse.kind, "add(from = p1, 4x12x12) via score_p1");
    let dev: Cpu = Default::default();
    let net = TinyFcn::<f32, Cpu>::build(&dev);
    let names: Vec<String> = splotnet::state_dict::tensor_shapes(&net)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"score_p1.weight".to_string()), "{names:?}");
    let x: Image<U1, U16> = dev.tensor_from_vec(values(256, 21), (1, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    let pool = Pool2d::<kind::Max, Pool2dSpec<U2>>::default();
    let p1 = pool.try_forward(net.c1.try_forward(x).unwrap()).unwrap();
    let p2 = pool
        .try_forward(net.c2.try_forward(p1.clone()).unwrap())
        .unwrap();
    let up2 = net
        .up2
        .try_forward(net.score.try_forward(p2).unwrap())
        .unwrap();
    let fused = up2 + net.fuse.score_p1.try_forward(p1).unwrap();
    let up = net.up.try_forward(fused).unwrap();
    let want: Image<U2, U16> = splotnet::layers::crop_at::<
        splotnet::typenum::U5,
        splotnet::typenum::U5,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
    >(up, (N::new(), N::new()))
    .unwrap();
    assert_close(
        &y.as_vec(),
        &want.as_vec(),
        1e-5,
        "network against the written-out pass",
    );
}

network! {
    /// A small 3D network for 8-frame 16x16 clips: the sizes along depth,
    /// height and width are each the formula's.
    pub Clip3d(input: [1, 8, 16, 16]) {
        c1: conv3d(4, k = 3, p = 1) -> [4, 8, 16, 16],
        bn1: batch_norm,
        relu,
        max_pool(k = (1, 2, 2)) -> [4, 8, 8, 8],
        c2: conv(6, k = (3, 3, 3), s = (2, 1, 1)) -> [6, 3, 6, 6],
        avg_pool(k = 3) -> [6, 1, 2, 2],
        global_avg_pool,
        fc: linear(3),
    }
}

#[test]
fn volumes_go_through_3d_layers_with_the_formula_per_axis() {
    let s = Clip3d::<f32, Cpu>::summary();
    assert_eq!(s.input, [Some(1), Some(8), Some(16), Some(16)]);
    assert_eq!(s.row("c1").unwrap().kind, "Conv3d 3x3x3");
    // 4·1·27 + 4, γ and β of 4, 6·4·27 + 6, 6·3 + 3
    assert_eq!(s.params(), 112 + 8 + 654 + 21);
    let dev: Cpu = Default::default();
    let mut net = Clip3d::<f32, Cpu>::build(&dev);
    type Clip = Tensor<(usize, N<U1>, N<U8>, N<U16>, N<U16>), f32, Cpu>;
    let x: Clip = dev.tensor_from_vec(
        values(2 * 8 * 256, 5),
        (2, N::new(), N::new(), N::new(), N::new()),
    );
    let y = net.forward(x.clone()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 3]);
    // the same pass, written out with the 3D ops and the maps view
    use splotnet::layers::{maps_as_vol, vol_as_maps, Pool3d};
    use splotnet::ops::Pool3dSpec;
    let (maps, dh) = vol_as_maps(net.c1.try_forward(x.clone()).unwrap()).unwrap();
    let normed = maps_as_vol(net.bn1.try_forward(maps).unwrap(), dh)
        .unwrap()
        .relu();
    let pooled = Pool3d::<kind::Max, Pool3dSpec<(U1, U2, U2)>>::default()
        .try_forward(normed)
        .unwrap();
    let c2 = net.c2.try_forward(pooled).unwrap();
    let avg = Pool3d::<kind::Avg, Pool3dSpec<(U3, U3, U3)>>::default()
        .try_forward(c2)
        .unwrap();
    let want = net.fc.try_forward(avg.mean::<_, Axes3<2, 3, 4>>()).unwrap();
    assert_close(
        &y.as_vec(),
        &want.as_vec(),
        1e-5,
        "network against the written-out pass",
    );
    // a training pass reaches the first layer's filters
    let grads = net
        .forward_train(x.traced(net.alloc_grads()))
        .unwrap()
        .sum()
        .backward();
    assert!(grads.get(&net.c1.weight).as_vec().iter().any(|g| *g != 0.0));
}
