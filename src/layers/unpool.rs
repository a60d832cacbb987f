//! Unpooling layers: [`NearestUnpool`] and [`BedOfNails`] by a factor per
//! axis, typed so that the output size `in · s` is computed by the compiler.

use core::marker::PhantomData;

use dfdx::prelude::*;

use crate::dims::Size;
use crate::formula::Upscaled;
use crate::ops::{bed_of_nails2d, nearest_unpool2d, Backend};
use crate::Error;

/// Nearest-neighbour unpooling by `SH x SW`: each value fills its block.
pub struct NearestUnpool<SH, SW>(PhantomData<(SH, SW)>);

/// "Bed of nails" unpooling by `SH x SW`: each value in its block's
/// top-left cell, zeros elsewhere.
pub struct BedOfNails<SH, SW>(PhantomData<(SH, SW)>);

macro_rules! unpool_layer {
    ($layer:ident, $op:ident) => {
        impl<SH, SW> Default for $layer<SH, SW> {
            fn default() -> Self {
                $layer(PhantomData)
            }
        }

        impl<SH: Size, SW: Size> core::fmt::Debug for $layer<SH, SW> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({}x{})", stringify!($layer), SH::USIZE, SW::USIZE)
            }
        }

        impl<B, C, H, W, SH, SW, Dev, T> Module<Tensor<(B, C, H, W), f32, Dev, T>>
            for $layer<SH, SW>
        where
            B: Dim,
            C: Dim,
            H: Upscaled<SH>,
            W: Upscaled<SW>,
            SH: Size,
            SW: Size,
            Dev: Backend,
            T: Tape<f32, Dev>,
        {
            type Output = Tensor<(B, C, H::Output, W::Output), f32, Dev, T>;
            type Error = Error;

            fn try_forward(
                &self,
                x: Tensor<(B, C, H, W), f32, Dev, T>,
            ) -> Result<Self::Output, Error> {
                $op::<SH, SW, _, _, _, _, _, _>(x)
            }
        }
    };
}
unpool_layer!(NearestUnpool, nearest_unpool2d);
unpool_layer!(BedOfNails, bed_of_nails2d);
