//! Prints the layer tables of three declared networks.
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

fn main() {
    println!("{}", LeNet5::<f32, Cpu>::summary());
    println!("{}", SmallResNet::<f32, Cpu>::summary());
    println!("{}", Inception3a::<f32, Cpu>::summary());
}
