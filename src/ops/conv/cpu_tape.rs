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
use crate::ops::tanh::cpu::{squash_into, through_slope};
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
    let slope = match squash {
        None => {
            cpu::forward(&g, &xs, &ws, bs.as_deref(), &mut y, false);
            None
        }
        Some(q) => {
            let run = images_per_run(&g);
            let keep = T::OWNS_TAPE;
            Some(forward_squashed(
                &g,
                &xs,
                &ws,
                bs.as_deref(),
                &mut y,
                q,
                keep,
                run,
            ))
        }
    };
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

/// Images per run of [`forward_squashed`]: about what the caches keep of
/// their output, and at least one per thread.
fn images_per_run(g: &ConvGeom) -> usize {
    const RUN_BYTES: usize = 2 << 20;
    let threads = rayon::current_num_threads().max(1);
    (RUN_BYTES / core::mem::size_of::<f32>() / g.out_len().max(1)).max(threads)
}

/// The forward pass, then `q` on its output, `run` images at a time:
/// each run's output is squashed while it is still in cache, rather than
/// read back from memory after the whole batch (LeNet's C1 writes 18.8 MB
/// at batch 1000). Returns the slope when `keep_slope`.
#[allow(clippy::too_many_arguments)]
fn forward_squashed(
    g: &ConvGeom,
    xs: &[f32],
    ws: &[f32],
    bs: Option<&[f32]>,
    y: &mut [f32],
    q: Squash,
    keep_slope: bool,
    run: usize,
) -> Vec<f32> {
    let (il, ol, run) = (g.in_len(), g.out_len(), run.max(1));
    let mut slope = if keep_slope {
        zeroed(y.len())
    } else {
        Vec::new()
    };
    for (i, ys) in y.chunks_mut(run * ol).enumerate() {
        let images = ys.len() / ol;
        let part = ConvGeom {
            batch: images,
            ..*g
        };
        cpu::forward(&part, &xs[i * run * il..][..images * il], ws, bs, ys, false);
        let ds = keep_slope.then(|| &mut slope[i * run * ol..][..ys.len()]);
        squash_into(ys, q, ds);
    }
    slope
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::conv::AxisGeom;
    use crate::testing::{assert_close, values};

    #[test]
    fn squashing_run_by_run_equals_squashing_the_whole_batch() {
        let axis = |n| AxisGeom::sliding(n, 3, 1, 1, 1).unwrap();
        let g = ConvGeom {
            batch: 5,
            c_in: 2,
            c_out: 3,
            groups: 1,
            y: axis(6),
            x: axis(7),
            flipped: false,
            data_input: false,
        };
        let xs = values(g.batch * g.in_len(), 1);
        let ws = values(g.weight_len(), 2);
        let bs = values(g.c_out, 3);
        let mut whole = vec![0.0; g.batch * g.out_len()];
        cpu::forward(&g, &xs, &ws, Some(&bs), &mut whole, false);
        let slope = crate::ops::tanh::cpu::squash_in_place(&mut whole, Squash::LECUN, true);
        // runs of 2 images: 2 + 2 + 1
        let mut runs = vec![f32::NAN; whole.len()];
        let by_runs = forward_squashed(&g, &xs, &ws, Some(&bs), &mut runs, Squash::LECUN, true, 2);
        assert_close(&runs, &whole, 1e-6, "values");
        assert_close(&by_runs, &slope, 1e-6, "slopes");
    }
}
