//! The joins of `network!`'s blocks: a residual sum and a channel concatenation.

use dfdx::prelude::*;

use crate::{Error, Result};

/// `body + shortcut` of a residual block.
///
/// For static shapes the types already agree; for runtime (`usize`) sizes
/// this checks them, since dfdx's addition panics on a mismatch.
pub fn residual_add<S: Shape, D: crate::ops::Backend, T: Tape<f32, D>>(
    body: Tensor<S, f32, D, T>,
    shortcut: Tensor<S, f32, D, T>,
) -> Result<Tensor<S, f32, D, T>> {
    let (a, b) = (body.shape().concrete(), shortcut.shape().concrete());
    if a.as_ref() != b.as_ref() {
        return Err(Error::shape(
            "residual",
            format!(
                "the body gives {:?} but the shortcut {:?}",
                a.as_ref(),
                b.as_ref()
            ),
        ));
    }
    Ok(body.try_add(shortcut)?)
}

/// Concatenates two batches of maps along channels (Inception, DenseNet).
///
/// The output channel dim is `C1 + C2`: for static dims the sum is a typenum
/// type (see `N`'s `Add`), so the concatenated shape is computed by the compiler.
pub fn concat_channels<B, C1, C2, H, W, D, T>(
    a: Tensor<(B, C1, H, W), f32, D, T>,
    b: Tensor<(B, C2, H, W), f32, D, T>,
) -> Result<Tensor<(B, C1::Output, H, W), f32, D, T>>
where
    B: Dim,
    C1: Dim + core::ops::Add<C2>,
    C1::Output: Dim,
    C2: Dim,
    H: Dim,
    W: Dim,
    D: crate::ops::Backend,
    T: Tape<f32, D>,
{
    let (sa, sb) = (a.shape().concrete(), b.shape().concrete());
    if (sa[0], sa[2], sa[3]) != (sb[0], sb[2], sb[3]) {
        return Err(Error::shape(
            "concat",
            format!("cannot concatenate maps of {sa:?} and {sb:?} along channels: sizes differ"),
        ));
    }
    Ok((a, b).try_concat_along(Axis::<1>)?)
}

/// A generic block's passes, to the output its use states after `->`.
///
/// `network!` calls the blocks a network uses through this trait rather
/// than `Module`: the stated output is a type parameter here, so the
/// block's size rules meet the use as one closed fact (the block's hidden
/// `{Block}Fits` trait at numeric sizes) that rustc proves once for the
/// whole crate, instead of deriving the output type again in every pass
/// of every network. A use whose stated shape differs from the block's
/// output is an error at the use: rustc names the size rule that gives
/// another size than the stated one.
pub trait StatedForward<X, Y> {
    /// The inference pass (`Module`).
    fn stated_forward(&self, x: X) -> Result<Y>;
    /// The training pass (`ModuleMut`).
    fn stated_forward_mut(&mut self, x: X) -> Result<Y>;
}

/// torchvision's residual downsample: a 1x1 strided convolution without
/// bias, then batch norm, saved as `downsample.0.weight` and
/// `downsample.1.{weight,bias,running_mean,running_var}` (the indices of
/// PyTorch's `Sequential`).
#[derive(Clone, Debug)]
pub struct Downsample<Conv, Norm> {
    /// The 1x1 convolution.
    pub conv: Conv,
    /// The batch norm after it.
    pub norm: Norm,
}

impl<Conv, Norm, D> dfdx::nn::TensorCollection<f32, D> for Downsample<Conv, Norm>
where
    Conv: dfdx::nn::TensorCollection<f32, D>,
    Norm: dfdx::nn::TensorCollection<f32, D>,
    D: Device<f32>,
{
    type To<E2: Dtype, D2: Device<E2>> = Downsample<Conv::To<E2, D2>, Norm::To<E2, D2>>;

    fn iter_tensors<V: dfdx::nn::ModuleVisitor<Self, f32, D>>(
        visitor: &mut V,
    ) -> core::result::Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        visitor.visit_fields(
            (
                Self::module("0", |s| &s.conv, |s| &mut s.conv),
                Self::module("1", |s| &s.norm, |s| &mut s.norm),
            ),
            |(conv, norm)| Downsample { conv, norm },
        )
    }
}

impl<X, Conv, Norm> dfdx::nn::Module<X> for Downsample<Conv, Norm>
where
    Conv: dfdx::nn::Module<X, Error = Error>,
    Norm: dfdx::nn::Module<Conv::Output, Error = Error>,
{
    type Output = Norm::Output;
    type Error = Error;

    fn try_forward(&self, x: X) -> Result<Self::Output> {
        self.norm.try_forward(self.conv.try_forward(x)?)
    }
}

/// Training: the batch norm on batch statistics (updating its running ones).
impl<X, Conv, Norm> dfdx::nn::ModuleMut<X> for Downsample<Conv, Norm>
where
    Conv: dfdx::nn::Module<X, Error = Error>,
    Norm: dfdx::nn::ModuleMut<Conv::Output, Error = Error>,
{
    type Output = Norm::Output;
    type Error = Error;

    fn try_forward_mut(&mut self, x: X) -> Result<Self::Output> {
        self.norm.try_forward_mut(self.conv.try_forward(x)?)
    }
}
