//! AVX2 forms of the two max-pooling loops that dominate its time, eight
//! outputs per step. LLVM compiles the portable loops' selects to branches,
//! which mispredict on real data (which tap wins is a coin toss); here the
//! select is a blend. Each function does a prefix of the work, whole steps
//! of eight, and says how much; the portable loop does the rest.
//!
//! Callers check `is_x86_feature_detected!("avx2")` first (see
//! [`RowMax::new`](super::cpu)).

use std::arch::x86_64::*;

/// Lanes where `v` replaces `best` in PyTorch's scan: greater, or NaN.
#[inline(always)]
unsafe fn beats(v: __m256, best: __m256) -> __m256 {
    _mm256_or_ps(
        _mm256_cmp_ps::<_CMP_GT_OQ>(v, best),
        _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v),
    )
}

/// Selects `b`'s lanes where `mask` is set, `a`'s elsewhere, for integers.
#[inline(always)]
unsafe fn blend_u32(a: __m256i, b: __m256i, mask: __m256) -> __m256i {
    _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(a),
        _mm256_castsi256_ps(b),
        mask,
    ))
}

/// The even-indexed and the odd-indexed values of the 16 floats at `p`,
/// each in order.
#[inline(always)]
unsafe fn deinterleave(p: *const f32) -> (__m256, __m256) {
    let (a, b) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
    // per 128-bit lane [a0 a2 b0 b2 | a4 a6 b4 b6], then the lanes' halves reordered
    let even = _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
    let odd = _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
    let order =
        |v: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v)));
    (order(even), order(odd))
}

/// Windows of 3 taps at stride 2 from `first` on: `value[o]` and `column[o]`
/// as in the portable loop. Returns how many outputs it did (a multiple of
/// 8; it stops where a step would read past `row`).
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn rows_3s2(
    row: &[f32],
    first: usize,
    value: &mut [f32],
    column: &mut [u32],
) -> usize {
    let n = value.len().min(column.len());
    let step = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    let mut o = 0;
    // a step reads 18 floats from first + 2o: taps 0..=16 and the odd
    // lane's neighbour
    while o + 8 <= n && first + 2 * o + 18 <= row.len() {
        let start = first + 2 * o;
        let p = row.as_ptr().add(start);
        let (tap0, tap1) = deinterleave(p);
        let (tap2, _) = deinterleave(p.add(2));
        let mut col = _mm256_add_epi32(_mm256_set1_epi32(start as i32), step);
        let mut best = tap0;
        for (t, tap) in [(1, tap1), (2, tap2)] {
            let take = beats(tap, best);
            best = _mm256_blendv_ps(best, tap, take);
            let at = _mm256_add_epi32(_mm256_set1_epi32(start as i32 + t), step);
            col = blend_u32(col, at, take);
        }
        _mm256_storeu_ps(value.as_mut_ptr().add(o), best);
        _mm256_storeu_si256(column.as_mut_ptr().add(o) as *mut __m256i, col);
        o += 8;
    }
    o
}

/// Folds one row's window maxima (`value`, from columns `column` of the row
/// starting at plane index `base`) into the output row `out` and its
/// `route`. Returns how many outputs it did (a multiple of 8).
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn fold_row(
    out: &mut [f32],
    route: Option<&mut [u32]>,
    value: &[f32],
    column: &[u32],
    base: u32,
) -> usize {
    let mut route = route;
    let routes = route.as_deref().map_or(usize::MAX, <[u32]>::len);
    let n = out.len().min(value.len()).min(column.len()).min(routes) / 8 * 8;
    let base = _mm256_set1_epi32(base as i32);
    for o in (0..n).step_by(8) {
        let best = _mm256_loadu_ps(out.as_ptr().add(o));
        let v = _mm256_loadu_ps(value.as_ptr().add(o));
        let take = beats(v, best);
        _mm256_storeu_ps(out.as_mut_ptr().add(o), _mm256_blendv_ps(best, v, take));
        if let Some(route) = route.as_deref_mut() {
            let to = route.as_mut_ptr().add(o) as *mut __m256i;
            let c = _mm256_loadu_si256(column.as_ptr().add(o) as *const __m256i);
            let at = _mm256_add_epi32(base, c);
            _mm256_storeu_si256(to, blend_u32(_mm256_loadu_si256(to), at, take));
        }
    }
    n
}
