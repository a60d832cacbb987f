//! VGG (Simonyan and Zisserman, "Very deep convolutional networks for
//! large-scale image recognition", ICLR 2015), configurations A (VGG-11)
//! and D (VGG-16), with and without batch norm, as torchvision's `vgg11()`,
//! `vgg16()` and `vgg16_bn()` declare them: 3x3 convolutions with padding 1,
//! 2x2 max pools, an adaptive 7x7 pool, and the dropout classifier. The
//! names are torchvision's `Sequential` indices (`features.0`,
//! `classifier.6`), so its weights load as PyTorch saved them.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::vgg::{Vgg11, Vgg16, Vgg16Bn};
//!
//! assert_eq!(Vgg11::<f32, Cpu>::summary().params(), 132_863_336);
//! assert_eq!(Vgg16::<f32, Cpu>::summary().params(), 138_357_544);
//! assert_eq!(Vgg16Bn::<f32, Cpu>::summary().params(), 138_365_992);
//! ```

use crate::network;

network! {
    /// torchvision's `vgg11()`: 132,863,336 parameters at 1000 classes.
    pub Vgg11(input: [3, 224, 224]) {
        #[key = "features.0"] conv1_1: conv(64, k = 3, p = 1) -> [64, 224, 224],
        relu,
        max_pool(k = 2) -> [64, 112, 112],
        #[key = "features.3"] conv2_1: conv(128, k = 3, p = 1) -> [128, 112, 112],
        relu,
        max_pool(k = 2) -> [128, 56, 56],
        #[key = "features.6"] conv3_1: conv(256, k = 3, p = 1) -> [256, 56, 56],
        relu,
        #[key = "features.8"] conv3_2: conv(256, k = 3, p = 1) -> [256, 56, 56],
        relu,
        max_pool(k = 2) -> [256, 28, 28],
        #[key = "features.11"] conv4_1: conv(512, k = 3, p = 1) -> [512, 28, 28],
        relu,
        #[key = "features.13"] conv4_2: conv(512, k = 3, p = 1) -> [512, 28, 28],
        relu,
        max_pool(k = 2) -> [512, 14, 14],
        #[key = "features.16"] conv5_1: conv(512, k = 3, p = 1) -> [512, 14, 14],
        relu,
        #[key = "features.18"] conv5_2: conv(512, k = 3, p = 1) -> [512, 14, 14],
        relu,
        max_pool(k = 2) -> [512, 7, 7],
        adaptive_avg_pool(7) -> [512, 7, 7],
        flatten,
        #[key = "classifier.0"] fc6: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.3"] fc7: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.6"] fc8: linear(1000),
    }
}

network! {
    /// torchvision's `vgg16()`: 138,357,544 parameters at 1000 classes.
    pub Vgg16(input: [3, 224, 224]) {
        #[key = "features.0"] conv1_1: conv(64, k = 3, p = 1) -> [64, 224, 224],
        relu,
        #[key = "features.2"] conv1_2: conv(64, k = 3, p = 1) -> [64, 224, 224],
        relu,
        max_pool(k = 2) -> [64, 112, 112],
        #[key = "features.5"] conv2_1: conv(128, k = 3, p = 1) -> [128, 112, 112],
        relu,
        #[key = "features.7"] conv2_2: conv(128, k = 3, p = 1) -> [128, 112, 112],
        relu,
        max_pool(k = 2) -> [128, 56, 56],
        #[key = "features.10"] conv3_1: conv(256, k = 3, p = 1) -> [256, 56, 56],
        relu,
        #[key = "features.12"] conv3_2: conv(256, k = 3, p = 1) -> [256, 56, 56],
        relu,
        #[key = "features.14"] conv3_3: conv(256, k = 3, p = 1) -> [256, 56, 56],
        relu,
        max_pool(k = 2) -> [256, 28, 28],
        #[key = "features.17"] conv4_1: conv(512, k = 3, p = 1) -> [512, 28, 28],
        relu,
        #[key = "features.19"] conv4_2: conv(512, k = 3, p = 1) -> [512, 28, 28],
        relu,
        #[key = "features.21"] conv4_3: conv(512, k = 3, p = 1) -> [512, 28, 28],
        relu,
        max_pool(k = 2) -> [512, 14, 14],
        #[key = "features.24"] conv5_1: conv(512, k = 3, p = 1) -> [512, 14, 14],
        relu,
        #[key = "features.26"] conv5_2: conv(512, k = 3, p = 1) -> [512, 14, 14],
        relu,
        #[key = "features.28"] conv5_3: conv(512, k = 3, p = 1) -> [512, 14, 14],
        relu,
        max_pool(k = 2) -> [512, 7, 7],
        adaptive_avg_pool(7) -> [512, 7, 7],
        flatten,
        #[key = "classifier.0"] fc6: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.3"] fc7: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.6"] fc8: linear(1000),
    }
}

network! {
    /// torchvision's `vgg16_bn()`: 138,365,992 parameters at 1000 classes.
    pub Vgg16Bn(input: [3, 224, 224]) {
        #[key = "features.0"] conv1_1: conv(64, k = 3, p = 1) -> [64, 224, 224],
        #[key = "features.1"] conv1_1_bn: batch_norm,
        relu,
        #[key = "features.3"] conv1_2: conv(64, k = 3, p = 1) -> [64, 224, 224],
        #[key = "features.4"] conv1_2_bn: batch_norm,
        relu,
        max_pool(k = 2) -> [64, 112, 112],
        #[key = "features.7"] conv2_1: conv(128, k = 3, p = 1) -> [128, 112, 112],
        #[key = "features.8"] conv2_1_bn: batch_norm,
        relu,
        #[key = "features.10"] conv2_2: conv(128, k = 3, p = 1) -> [128, 112, 112],
        #[key = "features.11"] conv2_2_bn: batch_norm,
        relu,
        max_pool(k = 2) -> [128, 56, 56],
        #[key = "features.14"] conv3_1: conv(256, k = 3, p = 1) -> [256, 56, 56],
        #[key = "features.15"] conv3_1_bn: batch_norm,
        relu,
        #[key = "features.17"] conv3_2: conv(256, k = 3, p = 1) -> [256, 56, 56],
        #[key = "features.18"] conv3_2_bn: batch_norm,
        relu,
        #[key = "features.20"] conv3_3: conv(256, k = 3, p = 1) -> [256, 56, 56],
        #[key = "features.21"] conv3_3_bn: batch_norm,
        relu,
        max_pool(k = 2) -> [256, 28, 28],
        #[key = "features.24"] conv4_1: conv(512, k = 3, p = 1) -> [512, 28, 28],
        #[key = "features.25"] conv4_1_bn: batch_norm,
        relu,
        #[key = "features.27"] conv4_2: conv(512, k = 3, p = 1) -> [512, 28, 28],
        #[key = "features.28"] conv4_2_bn: batch_norm,
        relu,
        #[key = "features.30"] conv4_3: conv(512, k = 3, p = 1) -> [512, 28, 28],
        #[key = "features.31"] conv4_3_bn: batch_norm,
        relu,
        max_pool(k = 2) -> [512, 14, 14],
        #[key = "features.34"] conv5_1: conv(512, k = 3, p = 1) -> [512, 14, 14],
        #[key = "features.35"] conv5_1_bn: batch_norm,
        relu,
        #[key = "features.37"] conv5_2: conv(512, k = 3, p = 1) -> [512, 14, 14],
        #[key = "features.38"] conv5_2_bn: batch_norm,
        relu,
        #[key = "features.40"] conv5_3: conv(512, k = 3, p = 1) -> [512, 14, 14],
        #[key = "features.41"] conv5_3_bn: batch_norm,
        relu,
        max_pool(k = 2) -> [512, 7, 7],
        adaptive_avg_pool(7) -> [512, 7, 7],
        flatten,
        #[key = "classifier.0"] fc6: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.3"] fc7: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.6"] fc8: linear(1000),
    }
}
