// A block that divides its channels by 4 cannot be used at 6 channels: the
// use's check names the use, the layer and the numbers.
use splotnet::network;

network! {
    pub block Squeeze(input: [C, H, W]) {
        a: conv(C / 4, k = 1), relu,
        b: conv(C, k = 1),
    }
}

network! {
    Net(input: [3, 8, 8]) {
        stem: conv(6, k = 3, p = 1),
        b1: block(Squeeze) -> [6, 8, 8],
    }
}

fn main() {}
