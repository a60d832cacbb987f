//! The Cpu kernels on dfdx's tape: forward now, backward as a tape closure.
//!
//! Copies: the input and parameters are read once with a memcpy (dfdx keeps
//! tensor storage crate-private, so this copy is forced), and the input copy
//! is kept for the weight gradient. The output is handed to dfdx without a
//! copy; gradients are read and written in place (see [`record`](crate::ops::tape::record)).

use dfdx::prelude::*;

use super::cpu;
use super::geom::ConvGeom;
use crate::ops::pages::{writable, zeroed};
use crate::ops::tanh::cpu::{squash_in_place, through_slope};
use crate::ops::tape::{read_contiguous, read_param, record};
use crate::ops::Squash;
use crate::{Error, Result};

/// Checks tensor sizes against the geometry, so that no kernel indexes out
/// of bounds and dfdx's reshape (which panics) never sees a wrong size.
pub(crate) fn check_sizes(
    op: &'static str,
    g: &ConvGeom,
    x_len: usize,
    x_per_image: usize,
    w_len: usize,
    b_len: Option<usize>,
    b_expect: usize,
) -> Result<()> {
    g.validate(op)?;
    if x_len != g.batch * x_per_image {
        return Err(Error::shape(
            op,
            format!(
                "input has {x_len} values, geometry {g:?} needs {}",
                g.batch * x_per_image
            ),
        ));
    }
    if w_len != g.weight_len() {
        return Err(Error::shape(
            op,
            format!(
                "weight has {w_len} values, geometry needs {}",
                g.weight_len()
            ),
        ));
    }
    if let Some(b) = b_len.filter(|&b| b != b_expect) {
        return Err(Error::shape(
            op,
            format!("bias has {b} values, one per output channel needs {b_expect}"),
        ));
    }
    Ok(())
}

/// The kernel as the correlation reads it: rotated 180° for a true convolution.
fn oriented(mut w: Vec<f32>, g: &ConvGeom) -> Vec<f32> {
    if g.flipped {
        w.chunks_exact_mut(g.taps()).for_each(|k| k.reverse());
    }
    w
}

/// The convolution of `g`, its output squashed in place when `squash` is
/// given (see [`Squash`]).
pub(crate) fn conv<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    w: &Tensor<Sw, f32, Cpu>,
    bias: Option<&Tensor<(O,), f32, Cpu>>,
    g: &ConvGeom,
    out: So,
    squash: Option<Squash>,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    let b_len = bias.map(|b| b.shape().num_elements());
    check_sizes(
        "conv",
        &g,
        x.shape().num_elements(),
        g.in_len(),
        w.shape().num_elements(),
        b_len,
        g.c_out,
    )?;
    let (x, xs) = read_contiguous(x)?;
    let (x, tape) = x.split_tape();
    let ws = oriented(read_param(w)?, &g);
    let bs = bias.map(read_param).transpose()?;
    let mut y = zeroed(g.batch * g.out_len());
    cpu::forward(&g, &xs, &ws, bs.as_deref(), &mut y, false);
    let slope = squash.map(|q| squash_in_place(&mut y, q, T::OWNS_TAPE));
    let (xg, wg, bg) = (x.ghost(), w.ghost(), bias.map(|b| b.ghost()));
    record(x.device(), tape, y, out, move |dy, grads| {
        // the gradient before the squash, if there was one
        let pre = slope.map(|s| through_slope(dy, &s));
        let dy = pre.as_deref().unwrap_or(dy);
        if !g.data_input {
            cpu::backward_data(&g, &ws, dy, writable(grads.get_or_alloc_mut(&xg)?));
        }
        if g.flipped {
            let mut dw_corr = vec![0.0f32; g.weight_len()];
            cpu::backward_filter(&g, &xs, dy, &mut dw_corr);
            for (d, k) in writable(grads.get_or_alloc_mut(&wg)?)
                .chunks_exact_mut(g.taps())
                .zip(dw_corr.chunks_exact(g.taps()))
            {
                d.iter_mut().zip(k.iter().rev()).for_each(|(d, k)| *d += k);
            }
        } else {
            cpu::backward_filter(&g, &xs, dy, writable(grads.get_or_alloc_mut(&wg)?));
        }
        if let Some(bg) = &bg {
            cpu::sum_planes(dy, g.out_plane(), writable(grads.get_or_alloc_mut(bg)?));
        }
        Ok(())
    })
}

pub(crate) fn conv_transpose<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    w: &Tensor<Sw, f32, Cpu>,
    bias: Option<&Tensor<(O,), f32, Cpu>>,
    g: &ConvGeom,
    out: So,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    let b_len = bias.map(|b| b.shape().num_elements());
    check_sizes(
        "conv_transpose",
        &g,
        x.shape().num_elements(),
        g.out_len(),
        w.shape().num_elements(),
        b_len,
        g.c_in,
    )?;
    let (x, xs) = read_contiguous(x)?;
    let (x, tape) = x.split_tape();
    let ws = read_param(w)?;
    let mut y = zeroed(g.batch * g.in_len());
    if let Some(b) = bias {
        let b = read_param(b)?;
        for img in y.chunks_exact_mut(g.in_len()) {
            for (plane, bias) in img.chunks_exact_mut(g.in_plane()).zip(&b) {
                plane.fill(*bias);
            }
        }
    }
    cpu::backward_data(&g, &ws, &xs, &mut y);
    let (xg, wg, bg) = (x.ghost(), w.ghost(), bias.map(|b| b.ghost()));
    record(x.device(), tape, y, out, move |dy, grads| {
        cpu::forward(
            &g,
            dy,
            &ws,
            None,
            writable(grads.get_or_alloc_mut(&xg)?),
            true,
        );
        cpu::backward_filter(&g, dy, &xs, writable(grads.get_or_alloc_mut(&wg)?));
        if let Some(bg) = &bg {
            cpu::sum_planes(dy, g.in_plane(), writable(grads.get_or_alloc_mut(bg)?));
        }
        Ok(())
    })
}
