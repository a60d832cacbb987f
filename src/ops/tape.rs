//! Wiring Cpu kernels into dfdx's autodiff tape through its public API.

use dfdx::prelude::*;
use dfdx::tensor::Storage;

/// Reads a gradient buffer as a slice that outlives its borrow of `Gradients`.
///
/// dfdx's public API hands out one `&mut` gradient at a time, while a
/// backward pass reads the output gradient *and* writes the input's. Copying
/// the output gradient would cost a full pass over it; instead every gradient
/// the op touches is allocated first, then this view of the output gradient
/// is taken.
///
/// # Safety
/// The caller must allocate every gradient it will request before calling
/// this (so no later call moves or frees this buffer: `Gradients` only
/// allocates on a miss), must not request this same gradient mutably while
/// the view lives, and must drop the view before the closure returns.
pub(crate) unsafe fn detach<'a>(grad: &mut <Cpu as Storage<f32>>::Vec) -> &'a [f32] {
    core::slice::from_raw_parts(grad.as_ptr(), grad.len())
}

/// Makes `t` contiguous (free when it already is; a taped copy otherwise) and
/// copies its values out with one memcpy.
///
/// dfdx's `as_vec` walks a strided iterator one element at a time, several
/// times slower than this on large maps; `copy_into` copies the physical
/// buffer, which equals the logical order only for contiguous tensors.
pub(crate) fn read_contiguous<S: Shape, T: Tape<f32, Cpu>>(
    t: Tensor<S, f32, Cpu, T>,
) -> crate::Result<(Tensor<S, f32, Cpu, T>, Vec<f32>)> {
    let shape = *t.shape();
    let t = t.try_reshape_like(&shape)?;
    let mut values = vec![0.0f32; shape.num_elements()];
    t.copy_into(&mut values);
    Ok((t, values))
}

/// [`read_contiguous`] for a parameter held by reference.
pub(crate) fn read_param<S: Shape>(t: &Tensor<S, f32, Cpu>) -> crate::Result<Vec<f32>> {
    Ok(read_contiguous(t.clone())?.1)
}
