//! Cpu unpooling kernels: one rayon task per group of planes; rows are
//! written whole (a nearest-neighbour row once, then copied down its block).

use rayon::prelude::*;

use super::{Unpool, UnpoolGeom};

/// Planes per rayon task, so a task moves about 16K values.
fn planes_per_task(plane: usize) -> usize {
    (16 * 1024 / plane.max(1)).max(1)
}

/// `y` (zeroed, `oh x ow` per plane) from `x` (`h x w` per plane).
pub fn forward(g: &UnpoolGeom, kind: Unpool, x: &[f32], y: &mut [f32]) {
    let (ip, op) = (g.h * g.w, g.oh() * g.ow());
    let (ow, sx, sy) = (g.ow(), g.sx, g.sy);
    x.par_chunks_exact(ip)
        .zip(y.par_chunks_exact_mut(op))
        .with_min_len(planes_per_task(op))
        .for_each(|(x, y)| {
            for (row, block) in x.chunks_exact(g.w).zip(y.chunks_exact_mut(sy * ow)) {
                let (first, rest) = block.split_at_mut(ow);
                match kind {
                    Unpool::Nearest => {
                        for (v, cells) in row.iter().zip(first.chunks_exact_mut(sx)) {
                            cells.fill(*v);
                        }
                        for copy in rest.chunks_exact_mut(ow) {
                            copy.copy_from_slice(first);
                        }
                    }
                    Unpool::BedOfNails => {
                        for (v, cells) in row.iter().zip(first.chunks_exact_mut(sx)) {
                            cells[0] = *v;
                        }
                    }
                }
            }
        });
}

/// Adds into `dx` the gradient of the input given the output's `dy`.
pub fn backward(g: &UnpoolGeom, kind: Unpool, dy: &[f32], dx: &mut [f32]) {
    let (ip, op) = (g.h * g.w, g.oh() * g.ow());
    let (ow, sx, sy) = (g.ow(), g.sx, g.sy);
    dy.par_chunks_exact(op)
        .zip(dx.par_chunks_exact_mut(ip))
        .with_min_len(planes_per_task(op))
        .for_each(|(dy, dx)| {
            for (block, drow) in dy.chunks_exact(sy * ow).zip(dx.chunks_exact_mut(g.w)) {
                let rows = match kind {
                    Unpool::Nearest => sy,
                    Unpool::BedOfNails => 1,
                };
                for r in block.chunks_exact(ow).take(rows) {
                    for (d, cells) in drow.iter_mut().zip(r.chunks_exact(sx)) {
                        *d += match kind {
                            Unpool::Nearest => cells.iter().sum::<f32>(),
                            Unpool::BedOfNails => cells[0],
                        };
                    }
                }
            }
        });
}
