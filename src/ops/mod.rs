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

pub mod conv;
pub(crate) mod gemm;
pub mod lrn;
pub mod pool;
mod simd;
pub mod tanh;
pub(crate) mod tape;
pub(crate) mod windows;
pub use conv::{GroupInputOf, UnsignedList};

pub use conv::{
    conv1d, conv2d, conv2d_on_data, conv_transpose2d, convolve2d, AxisGeom, Conv1dSpec, Conv2dSpec,
    ConvGeom, ConvTranspose2dSpec,
};
pub use lrn::{local_response_norm, Lrn};
pub use pool::{
    avg_pool2d, global_avg_pool2d, global_max_pool2d, l2_pool2d, max_pool2d, Pool2dSpec, PoolGeom,
    PoolKind,
};
pub use tanh::scaled_tanh;

use dfdx::prelude::*;

use crate::Result;

/// A dfdx device splotnet's ops run on.
///
/// `Cpu` runs the fast kernels; `Cuda` (feature `cuda`) runs the generic
/// paths, which use only dfdx's own device-generic ops.
pub trait Backend: Device<f32> {
    /// `y = conv(x, w) + b` for geometry `g`, output shape `out`.
    fn conv<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>>;

    /// The transposed convolution of `g` (see [`conv::generic::conv_transpose_forward`]).
    fn conv_transpose<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>>;

    /// Pooling of kind `kind` for geometry `g`.
    fn pool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &PoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>>;

    /// Local response normalisation across the channels of `(batch, C, positions)`.
    fn lrn<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        params: &Lrn,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>>;

    /// `a · tanh(s · x)`.
    fn scaled_tanh<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        a: f32,
        s: f32,
    ) -> Result<Tensor<S, f32, Self, T>>;
}

impl Backend for Cpu {
    fn conv<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        conv::cpu_tape::conv(x, w, bias, g, out)
    }

    fn conv_transpose<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        conv::cpu_tape::conv_transpose(x, w, bias, g, out)
    }

    fn pool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &PoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        pool::pool_cpu(x, kind, g, out)
    }

    fn lrn<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        params: &Lrn,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        lrn::lrn_cpu(x, params, dims)
    }

    fn scaled_tanh<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        a: f32,
        s: f32,
    ) -> Result<Tensor<S, f32, Self, T>> {
        tanh::cpu(x, a, s)
    }
}

#[cfg(feature = "cuda")]
impl Backend for Cuda {
    fn conv<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        conv::generic::conv_forward(x, w, bias, g, out)
    }

    fn conv_transpose<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        conv::generic::conv_transpose_forward(x, w, bias, g, out)
    }

    fn pool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &PoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        pool::generic::pool(x, kind, g, out)
    }

    fn lrn<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        params: &Lrn,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        lrn::generic::lrn(x, params, dims)
    }

    fn scaled_tanh<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        a: f32,
        s: f32,
    ) -> Result<Tensor<S, f32, Self, T>> {
        tanh::generic(x, a, s)
    }
}
