//! The fully connected layer.

use dfdx::prelude::*;

use super::FanIn;
use crate::dims::{Size, N};
use crate::Error;

/// `y = x Wᵀ + b` from `I` to `O` features. Tensors: `weight: (O, I)`, `bias: (O,)`.
pub struct Linear<I: Size, O: Size, E: Dtype, D: Storage<E>> {
    /// The weights, PyTorch's `(out, in)` layout.
    pub weight: Tensor<(N<O>, N<I>), E, D>,
    /// The bias.
    pub bias: Tensor<(N<O>,), E, D>,
}

impl<I: Size, O: Size, E: Dtype, D: Storage<E>> Clone for Linear<I, O, E, D> {
    fn clone(&self) -> Self {
        Linear {
            weight: self.weight.clone(),
            bias: self.bias.clone(),
        }
    }
}

impl<I: Size, O: Size, E: Dtype, D: Storage<E>> core::fmt::Debug for Linear<I, O, E, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Linear({} -> {})", I::USIZE, O::USIZE)
    }
}

impl<I: Size, O: Size, E: Dtype, D: Storage<E>> FanIn for Linear<I, O, E, D> {
    const FAN_IN: usize = I::USIZE;
}

impl<I: Size, O: Size, D: Device<f32>> TensorCollection<f32, D> for Linear<I, O, f32, D> {
    type To<E2: Dtype, D2: Device<E2>> = Linear<I, O, E2, D2>;

    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(weight_and_bias!(), |(weight, bias)| Linear { weight, bias })
    }
}

impl<B: Dim, I: Size, O: Size, Dev: crate::ops::Backend, T: Tape<f32, Dev>>
    Module<Tensor<(B, N<I>), f32, Dev, T>> for Linear<I, O, f32, Dev>
{
    type Output = Tensor<(B, N<O>), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, N<I>), f32, Dev, T>) -> Result<Self::Output, Error> {
        let batch = x.shape().0;
        let y = x.try_matmul(self.weight.retaped::<T>().try_permute::<_, Axes2<1, 0>>()?)?;
        let b = self
            .bias
            .retaped::<T>()
            .try_broadcast_like::<_, Axis<0>>(&(batch, N::<O>::new()))?;
        Ok(y.try_add(b)?)
    }
}
