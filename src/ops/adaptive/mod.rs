//! Adaptive pooling (PyTorch's `AdaptiveAvgPool2d`/`AdaptiveMaxPool2d`):
//! any input size to a fixed `OH x OW` output, so a network can take images
//! of any size and still flatten into a linear layer (AlexNet's and VGG's
//! heads, GoogLeNet's auxiliary heads).
//!
//! Output `i` of an axis of `n` inputs pooled to `m` reads the inputs
//! `⌊i·n/m⌋ .. ⌈(i+1)·n/m⌉` ([`window`]), PyTorch's rule: windows cover the
//! input, differ by at most one in size, and overlap when `m` does not
//! divide `n`.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{adaptive_avg_pool2d, adaptive_max_pool2d};
//! use splotnet::typenum::{U1, U2, U3, U4};
//!
//! let dev: Cpu = Default::default();
//! // one 3x4 map: 1..=12, row by row
//! let x: Tensor<(usize, N<U1>, N<U3>, N<U4>), f32, Cpu> = dev.tensor_from_vec(
//!     (1..=12).map(|v| v as f32).collect(),
//!     (1, N::new(), N::new(), N::new()),
//! );
//! // to 2x2: rows 0..2 and 1..3 (3 rows to 2 overlap), columns 0..2 and 2..4
//! let avg: Tensor<(usize, N<U1>, N<U2>, N<U2>), f32, Cpu> = adaptive_avg_pool2d(x.clone()).unwrap();
//! assert_eq!(avg.as_vec(), [(1. + 2. + 5. + 6.) / 4., (3. + 4. + 7. + 8.) / 4., (5. + 6. + 9. + 10.) / 4., (7. + 8. + 11. + 12.) / 4.]);
//! let max: Tensor<(usize, N<U1>, N<U2>, N<U2>), f32, Cpu> = adaptive_max_pool2d(x).unwrap();
//! assert_eq!(max.as_vec(), [6., 8., 10., 12.]);
//! ```

mod generic;
#[cfg(test)]
mod tests;

use dfdx::prelude::*;

use super::F32Device;
use crate::dims::{Size, N};
use crate::{Error, Result};

/// The inputs `start..end` that output `i` of `m` reads from `n` inputs:
/// `⌊i·n/m⌋ .. ⌈(i+1)·n/m⌉`.
pub fn window(i: usize, n: usize, m: usize) -> (usize, usize) {
    (i * n / m, ((i + 1) * n).div_ceil(m))
}

macro_rules! adaptive_fn {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        pub fn $name<B, C, H, W, OH, OW, Dev, T>(
            x: Tensor<(B, C, H, W), f32, Dev, T>,
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
            check(stringify!($name), x.shape(), (OH::USIZE, OW::USIZE))?;
            generic::pool(x, $max)
        }
    };
}

adaptive_fn!(
    /// Adaptive average pooling of `(batch, C, H, W)` maps to `(batch, C, OH, OW)`.
    adaptive_avg_pool2d,
    false
);
adaptive_fn!(
    /// Adaptive max pooling of `(batch, C, H, W)` maps to `(batch, C, OH, OW)`;
    /// the gradient goes to each window's maximum.
    adaptive_max_pool2d,
    true
);

/// Maps of size 0 have no windows, and an output of size 0 no values.
fn check<B: Dim, C: Dim, H: Dim, W: Dim>(
    op: &'static str,
    &(_, _, h, w): &(B, C, H, W),
    (oh, ow): (usize, usize),
) -> Result<()> {
    if h.size() == 0 || w.size() == 0 || oh == 0 || ow == 0 {
        let (h, w) = (h.size(), w.size());
        return Err(Error::shape(
            op,
            format!("cannot pool {h}x{w} maps to {oh}x{ow}"),
        ));
    }
    Ok(())
}
