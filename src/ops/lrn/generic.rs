//! Device-generic LRN: the channel windows of `a²` gathered by dfdx, summed,
//! then `a / (k + α s)^β` with dfdx's elementwise ops.

use dfdx::prelude::*;

use super::Lrn;
use crate::ops::windows::{gather_windows, pad_row};
use crate::Result;

/// LRN of `x`, read as `(batch, channels, positions)`, on any dfdx device.
pub fn lrn<D: crate::ops::F32Device, S: Shape, T: Tape<f32, D>>(
    x: Tensor<S, f32, D, T>,
    p: &Lrn,
    [batch, channels, positions]: [usize; 3],
) -> Result<Tensor<S, f32, D, T>> {
    let shape = *x.shape();
    let x = x.try_reshape_like(&(batch, channels, positions))?;
    // every channel's window, padded to n taps with the zero row
    let pad = pad_row(channels);
    let idx: Vec<usize> = (0..channels)
        .flat_map(|c| {
            let w = p.window(c, channels);
            (0..p.n).map(move |t| {
                (c + t)
                    .checked_sub(p.n / 2)
                    .filter(|j| w.contains(j))
                    .unwrap_or(pad)
            })
        })
        .collect();
    let squares = x
        .retaped::<T>()
        .try_square()?
        .try_permute::<_, Axes3<0, 2, 1>>()?;
    // (batch, positions, channels): gather over channels -> (C, n, batch, positions)
    let sums = gather_windows(squares, idx, p.n, 0.0)?
        .try_sum::<_, Axis<1>>()?
        .try_permute::<_, Axes3<1, 0, 2>>()?;
    let denom = sums.try_mul(p.alpha)?.try_add(p.k)?.try_powf(p.beta)?;
    Ok(x.try_div(denom)?.try_reshape_like(&shape)?)
}
