// LeNet-5's C3 gives 16x10x10 from 6x14x14; annotating 11x11 is caught.
use splotnet::ops::{conv2d, Conv2dSpec};
use splotnet::prelude::*;
use typenum::{U11, U14, U16, U5, U6};

fn main() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U6>, N<U14>, N<U14>), f32, Cpu> = dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U16>, N<U6>, N<U5>, N<U5>), f32, Cpu> = dev.zeros();
    let _y: Tensor<(usize, N<U16>, N<U11>, N<U11>), f32, Cpu> = conv2d(x, &w, None, <Conv2dSpec>::new()).unwrap();
}
