// Volumes: the formula along the depth as along height and width (an
// annotation that gets it wrong), a 2D pair where a volume needs one number
// or a triple, a layer that does not take volumes, and a block.
use splotnet::network;

network! {
    Depth(input: [1, 8, 16, 16]) {
        c: conv3d(4, k = 3) -> [4, 8, 14, 14],
    }
}

network! {
    Pair(input: [1, 8, 16, 16]) {
        max_pool(k = (2, 2)),
    }
}

network! {
    Lrn(input: [1, 8, 16, 16]) {
        lrn,
    }
}

network! {
    Block(input: [2, 8, 16, 16]) {
        r: residual { c: conv3d(2, k = 3, p = 1) },
    }
}

network! {
    Flat(input: [1, 16, 16]) {
        c: conv3d(4, k = 3),
    }
}

fn main() {}
