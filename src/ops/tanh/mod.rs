//! `y = A · tanh(S · x)` as one op: tanh (`A = S = 1`) and LeCun's scaled tanh
//! (`A = 1.7159, S = 2/3`).
//!
//! Fused because the composition costs three passes and three allocations,
//! and dfdx's tanh recomputes tanh in its backward pass; the fast path
//! evaluates tanh once and keeps the derivative `A·S·(1 - tanh²)` for backward.

use dfdx::prelude::*;

use super::Backend;

pub(crate) mod cpu;
pub mod generic;
#[cfg(test)]
mod tests;

/// `A · tanh(S · v)` as an op applies it to its own output: a convolution
/// or subsampling followed by tanh or scaled tanh, in one op.
///
/// Apart, the activation copies the op's output (dfdx's storage is
/// private), passes over it once more and keeps a second buffer; together,
/// the op squashes each value as it makes it, and its backward pass starts
/// from `dy · A·S·(1 - tanh²)`. The `network!` macro fuses a layer with the
/// tanh after it this way; the values are the same as apart.
///
/// ```
/// use splotnet::ops::Squash;
/// assert_eq!(Squash::TANH, Squash { a: 1.0, s: 1.0 });
/// assert_eq!(Squash::LECUN.a, splotnet::layers::SCALED_TANH_A);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Squash {
    /// The output scale `A`.
    pub a: f32,
    /// The input scale `S`.
    pub s: f32,
}

impl Squash {
    /// Plain tanh.
    pub const TANH: Squash = Squash { a: 1.0, s: 1.0 };
    /// LeCun's `1.7159 tanh(2v/3)`.
    pub const LECUN: Squash = Squash {
        a: crate::layers::SCALED_TANH_A,
        s: crate::layers::SCALED_TANH_S,
    };

    /// The squashed tensor on any device, as a separate op (the fallback of
    /// devices without a fused kernel).
    pub fn apply<S: Shape, D: crate::ops::F32Device, T: Tape<f32, D>>(
        self,
        x: Tensor<S, f32, D, T>,
    ) -> crate::Result<Tensor<S, f32, D, T>> {
        generic::scaled_tanh(x, self.a, self.s)
    }
}

/// `A · tanh(S · x)`, elementwise, any shape.
///
/// ```
/// use splotnet::prelude::*;
/// use splotnet::ops::TryScaledTanh;
///
/// let dev: Cpu = Default::default();
/// let x = dev.tensor([0.0f32, 1.5]);
/// // LeCun's scaled tanh: 1.7159 · tanh(2/3 · 1.5) = 1.7159 · tanh(1)
/// let y = x.try_scaled_tanh(1.7159, 2.0 / 3.0).unwrap().array();
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 1.7159 * 1.0f32.tanh()).abs() < 1e-6);
/// ```
pub fn scaled_tanh<S: Shape, D: Backend, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    a: f32,
    s: f32,
) -> crate::Result<Tensor<S, f32, D, T>> {
    x.try_scaled_tanh(a, s)
}

/// The scaled tanh as a method: `x.try_scaled_tanh(a, s)`.
pub trait TryScaledTanh: Sized {
    /// [`scaled_tanh`] of `self`.
    fn try_scaled_tanh(self, a: f32, s: f32) -> crate::Result<Self>;
}

impl<S: Shape, D: Backend, T: Tape<f32, D>> TryScaledTanh for Tensor<S, f32, D, T> {
    fn try_scaled_tanh(self, a: f32, s: f32) -> crate::Result<Self> {
        D::scaled_tanh(self, a, s)
    }
}

/// The scaled-tanh kernel of a device.
///
/// The default methods are the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides them with its fast kernels.
pub trait TanhKernel: crate::ops::F32Device {
    /// `a · tanh(s · x)`.
    fn scaled_tanh<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        a: f32,
        s: f32,
    ) -> crate::Result<Tensor<S, f32, Self, T>> {
        generic::scaled_tanh(x, a, s)
    }
}

impl TanhKernel for Cpu {
    fn scaled_tanh<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        a: f32,
        s: f32,
    ) -> crate::Result<Tensor<S, f32, Self, T>> {
        cpu::scaled_tanh(x, a, s)
    }
}

#[cfg(feature = "cuda")]
impl TanhKernel for Cuda {}
