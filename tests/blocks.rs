//! Dense blocks, highway layers and auxiliary heads declared with `network!`:
//! each block's output against the same computation by hand, its parameter
//! names, and finite-difference gradients through it.

mod common;

use splotnet::layers::concat_channels;
use splotnet::ops::{conv2d, Conv2dSpec};
use splotnet::prelude::*;
use typenum::{U1, U3, U4, U6};

network! {
    /// Three dense layers, each growing the maps by two channels.
    DenseOnly(input: [4, 6, 6]) {
        d: dense(layers = 3) { c: conv(2, k = 3, p = 1), tanh } -> [10, 6, 6],
    }
}

type Maps<C> = Tensor<(usize, N<C>, N<U6>, N<U6>), f32, Cpu>;

fn maps<C: Size>(dev: &Cpu, n: usize) -> Maps<C> {
    dev.sample_normal_like(&(n, N::new(), N::new(), N::new()))
}

/// `tanh(conv3x3(x))` with "same" padding, by hand through the op.
macro_rules! dense_layer {
    ($x:expr, $c:expr) => {
        conv2d(
            $x,
            &$c.weight,
            Some(&$c.bias),
            Conv2dSpec::<U1, U1, U1, U1>::new(),
        )
        .unwrap()
        .tanh()
    };
}

#[test]
fn dense_layers_see_the_concatenation_of_everything_before() {
    let dev = Cpu::seed_from_u64(11);
    let net = DenseOnly::<f32, Cpu>::build(&dev);
    let x: Maps<U4> = maps(&dev, 2);
    let d = &net.d;
    let x1 = concat_channels(x.clone(), dense_layer!(x.clone(), d.layer0.c)).unwrap();
    let x2 = concat_channels(x1.clone(), dense_layer!(x1, d.layer1.c)).unwrap();
    let x3 = concat_channels(x2.clone(), dense_layer!(x2, d.layer2.c)).unwrap();
    let y = net.forward(x.clone()).unwrap();
    // (our tanh and dfdx's may differ in the last bit)
    common::assert_close(&y.as_vec(), &x3.as_vec(), 1e-6, "dense output");
    // the block keeps its input as the first channels
    assert_eq!(&y.as_vec()[..4 * 36], &x.as_vec()[..4 * 36]);
    // each layer's input channels grow by the growth rate
    assert_eq!(d.layer0.c.weight.shape().concrete(), [2, 4, 3, 3]);
    assert_eq!(d.layer2.c.weight.shape().concrete(), [2, 8, 3, 3]);
}

network! {
    /// `DenseOnly`'s layer as a generic block: torchvision's `_DenseLayer`.
    pub block GrowBy2(input: [C, H, W]) {
        c: conv(2, k = 3, p = 1), tanh,
    }
}

network! {
    /// `DenseOnly` with each layer the block itself (`#[key = ""]`).
    DenseOfBlocks(input: [4, 6, 6]) {
        d: dense(layers = 3) { #[key = ""] layer: block(GrowBy2) -> [2, 6, 6] } -> [10, 6, 6],
    }
}

#[test]
fn a_dense_layer_can_be_one_generic_block_with_the_same_names_and_outputs() {
    let dev = Cpu::seed_from_u64(12);
    let inline = DenseOnly::<f32, Cpu>::build(&dev);
    let mut blocks = DenseOfBlocks::<f32, Cpu>::build(&dev);
    assert_eq!(
        splotnet::state_dict::tensor_shapes(&blocks),
        splotnet::state_dict::tensor_shapes(&inline),
        "the block adds no level: `d.0.c.weight`, as inline layers"
    );
    blocks.d.layer0.c = inline.d.layer0.c.clone();
    blocks.d.layer1.c = inline.d.layer1.c.clone();
    blocks.d.layer2.c = inline.d.layer2.c.clone();
    let x: Maps<U4> = maps(&dev, 2);
    let (a, b) = (
        inline.forward(x.clone()).unwrap(),
        blocks.forward(x).unwrap(),
    );
    assert_eq!(a.as_vec(), b.as_vec());
    // each layer is the block at its own input channels
    assert_eq!(blocks.d.layer2.c.weight.shape().concrete(), [2, 8, 3, 3]);
}

network! {
    /// A convolutional highway layer whose gate starts mostly closed.
    HighwayOnly(input: [3, 6, 6]) {
        h: highway(gate_k = 3, gate_bias = -2) { c: conv(3, k = 3, p = 1), relu },
    }
}

#[test]
fn highway_mixes_the_body_and_the_input_through_the_gate() {
    let dev = Cpu::seed_from_u64(12);
    let net = HighwayOnly::<f32, Cpu>::build(&dev);
    assert!(net
        .h
        .gate
        .transform
        .bias
        .as_vec()
        .iter()
        .all(|b| *b == -2.0));
    let x: Maps<U3> = maps(&dev, 2);
    let same = Conv2dSpec::<U1, U1, U1, U1>::new();
    let body = conv2d(x.clone(), &net.h.c.weight, Some(&net.h.c.bias), same)
        .unwrap()
        .relu()
        .as_vec();
    let gate = conv2d(
        x.clone(),
        &net.h.gate.transform.weight,
        Some(&net.h.gate.transform.bias),
        same,
    )
    .unwrap()
    .sigmoid()
    .as_vec();
    let y = net.forward(x.clone()).unwrap().as_vec();
    for (i, ((xi, hi), ti)) in x.as_vec().iter().zip(&body).zip(&gate).enumerate() {
        let want = ti * hi + (1.0 - ti) * xi;
        assert!((y[i] - want).abs() < 1e-5, "at {i}: {} vs {want}", y[i]);
    }
}

network! {
    /// Dense and highway blocks together, for gradients and training.
    Mixed(input: [3, 6, 6]) {
        stem: conv(4, k = 3, p = 1),
        d: dense(layers = 2) { bn: batch_norm, relu, c: conv(2, k = 3, p = 1) } -> [8, 6, 6],
        h: highway { c: conv(8, k = 1), tanh },
        global_avg_pool,
        fh: highway(gate_bias = -1.5) { f: linear(8), relu } -> [8],
        head: linear(2),
    }
}

/// `sum(forward(x) · r)`, in f64, for finite differences.
fn probe_loss(net: &Mixed<f32, Cpu>, x: &Maps<U3>, r: &[f32]) -> f64 {
    let y = net.forward(x.clone()).unwrap().as_vec();
    y.iter().zip(r).map(|(a, b)| *a as f64 * *b as f64).sum()
}

#[test]
fn gradients_through_dense_and_highway_match_finite_differences() {
    let dev = Cpu::seed_from_u64(13);
    let mut net = Mixed::<f32, Cpu>::build(&dev);
    let x: Maps<U3> = maps(&dev, 2);
    let r: Vec<f32> = (0..4).map(|i| [0.7, -1.3, 0.4, 1.1][i]).collect();
    let rt: Tensor<(usize, N<typenum::U2>), f32, Cpu> =
        dev.tensor_from_vec(r.clone(), (2, N::new()));
    let loss = (net.forward(x.leaky_trace()).unwrap() * rt).sum();
    let grads = loss.backward();
    type Net = Mixed<f32, Cpu>;
    let loss = |n: &mut Net| probe_loss(n, &x, &r);
    let (gs, gd, gg, gb) = (
        grads.get(&net.stem.weight).as_vec(),
        grads.get(&net.d.layer1.c.weight).as_vec(),
        grads.get(&net.h.gate.transform.weight).as_vec(),
        grads.get(&net.fh.gate.transform.bias).as_vec(),
    );
    common::assert_matches_finite_differences(
        &mut net,
        "stem.weight",
        &gs,
        |n: &mut Net| &mut n.stem.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "d.1.c.weight",
        &gd,
        |n: &mut Net| &mut n.d.layer1.c.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "h.gate.weight",
        &gg,
        |n: &mut Net| &mut n.h.gate.transform.weight,
        loss,
    );
    common::assert_matches_finite_differences(
        &mut net,
        "fh.gate.bias",
        &gb,
        |n: &mut Net| &mut n.fh.gate.transform.bias,
        loss,
    );
}

#[test]
fn dense_and_highway_train_and_name_parameters_like_pytorch() {
    let dev = Cpu::seed_from_u64(14);
    let mut net = Mixed::<f32, Cpu>::build(&dev);
    let x: Maps<U3> = maps(&dev, 8);
    let labels: Vec<usize> = (0..8).map(|i| i % 2).collect();
    let targets = common::onehot::<N<typenum::U2>>(&dev, &labels);
    let losses = common::train_adam(&mut net, &x, &targets, 40, 1e-2, |n, x| {
        n.forward_train(x).unwrap()
    });
    assert!(
        losses[39] < 0.5 * losses[0],
        "loss did not fall: {losses:?}"
    );
    common::assert_round_trip(
        &net,
        Mixed::<f32, Cpu>::build(&Cpu::seed_from_u64(1)),
        "blocks",
        &[
            "d.0.bn.running_mean",
            "d.1.c.weight",
            "h.gate.weight",
            "h.c.bias",
            "fh.gate.bias",
            "fh.f.weight",
        ],
        |n| n.forward(x.clone()).unwrap().as_vec(),
    );
}

#[test]
fn summary_counts_gates_and_dense_growth() {
    let s = Mixed::<f32, Cpu>::summary();
    let row = |name: &str| s.rows.iter().find(|r| r.name == name).unwrap().clone();
    assert_eq!(row("d").output, vec![Some(8), Some(6), Some(6)]);
    assert_eq!(row("d.0.c").params, 2 * 4 * 9 + 2);
    assert_eq!(row("d.1.c").params, 2 * 6 * 9 + 2);
    assert_eq!(row("d.1.bn").params, 2 * 6);
    // the gate of h: a 1x1 convolution from 8 to 8 maps
    assert_eq!(row("h").params, 8 * 8 + 8);
    assert_eq!(row("h").macs, Some(36 * 8 * 8));
    assert_eq!(row("h").kind, "Highway (gate 1x1)");
    assert_eq!(row("fh").params, 8 * 8 + 8);
}

network! {
    /// A trunk with an auxiliary classifier part-way, as GoogLeNet's.
    WithAux(input: [1, 16, 16]) {
        c1: conv(4, k = 3, p = 1), relu,
        side: aux { avg_pool(k = 4), c: conv(2, k = 1), tanh, flatten, fc: linear(3) } -> [4, 16, 16],
        c2: conv(8, k = 3, s = 2, p = 1), relu,
        global_avg_pool,
        head: linear(3),
    }
}

#[test]
fn auxiliary_head_branches_off_the_main_path() {
    use splotnet::layers::Flatten;
    use splotnet::ops::{avg_pool2d, Pool2dSpec};
    use typenum::U16;
    let dev = Cpu::seed_from_u64(21);
    let mut net = WithAux::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U1>, N<U16>, N<U16>), f32, Cpu> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let (main, aux) = net.forward_train_aux(x.clone()).unwrap();
    assert_eq!(main.as_vec(), net.forward(x.clone()).unwrap().as_vec());
    // the head by hand, from c1's maps
    let c1 = conv2d(
        x,
        &net.c1.weight,
        Some(&net.c1.bias),
        Conv2dSpec::<U1, U1, U1, U1>::new(),
    )
    .unwrap()
    .relu();
    let pooled = avg_pool2d(c1, Pool2dSpec::<U4, U4>::new()).unwrap();
    let side = &net.side;
    let c = conv2d(
        pooled,
        &side.c.weight,
        Some(&side.c.bias),
        <Conv2dSpec>::new(),
    )
    .unwrap()
    .tanh();
    let by_hand = side.fc.forward(Flatten.forward(c)).as_vec();
    common::assert_close(&aux.side.as_vec(), &by_hand, 1e-6, "aux head");
}

#[test]
fn auxiliary_losses_train_the_head_and_forward_train_skips_it() {
    use typenum::U16;
    let dev = Cpu::seed_from_u64(22);
    let mut net = WithAux::<f32, Cpu>::build(&dev);
    let x: Tensor<(usize, N<U1>, N<U16>, N<U16>), f32, Cpu> =
        dev.sample_normal_like(&(6, N::new(), N::new(), N::new()));
    let labels: Vec<usize> = (0..6).map(|i| i % 3).collect();
    let targets = common::onehot::<N<U3>>(&dev, &labels);

    let grads = net.alloc_grads();
    let logits = net.forward_train(x.clone().traced(grads)).unwrap();
    let grads = cross_entropy_with_logits_loss(logits, targets.clone()).backward();
    assert!(grads
        .get(&net.side.fc.weight)
        .as_vec()
        .iter()
        .all(|g| *g == 0.0));

    let mut opt = Adam::new(
        &net,
        AdamConfig {
            lr: 1e-2,
            ..Default::default()
        },
    );
    // the summed loss's gradient reaches the head, and is right
    let summed = |n: &mut WithAux<f32, Cpu>, x: Tensor<_, f32, Cpu, OwnedTape<f32, Cpu>>| {
        let (main, aux) = n.forward_train_aux(x).unwrap();
        cross_entropy_with_logits_loss(main, targets.clone())
            + cross_entropy_with_logits_loss(aux.side, targets.clone()) * 0.3
    };
    let g = summed(&mut net, x.leaky_trace())
        .backward()
        .get(&net.side.c.weight)
        .as_vec();
    common::assert_matches_finite_differences(
        &mut net,
        "side.c.weight",
        &g,
        |n| &mut n.side.c.weight,
        |n| summed(n, x.leaky_trace()).array() as f64,
    );
    let mut grads = net.alloc_grads();
    let (mut first, mut last) = (None, (0.0, 0.0));
    for _ in 0..60 {
        let (main, aux) = net.forward_train_aux(x.clone().traced(grads)).unwrap();
        let main_loss = cross_entropy_with_logits_loss(main, targets.clone());
        let aux_loss = cross_entropy_with_logits_loss(aux.side, targets.clone());
        last = (main_loss.array(), aux_loss.array());
        first.get_or_insert(last);
        // GoogLeNet's weighting of an auxiliary loss
        grads = (main_loss + aux_loss * 0.3).backward();
        opt.update(&mut net, &grads).unwrap();
        net.zero_grads(&mut grads);
    }
    let first = first.unwrap();
    assert!(last.0 < 0.5 * first.0, "main loss {first:?} -> {last:?}");
    assert!(last.1 < 0.5 * first.1, "aux loss {first:?} -> {last:?}");

    let s = WithAux::<f32, Cpu>::summary();
    let side = s.rows.iter().find(|r| r.name == "side").unwrap();
    assert_eq!(side.kind, "Auxiliary head");
    assert_eq!(side.output, vec![Some(3)]);
    let fc = s.rows.iter().find(|r| r.name == "side.fc").unwrap();
    // avg_pool 4 leaves 2 maps of 4x4 after the 1x1 conv: 32 features
    assert_eq!(fc.params, 32 * 3 + 3);
}

network! {
    /// A convolution without bias before batch norm, as in ResNets.
    ConvBn(input: [3, 6, 6]) {
        c: conv(4, k = 3, p = 1, bias = false),
        bn: batch_norm,
    }
}

#[test]
fn a_convolution_without_bias_has_no_bias_tensor() {
    let dev = Cpu::seed_from_u64(41);
    let net = ConvBn::<f32, Cpu>::build(&dev);
    let x: Maps<U3> = maps(&dev, 2);
    let s = ConvBn::<f32, Cpu>::summary();
    let row = s.rows.iter().find(|r| r.name == "c").unwrap();
    assert_eq!(row.params, 4 * 3 * 9);
    assert_eq!(row.kind, "Conv2d 3x3 (no bias)");
    let conv_only = conv2d(
        x.clone(),
        &net.c.weight,
        None,
        Conv2dSpec::<U1, U1, U1, U1>::new(),
    )
    .unwrap();
    let y = net.bn.forward(conv_only);
    assert_eq!(net.forward(x.clone()).unwrap().as_vec(), y.as_vec());
    let dir = common::temp_dir("nobias");
    let path = dir.join("net.safetensors");
    net.save_safetensors(&path).unwrap();
    let header = common::safetensors_header(&path);
    assert!(header.contains("\"c.weight\"") && !header.contains("\"c.bias\""));
    std::fs::remove_dir_all(&dir).unwrap();
}
