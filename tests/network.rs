//! Networks declared with `network!`: forward, backward, optimiser steps,
//! safetensors round trips and summaries.

mod common;

use splotnet::prelude::*;
use typenum::{U1, U10, U32, U8};

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
    let mut net = net;
    common::assert_matches_finite_differences(
        &mut net,
        "c1.weight",
        &g,
        |n| &mut n.c1.weight,
        |n| common::mean_square(&n.forward(x.clone()).unwrap().as_vec()),
    );
}

fn batch(dev: &Cpu, n: usize, seed: u64) -> Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu> {
    let values: Vec<f32> = (0..n * 32 * 32)
        .map(|i| ((i as u64 * 2654435761 + seed) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    dev.tensor_from_vec(values, (n, N::new(), N::new(), N::new()))
}

#[test]
fn sgd_steps_reduce_the_loss() {
    let dev = Cpu::seed_from_u64(0);
    let mut net = LeNet5::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu> =
        dev.sample_normal_like(&(8, N::new(), N::new(), N::new()));
    let labels: Vec<usize> = (0..8).map(|i| i % 10).collect();
    let mut onehot = vec![0.0f32; 8 * 10];
    for (i, &l) in labels.iter().enumerate() {
        onehot[i * 10 + l] = 1.0;
    }
    let target: Tensor<(usize, N<U10>), f32, Cpu> = dev.tensor_from_vec(onehot, (8, N::new()));
    let mut opt = Sgd::new(
        &net,
        SgdConfig {
            lr: 0.1,
            momentum: Some(Momentum::Classic(0.9)),
            weight_decay: None,
        },
    );
    let mut grads = net.alloc_grads();
    let mut losses = Vec::new();
    for _ in 0..40 {
        let logits = net.forward_train(x.clone().traced(grads)).unwrap();
        let loss = cross_entropy_with_logits_loss(logits, target.clone());
        losses.push(loss.array());
        grads = loss.backward();
        opt.update(&mut net, &grads).unwrap();
        net.zero_grads(&mut grads);
    }
    assert!(
        losses[39] < 0.5 * losses[0],
        "loss did not fall: {losses:?}"
    );
}

#[test]
fn safetensors_round_trip_gives_identical_outputs_and_pytorch_names() {
    let dev: Cpu = Default::default();
    let dir = std::env::temp_dir().join(format!("splotnet-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lenet.safetensors");
    let a = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    a.save_safetensors(&path).unwrap();
    let mut b = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(2));
    let x = batch(&dev, 4, 7);
    assert_ne!(
        a.forward(x.clone()).unwrap().as_vec(),
        b.forward(x.clone()).unwrap().as_vec()
    );
    b.load_safetensors(&path).unwrap();
    assert_eq!(
        a.forward(x.clone()).unwrap().as_vec(),
        b.forward(x).unwrap().as_vec()
    );
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    for name in [
        "c1.weight",
        "c1.bias",
        "c3.weight",
        "c5.weight",
        "f6.weight",
        "out.bias",
    ] {
        assert!(
            text.contains(name),
            "{name} missing from the safetensors header"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn summary_rows_match_independent_counts() {
    let dev: Cpu = Default::default();
    let net = LeNet5::<f32, Cpu>::build(&dev);
    let s = LeNet5::<f32, Cpu>::summary();
    // parameters: straight from the tensors
    let numel = |v: usize, b: usize| (v + b) as u64;
    assert_eq!(
        s.row("c1").unwrap().params,
        numel(
            net.c1.weight.shape().num_elements(),
            net.c1.bias.shape().num_elements()
        )
    );
    assert_eq!(
        s.row("f6").unwrap().params,
        numel(
            net.f6.weight.shape().num_elements(),
            net.f6.bias.shape().num_elements()
        )
    );
    assert_eq!(s.params(), net.num_trainable_params() as u64);
    // the lecture's table: C1 156, C5 48120, F6 10164; this C3 is dense
    // (16·6·25 + 16 = 2416): the paper's sparse C3 (1516) is zoo::lenet5's
    let params: Vec<u64> = ["c1", "c3", "c5", "f6"]
        .iter()
        .map(|n| s.row(n).unwrap().params)
        .collect();
    assert_eq!(params, vec![156, 2416, 48120, 10164]);
    // multiply-adds = output positions x filters x (C·K·K), from the forward pass's shapes
    let x = batch(&dev, 1, 3);
    let c1_out =
        splotnet::ops::conv2d(x, &net.c1.weight, None, <splotnet::ops::Conv2dSpec>::new()).unwrap();
    let [_, o, h, w] = c1_out.shape().concrete();
    assert_eq!(s.row("c1").unwrap().macs, Some((o * h * w * 25) as u64));
    assert_eq!(
        s.row("c3").unwrap().output,
        vec![Some(16), Some(10), Some(10)]
    );
    // receptive field: 5, then x2 pool -> 6, then 5x5 at jump 2 -> 14, pool -> 16, 5x5 at jump 4 -> 32
    assert_eq!(s.row("c5").unwrap().receptive_field, Some((32, 32)));
    assert_eq!(s.row("s4").unwrap().jump, Some((4, 4)));
    let text = s.to_string();
    assert!(text.contains("total params: 61,706"), "{text}");
}

network! {
    /// Fully convolutional: any image size, global pooling head.
    Tiny(input: [3, _, _]) {
        c1: conv(8, k = 3, p = same), relu,
        pool: max_pool(k = 2),
        c2: conv(16, k = 3, s = 2, p = 1), relu,
        global_avg_pool,
        dropout(p = 0.5),
        head: linear(4),
    }
}

#[test]
fn runtime_sized_inputs_run_at_several_sizes_and_dropout_only_trains() {
    let dev: Cpu = Default::default();
    let mut net = Tiny::<f32, Cpu>::build(&dev);
    for (h, w) in [(16, 16), (23, 17)] {
        let x: Tensor<(usize, N<typenum::U3>, usize, usize), f32, Cpu> =
            dev.sample_normal_like(&(2, N::new(), h, w));
        let y = net.forward(x.clone()).unwrap();
        assert_eq!(y.shape().concrete(), [2, 4]);
        assert_eq!(
            y.as_vec(),
            net.forward(x.clone()).unwrap().as_vec(),
            "inference is deterministic"
        );
        let t1 = net.forward_train(x.clone()).unwrap().as_vec();
        let t2 = net.forward_train(x).unwrap().as_vec();
        assert_ne!(t1, t2, "dropout is on in training");
    }
    let too_small: Tensor<(usize, N<typenum::U3>, usize, usize), f32, Cpu> =
        dev.zeros_like(&(1, N::new(), 1, 1));
    let err = net.forward(too_small).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    let s = Tiny::<f32, Cpu>::summary();
    assert_eq!(s.row("c1").unwrap().output, vec![Some(8), None, None]);
    assert_eq!(s.macs(), None);
}

network! {
    /// A small ResNet-style network: identity and projection shortcuts.
    MiniResNet(input: [3, 32, 32]) {
        stem: conv(16, k = 3, p = 1), relu,
        r1: residual {
            a: conv(16, k = 3, p = 1), relu,
            b: conv(16, k = 3, p = 1),
        } -> [16, 32, 32],
        relu,
        r2: residual(project) {
            a: conv(32, k = 3, s = 2, p = 1), relu,
            b: conv(32, k = 3, p = 1),
        } -> [32, 16, 16],
        relu,
        global_avg_pool,
        fc: linear(10),
    }
}

network! {
    /// An Inception-style module: parallel 1x1, 1x1→3x3, 1x1→5x5 and pool→1x1 branches.
    MiniInception(input: [8, 14, 14]) {
        inc: concat {
            b1: [ c: conv(4, k = 1), relu ],
            b2: [ reduce: conv(4, k = 1), relu, c: conv(8, k = 3, p = 1), relu ],
            b3: [ reduce: conv(2, k = 1), relu, c: conv(4, k = 5, p = 2), relu ],
            b4: [ max_pool(k = 3, s = 1, p = 1), proj: conv(4, k = 1), relu ],
        } -> [20, 14, 14],
        global_avg_pool,
        fc: linear(3),
    }
}

#[test]
fn residual_blocks_train_and_name_parameters_like_pytorch() {
    let dev = Cpu::seed_from_u64(5);
    let net = MiniResNet::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<typenum::U3>, N<U32>, N<U32>), f32, Cpu> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y = net.forward(x.leaky_trace()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 10]);
    let grads = y.square().mean().backward();
    // the identity shortcut's input conv and the projection both get their gradients
    let (gs, gp) = (
        grads.get(&net.stem.weight).as_vec(),
        grads.get(&net.r2.shortcut.weight).as_vec(),
    );
    let mut net = net;
    let loss =
        |n: &mut MiniResNet<f32, Cpu>| common::mean_square(&n.forward(x.clone()).unwrap().as_vec());
    common::assert_matches_finite_differences(
        &mut net,
        "stem.weight",
        &gs,
        |n| &mut n.stem.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "r2.shortcut.weight",
        &gp,
        |n| &mut n.r2.shortcut.weight,
        loss,
    );
    let s = MiniResNet::<f32, Cpu>::summary();
    assert_eq!(
        s.row("r2").unwrap().params,
        16 * 32 + 32,
        "1x1 projection 16->32 with bias"
    );
    assert_eq!(
        s.row("r2.a").unwrap().output,
        vec![Some(32), Some(16), Some(16)]
    );
    assert_eq!(s.params(), net.num_trainable_params() as u64);
    let dir = std::env::temp_dir().join(format!("splotnet-res-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("res.safetensors");
    net.save_safetensors(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let header = String::from_utf8_lossy(&bytes[..bytes.len().min(8192)]);
    for name in [
        "r1.a.weight",
        "r2.b.bias",
        "r2.shortcut.weight",
        "fc.weight",
    ] {
        assert!(header.contains(name), "{name} missing");
    }
    std::fs::remove_dir_all(&dir).ok();
}

network! {
    /// One residual block: forward(x) = conv(x) + x.
    OneBlock(input: [2, 5, 5]) {
        r: residual { a: conv(2, k = 3, p = same) },
    }
}

#[test]
fn residual_output_is_body_plus_input() {
    use typenum::{U2, U5};
    let dev = Cpu::seed_from_u64(6);
    let net = OneBlock::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U2>, N<U5>, N<U5>), f32, Cpu> =
        dev.sample_normal_like(&(3, N::new(), N::new(), N::new()));
    let y = net.forward(x.clone()).unwrap();
    let body = splotnet::ops::conv2d(
        x.clone(),
        &net.r.a.weight,
        Some(&net.r.a.bias),
        splotnet::ops::Conv2dSpec::<typenum::U1, typenum::U1, typenum::U1>::new(),
    )
    .unwrap();
    let expect: Vec<f32> = body
        .as_vec()
        .iter()
        .zip(x.as_vec())
        .map(|(b, x)| b + x)
        .collect();
    let got = y.as_vec();
    for (g, e) in got.iter().zip(&expect) {
        assert!((g - e).abs() < 1e-5, "{g} vs {e}");
    }
    assert_eq!(
        OneBlock::<f32, Cpu>::summary().row("r").unwrap().kind,
        "Residual (identity)"
    );
}

#[test]
fn inception_branches_concatenate_along_channels() {
    let dev = Cpu::seed_from_u64(7);
    let net = MiniInception::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<typenum::U8>, N<typenum::U14>, N<typenum::U14>), f32, Cpu> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y = net.forward(x.leaky_trace()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 3]);
    let grads = y.square().mean().backward();
    // every branch's gradient, against finite differences of the same loss
    type Net = MiniInception<f32, Cpu>;
    let loss = |n: &mut Net| common::mean_square(&n.forward(x.clone()).unwrap().as_vec());
    let g1 = grads.get(&net.inc.b1.c.weight).as_vec();
    let g2 = grads.get(&net.inc.b2.c.weight).as_vec();
    let g3 = grads.get(&net.inc.b3.c.weight).as_vec();
    let g4 = grads.get(&net.inc.b4.proj.weight).as_vec();
    let mut net = net;
    common::assert_matches_finite_differences(
        &mut net,
        "inc.b1.c",
        &g1,
        |n: &mut Net| &mut n.inc.b1.c.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "inc.b2.c",
        &g2,
        |n: &mut Net| &mut n.inc.b2.c.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "inc.b3.c",
        &g3,
        |n: &mut Net| &mut n.inc.b3.c.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "inc.b4.proj",
        &g4,
        |n: &mut Net| &mut n.inc.b4.proj.weight,
        loss,
    );
    let s = MiniInception::<f32, Cpu>::summary();
    assert_eq!(
        s.row("inc").unwrap().output,
        vec![Some(20), Some(14), Some(14)]
    );
    assert_eq!(s.row("inc.b2.c").unwrap().params, 4 * 9 * 8 + 8);
    assert_eq!(s.params(), net.num_trainable_params() as u64);
}

network! {
    /// conv-BN-ReLU-conv-BN, add, ReLU: the lecture's residual block.
    BnBlock(input: [4, 6, 6]) {
        r: residual {
            conv1: conv(4, k = 3, p = same), bn1: batch_norm, relu,
            conv2: conv(4, k = 3, p = same), bn2: batch_norm,
        },
        relu,
    }
}

#[test]
fn batch_norm_normalises_in_training_and_tracks_running_statistics() {
    use typenum::{U4, U6};
    let dev = Cpu::seed_from_u64(8);
    let mut net = BnBlock::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U4>, N<U6>, N<U6>), f32, Cpu> =
        dev.sample_normal_like(&(5, N::new(), N::new(), N::new()));
    // bn1's output in training: per channel mean 0, variance 1 (γ = 1, β = 0 at start)
    let pre = splotnet::ops::conv2d(
        x.clone(),
        &net.r.conv1.weight,
        Some(&net.r.conv1.bias),
        splotnet::ops::Conv2dSpec::<typenum::U1, typenum::U1, typenum::U1>::new(),
    )
    .unwrap();
    let normed = dfdx::nn::ModuleMut::try_forward_mut(&mut net.r.bn1, pre.clone())
        .unwrap()
        .as_vec();
    for c in 0..4 {
        let vals: Vec<f32> = (0..5)
            .flat_map(|n| normed[(n * 4 + c) * 36..(n * 4 + c + 1) * 36].to_vec())
            .collect();
        let mean = vals.iter().sum::<f32>() / vals.len() as f32;
        let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / vals.len() as f32;
        assert!(
            mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
            "channel {c}: mean {mean}, var {var}"
        );
    }
    // running mean moved 10% of the way to the batch mean
    let p = pre.as_vec();
    let batch_mean0: f32 = (0..5)
        .flat_map(|n| p[(n * 4) * 36..(n * 4 + 1) * 36].to_vec())
        .sum::<f32>()
        / 180.0;
    let rm = net.r.bn1.running_mean.as_vec()[0];
    assert!(
        (rm - 0.1 * batch_mean0).abs() < 1e-5,
        "{rm} vs {}",
        0.1 * batch_mean0
    );
    // the whole network trains (&mut self) and infers (running stats) without error
    let y = net.forward_train(x.leaky_trace()).unwrap();
    let grads = y.square().mean().backward();
    // in training, batch norm's output depends on the batch alone: the
    // gradient through it against finite differences of the training pass
    let g = grads.get(&net.r.bn2.weight).as_vec();
    common::assert_matches_finite_differences(
        &mut net,
        "r.bn2.weight",
        &g,
        |n| &mut n.r.bn2.weight,
        |n| common::mean_square(&n.forward_train(x.clone()).unwrap().as_vec()),
    );
    let a = net.forward(x.clone()).unwrap().as_vec();
    let b = net.forward(x).unwrap().as_vec();
    assert_eq!(a, b, "inference uses the running statistics: deterministic");
    let s = BnBlock::<f32, Cpu>::summary();
    assert_eq!(s.row("r.bn1").unwrap().params, 8);
    assert_eq!(s.params(), net.num_trainable_params() as u64);
}

#[test]
fn training_pass_skips_only_the_data_gradient() {
    let dev = Cpu::seed_from_u64(9);
    let mut net = LeNet5::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu> =
        dev.sample_normal_like(&(4, N::new(), N::new(), N::new()));
    // the input's gradient is allocated (zeros) up front, so that a pass
    // that skips it leaves zeros, and one that computes it does not
    let traced = || {
        let mut grads = Gradients::leaky();
        grads.get_or_alloc_mut(&x).unwrap();
        x.clone().trace(grads)
    };
    let a = net.forward(traced()).unwrap().square().mean().backward();
    let b = net
        .forward_train(traced())
        .unwrap()
        .square()
        .mean()
        .backward();
    for (name, wa, wb) in [
        (
            "c1",
            a.get(&net.c1.weight).as_vec(),
            b.get(&net.c1.weight).as_vec(),
        ),
        (
            "c3",
            a.get(&net.c3.weight).as_vec(),
            b.get(&net.c3.weight).as_vec(),
        ),
    ] {
        assert_eq!(wa, wb, "{name}'s gradient is unchanged");
        assert!(wa.iter().any(|v| *v != 0.0), "{name} has a gradient");
    }
    assert!(
        a.get(&x).as_vec().iter().any(|v| *v != 0.0),
        "forward computes the input's gradient"
    );
    assert!(
        b.get(&x).as_vec().iter().all(|v| *v == 0.0),
        "forward_train skips the input's gradient"
    );
}

network! {
    /// Down, then up with a transposed convolution: per-pixel class scores (FCN/U-Net style).
    TinySegmenter(input: [1, 16, 16]) {
        down: conv(8, k = 3, s = 2, p = 1), relu   -> [8, 8, 8],
        up: conv_transpose(4, k = 2, s = 2)         -> [4, 16, 16],
        relu,
        classes: conv(2, k = 1)                     -> [2, 16, 16],
    }
}

#[test]
fn transposed_convolution_upsamples_back_to_full_resolution() {
    use typenum::{U16, U8};
    let dev = Cpu::seed_from_u64(12);
    let net = TinySegmenter::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U1>, N<U16>, N<U16>), f32, Cpu> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let y = net.forward(x.leaky_trace()).unwrap();
    assert_eq!(y.shape().concrete(), [2, 2, 16, 16]);
    let grads = y.square().mean().backward();
    let g = grads.get(&net.up.weight).as_vec();
    let mut net = net;
    common::assert_matches_finite_differences(
        &mut net,
        "up.weight",
        &g,
        |n| &mut n.up.weight,
        |n| common::mean_square(&n.forward(x.clone()).unwrap().as_vec()),
    );
    // the layer is the op: recompute `up` from `down` independently
    let down = splotnet::ops::conv2d(
        x,
        &net.down.weight,
        Some(&net.down.bias),
        splotnet::ops::Conv2dSpec::<typenum::U2, typenum::U2, typenum::U1>::new(),
    )
    .unwrap()
    .relu();
    let _: &Tensor<(usize, N<U8>, N<U8>, N<U8>), f32, Cpu> = &down;
    let via_op = splotnet::ops::conv_transpose2d(
        down.clone(),
        &net.up.weight,
        Some(&net.up.bias),
        splotnet::ops::ConvTranspose2dSpec::<typenum::U2>::new(),
    )
    .unwrap();
    let via_layer = dfdx::nn::Module::try_forward(&net.up, down).unwrap();
    assert_eq!(via_layer.as_vec(), via_op.as_vec());
    let s = TinySegmenter::<f32, Cpu>::summary();
    assert_eq!(s.row("up").unwrap().params, 8 * 4 * 2 * 2 + 4);
    assert_eq!(s.params(), net.num_trainable_params() as u64);
}

network! {
    /// Any image size to a fixed head, as AlexNet and VGG do in torchvision.
    AnySizeHead(input: [3, _, _]) {
        c: conv(8, k = 3, p = 1), relu,
        pool: adaptive_avg_pool(4)    -> [8, 4, 4],
        peak: adaptive_max_pool(2, 1) -> [8, 2, 1],
        flatten,
        fc: linear(5),
    }
}

#[test]
fn adaptive_pooling_gives_a_fixed_head_at_any_input_size() {
    let dev = Cpu::seed_from_u64(21);
    let net = AnySizeHead::<f32, Cpu>::build(&dev);
    for size in [4usize, 9, 14, 31] {
        let x: Tensor<(usize, N<typenum::U3>, usize, usize), f32, Cpu> =
            dev.sample_normal_like(&(2, N::new(), size, size));
        let y = net.forward(x.clone()).unwrap();
        assert_eq!(y.shape().concrete(), [2, 5], "at {size}x{size}");
        // the layers by hand
        let c = net.c.forward(x).relu();
        let p: Tensor<(usize, N<typenum::U8>, N<typenum::U4>, N<typenum::U4>), f32, Cpu> =
            splotnet::ops::adaptive_avg_pool2d(c).unwrap();
        let m: Tensor<(usize, N<typenum::U8>, N<typenum::U2>, N<U1>), f32, Cpu> =
            splotnet::ops::adaptive_max_pool2d(p).unwrap();
        let flat = m.reshape_like(&(2usize, N::<typenum::U16>::new()));
        let want = net.fc.forward(flat);
        common::assert_close(&y.as_vec(), &want.as_vec(), 1e-5, "adaptive head by hand");
    }
    let s = AnySizeHead::<f32, Cpu>::summary();
    assert_eq!(s.row("pool").unwrap().kind, "AdaptiveAvgPool 4x4");
    assert_eq!(
        s.row("fc").unwrap().params,
        16 * 5 + 5,
        "flatten gives 8·2·1 features"
    );
}

network! {
    /// GoogLeNet's max pools round up (`ceil_mode=True`): 14 -> 7, not 6.
    CeilPools(input: [2, 14, 14]) {
        c: conv(4, k = 3, p = 1),
        p1: max_pool(k = 3, s = 2, ceil) -> [4, 7, 7],
        p2: max_pool(k = 3, s = 2, ceil) -> [4, 3, 3],
        flatten,
        fc: linear(3),
    }
}

network! {
    /// The same pools on any size: the type system applies the rule.
    pub block CeilBlock(input: [C, H, W]) {
        c: conv(C, k = 3, p = 1),
        p: max_pool(k = 3, s = 2, ceil),
    }
}

#[test]
fn ceil_mode_max_pools_round_up_as_pytorch_does() {
    let dev = Cpu::seed_from_u64(31);
    let net = CeilPools::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<typenum::U2>, N<typenum::U14>, N<typenum::U14>), f32, Cpu> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    assert_eq!(net.forward(x).unwrap().shape().concrete(), [2, 3]);
    assert_eq!(
        CeilPools::<f32, Cpu>::summary().row("fc").unwrap().params,
        4 * 9 * 3 + 3
    );
    let block = CeilBlock::<typenum::U4, f32, Cpu>::build(&dev);
    let y: Tensor<(usize, N<typenum::U4>, usize, usize), f32, Cpu> = block
        .try_forward(dev.sample_normal_like(&(1, N::<typenum::U4>::new(), 112, 112)))
        .unwrap();
    assert_eq!(
        y.shape().concrete(),
        [1, 4, 56, 56],
        "112 -> 56 at run time"
    );
    // the pooled size has no normal form over `H` (ceil mode's last-window
    // rule is a condition), so the block's count says it has no answer
    // rather than a wrong one
    assert_eq!(
        CeilBlock::<typenum::U4, f32, Cpu>::mult_adds(112, 112),
        None
    );
}

network! {
    /// GoogLeNet's batch norms use eps 0.001.
    BnConfigured(input: [2, 3, 3]) {
        bn: batch_norm(eps = 0.001, momentum = 0.3),
        plain: batch_norm,
    }
}

#[test]
fn batch_norm_takes_pytorchs_eps_and_momentum() {
    let dev = Cpu::seed_from_u64(41);
    let mut net = BnConfigured::<f32, Cpu>::build(&dev);
    assert_eq!((net.bn.epsilon, net.bn.momentum), (0.001, 0.3));
    assert_eq!((net.plain.epsilon, net.plain.momentum), (1e-5, 0.1));
    let x: Tensor<(usize, N<typenum::U2>, N<typenum::U3>, N<typenum::U3>), f32, Cpu> =
        dev.sample_normal_like(&(4, N::new(), N::new(), N::new()));
    let v = x.as_vec();
    let batch_mean0 = (0..4)
        .flat_map(|n| v[n * 18..n * 18 + 9].to_vec())
        .sum::<f32>()
        / 36.0;
    let _ = net.forward_train(x.leaky_trace()).unwrap();
    let rm = net.bn.running_mean.as_vec()[0];
    assert!(
        (rm - 0.3 * batch_mean0).abs() < 1e-5,
        "moved 30%: {rm} vs {}",
        0.3 * batch_mean0
    );
    // inference divides by sqrt(running_var + 0.001)
    let (rm, rv) = (net.bn.running_mean.as_vec(), net.bn.running_var.as_vec());
    let y = net.bn.forward(x.clone()).as_vec();
    let want = (v[0] - rm[0]) / (rv[0] + 0.001).sqrt() * net.bn.weight.as_vec()[0]
        + net.bn.bias.as_vec()[0];
    assert!((y[0] - want).abs() < 1e-5, "{} vs {want}", y[0]);
    let s = BnConfigured::<f32, Cpu>::summary();
    assert_eq!(
        s.row("bn").unwrap().kind,
        "BatchNorm2d (eps 0.001, momentum 0.3)"
    );
}

network! {
    /// A classifier whose class count is a size parameter, 10 by default.
    Classes<CLASSES = 10>(input: [1, 8, 8]) {
        c: conv(4, k = 3) -> [4, 6, 6], relu,
        flatten,
        out: linear(CLASSES) -> [CLASSES],
    }
}

#[test]
fn a_networks_class_count_is_a_parameter_with_a_default() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U8>, N<U8>), f32, Cpu> =
        dev.zeros_like(&(2, N::new(), N::new(), N::new()));
    let ten = Classes::<f32, Cpu>::build(&dev);
    assert_eq!(ten.forward(x.clone()).unwrap().shape().concrete(), [2, 10]);
    let three = Classes::<f32, Cpu, splotnet::typenum::U3>::build(&dev);
    assert_eq!(three.forward(x).unwrap().shape().concrete(), [2, 3]);
    let conv = 4 * 9 + 4;
    let s = Classes::<f32, Cpu, splotnet::typenum::U3>::summary();
    assert_eq!(s.params(), conv + 144 * 3 + 3);
    assert_eq!(s.row("out").unwrap().output, [Some(3)]);
    assert_eq!(s.params(), three.num_trainable_params() as u64);
    assert_eq!(
        Classes::<f32, Cpu>::summary().params(),
        ten.num_trainable_params() as u64
    );
}

network! {
    /// For the memory estimate: outputs of 32, 32, 32 and 3 values.
    SmallMemory(input: [1, 6, 6]) {
        c: conv(2, k = 3) -> [2, 4, 4],
        relu,
        flatten,
        fc: linear(3),
    }
}

#[test]
fn the_summary_counts_each_layers_outputs_and_shows_a_batch() {
    let s = SmallMemory::<f32, Cpu>::summary();
    assert_eq!(s.activation_values(), Some(32 + 32 + 32 + 3));
    let text = s.for_batch(10).to_string();
    assert!(text.contains("10x2x4x4") && text.contains("10x3"), "{text}");
    // 36 input values a sample, 4 bytes each, 250,000 samples: 36 MB
    let text = s.for_batch(250_000).to_string();
    assert!(
        text.contains("input size (batch of 250000): 36.00 MB"),
        "{text}"
    );
    // outputs kept and their gradients: 2 x 99 x 4 bytes a sample
    assert!(
        text.contains("forward/backward pass size (batch of 250000): 198.00 MB"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("total params: {}\n", s.params())),
        "{text}"
    );
}

network! {
    /// Ends in a concat whose branches end in unnamed layers.
    EndsInConcat(input: [1, 4, 4]) {
        cat: concat {
            b1: [c: conv(2, k = 1), relu],
            b2: [c: conv(3, k = 1), relu],
        },
    }
}

#[test]
fn unnamed_members_of_a_block_are_labelled_by_it() {
    let s = EndsInConcat::<f32, Cpu>::summary();
    let names: Vec<&str> = s.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["cat", "cat.b1.c", "cat.b1.", "cat.b2.c", "cat.b2."]);
    // the network's output is the concat's, not its last branch's
    assert_eq!(s.output(), [Some(5), Some(4), Some(4)]);
    assert_eq!(s.activation_values(), Some(2 * 16 * 2 + 3 * 16 * 2));
}
