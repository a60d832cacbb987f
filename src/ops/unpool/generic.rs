//! Device-generic unpooling: one dfdx gather from the input's positions and
//! a zero row, so the gradient is dfdx's own gather backward.

use dfdx::prelude::*;

use super::{Unpool, UnpoolGeom};
use crate::ops::windows::{gather_windows, pad_row};
use crate::Result;

/// Unpooling of `x` on any dfdx device.
pub fn unpool<D: crate::ops::F32Device, Si: Shape, So: Shape, T: Tape<f32, D>>(
    x: Tensor<Si, f32, D, T>,
    kind: Unpool,
    g: &UnpoolGeom,
    out: So,
) -> Result<Tensor<So, f32, D, T>> {
    let pad = pad_row(g.h * g.w);
    let idx: Vec<usize> = (0..g.oh())
        .flat_map(|oy| (0..g.ow()).map(move |ox| g.source(kind, oy, ox).unwrap_or(pad)))
        .collect();
    let outputs = idx.len();
    let x = x.try_reshape_like(&(g.batch, g.channels, g.h * g.w))?;
    let picked = gather_windows(x, idx, 1, 0.0)?;
    Ok(picked
        .try_reshape_like(&(outputs, g.batch, g.channels))?
        .try_permute::<_, Axes3<1, 2, 0>>()?
        .try_reshape_like(&out)?)
}
