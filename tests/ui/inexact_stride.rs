// AlexNet's famous 224: (224 - 11)/4 + 1 is not whole, and exact mode says so.
use splotnet::formula::Exact;
use splotnet::ops::{conv2d, Conv2dSpec};
use splotnet::prelude::*;
use typenum::{U0, U1, U11, U224, U3, U4, U96};

fn main() {
    let dev: Cpu = Default::default();
    let x: Tensor<(usize, N<U3>, N<U224>, N<U224>), f32, Cpu> = dev.zeros_like(&(1, N::new(), N::new(), N::new()));
    let w: Tensor<(N<U96>, N<U3>, N<U11>, N<U11>), f32, Cpu> = dev.zeros();
    let _ = conv2d(x, &w, None, Conv2dSpec::<U4, U4, U0, U0, U1, U1, U1, Exact>::new());
}
