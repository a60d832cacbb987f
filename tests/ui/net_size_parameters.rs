//! Size parameters: a network's are used as they are, the generated code's
//! own type parameters are not free, a block's parameters have no defaults,
//! and a block with parameters is checked at its use's numbers.
use splotnet::prelude::*;

network! {
    Doubled<CLASSES = 10>(input: [1, 8, 8]) {
        flatten,
        out: linear(CLASSES * 2),
    }
}

network! {
    pub block Batchy<B>(input: [C, H, W]) { c: conv(B, k = 1) }
}

network! {
    pub block Defaulted<O = 4>(input: [C, H, W]) { c: conv(O, k = 1) }
}

network! {
    pub block Halves<O>(input: [C, H, W]) { c: conv(O / 2, k = 1) }
}

network! {
    Odd(input: [4, 8, 8]) {
        h: block(Halves<7>) -> [3, 8, 8],
    }
}

fn main() {}
