// A 3x3 pooling window does not fit a 2x2 map.
use splotnet::ops::{max_pool2d, Pool2dSpec};
use splotnet::prelude::*;
use typenum::{U2, U3, U4};

fn main() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U4>, N<U2>, N<U2>), f32, Cpu> = dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    let _ = max_pool2d(x, Pool2dSpec::<U3>::new());
}
