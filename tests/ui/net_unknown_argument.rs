// The stride is spelled `s`.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        c1: conv(6, k = 5, stride = 2),
    }
}

fn main() {}
