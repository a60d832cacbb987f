//! FCN (Long, Shelhamer and Darrell, "Fully convolutional networks for
//! semantic segmentation", CVPR 2015) on a VGG-16 backbone, as the paper's
//! Caffe models define them: the classifier's fully connected layers become
//! convolutions (`fc6` 7x7, `fc7` 1x1), the first convolution pads by 100 so
//! that any input survives the 32x downsampling, pools round up, and
//! learned transposed convolutions without bias upsample the class scores.
//!
//! - [`Fcn32s`] upsamples the coarsest scores 32x at once.
//! - [`Fcn16s`] upsamples them 2x, adds the scores of `pool4` (a 1x1
//!   convolution, `score_pool4`), and upsamples the sum 16x.
//! - [`Fcn8s`] also adds `pool3`'s scores before a final 8x upsampling.
//!
//! The fusions centre-crop the finer scores (by 5 and 9 pixels at a 500x500
//! input), and the final `crop(to = input)` cuts the upsampled map back to
//! the input's size where the two line up: at 19 (FCN-32s), 27 (FCN-16s)
//! and 31 (FCN-8s) pixels, the offsets of the paper's Caffe models, here
//! computed from the layers' geometry. Layer names are the Caffe models'
//! (`conv1_1`, `fc6`, `score_pool4`, `upscore2`, ...).
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::fcn::*;
//!
//! let s = Fcn8s::<f32, Cpu>::summary();
//! assert_eq!(s.output(), [Some(21), Some(500), Some(500)]);
//! assert_eq!(s.rows.last().unwrap().kind, "Crop to input at (31, 31)");
//! ```

use crate::network;

network! {
    /// FCN-32s for `CLASSES` classes (21, PASCAL VOC's, by default) at a
    /// 500x500 input.
    pub Fcn32s<CLASSES = 21>(input: [3, 500, 500]) {
        conv1_1: conv(64, k = 3, p = 100), relu,
        conv1_2: conv(64, k = 3, p = 1), relu,
        pool1: max_pool(k = 2, ceil),
        conv2_1: conv(128, k = 3, p = 1), relu,
        conv2_2: conv(128, k = 3, p = 1), relu,
        pool2: max_pool(k = 2, ceil),
        conv3_1: conv(256, k = 3, p = 1), relu,
        conv3_2: conv(256, k = 3, p = 1), relu,
        conv3_3: conv(256, k = 3, p = 1), relu,
        pool3: max_pool(k = 2, ceil) -> [256, 88, 88],
        conv4_1: conv(512, k = 3, p = 1), relu,
        conv4_2: conv(512, k = 3, p = 1), relu,
        conv4_3: conv(512, k = 3, p = 1), relu,
        pool4: max_pool(k = 2, ceil) -> [512, 44, 44],
        conv5_1: conv(512, k = 3, p = 1), relu,
        conv5_2: conv(512, k = 3, p = 1), relu,
        conv5_3: conv(512, k = 3, p = 1), relu,
        pool5: max_pool(k = 2, ceil) -> [512, 22, 22],
        fc6: conv(4096, k = 7), relu, dropout(p = 0.5),
        fc7: conv(4096, k = 1), relu, dropout(p = 0.5),
        score_fr: conv(CLASSES, k = 1) -> [CLASSES, 16, 16],
        upscore: conv_transpose(CLASSES, k = 64, s = 32, bias = false) -> [CLASSES, 544, 544],
        crop(to = input),
    }
}

network! {
    /// FCN-16s: the 2x-upsampled scores plus `pool4`'s, upsampled 16x.
    pub Fcn16s<CLASSES = 21>(input: [3, 500, 500]) {
        conv1_1: conv(64, k = 3, p = 100), relu,
        conv1_2: conv(64, k = 3, p = 1), relu,
        pool1: max_pool(k = 2, ceil),
        conv2_1: conv(128, k = 3, p = 1), relu,
        conv2_2: conv(128, k = 3, p = 1), relu,
        pool2: max_pool(k = 2, ceil),
        conv3_1: conv(256, k = 3, p = 1), relu,
        conv3_2: conv(256, k = 3, p = 1), relu,
        conv3_3: conv(256, k = 3, p = 1), relu,
        pool3: max_pool(k = 2, ceil) -> [256, 88, 88],
        conv4_1: conv(512, k = 3, p = 1), relu,
        conv4_2: conv(512, k = 3, p = 1), relu,
        conv4_3: conv(512, k = 3, p = 1), relu,
        pool4: max_pool(k = 2, ceil) -> [512, 44, 44],
        conv5_1: conv(512, k = 3, p = 1), relu,
        conv5_2: conv(512, k = 3, p = 1), relu,
        conv5_3: conv(512, k = 3, p = 1), relu,
        pool5: max_pool(k = 2, ceil) -> [512, 22, 22],
        fc6: conv(4096, k = 7), relu, dropout(p = 0.5),
        fc7: conv(4096, k = 1), relu, dropout(p = 0.5),
        score_fr: conv(CLASSES, k = 1) -> [CLASSES, 16, 16],
        upscore2: conv_transpose(CLASSES, k = 4, s = 2, bias = false) -> [CLASSES, 34, 34],
        #[key = ""]
        fuse_pool4: add(from = pool4) { score_pool4: conv(CLASSES, k = 1) },
        upscore16: conv_transpose(CLASSES, k = 32, s = 16, bias = false) -> [CLASSES, 560, 560],
        crop(to = input),
    }
}

network! {
    /// FCN-8s: FCN-16s's fusion, upsampled 2x, plus `pool3`'s scores,
    /// upsampled 8x.
    pub Fcn8s<CLASSES = 21>(input: [3, 500, 500]) {
        conv1_1: conv(64, k = 3, p = 100), relu,
        conv1_2: conv(64, k = 3, p = 1), relu,
        pool1: max_pool(k = 2, ceil),
        conv2_1: conv(128, k = 3, p = 1), relu,
        conv2_2: conv(128, k = 3, p = 1), relu,
        pool2: max_pool(k = 2, ceil),
        conv3_1: conv(256, k = 3, p = 1), relu,
        conv3_2: conv(256, k = 3, p = 1), relu,
        conv3_3: conv(256, k = 3, p = 1), relu,
        pool3: max_pool(k = 2, ceil) -> [256, 88, 88],
        conv4_1: conv(512, k = 3, p = 1), relu,
        conv4_2: conv(512, k = 3, p = 1), relu,
        conv4_3: conv(512, k = 3, p = 1), relu,
        pool4: max_pool(k = 2, ceil) -> [512, 44, 44],
        conv5_1: conv(512, k = 3, p = 1), relu,
        conv5_2: conv(512, k = 3, p = 1), relu,
        conv5_3: conv(512, k = 3, p = 1), relu,
        pool5: max_pool(k = 2, ceil) -> [512, 22, 22],
        fc6: conv(4096, k = 7), relu, dropout(p = 0.5),
        fc7: conv(4096, k = 1), relu, dropout(p = 0.5),
        score_fr: conv(CLASSES, k = 1) -> [CLASSES, 16, 16],
        upscore2: conv_transpose(CLASSES, k = 4, s = 2, bias = false) -> [CLASSES, 34, 34],
        #[key = ""]
        fuse_pool4: add(from = pool4) { score_pool4: conv(CLASSES, k = 1) },
        upscore_pool4: conv_transpose(CLASSES, k = 4, s = 2, bias = false) -> [CLASSES, 70, 70],
        #[key = ""]
        fuse_pool3: add(from = pool3) { score_pool3: conv(CLASSES, k = 1) },
        upscore8: conv_transpose(CLASSES, k = 16, s = 8, bias = false) -> [CLASSES, 568, 568],
        crop(to = input),
    }
}
