//! The 2D convolution layer.

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::Unsigned;

use super::{uniform_init, FanIn};
use crate::dims::{Size, N};
use crate::formula::{Rounding, SlidingWindow};
use crate::ops::conv::{GroupInputOf, UnsignedList};
use crate::ops::{conv2d, Backend, Conv2dSpec};
use crate::Error;

/// A 2D convolution with `Cg` input channels per group, `O` filters of
/// `KH x KW`, and stride/padding/dilation/groups given by `Spec`
/// (a [`Conv2dSpec`]).
///
/// Tensors: `weight: (O, Cg, KH, KW)`, `bias: (O,)`.
pub struct Conv2d<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>> {
    /// The filters.
    pub weight: Tensor<(N<O>, N<Cg>, N<KH>, N<KW>), E, D>,
    /// One bias per filter.
    pub bias: Tensor<(N<O>,), E, D>,
    spec: PhantomData<Spec>,
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>> Clone
    for Conv2d<Cg, O, KH, KW, Spec, E, D>
{
    fn clone(&self) -> Self {
        Conv2d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            spec: PhantomData,
        }
    }
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>>
    Conv2d<Cg, O, KH, KW, Spec, E, D>
{
    /// The layer holding `weight` and `bias`.
    pub fn from_parts(
        weight: Tensor<(N<O>, N<Cg>, N<KH>, N<KW>), E, D>,
        bias: Tensor<(N<O>,), E, D>,
    ) -> Self {
        Conv2d {
            weight,
            bias,
            spec: PhantomData,
        }
    }
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>> core::fmt::Debug
    for Conv2d<Cg, O, KH, KW, Spec, E, D>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Conv2d({} -> {}, {}x{})",
            Cg::USIZE,
            O::USIZE,
            KH::USIZE,
            KW::USIZE
        )
    }
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>> FanIn
    for Conv2d<Cg, O, KH, KW, Spec, E, D>
{
    const FAN_IN: usize = Cg::USIZE * KH::USIZE * KW::USIZE;
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec: 'static, D: Device<f32>> TensorCollection<f32, D>
    for Conv2d<Cg, O, KH, KW, Spec, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Conv2d<Cg, O, KH, KW, Spec, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::tensor(
                    "weight",
                    |s| &s.weight,
                    |s| &mut s.weight,
                    uniform_init::<Self, _, _>(),
                ),
                Self::tensor(
                    "bias",
                    |s| &s.bias,
                    |s| &mut s.bias,
                    uniform_init::<Self, _, _>(),
                ),
            ),
            |(weight, bias)| Conv2d {
                weight,
                bias,
                spec: PhantomData,
            },
        )
    }
}

impl<B, C, H, W, Cg, O, KH, KW, SH, SW, PH, PW, DH, DW, G, M, Dev, T>
    Module<Tensor<(B, C, H, W), f32, Dev, T>>
    for Conv2d<Cg, O, KH, KW, Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>, f32, Dev>
where
    B: Dim,
    C: Dim,
    Cg: Size,
    O: Size,
    KH: Size,
    KW: Size,
    N<Cg>: GroupInputOf<C, G>,
    H: SlidingWindow<N<KH>, SH, PH, DH, M>,
    W: SlidingWindow<N<KW>, SW, PW, DW, M>,
    (SH, SW, PH, PW, DH, DW, G): UnsignedList<7>,
    M: Rounding,
    G: Unsigned,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, N<O>, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, C, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        conv2d(x, &self.weight, Some(&self.bias), Conv2dSpec::new())
    }
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, SH, SW, PH, PW, DH, DW, G, M, Dev>
    Conv2d<Cg, O, KH, KW, Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>, f32, Dev>
where
    Dev: Backend,
    (SH, SW, PH, PW, DH, DW, G): UnsignedList<7>,
    M: Rounding,
    G: Unsigned,
{
    /// The forward pass of a layer fed by data (images): like `try_forward`,
    /// but no gradient is computed for `x` (see [`crate::ops::conv2d_on_data`]).
    pub fn try_forward_data<B, C, H, W, T>(
        &self,
        x: Tensor<(B, C, H, W), f32, Dev, T>,
    ) -> Result<Tensor<(B, N<O>, H::Output, W::Output), f32, Dev, T>, Error>
    where
        B: Dim,
        C: Dim,
        N<Cg>: GroupInputOf<C, G>,
        H: SlidingWindow<N<KH>, SH, PH, DH, M>,
        W: SlidingWindow<N<KW>, SW, PW, DW, M>,
        T: Tape<f32, Dev>,
    {
        crate::ops::conv2d_on_data(x, &self.weight, Some(&self.bias), Conv2dSpec::new())
    }
}
