//! ResNet (He, Zhang, Ren and Sun, "Deep residual learning for image
//! recognition", CVPR 2016) as torchvision declares it: the same layers, the
//! same parameter counts, and the same state-dict names, so torchvision's
//! weights load as PyTorch saved them.
//!
//! The blocks are generic over their input channels and sizes; each stage's
//! first block changes the channels (and, after the first stage, halves the
//! size) with torchvision's downsample shortcut. Their residual adds no
//! level to the keys (`#[key = ""]`), so a block's layers are `layer1.0.conv1`
//! as in torchvision.
//!
//! The blocks are always here; the networks come with the `zoo` feature.
//!
//! ```
//! # #[cfg(feature = "zoo")] {
//! use splotnet::prelude::*;
//! use splotnet::zoo::resnet::{ResNet18, ResNet34, ResNet50, ResNet101, ResNet152};
//!
//! assert_eq!(ResNet18::<f32, Cpu>::summary().params(), 11_689_512);
//! assert_eq!(ResNet34::<f32, Cpu>::summary().params(), 21_797_672);
//! assert_eq!(ResNet50::<f32, Cpu>::summary().params(), 25_557_032);
//! assert_eq!(ResNet101::<f32, Cpu>::summary().params(), 44_549_160);
//! assert_eq!(ResNet152::<f32, Cpu>::summary().params(), 60_192_808);
//! # }
//! ```

use crate::network;

network! {
    /// torchvision's `BasicBlock` at `C` channels: two 3x3 convolutions
    /// with batch norm, the identity added, ReLU.
    pub block BasicBlock(input: [C, H, W]) {
        #[key = ""]
        body: residual {
            conv1: conv(C, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(C, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// A stage's first `BasicBlock`: to `2·C` channels at stride 2, with
    /// torchvision's downsample (1x1 conv without bias, batch norm).
    pub block BasicBlockDown(input: [C, H, W]) {
        #[key = ""]
        body: residual(downsample) {
            conv1: conv(2 * C, k = 3, s = 2, p = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(2 * C, k = 3, p = 1, bias = false), bn2: batch_norm,
        },
        relu,
    }
}

network! {
    /// torchvision's `Bottleneck` at `C = 4·width` channels: 1x1 to the
    /// width, 3x3, 1x1 back to `C`, the identity added, ReLU.
    pub block Bottleneck(input: [C, H, W]) {
        #[key = ""]
        body: residual {
            conv1: conv(C / 4, k = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(C / 4, k = 3, p = 1, bias = false), bn2: batch_norm, relu,
            conv3: conv(C, k = 1, bias = false), bn3: batch_norm,
        },
        relu,
    }
}

network! {
    /// ResNet-50's first `Bottleneck`: width `C`, out `4·C`, stride 1, with
    /// the downsample.
    pub block BottleneckFirst(input: [C, H, W]) {
        #[key = ""]
        body: residual(downsample) {
            conv1: conv(C, k = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(C, k = 3, p = 1, bias = false), bn2: batch_norm, relu,
            conv3: conv(4 * C, k = 1, bias = false), bn3: batch_norm,
        },
        relu,
    }
}

network! {
    /// A later stage's first `Bottleneck`: width `C / 2`, out `2·C`, the
    /// stride (2) on the 3x3 as in torchvision, with the downsample.
    pub block BottleneckDown(input: [C, H, W]) {
        #[key = ""]
        body: residual(downsample) {
            conv1: conv(C / 2, k = 1, bias = false), bn1: batch_norm, relu,
            conv2: conv(C / 2, k = 3, s = 2, p = 1, bias = false), bn2: batch_norm, relu,
            conv3: conv(2 * C, k = 1, bias = false), bn3: batch_norm,
        },
        relu,
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `resnet18()`: 11,689,512 parameters at 1000 classes.
    pub ResNet18<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        bn1: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "layer1.0"] layer1_0: block(BasicBlock) -> [64, 56, 56],
        #[key = "layer1.1"] layer1_1: block(BasicBlock) -> [64, 56, 56],
        #[key = "layer2.0"] layer2_0: block(BasicBlockDown) -> [128, 28, 28],
        #[key = "layer2.1"] layer2_1: block(BasicBlock) -> [128, 28, 28],
        #[key = "layer3.0"] layer3_0: block(BasicBlockDown) -> [256, 14, 14],
        #[key = "layer3.1"] layer3_1: block(BasicBlock) -> [256, 14, 14],
        #[key = "layer4.0"] layer4_0: block(BasicBlockDown) -> [512, 7, 7],
        #[key = "layer4.1"] layer4_1: block(BasicBlock) -> [512, 7, 7],
        adaptive_avg_pool(1) -> [512, 1, 1],
        flatten,
        fc: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `resnet34()`: 21,797,672 parameters at 1000 classes.
    pub ResNet34<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        bn1: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "layer1.0"] layer1_0: block(BasicBlock) -> [64, 56, 56],
        #[key = "layer1.1"] layer1_1: block(BasicBlock) -> [64, 56, 56],
        #[key = "layer1.2"] layer1_2: block(BasicBlock) -> [64, 56, 56],
        #[key = "layer2.0"] layer2_0: block(BasicBlockDown) -> [128, 28, 28],
        #[key = "layer2.1"] layer2_1: block(BasicBlock) -> [128, 28, 28],
        #[key = "layer2.2"] layer2_2: block(BasicBlock) -> [128, 28, 28],
        #[key = "layer2.3"] layer2_3: block(BasicBlock) -> [128, 28, 28],
        #[key = "layer3.0"] layer3_0: block(BasicBlockDown) -> [256, 14, 14],
        #[key = "layer3.1"] layer3_1: block(BasicBlock) -> [256, 14, 14],
        #[key = "layer3.2"] layer3_2: block(BasicBlock) -> [256, 14, 14],
        #[key = "layer3.3"] layer3_3: block(BasicBlock) -> [256, 14, 14],
        #[key = "layer3.4"] layer3_4: block(BasicBlock) -> [256, 14, 14],
        #[key = "layer3.5"] layer3_5: block(BasicBlock) -> [256, 14, 14],
        #[key = "layer4.0"] layer4_0: block(BasicBlockDown) -> [512, 7, 7],
        #[key = "layer4.1"] layer4_1: block(BasicBlock) -> [512, 7, 7],
        #[key = "layer4.2"] layer4_2: block(BasicBlock) -> [512, 7, 7],
        adaptive_avg_pool(1) -> [512, 1, 1],
        flatten,
        fc: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `resnet50()`: 25,557,032 parameters at 1000 classes.
    pub ResNet50<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        bn1: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "layer1.0"] layer1_0: block(BottleneckFirst) -> [256, 56, 56],
        #[key = "layer1.1"] layer1_1: block(Bottleneck) -> [256, 56, 56],
        #[key = "layer1.2"] layer1_2: block(Bottleneck) -> [256, 56, 56],
        #[key = "layer2.0"] layer2_0: block(BottleneckDown) -> [512, 28, 28],
        #[key = "layer2.1"] layer2_1: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.2"] layer2_2: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.3"] layer2_3: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer3.0"] layer3_0: block(BottleneckDown) -> [1024, 14, 14],
        #[key = "layer3.1"] layer3_1: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.2"] layer3_2: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.3"] layer3_3: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.4"] layer3_4: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.5"] layer3_5: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer4.0"] layer4_0: block(BottleneckDown) -> [2048, 7, 7],
        #[key = "layer4.1"] layer4_1: block(Bottleneck) -> [2048, 7, 7],
        #[key = "layer4.2"] layer4_2: block(Bottleneck) -> [2048, 7, 7],
        adaptive_avg_pool(1) -> [2048, 1, 1],
        flatten,
        fc: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `resnet101()`: 44,549,160 parameters at 1000 classes.
    pub ResNet101<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        bn1: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "layer1.0"] layer1_0: block(BottleneckFirst) -> [256, 56, 56],
        #[key = "layer1.1"] layer1_1: block(Bottleneck) -> [256, 56, 56],
        #[key = "layer1.2"] layer1_2: block(Bottleneck) -> [256, 56, 56],
        #[key = "layer2.0"] layer2_0: block(BottleneckDown) -> [512, 28, 28],
        #[key = "layer2.1"] layer2_1: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.2"] layer2_2: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.3"] layer2_3: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer3.0"] layer3_0: block(BottleneckDown) -> [1024, 14, 14],
        #[key = "layer3.1"] layer3_1: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.2"] layer3_2: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.3"] layer3_3: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.4"] layer3_4: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.5"] layer3_5: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.6"] layer3_6: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.7"] layer3_7: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.8"] layer3_8: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.9"] layer3_9: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.10"] layer3_10: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.11"] layer3_11: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.12"] layer3_12: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.13"] layer3_13: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.14"] layer3_14: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.15"] layer3_15: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.16"] layer3_16: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.17"] layer3_17: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.18"] layer3_18: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.19"] layer3_19: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.20"] layer3_20: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.21"] layer3_21: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.22"] layer3_22: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer4.0"] layer4_0: block(BottleneckDown) -> [2048, 7, 7],
        #[key = "layer4.1"] layer4_1: block(Bottleneck) -> [2048, 7, 7],
        #[key = "layer4.2"] layer4_2: block(Bottleneck) -> [2048, 7, 7],
        adaptive_avg_pool(1) -> [2048, 1, 1],
        flatten,
        fc: linear(CLASSES),
    }
}

#[cfg(feature = "zoo")]
network! {
    /// torchvision's `resnet152()`: 60,192,808 parameters at 1000 classes.
    pub ResNet152<CLASSES = 1000>(input: [3, 224, 224]) {
        conv1: conv(64, k = 7, s = 2, p = 3, bias = false) -> [64, 112, 112],
        bn1: batch_norm, relu,
        max_pool(k = 3, s = 2, p = 1) -> [64, 56, 56],
        #[key = "layer1.0"] layer1_0: block(BottleneckFirst) -> [256, 56, 56],
        #[key = "layer1.1"] layer1_1: block(Bottleneck) -> [256, 56, 56],
        #[key = "layer1.2"] layer1_2: block(Bottleneck) -> [256, 56, 56],
        #[key = "layer2.0"] layer2_0: block(BottleneckDown) -> [512, 28, 28],
        #[key = "layer2.1"] layer2_1: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.2"] layer2_2: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.3"] layer2_3: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.4"] layer2_4: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.5"] layer2_5: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.6"] layer2_6: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer2.7"] layer2_7: block(Bottleneck) -> [512, 28, 28],
        #[key = "layer3.0"] layer3_0: block(BottleneckDown) -> [1024, 14, 14],
        #[key = "layer3.1"] layer3_1: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.2"] layer3_2: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.3"] layer3_3: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.4"] layer3_4: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.5"] layer3_5: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.6"] layer3_6: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.7"] layer3_7: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.8"] layer3_8: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.9"] layer3_9: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.10"] layer3_10: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.11"] layer3_11: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.12"] layer3_12: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.13"] layer3_13: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.14"] layer3_14: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.15"] layer3_15: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.16"] layer3_16: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.17"] layer3_17: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.18"] layer3_18: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.19"] layer3_19: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.20"] layer3_20: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.21"] layer3_21: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.22"] layer3_22: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.23"] layer3_23: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.24"] layer3_24: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.25"] layer3_25: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.26"] layer3_26: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.27"] layer3_27: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.28"] layer3_28: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.29"] layer3_29: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.30"] layer3_30: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.31"] layer3_31: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.32"] layer3_32: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.33"] layer3_33: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.34"] layer3_34: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer3.35"] layer3_35: block(Bottleneck) -> [1024, 14, 14],
        #[key = "layer4.0"] layer4_0: block(BottleneckDown) -> [2048, 7, 7],
        #[key = "layer4.1"] layer4_1: block(Bottleneck) -> [2048, 7, 7],
        #[key = "layer4.2"] layer4_2: block(Bottleneck) -> [2048, 7, 7],
        adaptive_avg_pool(1) -> [2048, 1, 1],
        flatten,
        fc: linear(CLASSES),
    }
}
