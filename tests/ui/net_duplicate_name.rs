// Two layers named c1 would share one state_dict entry.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        c1: conv(6, k = 5), relu,
        c1: conv(16, k = 5),
    }
}

fn main() {}
