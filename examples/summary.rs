//! Prints the layer tables of declared networks: LeNet-5 (and the paper's
//! with its connections column), a small ResNet,
//! GoogLeNet's inception (3a), a small DenseNet with a highway layer and an
//! auxiliary head, and a ResNet built from a generic block.
//!
//!     cargo run --example summary

use splotnet::prelude::*;

network! {
    /// LeNet-5 (LeCun et al. 1998) with dense C3 and average pooling.
    LeNet5(input: [1, 32, 32]) {
        c1: conv(6, k = 5)           -> [6, 28, 28],
        tanh,
        s2: avg_pool(k = 2)          -> [6, 14, 14],
        c3: conv(16, k = 5)          -> [16, 10, 10],
        tanh,
        s4: avg_pool(k = 2)          -> [16, 5, 5],
        c5: conv(120, k = 5)         -> [120, 1, 1],
        tanh,
        flatten,
        f6: linear(84), tanh,
        out: linear(10),
    }
}

network! {
    /// A small ResNet for 32x32 images: stem, two identity blocks, one projection block.
    SmallResNet(input: [3, 32, 32]) {
        stem: conv(16, k = 3, p = same), relu,
        layer1: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        } -> [16, 32, 32],
        relu,
        layer2: residual {
            conv1: conv(16, k = 3, p = same), relu,
            conv2: conv(16, k = 3, p = same),
        },
        relu,
        layer3: residual(project) {
            conv1: conv(32, k = 3, s = 2, p = 1), relu,
            conv2: conv(32, k = 3, p = same),
        } -> [32, 16, 16],
        relu,
        global_avg_pool,
        fc: linear(10),
    }
}

network! {
    /// GoogLeNet's inception (3a) on its 28x28x192 input (Szegedy et al. 2014).
    Inception3a(input: [192, 28, 28]) {
        inception3a: concat {
            b1: [ conv1x1: conv(64, k = 1), relu ],
            b2: [ reduce: conv(96, k = 1), relu, conv3x3: conv(128, k = 3, p = same), relu ],
            b3: [ reduce: conv(16, k = 1), relu, conv5x5: conv(32, k = 5, p = same), relu ],
            b4: [ max_pool(k = 3, s = 1, p = 1), proj: conv(32, k = 1), relu ],
        } -> [256, 28, 28],
    }
}

network! {
    /// A small DenseNet (Huang et al. 2017) with growth rate 12, a highway
    /// layer (Srivastava et al. 2015) and an auxiliary head.
    SmallDenseNet(input: [3, 32, 32]) {
        stem: conv(24, k = 3, p = same),
        dense1: dense(layers = 4) {
            bn: batch_norm, relu, conv: conv(12, k = 3, p = same),
        } -> [72, 32, 32],
        transition: conv(36, k = 1), avg_pool(k = 2) -> [36, 16, 16],
        side: aux { global_avg_pool, fc: linear(10) },
        dense2: dense(layers = 4) {
            bn: batch_norm, relu, conv: conv(12, k = 3, p = same),
        } -> [84, 16, 16],
        gate: highway(gate_bias = -2) { conv: conv(84, k = 3, p = same), relu },
        global_avg_pool,
        fc: linear(10),
    }
}

network! {
    /// ResNet's basic block, declared once: generic over channels and size.
    pub block Basic(input: [C, H, W]) {
        body: residual {
            conv1: conv(C, k = 3, p = 1), bn1: batch_norm, relu,
            conv2: conv(C, k = 3, p = 1), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// The basic block at two channel counts and two sizes.
    BlockResNet(input: [3, 32, 32]) {
        stem: conv(16, k = 3, p = same), relu,
        layer1: block(Basic) -> [16, 32, 32],
        down: conv(32, k = 3, s = 2, p = 1), relu,
        layer2: block(Basic) -> [32, 16, 16],
        global_avg_pool,
        fc: linear(10),
    }
}

fn main() {
    println!("{}", LeNet5::<f32, Cpu>::summary());
    // the 1998 paper's LeNet-5 (trainable subsampling, C3's connection
    // table), with the paper's connections column (`{:#}`)
    println!("{:#}", splotnet::zoo::lenet5::LeNet5::<f32, Cpu>::summary());
    println!("{}", SmallResNet::<f32, Cpu>::summary());
    println!("{}", Inception3a::<f32, Cpu>::summary());
    println!("{}", SmallDenseNet::<f32, Cpu>::summary());
    println!("{}", BlockResNet::<f32, Cpu>::summary());
}
