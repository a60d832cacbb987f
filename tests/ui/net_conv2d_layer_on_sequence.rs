// A sequence has one axis: a transposed 2D convolution does not apply.
use splotnet::network;

network! {
    Net(input: [4, 100]) {
        c1: conv1d(8, k = 5),
        up: conv_transpose(8, k = 2, s = 2),
    }
}

fn main() {}
