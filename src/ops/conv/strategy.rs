//! Which route a Cpu convolution takes, decided in one place.
//!
//! The routes compute the same sums (Winograd's rounding differs, see
//! [`set_winograd`]); they differ in speed by the multiplies they skip and
//! the shape of the GEMMs they make. [`Plan::choose`] picks the one
//! measured fastest (BENCHMARKS.md); tests build plans by hand to run
//! every route.

use std::sync::atomic::{AtomicBool, Ordering};

use super::geom::ConvGeom;
use super::{direct, tapwise, winograd};

/// Whether [`Plan::choose`] may pick Winograd; see [`set_winograd`].
static WINOGRAD: AtomicBool = AtomicBool::new(true);

/// Lets 3x3 stride-1 convolutions run by Winograd's F(4x4, 3x3) (the
/// default), or keeps every convolution on the direct im2col + GEMM sum.
///
/// Winograd computes the same sums with a quarter of the multiplies, in
/// forward and both backward passes, and rounds more on the way: on
/// ResNet's 64-channel 56x56 convolution its largest error is 3.3e-5 of
/// the outputs' RMS, against 2.4e-6 for the direct sum (both against an
/// f64 sum). That is far below what training notices, and within the
/// 1e-4 relative of the PyTorch comparisons; switch it off to compare
/// against another library more tightly. It applies to calls planned after
/// it, on every thread.
///
/// ```
/// splotnet::ops::conv::set_winograd(false);
/// assert!(!splotnet::ops::conv::winograd_enabled());
/// splotnet::ops::conv::set_winograd(true);
/// ```
pub fn set_winograd(enabled: bool) {
    WINOGRAD.store(enabled, Ordering::Relaxed);
}

/// Whether 3x3 stride-1 convolutions may run by Winograd ([`set_winograd`]).
pub fn winograd_enabled() -> bool {
    WINOGRAD.load(Ordering::Relaxed)
}

/// GEMM columns worth reaching by putting images side by side.
const TARGET_COLUMNS: usize = 512;

/// How one call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Consecutive images each rayon task takes.
    pub images_per_task: usize,
    /// Threads inside each GEMM (more than 1 when there are fewer images
    /// than threads).
    pub gemm_threads: usize,
    /// Images side by side in one GEMM: 1 for the per-image route, more for
    /// the batched one (small output maps).
    pub images_per_gemm: usize,
    /// Whether the input gradient runs as a forward pass with the rotated
    /// kernel (where that geometry exists) rather than GEMM + col2im.
    pub rotated_data_grad: bool,
    /// Whether 3x3 stride-1 convolutions run by Winograd's F(4x4, 3x3)
    /// ([`winograd`](super::winograd)) rather than im2col + GEMM.
    pub winograd: bool,
    /// Whether small padded maps run one GEMM per kernel tap over only the
    /// outputs it reaches ([`tapwise`](super::tapwise)).
    pub tapwise: bool,
    /// Whether small unpadded maps run their forward pass by direct
    /// summation ([`direct`](super::direct)) rather than im2col + GEMM.
    pub direct: bool,
}

impl Plan {
    /// The route for `g` on this thread pool.
    pub(crate) fn choose(g: &ConvGeom) -> Plan {
        let threads = rayon::current_num_threads().max(1);
        let (images_per_task, gemm_threads) = if g.batch >= threads {
            (g.batch.div_ceil(threads), 1)
        } else {
            (1, threads)
        };
        Plan {
            images_per_task,
            gemm_threads,
            images_per_gemm: images_per_gemm(g, images_per_task),
            rotated_data_grad: rotation_pays(g),
            winograd: winograd_pays(g),
            tapwise: tapwise_pays(g),
            direct: direct_pays(g),
        }
    }

    /// The same split of the batch, for the forward pass of another
    /// geometry (the rotated input gradient's).
    pub(crate) fn for_geometry(&self, g: &ConvGeom) -> Plan {
        Plan {
            images_per_gemm: images_per_gemm(g, self.images_per_task)
                .min(self.images_per_gemm.max(1)),
            rotated_data_grad: false,
            ..*self
        }
    }
}

/// Images per GEMM: 1 (the per-image route) when one image's output already
/// gives enough columns, or when the batch is split inside the GEMM instead.
///
/// One image's GEMM has as many columns as output positions: 100 for
/// LeNet's C3, 1 for C5, where it degenerates into a matrix-vector product
/// and its fixed costs (packing the weights) dominate.
fn images_per_gemm(g: &ConvGeom, images_per_task: usize) -> usize {
    let l = g.out_plane().max(1);
    if l >= TARGET_COLUMNS / 2 || images_per_task < 2 {
        return 1;
    }
    TARGET_COLUMNS.div_ceil(l).min(images_per_task)
}

/// The rotated input gradient pays when its im2col (`c_out·K²` rows over
/// the input's positions) is no larger than the col2im route's (`c_in·K²`
/// rows over the output's), and its GEMM has enough rows (`c_in`) not to
/// degenerate into a matrix-vector product: true for ResNet's 64→64 3x3,
/// false for LeNet's 1→6 and 6→16.
fn rotation_pays(g: &ConvGeom) -> bool {
    g.c_in >= 8 && g.c_out * g.in_plane() <= g.c_in * g.out_plane()
}

/// Winograd pays where its GEMMs have enough rows and inner dimension for
/// the transforms (linear in channels) to be small beside them (quadratic),
/// and where the maps fill their 4x4 tiles: a 2x2 map computes 16 outputs
/// to keep 4, which leaves it as many multiplies as the direct sum and the
/// transforms on top (ResNet-18's last stage at 64x64 input).
fn winograd_pays(g: &ConvGeom) -> bool {
    winograd_enabled()
        && winograd::fits(g)
        && g.c_in >= 16
        && g.c_out >= 16
        && g.y.output.min(g.x.output) >= MIN_WINOGRAD_MAP
}

/// The smallest output side that takes Winograd (measured on ResNet-18 at
/// 64x64, BENCHMARKS.md).
const MIN_WINOGRAD_MAP: usize = 8;

/// Tap by tap pays where padding is a large share of im2col's products
/// (maps of a few positions), and the channels make each tap's GEMM worth
/// its own call.
fn tapwise_pays(g: &ConvGeom) -> bool {
    tapwise::fits(g)
        && g.c_in >= 16
        && g.c_out >= 16
        && g.out_plane() <= MAX_TAPWISE_MAP
        && tapwise::valid_share(g) <= 0.8
}

/// The largest output map (positions) that goes tap by tap: 4x4.
const MAX_TAPWISE_MAP: usize = 16;

/// The direct route pays on small maps with a short inner dimension,
/// where im2col costs as much as the GEMM it feeds (LeNet's C3: 150 rows
/// over 100 positions), and where the CPU has the AVX2 + FMA kernel. A
/// pointwise convolution (1x1, or a kernel as large as the input) needs no
/// im2col at all: its GEMM reads the input as it is, so it stays there.
fn direct_pays(g: &ConvGeom) -> bool {
    direct::fits(g)
        && !g.is_pointwise()
        && g.group_rows() <= MAX_DIRECT_ROWS
        && g.out_plane() <= MAX_DIRECT_MAP
        && crate::ops::simd::avx2_fma()
}

/// The longest inner dimension `C·K²` and the largest output map that go
/// direct. Only LeNet's C3 (150 and 100) was measured; the bounds keep the
/// route to maps of that kind, short of where GEMM's cache blocking starts
/// to matter, rather than mark a measured crossover.
const MAX_DIRECT_ROWS: usize = 512;
const MAX_DIRECT_MAP: usize = 1024;
