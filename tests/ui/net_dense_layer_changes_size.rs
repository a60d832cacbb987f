// A dense block stacks each layer's maps on its input: a strided layer cannot.
use splotnet::network;

network! {
    Net(input: [16, 32, 32]) {
        d: dense(layers = 4) { bn: batch_norm, relu, c: conv(12, k = 3, s = 2, p = 1) },
    }
}

fn main() {}
