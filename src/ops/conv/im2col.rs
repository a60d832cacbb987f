//! im2col and its adjoint col2im: a convolution's input windows laid out as
//! the columns of a matrix, so that the convolution is one GEMM.

use super::geom::{AxisGeom, ConvGeom};
use crate::ops::simd::simd_dispatch;

/// Writes the im2col matrix of one image: row `(c, ky, kx)`, column `(oy, ox)`.
pub(crate) fn im2col(g: &ConvGeom, img: &[f32], cols: &mut [f32]) {
    im2col_into(g, img, cols, g.out_plane(), 0);
}

/// [`im2col`] into rows `stride` apart, from column `offset`: several
/// images side by side in one matrix, for one GEMM over all of them.
pub(crate) fn im2col_into(
    g: &ConvGeom,
    img: &[f32],
    cols: &mut [f32],
    stride: usize,
    offset: usize,
) {
    let (ho, wo) = (g.y.output, g.x.output);
    let (hi, wi) = (g.y.input, g.x.input);
    let plane = ho * wo;
    if g.y.is_plain() && g.x.is_plain() {
        return im2col_plain(g, img, cols, stride, offset);
    }
    let mut r = 0;
    for c in 0..g.c_in {
        let chan = &img[c * hi * wi..(c + 1) * hi * wi];
        for ky in 0..g.y.k {
            for kx in 0..g.x.k {
                let start = r * stride + offset;
                r += 1;
                let Some(row) = cols.get_mut(start..start + plane) else {
                    return;
                };
                let (lo, hi_x) = g.x.valid_outputs(kx);
                for oy in 0..ho {
                    let dst = &mut row[oy * wo..(oy + 1) * wo];
                    match g.y.source(oy, ky) {
                        None => dst.fill(0.0),
                        Some(iy) => {
                            let src = &chan[iy * wi..(iy + 1) * wi];
                            dst[..lo].fill(0.0);
                            dst[hi_x..].fill(0.0);
                            copy_strided(&mut dst[lo..hi_x], src, lo, kx, &g.x);
                        }
                    }
                }
            }
        }
    }
}

/// Adds the im2col-shaped `cols` back into one image (the adjoint of [`im2col`]).
pub(crate) fn col2im(g: &ConvGeom, cols: &[f32], img: &mut [f32]) {
    col2im_from(g, cols, g.out_plane(), 0, img);
}

/// [`col2im`] from rows `stride` apart, starting at column `offset`.
pub(crate) fn col2im_from(
    g: &ConvGeom,
    cols: &[f32],
    stride: usize,
    offset: usize,
    img: &mut [f32],
) {
    let (ho, wo) = (g.y.output, g.x.output);
    let (hi, wi) = (g.y.input, g.x.input);
    let plane = ho * wo;
    if g.y.is_plain() && g.x.is_plain() {
        return col2im_plain(g, cols, stride, offset, img);
    }
    let mut r = 0;
    for c in 0..g.c_in {
        let chan = &mut img[c * hi * wi..(c + 1) * hi * wi];
        for ky in 0..g.y.k {
            for kx in 0..g.x.k {
                let start = r * stride + offset;
                r += 1;
                let Some(row) = cols.get(start..start + plane) else {
                    return;
                };
                let (lo, hi_x) = g.x.valid_outputs(kx);
                for oy in 0..ho {
                    if let Some(iy) = g.y.source(oy, ky) {
                        let src = &row[oy * wo + lo..oy * wo + hi_x];
                        let dst = &mut chan[iy * wi..(iy + 1) * wi];
                        add_strided(dst, src, lo, kx, &g.x);
                    }
                }
            }
        }
    }
}

simd_dispatch! {
    /// [`im2col_into`] at stride 1 without padding or dilation: every row is
    /// `ho` windows of `wo` consecutive input values.
    fn im2col_plain(g: &ConvGeom, img: &[f32], cols: &mut [f32], stride: usize, offset: usize) {
        let (hi, wi, wo) = (g.y.input, g.x.input, g.x.output);
        let plane = g.out_plane();
        let mut r = 0;
        for chan in img.chunks_exact(hi * wi).take(g.c_in) {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    let start = r * stride + offset;
                    let Some(row) = cols.get_mut(start..start + plane) else {
                        return;
                    };
                    r += 1;
                    for (oy, dst) in row.chunks_exact_mut(wo).enumerate() {
                        copy_short(dst, &chan[(oy + ky) * wi + kx..][..wo]);
                    }
                }
            }
        }
    }
}

simd_dispatch! {
    /// [`col2im_from`] at stride 1 without padding or dilation.
    fn col2im_plain(g: &ConvGeom, cols: &[f32], stride: usize, offset: usize, img: &mut [f32]) {
        let (hi, wi, wo) = (g.y.input, g.x.input, g.x.output);
        let plane = g.out_plane();
        let mut r = 0;
        for chan in img.chunks_exact_mut(hi * wi).take(g.c_in) {
            for ky in 0..g.y.k {
                for kx in 0..g.x.k {
                    let start = r * stride + offset;
                    let Some(row) = cols.get(start..start + plane) else {
                        return;
                    };
                    r += 1;
                    for (oy, src) in row.chunks_exact(wo).enumerate() {
                        let dst = &mut chan[(oy + ky) * wi + kx..][..wo];
                        dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
                    }
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for the short rows of small maps: fixed
/// blocks of 8 compile to plain vector moves, where `copy_from_slice` calls
/// `memmove`, whose call costs as much as a 28-value row. A row that is
/// not a multiple of 8 ends with one more block of 8 that overlaps the one
/// before (LeNet's 10- and 28-value rows), rather than a scalar loop.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    if !(8..=64).contains(&n) || src.len() != n {
        dst.copy_from_slice(src);
        return;
    }
    let block = |d: &mut [f32], s: &[f32], at: usize| {
        let s: &[f32; 8] = s[at..at + 8].try_into().unwrap_or(&[0.0; 8]);
        d[at..at + 8].copy_from_slice(s);
    };
    for at in (0..n - 7).step_by(8) {
        block(dst, src, at);
    }
    if n % 8 != 0 {
        block(dst, src, n - 8);
    }
}

#[inline(always)]
fn copy_strided(dst: &mut [f32], src: &[f32], first_out: usize, tap: usize, a: &AxisGeom) {
    let start = first_out * a.s + tap * a.d - a.p;
    if a.s == 1 {
        copy_short(dst, &src[start..start + dst.len()]);
    } else {
        for (j, v) in dst.iter_mut().enumerate() {
            *v = src[start + j * a.s];
        }
    }
}

#[inline(always)]
fn add_strided(dst: &mut [f32], src: &[f32], first_out: usize, tap: usize, a: &AxisGeom) {
    let start = first_out * a.s + tap * a.d - a.p;
    if a.s == 1 {
        for (d, s) in dst[start..start + src.len()].iter_mut().zip(src) {
            *d += s;
        }
    } else {
        for (j, s) in src.iter().enumerate() {
            dst[start + j * a.s] += s;
        }
    }
}
