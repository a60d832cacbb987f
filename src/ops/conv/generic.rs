//! The device-generic convolution: windows gathered by dfdx, then one
//! batched dfdx matmul per call. Used on Cuda, and on Cpu in tests as the
//! second opinion on the fast kernels.

use dfdx::prelude::*;

use super::geom::ConvGeom;
use crate::ops::windows::{gather_windows, pad_row};
use crate::Result;

/// Rows `(position, tap)` of a convolution: the input position each output
/// position reads at each kernel tap.
fn conv_index(g: &ConvGeom) -> Vec<usize> {
    let pad = pad_row(g.in_plane());
    let mut idx = Vec::with_capacity(g.out_plane() * g.taps());
    for oy in 0..g.y.output {
        for ox in 0..g.x.output {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    // a true convolution reads tap t where the correlation reads K-1-t
                    let (ty, tx) = if g.flipped {
                        (g.y.k - 1 - ky, g.x.k - 1 - kx)
                    } else {
                        (ky, kx)
                    };
                    idx.push(match (g.y.source(oy, ty), g.x.source(ox, tx)) {
                        (Some(iy), Some(ix)) => iy * g.x.input + ix,
                        _ => pad,
                    });
                }
            }
        }
    }
    idx
}

/// Rows `(position, tap)` of the transposed convolution of `g`: big-map
/// position `o` receives small-map position `i` through tap `t` when
/// `o = i*S - P + t*D`, that is `i = (o + P - t*D) / S` when that divides.
fn transposed_index(g: &ConvGeom) -> Vec<usize> {
    let pad = pad_row(g.out_plane());
    let back = |o: usize, t: usize, a: &super::geom::AxisGeom| -> Option<usize> {
        let v = (o + a.p).checked_sub(t * a.d)?;
        (v % a.s == 0 && v / a.s < a.output).then_some(v / a.s)
    };
    let mut idx = Vec::with_capacity(g.in_plane() * g.taps());
    for oy in 0..g.y.input {
        for ox in 0..g.x.input {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    idx.push(match (back(oy, ky, &g.y), back(ox, kx, &g.x)) {
                        (Some(iy), Some(ix)) => iy * g.x.output + ix,
                        _ => pad,
                    });
                }
            }
        }
    }
    idx
}

/// `windows: (L, taps, batch, groups*cg)` times `weights: (groups, cg*taps, og)`
/// gives `(batch, groups*og, L)`.
fn windows_times_weights<D: crate::ops::F32Device, T: Tape<f32, D>>(
    windows: Tensor<(usize, usize, usize, usize), f32, D, T>,
    weights: Tensor<(usize, usize, usize), f32, D, T>,
    groups: usize,
) -> Result<Tensor<(usize, usize, usize), f32, D, T>> {
    let (l, taps, batch, channels) = *windows.shape();
    let (_, rows, og) = *weights.shape();
    let cg = channels / groups;
    let cols = windows
        .try_reshape_like(&(l, taps, batch, groups, cg))?
        .try_permute::<_, Axes5<2, 3, 0, 4, 1>>()?
        .try_reshape_like(&(batch, groups, l, rows))?;
    let weights = weights.try_broadcast_like::<_, Axis<0>>(&(batch, groups, rows, og))?;
    Ok(cols
        .try_matmul(weights)?
        .try_permute::<_, Axes4<0, 1, 3, 2>>()?
        .try_reshape_like(&(batch, groups * og, l))?)
}

fn add_bias<D: crate::ops::F32Device, T: Tape<f32, D>, O: Dim>(
    y: Tensor<(usize, usize, usize), f32, D, T>,
    bias: Option<&Tensor<(O,), f32, D>>,
) -> Result<Tensor<(usize, usize, usize), f32, D, T>> {
    let Some(bias) = bias else { return Ok(y) };
    let shape = *y.shape();
    let b = bias
        .retaped::<T>()
        .try_reshape_like(&(shape.1,))?
        .try_broadcast_like::<_, Axes2<0, 2>>(&shape)?;
    Ok(y.try_add(b)?)
}

/// `y = conv(x, w) + b` on any dfdx device, differentiable through dfdx's tape.
pub fn conv_forward<D, Si, Sw, O, So, T>(
    x: Tensor<Si, f32, D, T>,
    w: &Tensor<Sw, f32, D>,
    bias: Option<&Tensor<(O,), f32, D>>,
    g: &ConvGeom,
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
    let sizes = (g.batch, g.c_in, g.in_plane());
    let rows = (g.groups, g.group_out(), g.group_rows());
    gathered_conv(x, w, bias, conv_index(g), g.taps(), sizes, rows, out)
}

/// A convolution from its index list (see `gather_windows`): `x` read as
/// `(batch, channels, positions)`, its windows gathered, times the filters
/// read as `(groups, out per group, in per group · taps)`, plus the bias.
/// Shared by the 2D and 3D convolutions, which differ only in the index.
#[allow(clippy::too_many_arguments)]
pub(crate) fn gathered_conv<D, Si, Sw, O, So, T>(
    x: Tensor<Si, f32, D, T>,
    w: &Tensor<Sw, f32, D>,
    bias: Option<&Tensor<(O,), f32, D>>,
    idx: Vec<usize>,
    taps: usize,
    (batch, channels, positions): (usize, usize, usize),
    (groups, og, rows): (usize, usize, usize),
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
    let x = x.try_reshape_like(&(batch, channels, positions))?;
    let windows = gather_windows(x, idx, taps, 0.0)?;
    // (c_out, cg, taps) = (groups, og, cg*taps) -> (groups, cg*taps, og)
    let weights = w
        .retaped::<T>()
        .try_reshape_like(&(groups, og, rows))?
        .try_permute::<_, Axes3<0, 2, 1>>()?;
    let y = windows_times_weights(windows, weights, groups)?;
    Ok(add_bias(y, bias)?.try_reshape_like(&out)?)
}

/// The transposed convolution of `g` (small map -> big map) on any dfdx device.
///
/// `g` describes the forward convolution from the big map to the small one;
/// `x` is the small map `(batch, c_out, y.output, x.output)` and `w` is laid
/// out `(c_out, c_in / groups, ky, kx)` in `g`'s terms.
pub fn conv_transpose_forward<D, Si, Sw, O, So, T>(
    x: Tensor<Si, f32, D, T>,
    w: &Tensor<Sw, f32, D>,
    bias: Option<&Tensor<(O,), f32, D>>,
    g: &ConvGeom,
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
    let x = x.try_reshape_like(&(g.batch, g.c_out, g.out_plane()))?;
    let windows = gather_windows(x, transposed_index(g), g.taps(), 0.0)?;
    // (c_out, cg_in, taps) = (groups, og, cg_in, taps) -> (groups, og*taps, cg_in)
    let (groups, og, cg) = (g.groups, g.group_out(), g.group_in());
    let weights = w
        .retaped::<T>()
        .try_reshape_like(&(groups, og, cg, g.taps()))?
        .try_permute::<_, Axes4<0, 1, 3, 2>>()?
        .try_reshape_like(&(groups, og * g.taps(), cg))?;
    let y = windows_times_weights(windows, weights, groups)?;
    Ok(add_bias(y, bias)?.try_reshape_like(&out)?)
}
