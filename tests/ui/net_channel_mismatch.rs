// c3 states it expects 3 input channels; c1 gives 6.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        c1: conv(6, k = 5),
        c3: conv(16, k = 5, inputs = 3),
    }
}

fn main() {}
