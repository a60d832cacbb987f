//! AlexNet (Krizhevsky, Sutskever and Hinton, "ImageNet classification with
//! deep convolutional neural networks", NeurIPS 2012) as torchvision's
//! `alexnet()` declares it: the single-tower variant (64/192/384/256/256
//! filters, no LRN) of Krizhevsky's "One weird trick" (2014), an adaptive
//! 6x6 pool, and the paper's dropout classifier. The names are torchvision's
//! `Sequential` indices (`features.0`, `classifier.1`), so its weights load
//! as PyTorch saved them.
//!
//! [`AlexNet2012`] is the paper's own network: 227x227 inputs (the size at
//! which its 11x11 stride-4 first layer gives the 55x55 maps it reports),
//! 96/256/384/384/256 filters, local response normalisation after the
//! first two layers (k = 2, n = 5, alpha = 1e-4, beta = 0.75), and the
//! convolutions that were split across two GPUs (2, 4 and 5) as two groups.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::alexnet::{AlexNet, AlexNet2012};
//!
//! // the paper's "60 million parameters"
//! assert_eq!(AlexNet2012::<f32, Cpu>::summary().params(), 60_965_224);
//! let s = AlexNet::<f32, Cpu>::summary();
//! assert_eq!(s.params(), 61_100_840);
//! // 224 pixels: (224 + 4 - 11)/4 + 1 = 55 (the paper's 227 with no padding
//! // gives the same)
//! assert_eq!(s.row("conv1").unwrap().output, [Some(64), Some(55), Some(55)]);
//! ```

use crate::network;

network! {
    /// torchvision's `alexnet()`: 61,100,840 parameters at 1000 classes.
    pub AlexNet<CLASSES = 1000>(input: [3, 224, 224]) {
        #[key = "features.0"] conv1: conv(64, k = 11, s = 4, p = 2) -> [64, 55, 55],
        relu,
        max_pool(k = 3, s = 2) -> [64, 27, 27],
        #[key = "features.3"] conv2: conv(192, k = 5, p = 2) -> [192, 27, 27],
        relu,
        max_pool(k = 3, s = 2) -> [192, 13, 13],
        #[key = "features.6"] conv3: conv(384, k = 3, p = 1) -> [384, 13, 13],
        relu,
        #[key = "features.8"] conv4: conv(256, k = 3, p = 1) -> [256, 13, 13],
        relu,
        #[key = "features.10"] conv5: conv(256, k = 3, p = 1) -> [256, 13, 13],
        relu,
        max_pool(k = 3, s = 2) -> [256, 6, 6],
        adaptive_avg_pool(6) -> [256, 6, 6],
        flatten,
        dropout(p = 0.5),
        #[key = "classifier.1"] fc6: linear(4096),
        relu,
        dropout(p = 0.5),
        #[key = "classifier.4"] fc7: linear(4096),
        relu,
        #[key = "classifier.6"] fc8: linear(CLASSES),
    }
}

network! {
    /// AlexNet as Krizhevsky et al. (2012) describe it: 60,965,224
    /// parameters, two-group convolutions where the paper's two GPUs did not
    /// exchange maps, LRN after the first two layers.
    pub AlexNet2012<CLASSES = 1000>(input: [3, 227, 227]) {
        conv1: conv(96, k = 11, s = 4) -> [96, 55, 55],
        relu,
        lrn(n = 5, k = 2, alpha = 0.0001, beta = 0.75),
        max_pool(k = 3, s = 2) -> [96, 27, 27],
        conv2: conv(256, k = 5, p = 2, groups = 2) -> [256, 27, 27],
        relu,
        lrn(n = 5, k = 2, alpha = 0.0001, beta = 0.75),
        max_pool(k = 3, s = 2) -> [256, 13, 13],
        conv3: conv(384, k = 3, p = 1) -> [384, 13, 13],
        relu,
        conv4: conv(384, k = 3, p = 1, groups = 2) -> [384, 13, 13],
        relu,
        conv5: conv(256, k = 3, p = 1, groups = 2) -> [256, 13, 13],
        relu,
        max_pool(k = 3, s = 2) -> [256, 6, 6],
        flatten,
        fc6: linear(4096), relu,
        dropout(p = 0.5),
        fc7: linear(4096), relu,
        dropout(p = 0.5),
        fc8: linear(CLASSES),
    }
}
