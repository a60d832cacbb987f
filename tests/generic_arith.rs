//! Generic blocks with every kind of block inside and channel arithmetic:
//! Inception-style concat and DenseNet layers written once and used at two
//! channel counts, and ResNet-50's bottleneck (`C / 4` inside, `C * 4` out).

mod common;

use splotnet::prelude::*;
use typenum::{U16, U256, U32, U64, U8};

network! {
    /// Inception-style: branches on the input, stacked along channels.
    pub block Mix(input: [C, H, W]) {
        m: concat {
            one: [a: conv(C / 2, k = 1), relu],
            three: [b: conv(C, k = 3, p = 1), relu],
            pool: [max_pool(k = 3, s = 1, p = 1), c: conv(8, k = 1)],
        },
    }
}

network! {
    /// A DenseNet block whose growth is a quarter of its input.
    pub block Grow(input: [C, H, W]) {
        d: dense(layers = 2) {
            bn: batch_norm, relu, c: conv(C / 4, k = 3, p = 1),
        },
    }
}

network! {
    /// ResNet-50's bottleneck on `C = 4·width` channels: 1x1 down to the
    /// width, 3x3, 1x1 back up, identity shortcut.
    pub block Bottleneck(input: [C, H, W]) {
        body: residual {
            a: conv(C / 4, k = 1, bias = false), bn1: batch_norm, relu,
            b: conv(C / 4, k = 3, p = 1, bias = false), bn2: batch_norm, relu,
            c: conv(C, k = 1, bias = false), bn3: batch_norm,
        },
        relu,
    }
}

network! {
    /// A stage's first bottleneck: from `C` to `4·C` channels at stride 2.
    pub block BottleneckDown(input: [C, H, W]) {
        body: residual(project) {
            a: conv(C, k = 1, bias = false), bn1: batch_norm, relu,
            b: conv(C, k = 3, s = 2, p = 1, bias = false), bn2: batch_norm, relu,
            c: conv(C * 4, k = 1, bias = false), bn3: batch_norm,
        },
        relu,
    }
}

network! {
    /// A whole stage as one block, from blocks: down to `4·C` channels,
    /// then a bottleneck at that width.
    pub block StageOf(input: [C, H, W]) {
        down: block(BottleneckDown) -> [C * 4, H, W],
        more: block(Bottleneck) -> [C * 4, H, W],
    }
}

network! {
    /// Two stages built from the stage block.
    Stages(input: [16, 16, 16]) {
        s1: block(StageOf) -> [64, 8, 8],
        s2: block(StageOf) -> [256, 4, 4],
        global_avg_pool,
        fc: linear(10),
    }
}

network! {
    /// A ResNet-50-like stage: 64 -> 256 channels, then bottlenecks at 256.
    Stage(input: [64, 16, 16]) {
        down: block(BottleneckDown) -> [256, 8, 8],
        b1: block(Bottleneck) -> [256, 8, 8],
        b2: block(Bottleneck) -> [256, 8, 8],
        global_avg_pool,
        fc: linear(10),
    }
}

network! {
    /// The concat and dense blocks at two channel counts each.
    Twice(input: [3, 12, 12]) {
        stem: conv(16, k = 3, p = 1),
        m1: block(Mix) -> [32, 12, 12],
        g1: block(Grow) -> [48, 12, 12],
        m2: block(Mix) -> [80, 12, 12],
        g2: block(Grow) -> [120, 12, 12],
        global_avg_pool,
        fc: linear(4),
    }
}

type Maps<C, H> = Tensor<(usize, N<C>, N<H>, N<H>), f32, Cpu>;

#[test]
fn a_generic_concat_equals_its_branches_stacked() {
    let dev = Cpu::seed_from_u64(5);
    let mix = Mix::<U16, f32, Cpu>::build(&dev);
    let x: Maps<U16, U8> = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y = mix.try_forward(x.clone()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 16 / 2 + 16 + 8, 8, 8]);
    let one = mix.m.one.a.forward(x.clone()).relu();
    let three = mix.m.three.b.forward(x.clone()).relu();
    let pooled = splotnet::ops::max_pool2d(
        x,
        splotnet::ops::Pool2dSpec::<
            typenum::U3,
            typenum::U3,
            typenum::U1,
            typenum::U1,
            typenum::U1,
            typenum::U1,
        >::new(),
    )
    .unwrap();
    let pool = mix.m.pool.c.forward(pooled);
    let want = ((one, three).concat_along(Axis::<1>), pool).concat_along(Axis::<1>);
    common::assert_close(&y.as_vec(), &want.as_vec(), 1e-6, "concat of branches");
    // at 32 channels the same block has other parameter shapes
    let wide = Mix::<U32, f32, Cpu>::build(&dev);
    assert_eq!(wide.m.one.a.weight.shape().concrete(), [16, 32, 1, 1]);
    assert_eq!(
        Mix::<U32, f32, Cpu>::param_count() as usize,
        wide.num_trainable_params()
    );
    assert_eq!(
        Mix::<U16, f32, Cpu>::param_count() as usize,
        mix.num_trainable_params()
    );
}

#[test]
fn a_generic_dense_block_grows_by_its_arithmetic() {
    let dev = Cpu::seed_from_u64(6);
    let g = Grow::<U32, f32, Cpu>::build(&dev);
    // layer 0 grows 32 by 8, layer 1 sees 40 and grows it by 32 / 4 = 8
    assert_eq!(g.d.layer0.c.weight.shape().concrete(), [8, 32, 3, 3]);
    assert_eq!(g.d.layer1.c.weight.shape().concrete(), [8, 40, 3, 3]);
    let x: Maps<U32, U8> = dev.sample_normal_like(&(1, N::new(), N::new(), N::new()));
    let y = g.try_forward(x.clone()).unwrap();
    assert_eq!(y.shape().concrete(), [1, 48, 8, 8]);
    common::assert_close(
        &y.as_vec()[..32 * 64],
        &x.as_vec(),
        0.0,
        "dense block passes its input",
    );
    assert_eq!(
        Grow::<U32, f32, Cpu>::param_count() as usize,
        g.num_trainable_params()
    );
}

#[test]
fn a_bottleneck_stage_counts_and_trains() {
    let dev = Cpu::seed_from_u64(7);
    // torchvision's Bottleneck(256, 64): 3 convs without bias and 3 batch norms
    let per_block = 256 * 64 + 64 * 64 * 9 + 64 * 256 + 2 * (64 + 64 + 256);
    assert_eq!(
        Bottleneck::<U256, f32, Cpu>::param_count(),
        per_block as u64
    );
    let b = Bottleneck::<U256, f32, Cpu>::build(&dev);
    assert_eq!(b.num_trainable_params(), per_block);
    assert_eq!(b.body.b.weight.shape().concrete(), [64, 64, 3, 3]);
    let down = BottleneckDown::<U64, f32, Cpu>::build(&dev);
    assert_eq!(
        down.body.shortcut.weight.shape().concrete(),
        [256, 64, 1, 1]
    );
    let summary = Stage::<f32, Cpu>::summary();
    let stage = Stage::<f32, Cpu>::build(&dev);
    assert_eq!(summary.params() as usize, stage.num_trainable_params());
    // multiply-adds of one bottleneck at 8x8: its convs and batch norms
    let macs = 64 * (256 * 64 + 64 * 64 * 9 + 64 * 256) + 2 * 64 * (64 + 64 + 256);
    assert_eq!(
        Bottleneck::<U256, f32, Cpu>::mult_adds(8, 8),
        Some(macs as u64)
    );
    assert_eq!(Bottleneck::<U256, f32, Cpu>::mult_adds(0, 8), None);

    let mut net = stage;
    let x: Maps<U64, U16> = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y: Tensor<(usize, N<typenum::U10>), f32, Cpu> = net.forward(x.clone()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 10]);
    let targets = common::onehot::<N<typenum::U10>>(&dev, &[3, 7]);
    let losses = common::train_adam(&mut net, &x, &targets, 3, 1e-3, |n, x| {
        n.forward_train(x).unwrap()
    });
    assert!(losses[2] < losses[0], "loss falls: {losses:?}");
}

#[test]
fn blocks_of_two_channel_counts_sum_in_one_network() {
    let dev = Cpu::seed_from_u64(8);
    let net = Twice::<f32, Cpu>::build(&dev);
    assert_eq!(
        Twice::<f32, Cpu>::summary().params() as usize,
        net.num_trainable_params()
    );
    let x: Maps<typenum::U3, typenum::U12> =
        dev.sample_normal_like(&(1, N::new(), N::new(), N::new()));
    assert_eq!(net.forward(x).unwrap().shape().concrete(), [1, 4]);
    let fresh = Twice::<f32, Cpu>::build(&dev);
    let probe: Maps<typenum::U3, typenum::U12> =
        dev.sample_normal_like(&(1, N::new(), N::new(), N::new()));
    common::assert_round_trip(
        &net,
        fresh,
        "generic-arith",
        &[
            "g2.d.1.c.weight",
            "m2.m.pool.c.bias",
            "g1.d.0.bn.running_var",
        ],
        |n| n.forward(probe.clone()).unwrap().as_vec(),
    );
}

#[test]
fn generic_blocks_compose_inside_generic_blocks() {
    let dev = Cpu::seed_from_u64(9);
    let net = Stages::<f32, Cpu>::build(&dev);
    let x: Maps<U16, U16> = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    assert_eq!(net.forward(x).unwrap().shape().concrete(), [2, 10]);
    // a stage's parameters are its two blocks' at their channel counts
    assert_eq!(
        StageOf::<U16, f32, Cpu>::param_count(),
        BottleneckDown::<U16, f32, Cpu>::param_count() + Bottleneck::<U64, f32, Cpu>::param_count()
    );
    assert_eq!(
        Stages::<f32, Cpu>::summary().params() as usize,
        net.num_trainable_params()
    );
    assert_eq!(
        net.s2.more.body.c.weight.shape().concrete(),
        [256, 64, 1, 1],
        "the inner block runs at the outer's 4·C"
    );
}

network! {
    /// Every other kind of layer and block, generic over `C`.
    pub block Everything(input: [C, H, W]) {
        h: highway(gate_k = 3) { a: conv(C, k = 3, p = 1), relu },
        up: conv_transpose(C / 2, k = 2, s = 2),
        norm: lrn(n = 3),
        drop: dropout(p = 0.25),
        sub: subsample(k = 2),
        st: scaled_tanh,
        global_max_pool,
        fc: linear(2 * C),
        fh: highway { f: linear(2 * C), sigmoid },
    }
}

network! {
    /// A block ending in features, used inside another block.
    pub block Head(input: [C, H, W]) {
        e: block(Everything) -> [2 * C],
        out: linear(4),
    }
}

network! {
    /// The blocks in a network.
    UsesEverything(input: [3, 8, 8]) {
        stem: conv(8, k = 3, p = 1),
        e: block(Everything) -> [16],
    }
}

#[test]
fn generic_blocks_take_every_kind_of_layer() {
    let dev = Cpu::seed_from_u64(10);
    let mut net = UsesEverything::<f32, Cpu>::build(&dev);
    let x: Maps<typenum::U3, U8> = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 16]);
    let e = Everything::<U16, f32, Cpu>::build(&dev);
    assert_eq!(
        Everything::<U16, f32, Cpu>::param_count() as usize,
        e.num_trainable_params()
    );
    assert_eq!(
        e.up.weight.shape().concrete(),
        [16, 8, 2, 2],
        "C -> C / 2 channels"
    );
    assert_eq!(
        e.fc.weight.shape().concrete(),
        [32, 8],
        "features 2·C from C / 2 maps"
    );
    // training runs through the dropout and the gates
    let targets = common::onehot::<N<U16>>(&dev, &[1, 5]);
    let losses = common::train_adam(&mut net, &x, &targets, 4, 1e-2, |n, x| {
        n.forward_train(x).unwrap()
    });
    assert!(losses[3] < losses[0], "{losses:?}");
    let head = Head::<U8, f32, Cpu>::build(&dev);
    let z = head
        .try_forward(dev.sample_normal_like(&(2, N::<U8>::new(), N::<U8>::new(), N::<U8>::new())))
        .unwrap();
    assert_eq!(z.shape().concrete(), [2, 4]);
}

network! {
    /// `G` new channels, for a dense block's layers.
    pub block GrowBy<G>(input: [C, H, W]) {
        c: conv(G, k = 3, p = 1), relu,
    }
}

network! {
    /// The window kinds the earlier blocks leave out, generic over `C`:
    /// grouped convolution, unpooling, adaptive pooling, and a dense block
    /// whose layers are a generic block (`Everything` and `Bottleneck`
    /// cover the rest).
    pub block Windows(input: [C, H, W]) {
        g: conv(C, k = 3, p = 1, groups = 2),
        up: nn_unpool(2),
        nails: bed_of_nails((1, 2)),
        adaptive_avg_pool(3, 5),
        d: dense(layers = 2) { #[key = ""] layer: block(GrowBy<2>) -> [2, 3, 5] },
    }
}

network! {
    /// `Windows` used at 4 channels on 5x5 maps.
    UsesWindows(input: [4, 5, 5]) {
        w: block(Windows) -> [8, 3, 5],
    }
}

#[test]
fn generic_blocks_bound_every_window_kind_by_its_size_rule() {
    let dev = Cpu::seed_from_u64(14);
    let net = UsesWindows::<f32, Cpu>::build(&dev);
    let x: Maps<typenum::U4, typenum::U5> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y = net.forward(x).unwrap();
    assert_eq!(y.shape().concrete(), [2, 8, 3, 5]);
    // the grouped convolution sees C / 2 channels per group
    assert_eq!(net.w.g.weight.shape().concrete(), [4, 2, 3, 3]);
    // the dense block's layers are the block at 4, then 6 input channels
    assert_eq!(net.w.d.layer1.c.weight.shape().concrete(), [2, 6, 3, 3]);
    let names: Vec<String> = splotnet::state_dict::tensor_shapes(&net)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(names.contains(&"w.d.1.c.weight".to_string()), "{names:?}");
}
