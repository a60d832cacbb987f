//! Scratch buffers for the Cpu kernels, one per thread, kept between calls.

use std::cell::RefCell;

thread_local! {
    /// Each thread's im2col buffer, kept between calls: allocating a fresh
    /// one per call costs a page fault per 4 KiB on first touch, which on
    /// the machines measured here cost as much as the GEMM it feeds.
    static COLS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's im2col buffer, grown to `len` values.
pub(super) fn with_cols<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COLS.with(|cell| {
        // a nested call (none today) gets a fresh buffer instead of a panic
        let Ok(mut buf) = cell.try_borrow_mut() else {
            return f(&mut vec![0.0f32; len]);
        };
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        f(&mut buf[..len])
    })
}
