//! Networks declared with `network!`: forward, backward, optimiser steps,
//! safetensors round trips and summaries.

use splotnet::prelude::*;
use typenum::{U1, U10, U32};

network! {
    /// LeNet-5 (LeCun et al. 1998), plain convolutions.
    pub LeNet5(input: [1, 32, 32]) {
        c1: conv(6, k = 5)           -> [6, 28, 28],
        tanh,
        s2: avg_pool(k = 2)          -> [6, 14, 14],
        c3: conv(16, k = 5)          -> [16, 10, 10],
        tanh,
        s4: avg_pool(k = 2)          -> [16, 5, 5],
        c5: conv(120, k = 5)         -> [120, 1, 1],
        flatten,
        f6: linear(84), tanh,
        out: linear(10),
    }
}

#[test]
fn lenet5_runs_forward_and_backward() {
    let dev: Cpu = Default::default();
    let net = LeNet5::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu> =
        dev.sample_normal_like(&(3, N::new(), N::new(), N::new()));
    let y: Tensor<(usize, N<U10>), f32, Cpu> = net.forward(x.clone()).unwrap();
    assert_eq!(y.shape().concrete(), [3, 10]);
    let loss = net.forward(x.leaky_trace()).unwrap().square().mean();
    let grads = loss.backward();
    let g = grads.get(&net.c1.weight).as_vec();
    assert!(g.iter().any(|v| *v != 0.0), "c1 receives a gradient");
}
