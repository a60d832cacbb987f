// A U-Net level at an input of 11: the contracting map is 9x9, the
// up-convolution gives 8x8, and 9 - 8 = 1 rows cannot be cropped evenly.
use splotnet::network;

network! {
    TinyUNet(input: [1, 11, 11]) {
        c1: conv(4, k = 3),
        d1: relu,
        max_pool(k = 2),
        c2: conv(8, k = 1),
        up: conv_transpose(4, k = 2, s = 2),
        crop_concat(from = d1),
        score: conv(2, k = 1),
    }
}

fn main() {}
