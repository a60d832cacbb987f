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

/// An axis of size `Self` scaled up by the factor `S` (unpooling): static
/// in, static out (`Self · S`); `usize` in, `usize` out.
pub trait Upscaled<S>: Dim {
    /// The output axis.
    type Output: Dim;
    /// The output size, or why there is none (an overflow).
    fn upscale(&self) -> Result<Self::Output, String>;
}

impl<U, S> Upscaled<S> for N<U>
where
    U: Size + core::ops::Mul<S>,
    S: Size,
    typenum::Prod<U, S>: Size,
{
    type Output = N<typenum::Prod<U, S>>;
    fn upscale(&self) -> Result<Self::Output, String> {
        Ok(N::new())
    }
}

impl<S: Unsigned> Upscaled<S> for usize {
    type Output = usize;
    fn upscale(&self) -> Result<usize, String> {
        self.checked_mul(S::USIZE)
            .ok_or_else(|| format!("{self} x {} overflows", S::USIZE))
    }
}

/// An axis of size `Self` centre-cropped to `Small` (U-Net's copy and
/// crop): for static sizes the offset `(Self - Small) / 2` is a type, and
/// a smaller axis or an odd difference does not compile; for `usize` both
/// are checked at run time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be centre-cropped to `{Small}`",
    label = "a skip connection's maps must be at least as large as the current ones, larger by an even amount",
    note = "the crop takes (larger - smaller) / 2 from each side"
)]
pub trait CropsTo<Small: Dim>: Dim {
    /// The number of rows (or columns) the crop drops before the kept ones.
    fn offset(&self, small: &Small) -> Result<usize, String>;
}

impl<A, B> CropsTo<N<B>> for N<A>
where
    A: Size + core::ops::Sub<B>,
    B: Size,
    typenum::Diff<A, B>:
        core::ops::Rem<typenum::U2, Output = typenum::U0> + core::ops::Div<typenum::U2>,
    typenum::Quot<typenum::Diff<A, B>, typenum::U2>: Unsigned,
{
    fn offset(&self, _: &N<B>) -> Result<usize, String> {
        Ok(<typenum::Quot<typenum::Diff<A, B>, typenum::U2> as Unsigned>::USIZE)
    }
}

impl CropsTo<usize> for usize {
    fn offset(&self, small: &usize) -> Result<usize, String> {
        match self.checked_sub(*small) {
            Some(d) if d % 2 == 0 => Ok(d / 2),
            Some(d) => Err(format!(
                "{self} cannot be centre-cropped to {small}: the difference {d} is odd"
            )),
            None => Err(format!("{self} is smaller than {small}: nothing to crop")),
        }
    }
}

/// An axis of size `Self` that holds `Small` from offset `O` on (a crop
/// at a given offset, FCN's): static sizes check `Self >= O + Small` as
/// types; `usize` at run time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not hold `{Small}` from offset `{O}`",
    label = "the crop runs past the end of the maps"
)]
pub trait CropsAt<O, Small: Dim>: Dim {
    /// Checks the crop for runtime sizes (static ones are checked by the bound).
    fn check_crop(&self, small: &Small) -> Result<(), String>;
}

impl<A, O, B> CropsAt<O, N<B>> for N<A>
where
    A: Size + typenum::IsGreaterOrEqual<typenum::Sum<O, B>, Output = typenum::B1>,
    O: Unsigned + core::ops::Add<B>,
    B: Size,
{
    fn check_crop(&self, _: &N<B>) -> Result<(), String> {
        Ok(())
    }
}

impl<O: Unsigned> CropsAt<O, usize> for usize {
    fn check_crop(&self, small: &usize) -> Result<(), String> {
        match O::USIZE.checked_add(*small) {
            Some(end) if end <= *self => Ok(()),
            _ => Err(format!(
                "{self} does not hold {small} from offset {}",
                O::USIZE
            )),
        }
    }
}
