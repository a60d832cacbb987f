//! `network!` on sequences (`input: [C, L]`): conv1d and the 2D layers that
//! run on a sequence as `C x 1 x L` maps.

mod common;

use splotnet::ops::{conv1d, max_pool2d, Conv1dSpec, Pool2dSpec};
use splotnet::prelude::*;
use typenum::{U0, U1, U2, U3, U64};

network! {
    /// The front of a 1D network, to compare with the ops by hand.
    Front(input: [3, 64]) {
        c1: conv1d(8, k = 5, s = 2, p = 2) -> [8, 32],
        relu,
        pool: max_pool(k = 2)              -> [8, 16],
    }
}

network! {
    /// A small 1D classifier: strided and dilated conv1d, pooling, batch
    /// norm and a residual block on sequences.
    Signal(input: [3, 64]) {
        c1: conv1d(8, k = 5, s = 2, p = 2)   -> [8, 32],
        relu,
        pool: max_pool(k = 2)                -> [8, 16],
        bn: batch_norm,
        c2: conv(16, k = 3, d = 2, p = same) -> [16, 16],
        r: residual { a: conv(16, k = 3, p = 1), tanh },
        global_avg_pool                      -> [16],
        head: linear(3),
    }
}

type Batch = Tensor<(usize, N<U3>, N<U64>), f32, Cpu>;

fn signal(dev: &Cpu, n: usize) -> Batch {
    dev.sample_normal_like(&(n, N::new(), N::new()))
}

#[test]
fn conv1d_and_pooling_on_a_sequence_are_the_ops_along_the_length() {
    let dev = Cpu::seed_from_u64(3);
    let net = Front::<f32, Cpu>::build(&dev);
    assert_eq!(
        net.c1.weight.shape().concrete(),
        [8, 3, 5],
        "PyTorch's Conv1d layout"
    );
    let x = signal(&dev, 2);
    let by_hand = {
        let y = conv1d(
            x.clone(),
            &net.c1.weight,
            Some(&net.c1.bias),
            Conv1dSpec::<U2, U2>::new(),
        )
        .unwrap()
        .relu();
        let (b, c, l) = *y.shape();
        let maps = y.reshape_like(&(b, c, N::<U1>::new(), l));
        max_pool2d(maps, Pool2dSpec::<U1, U2, U1, U2, U0, U0>::new()).unwrap()
    };
    let y = net.forward(x).unwrap();
    assert_eq!(y.shape().concrete(), [2, 8, 16]);
    assert_eq!(y.as_vec(), by_hand.as_vec());
}

#[test]
fn sequence_network_trains_and_round_trips() {
    let dev = Cpu::seed_from_u64(5);
    let mut net = Signal::<f32, Cpu>::build(&dev);
    let x = signal(&dev, 12);
    let labels: Vec<usize> = (0..12).map(|i| i % 3).collect();
    let targets = common::onehot::<N<U3>>(&dev, &labels);
    let losses = common::train_adam(&mut net, &x, &targets, 60, 1e-2, |n, x| {
        n.forward_train(x).unwrap()
    });
    assert!(
        losses[59] < 0.3 * losses[0],
        "loss did not fall: {losses:?}"
    );
    let probe = signal(&dev, 4);
    common::assert_round_trip(
        &net,
        Signal::<f32, Cpu>::build(&Cpu::seed_from_u64(99)),
        "seq",
        &["c1.weight", "bn.running_var", "r.a.weight", "head.bias"],
        |n| n.forward(probe.clone()).unwrap().as_vec(),
    );
}

#[test]
fn sequence_summary_shows_one_dimensional_windows() {
    let s = Signal::<f32, Cpu>::summary();
    let row = |name: &str| s.rows.iter().find(|r| r.name == name).unwrap().clone();
    assert_eq!(row("c1").kind, "Conv1d 5");
    assert_eq!(row("c1").output, vec![Some(8), Some(32)]);
    // 8 filters of 3x5 plus 8 biases; each of 32 outputs per filter does 15 MACs
    assert_eq!(row("c1").params, 8 * 3 * 5 + 8);
    assert_eq!(row("c1").macs, Some(32 * 8 * 15));
    assert_eq!(row("pool").kind, "MaxPool1d 2");
    // receptive field along the length: c1 5, pool +1 jump of 2, c2 +2·2 jumps of 4
    assert_eq!(row("pool").receptive_field.map(|r| r.1), Some(5 + 2));
    assert_eq!(
        row("c2").receptive_field.map(|r| r.1),
        Some(5 + 2 + 2 * 2 * 4)
    );
}
