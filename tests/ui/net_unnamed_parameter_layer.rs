// Layers with parameters need names: they are the state_dict keys.
use splotnet::network;

network! {
    Net(input: [1, 32, 32]) {
        conv(6, k = 5),
    }
}

fn main() {}
