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
pub fn pool<D: crate::ops::F32Device, Si: Shape, So: Shape, T: Tape<f32, D>>(
    x: Tensor<Si, f32, D, T>,
    kind: PoolKind,
    g: &PoolGeom,
    out: So,
) -> Result<Tensor<So, f32, D, T>> {
    let taps = g.y.k * g.x.k;
    let x = x.try_reshape_like(&(g.batch, g.channels, g.in_plane()))?;
    let reduced: Tensor<(usize, usize, usize), f32, D, T> = match kind {
        PoolKind::Max => {
            gather_windows(x, pool_index(g), taps, f32::NEG_INFINITY)?.try_max::<_, Axis<1>>()?
        }
        PoolKind::Avg => gather_windows(x, pool_index(g), taps, 0.0)?
            .try_sum::<_, Axis<1>>()?
            .try_mul(1.0 / taps as f32)?,
        PoolKind::L2 => gather_windows(x.try_square()?, pool_index(g), taps, 0.0)?
            .try_sum::<_, Axis<1>>()?
            .try_sqrt()?,
    };
    Ok(
        // (L, batch, channels) -> (batch, channels, L)
        reduced
            .try_permute::<_, Axes3<1, 2, 0>>()?
            .try_reshape_like(&out)?,
    )
}
