// The weight expects 3 input channels; the maps have 6.
use splotnet::ops::{conv2d, Conv2dSpec};
use splotnet::prelude::*;
use typenum::{U16, U3, U5, U6, U8};

fn main() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U6>, N<U16>, N<U16>), f32, Cpu> = dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U8>, N<U3>, N<U5>, N<U5>), f32, Cpu> = dev.zeros();
    let _ = conv2d(x, &w, None, <Conv2dSpec>::new());
}
