// The compiler derives a generic block's output at each use and checks the
// stated shape: a stride-2 block gives 16x16 from 32x32, not 32x32.
use splotnet::network;

network! {
    pub block Down(input: [C, H, W]) {
        c: conv(C, k = 3, s = 2, p = 1), relu,
    }
}

network! {
    Net(input: [8, 32, 32]) {
        d: block(Down) -> [8, 32, 32],
    }
}

fn main() {}
