//! Generic blocks: declared once with `block`, used at several channel
//! counts and sizes, static or runtime, inside other networks and alone.

mod common;

use splotnet::prelude::*;
use typenum::{U10, U16, U3, U32, U8};

network! {
    /// ResNet's basic block at any channel count and size: two 3x3
    /// convolutions (no bias: batch norm shifts) with batch norm, an
    /// identity shortcut, then ReLU.
    pub block Basic(input: [C, H, W]) {
        body: residual {
            a: conv(C, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
            b: conv(C, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// Down-sampling to 32 channels at stride 2, with a projection shortcut.
    pub block Down(input: [C, H, W]) {
        body: residual(project) {
            a: conv(32, k = 3, s = 2, p = 1), bn: batch_norm, relu,
            b: conv(32, k = 3, p = 1),
        },
        relu,
    }
}

network! {
    /// The blocks at 16 and 32 channels and two sizes.
    Net(input: [3, 32, 32]) {
        stem: conv(16, k = 3, p = 1), relu,
        b1: block(Basic) -> [16, 32, 32],
        b2: block(Basic) -> [16, 32, 32],
        d1: block(Down)  -> [32, 16, 16],
        b3: block(Basic) -> [32, 16, 16],
        global_avg_pool,
        head: linear(10),
    }
}

network! {
    /// The same blocks on images of any size.
    AnySize(input: [3, _, _]) {
        stem: conv(8, k = 3, p = 1),
        d: block(Down)  -> [32, _, _],
        b: block(Basic) -> [32, _, _],
        global_avg_pool,
        head: linear(2),
    }
}

type Maps<C, H> = Tensor<(usize, N<C>, N<H>, N<H>), f32, Cpu>;

#[test]
fn a_block_alone_runs_at_static_and_runtime_sizes() {
    let dev = Cpu::seed_from_u64(31);
    let block = Basic::<U8, f32, Cpu>::build(&dev);
    let x: Maps<U8, U10> = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y: Maps<U8, U10> = block.try_forward(x.clone()).unwrap();
    // by hand, through the block's own layers
    let body = &block.body;
    let h = body.bn1.forward(body.a.forward(x.clone())).relu();
    let h = body.bn2.forward(body.b.forward(h));
    let want = (h + x.clone()).relu();
    common::assert_close(&y.as_vec(), &want.as_vec(), 1e-6, "block by hand");

    let runtime: Tensor<(usize, N<U8>, usize, usize), f32, Cpu> =
        dev.tensor_from_vec(x.as_vec(), (2, N::new(), 10, 10));
    let z = block.try_forward(runtime).unwrap();
    assert_eq!(z.shape().concrete(), [2, 8, 10, 10]);
    assert_eq!(z.as_vec(), y.as_vec());
}

#[test]
fn parameter_counts_follow_the_channel_count() {
    let dev: Cpu = Default::default();
    // two 3x3 convolutions C -> C without biases, two batch norms
    let expected = |c: u64| 2 * (c * c * 9) + 2 * 2 * c;
    assert_eq!(Basic::<U8, f32, Cpu>::param_count(), expected(8));
    assert_eq!(Basic::<U32, f32, Cpu>::param_count(), expected(32));
    assert_eq!(
        Basic::<U16, f32, Cpu>::param_count() as usize,
        Basic::<U16, f32, Cpu>::build(&dev).num_trainable_params()
    );
    // C -> 32 at stride 2, 32 -> 32, a batch norm, the 1x1 projection C -> 32
    let down = |c: u64| (c * 32 * 9 + 32) + (32 * 32 * 9 + 32) + 2 * 32 + (c * 32 + 32);
    assert_eq!(Down::<U3, f32, Cpu>::param_count(), down(3));
    assert_eq!(
        Down::<U16, f32, Cpu>::param_count() as usize,
        Down::<U16, f32, Cpu>::build(&dev).num_trainable_params()
    );
    let s = Net::<f32, Cpu>::summary();
    let row = |name: &str| s.rows.iter().find(|r| r.name == name).unwrap().clone();
    assert_eq!(row("b1").params, expected(16));
    assert_eq!(row("b3").params, expected(32));
    assert_eq!(row("d1").params, down(16));
    assert_eq!(row("d1").kind, "Down (block)");
    // multiply-adds at the use's size: 3x3 convolutions at every position, 2 per BN entry
    let basic_macs = |c: u64, hw: u64| 2 * hw * c * c * 9 + 2 * 2 * c * hw;
    assert_eq!(row("b1").macs, Some(basic_macs(16, 32 * 32)));
    assert_eq!(row("b3").macs, Some(basic_macs(32, 16 * 16)));
    // Down from 16 channels at 32x32: stride 2 to 16x16, then the 1x1 projection
    let hw = 16 * 16;
    let down_macs = hw * 32 * 16 * 9 + hw * 32 * 32 * 9 + 2 * 32 * hw + hw * 32 * 16;
    assert_eq!(row("d1").macs, Some(down_macs));
    assert_eq!(row("d1").output, vec![Some(32), Some(16), Some(16)]);
}

#[test]
fn networks_of_blocks_train_and_name_parameters_like_pytorch() {
    let dev = Cpu::seed_from_u64(32);
    let mut net = Net::<f32, Cpu>::build(&dev);
    let x: Maps<U3, U32> = dev.sample_normal_like(&(6, N::new(), N::new(), N::new()));
    let labels: Vec<usize> = (0..6).collect();
    let targets = common::onehot::<N<U10>>(&dev, &labels);
    let losses = common::train_adam(&mut net, &x, &targets, 25, 3e-3, |n, x| {
        n.forward_train(x).unwrap()
    });
    assert!(
        losses[24] < 0.5 * losses[0],
        "loss did not fall: {losses:?}"
    );
    // training moved the batch norms' running statistics inside the blocks
    assert!(net
        .b1
        .body
        .bn1
        .running_mean
        .as_vec()
        .iter()
        .any(|m| *m != 0.0));
    common::assert_round_trip(
        &net,
        Net::<f32, Cpu>::build(&Cpu::seed_from_u64(1)),
        "generic",
        &[
            "b1.body.a.weight",
            "b2.body.bn2.running_var",
            "d1.body.shortcut.weight",
            "b3.body.bn2.bias",
        ],
        |n| n.forward(x.clone()).unwrap().as_vec(),
    );
}

#[test]
fn blocks_in_a_network_of_runtime_size_run_at_several_sizes() {
    let dev = Cpu::seed_from_u64(33);
    let net = AnySize::<f32, Cpu>::build(&dev);
    for size in [9, 16, 23] {
        let x: Tensor<(usize, N<U3>, usize, usize), f32, Cpu> =
            dev.sample_normal_like(&(1, N::new(), size, size));
        assert_eq!(net.forward(x).unwrap().shape().concrete(), [1, 2]);
    }
}
