//! Batch normalisation over the channels of `(batch, C, positions)` maps
//! (Ioffe & Szegedy, 2015): `x̂ = (x - μ) / sqrt(σ² + ε)`, `y = γ x̂ + β`.
//!
//! In training, `μ` and `σ²` are the batch's (the variance biased, as the
//! normalisation uses it) and the running statistics move toward them
//! (`r ← (1-m) r + m·batch`, the variance unbiased, as PyTorch does); in
//! inference, the running statistics are used.
//!
//! The Cpu kernel is one pass for the statistics and one for the output,
//! with a backward of two more; the generic path composes about a dozen of
//! dfdx's ops, each a copy of the maps (and, when the shapes are types, a
//! copy of the code per layer: the zoo's compile time).
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::batch_norm_train;
//!
//! let dev: Cpu = Default::default();
//! // one channel, four values 1, 2, 3, 4: mean 2.5, biased variance 1.25
//! let x: Tensor<(usize, usize, usize), f32, Cpu> =
//!     dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0], (1, 1, 4));
//! let (gamma, beta) = (dev.ones_like(&(1,)), dev.zeros_like(&(1,)));
//! let (mut mean, mut var) = (dev.zeros_like(&(1,)), dev.ones_like(&(1,)));
//! let y = batch_norm_train(x, &gamma, &beta, (&mut mean, &mut var), 0.0, 1.0).unwrap();
//! let s = 1.25f32.sqrt();
//! let want = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s];
//! assert!(y.as_vec().iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6));
//! // momentum 1: the running statistics become the batch's, the variance
//! // unbiased (5 / 3)
//! assert_eq!(mean.as_vec(), [2.5]);
//! assert!((var.as_vec()[0] - 5.0 / 3.0).abs() < 1e-6);
//! ```

pub(crate) mod cpu;
pub mod generic;

#[cfg(test)]
mod tests;

use dfdx::prelude::*;

use super::tape::{read_contiguous, read_param, record};
use super::Backend;
use crate::ops::pages::{writable, zeroed, Copied};
use crate::{Error, Result};

/// Per-channel tensors of a batch norm: γ, β.
type Channels<C, D> = Tensor<(C,), f32, D>;

/// Inference batch norm of `(batch, C, positions)` maps with the running
/// statistics `mean`, `var`.
pub fn batch_norm_eval<C: Dim, Dev: Backend, T: Tape<f32, Dev>>(
    x: Tensor<(usize, C, usize), f32, Dev, T>,
    gamma: &Channels<C, Dev>,
    beta: &Channels<C, Dev>,
    (mean, var): (&Channels<C, Dev>, &Channels<C, Dev>),
    eps: f32,
) -> Result<Tensor<(usize, C, usize), f32, Dev, T>> {
    let (b, c, p) = *x.shape();
    Dev::batch_norm_eval(x, gamma, beta, (mean, var), eps, [b, c.size(), p])
}

/// Training batch norm of `(batch, C, positions)` maps: normalised with the
/// batch's statistics, which the running ones `(mean, var)` move toward at
/// rate `momentum`.
pub fn batch_norm_train<C: Dim, Dev: Backend, T: Tape<f32, Dev>>(
    x: Tensor<(usize, C, usize), f32, Dev, T>,
    gamma: &Channels<C, Dev>,
    beta: &Channels<C, Dev>,
    running: (&mut Channels<C, Dev>, &mut Channels<C, Dev>),
    eps: f32,
    momentum: f32,
) -> Result<Tensor<(usize, C, usize), f32, Dev, T>> {
    let (b, c, p) = *x.shape();
    Dev::batch_norm_train(x, gamma, beta, running, eps, momentum, [b, c.size(), p])
}

fn check(op: &'static str, [batch, channels, positions]: [usize; 3], len: usize) -> Result<()> {
    if batch * channels * positions != len || batch * positions == 0 {
        return Err(Error::shape(
            op,
            format!("{len} values do not make {batch} images of {channels} channels of {positions} positions (each channel needs at least one value)"),
        ));
    }
    Ok(())
}

/// The batch-norm kernel of a device.
///
/// The default methods are the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides them with its fused kernels.
/// `dims` reads the maps as `(batch, channels, positions)`.
pub trait BatchNormKernel: crate::ops::F32Device {
    /// Inference: the running statistics normalise.
    fn batch_norm_eval<S: Shape, C: Dim, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        gamma: &Channels<C, Self>,
        beta: &Channels<C, Self>,
        stats: (&Channels<C, Self>, &Channels<C, Self>),
        eps: f32,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        check("batch_norm", dims, x.shape().num_elements())?;
        generic::eval(x, gamma, beta, stats, eps, dims)
    }

    /// Training: the batch's statistics normalise, the running ones move.
    #[allow(clippy::too_many_arguments)]
    fn batch_norm_train<S: Shape, C: Dim, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        gamma: &Channels<C, Self>,
        beta: &Channels<C, Self>,
        running: (&mut Channels<C, Self>, &mut Channels<C, Self>),
        eps: f32,
        momentum: f32,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        check("batch_norm", dims, x.shape().num_elements())?;
        generic::train(x, gamma, beta, running, eps, momentum, dims)
    }
}

impl BatchNormKernel for Cpu {
    fn batch_norm_eval<S: Shape, C: Dim, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        gamma: &Channels<C, Self>,
        beta: &Channels<C, Self>,
        (mean, var): (&Channels<C, Self>, &Channels<C, Self>),
        eps: f32,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        check("batch_norm", dims, x.shape().num_elements())?;
        let (x, xs) = read_contiguous(x)?;
        let stats = cpu::Stats::running(&read_param(mean)?, &read_param(var)?, eps);
        normalize_on_cpu(x, xs, gamma, beta, stats, dims, false)
    }

    fn batch_norm_train<S: Shape, C: Dim, T: Tape<f32, Self>>(
        x: Tensor<S, f32, Self, T>,
        gamma: &Channels<C, Self>,
        beta: &Channels<C, Self>,
        (mean, var): (&mut Channels<C, Self>, &mut Channels<C, Self>),
        eps: f32,
        momentum: f32,
        dims: [usize; 3],
    ) -> Result<Tensor<S, f32, Self, T>> {
        check("batch_norm", dims, x.shape().num_elements())?;
        let (x, xs) = read_contiguous(x)?;
        let stats = cpu::Stats::of_batch(dims, &xs, eps);
        let (mut rm, mut rv) = (read_param(mean)?, read_param(var)?);
        stats.update_running(dims, momentum, &mut rm, &mut rv);
        mean.copy_from(&rm);
        var.copy_from(&rv);
        normalize_on_cpu(x, xs, gamma, beta, stats, dims, true)
    }
}

/// What both modes share on the Cpu: `y = γ x̂ + β` with `stats`, and on
/// the tape the gradients of γ, β and `x` (through the statistics too when
/// they are the batch's, `train`). `xs` holds `x`'s values.
fn normalize_on_cpu<S: Shape, C: Dim, T: Tape<f32, Cpu>>(
    x: Tensor<S, f32, Cpu, T>,
    xs: Copied,
    gamma: &Channels<C, Cpu>,
    beta: &Channels<C, Cpu>,
    stats: cpu::Stats,
    dims: [usize; 3],
    train: bool,
) -> Result<Tensor<S, f32, Cpu, T>> {
    let shape = *x.shape();
    let (x, tape) = x.split_tape();
    let g = read_param(gamma)?;
    let mut y = zeroed(xs.len());
    cpu::normalize(dims, &xs, &stats, &g, &read_param(beta)?, &mut y);
    let (xg, gg, bg) = (x.ghost(), gamma.ghost(), beta.ghost());
    record(x.device(), tape, y, shape, move |dy, grads| {
        let (dg, db) = cpu::param_grads(dims, &xs, &stats, dy);
        let dx = writable(grads.get_or_alloc_mut(&xg)?);
        if train {
            cpu::backward_train(dims, &xs, &stats, &g, dy, &dg, &db, dx);
        } else {
            cpu::backward_eval(dims, &stats, &g, dy, dx);
        }
        let add = |acc: &mut [f32], d: Vec<f32>| acc.iter_mut().zip(d).for_each(|(a, d)| *a += d);
        add(writable(grads.get_or_alloc_mut(&gg)?), dg);
        add(writable(grads.get_or_alloc_mut(&bg)?), db);
        Ok(())
    })
}

#[cfg(feature = "cuda")]
impl BatchNormKernel for Cuda {}
