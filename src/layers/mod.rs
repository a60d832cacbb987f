//! Parameterised layers over static dims: the building blocks `network!`
//! expands to.
//!
//! dfdx's own layers (`Linear<I, O>`, ...) size themselves with const
//! generics (`Const<M>` dims), which cannot meet the typenum sizes ([`N`])
//! whose arithmetic the compiler performs. These layers take typenum sizes,
//! implement dfdx's `Module` (forward) and `TensorCollection` (so dfdx's
//! optimizers, `build_module`, `save_safetensors` and `load_safetensors`
//! work), and name their tensors as PyTorch does (`weight`, `bias`).
//!
//! Dropout is dfdx's own, which already accepts any shape.
//!
//! [`N`]: crate::dims::N

/// The visit of a layer's `weight` and `bias` fields (PyTorch's names),
/// both initialised uniform in `±1/√fan_in` ([`uniform_init`]).
macro_rules! weight_and_bias {
    () => {
        (
            Self::tensor(
                "weight",
                |s| &s.weight,
                |s| &mut s.weight,
                $crate::layers::uniform_init::<Self, _, _>(),
            ),
            Self::tensor(
                "bias",
                |s| &s.bias,
                |s| &mut s.bias,
                $crate::layers::uniform_init::<Self, _, _>(),
            ),
        )
    };
}

/// The visit of a bias-free layer's `weight` field, initialised as
/// [`weight_and_bias`] initialises it.
macro_rules! weight_only {
    () => {
        Self::tensor(
            "weight",
            |s| &s.weight,
            |s| &mut s.weight,
            $crate::layers::uniform_init::<Self, _, _>(),
        )
    };
}

mod activation;
mod batchnorm;
mod blocks;
mod conv;
mod conv3d;
mod conv_transpose;
mod flatten;
mod highway;
mod lenet;
mod linear;
mod pool;
mod seq;
mod skip;
mod stateless;
mod unpool;

pub use activation::{
    Relu, ScaledTanh, Sigmoid, SquashedForward, Tanh, SCALED_TANH_A, SCALED_TANH_S,
};
pub use batchnorm::BatchNorm2d;
pub use blocks::{concat_channels, residual_add, Downsample, StatedForward};
pub use conv::{BiasKind, Conv2d, NoBias, WithBias};
pub use conv3d::{maps_as_vol, vol_as_maps, Conv3d, Pool3d};
pub use conv_transpose::ConvTranspose2d;
pub use flatten::Flatten;
pub use highway::{highway_mix, HighwayGate};
pub use lenet::{ConnectionTable, Subsample2d, TableConv2d};
pub use linear::Linear;
pub use pool::{kind, Pool2d, PoolKindType};
pub use seq::{maps_as_seq, seq_as_maps, Conv1d};
pub use skip::{center_crop, crop_add, crop_at, crop_concat};
pub use stateless::{AdaptiveAvgPool, AdaptiveMaxPool, Dropout, GlobalAvgPool, GlobalMaxPool};
pub use unpool::{BedOfNails, NearestUnpool};

/// Uniform initialisation bound `1/sqrt(fan_in)`, PyTorch's default for
/// convolution and linear layers (`kaiming_uniform_(a=√5)` works out to it).
pub(crate) fn init_bound(fan_in: usize) -> f32 {
    1.0 / (fan_in.max(1) as f32).sqrt()
}

/// The inputs each output of a layer sums over, for its initialisation.
pub(crate) trait FanIn {
    const FAN_IN: usize;
}

/// Uniform in `±1/sqrt(fan_in)` of layer `L`: its weight's and bias's start.
pub(crate) fn uniform_init<L: FanIn, S: dfdx::shapes::ConstShape, D: dfdx::prelude::Device<f32>>(
) -> dfdx::nn::TensorOptions<S, f32, D> {
    dfdx::nn::TensorOptions::reset_with(|t| {
        let b = init_bound(L::FAN_IN);
        t.try_fill_with_distr(rand::distributions::Uniform::new(-b, b))
    })
}

// Stateless in training: dfdx's blanket impl gives them `ModuleMut` from `Module`.
impl<
        Cg: crate::dims::Size,
        O: crate::dims::Size,
        KH: crate::dims::Size,
        KW: crate::dims::Size,
        Spec,
        E: dfdx::prelude::Dtype,
        D: dfdx::prelude::Storage<E>,
        B: BiasKind,
    > dfdx::nn::NonMutableModule for Conv2d<Cg, O, KH, KW, Spec, E, D, B>
{
}
impl<
        I: crate::dims::Size,
        O: crate::dims::Size,
        E: dfdx::prelude::Dtype,
        D: dfdx::prelude::Storage<E>,
    > dfdx::nn::NonMutableModule for Linear<I, O, E, D>
{
}
