// A linear layer needs flat features: flatten first.
use splotnet::network;

network! {
    Net(input: [1, 8, 8]) {
        c1: conv(4, k = 3),
        out: linear(10),
    }
}

fn main() {}
