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
//! use typenum::{Unsigned, U0, U1, U2, U224, U3, U5, U28, U32};
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

pub use axis::{SlidingWindow, TransposedWindow};
pub use check::SizeCheck;
pub use types::{
    AcceptsRemainder, ConvOut, ConvOutSize, ConvTransposeOut, ConvTransposeOutSize, Exact, Floor,
    KernelFits, OddKernel, OutputPaddingBelowStride, Padded, Rounding, SamePad, SamePaddingOf,
    Span, TransposedOutputFits,
};

/// Inputs spanned by a kernel of `k` taps with dilation `d`: `d(k-1)+1`.
pub const fn span(k: usize, d: usize) -> usize {
    d * (k - 1) + 1
}

/// Output size of a convolution or pooling axis; `Err` says why it has none.
///
/// `exact` rejects a stride that does not divide `input + 2p - span`.
pub fn conv_out(
    input: usize,
    k: usize,
    s: usize,
    p: usize,
    d: usize,
    exact: bool,
) -> Result<usize, String> {
    if k == 0 || s == 0 || d == 0 {
        return Err(format!(
            "kernel ({k}), stride ({s}) and dilation ({d}) must be at least 1"
        ));
    }
    let padded = input + 2 * p;
    let span = span(k, d);
    if span > padded {
        return Err(format!(
            "kernel does not fit: span D(K-1)+1 = {span} is larger than the padded input {input}+2*{p} = {padded}"
        ));
    }
    let excess = padded - span;
    if exact && excess % s != 0 {
        return Err(format!(
            "stride {s} does not divide in + 2P - D(K-1) - 1 = {excess} (exact mode); \
             (in={input}, K={k}, P={p}, D={d}) would give {}.{}",
            excess / s + 1,
            excess % s
        ));
    }
    Ok(excess / s + 1)
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
    if input == 0 || k == 0 || s == 0 || d == 0 {
        return Err(format!(
            "input ({input}), kernel ({k}), stride ({s}) and dilation ({d}) must be at least 1"
        ));
    }
    if output_padding >= s {
        return Err(format!(
            "output padding {output_padding} must be smaller than the stride {s}"
        ));
    }
    let full = (input - 1) * s + span(k, d) + output_padding;
    if full <= 2 * p {
        return Err(format!(
            "padding 2*{p} removes the whole output of size (in-1)S + D(K-1) + 1 + OP = {full}"
        ));
    }
    Ok(full - 2 * p)
}

/// The padding that keeps the size at stride 1: `d(k-1)/2`, for odd `k` only.
pub fn same_padding(k: usize, d: usize) -> Result<usize, String> {
    if k % 2 == 0 {
        return Err(format!(
            "\"same\" padding needs an odd kernel, got {k}: the padding (K-1)/2 would not be whole"
        ));
    }
    Ok(d * (k - 1) / 2)
}

#[cfg(test)]
mod tests;
