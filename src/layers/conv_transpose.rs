//! The transposed 2D convolution layer (U-Net's up-convolution, FCN's upsampling).

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::Unsigned;

use super::{BiasKind, FanIn, NoBias, WithBias};
use crate::dims::{Size, N};
use crate::formula::TransposedWindow;
use crate::ops::conv::{TimesGroups, UnsignedList};
use crate::ops::{conv_transpose2d, Backend, ConvTranspose2dSpec};
use crate::Error;

/// A transposed convolution from `C` maps to `Og·G` maps with `KH x KW`
/// kernels; stride, padding, output padding, dilation and groups in `Spec`
/// (a [`ConvTranspose2dSpec`]). Tensors, PyTorch's layout: `weight: (C, Og, KH, KW)`, `bias: (Og·G,)`
/// with [`WithBias`]; [`NoBias`] has none (FCN's upsampling layers).
pub struct ConvTranspose2d<
    C: Size,
    O: Size,
    Og: Size,
    KH: Size,
    KW: Size,
    Spec,
    E: Dtype,
    D: Storage<E>,
    B: BiasKind = WithBias,
> {
    /// The kernels.
    pub weight: Tensor<(N<C>, N<Og>, N<KH>, N<KW>), E, D>,
    /// One bias per output map (with [`WithBias`]), or `()`.
    pub bias: B::Param<O, E, D>,
    spec: PhantomData<Spec>,
}

impl<
        C: Size,
        O: Size,
        Og: Size,
        KH: Size,
        KW: Size,
        Spec,
        E: Dtype,
        D: Storage<E>,
        B: BiasKind,
    > Clone for ConvTranspose2d<C, O, Og, KH, KW, Spec, E, D, B>
{
    fn clone(&self) -> Self {
        ConvTranspose2d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            spec: PhantomData,
        }
    }
}

impl<
        C: Size,
        O: Size,
        Og: Size,
        KH: Size,
        KW: Size,
        Spec,
        E: Dtype,
        D: Storage<E>,
        B: BiasKind,
    > FanIn for ConvTranspose2d<C, O, Og, KH, KW, Spec, E, D, B>
{
    // PyTorch's fan-in for a transposed convolution's weight (C, Og, K, K): Og·K·K
    const FAN_IN: usize = Og::USIZE * KH::USIZE * KW::USIZE;
}

impl<C: Size, O: Size, Og: Size, KH: Size, KW: Size, Spec: 'static, D: Device<f32>>
    TensorCollection<f32, D> for ConvTranspose2d<C, O, Og, KH, KW, Spec, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = ConvTranspose2d<C, O, Og, KH, KW, Spec, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_and_bias!(), |(weight, bias)| ConvTranspose2d {
            weight,
            bias,
            spec: PhantomData,
        })
    }
}

impl<C: Size, O: Size, Og: Size, KH: Size, KW: Size, Spec: 'static, D: Device<f32>>
    TensorCollection<f32, D> for ConvTranspose2d<C, O, Og, KH, KW, Spec, f32, D, NoBias>
{
    type To<E2: Dtype, D2: Device<E2>> = ConvTranspose2d<C, O, Og, KH, KW, Spec, E2, D2, NoBias>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_only!(), |weight| ConvTranspose2d {
            weight,
            bias: (),
            spec: PhantomData,
        })
    }
}

impl<
        C: Size,
        O: Size,
        Og: Size,
        KH: Size,
        KW: Size,
        Spec,
        E: Dtype,
        D: Storage<E>,
        B: BiasKind,
    > dfdx::nn::NonMutableModule for ConvTranspose2d<C, O, Og, KH, KW, Spec, E, D, B>
{
}

impl<B, C, O, Og, H, W, KH, KW, SH, SW, PH, PW, OPH, OPW, DH, DW, G, Dev, T, Bi>
    Module<Tensor<(B, N<C>, H, W), f32, Dev, T>>
    for ConvTranspose2d<
        C,
        O,
        Og,
        KH,
        KW,
        ConvTranspose2dSpec<SH, SW, PH, PW, OPH, OPW, DH, DW, G>,
        f32,
        Dev,
        Bi,
    >
where
    Bi: BiasKind,
    B: Dim,
    C: Size,
    O: Size,
    Og: Size,
    KH: Size,
    KW: Size,
    N<Og>: TimesGroups<G, Output = N<O>>,
    H: TransposedWindow<N<KH>, SH, PH, DH, OPH>,
    W: TransposedWindow<N<KW>, SW, PW, DW, OPW>,
    (SH, SW, PH, PW, DH, DW, G): UnsignedList<7>,
    G: Unsigned,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, N<O>, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, N<C>, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        conv_transpose2d(
            x,
            &self.weight,
            Bi::tensor(&self.bias),
            ConvTranspose2dSpec::new(),
        )
    }
}
