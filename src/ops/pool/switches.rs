//! Max-unpooling (PyTorch's `MaxUnpool2d`): each value goes back to where
//! its paired max pool found the window's maximum, zeros elsewhere.
//!
//! [`max_pool2d_switched`] pools and keeps the [`Switches`], the arg-max of
//! every window in its input plane; [`max_unpool2d`] reads them. Both are
//! gathers per plane: the pool reads each window's arg-max, the unpooling
//! reads, at each position of the pooled map, the output whose arg-max it
//! was (the last such output when windows overlap, as PyTorch's writes
//! land), so their gradients are the matching scatters.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{max_pool2d_switched, max_unpool2d, Pool2dSpec};
//! use splotnet::typenum::{U1, U2, U4};
//!
//! let dev: Cpu = Default::default();
//! #[rustfmt::skip]
//! let x: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> = dev.tensor_from_vec(vec![
//!     1., 2., 0., 0.,
//!     0., 0., 0., 5.,
//!     0., 7., 3., 0.,
//!     0., 0., 0., 4.,
//! ], (1, N::new(), N::new(), N::new()));
//! let (pooled, switches) = max_pool2d_switched(x, Pool2dSpec::<U2>::new()).unwrap();
//! assert_eq!(pooled.as_vec(), [2., 5., 7., 4.]);
//! let back: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> = max_unpool2d(pooled, &switches).unwrap();
//! #[rustfmt::skip]
//! assert_eq!(back.as_vec(), [
//!     0., 2., 0., 0.,
//!     0., 0., 0., 5.,
//!     0., 7., 0., 0.,
//!     0., 0., 0., 4.,
//! ]);
//! ```

use std::sync::Arc;

use dfdx::prelude::*;
use rayon::prelude::*;
use typenum::{Unsigned, U1};

use super::{cpu, geometry, Pool2dSpec, PoolGeom, PoolKind};
use crate::dims::N;
use crate::formula::{Rounding, SlidingWindow};
use crate::ops::pages::writable;
use crate::ops::tape::{read_contiguous, record};
use crate::ops::Backend;
use crate::{Error, Result};

/// The gather index that reads a zero.
pub const NONE: u32 = u32::MAX;

/// Where each window of a max pool found its maximum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Switches {
    /// Images times channels.
    pub planes: usize,
    /// The pooled maps' height and width (the unpooling's output).
    pub input: (usize, usize),
    /// The pool's output height and width (the unpooling's input).
    pub output: (usize, usize),
    /// Per output of the pool, plane after plane: the arg-max's position in
    /// its input plane.
    pub at: Arc<Vec<u32>>,
}

/// Max pooling that also returns its [`Switches`] for [`max_unpool2d`];
/// the pooled values and their gradient are [`super::max_pool2d`]'s.
#[allow(clippy::type_complexity)]
pub fn max_pool2d_switched<B, C, H, W, KH, KW, SH, SW, PH, PW, M, Dev, T>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    spec: Pool2dSpec<KH, KW, SH, SW, PH, PW, M>,
) -> Result<(Tensor<(B, C, H::Output, W::Output), f32, Dev, T>, Switches)>
where
    B: Dim,
    C: Dim,
    KH: crate::dims::Size,
    KW: crate::dims::Size,
    SH: Unsigned,
    SW: Unsigned,
    PH: Unsigned,
    PW: Unsigned,
    M: Rounding,
    H: SlidingWindow<N<KH>, SH, PH, U1, M>,
    W: SlidingWindow<N<KW>, SW, PW, U1, M>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let (b, c, h, w) = *x.shape();
    let (g, ho, wo) = geometry(PoolKind::Max, spec, (b, c, h, w))?;
    let (y, at) = Dev::max_pool_switched(x, &g, (b, c, ho, wo))?;
    let switches = Switches {
        planes: g.planes(),
        input: (g.y.input, g.x.input),
        output: (g.y.output, g.x.output),
        at: Arc::new(at),
    };
    Ok((y, switches))
}

/// Max-unpooling of `x` with the switches of its paired max pool: the
/// output has the pooled maps' size, each value of `x` at its window's
/// arg-max, zeros elsewhere. `x` must have the pool's output shape.
pub fn max_unpool2d<B, C, H, W, Hi, Wi, Dev, T>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    switches: &Switches,
) -> Result<Tensor<(B, C, Hi, Wi), f32, Dev, T>>
where
    B: Dim,
    C: Dim,
    H: Dim,
    W: Dim,
    Hi: Dim,
    Wi: Dim,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let (b, c, h, w) = *x.shape();
    let s = switches;
    let err = |m: String| Error::shape("max_unpool2d", m);
    if b.size() * c.size() != s.planes || (h.size(), w.size()) != s.output {
        return Err(err(format!(
            "the maps {:?} do not pair with the switches of a pool from {} planes of {:?} to {:?}",
            x.shape().concrete(),
            s.planes,
            s.input,
            s.output
        )));
    }
    let (hi, wi) = match (Hi::from_size(s.input.0), Wi::from_size(s.input.1)) {
        (Some(hi), Some(wi)) => (hi, wi),
        _ => {
            return Err(err(format!(
                "the pool's input was {:?}, not the stated output size",
                s.input
            )))
        }
    };
    let (n_out, n_in) = (s.output.0 * s.output.1, s.input.0 * s.input.1);
    // at each pooled position, the last pool output whose arg-max it was
    let mut winner = vec![NONE; s.planes * n_in];
    for (plane, at) in s.at.chunks_exact(n_out.max(1)).enumerate() {
        for (o, &a) in at.iter().enumerate() {
            winner[plane * n_in + a as usize] = o as u32;
        }
    }
    Dev::gather_planes(x, Arc::new(winner), n_out, (b, c, hi, wi))
}

/// Max pooling with switches on the Cpu: the pool's kernel, keeping its
/// arg-max for both the gradient and the caller.
pub(crate) fn cpu_switched<Si: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    g: &PoolGeom,
    out: So,
) -> Result<(Tensor<So, f32, Cpu, T>, Vec<u32>)> {
    let (x, xs) = read_contiguous(x)?;
    let mut y = crate::ops::pages::zeroed(g.planes() * g.out_plane());
    let mut at = vec![0u32; y.len()];
    cpu::forward(g, PoolKind::Max, &xs, &mut y, &mut at);
    let idx = Arc::new(at.clone());
    let (x, tape) = x.split_tape();
    let (xg, n_in) = (x.ghost(), g.in_plane());
    let y = record(x.device(), tape, y, out, move |dy, grads| {
        scatter(&idx, n_in, dy, writable(grads.get_or_alloc_mut(&xg)?));
        Ok(())
    })?;
    Ok((y, at))
}

/// The same on any device: the arg-max found on the host, the values
/// gathered on the device.
pub(crate) fn generic_switched<D: crate::ops::F32Device, Si: Shape, So: Shape, T: Tape<f32, D>>(
    x: Tensor<Si, f32, D, T>,
    g: &PoolGeom,
    out: So,
) -> Result<(Tensor<So, f32, D, T>, Vec<u32>)> {
    let xs = x.as_vec();
    let mut y = crate::ops::pages::zeroed(g.planes() * g.out_plane());
    let mut at = vec![0u32; y.len()];
    cpu::forward(g, PoolKind::Max, &xs, &mut y, &mut at);
    let pooled = generic_gather(x, &at, g.in_plane(), out)?;
    Ok((pooled, at))
}

/// `dx[plane][idx] += dy[plane][o]`: the gradient of a per-plane gather.
fn scatter(idx: &[u32], n_in: usize, dy: &[f32], dx: &mut [f32]) {
    let n_out = idx.len() / (dx.len() / n_in.max(1)).max(1);
    dx.par_chunks_exact_mut(n_in.max(1))
        .zip(dy.par_chunks_exact(n_out.max(1)))
        .zip(idx.par_chunks_exact(n_out.max(1)))
        .for_each(|((dx, dy), idx)| {
            for (&i, &d) in idx.iter().zip(dy) {
                if i != NONE {
                    dx[i as usize] += d;
                }
            }
        });
}

/// The per-plane gather on the Cpu.
pub(crate) fn cpu_gather<Si: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    idx: Arc<Vec<u32>>,
    n_in: usize,
    out: So,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let (x, xs) = read_contiguous(x)?;
    let planes = xs.len() / n_in.max(1);
    let n_out = idx.len() / planes.max(1);
    let mut y = crate::ops::pages::zeroed(idx.len());
    y.par_chunks_exact_mut(n_out.max(1))
        .zip(xs.par_chunks_exact(n_in.max(1)))
        .zip(idx.par_chunks_exact(n_out.max(1)))
        .for_each(|((y, x), idx)| {
            for (v, &i) in y.iter_mut().zip(idx) {
                if i != NONE {
                    *v = x[i as usize];
                }
            }
        });
    let (x, tape) = x.split_tape();
    let xg = x.ghost();
    record(x.device(), tape, y, out, move |dy, grads| {
        scatter(&idx, n_in, dy, writable(grads.get_or_alloc_mut(&xg)?));
        Ok(())
    })
}

/// The per-plane gather from dfdx's ops: one gather from the flattened
/// input and a zero, on any device.
pub(crate) fn generic_gather<D: crate::ops::F32Device, Si: Shape, So: Shape, T: Tape<f32, D>>(
    x: Tensor<Si, f32, D, T>,
    idx: &[u32],
    n_in: usize,
    out: So,
) -> Result<Tensor<So, f32, D, T>> {
    let total = x.shape().num_elements();
    let n_out = idx.len() / (total / n_in.max(1)).max(1);
    let flat: Vec<usize> = idx
        .iter()
        .enumerate()
        .map(|(k, &i)| match i {
            NONE => total,
            i => (k / n_out.max(1)) * n_in + i as usize,
        })
        .collect();
    let dev = x.device().clone();
    let zero = dev.try_zeros_like(&(1usize,))?;
    let rows = (x.try_reshape_like(&(total,))?, zero).try_concat_along(Axis::<0>)?;
    let n = flat.len();
    let picked = rows.try_gather(dev.try_tensor_from_vec(flat, (n,))?)?;
    Ok(picked.try_reshape_like(&out)?)
}
