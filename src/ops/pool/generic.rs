//! Device-generic pooling: windows gathered by dfdx, reduced by dfdx.

use dfdx::prelude::*;

use super::{PoolGeom, PoolKind};
use crate::ops::windows::{gather_windows, pad_row};
use crate::Result;

fn pool_index(g: &PoolGeom) -> Vec<usize> {
    let pad = pad_row(g.in_plane());
    let mut idx = Vec::with_capacity(g.out_plane() * g.y.k * g.x.k);
    for oy in 0..g.y.output {
        for ox in 0..g.x.output {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    idx.push(match (g.y.source(oy, ky), g.x.source(ox, kx)) {
                        (Some(iy), Some(ix)) => iy * g.x.input + ix,
                        _ => pad,
                    });
                }
            }
        }
    }
    idx
}

/// Pooling of `x` on any dfdx device, differentiable through dfdx's tape.
pub fn pool<D: Device<f32>, Si: Shape, So: Shape, T: Tape<f32, D>>(
    x: Tensor<Si, f32, D, T>,
    kind: PoolKind,
    g: &PoolGeom,
    out: So,
) -> Result<Tensor<So, f32, D, T>> {
    let taps = g.y.k * g.x.k;
    let x = x
        .try_reshape_like(&(g.batch, g.channels, g.in_plane()))
        .map_err(crate::Error::device)?;
    let reduced: Tensor<(usize, usize, usize), f32, D, T> = match kind {
        PoolKind::Max => gather_windows(x, pool_index(g), taps, f32::NEG_INFINITY)?
            .try_max::<_, Axis<1>>()
            .map_err(crate::Error::device)?,
        PoolKind::Avg => gather_windows(x, pool_index(g), taps, 0.0)?
            .try_sum::<_, Axis<1>>()
            .map_err(crate::Error::device)?
            .try_mul(1.0 / taps as f32)
            .map_err(crate::Error::device)?,
        PoolKind::L2 => gather_windows(
            x.try_square().map_err(crate::Error::device)?,
            pool_index(g),
            taps,
            0.0,
        )?
        .try_sum::<_, Axis<1>>()
        .map_err(crate::Error::device)?
        .try_sqrt()
        .map_err(crate::Error::device)?,
    };
    // (L, batch, channels) -> (batch, channels, L)
    reduced
        .try_permute::<_, Axes3<1, 2, 0>>()
        .map_err(crate::Error::device)?
        .try_reshape_like(&out)
        .map_err(crate::Error::device)
}
