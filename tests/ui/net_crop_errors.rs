// `crop(to = ..)` cuts at the offset where the two maps line up: a 2x2
// kernel puts the outputs' centres half a pixel off the input's, and a
// target that is not an earlier layer has no size to crop to.
use splotnet::network;

network! {
    Half(input: [1, 16, 16]) {
        c: conv(2, k = 2, p = 4),
        crop(to = input),
    }
}

network! {
    Later(input: [1, 16, 16]) {
        c: conv(2, k = 3, p = 4),
        crop(to = d),
        d: relu,
    }
}

fn main() {}
