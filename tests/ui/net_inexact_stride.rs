// AlexNet's 224 input: (224 - 11)/4 + 1 is not whole, and `exact` rejects it.
use splotnet::network;

network! {
    AlexNetStem(input: [3, 224, 224]) {
        c1: conv(96, k = 11, s = 4, exact),
    }
}

fn main() {}
