//! ResNet-18 (torchvision's layout, built from the zoo's `BasicBlock`s) at
//! 64x64: one training step at batch 32 (`train::train_step`, the step
//! `fit` runs: forward, cross-entropy, backward, SGD with momentum 0.9) and
//! inference at batch 32, to set beside
//! `../shared/anchors/pytorch_zoo_bench.py --model resnet18 --batch 32 --size 64`.
//! Throughput is in images per second ("elem/s"); each call runs inside one
//! `rayon::scope`, as the training loop does.
//!
//! `cargo bench --bench zoo` (peak memory: run the bench binary under
//! `/usr/bin/time -v`)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use splotnet::network;
use splotnet::prelude::*;
use splotnet::train::{train_step, Classifier, Optimizer, OptimizerKind, Rows};
use splotnet::zoo::resnet::{BasicBlock, BasicBlockDown};
use std::time::Duration;

network! {
    /// torchvision's `resnet18()` on 64x64 inputs (its layers are size
    /// agnostic; ours are typed, so the sizes follow from the input).
    pub ResNet18At64(input: [3, 64, 64]) {
        conv1: conv(64, k = 7, s = 2, p = 3, bias = false),
        bn1: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1),
        layer1_0: block(BasicBlock) -> [64, 16, 16],
        layer1_1: block(BasicBlock) -> [64, 16, 16],
        layer2_0: block(BasicBlockDown) -> [128, 8, 8],
        layer2_1: block(BasicBlock) -> [128, 8, 8],
        layer3_0: block(BasicBlockDown) -> [256, 4, 4],
        layer3_1: block(BasicBlock) -> [256, 4, 4],
        layer4_0: block(BasicBlockDown) -> [512, 2, 2],
        layer4_1: block(BasicBlock) -> [512, 2, 2],
        adaptive_avg_pool(1),
        flatten,
        fc: linear(1000),
    }
}

const BATCH: usize = 32;

fn resnet18(c: &mut Criterion) {
    let dev = Cpu::seed_from_u64(0);
    let mut net = ResNet18At64::<f32, Cpu>::build(&dev);
    let mut opt = Optimizer::new(OptimizerKind::Sgd { momentum: 0.9 }, 0.01, 0.0);
    let mut grads = Some(net.alloc_grads());
    // one flattened sample per row, as the training loop passes them
    let len = <ResNet18At64<f32, Cpu> as Classifier<Cpu>>::sample_len();
    let x: Rows<Cpu> = dev.sample_normal_like(&(BATCH, len));
    let mut onehot = vec![0.0f32; BATCH * 1000];
    for i in 0..BATCH {
        onehot[i * 1000 + (i * 37) % 1000] = 1.0;
    }
    let y: Rows<Cpu> = dev.tensor_from_vec(onehot, (BATCH, 1000));
    let mut group = c.benchmark_group("resnet18 64x64");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("train step, batch 32", |b| {
        b.iter(|| {
            rayon::scope(|_| {
                let g = grads.take().expect("the gradients come back each step");
                let step = train_step(&mut net, x.clone(), g, &y, &mut opt).expect("step");
                grads = Some(step.grads);
            })
        })
    });
    group.bench_function("inference, batch 32", |b| {
        b.iter(|| criterion::black_box(rayon::scope(|_| net.scores(x.clone())).expect("forward")))
    });
    group.finish();
}

criterion_group!(benches, resnet18);
criterion_main!(benches);
