//! The feature-map size rules of splotnet, written once.
//!
//! Per spatial axis, with kernel `K`, stride `S`, zero padding `P`, dilation
//! `D` (the dilated kernel spans `D(K-1)+1` inputs) and output padding `OP`:
//!
//! | layer | output size |
//! |---|---|
//! | convolution, pooling | `(in + 2P - D(K-1) - 1) / S + 1` |
//! | transposed convolution | `(in - 1)S - 2P + D(K-1) + 1 + OP` |
//! | "same" padding (S = 1) | `P = D(K-1)/2`, odd `K` only |
//!
//! The `network!` macro checks declarations with these functions (on
//! numbers, and on the symbolic sizes of generic blocks through
//! [`SizeArith`]); the runtime checks `usize` sizes with them; the typenum
//! operators of `splotnet::formula` are tested against them over a grid.
//! The crate has no dependencies, so the macro can use it at compile time.
//!
//! ```
//! use splotnet_sizes::{conv_out, conv_transpose_out, same_padding, SizeError};
//!
//! assert_eq!(conv_out(32, 5, 1, 0, 1, false), Ok(28)); // LeNet-5's C1
//! assert_eq!(conv_out(227, 11, 4, 0, 1, true), Ok(55)); // AlexNet's C1
//! assert_eq!(
//!     conv_out(224, 11, 4, 0, 1, true),
//!     Err(SizeError::StrideDoesNotDivide { stride: 4, excess: 213 })
//! );
//! assert_eq!(conv_transpose_out(28, 2, 2, 0, 1, 0), Ok(56)); // U-Net's up-convolution
//! assert_eq!(same_padding(3, 2), Ok(2));
//! ```
#![no_std]
#![warn(missing_docs)]

use core::fmt;

/// Why an axis has no output size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeError {
    /// A kernel, stride or dilation of 0.
    ZeroArgument {
        /// The kernel size.
        kernel: u64,
        /// The stride.
        stride: u64,
        /// The dilation.
        dilation: u64,
    },
    /// An input of size 0 to a transposed convolution.
    EmptyInput,
    /// The dilated kernel is larger than the padded input.
    KernelDoesNotFit {
        /// The input size.
        input: u64,
        /// The padding on each side.
        padding: u64,
        /// The dilated kernel's span `D(K-1)+1`.
        span: u64,
    },
    /// Exact mode: the stride does not divide `in + 2P - D(K-1) - 1`.
    StrideDoesNotDivide {
        /// The stride.
        stride: u64,
        /// `in + 2P - D(K-1) - 1`.
        excess: u64,
    },
    /// A transposed convolution's output padding is not below its stride.
    OutputPaddingNotBelowStride {
        /// The output padding.
        output_padding: u64,
        /// The stride.
        stride: u64,
    },
    /// A transposed convolution's padding removes its whole output.
    PaddingRemovesOutput {
        /// The padding on each side.
        padding: u64,
        /// `(in-1)S + D(K-1) + 1 + OP`, before padding is removed.
        full: u64,
    },
    /// "Same" padding asked of an even kernel.
    EvenKernel {
        /// The kernel size.
        kernel: u64,
    },
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SizeError::ZeroArgument { kernel, stride, dilation } => write!(
                f,
                "kernel ({kernel}), stride ({stride}) and dilation ({dilation}) must be at least 1"
            ),
            SizeError::EmptyInput => f.write_str("the input size must be at least 1"),
            SizeError::KernelDoesNotFit { input, padding, span } => write!(
                f,
                "kernel does not fit: span D(K-1)+1 = {span} is larger than the padded input {input}+2*{padding} = {}",
                input + 2 * padding
            ),
            SizeError::StrideDoesNotDivide { stride, excess } => write!(
                f,
                "stride {stride} does not divide in + 2P - D(K-1) - 1 = {excess} (exact mode); the output would be {}.{}",
                excess / stride + 1,
                excess % stride
            ),
            SizeError::OutputPaddingNotBelowStride { output_padding, stride } => write!(
                f,
                "output padding {output_padding} must be smaller than the stride {stride}"
            ),
            SizeError::PaddingRemovesOutput { padding, full } => write!(
                f,
                "padding 2*{padding} removes the whole output of size (in-1)S + D(K-1) + 1 + OP = {full}"
            ),
            SizeError::EvenKernel { kernel } => write!(
                f,
                "\"same\" padding needs an odd kernel, got {kernel}: the padding (K-1)/2 would not be whole"
            ),
        }
    }
}

/// Sizes the formulas can be computed on: numbers, and the macro's
/// symbolic sizes (`H`, `(H - 1) / 2 + 1`). Division floors.
pub trait SizeArith: Sized {
    /// `self + n`.
    fn plus(&self, n: u64) -> Self;
    /// `self - n` (callers check that a number stays non-negative).
    fn minus(&self, n: u64) -> Self;
    /// `self · n`.
    fn times(&self, n: u64) -> Self;
    /// `⌊self / n⌋`.
    fn over(&self, n: u64) -> Self;
}

impl SizeArith for u64 {
    fn plus(&self, n: u64) -> u64 {
        self + n
    }
    fn minus(&self, n: u64) -> u64 {
        self - n
    }
    fn times(&self, n: u64) -> u64 {
        self * n
    }
    fn over(&self, n: u64) -> u64 {
        self / n
    }
}

/// Inputs spanned by a kernel of `k` taps with dilation `d`: `d(k-1)+1`.
pub const fn span(k: u64, d: u64) -> u64 {
    d * (k - 1) + 1
}

/// `(in + 2P - D(K-1) - 1) / S + 1` on any [`SizeArith`], unchecked: the
/// formula itself, which [`conv_out`] checks on numbers.
pub fn conv_out_of<T: SizeArith>(input: &T, k: u64, s: u64, p: u64, d: u64) -> T {
    input.plus(2 * p).minus(span(k, d)).over(s).plus(1)
}

/// `(in - 1)S - 2P + D(K-1) + 1 + OP` on any [`SizeArith`], unchecked.
pub fn conv_transpose_out_of<T: SizeArith>(
    input: &T,
    k: u64,
    s: u64,
    p: u64,
    d: u64,
    op: u64,
) -> T {
    input.minus(1).times(s).plus(span(k, d) + op).minus(2 * p)
}

/// How a window's stride that does not divide the slide range is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// Floor: trailing inputs the window cannot reach are dropped (PyTorch's
    /// default).
    Floor,
    /// Ceil (PyTorch's `ceil_mode=True` pooling): one more window covers
    /// them, if it starts inside the input or its left padding.
    Ceil,
    /// Reject the size.
    Exact,
}

/// The output size of a pooling (or convolution) axis under `round`.
///
/// ```
/// use splotnet_sizes::{window_out, Round};
///
/// // GoogLeNet's max pools: 112 -> 56 only in ceil mode
/// assert_eq!(window_out(112, 3, 2, 0, 1, Round::Floor), Ok(55));
/// assert_eq!(window_out(112, 3, 2, 0, 1, Round::Ceil), Ok(56));
/// // a last window that would start in the right padding is dropped
/// assert_eq!(window_out(5, 2, 2, 1, 1, Round::Ceil), Ok(3));
/// ```
pub fn window_out(
    input: u64,
    k: u64,
    s: u64,
    p: u64,
    d: u64,
    round: Round,
) -> Result<u64, SizeError> {
    let floor = conv_out(input, k, s, p, d, round == Round::Exact)?;
    if round != Round::Ceil {
        return Ok(floor);
    }
    let excess = input + 2 * p - span(k, d);
    let ceil = excess.div_ceil(s) + 1;
    // PyTorch's rule: the last window must start inside the input or the
    // left padding
    Ok(if (ceil - 1) * s >= input + p {
        ceil - 1
    } else {
        ceil
    })
}

/// The output size of a convolution or pooling axis; `exact` rejects a
/// stride that does not divide `in + 2P - D(K-1) - 1` (else it floors, as
/// PyTorch does).
pub fn conv_out(input: u64, k: u64, s: u64, p: u64, d: u64, exact: bool) -> Result<u64, SizeError> {
    if k == 0 || s == 0 || d == 0 {
        return Err(SizeError::ZeroArgument {
            kernel: k,
            stride: s,
            dilation: d,
        });
    }
    let span = span(k, d);
    if span > input + 2 * p {
        return Err(SizeError::KernelDoesNotFit {
            input,
            padding: p,
            span,
        });
    }
    let excess = input + 2 * p - span;
    if exact && excess % s != 0 {
        return Err(SizeError::StrideDoesNotDivide { stride: s, excess });
    }
    Ok(conv_out_of(&input, k, s, p, d))
}

/// The output size of a transposed-convolution axis.
pub fn conv_transpose_out(
    input: u64,
    k: u64,
    s: u64,
    p: u64,
    d: u64,
    op: u64,
) -> Result<u64, SizeError> {
    if k == 0 || s == 0 || d == 0 {
        return Err(SizeError::ZeroArgument {
            kernel: k,
            stride: s,
            dilation: d,
        });
    }
    if input == 0 {
        return Err(SizeError::EmptyInput);
    }
    if op >= s {
        return Err(SizeError::OutputPaddingNotBelowStride {
            output_padding: op,
            stride: s,
        });
    }
    let full = (input - 1) * s + span(k, d) + op;
    if full <= 2 * p {
        return Err(SizeError::PaddingRemovesOutput { padding: p, full });
    }
    Ok(conv_transpose_out_of(&input, k, s, p, d, op))
}

/// The padding `D(K-1)/2` that keeps the size at stride 1; odd kernels only.
pub fn same_padding(k: u64, d: u64) -> Result<u64, SizeError> {
    if k % 2 == 0 {
        return Err(SizeError::EvenKernel { kernel: k });
    }
    Ok(d * (k - 1) / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lecture_examples() {
        // LeNet-5: 32 -> 28 -> 14 -> 10 -> 5 -> 1
        assert_eq!(conv_out(32, 5, 1, 0, 1, false), Ok(28));
        assert_eq!(conv_out(28, 2, 2, 0, 1, false), Ok(14));
        assert_eq!(conv_out(14, 5, 1, 0, 1, false), Ok(10));
        assert_eq!(conv_out(10, 2, 2, 0, 1, false), Ok(5));
        assert_eq!(conv_out(5, 5, 1, 0, 1, false), Ok(1));
        // ResNet's stem: 224 -> 112 (7x7, stride 2, padding 3)
        assert_eq!(conv_out(224, 7, 2, 3, 1, false), Ok(112));
        // dilation 2 spans 5 inputs with a 3x3 kernel
        assert_eq!(conv_out(7, 3, 1, 0, 2, false), Ok(3));
    }

    #[test]
    fn a_transposed_convolution_inverts_the_sizes_of_its_convolution() {
        for input in 1..40 {
            for (k, s, p, d) in [
                (3, 2, 1, 1),
                (2, 2, 0, 1),
                (4, 2, 1, 1),
                (3, 1, 1, 2),
                (5, 3, 2, 1),
            ] {
                let Ok(small) = conv_out(input, k, s, p, d, false) else {
                    continue;
                };
                let excess = input + 2 * p - span(k, d);
                let op = excess % s;
                assert_eq!(
                    conv_transpose_out(small, k, s, p, d, op),
                    Ok(input),
                    "in={input} k={k} s={s} p={p} d={d}"
                );
            }
        }
    }

    #[test]
    fn ceil_mode_follows_pytorchs_rule() {
        // PyTorch's pooling_output_shape, written out independently
        let torch = |i: i64, k: i64, s: i64, p: i64| {
            let mut o = (i + 2 * p - (k - 1) - 1 + (s - 1)).div_euclid(s) + 1;
            if (o - 1) * s >= i + p {
                o -= 1;
            }
            o as u64
        };
        for input in 1..40u64 {
            for (k, s, p) in [
                (3, 2, 0),
                (3, 2, 1),
                (2, 2, 0),
                (2, 2, 1),
                (3, 3, 1),
                (5, 3, 2),
                (1, 2, 0),
            ] {
                if let Ok(o) = window_out(input, k, s, p, 1, Round::Ceil) {
                    assert_eq!(
                        o,
                        torch(input as i64, k as i64, s as i64, p as i64),
                        "in={input} k={k} s={s} p={p}"
                    );
                    assert!(o >= window_out(input, k, s, p, 1, Round::Floor).unwrap());
                }
            }
        }
    }

    #[test]
    fn broken_rules_say_which() {
        assert_eq!(
            conv_out(4, 5, 1, 0, 1, false),
            Err(SizeError::KernelDoesNotFit {
                input: 4,
                padding: 0,
                span: 5
            })
        );
        assert_eq!(
            conv_out(4, 0, 1, 0, 1, false),
            Err(SizeError::ZeroArgument {
                kernel: 0,
                stride: 1,
                dilation: 1
            })
        );
        assert_eq!(
            conv_transpose_out(4, 2, 2, 0, 1, 2),
            Err(SizeError::OutputPaddingNotBelowStride {
                output_padding: 2,
                stride: 2
            })
        );
        assert_eq!(
            conv_transpose_out(1, 1, 1, 1, 1, 0),
            Err(SizeError::PaddingRemovesOutput {
                padding: 1,
                full: 1
            })
        );
        assert_eq!(same_padding(4, 1), Err(SizeError::EvenKernel { kernel: 4 }));
    }
}
