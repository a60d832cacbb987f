// c3 computes 16x10x10 from 6x14x14; the annotation says 11x11.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        c1: conv(6, k = 5), tanh,
        s2: avg_pool(k = 2),
        c3: conv(16, k = 5) -> [16, 11, 11],
    }
}

fn main() {}
