//! The 2D convolution layer.

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::Unsigned;

use super::FanIn;
use super::SquashedForward;
use crate::dims::{Size, N};
use crate::formula::{Rounding, SlidingWindow};
use crate::ops::conv::{GroupInputOf, UnsignedList};
use crate::ops::{conv2d, Backend, Conv2dSpec, Squash, TryConv2d};
use crate::Error;

/// Whether a layer adds a learned bias: [`WithBias`] (the default) or
/// [`NoBias`] (a convolution followed by batch norm, whose shift makes a
/// bias redundant).
pub trait BiasKind: Send + Sync + 'static {
    /// What the layer stores: a tensor of `O` values, or nothing.
    type Param<O: Size, E: Dtype, D: Storage<E>>: Clone;
    /// The bias tensor, if there is one.
    fn tensor<O: Size, E: Dtype, D: Storage<E>>(
        p: &Self::Param<O, E, D>,
    ) -> Option<&Tensor<(N<O>,), E, D>>;
}

/// A learned bias per output channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct WithBias;

/// No bias.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBias;

impl BiasKind for WithBias {
    type Param<O: Size, E: Dtype, D: Storage<E>> = Tensor<(N<O>,), E, D>;
    fn tensor<O: Size, E: Dtype, D: Storage<E>>(
        p: &Self::Param<O, E, D>,
    ) -> Option<&Tensor<(N<O>,), E, D>> {
        Some(p)
    }
}

impl BiasKind for NoBias {
    type Param<O: Size, E: Dtype, D: Storage<E>> = ();
    fn tensor<O: Size, E: Dtype, D: Storage<E>>(
        _: &Self::Param<O, E, D>,
    ) -> Option<&Tensor<(N<O>,), E, D>> {
        None
    }
}

/// A 2D convolution with `Cg` input channels per group, `O` filters of
/// `KH x KW`, and stride/padding/dilation/groups given by `Spec`
/// (a [`Conv2dSpec`]); `B` says whether it has a bias.
///
/// Tensors: `weight: (O, Cg, KH, KW)`, and with [`WithBias`] `bias: (O,)`.
pub struct Conv2d<
    Cg: Size,
    O: Size,
    KH: Size,
    KW: Size,
    Spec,
    E: Dtype,
    D: Storage<E>,
    B: BiasKind = WithBias,
> {
    /// The filters.
    pub weight: Tensor<(N<O>, N<Cg>, N<KH>, N<KW>), E, D>,
    /// One bias per filter (with [`WithBias`]), or `()`.
    pub bias: B::Param<O, E, D>,
    spec: PhantomData<Spec>,
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>, B: BiasKind> Clone
    for Conv2d<Cg, O, KH, KW, Spec, E, D, B>
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

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>, B: BiasKind>
    core::fmt::Debug for Conv2d<Cg, O, KH, KW, Spec, E, D, B>
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

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec, E: Dtype, D: Storage<E>, B: BiasKind> FanIn
    for Conv2d<Cg, O, KH, KW, Spec, E, D, B>
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
        visitor.visit_fields(weight_and_bias!(), |(weight, bias)| Conv2d {
            weight,
            bias,
            spec: PhantomData,
        })
    }
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, Spec: 'static, D: Device<f32>> TensorCollection<f32, D>
    for Conv2d<Cg, O, KH, KW, Spec, f32, D, NoBias>
{
    type To<E2: Dtype, D2: Device<E2>> = Conv2d<Cg, O, KH, KW, Spec, E2, D2, NoBias>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_only!(), |weight| Conv2d {
            weight,
            bias: (),
            spec: PhantomData,
        })
    }
}

impl<B, C, H, W, Cg, O, KH, KW, SH, SW, PH, PW, DH, DW, G, M, Dev, T, Bi>
    Module<Tensor<(B, C, H, W), f32, Dev, T>>
    for Conv2d<Cg, O, KH, KW, Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>, f32, Dev, Bi>
where
    Bi: BiasKind,
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
        conv2d(x, &self.weight, Bi::tensor(&self.bias), Conv2dSpec::new())
    }
}

impl<B, C, H, W, Cg, O, KH, KW, SH, SW, PH, PW, DH, DW, G, M, Dev, T, Bi>
    SquashedForward<Tensor<(B, C, H, W), f32, Dev, T>>
    for Conv2d<Cg, O, KH, KW, Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>, f32, Dev, Bi>
where
    Bi: BiasKind,
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
    fn try_forward_then(
        &self,
        x: Tensor<(B, C, H, W), f32, Dev, T>,
        squash: Option<Squash>,
        data_input: bool,
    ) -> Result<Self::Output, Error> {
        let (bias, spec) = (Bi::tensor(&self.bias), Conv2dSpec::new());
        match squash {
            Some(q) => x.try_conv2d_squashed(&self.weight, bias, spec, q, data_input),
            None if data_input => x.try_conv2d_on_data(&self.weight, bias, spec),
            None => x.try_conv2d(&self.weight, bias, spec),
        }
    }
}

impl<Cg: Size, O: Size, KH: Size, KW: Size, SH, SW, PH, PW, DH, DW, G, M, Dev, Bi: BiasKind>
    Conv2d<Cg, O, KH, KW, Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>, f32, Dev, Bi>
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
        crate::ops::conv2d_on_data(x, &self.weight, Bi::tensor(&self.bias), Conv2dSpec::new())
    }
}
