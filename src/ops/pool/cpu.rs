//! Cpu pooling kernels: one rayon task per (image, channel) plane.

use rayon::prelude::*;

use super::{PoolGeom, PoolKind};
#[cfg(doc)]
use crate::ops::conv::AxisGeom;
use crate::ops::simd::simd_dispatch;

/// Planes per rayon task: small planes are grouped, so a task reads about
/// 16K values and the hand-offs stay a small part of the work.
fn planes_per_task(plane: usize) -> usize {
    (16 * 1024 / plane.max(1)).max(1)
}

/// Forward pass. For max pooling a non-empty `argmax` receives, per output,
/// the index of the winning input inside its plane (the gradient's route);
/// inference passes an empty one and stores no route.
pub fn forward(g: &PoolGeom, kind: PoolKind, x: &[f32], y: &mut [f32], argmax: &mut [u32]) {
    let (ip, op) = (g.in_plane(), g.out_plane());
    let planes = x
        .par_chunks_exact(ip)
        .zip(y.par_chunks_exact_mut(op))
        .with_min_len(planes_per_task(ip));
    // per-row window maxima per task, reused across its planes
    let rows = || RowCache::new(g);
    match kind {
        PoolKind::Max if argmax.is_empty() => {
            planes.for_each_init(rows, |rows, (x, y)| max_plane(g, x, y, None, rows))
        }
        PoolKind::Max => planes
            .zip(argmax.par_chunks_exact_mut(op))
            .for_each_init(rows, |rows, ((x, y), arg)| {
                max_plane(g, x, y, Some(arg), rows)
            }),
        PoolKind::Avg | PoolKind::L2 => planes.for_each(|(x, y)| sum_plane(g, kind, x, y)),
    }
}

/// The maxima of one input row's windows, and the column each came from.
struct RowMax {
    value: Vec<f32>,
    column: Vec<u32>,
}

/// The [`RowMax`] of the last `k` input rows of a plane, so that a row that
/// overlapping windows share (one in three for 3x3 at stride 2) is reduced
/// once. Slot `r % k` holds row `r`: a window's `k` rows never collide.
struct RowCache {
    rows: Vec<RowMax>,
    /// The input row each slot holds, `usize::MAX` for none.
    holds: Vec<usize>,
    /// Whether the CPU has AVX2, for the loops in [`avx2`](super::avx2).
    avx2: bool,
}

impl RowCache {
    fn new(g: &PoolGeom) -> Self {
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::is_x86_feature_detected!("avx2");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        let k = g.y.k.max(1);
        let row = || RowMax {
            value: vec![0.0; g.x.output],
            column: vec![0; g.x.output],
        };
        RowCache {
            rows: (0..k).map(|_| row()).collect(),
            holds: vec![usize::MAX; k],
            avx2,
        }
    }

    /// Forgets the rows held: the next plane's rows have the same numbers.
    fn new_plane(&mut self) {
        self.holds.fill(usize::MAX);
    }

    /// Row `r`'s window maxima, reduced from `row` unless already held.
    fn row(&mut self, g: &PoolGeom, r: usize, row: &[f32]) -> &RowMax {
        let slot = r % self.rows.len();
        if self.holds[slot] != r {
            row_max(g, row, &mut self.rows[slot], self.avx2);
            self.holds[slot] = r;
        }
        &self.rows[slot]
    }
}

/// How many of a row's 3-wide, stride-2 windows the AVX2 loop did (0 without
/// AVX2); the portable loop does the rest.
fn wide_rows_3s2(
    avx2: bool,
    row: &[f32],
    first: usize,
    value: &mut [f32],
    column: &mut [u32],
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` was detected on this CPU (`RowCache::new`).
        return unsafe { super::avx2::rows_3s2(row, first, value, column) };
    }
    let _ = (avx2, row, first, value, column);
    0
}

/// How many outputs of a row fold the AVX2 loop did (0 without AVX2).
fn wide_fold(
    avx2: bool,
    out: &mut [f32],
    route: Option<&mut [u32]>,
    rows: &RowMax,
    base: u32,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: as in `wide_rows_3s2`.
        return unsafe { super::avx2::fold_row(out, route, &rows.value, &rows.column, base) };
    }
    let _ = (avx2, out, route, rows, base);
    0
}

/// Whether `v` replaces `best` in PyTorch's scan of a window: a greater
/// value does (so the first of equal values keeps its place), and a NaN
/// does, so that a NaN anywhere in the window comes out.
#[inline(always)]
fn beats(v: f32, best: f32) -> bool {
    v > best || v.is_nan()
}

/// Max pooling of one plane in two steps: across each input row (the best
/// of a window's taps in that row, with its column), then down the rows of
/// each window. PyTorch scans a window row by row, left to right, with
/// [`beats`]; reducing each row first and then the rows in order, with the
/// same rule, picks the same tap (ties and NaN included), so the gradient
/// takes the same route. Splitting the window also takes the per-output
/// bounds arithmetic out of the inner loops (only the outputs whose window
/// overhangs the row's ends go through [`AxisGeom::valid_taps`]), and lets
/// overlapping windows share their rows' reductions ([`RowCache`]).
fn max_plane(
    g: &PoolGeom,
    x: &[f32],
    y: &mut [f32],
    mut arg: Option<&mut [u32]>,
    cache: &mut RowCache,
) {
    let (wi, wo) = (g.x.input, g.x.output);
    let avx2 = cache.avx2;
    cache.new_plane();
    for (oy, out) in y.chunks_exact_mut(wo).enumerate() {
        let (ky0, ky1, sy) = g.y.valid_taps(oy);
        let mut route = arg.as_deref_mut().map(|a| &mut a[oy * wo..(oy + 1) * wo]);
        for (n, ky) in (ky0..ky1).enumerate() {
            let r = (sy + ky as isize) as usize;
            let rows = cache.row(g, r, &x[r * wi..(r + 1) * wi]);
            let base = (r * wi) as u32;
            if n == 0 {
                out.copy_from_slice(&rows.value);
                if let Some(route) = route.as_deref_mut() {
                    for (to, &c) in route.iter_mut().zip(&rows.column) {
                        *to = base + c;
                    }
                }
                continue;
            }
            let done = wide_fold(avx2, out, route.as_deref_mut(), rows, base);
            let (out, value, column) =
                (&mut out[done..], &rows.value[done..], &rows.column[done..]);
            match route.as_deref_mut() {
                Some(route) => {
                    for ((best, to), (&v, &c)) in out
                        .iter_mut()
                        .zip(route[done..].iter_mut())
                        .zip(value.iter().zip(column))
                    {
                        if beats(v, *best) {
                            *best = v;
                            *to = base + c;
                        }
                    }
                }
                None => {
                    for (best, &v) in out.iter_mut().zip(value) {
                        if beats(v, *best) {
                            *best = v;
                        }
                    }
                }
            }
        }
    }
}

/// The best tap of every window in one input row: `rows.value[ox]` and its
/// column `rows.column[ox]`.
#[inline(always)]
fn row_max(g: &PoolGeom, row: &[f32], rows: &mut RowMax, avx2: bool) {
    let ax = &g.x;
    let (k, s, p) = (ax.k, ax.s, ax.p);
    // outputs whose window lies inside the row: start = ox*s - p >= 0 and
    // start + k <= row.len()
    let inner_lo = p.div_ceil(s).min(ax.output);
    let inner_hi = if row.len() + p >= k {
        ((row.len() + p - k) / s + 1).clamp(inner_lo, ax.output)
    } else {
        inner_lo
    };
    let edge = |ox: usize, rows: &mut RowMax| {
        let (k0, k1, start) = ax.valid_taps(ox);
        let mut best = f32::NEG_INFINITY;
        let mut at = 0usize;
        for (n, t) in (k0..k1).enumerate() {
            let c = (start + t as isize) as usize;
            if n == 0 || beats(row[c], best) {
                best = row[c];
                at = c;
            }
        }
        rows.value[ox] = best;
        rows.column[ox] = at as u32;
    };
    for ox in (0..inner_lo).chain(inner_hi..ax.output) {
        edge(ox, rows);
    }
    if inner_lo == inner_hi {
        return;
    }
    let first = inner_lo * s - p;
    let (value, column) = (
        &mut rows.value[inner_lo..inner_hi],
        &mut rows.column[inner_lo..inner_hi],
    );
    match (k, s) {
        (3, 2) => {
            let done = wide_rows_3s2(avx2, row, first, value, column);
            inner::<3, 2>(
                row,
                first + 2 * done,
                &mut value[done..],
                &mut column[done..],
            )
        }
        (2, 2) => inner::<2, 2>(row, first, value, column),
        (3, 1) => inner::<3, 1>(row, first, value, column),
        _ => inner_any(row, first, s, k, value, column),
    }
}

/// Windows of `K` taps from `first` on, every `S` columns. Tap-major: each
/// tap is one pass over all the windows, so the passes have no dependence
/// between iterations and the loads are at a constant stride. LLVM still
/// compiles the selects to branches (also when written as bit masks), which
/// mispredict on real data: the common 3-wide, stride-2 case has a
/// hand-written AVX2 form with blends ([`avx2`](super::avx2)).
#[inline(always)]
fn inner<const K: usize, const S: usize>(
    row: &[f32],
    first: usize,
    value: &mut [f32],
    column: &mut [u32],
) {
    let n = value.len();
    if n == 0 {
        return;
    }
    let taps = &row[first..first + (n - 1) * S + K];
    for (o, (v, c)) in value.iter_mut().zip(column.iter_mut()).enumerate() {
        *v = taps[o * S];
        *c = (first + o * S) as u32;
    }
    for t in 1..K {
        for (o, (v, c)) in value.iter_mut().zip(column.iter_mut()).enumerate() {
            let tap = taps[o * S + t];
            if beats(tap, *v) {
                *v = tap;
                *c = (first + o * S + t) as u32;
            }
        }
    }
}

/// [`inner`] for any window width.
fn inner_any(row: &[f32], first: usize, s: usize, k: usize, value: &mut [f32], column: &mut [u32]) {
    for (o, (v, c)) in value.iter_mut().zip(column.iter_mut()).enumerate() {
        let start = first + o * s;
        let (mut best, mut at) = (row[start], 0);
        for (t, &tap) in row[start + 1..start + k].iter().enumerate() {
            if beats(tap, best) {
                best = tap;
                at = t + 1;
            }
        }
        *v = best;
        *c = (start + at) as u32;
    }
}

simd_dispatch! {
    pub(super) fn sum_plane(g: &PoolGeom, kind: PoolKind, x: &[f32], y: &mut [f32]) {
        if kind == PoolKind::Avg && tiles(g) {
            avg_tiles(g, x, y)
        } else {
            sum_windows(g, kind, x, y)
        }
    }
}

/// Windows that tile the input: as wide as their stride, no padding.
fn tiles(g: &PoolGeom) -> bool {
    g.y.k == g.y.s && g.x.k == g.x.s && g.y.p == 0 && g.x.p == 0
}

/// Average pooling over tiles: each input row adds into one output row.
#[inline(always)]
fn avg_tiles(g: &PoolGeom, x: &[f32], y: &mut [f32]) {
    let (wi, wo, k) = (g.x.input, g.x.output, g.x.k);
    let scale = 1.0 / (g.y.k * g.x.k) as f32;
    for (oy, out) in y.chunks_exact_mut(wo).enumerate() {
        out.fill(0.0);
        for row in x[oy * g.y.k * wi..].chunks_exact(wi).take(g.y.k) {
            if k == 2 {
                // pairs: the common 2x2 case, kept branch-free
                for (o, pair) in out.iter_mut().zip(row.chunks_exact(2)) {
                    *o += pair[0] + pair[1];
                }
            } else {
                for (o, taps) in out.iter_mut().zip(row.chunks_exact(k)) {
                    *o += taps.iter().sum::<f32>();
                }
            }
        }
        out.iter_mut().for_each(|o| *o *= scale);
    }
}

#[inline(always)]
fn sum_windows(g: &PoolGeom, kind: PoolKind, x: &[f32], y: &mut [f32]) {
    let wi = g.x.input;
    let window = (g.y.k * g.x.k) as f32;
    for oy in 0..g.y.output {
        let (ky0, ky1, sy) = g.y.valid_taps(oy);
        for ox in 0..g.x.output {
            let (kx0, kx1, sx) = g.x.valid_taps(ox);
            let mut acc = 0.0f32;
            for ky in ky0..ky1 {
                let start = (sy + ky as isize) as usize * wi + (sx + kx0 as isize) as usize;
                let taps = &x[start..start + (kx1 - kx0)];
                acc += if kind == PoolKind::L2 {
                    taps.iter().map(|v| v * v).sum::<f32>()
                } else {
                    taps.iter().sum::<f32>()
                };
            }
            y[oy * g.x.output + ox] = match kind {
                PoolKind::L2 => acc.sqrt(),
                _ => acc / window,
            };
        }
    }
}

/// Backward pass: `dx += ∂y/∂x · dy`.
pub fn backward(
    g: &PoolGeom,
    kind: PoolKind,
    x: &[f32],
    y: &[f32],
    argmax: &[u32],
    dy: &[f32],
    dx: &mut [f32],
) {
    let (ip, op) = (g.in_plane(), g.out_plane());
    dx.par_chunks_exact_mut(ip)
        .enumerate()
        .with_min_len(planes_per_task(ip))
        .for_each(|(plane, dx)| {
            let dy = &dy[plane * op..(plane + 1) * op];
            match kind {
                PoolKind::Max => {
                    for (d, &a) in dy.iter().zip(&argmax[plane * op..(plane + 1) * op]) {
                        dx[a as usize] += d;
                    }
                }
                PoolKind::Avg | PoolKind::L2 => {
                    // only L2 pooling keeps x and y for its backward pass
                    let l2 = kind == PoolKind::L2;
                    let (x, y) = if l2 {
                        (
                            &x[plane * ip..(plane + 1) * ip],
                            &y[plane * op..(plane + 1) * op],
                        )
                    } else {
                        (&[][..], &[][..])
                    };
                    sum_backward_plane(g, kind, x, y, dy, dx);
                }
            }
        });
}

simd_dispatch! {
    /// One plane of the average or L2 pooling backward pass: `dx += ∂y/∂x · dy`.
    pub(super) fn sum_backward_plane(g: &PoolGeom, kind: PoolKind, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
        let window = (g.y.k * g.x.k) as f32;
        let (wi, wo) = (g.x.input, g.x.output);
        if kind == PoolKind::Avg && tiles(g) {
            let k = g.x.k;
            for (oy, grads) in dy.chunks_exact(wo).enumerate() {
                for row in dx[oy * g.y.k * wi..].chunks_exact_mut(wi).take(g.y.k) {
                    if k == 2 {
                        // pairs: the common 2x2 case, kept branch-free
                        for (pair, d) in row.chunks_exact_mut(2).zip(grads) {
                            let g = d / window;
                            pair[0] += g;
                            pair[1] += g;
                        }
                    } else {
                        for (taps, d) in row.chunks_exact_mut(k).zip(grads) {
                            let g = d / window;
                            taps.iter_mut().for_each(|t| *t += g);
                        }
                    }
                }
            }
            return;
        }
        let l2 = kind == PoolKind::L2;
        for oy in 0..g.y.output {
            let (ky0, ky1, sy) = g.y.valid_taps(oy);
            for ox in 0..wo {
                let (kx0, kx1, sx) = g.x.valid_taps(ox);
                let o = oy * wo + ox;
                // avg: dy/|window|; L2: dy·x/y (0 where the norm is 0)
                let scale = match kind {
                    PoolKind::Avg => dy[o] / window,
                    _ if y[o] > 0.0 => dy[o] / y[o],
                    _ => 0.0,
                };
                for ky in ky0..ky1 {
                    let start = (sy + ky as isize) as usize * wi + (sx + kx0 as isize) as usize;
                    let taps = start..start + (kx1 - kx0);
                    if l2 {
                        dx[taps.clone()]
                            .iter_mut()
                            .zip(&x[taps])
                            .for_each(|(d, x)| *d += scale * x);
                    } else {
                        dx[taps].iter_mut().for_each(|d| *d += scale);
                    }
                }
            }
        }
    }
}
