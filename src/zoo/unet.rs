//! U-Net (Ronneberger, Fischer and Brox, "U-Net: Convolutional networks for
//! biomedical image segmentation", MICCAI 2015), and a padded variant for
//! small images.
//!
//! `UNet` is the paper's Figure 1: a contracting path of two unpadded
//! 3x3 convolutions with ReLU per level and 2x2 max pools (64 to 1024
//! maps); an expanding path of 2x2 up-convolutions, each followed by the
//! contracting path's map of that level, centre-cropped and concatenated
//! ("copy and crop"), and two 3x3 convolutions; a final 1x1 convolution to
//! the classes. A 572x572 tile gives a 388x388 map; every size, crop
//! included, is computed and checked by the compiler. It is behind the
//! `zoo` feature.
//!
//! [`UNetPadded`] keeps each level's size with padded convolutions (so its
//! output is as large as its input and the crops are empty), adds batch
//! norm after each convolution and starts at 8 maps: the segmentation
//! example's network for 64x64 canvases.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::unet::UNetPadded;
//!
//! let s = UNetPadded::<f32, Cpu>::summary();
//! assert_eq!(s.output(), [Some(11), Some(64), Some(64)]);
//! ```

use crate::network;

#[cfg(feature = "zoo")]
network! {
    /// The paper's U-Net: `[1, 572, 572]` to `[CLASSES, 388, 388]`,
    /// 31,030,658 parameters at 2 classes.
    pub UNet<CLASSES = 2>(input: [1, 572, 572]) {
        conv1_1: conv(64, k = 3), relu,
        conv1_2: conv(64, k = 3), down1: relu -> [64, 568, 568],
        max_pool(k = 2),
        conv2_1: conv(128, k = 3), relu,
        conv2_2: conv(128, k = 3), down2: relu -> [128, 280, 280],
        max_pool(k = 2),
        conv3_1: conv(256, k = 3), relu,
        conv3_2: conv(256, k = 3), down3: relu -> [256, 136, 136],
        max_pool(k = 2),
        conv4_1: conv(512, k = 3), relu,
        conv4_2: conv(512, k = 3), down4: relu -> [512, 64, 64],
        max_pool(k = 2),
        conv5_1: conv(1024, k = 3), relu,
        conv5_2: conv(1024, k = 3), relu -> [1024, 28, 28],
        up4: conv_transpose(512, k = 2, s = 2) -> [512, 56, 56],
        crop_concat(from = down4) -> [1024, 56, 56],
        conv6_1: conv(512, k = 3), relu,
        conv6_2: conv(512, k = 3), relu,
        up3: conv_transpose(256, k = 2, s = 2) -> [256, 104, 104],
        crop_concat(from = down3) -> [512, 104, 104],
        conv7_1: conv(256, k = 3), relu,
        conv7_2: conv(256, k = 3), relu,
        up2: conv_transpose(128, k = 2, s = 2) -> [128, 200, 200],
        crop_concat(from = down2) -> [256, 200, 200],
        conv8_1: conv(128, k = 3), relu,
        conv8_2: conv(128, k = 3), relu,
        up1: conv_transpose(64, k = 2, s = 2) -> [64, 392, 392],
        crop_concat(from = down1) -> [128, 392, 392],
        conv9_1: conv(64, k = 3), relu,
        conv9_2: conv(64, k = 3), relu -> [64, 388, 388],
        score: conv(CLASSES, k = 1),
    }
}

network! {
    /// A padded U-Net for `1x64x64` images: three pools (8 to 64 maps),
    /// batch norm after every 3x3 convolution, output `[CLASSES, 64, 64]`.
    pub UNetPadded<CLASSES = 11>(input: [1, 64, 64]) {
        conv1_1: conv(8, k = 3, p = 1, bias = false), bn1_1: batch_norm, relu,
        conv1_2: conv(8, k = 3, p = 1, bias = false), bn1_2: batch_norm, down1: relu,
        max_pool(k = 2),
        conv2_1: conv(16, k = 3, p = 1, bias = false), bn2_1: batch_norm, relu,
        conv2_2: conv(16, k = 3, p = 1, bias = false), bn2_2: batch_norm, down2: relu,
        max_pool(k = 2),
        conv3_1: conv(32, k = 3, p = 1, bias = false), bn3_1: batch_norm, relu,
        conv3_2: conv(32, k = 3, p = 1, bias = false), bn3_2: batch_norm, down3: relu,
        max_pool(k = 2) -> [32, 8, 8],
        conv4_1: conv(64, k = 3, p = 1, bias = false), bn4_1: batch_norm, relu,
        conv4_2: conv(64, k = 3, p = 1, bias = false), bn4_2: batch_norm, relu,
        up3: conv_transpose(32, k = 2, s = 2) -> [32, 16, 16],
        crop_concat(from = down3) -> [64, 16, 16],
        conv5_1: conv(32, k = 3, p = 1, bias = false), bn5_1: batch_norm, relu,
        conv5_2: conv(32, k = 3, p = 1, bias = false), bn5_2: batch_norm, relu,
        up2: conv_transpose(16, k = 2, s = 2),
        crop_concat(from = down2) -> [32, 32, 32],
        conv6_1: conv(16, k = 3, p = 1, bias = false), bn6_1: batch_norm, relu,
        conv6_2: conv(16, k = 3, p = 1, bias = false), bn6_2: batch_norm, relu,
        up1: conv_transpose(8, k = 2, s = 2),
        crop_concat(from = down1) -> [16, 64, 64],
        conv7_1: conv(8, k = 3, p = 1, bias = false), bn7_1: batch_norm, relu,
        conv7_2: conv(8, k = 3, p = 1, bias = false), bn7_2: batch_norm, relu,
        score: conv(CLASSES, k = 1),
    }
}
