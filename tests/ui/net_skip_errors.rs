// Skip connections: a skip from a layer that comes later (or does not
// exist), one whose maps are smaller than the current ones, and an
// addition of maps with different channels; and a skip in a generic block.
use splotnet::network;

network! {
    Later(input: [1, 8, 8]) {
        crop_concat(from = c1),
        c1: conv(4, k = 3),
    }
}

network! {
    Smaller(input: [1, 8, 8]) {
        small: max_pool(k = 2),
        up: conv_transpose(1, k = 4, s = 4),
        crop_concat(from = small),
    }
}

network! {
    Channels(input: [1, 8, 8]) {
        d: conv(4, k = 1),
        c: conv(6, k = 1),
        add(from = d),
    }
}

network! {
    pub block Gen(input: [C, H, W]) {
        a: conv(C, k = 1),
        add(from = a),
    }
}

fn main() {}
