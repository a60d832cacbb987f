// "same" padding (K-1)/2 is not whole for a 4x4 kernel.
use splotnet::network;

network! {
    Net(input: [3, 32, 32]) {
        c1: conv(8, k = 4, p = same),
    }
}

fn main() {}
