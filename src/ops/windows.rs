//! Sliding windows as one dfdx `gather`: the device-generic way to read
//! every (output position, kernel tap) pair of a map, padding included.
//!
//! The map's positions are moved to the first axis and one extra "pad" row
//! (zeros, or -inf for max pooling) is appended; an index list then names,
//! for each `(position, tap)`, the row it reads. Stride, padding, dilation and
//! the zero-insertion of transposed convolution are all just index lists, so
//! the gradient of every generic op is dfdx's own gather backward.

use dfdx::prelude::*;

use crate::Result;

/// Index of the appended pad row for a map of `positions` positions.
pub(crate) fn pad_row(positions: usize) -> usize {
    positions
}

/// Gathers windows of `x: (batch, channels, positions)`.
///
/// `idx` lists, for each output position and each of `taps` kernel taps (tap
/// fastest), the position read, or [`pad_row`] for padding. The result is
/// `(outputs, taps, batch, channels)` with `outputs = idx.len() / taps`.
pub(crate) fn gather_windows<D: crate::ops::F32Device, T: Tape<f32, D>>(
    x: Tensor<(usize, usize, usize), f32, D, T>,
    idx: Vec<usize>,
    taps: usize,
    pad_value: f32,
) -> Result<Tensor<(usize, usize, usize, usize), f32, D, T>> {
    let (batch, channels, positions) = *x.shape();
    let dev = x.device().clone();
    let outputs = idx.len() / taps;
    let rows = x.try_permute::<_, Axes3<2, 0, 1>>()?;
    let pad =
        dev.try_tensor_from_vec(vec![pad_value; batch * channels], (1usize, batch, channels))?;
    let rows = (rows, pad).try_concat_along(Axis::<0>)?;
    debug_assert_eq!(rows.shape().0, positions + 1);
    let n = idx.len();
    let idx = dev.try_tensor_from_vec(idx, (n,))?;
    let picked = rows.try_gather(idx)?;
    Ok(picked.try_reshape_like(&(outputs, taps, batch, channels))?)
}
