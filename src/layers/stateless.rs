//! Layers without parameters that `network!` names as modules: global
//! pooling, dropout and local response normalisation. As modules they meet
//! the same `Module<X, Error = Error>` bound as every other layer, which
//! generic blocks state once per layer.

use dfdx::prelude::*;

use core::marker::PhantomData;

use crate::dims::{Size, N};
use crate::ops::{
    adaptive_avg_pool2d, adaptive_max_pool2d, global_avg_pool2d, global_max_pool2d,
    local_response_norm, Backend, Lrn,
};
use crate::Error;

/// Global average pooling: `(batch, C, H, W) -> (batch, C)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalAvgPool;

/// Global max pooling: `(batch, C, H, W) -> (batch, C)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalMaxPool;

macro_rules! global_pool {
    ($layer:ty, $op:ident) => {
        impl<B: Dim, C: Dim, H: Dim, W: Dim, Dev: Backend, T: Tape<f32, Dev>>
            Module<Tensor<(B, C, H, W), f32, Dev, T>> for $layer
        {
            type Output = Tensor<(B, C), f32, Dev, T>;
            type Error = Error;

            fn try_forward(
                &self,
                x: Tensor<(B, C, H, W), f32, Dev, T>,
            ) -> Result<Self::Output, Error> {
                $op(x)
            }
        }
    };
}
global_pool!(GlobalAvgPool, global_avg_pool2d);
global_pool!(GlobalMaxPool, global_max_pool2d);

/// Adaptive average pooling to `OH x OW` maps, whatever the input's size.
pub struct AdaptiveAvgPool<OH, OW>(PhantomData<(OH, OW)>);

/// Adaptive max pooling to `OH x OW` maps, whatever the input's size.
pub struct AdaptiveMaxPool<OH, OW>(PhantomData<(OH, OW)>);

macro_rules! adaptive_pool {
    ($layer:ident, $op:ident) => {
        impl<OH, OW> Default for $layer<OH, OW> {
            fn default() -> Self {
                $layer(PhantomData)
            }
        }

        impl<OH: Size, OW: Size> core::fmt::Debug for $layer<OH, OW> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({}x{})", stringify!($layer), OH::USIZE, OW::USIZE)
            }
        }

        impl<
                B: Dim,
                C: Dim,
                H: Dim,
                W: Dim,
                OH: Size,
                OW: Size,
                Dev: Backend,
                T: Tape<f32, Dev>,
            > Module<Tensor<(B, C, H, W), f32, Dev, T>> for $layer<OH, OW>
        {
            type Output = Tensor<(B, C, N<OH>, N<OW>), f32, Dev, T>;
            type Error = Error;

            fn try_forward(
                &self,
                x: Tensor<(B, C, H, W), f32, Dev, T>,
            ) -> Result<Self::Output, Error> {
                $op(x)
            }
        }
    };
}
adaptive_pool!(AdaptiveAvgPool, adaptive_avg_pool2d);
adaptive_pool!(AdaptiveMaxPool, adaptive_max_pool2d);

impl<B: Dim, C: Dim, H: Dim, W: Dim, Dev: Backend, T: Tape<f32, Dev>>
    Module<Tensor<(B, C, H, W), f32, Dev, T>> for Lrn
{
    type Output = Tensor<(B, C, H, W), f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<(B, C, H, W), f32, Dev, T>) -> Result<Self::Output, Error> {
        local_response_norm(x, self)
    }
}

/// Dropout with probability `p`: the identity through `Module` (inference),
/// random zeroing with `1/(1-p)` scaling through `ModuleMut` (training).
#[derive(Clone, Copy, Debug)]
pub struct Dropout {
    /// The probability of zeroing an input.
    pub p: f32,
}

impl Dropout {
    /// Dropout with probability `p`.
    pub const fn new(p: f32) -> Self {
        Dropout { p }
    }
}

impl<S: Shape, Dev: Backend, T: Tape<f32, Dev>> Module<Tensor<S, f32, Dev, T>> for Dropout {
    type Output = Tensor<S, f32, Dev, T>;
    type Error = Error;

    fn try_forward(&self, x: Tensor<S, f32, Dev, T>) -> Result<Self::Output, Error> {
        Ok(x)
    }
}

impl<S: Shape, Dev: Backend, T: Tape<f32, Dev>> ModuleMut<Tensor<S, f32, Dev, T>> for Dropout {
    type Output = Tensor<S, f32, Dev, T>;
    type Error = Error;

    fn try_forward_mut(&mut self, x: Tensor<S, f32, Dev, T>) -> Result<Self::Output, Error> {
        Ok(x.try_dropout(self.p)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dims::N;
    use typenum::{U2, U3};

    #[test]
    fn dropout_is_the_identity_at_inference_and_drops_in_training() {
        let dev: Cpu = Default::default();
        let x: Tensor<(usize, N<U3>), f32, Cpu> = dev.ones_like(&(400, N::new()));
        let mut d = Dropout::new(0.5);
        assert_eq!(d.try_forward(x.clone()).unwrap().as_vec(), x.as_vec());
        let y = d.try_forward_mut(x.leaky_trace()).unwrap().as_vec();
        let zeros = y.iter().filter(|v| **v == 0.0).count();
        assert!(
            y.iter().all(|v| *v == 0.0 || *v == 2.0),
            "kept values scale by 1/(1-p)"
        );
        assert!(
            (400..800).contains(&zeros),
            "about half of 1,200 dropped, got {zeros}"
        );
    }

    #[test]
    fn global_pools_reduce_each_map() {
        let dev: Cpu = Default::default();
        let x: Tensor<(usize, N<U2>, N<U2>, N<U2>), f32, Cpu> = dev.tensor_from_vec(
            vec![1., 2., 3., 6., -1., -2., -3., -6.],
            (1, N::new(), N::new(), N::new()),
        );
        assert_eq!(
            GlobalAvgPool.try_forward(x.clone()).unwrap().as_vec(),
            [3.0, -3.0]
        );
        assert_eq!(GlobalMaxPool.try_forward(x).unwrap().as_vec(), [6.0, -1.0]);
    }
}
