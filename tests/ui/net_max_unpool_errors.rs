// Max-unpooling reads the switches of an earlier max pool: unpooling maps
// of another shape than the pool's output, and unpooling with the
// "switches" of an average pool, are errors naming both layers.
use splotnet::network;

network! {
    Shape(input: [2, 8, 8]) {
        p1: max_pool(k = 2),
        c: conv(4, k = 1),
        max_unpool(from = p1),
    }
}

network! {
    Avg(input: [2, 8, 8]) {
        p1: avg_pool(k = 2),
        max_unpool(from = p1),
    }
}

fn main() {}
