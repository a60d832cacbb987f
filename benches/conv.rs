//! Conv2d forward and forward+backward (input and weight gradients) for the
//! shapes of `../shared/anchors/pytorch_conv_bench.py`, and max pooling 3x3/2.
//!
//! Throughput is reported in elements/s where one element is one FLOP
//! (2·N·O·C·K·K·Ho·Wo per forward, 3x that forward+backward, as the PyTorch
//! script counts), so criterion's "Gelem/s" reads as GFLOP/s. The
//! forward+backward pass is `conv2d → sum → backward`: dfdx seeds backward
//! from a scalar, so one extra pass over the output is included.
//!
//! `cargo bench --bench conv`; threads follow `RAYON_NUM_THREADS` (default: all cores).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use splotnet::formula::conv_out;
use splotnet::ops::{conv2d, max_pool2d, Conv2dSpec, Pool2dSpec};
use splotnet::prelude::*;
use std::time::Duration;
use typenum::{U1, U2, U3};

type Dyn4 = (usize, usize, usize, usize);

fn bench_case<S: Copy>(
    c: &mut Criterion,
    name: &str,
    x_shape: Dyn4,
    w_shape: Dyn4,
    spec: S,
    run: impl Fn(Tensor<Dyn4, f32, Cpu>, &Tensor<Dyn4, f32, Cpu>, S, bool),
    (stride, pad): (usize, usize),
) {
    let dev: Cpu = Default::default();
    let x: Tensor<Dyn4, f32, Cpu> = dev.sample_normal_like(&x_shape);
    let w: Tensor<Dyn4, f32, Cpu> = dev.sample_normal_like(&w_shape) * 0.1;
    let (n, ci, h, wd) = x_shape;
    let (o, _, kh, kw) = w_shape;
    let out = |i, k| conv_out(i, k, stride, pad, 1, false).expect("benchmark shapes are valid");
    let flops = 2 * n * o * ci * kh * kw * out(h, kh) * out(wd, kw);
    let mut group = c.benchmark_group(format!("conv2d/{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(flops as u64));
    group.bench_function(BenchmarkId::from_parameter("fwd"), |b| {
        b.iter(|| run(x.clone(), &w, spec, false))
    });
    group.throughput(Throughput::Elements(3 * flops as u64));
    group.bench_function(BenchmarkId::from_parameter("fwd+bwd"), |b| {
        b.iter(|| run(x.clone(), &w, spec, true))
    });
    group.finish();
}

macro_rules! runner {
    ($spec:ty) => {
        |x: Tensor<Dyn4, f32, Cpu>, w: &Tensor<Dyn4, f32, Cpu>, spec: $spec, backward: bool| {
            if backward {
                let y = conv2d(x.leaky_trace(), w, None, spec).expect("conv2d");
                let grads = y.sum().backward();
                criterion::black_box(grads);
            } else {
                criterion::black_box(conv2d(x, w, None, spec).expect("conv2d"));
            }
        }
    };
}

fn convs(c: &mut Criterion) {
    type Valid = Conv2dSpec;
    type Pad1 = Conv2dSpec<U1, U1, U1>;
    type S2P3 = Conv2dSpec<U2, U2, U3>;
    bench_case(
        c,
        "lenet_c1 (64,1,32,32)x(6,1,5,5)",
        (64, 1, 32, 32),
        (6, 1, 5, 5),
        Valid::new(),
        runner!(Valid),
        (1, 0),
    );
    bench_case(
        c,
        "lenet_c3 (64,6,14,14)x(16,6,5,5)",
        (64, 6, 14, 14),
        (16, 6, 5, 5),
        Valid::new(),
        runner!(Valid),
        (1, 0),
    );
    bench_case(
        c,
        "resnet_3x3 (32,64,56,56)x(64,64,3,3) p1",
        (32, 64, 56, 56),
        (64, 64, 3, 3),
        Pad1::new(),
        runner!(Pad1),
        (1, 1),
    );
    bench_case(
        c,
        "resnet_stem7x7 (32,3,224,224)x(64,3,7,7) s2 p3",
        (32, 3, 224, 224),
        (64, 3, 7, 7),
        S2P3::new(),
        runner!(S2P3),
        (2, 3),
    );
}

fn pool(c: &mut Criterion) {
    let dev: Cpu = Default::default();
    let shape: Dyn4 = (32, 64, 112, 112);
    let x: Tensor<Dyn4, f32, Cpu> = dev.sample_normal_like(&shape);
    let spec = Pool2dSpec::<U3, U3, U2, U2, U1>::new();
    let mut group = c.benchmark_group("max_pool2d/3x3 s2 p1 (32,64,112,112)");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements((32 * 64 * 112 * 112) as u64));
    group.bench_function("fwd", |b| {
        b.iter(|| criterion::black_box(max_pool2d(x.clone(), spec).expect("pool")))
    });
    group.bench_function("fwd+bwd", |b| {
        b.iter(|| {
            let y = max_pool2d(x.clone().leaky_trace(), spec).expect("pool");
            criterion::black_box(y.sum().backward())
        })
    });
    group.finish();
}

criterion_group!(benches, convs, pool);
criterion_main!(benches);
