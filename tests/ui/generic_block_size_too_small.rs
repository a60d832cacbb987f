// A generic block with an unpadded 5x5 kernel, used on 3x3 maps: the
// block's bound for that layer fails where it is used.
use splotnet::network;

network! {
    pub block Valid(input: [C, H, W]) {
        c: conv(16, k = 5), relu,
    }
}

network! {
    Net(input: [4, 3, 3]) {
        v: block(Valid) -> [16, 1, 1],
    }
}

fn main() {}
