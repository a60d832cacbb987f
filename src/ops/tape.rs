//! Wiring Cpu kernels into dfdx's autodiff tape through its public API.

use dfdx::prelude::*;
use dfdx::tensor::{CpuError, Gradients};

use crate::ops::pages::Copied;

/// Hands `y`, the values an op computed from an input whose tape is `tape`,
/// to dfdx as a tensor of `shape` (no copy), and, when the tape is owned,
/// records `backward(dy, grads)`: given the output's gradient `dy`, it adds
/// into the gradients of the op's input and parameters.
///
/// Every op's tape wiring goes through here, so the one `unsafe` of the
/// tape lives here too. dfdx's public API hands out one `&mut` gradient at
/// a time, while a backward pass reads the output's gradient *and* writes
/// others; copying `dy` would cost a full pass over it, so it is read
/// through a raw view instead.
pub(crate) fn record<S: Shape, T: Tape<f32, Cpu>>(
    dev: &Cpu,
    mut tape: T,
    y: Vec<f32>,
    shape: S,
    backward: impl FnOnce(&[f32], &mut Gradients<f32, Cpu>) -> Result<(), CpuError> + 'static,
) -> crate::Result<Tensor<S, f32, Cpu, T>> {
    let y = dev.try_tensor_from_vec(y, shape)?;
    if T::OWNS_TAPE {
        let yg = y.ghost();
        tape.add_backward_op(move |grads| {
            let dy = grads.get_or_alloc_mut(&yg)?;
            // SAFETY: the view reads the buffer of the output's gradient while
            // `backward` holds `&mut` to other gradients. No one can reach this
            // buffer mutably meanwhile: the output's ghost never leaves this
            // closure, so `backward` can ask only for the gradients of what the
            // op captured: its input and parameters, all created before the
            // output. The buffer is a heap allocation that
            // `Gradients` neither frees nor moves while a backward op runs
            // (allocating other gradients moves only the map's entries), and
            // the view ends when `backward` returns.
            let dy: &[f32] = unsafe { core::slice::from_raw_parts(dy.as_ptr(), dy.len()) };
            backward(dy, grads)
        });
    }
    Ok(y.put_tape(tape))
}

/// Makes `t` contiguous (free when it already is; a taped copy otherwise) and
/// copies its values out with one memcpy.
///
/// dfdx's `as_vec` walks a strided iterator one element at a time, several
/// times slower than this on large maps; `copy_into` copies the physical
/// buffer, which equals the logical order only for contiguous tensors.
pub(crate) fn read_contiguous<S: Shape, T: Tape<f32, Cpu>>(
    t: Tensor<S, f32, Cpu, T>,
) -> crate::Result<(Tensor<S, f32, Cpu, T>, Copied)> {
    let shape = *t.shape();
    let t = t.try_reshape_like(&shape)?;
    // a spare buffer when one fits: `copy_into` overwrites all of it
    let mut values = Copied::uninit(shape.num_elements());
    t.copy_into(&mut values);
    Ok((t, values))
}

/// [`read_contiguous`] for a parameter held by reference.
pub(crate) fn read_param<S: Shape>(t: &Tensor<S, f32, Cpu>) -> crate::Result<Vec<f32>> {
    Ok(read_contiguous(t.clone())?.1.into_vec())
}
