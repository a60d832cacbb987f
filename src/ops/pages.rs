//! Page-level care for the large buffers of memory-bound ops: gradients
//! made writable before a kernel adds into them, and input copies reused
//! between calls.
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

/// Maps the whole pages inside `buf` writable, without changing a value.
pub(crate) fn prefault_for_write(buf: &mut [f32]) {
    let bytes = core::mem::size_of_val(buf);
    if bytes < WORTH_IT {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = buf.as_mut_ptr() as usize;
        let first = start.next_multiple_of(PAGE);
        let end = (start + bytes) / PAGE * PAGE;
        if end > first {
            // SAFETY: `[first, end)` lies inside `buf`, which we borrow
            // mutably, and is page aligned; POPULATE_WRITE only faults the
            // pages in, as a write would, and keeps their contents. A
            // kernel without it answers EINVAL, which changes nothing, so
            // the result is ignored.
            unsafe {
                linux::madvise(first as *mut _, end - first, linux::MADV_POPULATE_WRITE);
            }
        }
    }
}

/// `grad` with its pages writable, for kernels that add into it:
/// `writable(grads.get_or_alloc_mut(&xg)?)`.
pub(crate) fn writable(grad: &mut [f32]) -> &mut [f32] {
    prefault_for_write(grad);
    grad
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
                    buf.resize(len, 0.0);
                    return buf;
                }
            }
        }
        vec![0.0; len]
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

/// The process's spare input copies: two, enough for an op's input and
/// the next op's while one is in use.
static SPARE: Spare = Spare::new(2);

/// A buffer of `len` values whose contents are unspecified (a previous
/// call's, or zeros): for callers that overwrite all of it.
pub(crate) fn take_buffer(len: usize) -> Vec<f32> {
    SPARE.take(len)
}

/// Keeps `buf` for a later [`take_buffer`]; buffers under 1 MiB are simply
/// dropped, and the smallest kept one goes when too many would be held.
pub(crate) fn give_back(buf: Vec<f32>) {
    SPARE.give(buf)
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
    fn prefaulting_keeps_every_value() {
        // large enough to be prefaulted, with values in and around its pages
        let mut buf: Vec<f32> = (0..(3 << 20) / 4 + 7).map(|i| i as f32 * 0.5).collect();
        let before = buf.clone();
        prefault_for_write(&mut buf[3..]);
        assert_eq!(buf, before);
        // a fresh zeroed buffer stays zero and takes writes
        let mut zeros = vec![0.0f32; 2 << 20];
        prefault_for_write(&mut zeros);
        assert!(zeros.iter().all(|&v| v == 0.0));
        zeros[12345] += 1.0;
        assert_eq!(zeros.iter().sum::<f32>(), 1.0);
    }
}
