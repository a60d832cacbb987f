// A transposed convolution's output padding must stay below its stride.
use splotnet::network;

network! {
    Net(input: [8, 7, 7]) {
        up: conv_transpose(4, k = 3, s = 2, p = 1, op = 2),
    }
}

fn main() {}
