//! # splotnet
//!
//! Convolutional networks whose feature-map shapes are computed and checked
//! by the compiler, trained with dfdx's tensors, autodiff tape and optimizers
//! on stable Rust.
//!
//! Per spatial axis every layer follows
//! `out = (in + 2P - D(K-1) - 1) / S + 1` (the lecture's
//! `M_n = (M_{n-1} - K + 2P)/S + 1` with dilation `D`). splotnet writes that
//! formula as typenum type operators ([`formula`]), so an op applied to maps
//! of static size ([`dims::N`]) has an output type the compiler computed:
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{avg_pool2d, conv2d, Conv2dSpec, Pool2dSpec};
//! use splotnet::typenum::{U1, U10, U14, U16, U2, U28, U32, U5, U6};
//!
//! let dev: Cpu = Default::default();
//! // LeNet-5's first layers: 1x32x32 -> C1 6x28x28 -> S2 6x14x14 -> C3 16x10x10
//! let x: Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu> =
//!     dev.sample_normal_like(&(8, N::new(), N::new(), N::new()));
//! let c1: Tensor<(N<U6>, N<U1>, N<U5>, N<U5>), f32, Cpu> = dev.sample_normal();
//! let c3: Tensor<(N<U16>, N<U6>, N<U5>, N<U5>), f32, Cpu> = dev.sample_normal();
//!
//! let a = conv2d(x, &c1, None, <Conv2dSpec>::new()).unwrap().tanh();
//! let a: Tensor<(usize, N<U6>, N<U28>, N<U28>), f32, Cpu> = a;
//! let s2 = avg_pool2d(a, Pool2dSpec::<U2>::new()).unwrap();
//! let s2: Tensor<(usize, N<U6>, N<U14>, N<U14>), f32, Cpu> = s2;
//! let c3_out: Tensor<(usize, N<U16>, N<U10>, N<U10>), f32, Cpu> =
//!     conv2d(s2, &c3, None, <Conv2dSpec>::new()).unwrap();
//! ```
//!
//! A shape that breaks a rule does not compile. Here the 5x5 kernel does not
//! fit the 4x4 map, and rustc says so: *"the kernel does not fit: its span
//! D(K-1)+1 is larger than the padded input in+2P"*.
//!
//! ```compile_fail
//! use splotnet::prelude::*;
//! use splotnet::ops::{conv2d, Conv2dSpec};
//! use splotnet::typenum::{U1, U4, U5};
//!
//! let dev: Cpu = Default::default();
//! let x: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> =
//!     dev.zeros_like(&(1, N::new(), N::new(), N::new()));
//! let w: Tensor<(N<U1>, N<U1>, N<U5>, N<U5>), f32, Cpu> = dev.zeros();
//! let _ = conv2d(x, &w, None, <Conv2dSpec>::new());
//! ```
//!
//! Spatial sizes may instead be `usize` (a fully convolutional network takes
//! any image size): the same ops then check sizes when they run and return
//! an [`Error`] with the numbers.
//!
//! ## Ops and devices
//! [`ops`] holds the convolution family as dfdx ops: each has a fast Cpu
//! kernel and a device-generic path made of dfdx's own ops, which serves
//! dfdx's `Cuda` device (feature `cuda`). Gradients reach parameters under
//! their own tensor ids, so dfdx's optimizers (`Sgd`, `Adam`, `RMSprop`)
//! update them.
#![warn(missing_docs)]

// lets `network!`'s `::splotnet::…` paths resolve inside this crate too
extern crate self as splotnet;

pub mod data;
pub mod dims;
pub mod dsl;
mod error;
pub mod formula;
pub mod inspect;
pub mod io;
pub mod layers;
pub mod ops;
pub mod plot;
pub mod state_dict;
/// The layer table, now in [`inspect`] (kept under its old path).
pub mod summary {
    pub use crate::inspect::{Row, Summary};
}
#[doc(hidden)]
pub mod testing;
pub mod train;
pub mod zoo;

pub use error::{DeviceError, Error, Result};
pub use splotnet_macros::network;

/// dfdx, re-exported so generated code and users name one version.
pub use dfdx;
/// typenum, re-exported so generated code and users name one version.
pub use typenum;

/// The names most programs need: dfdx's prelude plus splotnet's dims and rounding modes.
pub mod prelude {
    pub use crate::dims::{Size, N};
    pub use crate::formula::{Ceil, Exact, Floor};
    pub use crate::network;
    pub use dfdx::optim::{Adam, RMSprop, Sgd};
    pub use dfdx::prelude::*;
}
