//! Activation layers: LeCun's scaled tanh, and ReLU, tanh and sigmoid with
//! splotnet's error type (dfdx's own report the device's).

use dfdx::prelude::*;

use crate::Error;

/// LeCun's scaled hyperbolic tangent `1.7159 · tanh(2a/3)` (LeNet-5, 1998):
/// chosen so that `f(±1) = ±1` and the gain is largest around the origin.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScaledTanh;

/// The amplitude `A` of `A · tanh(S a)`.
pub const SCALED_TANH_A: f32 = 1.7159;
/// The slope `S` of `A · tanh(S a)`.
pub const SCALED_TANH_S: f32 = 2.0 / 3.0;

impl<D: Device<f32>> TensorCollection<f32, D> for ScaledTanh {
    type To<E2: Dtype, D2: Device<E2>> = ScaledTanh;
    fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields((), |()| ScaledTanh)
    }
}

impl<S: Shape, D: crate::ops::Backend, T: Tape<f32, D>> Module<Tensor<S, f32, D, T>>
    for ScaledTanh
{
    type Output = Tensor<S, f32, D, T>;
    type Error = Error;
    fn try_forward(&self, x: Tensor<S, f32, D, T>) -> Result<Self::Output, Error> {
        crate::ops::scaled_tanh(x, SCALED_TANH_A, SCALED_TANH_S)
    }
}

/// Declares a parameter-free, shape-preserving activation layer whose
/// `Module` error is [`Error`], so generated blocks chain it with the
/// other layers.
macro_rules! activation_layer {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl<D: Device<f32>> TensorCollection<f32, D> for $name {
            type To<E2: Dtype, D2: Device<E2>> = $name;
            fn iter_tensors<V: ModuleVisitor<Self, f32, D>>(
                visitor: &mut V,
            ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
                visitor.visit_fields((), |()| $name)
            }
        }

        impl<S: Shape, D: crate::ops::Backend, T: Tape<f32, D>> Module<Tensor<S, f32, D, T>>
            for $name
        {
            type Output = Tensor<S, f32, D, T>;
            type Error = Error;
            fn try_forward(&self, $x: Tensor<S, f32, D, T>) -> Result<Self::Output, Error> {
                $body
            }
        }
    };
}

activation_layer!(
    /// `max(0, x)`.
    Relu,
    |x| Ok(x.try_relu()?)
);
activation_layer!(
    /// `tanh(x)`, through the same fused kernel as [`ScaledTanh`].
    Tanh,
    |x| crate::ops::scaled_tanh(x, 1.0, 1.0)
);
activation_layer!(
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    |x| Ok(x.try_sigmoid()?)
);
