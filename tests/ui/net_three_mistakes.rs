// Three mistakes in one declaration are reported together, each at its place.
use splotnet::network;

network! {
    Net(input: [1, 28, 28]) {
        c1: conv(6, k = 5, strid = 2),
        c2: conv(16, k = 5) -> [16, 9, 9],
        flatten,
        fc: linear(10, inputs = 400),
    }
}

fn main() {}
