//! DenseNet (Huang, Liu, van der Maaten and Weinberger, "Densely connected
//! convolutional networks", CVPR 2017) as torchvision declares it: growth
//! rate 32, bottleneck layers of 4·32 = 128 channels (DenseNet-B), and
//! transitions that halve the channels (compression 0.5, DenseNet-C). The
//! names are torchvision's (`features.denseblock1.denselayer1.norm1.weight`,
//! `features.transition1.conv.weight`), so its weights load as PyTorch saved
//! them.
//!
//! A dense block is `dense(layers = n, keys = "denselayer{1}") { .. }`: the
//! compiler adds up the channels (64 + 6·32 = 256 after the first block) and
//! the layers take torchvision's 1-based names. Each layer is torchvision's
//! `_DenseLayer`, one generic block that is the whole layer (`#[key = ""]`
//! adds no level to the names); the transition is one generic block too.
//! Both work at any channel count:
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::densenet::{DenseLayer, Transition};
//!
//! network! {
//!     Small(input: [16, 8, 8]) {
//!         block1: dense(layers = 2, keys = "denselayer{1}") {
//!             #[key = ""] layer: block(DenseLayer<32, 8>) -> [8, 8, 8],
//!         } -> [32, 8, 8],
//!         transition1: block(Transition) -> [16, 4, 4],
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let net = Small::<f32, Cpu>::build(&dev);
//! let x: Tensor<(usize, N<splotnet::typenum::U16>, N<splotnet::typenum::U8>, N<splotnet::typenum::U8>), f32, Cpu> =
//!     dev.zeros_like(&(2, N::new(), N::new(), N::new()));
//! assert_eq!(net.forward(x).unwrap().shape().concrete(), [2, 16, 4, 4]);
//! let names = splotnet::state_dict::tensor_shapes(&net);
//! assert_eq!(names[0].0, "block1.denselayer1.norm1.weight");
//! ```
//!
//! With the `zoo` feature, DenseNet-121, -169 and -201:
//!
//! ```
//! # #[cfg(feature = "zoo")] {
//! use splotnet::prelude::*;
//! use splotnet::zoo::densenet::{DenseNet121, DenseNet169, DenseNet201};
//!
//! assert_eq!(DenseNet121::<f32, Cpu>::summary().params(), 7_978_856);
//! assert_eq!(DenseNet169::<f32, Cpu>::summary().params(), 14_149_480);
//! assert_eq!(DenseNet201::<f32, Cpu>::summary().params(), 20_013_928);
//! # }
//! ```

use crate::network;

network! {
    /// torchvision's `_DenseLayer(C, G, BN / G)`: batch norm, ReLU, a 1x1
    /// convolution to `BN` channels (the bottleneck), batch norm, ReLU, and a
    /// 3x3 convolution to the `G` new channels (the growth rate).
    pub block DenseLayer<BN, G>(input: [C, H, W]) {
        norm1: batch_norm, relu, conv1: conv(BN, k = 1, bias = false),
        norm2: batch_norm, relu, conv2: conv(G, k = 3, p = 1, bias = false),
    }
}

network! {
    /// torchvision's `_Transition(C, C / 2)`: batch norm, ReLU, a 1x1
    /// convolution to half the channels, 2x2 average pooling.
    pub block Transition(input: [C, H, W]) {
        norm: batch_norm, relu,
        conv: conv(C / 2, k = 1, bias = false),
        avg_pool(k = 2, s = 2),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `densenet121()`: blocks of 6, 12, 24 and 16 layers,
    /// 7,978,856 parameters at 1000 classes.
    pub DenseNet121<CLASSES = 1000>(input: [3, 224, 224]) {
        #[key = "features.conv0"] conv0: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        #[key = "features.norm0"] norm0: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "features.denseblock1"] denseblock1: dense(layers = 6, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 56, 56],
        } -> [256, 56, 56],
        #[key = "features.transition1"] transition1: block(Transition) -> [128, 28, 28],
        #[key = "features.denseblock2"] denseblock2: dense(layers = 12, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 28, 28],
        } -> [512, 28, 28],
        #[key = "features.transition2"] transition2: block(Transition) -> [256, 14, 14],
        #[key = "features.denseblock3"] denseblock3: dense(layers = 24, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 14, 14],
        } -> [1024, 14, 14],
        #[key = "features.transition3"] transition3: block(Transition) -> [512, 7, 7],
        #[key = "features.denseblock4"] denseblock4: dense(layers = 16, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 7, 7],
        } -> [1024, 7, 7],
        #[key = "features.norm5"] norm5: batch_norm, relu,
        adaptive_avg_pool(1) -> [1024, 1, 1],
        flatten,
        classifier: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `densenet169()`: blocks of 6, 12, 32 and 32 layers,
    /// 14,149,480 parameters at 1000 classes.
    pub DenseNet169<CLASSES = 1000>(input: [3, 224, 224]) {
        #[key = "features.conv0"] conv0: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        #[key = "features.norm0"] norm0: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "features.denseblock1"] denseblock1: dense(layers = 6, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 56, 56],
        } -> [256, 56, 56],
        #[key = "features.transition1"] transition1: block(Transition) -> [128, 28, 28],
        #[key = "features.denseblock2"] denseblock2: dense(layers = 12, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 28, 28],
        } -> [512, 28, 28],
        #[key = "features.transition2"] transition2: block(Transition) -> [256, 14, 14],
        #[key = "features.denseblock3"] denseblock3: dense(layers = 32, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 14, 14],
        } -> [1280, 14, 14],
        #[key = "features.transition3"] transition3: block(Transition) -> [640, 7, 7],
        #[key = "features.denseblock4"] denseblock4: dense(layers = 32, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 7, 7],
        } -> [1664, 7, 7],
        #[key = "features.norm5"] norm5: batch_norm, relu,
        adaptive_avg_pool(1) -> [1664, 1, 1],
        flatten,
        classifier: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `densenet201()`: blocks of 6, 12, 48 and 32 layers,
    /// 20,013,928 parameters at 1000 classes.
    pub DenseNet201<CLASSES = 1000>(input: [3, 224, 224]) {
        #[key = "features.conv0"] conv0: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        #[key = "features.norm0"] norm0: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "features.denseblock1"] denseblock1: dense(layers = 6, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 56, 56],
        } -> [256, 56, 56],
        #[key = "features.transition1"] transition1: block(Transition) -> [128, 28, 28],
        #[key = "features.denseblock2"] denseblock2: dense(layers = 12, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 28, 28],
        } -> [512, 28, 28],
        #[key = "features.transition2"] transition2: block(Transition) -> [256, 14, 14],
        #[key = "features.denseblock3"] denseblock3: dense(layers = 48, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 14, 14],
        } -> [1792, 14, 14],
        #[key = "features.transition3"] transition3: block(Transition) -> [896, 7, 7],
        #[key = "features.denseblock4"] denseblock4: dense(layers = 32, keys = "denselayer{1}") {
            #[key = ""] layer: block(DenseLayer<128, 32>) -> [32, 7, 7],
        } -> [1920, 7, 7],
        #[key = "features.norm5"] norm5: batch_norm, relu,
        adaptive_avg_pool(1) -> [1920, 1, 1],
        flatten,
        classifier: linear(CLASSES),
    }
}
