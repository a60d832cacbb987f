// This macro cannot see a block declared elsewhere, so a use states its output.
use splotnet::network;

network! {
    pub block Same(input: [C, H, W]) {
        c: conv(C, k = 3, p = 1), relu,
    }
}

network! {
    Net(input: [8, 32, 32]) {
        s: block(Same),
    }
}

fn main() {}
