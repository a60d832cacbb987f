//! Small maps by direct summation: the forward pass without an im2col
//! matrix, for stride-1 unpadded convolutions whose output channels come in
//! blocks of 16 (LeNet's C3: 6 → 16 channels, 5x5, 14x14 → 10x10).
//!
//! im2col copies every input value `K²` times into a matrix that the GEMM
//! then packs again; on C3 that is 150 rows of 100 values per image, built
//! from 10-value row pieces, and it took as long as the GEMM. Here the
//! register tile of the GEMM's own micro-kernel — 16 output channels (two
//! AVX2 vectors) by 6 output positions — reads its inputs straight from the
//! image: per kernel tap, two vector loads of packed weights and six
//! broadcast input values feed twelve fused multiply-adds. The positions
//! run in raster order across rows, so no lane is wasted on short rows.

use rayon::prelude::*;

use super::geom::ConvGeom;

/// Output channels per block: two vectors of 8.
const BLOCK: usize = 16;
/// Output positions per register tile.
const TILE: usize = 6;

/// Whether the direct route computes `g`: stride 1, no padding, dilation
/// 1, one group, a correlation, and output channels in blocks of 16.
pub(super) fn fits(g: &ConvGeom) -> bool {
    g.y.is_plain() && g.x.is_plain() && g.groups == 1 && !g.flipped && g.c_out % BLOCK == 0
}

/// Where the input value of kernel row `r = (c, ky, kx)` and output
/// position `p` lies in an image: `offsets[r] + starts[p]`.
struct Reads {
    /// Where row `(c, ky, kx)` starts in the image.
    offsets: Vec<usize>,
    /// Where each output position's window starts in a channel.
    starts: Vec<usize>,
}

impl Reads {
    fn new(g: &ConvGeom) -> Self {
        let (hw, wi) = (g.in_plane(), g.x.input);
        let offsets = (0..g.c_in)
            .flat_map(|c| {
                (0..g.y.k).flat_map(move |ky| (0..g.x.k).map(move |kx| c * hw + ky * wi + kx))
            })
            .collect();
        let starts = (0..g.out_plane())
            .map(|p| p / g.x.output * wi + p % g.x.output)
            .collect();
        Reads { offsets, starts }
    }
}

/// The weights as the tile reads them: per block of 16 output channels,
/// per row `(c, ky, kx)`, the 16 channels' weights side by side.
fn pack(g: &ConvGeom, w: &[f32]) -> Vec<f32> {
    let rows = g.group_rows();
    let mut packed = vec![0.0; g.c_out * rows];
    for (block, out) in packed.chunks_exact_mut(BLOCK * rows).enumerate() {
        for (r, lanes) in out.chunks_exact_mut(BLOCK).enumerate() {
            for (lane, v) in lanes.iter_mut().enumerate() {
                *v = w[(block * BLOCK + lane) * rows + r];
            }
        }
    }
    packed
}

/// `y = conv(x, w) + b` (or `y +=` when `accumulate`) for a geometry that
/// [`fits`], images spread over rayon's threads.
pub(super) fn forward(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    y: &mut [f32],
    accumulate: bool,
) {
    debug_assert!(fits(g), "the direct route needs a plain geometry");
    let (il, ol, l) = (g.in_len(), g.out_len(), g.out_plane());
    let packed = pack(g, w);
    let Reads { offsets, starts } = Reads::new(g);
    let reach = offsets.iter().max().copied().unwrap_or(0);
    let wide = crate::ops::simd::avx2_fma();
    y[..g.batch * ol]
        .par_chunks_mut(ol)
        .zip(x.par_chunks(il))
        .with_min_len((64 * 1024 / (ol + il).max(1)).max(1))
        .for_each(|(y, x)| {
            for (block, ws) in packed.chunks_exact(BLOCK * offsets.len()).enumerate() {
                let ys = &mut y[block * BLOCK * l..][..BLOCK * l];
                let bias: [f32; BLOCK] =
                    core::array::from_fn(|lane| b.map_or(0.0, |b| b[block * BLOCK + lane]));
                for (first, at, n) in tiles(&starts) {
                    let sums = tile(x, ws, (&offsets, reach), &at, wide);
                    // the tile is positions x channels; the output is
                    // channels x positions: each channel's run of positions
                    for (lane, &bias) in bias.iter().enumerate() {
                        let run = &mut ys[lane * l + first..][..n];
                        if accumulate {
                            run.iter_mut()
                                .zip(&sums)
                                .for_each(|(v, s)| *v += s[lane] + bias);
                        } else {
                            run.iter_mut()
                                .zip(&sums)
                                .for_each(|(v, s)| *v = s[lane] + bias);
                        }
                    }
                }
            }
        });
}

/// `dw += Σ_images dy ⋆ x` for a geometry that [`fits`], by the same
/// register tile with the roles turned: the sum runs over output positions
/// `p`, the 16 lanes are output channels (the output gradient, transposed
/// once per image to `p x 16`), and the tile's six columns are six kernel
/// rows `(c, ky, kx)`. No im2col matrix is built, as in the forward pass.
/// Images are split among tasks whose sums are added in task order.
pub(super) fn backward_filter(
    plan: &super::strategy::Plan,
    g: &ConvGeom,
    x: &[f32],
    dy: &[f32],
    dw: &mut [f32],
) {
    debug_assert!(fits(g), "the direct route needs a plain geometry");
    let (il, ol, l, rows) = (g.in_len(), g.out_len(), g.out_plane(), g.group_rows());
    let Reads { offsets, starts } = Reads::new(g);
    let reach = starts.iter().max().copied().unwrap_or(0);
    let wide = crate::ops::simd::avx2_fma();
    let per = plan.images_per_task.max(1);
    let mut total = vec![0.0f32; g.c_out * rows];
    super::scratch::add_task_sums(g.batch.div_ceil(per), &mut total, |task, sums| {
        let mut dyt = vec![0.0f32; l * BLOCK];
        for n in task * per..((task + 1) * per).min(g.batch) {
            let (x, dy) = (&x[n * il..][..il], &dy[n * ol..][..ol]);
            for (block, dw) in sums.chunks_exact_mut(BLOCK * rows).enumerate() {
                for (lane, plane) in dy[block * BLOCK * l..][..BLOCK * l]
                    .chunks_exact(l)
                    .enumerate()
                {
                    for (p, v) in plane.iter().enumerate() {
                        dyt[p * BLOCK + lane] = *v;
                    }
                }
                for (first, at, n) in tiles(&offsets) {
                    let tile_sums = tile(x, &dyt, (&starts, reach), &at, wide);
                    for (j, sum) in tile_sums.iter().enumerate().take(n) {
                        for (lane, s) in sum.iter().enumerate() {
                            dw[lane * rows + first + j] += s;
                        }
                    }
                }
            }
        }
    });
    dw.iter_mut().zip(&total).for_each(|(d, t)| *d += t);
}

/// The tiles over `reads` (positions, or kernel rows): each tile's first
/// index, its six reads, and how many of them are real. A last, partial
/// tile repeats its last read, so the kernel never branches on the count.
fn tiles(reads: &[usize]) -> impl Iterator<Item = (usize, [usize; TILE], usize)> + '_ {
    (0..reads.len()).step_by(TILE).map(move |first| {
        let at = core::array::from_fn(|j| reads[(first + j).min(reads.len() - 1)]);
        (first, at, TILE.min(reads.len() - first))
    })
}

/// One register tile: for positions `at` (each window's start in a
/// channel), `Σ_r ws[r][lane] · x[offsets[r] + at[j]]` for 16 lanes.
///
/// `reach` is the largest of `offsets`, found once per call rather than
/// once per tile.
fn tile(
    x: &[f32],
    ws: &[f32],
    (offsets, reach): (&[usize], usize),
    at: &[usize; TILE],
    wide: bool,
) -> [[f32; BLOCK]; TILE] {
    let last = reach + at.iter().max().copied().unwrap_or(0);
    assert!(
        last < x.len() && ws.len() >= offsets.len() * BLOCK,
        "tile reads inside its slices"
    );
    debug_assert_eq!(offsets.iter().max().copied().unwrap_or(0), reach);
    #[cfg(target_arch = "x86_64")]
    if wide {
        // SAFETY: `wide` says the CPU has AVX2 and FMA; the assert above
        // bounds every index the kernel forms.
        return unsafe { avx2::tile(x, ws, offsets, at) };
    }
    let _ = wide;
    let mut sums = [[0.0f32; BLOCK]; TILE];
    for (r, &off) in offsets.iter().enumerate() {
        let w = &ws[r * BLOCK..][..BLOCK];
        for (sum, &a) in sums.iter_mut().zip(at) {
            let v = x[off + a];
            sum.iter_mut().zip(w).for_each(|(s, w)| *s += w * v);
        }
    }
    sums
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK, TILE};
    use std::arch::x86_64::*;

    /// [`super::tile`] in twelve accumulator registers.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `x[offsets[r] + at[j]]` and
    /// `ws[r·16 .. r·16 + 16]` are inside their slices for every `r`, `j`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile(
        x: &[f32],
        ws: &[f32],
        offsets: &[usize],
        at: &[usize; TILE],
    ) -> [[f32; BLOCK]; TILE] {
        let mut acc = [[_mm256_setzero_ps(); 2]; TILE];
        let (xp, wp) = (x.as_ptr(), ws.as_ptr());
        for (r, &off) in offsets.iter().enumerate() {
            let lo = _mm256_loadu_ps(wp.add(r * BLOCK));
            let hi = _mm256_loadu_ps(wp.add(r * BLOCK + 8));
            let base = xp.add(off);
            for j in 0..TILE {
                let v = _mm256_broadcast_ss(&*base.add(at[j]));
                acc[j][0] = _mm256_fmadd_ps(lo, v, acc[j][0]);
                acc[j][1] = _mm256_fmadd_ps(hi, v, acc[j][1]);
            }
        }
        let mut sums = [[0.0f32; BLOCK]; TILE];
        for (sum, a) in sums.iter_mut().zip(&acc) {
            _mm256_storeu_ps(sum.as_mut_ptr(), a[0]);
            _mm256_storeu_ps(sum.as_mut_ptr().add(8), a[1]);
        }
        sums
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_close, values};

    #[test]
    fn the_portable_tile_and_the_avx2_tile_sum_the_same_products() {
        let (rows, len) = (37, 200);
        let x = values(len, 1);
        let ws = values(rows * BLOCK, 2);
        let offsets: Vec<usize> = (0..rows).map(|r| (r * 7) % 150).collect();
        let at = [0, 3, 17, 40, 41, 49];
        let reach = offsets.iter().max().copied().unwrap_or(0);
        let portable = tile(&x, &ws, (&offsets, reach), &at, false);
        // the sums by their definition
        for (j, sum) in portable.iter().enumerate() {
            let want: Vec<f32> = (0..BLOCK)
                .map(|lane| {
                    (0..rows)
                        .map(|r| ws[r * BLOCK + lane] * x[offsets[r] + at[j]])
                        .sum()
                })
                .collect();
            assert_close(sum, &want, 1e-5, "portable tile");
        }
        if crate::ops::simd::avx2_fma() {
            let wide = tile(&x, &ws, (&offsets, reach), &at, true);
            assert_close(
                wide.as_flattened(),
                portable.as_flattened(),
                1e-5,
                "AVX2 tile",
            );
        }
    }
}
