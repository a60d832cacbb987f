// A 7x7 kernel does not fit 5x5 maps without padding.
use splotnet::network;

network! {
    Net(input: [16, 5, 5]) {
        c5: conv(120, k = 7),
    }
}

fn main() {}
