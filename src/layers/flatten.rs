//! Flattening feature maps into features.

use core::ops::Mul;
use dfdx::prelude::*;
use typenum::Prod;

use crate::dims::{Size, N};
use crate::Error;

/// `(batch, C, H, W) -> (batch, C·H·W)`, the product computed by the compiler.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl<D: Device<f32>> TensorCollection<f32, D> for Flatten {
    type To<E2: Dtype, D2: Device<E2>> = Flatten;
    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields((), |()| Flatten)
    }
}

impl<B, C, H, W, Dev, T> Module<Tensor<(B, N<C>, N<H>, N<W>), f32, Dev, T>> for Flatten
where
    B: Dim,
    C: Size + Mul<Prod<H, W>>,
    H: Size + Mul<W>,
    W: Size,
    Prod<C, Prod<H, W>>: Size,
    Dev: crate::ops::Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, N<Prod<C, Prod<H, W>>>), f32, Dev, T>;
    type Error = Error;

    fn try_forward(
        &self,
        x: Tensor<(B, N<C>, N<H>, N<W>), f32, Dev, T>,
    ) -> Result<Self::Output, Error> {
        let batch = x.shape().0;
        Ok(x.try_reshape_like(&(batch, N::new()))?)
    }
}
