// A 5x5 kernel cannot slide over an unpadded 4x4 map.
use splotnet::ops::{conv2d, Conv2dSpec};
use splotnet::prelude::*;
use typenum::{U1, U4, U5, U8};

fn main() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> = dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U8>, N<U1>, N<U5>, N<U5>), f32, Cpu> = dev.zeros();
    let _ = conv2d(x, &w, None, <Conv2dSpec>::new());
}
