//! The size formulas as typenum type operators.
//!
//! Each alias names one formula; each `*Size` trait bundles the arithmetic
//! bounds of one formula so that generic code states a single bound, and puts
//! a marker trait with `#[diagnostic::on_unimplemented]` where a size rule can
//! fail, so rustc's error names the rule instead of a typenum internal.
//!
//! Subtractions go through `Max` first so that an impossible size fails only
//! at its marker ([`KernelFits`], [`TransposedOutputFits`]) and never inside
//! typenum's subtraction, whose error would be unreadable.

use core::ops::{Add, Div, Mul, Rem, Sub};
use typenum::{
    Add1, Diff, GrEq, IsGreaterOrEqual, IsLess, Le, Max, Maximum, Mod, NonZero, Prod, Quot, Sub1,
    Sum, B1, U0, U1, U2,
};

use crate::dims::Size;

/// Inputs spanned by a kernel `K` with dilation `D`: `D(K-1)+1`.
pub type Span<K, D> = Add1<Prod<D, Sub1<K>>>;
/// Input size after zero padding `P` on both sides: `I + 2P`.
pub type Padded<I, P> = Sum<I, Prod<P, U2>>;
/// How far the kernel can slide: `max(I + 2P, span) - span`.
type Excess<I, K, P, D> = Diff<Maximum<Padded<I, P>, Span<K, D>>, Span<K, D>>;

/// Convolution/pooling output size `(I + 2P - D(K-1) - 1) / S + 1`, floored.
///
/// Use it through [`ConvOutSize`], which also checks that the kernel fits.
pub type ConvOut<I, K, S, P, D> = Add1<Quot<Excess<I, K, P, D>, S>>;

/// Transposed-convolution output size `(I - 1)S - 2P + D(K-1) + 1 + OP`.
pub type ConvTransposeOut<I, K, S, P, D, OP> =
    Diff<Maximum<Sum<Sum<Prod<Sub1<I>, S>, Span<K, D>>, OP>, Add1<Prod<P, U2>>>, Prod<P, U2>>;

/// The padding `D(K-1)/2` that keeps the size at stride 1.
type HalfSpan<K, D> = Quot<Prod<D, Sub1<K>>, U2>;

/// Same padding for kernel `K` and dilation `D`, checked: an even `K` fails
/// with [`OddKernel`]'s message.
pub type SamePad<K, D = U1> = <K as SamePaddingOf<D>>::Output;

/// Holds for typenum's `B1` only: the dilated kernel fits the padded input.
#[diagnostic::on_unimplemented(
    message = "the kernel does not fit: its span D(K-1)+1 is larger than the padded input in+2P",
    label = "kernel larger than the padded input",
    note = "the output size (in + 2P - D(K-1) - 1)/S + 1 would be below 1; use a smaller kernel or dilation, or more padding"
)]
pub trait KernelFits {}
impl KernelFits for B1 {}

/// Holds for typenum's `B1` only: a transposed convolution's padding leaves an output.
#[diagnostic::on_unimplemented(
    message = "the padding removes the whole output of the transposed convolution",
    label = "2P is at least (in-1)S + D(K-1) + 1 + OP",
    note = "use less padding"
)]
pub trait TransposedOutputFits {}
impl TransposedOutputFits for B1 {}

/// Holds for typenum's `B1` only: output padding is smaller than the stride.
#[diagnostic::on_unimplemented(
    message = "the output padding of a transposed convolution must be smaller than its stride",
    label = "output padding >= stride"
)]
pub trait OutputPaddingBelowStride {}
impl OutputPaddingBelowStride for B1 {}

/// Holds for `U1` only: `K mod 2 = 1`.
#[diagnostic::on_unimplemented(
    message = "\"same\" padding needs an odd kernel size",
    label = "K is even, so the padding (K-1)/2 is not whole",
    note = "use an odd kernel (1, 3, 5, ...) or give the padding explicitly"
)]
pub trait OddKernel {}
impl OddKernel for U1 {}

/// How a stride that does not divide the slide range is treated.
pub trait Rounding: Send + Sync + 'static {
    /// Whether a remainder is an error.
    const EXACT: bool;
    /// The rule, as the shared size rules name it.
    const ROUND: splotnet_sizes::Round;
}

/// Floor the division, like PyTorch: trailing inputs the window cannot reach are dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Floor;
/// Reject a stride that does not divide `in + 2P - D(K-1) - 1`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exact;

/// Ceil the division, like PyTorch's `ceil_mode=True` pooling: one more
/// window covers the trailing inputs, if it starts inside the input or its
/// left padding (GoogLeNet's max pools take 112 to 56 this way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ceil;

impl Rounding for Floor {
    const EXACT: bool = false;
    const ROUND: splotnet_sizes::Round = splotnet_sizes::Round::Floor;
}
impl Rounding for Exact {
    const EXACT: bool = true;
    const ROUND: splotnet_sizes::Round = splotnet_sizes::Round::Exact;
}
impl Rounding for Ceil {
    const EXACT: bool = false;
    const ROUND: splotnet_sizes::Round = splotnet_sizes::Round::Ceil;
}

/// The output size of slide range `E` at stride `S` under a rounding, as a
/// type; `L = in + P` is where the last window may start at the latest.
pub trait RoundOut<E, S, L> {
    /// The output size.
    type Out: Size;
}

impl<E, S, L> RoundOut<E, S, L> for Floor
where
    E: Div<S>,
    Quot<E, S>: Add<B1>,
    Add1<Quot<E, S>>: Size,
{
    type Out = Add1<Quot<E, S>>;
}

impl<E, S, L> RoundOut<E, S, L> for Exact
where
    E: Div<S>,
    Quot<E, S>: Add<B1>,
    Add1<Quot<E, S>>: Size,
{
    type Out = Add1<Quot<E, S>>;
}

/// `⌈E / S⌉ + 1`, the ceil-mode candidate.
type CeilCandidate<E, S> = Add1<Quot<Sum<E, Sub1<S>>, S>>;
/// Whether the candidate's last window starts at or past `L`: `B1` or `B0`.
type StartsPast<E, S, L> = GrEq<Prod<Sub1<CeilCandidate<E, S>>, S>, L>;

/// `B0` as `U0`, `B1` as `U1`.
pub trait BitAsUnsigned {
    /// The number.
    type U: Size;
}
impl BitAsUnsigned for typenum::B0 {
    type U = U0;
}
impl BitAsUnsigned for B1 {
    type U = U1;
}

impl<E, S, L> RoundOut<E, S, L> for Ceil
where
    S: Sub<B1>,
    E: Add<Sub1<S>>,
    Sum<E, Sub1<S>>: Div<S>,
    Quot<Sum<E, Sub1<S>>, S>: Add<B1>,
    CeilCandidate<E, S>: Sub<B1>,
    Sub1<CeilCandidate<E, S>>: Mul<S>,
    Prod<Sub1<CeilCandidate<E, S>>, S>: IsGreaterOrEqual<L>,
    StartsPast<E, S, L>: BitAsUnsigned,
    CeilCandidate<E, S>: Sub<<StartsPast<E, S, L> as BitAsUnsigned>::U>,
    Diff<CeilCandidate<E, S>, <StartsPast<E, S, L> as BitAsUnsigned>::U>: Size,
{
    type Out = Diff<CeilCandidate<E, S>, <StartsPast<E, S, L> as BitAsUnsigned>::U>;
}

/// Whether rounding mode `Self` accepts remainder `R` of the stride division.
#[diagnostic::on_unimplemented(
    message = "exact mode: the stride does not divide in + 2P - D(K-1) - 1",
    label = "the output size would not be a whole number",
    note = "change the input size or the padding, or use `Floor` rounding to drop the remainder"
)]
pub trait AcceptsRemainder<R> {}
impl<R> AcceptsRemainder<R> for Floor {}
impl<R> AcceptsRemainder<R> for Ceil {}
impl AcceptsRemainder<U0> for Exact {}

/// A typenum input size `Self` through a sliding window: the bundle of bounds
/// behind [`ConvOut`], checked and named.
pub trait ConvOutSize<K, S, P, D, M>: Size {
    /// The output size.
    type Output: Size;
}

impl<I, K, S, P, D, M> ConvOutSize<K, S, P, D, M> for I
where
    I: Size + Add<Prod<P, U2>>,
    K: Size + NonZero + Sub<B1>,
    S: Size + NonZero,
    P: Size + Mul<U2>,
    D: Size + NonZero + Mul<Sub1<K>>,
    M: Rounding
        + AcceptsRemainder<Mod<Excess<I, K, P, D>, S>>
        + RoundOut<Excess<I, K, P, D>, S, Sum<I, P>>,
    I: Add<P>,
    Prod<D, Sub1<K>>: Add<B1>,
    Padded<I, P>: IsGreaterOrEqual<Span<K, D>> + Max<Span<K, D>>,
    GrEq<Padded<I, P>, Span<K, D>>: KernelFits,
    Maximum<Padded<I, P>, Span<K, D>>: Sub<Span<K, D>>,
    Excess<I, K, P, D>: Rem<S>,
{
    type Output = <M as RoundOut<Excess<I, K, P, D>, S, Sum<I, P>>>::Out;
}

type TransposedFull<I, K, S, D, OP> = Sum<Sum<Prod<Sub1<I>, S>, Span<K, D>>, OP>;

/// A typenum input size `Self` through a transposed convolution: the bundle
/// of bounds behind [`ConvTransposeOut`].
pub trait ConvTransposeOutSize<K, S, P, D, OP>: Size {
    /// The output size.
    type Output: Size;
}

impl<I, K, S, P, D, OP> ConvTransposeOutSize<K, S, P, D, OP> for I
where
    I: Size + NonZero + Sub<B1>,
    K: Size + NonZero + Sub<B1>,
    S: Size + NonZero,
    P: Size + Mul<U2>,
    D: Size + NonZero + Mul<Sub1<K>>,
    OP: Size + IsLess<S>,
    Le<OP, S>: OutputPaddingBelowStride,
    Sub1<I>: Mul<S>,
    Prod<D, Sub1<K>>: Add<B1>,
    Prod<P, U2>: Add<B1>,
    Prod<Sub1<I>, S>: Add<Span<K, D>>,
    Sum<Prod<Sub1<I>, S>, Span<K, D>>: Add<OP>,
    TransposedFull<I, K, S, D, OP>: IsGreaterOrEqual<Add1<Prod<P, U2>>> + Max<Add1<Prod<P, U2>>>,
    GrEq<TransposedFull<I, K, S, D, OP>, Add1<Prod<P, U2>>>: TransposedOutputFits,
    Maximum<TransposedFull<I, K, S, D, OP>, Add1<Prod<P, U2>>>: Sub<Prod<P, U2>>,
    ConvTransposeOut<I, K, S, P, D, OP>: Size,
{
    type Output = ConvTransposeOut<I, K, S, P, D, OP>;
}

/// The "same" padding of kernel `Self` at dilation `D`; see [`SamePad`].
pub trait SamePaddingOf<D> {
    /// The padding.
    type Output: Size;
}

impl<K, D> SamePaddingOf<D> for K
where
    K: Size + Sub<B1> + Rem<U2>,
    Mod<K, U2>: OddKernel,
    D: Size + Mul<Sub1<K>>,
    Prod<D, Sub1<K>>: Div<U2>,
    HalfSpan<K, D>: Size,
{
    type Output = HalfSpan<K, D>;
}
