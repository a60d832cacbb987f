//! Unpooling: the fixed upsamplings of dense prediction (lecture §7).
//!
//! With factor `s` per axis, an `h x w` map becomes `s·h x s·w`:
//! - **nearest neighbour** copies each value into its whole `s x s` block;
//! - **bed of nails** puts each value in its block's top-left cell and
//!   zeros elsewhere.
//!
//! The gradient of nearest-neighbour unpooling sums each block; that of a
//! bed of nails reads the top-left cells. Max-unpooling, which needs the
//! switches of a paired max pool, is not among these ops.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{bed_of_nails2d, nearest_unpool2d};
//! use splotnet::typenum::{U1, U2, U4};
//!
//! let dev: Cpu = Default::default();
//! // the lecture's 2x2 input [1 2] [3 4], unpooled by 2
//! let x: Tensor<(usize, N<U1>, N<U2>, N<U2>), f32, Cpu> =
//!     dev.tensor_from_vec(vec![1., 2., 3., 4.], (1, N::new(), N::new(), N::new()));
//! let nn: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> =
//!     nearest_unpool2d::<U2, U2, _, _, _, _, _, _>(x.clone()).unwrap();
//! assert_eq!(nn.as_vec(), [1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.]);
//! let nails: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> =
//!     bed_of_nails2d::<U2, U2, _, _, _, _, _, _>(x).unwrap();
//! assert_eq!(nails.as_vec(), [1., 0., 2., 0., 0., 0., 0., 0., 3., 0., 4., 0., 0., 0., 0., 0.]);
//! ```

pub(crate) mod cpu;
pub mod generic;
#[cfg(test)]
mod tests;

use dfdx::prelude::*;

use super::tape::{read_contiguous, record};
use super::Backend;
use crate::dims::Size;
use crate::formula::Upscaled;
use crate::ops::pages::writable;
use crate::{Error, Result};

/// How an unpooling fills each `s x s` block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpool {
    /// The value in every cell of its block.
    Nearest,
    /// The value in the block's top-left cell, zeros elsewhere.
    BedOfNails,
}

/// The sizes of one unpooling: `batch x channels` planes of `h x w` inputs,
/// factors `sy`, `sx`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnpoolGeom {
    /// Images in the batch.
    pub batch: usize,
    /// Channels per image.
    pub channels: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Factor along the height.
    pub sy: usize,
    /// Factor along the width.
    pub sx: usize,
}

impl UnpoolGeom {
    /// Output height.
    pub fn oh(&self) -> usize {
        self.h * self.sy
    }

    /// Output width.
    pub fn ow(&self) -> usize {
        self.w * self.sx
    }

    /// The input position (inside its plane) that output `(oy, ox)` holds,
    /// or `None` for a zero.
    pub fn source(&self, kind: Unpool, oy: usize, ox: usize) -> Option<usize> {
        let (iy, ix) = (oy / self.sy, ox / self.sx);
        let corner = oy % self.sy == 0 && ox % self.sx == 0;
        (kind == Unpool::Nearest || corner).then_some(iy * self.w + ix)
    }
}

macro_rules! unpool_fn {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        pub fn $name<SH, SW, B, C, H, W, Dev, T>(
            x: Tensor<(B, C, H, W), f32, Dev, T>,
        ) -> Result<Tensor<(B, C, H::Output, W::Output), f32, Dev, T>>
        where
            SH: Size,
            SW: Size,
            B: Dim,
            C: Dim,
            H: Upscaled<SH>,
            W: Upscaled<SW>,
            Dev: Backend,
            T: Tape<f32, Dev>,
        {
            unpool::<SH, SW, _, _, _, _, _, _>(x, $kind, stringify!($name))
        }
    };
}

unpool_fn!(
    /// Nearest-neighbour unpooling by `SH x SW`: each value fills its block.
    nearest_unpool2d,
    Unpool::Nearest
);
unpool_fn!(
    /// "Bed of nails" unpooling by `SH x SW`: each value in its block's
    /// top-left cell, zeros elsewhere.
    bed_of_nails2d,
    Unpool::BedOfNails
);

fn unpool<SH, SW, B, C, H, W, Dev, T>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    kind: Unpool,
    op: &'static str,
) -> Result<Tensor<(B, C, H::Output, W::Output), f32, Dev, T>>
where
    SH: Size,
    SW: Size,
    B: Dim,
    C: Dim,
    H: Upscaled<SH>,
    W: Upscaled<SW>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let (b, c, h, w) = *x.shape();
    if SH::USIZE == 0 || SW::USIZE == 0 {
        return Err(Error::shape(op, "the factors must be at least 1"));
    }
    let oh = h.upscale().map_err(|m| Error::shape(op, m))?;
    let ow = w.upscale().map_err(|m| Error::shape(op, m))?;
    let g = UnpoolGeom {
        batch: b.size(),
        channels: c.size(),
        h: h.size(),
        w: w.size(),
        sy: SH::USIZE,
        sx: SW::USIZE,
    };
    Dev::unpool(x, kind, &g, (b, c, oh, ow))
}

pub(crate) fn unpool_cpu<Si: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    kind: Unpool,
    g: &UnpoolGeom,
    out: So,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    let (x, xs) = read_contiguous(x)?;
    let (x, tape) = x.split_tape();
    let mut y = crate::ops::pages::zeroed(out.num_elements());
    cpu::forward(&g, kind, &xs, &mut y);
    let xg = x.ghost();
    record(x.device(), tape, y, out, move |dy, grads| {
        cpu::backward(&g, kind, dy, writable(grads.get_or_alloc_mut(&xg)?));
        Ok(())
    })
}

/// The unpooling kernel of a device.
///
/// The default method is the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides it with its fast kernel.
pub trait UnpoolKernel: crate::ops::F32Device {
    /// Unpooling of kind `kind` for geometry `g`.
    fn unpool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: Unpool,
        g: &UnpoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        generic::unpool(x, kind, g, out)
    }
}

impl UnpoolKernel for Cpu {
    fn unpool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: Unpool,
        g: &UnpoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        unpool_cpu(x, kind, g, out)
    }
}

#[cfg(feature = "cuda")]
impl UnpoolKernel for Cuda {}
