// A convolution needs its kernel size.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        c1: conv(6),
    }
}

fn main() {}
