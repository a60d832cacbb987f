// State-dict keys: a plain layer needs one, and layers take no other attribute.
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

fn main() {}
