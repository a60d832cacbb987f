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

/// A layer that squashes its own output (tanh or LeCun's scaled tanh) as it
/// makes it: one op instead of the layer and the activation after it (see
/// [`Squash`](crate::ops::Squash)). `network!` calls it for a convolution or
/// a subsampling followed by `tanh` or `scaled_tanh`; the values are those
/// of the two apart.
///
/// ```
/// use splotnet::prelude::*;
/// use splotnet::layers::{Subsample2d, SquashedForward, ScaledTanh};
/// use splotnet::ops::Squash;
/// use splotnet::typenum::{U2, U6, U28};
///
/// let dev: Cpu = Default::default();
/// let s2 = Subsample2d::<U6, U2, f32, Cpu>::build(&dev);
/// let x: Tensor<(usize, N<U6>, N<U28>, N<U28>), f32, Cpu> =
///     dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
/// let apart = ScaledTanh.forward(s2.forward(x.clone())).as_vec();
/// let fused = s2.try_forward_then(x, Some(Squash::LECUN), false).unwrap().as_vec();
/// assert!(apart.iter().zip(&fused).all(|(a, b)| (a - b).abs() < 1e-6));
/// ```
pub trait SquashedForward<X>: Module<X, Error = Error> {
    /// The layer's output, squashed by `squash` when given. `data_input`
    /// says that `x` is data (no input gradient is needed); layers that
    /// have no use for the hint ignore it.
    fn try_forward_then(
        &self,
        x: X,
        squash: Option<crate::ops::Squash>,
        data_input: bool,
    ) -> Result<Self::Output, Error>;
}
