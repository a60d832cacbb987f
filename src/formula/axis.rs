//! The formulas lifted to dfdx dimensions: static in, static out; `usize` in,
//! `usize` out (checked at run time).

use dfdx::shapes::Dim;
use typenum::Unsigned;

use super::types::{ConvOutSize, ConvTransposeOutSize, Rounding};
use super::{conv_transpose_out, window_out};
use crate::dims::{Size, N};

/// An input axis of size `Self` under a sliding window of kernel `K` (a dim),
/// stride `S`, padding `P`, dilation `D` (typenum) and rounding `M`.
///
/// For [`N<U>`] the output is static and computed by [`ConvOutSize`]; for
/// `usize` it is computed, and checked, when the op runs.
pub trait SlidingWindow<K: Dim, S, P, D, M>: Dim {
    /// The output axis.
    type Output: Dim;
    /// The output size for kernel size `k`, or why there is none.
    fn slide(&self, k: &K) -> Result<Self::Output, String>;
}

impl<U, KU, S, P, D, M> SlidingWindow<N<KU>, S, P, D, M> for N<U>
where
    U: ConvOutSize<KU, S, P, D, M>,
    KU: Size,
{
    type Output = N<<U as ConvOutSize<KU, S, P, D, M>>::Output>;
    fn slide(&self, _: &N<KU>) -> Result<Self::Output, String> {
        Ok(N::new())
    }
}

impl<K: Dim, S: Unsigned, P: Unsigned, D: Unsigned, M: Rounding> SlidingWindow<K, S, P, D, M>
    for usize
{
    type Output = usize;
    fn slide(&self, k: &K) -> Result<usize, String> {
        window_out(*self, k.size(), S::USIZE, P::USIZE, D::USIZE, M::ROUND)
    }
}

/// An input axis of size `Self` under a transposed convolution with kernel
/// `K` (a dim), stride `S`, padding `P`, dilation `D` and output padding `OP`.
pub trait TransposedWindow<K: Dim, S, P, D, OP>: Dim {
    /// The output axis.
    type Output: Dim;
    /// The output size for kernel size `k`, or why there is none.
    fn grow(&self, k: &K) -> Result<Self::Output, String>;
}

impl<U, KU, S, P, D, OP> TransposedWindow<N<KU>, S, P, D, OP> for N<U>
where
    U: ConvTransposeOutSize<KU, S, P, D, OP>,
    KU: Size,
{
    type Output = N<<U as ConvTransposeOutSize<KU, S, P, D, OP>>::Output>;
    fn grow(&self, _: &N<KU>) -> Result<Self::Output, String> {
        Ok(N::new())
    }
}

impl<K: Dim, S: Unsigned, P: Unsigned, D: Unsigned, OP: Unsigned> TransposedWindow<K, S, P, D, OP>
    for usize
{
    type Output = usize;
    fn grow(&self, k: &K) -> Result<usize, String> {
        conv_transpose_out(*self, k.size(), S::USIZE, P::USIZE, D::USIZE, OP::USIZE)
    }
}
