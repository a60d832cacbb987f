//! Layers over sequences `(batch, C, L)`: the 1D convolution, and the views
//! that let 2D layers (pooling, batch norm, LRN, flatten) run on a sequence
//! as `C x 1 x L` maps.

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::{Unsigned, U1};

use super::FanIn;
use crate::dims::{Size, N};
use crate::formula::{Rounding, SlidingWindow};
use crate::ops::conv::{GroupInputOf, UnsignedList};
use crate::ops::{conv1d, Backend, Conv1dSpec};
use crate::{Error, Result};

/// A 1D convolution with `Cg` input channels per group and `O` filters of
/// width `K`; stride, padding, dilation, groups and rounding in `Spec`
/// (a [`Conv1dSpec`]).
///
/// Tensors, as PyTorch's `Conv1d`: `weight: (O, Cg, K)`, `bias: (O,)`.
pub struct Conv1d<Cg: Size, O: Size, K: Size, Spec, E: Dtype, D: Storage<E>> {
    /// The filters.
    pub weight: Tensor<(N<O>, N<Cg>, N<K>), E, D>,
    /// One bias per filter.
    pub bias: Tensor<(N<O>,), E, D>,
    spec: PhantomData<Spec>,
}

impl<Cg: Size, O: Size, K: Size, Spec, E: Dtype, D: Storage<E>> Clone
    for Conv1d<Cg, O, K, Spec, E, D>
{
    fn clone(&self) -> Self {
        Conv1d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            spec: PhantomData,
        }
    }
}

impl<Cg: Size, O: Size, K: Size, Spec, E: Dtype, D: Storage<E>> core::fmt::Debug
    for Conv1d<Cg, O, K, Spec, E, D>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Conv1d({} -> {}, {})", Cg::USIZE, O::USIZE, K::USIZE)
    }
}

impl<Cg: Size, O: Size, K: Size, Spec, E: Dtype, D: Storage<E>> FanIn
    for Conv1d<Cg, O, K, Spec, E, D>
{
    const FAN_IN: usize = Cg::USIZE * K::USIZE;
}

impl<Cg: Size, O: Size, K: Size, Spec, E: Dtype, D: Storage<E>> dfdx::nn::NonMutableModule
    for Conv1d<Cg, O, K, Spec, E, D>
{
}

impl<Cg: Size, O: Size, K: Size, Spec: 'static, D: Device<f32>> TensorCollection<f32, D>
    for Conv1d<Cg, O, K, Spec, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Conv1d<Cg, O, K, Spec, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> core::result::Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_and_bias!(), |(weight, bias)| Conv1d {
            weight,
            bias,
            spec: PhantomData,
        })
    }
}

impl<B, C, L, Cg, O, K, S, P, Dl, G, M, Dev, T> Module<Tensor<(B, C, L), f32, Dev, T>>
    for Conv1d<Cg, O, K, Conv1dSpec<S, P, Dl, G, M>, f32, Dev>
where
    B: Dim,
    C: Dim,
    Cg: Size,
    O: Size,
    K: Size,
    N<Cg>: GroupInputOf<C, G>,
    L: SlidingWindow<N<K>, S, P, Dl, M>,
    (S, P, Dl, G): UnsignedList<4>,
    M: Rounding,
    G: Unsigned,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, N<O>, L::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, C, L), f32, Dev, T>) -> Result<Self::Output> {
        conv1d(x, &self.weight, Some(&self.bias), Conv1dSpec::new())
    }
}

/// Views a batch of sequences `(B, C, L)` as maps `(B, C, 1, L)`; free when
/// the tensor is contiguous.
pub fn seq_as_maps<B: Dim, C: Dim, L: Dim, D: crate::ops::Backend, T: Tape<f32, D>>(
    x: Tensor<(B, C, L), f32, D, T>,
) -> Result<Tensor<(B, C, N<U1>, L), f32, D, T>> {
    let (b, c, l) = *x.shape();
    Ok(x.try_reshape_like(&(b, c, N::new(), l))?)
}

/// The inverse of [`seq_as_maps`]: maps of height 1 back to sequences.
pub fn maps_as_seq<B: Dim, C: Dim, L: Dim, D: crate::ops::Backend, T: Tape<f32, D>>(
    x: Tensor<(B, C, N<U1>, L), f32, D, T>,
) -> Result<Tensor<(B, C, L), f32, D, T>> {
    let (b, c, _, l) = *x.shape();
    Ok(x.try_reshape_like(&(b, c, l))?)
}
