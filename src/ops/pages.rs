//! Page-level care for the large buffers of memory-bound ops: gradients
//! made writable before a kernel adds into them, outputs allocated mapped
//! ([`zeroed`]), and input copies reused between calls.
//!
//! dfdx allocates a gradient with `vec![0.0; n]`, which for large buffers
//! is fresh, lazily zeroed memory from the kernel. A backward kernel *adds*
//! into it, so it reads each page before writing it: the read maps the
//! shared zero page, and the write then copies it, which invalidates the
//! old mapping on every core running one of our threads (an inter-processor
//! interrupt per page). Measured on max pooling's backward pass (a 103 MB
//! gradient, 2 threads), those faults and interrupts took over half the
//! time. Asking Linux to map the pages writable first (`MADV_POPULATE_WRITE`,
//! Linux 5.14 and later) costs one system call and leaves the values as
//! they are, so it is right whether the gradient is fresh or already holds
//! a sum. Elsewhere, or on older kernels, nothing is done.

/// Buffers smaller than this are not worth a system call.
const WORTH_IT: usize = 1 << 20;

#[cfg(target_os = "linux")]
mod linux {
    use core::ffi::{c_int, c_void};

    /// `MADV_POPULATE_WRITE` from `<linux/mman.h>`.
    pub(super) const MADV_POPULATE_WRITE: c_int = 23;

    extern "C" {
        /// glibc's and musl's `madvise(2)`.
        pub(super) fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    }
}

/// `grad` with its whole pages mapped writable and its values unchanged,
/// for kernels that add into it: `writable(grads.get_or_alloc_mut(&xg)?)`.
pub(crate) fn writable(grad: &mut [f32]) -> &mut [f32] {
    let bytes = core::mem::size_of_val(grad);
    if bytes < WORTH_IT {
        return grad;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = grad.as_mut_ptr() as usize;
        let first = start.next_multiple_of(PAGE);
        let end = (start + bytes) / PAGE * PAGE;
        if end > first {
            // SAFETY: `[first, end)` lies inside `grad`, which we borrow
            // mutably, and is page aligned; POPULATE_WRITE only faults the
            // pages in, as a write would, and keeps their contents. A
            // kernel without it answers EINVAL, which changes nothing, so
            // the result is ignored.
            unsafe {
                linux::madvise(first as *mut _, end - first, linux::MADV_POPULATE_WRITE);
            }
        }
    }
    grad
}

/// `len` zeros, written by all of rayon's threads for large buffers: an
/// op's output, which its kernel is about to fill.
///
/// `vec![0.0; len]` is free when the allocator hands out fresh pages, but
/// an allocation that reuses freed heap memory is zeroed by one `memset` on
/// the calling thread while the others wait: on LeNet-5's inference at
/// batch 1000 that serial `memset` was 8 % of the time. Writing the zeros
/// in parallel chunks also faults fresh pages in on every thread.
pub(crate) fn zeroed(len: usize) -> Vec<f32> {
    let mut v = Vec::new();
    grow_zeroed(&mut v, len);
    v
}

/// Lengthens `v` to `len` with zeros, in parallel when the new part is
/// large (see [`zeroed`]).
fn grow_zeroed(v: &mut Vec<f32>, len: usize) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 16;
    let old = v.len();
    if len <= old || (len - old) * core::mem::size_of::<f32>() < WORTH_IT {
        v.resize(len, 0.0);
        return;
    }
    v.reserve_exact(len - old);
    v.spare_capacity_mut()[..len - old]
        .par_chunks_mut(CHUNK)
        .for_each(|c| c.fill(core::mem::MaybeUninit::new(0.0)));
    // SAFETY: the values from `old` to `len` were all just written.
    unsafe { v.set_len(len) };
}

/// Input copies that ops have finished with, kept for the next op's copy.
///
/// A fresh buffer of more than 32 MB comes from `mmap` and goes back with
/// `munmap` on free (glibc's threshold), so each call would fault its pages
/// in again and invalidate them on every core on the way out. Reusing a
/// kept buffer skips both. At most `kept` are held, so the memory held
/// between calls is bounded by the largest inputs seen.
struct Spare {
    buffers: std::sync::Mutex<Vec<Vec<f32>>>,
    kept: usize,
}

impl Spare {
    const fn new(kept: usize) -> Self {
        Spare {
            buffers: std::sync::Mutex::new(Vec::new()),
            kept,
        }
    }

    fn take(&self, len: usize) -> Vec<f32> {
        if len * core::mem::size_of::<f32>() >= WORTH_IT {
            if let Ok(mut spare) = self.buffers.lock() {
                // the smallest that fits, and not more than twice the need
                let fit = (0..spare.len())
                    .filter(|&i| (len..=2 * len).contains(&spare[i].capacity()))
                    .min_by_key(|&i| spare[i].capacity());
                if let Some(i) = fit {
                    let mut buf = spare.swap_remove(i);
                    buf.truncate(len);
                    grow_zeroed(&mut buf, len);
                    return buf;
                }
            }
        }
        zeroed(len)
    }

    fn give(&self, buf: Vec<f32>) {
        if buf.capacity() * core::mem::size_of::<f32>() < WORTH_IT {
            return;
        }
        if let Ok(mut spare) = self.buffers.lock() {
            spare.push(buf);
            if spare.len() > self.kept {
                if let Some(i) = (0..spare.len()).min_by_key(|&i| spare[i].capacity()) {
                    spare.swap_remove(i);
                }
            }
        }
    }
}

/// The process's spare buffers behind [`Copied`]: two, enough for an op's
/// input and the next op's while one is in use.
static SPARE: Spare = Spare::new(2);

/// A copy of a tensor's values that goes back to the spare buffers when
/// dropped: when the op that made it is done with it, in its forward pass
/// or, kept for the backward pass, when the tape runs or is dropped.
pub(crate) struct Copied {
    values: Vec<f32>,
    home: &'static Spare,
}

impl Copied {
    /// A copy of `len` values whose contents are unspecified (a previous
    /// call's, or zeros): for callers that overwrite all of it.
    pub(crate) fn uninit(len: usize) -> Self {
        Self::uninit_from(&SPARE, len)
    }

    fn uninit_from(home: &'static Spare, len: usize) -> Self {
        Copied {
            values: home.take(len),
            home,
        }
    }

    /// The values as a plain vector, which will not go back (an output
    /// handed to dfdx, which frees it).
    pub(crate) fn into_vec(mut self) -> Vec<f32> {
        core::mem::take(&mut self.values)
    }
}

impl core::ops::Deref for Copied {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.values
    }
}

impl core::ops::DerefMut for Copied {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.values
    }
}

impl Drop for Copied {
    fn drop(&mut self) {
        self.home.give(core::mem::take(&mut self.values));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_back_buffer_is_reused_for_a_fitting_request_only() {
        let spare = Spare::new(2);
        let len = (4 << 20) / 4;
        let buf = vec![1.5f32; len];
        let at = buf.as_ptr();
        spare.give(buf);
        // a request under half its size gets a fresh, zeroed buffer
        let small = spare.take(len / 4);
        assert_ne!(small.as_ptr(), at);
        assert!(small.iter().all(|&v| v == 0.0));
        // a fitting one gets it back, old contents and all
        let again = spare.take(len - 10);
        assert_eq!((again.as_ptr(), again.len()), (at, len - 10));
        assert!(again.iter().all(|&v| v == 1.5));
        // small buffers are never kept; beyond two, the smallest goes
        spare.give(vec![0.0; 16]);
        spare.give(again);
        spare.give(vec![0.0; 2 * len]);
        spare.give(vec![0.0; 3 * len]);
        let mut kept: Vec<usize> = spare
            .buffers
            .lock()
            .unwrap()
            .iter()
            .map(Vec::capacity)
            .collect();
        kept.sort();
        assert_eq!(kept, [2 * len, 3 * len]);
    }

    #[test]
    fn a_dropped_copy_goes_back_and_one_turned_into_a_vector_does_not() {
        static HOME: Spare = Spare::new(2);
        let len = (2 << 20) / 4;
        let copy = Copied::uninit_from(&HOME, len);
        let at = copy.as_ptr();
        drop(copy);
        let again = Copied::uninit_from(&HOME, len);
        assert_eq!(again.as_ptr(), at, "the dropped copy's buffer is reused");
        let owned = again.into_vec();
        assert_eq!(owned.as_ptr(), at);
        assert!(
            HOME.buffers.lock().unwrap().is_empty(),
            "an owned vector stays out"
        );
    }

    #[test]
    fn prefaulting_keeps_every_value() {
        // large enough to be prefaulted, with values in and around its pages
        let mut buf: Vec<f32> = (0..(3 << 20) / 4 + 7).map(|i| i as f32 * 0.5).collect();
        let before = buf.clone();
        writable(&mut buf[3..]);
        assert_eq!(buf, before);
        // a fresh zeroed buffer stays zero and takes writes
        let mut zeros = vec![0.0f32; 2 << 20];
        writable(&mut zeros);
        assert!(zeros.iter().all(|&v| v == 0.0));
        zeros[12345] += 1.0;
        assert_eq!(zeros.iter().sum::<f32>(), 1.0);
    }
}
