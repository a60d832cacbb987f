// The body halves the maps and doubles the channels: the identity cannot be added.
use splotnet::network;

network! {
    Net(input: [16, 32, 32]) {
        r1: residual {
            a: conv(32, k = 3, s = 2, p = 1), relu,
            b: conv(32, k = 3, p = 1),
        },
    }
}

fn main() {}
