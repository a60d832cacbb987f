//! A 50-weight-layer ResNet (stem, 24 two-conv residual blocks, head),
//! declared with `network!`: the compile-time check of issue 3's floor
//! (`touch examples/deep.rs && cargo check --example deep`), and a forward
//! and backward pass on a small batch.
//!
//!     cargo run --release --example deep

use splotnet::prelude::*;

network! {
    /// ResNet-style, 3 stages of 8 blocks (16, 32, 64 channels), 64x64 input.
    Deep50(input: [3, 64, 64]) {
        stem: conv(16, k = 3, p = same), relu,
        s1b1: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b2: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b3: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b4: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b5: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b6: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b7: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s1b8: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        s2b1: residual(project) {
            conv1: conv(32, k = 3, s = 2, p = 1), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b2: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b3: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b4: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b5: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b6: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b7: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s2b8: residual {
            conv1: conv(32, k = 3, p = same), relu,
            conv2: conv(32, k = 3, p = same),
        },
        relu,
        s3b1: residual(project) {
            conv1: conv(64, k = 3, s = 2, p = 1), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b2: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b3: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b4: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b5: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b6: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b7: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        s3b8: residual {
            conv1: conv(64, k = 3, p = same), relu,
            conv2: conv(64, k = 3, p = same),
        },
        relu,
        global_avg_pool,
        fc: linear(10),
    }
}

fn main() -> Result<(), splotnet::Error> {
    let dev: Cpu = Default::default();
    let net = Deep50::<f32, Cpu>::build(&dev);
    let summary = Deep50::<f32, Cpu>::summary();
    let convs = summary
        .rows
        .iter()
        .filter(|r| r.kind.starts_with("Conv2d"))
        .count();
    println!(
        "{} conv layers + 1 linear, {} parameters",
        convs,
        summary.params()
    );
    let x: Tensor<(usize, N<typenum::U3>, N<typenum::U64>, N<typenum::U64>), f32, Cpu> =
        dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
    let t = std::time::Instant::now();
    let y = net.forward(x.leaky_trace())?;
    let grads = y.square().mean().backward();
    println!(
        "forward + backward on 2 images: {:.0} ms; fc gradient norm {:.3e}",
        t.elapsed().as_secs_f64() * 1e3,
        grads
            .get(&net.fc.weight)
            .as_vec()
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt()
    );
    Ok(())
}
