//! Static dimensions over typenum, usable in dfdx shapes on stable Rust.
//!
//! dfdx's own `Const<M>` carries a `usize` const generic, and stable Rust cannot
//! do arithmetic on those in types. [`N<U>`] carries a typenum unsigned instead,
//! so feature-map sizes can be *computed* by type operators (see
//! [`crate::formula`]) and still be a dfdx [`Dim`]/[`ConstDim`]:
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::dims::N;
//! use splotnet::typenum::{U28, U6};
//!
//! let dev: Cpu = Default::default();
//! let x: Tensor<(usize, N<U6>, N<U28>, N<U28>), f32, Cpu> =
//!     dev.zeros_like(&(2, N::new(), N::new(), N::new()));
//! assert_eq!(x.shape().concrete(), [2, 6, 28, 28]);
//! ```

use core::fmt;
use core::marker::PhantomData;
use dfdx::shapes::{ConstDim, Dim};
use typenum::Unsigned;

/// A typenum unsigned usable as a tensor size: `Unsigned + 'static`, thread-safe.
///
/// A one-line alias trait keeps the many signatures over sizes short.
pub trait Size: Unsigned + Send + Sync + 'static {}
impl<U: Unsigned + Send + Sync + 'static> Size for U {}

/// A dimension whose size is the typenum unsigned `U`, known at compile time.
///
/// Nothing is derived: derives would add bounds on `U` and on the phantom.
pub struct N<U>(PhantomData<U>);

impl<U> N<U> {
    /// The (zero-sized) value of this dimension.
    pub const fn new() -> Self {
        N(PhantomData)
    }
}

impl<U> Clone for N<U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<U> Copy for N<U> {}
impl<U> Default for N<U> {
    fn default() -> Self {
        N::new()
    }
}
impl<U> PartialEq for N<U> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<U> Eq for N<U> {}

impl<U: Size> fmt::Debug for N<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N<{}>", U::USIZE)
    }
}

impl<U: Size> Dim for N<U> {
    #[inline(always)]
    fn size(&self) -> usize {
        U::USIZE
    }
    #[inline(always)]
    fn from_size(size: usize) -> Option<Self> {
        (size == U::USIZE).then(N::new)
    }
}

impl<U: Size> ConstDim for N<U> {
    const SIZE: usize = U::USIZE;
}

/// Static sizes add as types: concatenating 64 and 32 channels gives `N<U96>`.
impl<U: core::ops::Add<V>, V> core::ops::Add<N<V>> for N<U> {
    type Output = N<typenum::Sum<U, V>>;
    fn add(self, _: N<V>) -> Self::Output {
        N::new()
    }
}

/// A batch of 2D feature maps: `(batch, channels, height, width)`.
pub type Maps2d<C, H, W> = (usize, C, H, W);
/// A batch of 1D signals: `(batch, channels, length)`.
pub type Maps1d<C, L> = (usize, C, L);

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U0, U1024, U7};

    #[test]
    fn static_dim_reports_its_size() {
        assert_eq!(N::<U7>::new().size(), 7);
        assert_eq!(<N<U1024> as ConstDim>::SIZE, 1024);
        assert_eq!(N::<U0>::new().size(), 0);
    }

    #[test]
    fn from_size_accepts_only_the_static_size() {
        assert!(N::<U7>::from_size(7).is_some());
        assert!(N::<U7>::from_size(8).is_none());
    }

    #[test]
    fn debug_shows_the_number() {
        assert_eq!(format!("{:?}", N::<U7>::new()), "N<7>");
    }
}
