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
