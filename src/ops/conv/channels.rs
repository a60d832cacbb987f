//! Channel arithmetic of grouped convolutions, checked by type where sizes
//! are static and at run time where they are `usize`.

use core::ops::Mul;
use dfdx::shapes::Dim;
use typenum::{Eq, IsEqual, Prod, Unsigned, B1};

use crate::dims::{Size, N};

/// Holds for typenum's `B1` only.
#[diagnostic::on_unimplemented(
    message = "channel mismatch: the weight's input channels times the groups differ from the input's channels",
    label = "weight (O, C/G, K, K) does not fit an input with these channels"
)]
pub trait ChannelsMatch {}
impl ChannelsMatch for B1 {}

/// `Self` (the weight's per-group input channels) times `G` equals `C`.
pub trait GroupInputOf<C: Dim, G>: Dim {
    /// Checks the rule for runtime sizes.
    fn check(&self, c: &C) -> Result<(), String>;
}

impl<U, CU, G> GroupInputOf<N<CU>, G> for N<U>
where
    U: Size + Mul<G>,
    CU: Size,
    Prod<U, G>: IsEqual<CU>,
    Eq<Prod<U, G>, CU>: ChannelsMatch,
{
    fn check(&self, _: &N<CU>) -> Result<(), String> {
        Ok(())
    }
}

fn check_runtime(cg: usize, c: usize, g: usize) -> Result<(), String> {
    if cg * g == c {
        Ok(())
    } else {
        Err(format!(
            "weight expects {cg} input channels per group x {g} groups = {}, input has {c}",
            cg * g
        ))
    }
}

impl<C: Dim, G: Unsigned> GroupInputOf<C, G> for usize {
    fn check(&self, c: &C) -> Result<(), String> {
        check_runtime(*self, c.size(), G::USIZE)
    }
}

impl<U: Size, G: Unsigned> GroupInputOf<usize, G> for N<U> {
    fn check(&self, c: &usize) -> Result<(), String> {
        check_runtime(U::USIZE, *c, G::USIZE)
    }
}

/// `Self * G`, as a dim: the output channels of a grouped transposed convolution.
pub trait TimesGroups<G>: Dim {
    /// The product.
    type Output: Dim;
    /// Its value.
    fn times(&self) -> Self::Output;
}

/// One group: the channels themselves, with no arithmetic, so a size that
/// is a network's parameter (`CLASSES`) needs no bound.
impl<U: Size> TimesGroups<typenum::U1> for N<U> {
    type Output = N<U>;
    fn times(&self) -> Self::Output {
        N::new()
    }
}

/// Two groups or more (every such typenum is `UInt<UInt<..>, _>`, which
/// `U1 = UInt<UTerm, B1>` is not, so the impls do not overlap).
impl<U, A, B, C> TimesGroups<typenum::UInt<typenum::UInt<A, B>, C>> for N<U>
where
    U: Size + Mul<typenum::UInt<typenum::UInt<A, B>, C>>,
    Prod<U, typenum::UInt<typenum::UInt<A, B>, C>>: Size,
{
    type Output = N<Prod<U, typenum::UInt<typenum::UInt<A, B>, C>>>;
    fn times(&self) -> Self::Output {
        N::new()
    }
}

impl<G: Unsigned> TimesGroups<G> for usize {
    type Output = usize;
    fn times(&self) -> usize {
        self * G::USIZE
    }
}
