//! GoogLeNet (Szegedy et al., "Going deeper with convolutions", CVPR 2015)
//! as torchvision's `googlenet()` declares it: every convolution a
//! `BasicConv2d` (convolution without bias, batch norm with eps 0.001,
//! ReLU), ceil-mode max pools, and the inception modules' "5x5" branch a
//! 3x3 convolution, as in torchvision. The names are torchvision's
//! (`inception3a.branch2.1.conv.weight`), so its weights load as PyTorch
//! saved them.
//!
//! The inception module is one generic block with six size parameters,
//! torchvision's `Inception(in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5,
//! pool_proj)` without the input channels, which the compiler knows:
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::googlenet::Inception;
//!
//! network! {
//!     Tiny(input: [16, 7, 7]) {
//!         // 8 + 8 + 4 + 4 = 24 channels, added up by the compiler
//!         inception3a: block(Inception<8, 4, 8, 2, 4, 4>) -> [24, 7, 7],
//!         global_avg_pool,
//!         fc: linear(10),
//!     }
//! }
//!
//! assert_eq!(Tiny::<f32, Cpu>::summary().params(), 708 + 24 * 10 + 10);
//! ```
//!
//! With the `zoo` feature, the whole network, with and without the two
//! auxiliary heads:
//!
//! ```
//! # #[cfg(feature = "zoo")] {
//! use splotnet::prelude::*;
//! use splotnet::zoo::googlenet::{GoogLeNet, GoogLeNetAux};
//!
//! assert_eq!(GoogLeNet::<f32, Cpu>::summary().params(), 6_624_904);
//! assert_eq!(GoogLeNetAux::<f32, Cpu>::summary().params(), 13_004_888);
//! # }
//! ```

use crate::network;

network! {
    /// torchvision's `BasicConv2d(C, O, kernel_size=1)`: a 1x1 convolution
    /// to `O` channels without bias, batch norm (eps 0.001), ReLU.
    pub block BasicConv1x1<O>(input: [C, H, W]) {
        conv: conv(O, k = 1, bias = false),
        bn: batch_norm(eps = 0.001),
        relu,
    }
}

network! {
    /// torchvision's `BasicConv2d(C, O, kernel_size=3, padding=1)`.
    pub block BasicConv3x3<O>(input: [C, H, W]) {
        conv: conv(O, k = 3, p = 1, bias = false),
        bn: batch_norm(eps = 0.001),
        relu,
    }
}

network! {
    /// torchvision's `Inception(C, B1, R3, B3, R5, B5, PP)`: four branches
    /// stacked along the channels (`B1 + B3 + B5 + PP` of them) — a 1x1
    /// convolution; 1x1 down to `R3` then 3x3; 1x1 down to `R5` then 3x3 (the
    /// paper's 5x5, a 3x3 in torchvision); a 3x3 max pool then 1x1.
    pub block Inception<B1, R3, B3, R5, B5, PP>(input: [C, H, W]) {
        #[key = ""]
        branches: concat {
            branch1: [
                conv: conv(B1, k = 1, bias = false), bn: batch_norm(eps = 0.001), relu,
            ],
            branch2: [
                #[key = "0"] reduce: block(BasicConv1x1<R3>) -> [R3, H, W],
                #[key = "1"] conv: block(BasicConv3x3<B3>) -> [B3, H, W],
            ],
            branch3: [
                #[key = "0"] reduce: block(BasicConv1x1<R5>) -> [R5, H, W],
                #[key = "1"] conv: block(BasicConv3x3<B5>) -> [B5, H, W],
            ],
            branch4: [
                max_pool(k = 3, s = 1, p = 1, ceil),
                #[key = "1"] proj: block(BasicConv1x1<PP>) -> [PP, H, W],
            ],
        },
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `googlenet(aux_logits=False)`: 6,624,904 parameters at
    /// 1000 classes.
    pub GoogLeNet<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: block(BasicConv7x7s2<64>) -> [64, 112, 112],
        max_pool(k = 3, s = 2, ceil) -> [64, 56, 56],
        conv2: block(BasicConv1x1<64>) -> [64, 56, 56],
        conv3: block(BasicConv3x3<192>) -> [192, 56, 56],
        max_pool(k = 3, s = 2, ceil) -> [192, 28, 28],
        inception3a: block(Inception<64, 96, 128, 16, 32, 32>) -> [256, 28, 28],
        inception3b: block(Inception<128, 128, 192, 32, 96, 64>) -> [480, 28, 28],
        max_pool(k = 3, s = 2, ceil) -> [480, 14, 14],
        inception4a: block(Inception<192, 96, 208, 16, 48, 64>) -> [512, 14, 14],
        inception4b: block(Inception<160, 112, 224, 24, 64, 64>) -> [512, 14, 14],
        inception4c: block(Inception<128, 128, 256, 24, 64, 64>) -> [512, 14, 14],
        inception4d: block(Inception<112, 144, 288, 32, 64, 64>) -> [528, 14, 14],
        inception4e: block(Inception<256, 160, 320, 32, 128, 128>) -> [832, 14, 14],
        max_pool(k = 2, s = 2, ceil) -> [832, 7, 7],
        inception5a: block(Inception<256, 160, 320, 32, 128, 128>) -> [832, 7, 7],
        inception5b: block(Inception<384, 192, 384, 48, 128, 128>) -> [1024, 7, 7],
        adaptive_avg_pool(1) -> [1024, 1, 1],
        flatten,
        dropout(p = 0.2),
        fc: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `googlenet(aux_logits=True)`: GoogLeNet with its two
    /// auxiliary classifiers (after inception 4a and 4d), 13,004,888
    /// parameters. `forward_train_aux` returns their outputs; the paper
    /// weights each head's loss by 0.3.
    pub GoogLeNetAux<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: block(BasicConv7x7s2<64>) -> [64, 112, 112],
        max_pool(k = 3, s = 2, ceil) -> [64, 56, 56],
        conv2: block(BasicConv1x1<64>) -> [64, 56, 56],
        conv3: block(BasicConv3x3<192>) -> [192, 56, 56],
        max_pool(k = 3, s = 2, ceil) -> [192, 28, 28],
        inception3a: block(Inception<64, 96, 128, 16, 32, 32>) -> [256, 28, 28],
        inception3b: block(Inception<128, 128, 192, 32, 96, 64>) -> [480, 28, 28],
        max_pool(k = 3, s = 2, ceil) -> [480, 14, 14],
        inception4a: block(Inception<192, 96, 208, 16, 48, 64>) -> [512, 14, 14],
        aux1: aux {
            adaptive_avg_pool(4) -> [512, 4, 4],
            conv: block(BasicConv1x1<128>) -> [128, 4, 4],
            flatten,
            fc1: linear(1024), relu,
            dropout(p = 0.7),
            fc2: linear(CLASSES),
        },
        inception4b: block(Inception<160, 112, 224, 24, 64, 64>) -> [512, 14, 14],
        inception4c: block(Inception<128, 128, 256, 24, 64, 64>) -> [512, 14, 14],
        inception4d: block(Inception<112, 144, 288, 32, 64, 64>) -> [528, 14, 14],
        aux2: aux {
            adaptive_avg_pool(4) -> [528, 4, 4],
            conv: block(BasicConv1x1<128>) -> [128, 4, 4],
            flatten,
            fc1: linear(1024), relu,
            dropout(p = 0.7),
            fc2: linear(CLASSES),
        },
        inception4e: block(Inception<256, 160, 320, 32, 128, 128>) -> [832, 14, 14],
        max_pool(k = 2, s = 2, ceil) -> [832, 7, 7],
        inception5a: block(Inception<256, 160, 320, 32, 128, 128>) -> [832, 7, 7],
        inception5b: block(Inception<384, 192, 384, 48, 128, 128>) -> [1024, 7, 7],
        adaptive_avg_pool(1) -> [1024, 1, 1],
        flatten,
        dropout(p = 0.2),
        fc: linear(CLASSES),
    }
}

network! {
    /// GoogLeNet's first layer, torchvision's `BasicConv2d(C, O,
    /// kernel_size=7, stride=2, padding=3)`.
    pub block BasicConv7x7s2<O>(input: [C, H, W]) {
        conv: conv(O, k = 7, s = 2, p = 3, bias = false),
        bn: batch_norm(eps = 0.001),
        relu,
    }
}
