//! Layers on volumes `(batch, C, D, H, W)`: [`Conv3d`], [`Pool3d`], and the
//! view of a volume as maps that lets per-channel layers (batch norm,
//! global pooling) run on volumes unchanged.

use core::marker::PhantomData;
use dfdx::prelude::*;

use super::{BiasKind, FanIn, NoBias, PoolKindType, WithBias};
use crate::dims::{Size, N};
use crate::formula::{Floor, SlidingWindow};
use crate::ops::{
    avg_pool3d, conv3d, max_pool3d, Backend, Conv3dSpec, Pool3dSpec, PoolKind, UnsignedList,
};
use crate::Error;

/// A 3D convolution from `Cg·G` channels to `O` with `KD x KH x KW` filters;
/// strides, paddings, dilations and groups in `Spec` (a [`Conv3dSpec`]).
/// Tensors, PyTorch's layout: `weight: (O, Cg, KD, KH, KW)`, `bias: (O,)`
/// with [`WithBias`].
pub struct Conv3d<
    Cg: Size,
    O: Size,
    KD: Size,
    KH: Size,
    KW: Size,
    Spec,
    E: Dtype,
    D: Storage<E>,
    B: BiasKind = WithBias,
> {
    /// The filters.
    pub weight: Tensor<(N<O>, N<Cg>, N<KD>, N<KH>, N<KW>), E, D>,
    /// One bias per filter (with [`WithBias`]), or `()`.
    pub bias: B::Param<O, E, D>,
    spec: PhantomData<Spec>,
}

impl<
        Cg: Size,
        O: Size,
        KD: Size,
        KH: Size,
        KW: Size,
        Spec,
        E: Dtype,
        D: Storage<E>,
        B: BiasKind,
    > Clone for Conv3d<Cg, O, KD, KH, KW, Spec, E, D, B>
{
    fn clone(&self) -> Self {
        Conv3d {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
            spec: PhantomData,
        }
    }
}

impl<
        Cg: Size,
        O: Size,
        KD: Size,
        KH: Size,
        KW: Size,
        Spec,
        E: Dtype,
        D: Storage<E>,
        B: BiasKind,
    > FanIn for Conv3d<Cg, O, KD, KH, KW, Spec, E, D, B>
{
    const FAN_IN: usize = Cg::USIZE * KD::USIZE * KH::USIZE * KW::USIZE;
}

impl<Cg: Size, O: Size, KD: Size, KH: Size, KW: Size, Spec: 'static, D: Device<f32>>
    TensorCollection<f32, D> for Conv3d<Cg, O, KD, KH, KW, Spec, f32, D>
{
    type To<E2: Dtype, D2: Device<E2>> = Conv3d<Cg, O, KD, KH, KW, Spec, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_and_bias!(), |(weight, bias)| Conv3d {
            weight,
            bias,
            spec: PhantomData,
        })
    }
}

impl<Cg: Size, O: Size, KD: Size, KH: Size, KW: Size, Spec: 'static, D: Device<f32>>
    TensorCollection<f32, D> for Conv3d<Cg, O, KD, KH, KW, Spec, f32, D, NoBias>
{
    type To<E2: Dtype, D2: Device<E2>> = Conv3d<Cg, O, KD, KH, KW, Spec, E2, D2, NoBias>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_only!(), |weight| Conv3d {
            weight,
            bias: (),
            spec: PhantomData,
        })
    }
}

impl<
        Cg: Size,
        O: Size,
        KD: Size,
        KH: Size,
        KW: Size,
        Spec,
        E: Dtype,
        D: Storage<E>,
        B: BiasKind,
    > dfdx::nn::NonMutableModule for Conv3d<Cg, O, KD, KH, KW, Spec, E, D, B>
{
}

#[allow(clippy::type_complexity)]
impl<Bt, C, Dp, H, W, Cg, O, KD, KH, KW, SD, SH, SW, PD, PH, PW, DD, DH, DW, G, Dev, T, Bi>
    Module<Tensor<(Bt, C, Dp, H, W), f32, Dev, T>>
    for Conv3d<
        Cg,
        O,
        KD,
        KH,
        KW,
        Conv3dSpec<(SD, SH, SW), (PD, PH, PW), (DD, DH, DW), G>,
        f32,
        Dev,
        Bi,
    >
where
    Bi: BiasKind,
    Bt: Dim,
    C: Dim,
    Cg: Size,
    O: Size,
    KD: Size,
    KH: Size,
    KW: Size,
    Dp: SlidingWindow<N<KD>, SD, PD, DD, Floor>,
    H: SlidingWindow<N<KH>, SH, PH, DH, Floor>,
    W: SlidingWindow<N<KW>, SW, PW, DW, Floor>,
    (SD, SH, SW): UnsignedList<3>,
    (PD, PH, PW): UnsignedList<3>,
    (DD, DH, DW): UnsignedList<3>,
    G: typenum::Unsigned,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(Bt, N<O>, Dp::Output, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(
        &self,
        x: Tensor<(Bt, C, Dp, H, W), f32, Dev, T>,
    ) -> Result<Self::Output, Error> {
        let spec = Conv3dSpec::<(SD, SH, SW), (PD, PH, PW), (DD, DH, DW), G>::new();
        conv3d(x, &self.weight, Bi::tensor(&self.bias), spec)
    }
}

/// 3D pooling of kind `K` ([`super::kind::Max`] or [`super::kind::Avg`])
/// over the windows of `Spec` (a [`Pool3dSpec`]).
pub struct Pool3d<K, Spec>(PhantomData<(K, Spec)>);

impl<K, Spec> Default for Pool3d<K, Spec> {
    fn default() -> Self {
        Pool3d(PhantomData)
    }
}

impl<K: PoolKindType, Spec> core::fmt::Debug for Pool3d<K, Spec> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Pool3d({:?})", K::KIND)
    }
}

#[allow(clippy::type_complexity)]
impl<K, Bt, C, Dp, H, W, KD, KH, KW, SD, SH, SW, PD, PH, PW, Dev, T>
    Module<Tensor<(Bt, C, Dp, H, W), f32, Dev, T>>
    for Pool3d<K, Pool3dSpec<(KD, KH, KW), (SD, SH, SW), (PD, PH, PW)>>
where
    K: PoolKindType,
    Bt: Dim,
    C: Dim,
    KD: Size,
    KH: Size,
    KW: Size,
    Dp: SlidingWindow<N<KD>, SD, PD, typenum::U1, Floor>,
    H: SlidingWindow<N<KH>, SH, PH, typenum::U1, Floor>,
    W: SlidingWindow<N<KW>, SW, PW, typenum::U1, Floor>,
    (SD, SH, SW): UnsignedList<3>,
    (PD, PH, PW): UnsignedList<3>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(Bt, C, Dp::Output, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(
        &self,
        x: Tensor<(Bt, C, Dp, H, W), f32, Dev, T>,
    ) -> Result<Self::Output, Error> {
        match K::KIND {
            PoolKind::Max => max_pool3d(x, Pool3dSpec::new()),
            PoolKind::Avg => avg_pool3d(x, Pool3dSpec::new()),
            PoolKind::L2 => Err(Error::shape("pool3d", "L2 pooling is for 2D maps")),
        }
    }
}

/// Views volumes `(B, C, D, H, W)` as maps `(B, C, D·H, W)` (free when
/// contiguous), for per-channel layers; the depth and height come back
/// for [`maps_as_vol`].
#[allow(clippy::type_complexity)]
pub fn vol_as_maps<Bt: Dim, C: Dim, Dp: Dim, H: Dim, W: Dim, D: Backend, T: Tape<f32, D>>(
    x: Tensor<(Bt, C, Dp, H, W), f32, D, T>,
) -> crate::Result<(Tensor<(Bt, C, usize, W), f32, D, T>, (Dp, H))> {
    let (b, c, d, h, w) = *x.shape();
    Ok((x.try_reshape_like(&(b, c, d.size() * h.size(), w))?, (d, h)))
}

/// The inverse of [`vol_as_maps`].
#[allow(clippy::type_complexity)]
pub fn maps_as_vol<Bt: Dim, C: Dim, Dp: Dim, H: Dim, W: Dim, D: Backend, T: Tape<f32, D>>(
    x: Tensor<(Bt, C, usize, W), f32, D, T>,
    (d, h): (Dp, H),
) -> crate::Result<Tensor<(Bt, C, Dp, H, W), f32, D, T>> {
    let (b, c, _, w) = *x.shape();
    Ok(x.try_reshape_like(&(b, c, d, h, w))?)
}
