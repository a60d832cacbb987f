//! Local response normalisation across channels (AlexNet):
//! `b_i = a_i / (k + α Σ_{j=max(0,i-n/2)}^{min(C-1,i+n/2)} a_j²)^β`.
//!
//! This is the formula of Krizhevsky et al. (2012) as the lecture gives it:
//! α multiplies the plain sum. PyTorch's `LocalResponseNorm` divides α by `n`;
//! pass `alpha / n` to match it.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{local_response_norm, Lrn};
//! use splotnet::typenum::{U1, U3};
//!
//! let dev: Cpu = Default::default();
//! // three channels of one pixel: 1, 2, 3
//! let x: Tensor<(usize, N<U3>, N<U1>, N<U1>), f32, Cpu> =
//!     dev.tensor_from_vec(vec![1.0, 2.0, 3.0], (1, N::new(), N::new(), N::new()));
//! let p = Lrn { n: 3, k: 1.0, alpha: 0.5, beta: 1.0 };
//! let y = local_response_norm(x, &p).unwrap().as_vec();
//! // channel 0 sees channels 0 and 1: 1 / (1 + 0.5·(1 + 4)) = 1/3.5;
//! // channel 1 sees all three: 2 / (1 + 0.5·14) = 2/8; channel 2: 3 / (1 + 0.5·13)
//! let want = [1.0 / 3.5, 2.0 / 8.0, 3.0 / 7.5];
//! assert!(y.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{y:?}");
//! ```

pub(crate) mod cpu;
pub mod generic;

#[cfg(test)]
mod tests;

use dfdx::prelude::*;

use super::tape::{read_contiguous, record};
use super::Backend;
use crate::ops::pages::writable;
use crate::{Error, Result};

/// The hyper-parameters of local response normalisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lrn {
    /// Channels in the window (centred; odd sizes are symmetric).
    pub n: usize,
    /// Additive constant.
    pub k: f32,
    /// Scale of the sum of squares.
    pub alpha: f32,
    /// Exponent.
    pub beta: f32,
}

impl Lrn {
    /// AlexNet's values: n = 5, k = 2, α = 1e-4, β = 0.75.
    pub const ALEXNET: Lrn = Lrn {
        n: 5,
        k: 2.0,
        alpha: 1e-4,
        beta: 0.75,
    };

    /// Channels `j` in the window of channel `i` among `channels`.
    pub(crate) fn window(&self, i: usize, channels: usize) -> core::ops::Range<usize> {
        let half = self.n / 2;
        i.saturating_sub(half)..(i + half + 1).min(channels)
    }

    fn validate(&self) -> Result<()> {
        if self.n == 0 || self.k <= 0.0 || self.alpha < 0.0 || !self.beta.is_finite() {
            return Err(Error::shape(
                "local_response_norm",
                format!("needs n >= 1, k > 0, alpha >= 0 and a finite beta, got {self:?}"),
            ));
        }
        Ok(())
    }
}

impl Default for Lrn {
    fn default() -> Self {
        Lrn::ALEXNET
    }
}

/// Local response normalisation of `(batch, C, H, W)` maps; the shape is kept.
pub fn local_response_norm<B: Dim, C: Dim, H: Dim, W: Dim, Dev: Backend, T: Tape<f32, Dev>>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    params: &Lrn,
) -> Result<Tensor<(B, C, H, W), f32, Dev, T>> {
    x.try_local_response_norm(params)
}

/// Local response normalisation as a method: `x.try_local_response_norm(&p)`.
pub trait TryLrn: Sized {
    /// [`local_response_norm`] of `self`.
    fn try_local_response_norm(self, params: &Lrn) -> Result<Self>;
}

impl<B: Dim, C: Dim, H: Dim, W: Dim, Dev: Backend, T: Tape<f32, Dev>> TryLrn
    for Tensor<(B, C, H, W), f32, Dev, T>
{
    fn try_local_response_norm(self, params: &Lrn) -> Result<Self> {
        params.validate()?;
        let (b, c, h, w) = *self.shape();
        Dev::lrn(self, params, [b.size(), c.size(), h.size() * w.size()])
    }
}

pub(crate) fn lrn_cpu<S: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    params: &Lrn,
    dims: [usize; 3],
) -> Result<Tensor<S, f32, Cpu, T>> {
    let p = *params;
    let shape = *x.shape();
    let (x, xs) = read_contiguous(x)?;
    let (x, tape) = x.split_tape();
    let mut y = crate::ops::pages::zeroed(xs.len());
    let mut scale = crate::ops::pages::zeroed(xs.len());
    cpu::forward(&p, dims, &xs, &mut scale, &mut y);
    let xg = x.ghost();
    record(x.device(), tape, y, shape, move |dy, grads| {
        cpu::backward(
            &p,
            dims,
            &xs,
            &scale,
            dy,
            writable(grads.get_or_alloc_mut(&xg)?),
        );
        Ok(())
    })
}

/// The local-response-normalisation kernel of a device.
///
/// The default methods are the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides them with its fast kernels.
pub trait LrnKernel: crate::ops::F32Device {
    /// Local response normalisation across the channels of `(batch, C, positions)`.
    fn lrn<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        params: &Lrn,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        generic::lrn(x, params, dims)
    }
}

impl LrnKernel for Cpu {
    fn lrn<S: Shape, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        params: &Lrn,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        lrn_cpu(x, params, dims)
    }
}

#[cfg(feature = "cuda")]
impl LrnKernel for Cuda {}
