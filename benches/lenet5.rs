//! LeNet-5 (the 1998 network from `zoo`): one training step at batch 64
//! (forward, loss, backward, SGD update: the training loop's own step) and
//! inference at batch 1000 and 1,
//! to set beside `../shared/anchors/pytorch_lenet5.py`. Throughput is in
//! images per second ("elem/s"). Each call runs inside `rayon::scope`, as
//! the training loop does: one hand-off to the thread pool per step.
//!
//! `cargo bench --bench lenet5`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use splotnet::data::embedded_sample;
use splotnet::prelude::*;
use splotnet::train::{Digits, Optimizer, OptimizerKind};
use splotnet::zoo::lenet5::LeNet5;
use std::time::Duration;
use typenum::U10;

fn digits(dev: &Cpu, n: usize) -> (Digits, Tensor<(usize, N<U10>), f32, Cpu>) {
    let data = embedded_sample().expect("the embedded sample loads");
    let idx: Vec<usize> = (0..n).map(|i| i % data.train.len()).collect();
    let (pixels, labels) = data.train.batch(&idx, 2);
    let mut onehot = vec![0.0f32; n * 10];
    for (i, l) in labels.iter().enumerate() {
        onehot[i * 10 + l] = 1.0;
    }
    (
        dev.tensor_from_vec(pixels, (n, N::new(), N::new(), N::new())),
        dev.tensor_from_vec(onehot, (n, N::new())),
    )
}

fn lenet5(c: &mut Criterion) {
    let dev = Cpu::seed_from_u64(0);
    let mut net = LeNet5::<f32, Cpu>::build(&dev);
    let mut opt = Optimizer::new(OptimizerKind::Sgd { momentum: 0.9 }, 0.05, 0.0);
    let mut grads = Some(net.alloc_grads());
    let mut group = c.benchmark_group("lenet5");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    let (x, y) = digits(&dev, 64);
    group.throughput(Throughput::Elements(64));
    group.bench_function("train step, batch 64", |b| {
        b.iter(|| {
            rayon::scope(|_| {
                let g = grads.take().expect("the gradients come back each step");
                let logits = net.forward_train(x.clone().traced(g)).expect("forward");
                let loss = cross_entropy_with_logits_loss(logits, y.clone());
                let mut g = loss.backward();
                opt.update(&mut net, &g).expect("update");
                net.zero_grads(&mut g);
                grads = Some(g);
            })
        })
    });
    for n in [1000, 1] {
        let (x, _) = digits(&dev, n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("inference, batch {n}"), |b| {
            b.iter(|| {
                criterion::black_box(rayon::scope(|_| net.forward(x.clone())).expect("forward"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lenet5);
criterion_main!(benches);
