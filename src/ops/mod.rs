//! The convolution family as dfdx ops, with shapes computed by the compiler.
//!
//! Every op takes its input with the autodiff tape (as dfdx's ops do) and its
//! parameters by reference; gradients of parameters land under the
//! parameters' own ids, so dfdx's optimizers find them.
//!
//! Each op has a fast Cpu kernel and a device-generic path composed of dfdx
//! ops; [`Backend`] picks one per device. Both accept static ([`N`]) and
//! runtime (`usize`) spatial sizes; the batch is a runtime `usize` or any dim.
//!
//! [`N`]: crate::dims::N

pub mod adaptive;
pub mod batch_norm;
pub mod conv;
pub mod conv3d;
pub(crate) mod gemm;
pub mod lrn;
pub(crate) mod pages;
pub mod pool;
mod simd;
pub mod tanh;
pub(crate) mod tape;
pub mod unpool;
pub(crate) mod windows;
use dfdx::prelude::*;

pub use batch_norm::BatchNormKernel;
pub use conv::{ConvKernel, GroupInputOf, TryConv2d, UnsignedList};
pub use conv3d::{
    avg_pool3d, conv3d, max_pool3d, Conv3dGeom, Conv3dKernel, Conv3dSpec, Pool3dSpec,
};
pub use lrn::LrnKernel;
pub use pool::PoolKernel;
pub use tanh::TanhKernel;
pub use unpool::UnpoolKernel;

pub use adaptive::{adaptive_avg_pool2d, adaptive_max_pool2d};
pub use batch_norm::{batch_norm_eval, batch_norm_train};
pub use conv::{
    conv1d, conv2d, conv2d_on_data, conv_transpose2d, convolve2d, AxisGeom, Conv1dSpec, Conv2dSpec,
    ConvGeom, ConvTranspose2dSpec,
};
pub use lrn::{local_response_norm, Lrn, TryLrn};
pub use pool::switches::{max_pool2d_switched, max_unpool2d, Switches};
pub use pool::{
    avg_pool2d, global_avg_pool2d, global_max_pool2d, l2_pool2d, max_pool2d, Pool2dSpec, PoolGeom,
    PoolKind, TryPool2d,
};
pub use tanh::{scaled_tanh, Squash, TryScaledTanh};
pub use unpool::{bed_of_nails2d, nearest_unpool2d, Unpool, UnpoolGeom};

/// A dfdx device with `f32` tensors whose errors convert into
/// [`crate::Error`] (so `?` works on them): what the ops' generic paths need.
pub trait F32Device: Device<f32> + HasErr<Err: crate::DeviceError> {}

impl<D: Device<f32> + HasErr<Err: crate::DeviceError>> F32Device for D {}

/// A dfdx device splotnet's ops run on: one with every op's kernel.
///
/// Each op declares its kernel trait beside its code ([`ConvKernel`],
/// [`PoolKernel`], [`LrnKernel`], [`TanhKernel`], [`BatchNormKernel`], [`UnpoolKernel`]), whose default methods are
/// the generic paths (dfdx's own device-generic ops, so any device can run
/// them: `Cuda` with feature `cuda` does); `Cpu` overrides them with the
/// fast kernels.
pub trait Backend:
    ConvKernel + Conv3dKernel + PoolKernel + LrnKernel + TanhKernel + BatchNormKernel + UnpoolKernel
{
}

impl<D> Backend for D where
    D: ConvKernel
        + Conv3dKernel
        + PoolKernel
        + LrnKernel
        + TanhKernel
        + BatchNormKernel
        + UnpoolKernel
{
}
