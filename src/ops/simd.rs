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
                if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                    // SAFETY: `wide` needs exactly the features just detected.
                    return unsafe { wide($($arg),*) };
                }
            }
            portable($($arg),*)
        }
    };
}

pub(crate) use simd_dispatch;
