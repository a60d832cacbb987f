// `convolution` is not a layer keyword.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        c1: convolution(6, k = 5),
    }
}

fn main() {}
