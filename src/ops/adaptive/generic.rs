//! Adaptive pooling from dfdx's own ops, on every device (there is no
//! separate Cpu kernel: the work is one matmul or one gather, which dfdx
//! already does fast, and their gradients are dfdx's).

use dfdx::prelude::*;

use super::window;
use crate::dims::{Size, N};
use crate::ops::windows::{gather_windows, pad_row};
use crate::ops::F32Device;
use crate::Result;

/// The `(outputs, inputs)` windows of an `h x w` map pooled to `oh x ow`,
/// output-major, each as its list of flat input positions.
fn windows(h: usize, w: usize, oh: usize, ow: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(oh * ow);
    for oy in 0..oh {
        let (y0, y1) = window(oy, h, oh);
        for ox in 0..ow {
            let (x0, x1) = window(ox, w, ow);
            out.push(
                (y0..y1)
                    .flat_map(|iy| (x0..x1).map(move |ix| iy * w + ix))
                    .collect(),
            );
        }
    }
    out
}

/// Adaptive pooling of `x` to `OH x OW`: the average as `y = x · A`, with
/// `A[p, o] = 1/|window o|` for the positions `p` of window `o`; the maximum
/// as the windows gathered, then the largest tap of each. A shorter window
/// is padded with the −∞ pad row, not by repeating a position: dfdx's max
/// gives the gradient to every tap equal to the maximum, so a repeated
/// maximum would receive it once per copy.
pub(super) fn pool<B, C, H, W, OH, OW, Dev, T>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    max: bool,
) -> Result<Tensor<(B, C, N<OH>, N<OW>), f32, Dev, T>>
where
    B: Dim,
    C: Dim,
    H: Dim,
    W: Dim,
    OH: Size,
    OW: Size,
    Dev: F32Device,
    T: Tape<f32, Dev>,
{
    let (b, c, h, w) = *x.shape();
    let (hw, outs) = (h.size() * w.size(), OH::USIZE * OW::USIZE);
    let wins = windows(h.size(), w.size(), OH::USIZE, OW::USIZE);
    let out = (b, c, N::new(), N::new());
    if !max {
        let mut a = vec![0.0f32; hw * outs];
        for (o, win) in wins.iter().enumerate() {
            for &p in win {
                a[p * outs + o] = 1.0 / win.len() as f32;
            }
        }
        let a = x.device().try_tensor_from_vec(a, (hw, outs))?;
        let rows = x.try_reshape_like(&(b.size() * c.size(), hw))?;
        return Ok(rows.try_matmul(a)?.try_reshape_like(&out)?);
    }
    let taps = wins.iter().map(Vec::len).max().unwrap_or(1);
    let pad = pad_row(hw);
    let idx: Vec<usize> = wins
        .iter()
        .flat_map(|win| (0..taps).map(move |t| win.get(t).copied().unwrap_or(pad)))
        .collect();
    let flat = x.try_reshape_like(&(b.size(), c.size(), hw))?;
    let picked = gather_windows(flat, idx, taps, f32::NEG_INFINITY)?;
    let reduced: Tensor<(usize, usize, usize), f32, Dev, T> = picked.try_max::<_, Axis<1>>()?;
    Ok(reduced
        .try_permute::<_, Axes3<1, 2, 0>>()?
        .try_reshape_like(&out)?)
}
