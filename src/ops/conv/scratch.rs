//! Scratch buffers for the Cpu kernels: one im2col buffer per thread, kept
//! between calls, and per-task partial sums.

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

/// Runs `f(task, partial)` for each of `tasks` tasks in parallel, each
/// adding into a zeroed partial of `total.len()` values of its own, then
/// adds every partial into `total`: a weight gradient summed over images,
/// without tasks writing to the same values.
pub(super) fn add_task_sums(tasks: usize, total: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync) {
    use rayon::prelude::*;
    let len = total.len();
    let partials: Vec<Vec<f32>> = (0..tasks)
        .into_par_iter()
        .map(|task| {
            let mut partial = vec![0.0f32; len];
            f(task, &mut partial);
            partial
        })
        .collect();
    for partial in partials {
        total.iter_mut().zip(&partial).for_each(|(t, p)| *t += p);
    }
}
