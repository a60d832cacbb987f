//! Pooling as a (parameter-free) layer.

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::{Unsigned, U1};

use crate::dims::{Size, N};
use crate::formula::{Rounding, SlidingWindow};
use crate::ops::{avg_pool2d, l2_pool2d, max_pool2d, Backend, Pool2dSpec, PoolKind};
use crate::Error;

/// Marker types naming a pooling kind at the type level.
pub mod kind {
    /// Max pooling.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Max;
    /// Average pooling.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Avg;
    /// L2-norm pooling.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct L2;
}

/// A pooling kind named by a marker type.
pub trait PoolKindType: Copy + Default + Send + Sync + 'static {
    /// The runtime kind.
    const KIND: PoolKind;
}
impl PoolKindType for kind::Max {
    const KIND: PoolKind = PoolKind::Max;
}
impl PoolKindType for kind::Avg {
    const KIND: PoolKind = PoolKind::Avg;
}
impl PoolKindType for kind::L2 {
    const KIND: PoolKind = PoolKind::L2;
}

/// 2D pooling of kind `K` (`kind::Max`, `kind::Avg`, `kind::L2`) with `Spec` (a [`Pool2dSpec`]).
pub struct Pool2d<K, Spec>(PhantomData<(K, Spec)>);

impl<K, Spec> Default for Pool2d<K, Spec> {
    fn default() -> Self {
        Pool2d(PhantomData)
    }
}
impl<K, Spec> Clone for Pool2d<K, Spec> {
    fn clone(&self) -> Self {
        Self::default()
    }
}
impl<K: PoolKindType, Spec> core::fmt::Debug for Pool2d<K, Spec> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Pool2d({:?})", K::KIND)
    }
}

impl<K: PoolKindType, Spec: 'static, D: Device<f32>> TensorCollection<f32, D> for Pool2d<K, Spec> {
    type To<E2: Dtype, D2: Device<E2>> = Pool2d<K, Spec>;
    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields((), |()| Pool2d::default())
    }
}

impl<K, B, C, H, W, KH, KW, SH, SW, PH, PW, M, Dev, T> Module<Tensor<(B, C, H, W), f32, Dev, T>>
    for Pool2d<K, Pool2dSpec<KH, KW, SH, SW, PH, PW, M>>
where
    K: PoolKindType,
    B: Dim,
    C: Dim,
    KH: Size,
    KW: Size,
    SH: Unsigned,
    SW: Unsigned,
    PH: Unsigned,
    PW: Unsigned,
    M: Rounding,
    H: SlidingWindow<N<KH>, SH, PH, U1, M>,
    W: SlidingWindow<N<KW>, SW, PW, U1, M>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, C, H::Output, W::Output), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, C, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        let spec = Pool2dSpec::new();
        match K::KIND {
            PoolKind::Max => max_pool2d(x, spec),
            PoolKind::Avg => avg_pool2d(x, spec),
            PoolKind::L2 => l2_pool2d(x, spec),
        }
    }
}
