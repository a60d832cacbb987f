// Auxiliary heads are outputs of the network: not inside a block.
use splotnet::network;

network! {
    Net(input: [8, 16, 16]) {
        r: residual {
            a: conv(8, k = 3, p = 1),
            side: aux { global_avg_pool, fc: linear(10) },
        },
    }
}

fn main() {}
