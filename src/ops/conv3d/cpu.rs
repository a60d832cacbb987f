//! Cpu kernels for 3D convolution (the volume unrolled into columns, one
//! matrix product per image and group) and 3D pooling (direct loops, one
//! rayon task per group of planes).

use rayon::prelude::*;

use super::Conv3dGeom;
use crate::ops::gemm::{matmul, Mat};
use crate::ops::pool::PoolKind;

fn threads() -> usize {
    rayon::current_num_threads()
}

/// Unrolls one image's volume: row `(channel, tap)`, column `output`.
fn vol2col(g: &Conv3dGeom, img: &[f32], cols: &mut [f32]) {
    let (ov, taps, iv) = (g.out_vol(), g.taps(), g.in_vol());
    cols.par_chunks_exact_mut(ov)
        .enumerate()
        .for_each(|(row, out)| {
            let (c, t) = (row / taps, row % taps);
            let plane = &img[c * iv..(c + 1) * iv];
            for (o, v) in out.iter_mut().enumerate() {
                *v = g.source(o, t).map_or(0.0, |i| plane[i]);
            }
        });
}

/// The image and group slices of one product.
struct Parts {
    ov: usize,
    rows: usize,
    og: usize,
}

fn parts(g: &Conv3dGeom) -> Parts {
    Parts {
        ov: g.out_vol(),
        rows: g.group_in() * g.taps(),
        og: g.group_out(),
    }
}

/// `y = conv3d(x, w) + bias`, image by image.
pub fn forward(g: &Conv3dGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let Parts { ov, rows, og } = parts(g);
    let mut cols = vec![0.0f32; g.c_in * g.taps() * ov];
    let (xs, ys) = (g.c_in * g.in_vol(), g.c_out * ov);
    for (img, out) in x.chunks_exact(xs).zip(y.chunks_exact_mut(ys)) {
        vol2col(g, img, &mut cols);
        for grp in 0..g.groups {
            let wg = Mat::new(&w[grp * og * rows..(grp + 1) * og * rows], og, rows);
            let cg = Mat::new(&cols[grp * rows * ov..(grp + 1) * rows * ov], rows, ov);
            matmul(
                &mut out[grp * og * ov..(grp + 1) * og * ov],
                wg,
                cg,
                false,
                threads(),
            );
        }
        if let Some(bias) = bias {
            for (map, b) in out.chunks_exact_mut(ov).zip(bias) {
                map.iter_mut().for_each(|v| *v += b);
            }
        }
    }
}

/// Adds `Σ dy` per output channel into `db`.
pub fn bias_backward(g: &Conv3dGeom, dy: &[f32], db: &mut [f32]) {
    let ov = g.out_vol();
    for img in dy.chunks_exact(g.c_out * ov) {
        for (d, map) in db.iter_mut().zip(img.chunks_exact(ov)) {
            *d += map.iter().sum::<f32>();
        }
    }
}

/// Adds `Σ_images dy · colsᵀ` into `dw`, per group.
pub fn weight_backward(g: &Conv3dGeom, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    let Parts { ov, rows, og } = parts(g);
    let mut cols = vec![0.0f32; g.c_in * g.taps() * ov];
    let (xs, ys) = (g.c_in * g.in_vol(), g.c_out * ov);
    for (img, d) in x.chunks_exact(xs).zip(dy.chunks_exact(ys)) {
        vol2col(g, img, &mut cols);
        for grp in 0..g.groups {
            let dg = Mat::new(&d[grp * og * ov..(grp + 1) * og * ov], og, ov);
            let cg = Mat::new(&cols[grp * rows * ov..(grp + 1) * rows * ov], rows, ov);
            matmul(
                &mut dw[grp * og * rows..(grp + 1) * og * rows],
                dg,
                cg.t(),
                true,
                threads(),
            );
        }
    }
}

/// Adds the input's gradient into `dx`: `wᵀ · dy` per group, folded back
/// onto the volume.
pub fn input_backward(g: &Conv3dGeom, w: &[f32], dy: &[f32], dx: &mut [f32]) {
    let Parts { ov, rows, og } = parts(g);
    let (taps, iv) = (g.taps(), g.in_vol());
    let mut dcols = vec![0.0f32; g.c_in * taps * ov];
    let (xs, ys) = (g.c_in * iv, g.c_out * ov);
    for (d, img) in dy.chunks_exact(ys).zip(dx.chunks_exact_mut(xs)) {
        for grp in 0..g.groups {
            let wg = Mat::new(&w[grp * og * rows..(grp + 1) * og * rows], og, rows);
            let dg = Mat::new(&d[grp * og * ov..(grp + 1) * og * ov], og, ov);
            let dst = &mut dcols[grp * rows * ov..(grp + 1) * rows * ov];
            matmul(dst, wg.t(), dg, false, threads());
        }
        // each channel's taps fold into that channel's volume only
        img.par_chunks_exact_mut(iv)
            .zip(dcols.par_chunks_exact(taps * ov))
            .for_each(|(plane, rows)| {
                for (t, row) in rows.chunks_exact(ov).enumerate() {
                    for (o, v) in row.iter().enumerate() {
                        if let Some(i) = g.source(o, t) {
                            plane[i] += v;
                        }
                    }
                }
            });
    }
}

/// 3D pooling; for max pooling a non-empty `argmax` receives each window's
/// winning position in its volume.
pub fn pool_forward(g: &Conv3dGeom, kind: PoolKind, x: &[f32], y: &mut [f32], argmax: &mut [u32]) {
    let (iv, ov, taps) = (g.in_vol(), g.out_vol(), g.taps());
    let planes = x.par_chunks_exact(iv).zip(y.par_chunks_exact_mut(ov));
    match kind {
        PoolKind::Max => planes
            .zip(argmax.par_chunks_exact_mut(ov))
            .for_each(|((x, y), arg)| {
                for o in 0..ov {
                    let (mut best, mut at) = (f32::NEG_INFINITY, u32::MAX);
                    for i in (0..taps).filter_map(|t| g.source(o, t)) {
                        // a NaN wins too, so it propagates as in PyTorch
                        if at == u32::MAX || x[i] > best || x[i].is_nan() {
                            (best, at) = (x[i], i as u32);
                        }
                    }
                    (y[o], arg[o]) = (best, at);
                }
            }),
        _ => planes.for_each(|(x, y)| {
            for (o, v) in y.iter_mut().enumerate() {
                let sum: f32 = (0..taps).filter_map(|t| g.source(o, t)).map(|i| x[i]).sum();
                *v = sum / taps as f32;
            }
        }),
    }
}

/// Adds the input's gradient of 3D pooling into `dx`.
pub fn pool_backward(g: &Conv3dGeom, kind: PoolKind, argmax: &[u32], dy: &[f32], dx: &mut [f32]) {
    let (iv, ov, taps) = (g.in_vol(), g.out_vol(), g.taps());
    dx.par_chunks_exact_mut(iv)
        .enumerate()
        .for_each(|(plane, dx)| {
            let dy = &dy[plane * ov..(plane + 1) * ov];
            match kind {
                PoolKind::Max => {
                    for (d, &a) in dy.iter().zip(&argmax[plane * ov..(plane + 1) * ov]) {
                        if a != u32::MAX {
                            dx[a as usize] += d;
                        }
                    }
                }
                _ => {
                    for (o, d) in dy.iter().enumerate() {
                        for i in (0..taps).filter_map(|t| g.source(o, t)) {
                            dx[i] += d / taps as f32;
                        }
                    }
                }
            }
        });
}
