//! Feature-map size formulas, as type operators and as runtime functions.
//!
//! Per spatial axis, with kernel `K`, stride `S`, zero padding `P` and
//! dilation `D` (the dilated kernel spans `D(K-1)+1` inputs):
//!
//! | layer | output size |
//! |---|---|
//! | convolution, pooling | `(in + 2P - D(K-1) - 1) / S + 1` |
//! | transposed convolution | `(in - 1)S - 2P + D(K-1) + 1 + OP` |
//! | "same" padding (S = 1) | `P = D(K-1)/2`, odd `K` only |
//!
//! With `D = 1` the first row is the lecture's `M_n = (M_{n-1} - K + 2P)/S + 1`.
//!
//! Division floors by default ([`Floor`], PyTorch's rule). [`Exact`] rejects a
//! stride that does not divide `in + 2P - D(K-1) - 1`, which is how the AlexNet
//! paper's 224-pixel input with an 11x11 stride-4 first layer is caught.
//!
//! Sizes known at compile time go through the type operators in [`types`]
//! (a failing bound prints a readable message); `usize` sizes go through the
//! functions here and return an [`Error`](crate::Error) naming the numbers.
//!
//! ```
//! use splotnet::formula::{conv_out, ConvOut};
//! use splotnet::typenum::{Unsigned, U0, U1, U2, U224, U3, U5, U28, U32};
//!
//! // LeNet-5 C1: 32x32 input, 5x5 kernel -> 28x28
//! assert_eq!(<ConvOut<U32, U5, U1, U0, U1> as Unsigned>::USIZE, 28);
//! // VGG: 3x3, padding 1 keeps 224
//! assert_eq!(<ConvOut<U224, U3, U1, U1, U1> as Unsigned>::USIZE, 224);
//! // 2x2 pooling, stride 2: 28 -> 14
//! assert_eq!(<ConvOut<U28, U2, U2, U0, U1> as Unsigned>::USIZE, 14);
//! assert_eq!(conv_out(224, 11, 4, 0, 1, false).unwrap(), 54);
//! assert!(conv_out(224, 11, 4, 0, 1, true).is_err()); // AlexNet's famous 224
//! ```

mod axis;
mod check;
pub mod types;

pub use axis::{CropsAt, CropsTo, SlidingWindow, TransposedWindow, Upscaled};
pub use check::SizeCheck;
pub use types::{
    AcceptsRemainder, BitAsUnsigned, Ceil, ConvOut, ConvOutSize, ConvTransposeOut,
    ConvTransposeOutSize, Exact, Floor, KernelFits, OddKernel, OutputPaddingBelowStride, Padded,
    RoundOut, Rounding, SamePad, SamePaddingOf, Span, TransposedOutputFits,
};

pub use splotnet_sizes::{SizeArith, SizeError};

/// Inputs spanned by a kernel of `k` taps with dilation `d`: `d(k-1)+1`.
pub const fn span(k: usize, d: usize) -> usize {
    splotnet_sizes::span(k as u64, d as u64) as usize
}

/// Output size of a convolution or pooling axis; `Err` says why it has none.
///
/// `exact` rejects a stride that does not divide `input + 2p - span`. The
/// rule is `splotnet_sizes::conv_out`, which the `network!` macro applies too.
pub fn conv_out(
    input: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    exact: bool,
) -> Result<usize, String> {
    let (i, k, s, p, d) = (input as u64, k as u64, s as u64, p as u64, d as u64);
    splotnet_sizes::conv_out(i, k, s, p, d, exact)
        .map(|o| o as usize)
        .map_err(|e| match e {
            SizeError::StrideDoesNotDivide { .. } => {
                format!("{e}; (in={input}, K={k}, P={p}, D={d})")
            }
            e => e.to_string(),
        })
}

/// Output size of a pooling or convolution axis under rounding `round`
/// ([`Floor`], [`Exact`] or [`Ceil`]'s rule); `Err` says why it has none.
pub fn window_out(
    input: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    round: splotnet_sizes::Round,
) -> Result<usize, String> {
    match round {
        splotnet_sizes::Round::Ceil => {
            let (i, k, s, p, d) = (input as u64, k as u64, s as u64, p as u64, d as u64);
            splotnet_sizes::window_out(i, k, s, p, d, round)
                .map(|o| o as usize)
                .map_err(|e| e.to_string())
        }
        r => conv_out(input, k, s, p, d, r == splotnet_sizes::Round::Exact),
    }
}

/// Output size of a transposed-convolution axis; `Err` says why it has none.
pub fn conv_transpose_out(
    input: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    output_padding: usize,
) -> Result<usize, String> {
    let (i, k, s, p, d, op) = (
        input as u64,
        k as u64,
        s as u64,
        p as u64,
        d as u64,
        output_padding as u64,
    );
    splotnet_sizes::conv_transpose_out(i, k, s, p, d, op)
        .map(|o| o as usize)
        .map_err(|e| e.to_string())
}

/// The padding that keeps the size at stride 1: `d(k-1)/2`, for odd `k` only.
pub fn same_padding(k: usize, d: usize) -> Result<usize, String> {
    splotnet_sizes::same_padding(k as u64, d as u64)
        .map(|p| p as usize)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
