// "Same" padding (K-1)/2 is not whole for an even kernel.
use splotnet::formula::SamePad;
use typenum::{Unsigned, U4};

fn main() {
    let _ = <SamePad<U4> as Unsigned>::USIZE;
}
