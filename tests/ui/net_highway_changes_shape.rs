// The gate mixes the body's output with the input, so the two must agree.
use splotnet::network;

network! {
    Net(input: [16, 8, 8]) {
        h: highway { c: conv(32, k = 3, p = 1), relu },
    }
}

fn main() {}
