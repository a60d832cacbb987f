//! Hot loops compiled twice: for the baseline x86-64 target (SSE2) and for
//! AVX2 + FMA, picked at run time by what the CPU has.
//!
//! The crate is built for the baseline so its binaries run anywhere; the
//! loops below (elementwise activations, im2col's copies) vectorise twice as
//! wide where the CPU allows. The GEMM crate does the same for its kernels.

/// Defines `fn $name(args)` whose body runs compiled for AVX2 + FMA when the
/// CPU has them, else for the baseline target.
macro_rules! simd_dispatch {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn portable($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) {
                    portable($($arg),*)
                }
                if $crate::ops::simd::avx2_fma() {
                    // SAFETY: `wide` needs exactly the features just detected.
                    return unsafe { wide($($arg),*) };
                }
            }
            portable($($arg),*)
        }
    };
}

pub(crate) use simd_dispatch;

/// Whether the CPU has AVX2 and FMA, which every `wide` build and the
/// hand-written AVX2 kernels need (`std` caches the answer).
#[inline]
pub(crate) fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `a·b + c` in a polynomial: rounded once by the CPU's fused multiply-add
/// ([`Fused`]) in code compiled for FMA, or as a product and a sum
/// ([`Separate`]) in baseline code, where `f32::mul_add` would be a call
/// into libm's software `fmaf`. Rust never contracts `a * b + c` by itself.
pub(crate) trait Madd {
    fn madd(a: f32, b: f32, c: f32) -> f32;
}

/// One fused multiply-add.
pub(crate) struct Fused;

/// A product, then a sum.
pub(crate) struct Separate;

impl Madd for Fused {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

impl Madd for Separate {
    #[inline(always)]
    fn madd(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// [`simd_dispatch!`] for a body generic over `M: Madd`: the AVX2 + FMA
/// build multiplies and adds with [`Fused`], the baseline with [`Separate`].
macro_rules! simd_dispatch_madd {
    ($(#[$m:meta])* $vis:vis fn $name:ident<$madd:ident>($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn portable<$madd: $crate::ops::simd::Madd>($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) {
                    portable::<$crate::ops::simd::Fused>($($arg),*)
                }
                if $crate::ops::simd::avx2_fma() {
                    // SAFETY: `wide` needs exactly the features just detected.
                    return unsafe { wide($($arg),*) };
                }
            }
            portable::<$crate::ops::simd::Separate>($($arg),*)
        }
    };
}

pub(crate) use simd_dispatch_madd;
