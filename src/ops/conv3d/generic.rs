//! Device-generic 3D convolution and pooling: every (output, tap) pair
//! gathered by dfdx, then one batched matmul per group (convolution) or a
//! reduction over the taps (pooling). Used on Cuda, and on Cpu in tests
//! as the second opinion on the fast kernels.

use dfdx::prelude::*;

use super::Conv3dGeom;
use crate::ops::conv::generic::gathered_conv;
use crate::ops::pool::PoolKind;
use crate::ops::windows::{gather_windows, pad_row};
use crate::Result;

/// For each output position and tap (tap fastest), the input position read.
fn index(g: &Conv3dGeom) -> Vec<usize> {
    let pad = pad_row(g.in_vol());
    (0..g.out_vol())
        .flat_map(|o| (0..g.taps()).map(move |t| g.source(o, t).unwrap_or(pad)))
        .collect()
}

/// `y = conv3d(x, w) + b` on any dfdx device.
pub fn conv3d<D, Si, Sw, O, So, T>(
    x: Tensor<Si, f32, D, T>,
    w: &Tensor<Sw, f32, D>,
    bias: Option<&Tensor<(O,), f32, D>>,
    g: &Conv3dGeom,
    out: So,
) -> Result<Tensor<So, f32, D, T>>
where
    D: crate::ops::F32Device,
    Si: Shape,
    Sw: Shape,
    O: Dim,
    So: Shape,
    T: Tape<f32, D>,
{
    let sizes = (g.batch, g.c_in, g.in_vol());
    let rows = (g.groups, g.group_out(), g.group_in() * g.taps());
    gathered_conv(x, w, bias, index(g), g.taps(), sizes, rows, out)
}

/// 3D max or average pooling on any dfdx device.
pub fn pool3d<D, Si, So, T>(
    x: Tensor<Si, f32, D, T>,
    kind: PoolKind,
    g: &Conv3dGeom,
    out: So,
) -> Result<Tensor<So, f32, D, T>>
where
    D: crate::ops::F32Device,
    Si: Shape,
    So: Shape,
    T: Tape<f32, D>,
{
    let x = x.try_reshape_like(&(g.batch, g.c_in, g.in_vol()))?;
    let pad = match kind {
        PoolKind::Max => f32::NEG_INFINITY,
        _ => 0.0,
    };
    let windows = gather_windows(x, index(g), g.taps(), pad)?;
    let reduced: Tensor<(usize, usize, usize), f32, D, T> = match kind {
        PoolKind::Max => windows.try_max::<_, Axis<1>>()?,
        _ => windows.try_mean::<_, Axis<1>>()?,
    };
    Ok(reduced
        .try_permute::<_, Axes3<1, 2, 0>>()?
        .try_reshape_like(&out)?)
}
