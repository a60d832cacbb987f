// Branch b2 pools to 7x7 while b1 keeps 14x14: channels cannot be stacked.
use splotnet::network;

network! {
    Net(input: [8, 14, 14]) {
        inc: concat {
            b1: [ c: conv(4, k = 1) ],
            b2: [ max_pool(k = 2), c: conv(4, k = 1) ],
        },
    }
}

fn main() {}
