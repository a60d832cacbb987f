// 16x4x4 maps flatten to 256 features; f6 states 400.
use splotnet::network;

network! {
    Net(input: [1, 28, 28]) {
        c1: conv(6, k = 5), s2: max_pool(k = 2),
        c3: conv(16, k = 5), s4: max_pool(k = 2),
        flatten,
        f6: linear(84, inputs = 400),
    }
}

fn main() {}
