//! Cpu pooling kernels: one rayon task per (image, channel) plane.

use rayon::prelude::*;

use super::{PoolGeom, PoolKind};
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
    match kind {
        PoolKind::Max if argmax.is_empty() => planes.for_each(|(x, y)| max_plane(g, x, y, None)),
        PoolKind::Max => planes
            .zip(argmax.par_chunks_exact_mut(op))
            .for_each(|((x, y), arg)| max_plane(g, x, y, Some(arg))),
        PoolKind::Avg | PoolKind::L2 => planes.for_each(|(x, y)| sum_plane(g, kind, x, y)),
    }
}

fn max_plane(g: &PoolGeom, x: &[f32], y: &mut [f32], mut arg: Option<&mut [u32]>) {
    let wi = g.x.input;
    for oy in 0..g.y.output {
        let (ky0, ky1, sy) = g.y.valid_taps(oy);
        for ox in 0..g.x.output {
            let (kx0, kx1, sx) = g.x.valid_taps(ox);
            let mut best = f32::NEG_INFINITY;
            let mut at = usize::MAX;
            for ky in ky0..ky1 {
                let row = (sy + ky as isize) as usize * wi;
                let first = (sx + kx0 as isize) as usize;
                for (i, &v) in x[row + first..row + first + (kx1 - kx0)].iter().enumerate() {
                    // a NaN wins too, so it propagates as in PyTorch
                    if at == usize::MAX || v > best || v.is_nan() {
                        best = v;
                        at = row + first + i;
                    }
                }
            }
            let o = oy * g.x.output + ox;
            y[o] = best;
            if let Some(arg) = arg.as_deref_mut() {
                arg[o] = at as u32;
            }
        }
    }
}

simd_dispatch! {
    fn sum_plane(g: &PoolGeom, kind: PoolKind, x: &[f32], y: &mut [f32]) {
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
    fn sum_backward_plane(g: &PoolGeom, kind: PoolKind, x: &[f32], y: &[f32], dy: &[f32], dx: &mut [f32]) {
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
