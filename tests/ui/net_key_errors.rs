// State-dict keys: a plain layer needs one, and layers take no other
// attribute; a generic block adds no level only as the whole of a dense layer.
use splotnet::network;

network! {
    Net(input: [3, 8, 8]) {
        #[key = ""]
        c1: conv(4, k = 3),
        #[inline]
        c2: conv(4, k = 3),
        #[key = "features..1"]
        c3: conv(4, k = 3),
    }
}

network! {
    block Grow(input: [C, H, W]) {
        c: conv(2, k = 3, p = 1),
    }
}

network! {
    Dense(input: [3, 8, 8]) {
        d: dense(layers = 2) {
            #[key = ""]
            g: block(Grow) -> [2, 8, 8],
            relu,
        } -> [7, 8, 8],
    }
}

fn main() {}
