// Output padding must stay below the stride of a transposed convolution.
use splotnet::formula::ConvTransposeOutSize;
use typenum::{U0, U1, U2, U3, U7};

fn main() {
    let _ = <<U7 as ConvTransposeOutSize<U3, U2, U1, U1, U2>>::Output as typenum::Unsigned>::USIZE;
    let _ = U0::default();
}
