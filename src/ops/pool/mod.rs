//! Pooling: max, average and L2-norm over sliding windows (overlapping
//! windows and padding included), and global average/max pooling.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{max_pool2d, Pool2dSpec};
//! use splotnet::typenum::{U1, U2, U3, U27, U13};
//!
//! let dev: Cpu = Default::default();
//! let x: Tensor<(usize, N<U3>, N<U27>, N<U27>), f32, Cpu> =
//!     dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
//! // AlexNet's overlapping pooling, K = 3, S = 2: (27 - 3)/2 + 1 = 13
//! let y: Tensor<(usize, N<U3>, N<U13>, N<U13>), f32, Cpu> =
//!     max_pool2d(x.clone(), Pool2dSpec::<U3, U3, U2, U2>::new()).unwrap();
//! // output (0, 0) of channel 0 is the largest of its 3x3 window
//! let xs = x.as_vec();
//! let window = (0..3).flat_map(|r| xs[r * 27..r * 27 + 3].to_vec());
//! assert_eq!(y.as_vec()[0], window.fold(f32::MIN, f32::max));
//!
//! // the lecture's 4x4 example, 2x2 windows at stride 2
//! use splotnet::ops::avg_pool2d;
//! use splotnet::typenum::U4;
//! let m: Tensor<(usize, N<U1>, N<U4>, N<U4>), f32, Cpu> = dev.tensor_from_vec(
//!     vec![1., 1., 2., 4., 5., 6., 7., 8., 3., 2., 1., 0., 1., 2., 3., 4.],
//!     (1, N::new(), N::new(), N::new()),
//! );
//! let max = max_pool2d(m.clone(), Pool2dSpec::<U2>::new()).unwrap();
//! assert_eq!(max.as_vec(), [6., 8., 3., 4.]);
//! let avg = avg_pool2d(m, Pool2dSpec::<U2>::new()).unwrap();
//! assert_eq!(avg.as_vec(), [3.25, 5.25, 2.0, 2.0]);
//! ```

#[cfg(target_arch = "x86_64")]
mod avx2;
pub(crate) mod cpu;
pub mod generic;
pub mod subsample;
pub mod switches;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod unpool_tests;

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::{Unsigned, U0, U1};

use super::conv::AxisGeom;
use super::tape::{read_contiguous, record};
use super::Backend;
use crate::dims::N;
use crate::formula::{Floor, Rounding, SlidingWindow};
use crate::{Error, Result};

/// How a pooling window is reduced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    /// The largest value; the gradient goes to the arg-max only.
    Max,
    /// The mean over the window, padding counted as zeros (PyTorch's default).
    Avg,
    /// The L2 norm `sqrt(Σ x²)` over the window.
    L2,
}

impl PoolKind {
    fn name(self) -> &'static str {
        match self {
            PoolKind::Max => "max_pool2d",
            PoolKind::Avg => "avg_pool2d",
            PoolKind::L2 => "l2_pool2d",
        }
    }
}

/// The runtime geometry of one pooling call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeom {
    /// Images in the batch.
    pub batch: usize,
    /// Channels (each pooled on its own).
    pub channels: usize,
    /// The vertical axis (dilation 1).
    pub y: AxisGeom,
    /// The horizontal axis (dilation 1).
    pub x: AxisGeom,
}

impl PoolGeom {
    /// Positions of one input plane.
    pub fn in_plane(&self) -> usize {
        self.y.input * self.x.input
    }
    /// Positions of one output plane.
    pub fn out_plane(&self) -> usize {
        self.y.output * self.x.output
    }
    /// Planes in the batch.
    pub fn planes(&self) -> usize {
        self.batch * self.channels
    }
}

/// Hyper-parameters of 2D pooling as typenum types: kernel, stride (defaults
/// to the kernel: non-overlapping windows), padding, rounding.
pub struct Pool2dSpec<KH, KW = KH, SH = KH, SW = KW, PH = U0, PW = PH, M = Floor>(
    PhantomData<(KH, KW, SH, SW, PH, PW, M)>,
);

impl<KH, KW, SH, SW, PH, PW, M> Pool2dSpec<KH, KW, SH, SW, PH, PW, M> {
    /// The (zero-sized) spec value.
    pub const fn new() -> Self {
        Pool2dSpec(PhantomData)
    }
}
impl<KH, KW, SH, SW, PH, PW, M> Clone for Pool2dSpec<KH, KW, SH, SW, PH, PW, M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<KH, KW, SH, SW, PH, PW, M> Copy for Pool2dSpec<KH, KW, SH, SW, PH, PW, M> {}
impl<KH, KW, SH, SW, PH, PW, M> Default for Pool2dSpec<KH, KW, SH, SW, PH, PW, M> {
    fn default() -> Self {
        Self::new()
    }
}

/// Pooling as a method on a batch of maps: `x.try_max_pool2d(spec)`, and
/// `try_avg_pool2d`, `try_l2_pool2d`. The size rules are this impl's bounds,
/// stated once; the free functions call it.
pub trait TryPool2d<Spec>: Sized {
    /// The pooled maps.
    type Output;

    /// Pooling of `kind` over the windows of `spec`.
    fn try_pool2d(self, kind: PoolKind, spec: Spec) -> Result<Self::Output>;

    /// Max pooling; the gradient is routed to each window's arg-max.
    fn try_max_pool2d(self, spec: Spec) -> Result<Self::Output> {
        self.try_pool2d(PoolKind::Max, spec)
    }

    /// Average pooling (padding counts as zeros in the mean).
    fn try_avg_pool2d(self, spec: Spec) -> Result<Self::Output> {
        self.try_pool2d(PoolKind::Avg, spec)
    }

    /// L2-norm pooling: `sqrt(Σ x²)` over each window.
    fn try_l2_pool2d(self, spec: Spec) -> Result<Self::Output> {
        self.try_pool2d(PoolKind::L2, spec)
    }
}

macro_rules! pool_fn {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        ///
        /// The bounds are the size rules, stated here too so that a broken
        /// rule is reported at this call with its own message.
        #[allow(clippy::type_complexity)]
        pub fn $name<B, C, H, W, KH, KW, SH, SW, PH, PW, M, Dev, T>(
            x: Tensor<(B, C, H, W), f32, Dev, T>,
            spec: Pool2dSpec<KH, KW, SH, SW, PH, PW, M>,
        ) -> Result<Tensor<(B, C, H::Output, W::Output), f32, Dev, T>>
        where
            B: Dim,
            C: Dim,
            KH: crate::dims::Size,
            KW: crate::dims::Size,
            SH: Unsigned,
            SW: Unsigned,
            PH: Unsigned,
            PW: Unsigned,
            M: Rounding,
            H: SlidingWindow<N<KH>, SH, PH, U1, M>,
            W: SlidingWindow<N<KW>, SW, PW, U1, M>,
            Dev: Backend,
            T: Tape<f32, Dev>,
        {
            x.$method(spec)
        }
    };
}

pool_fn!(
    /// Max pooling; the gradient is routed to each window's arg-max.
    max_pool2d,
    try_max_pool2d
);
pool_fn!(
    /// Average pooling (padding counts as zeros in the mean).
    avg_pool2d,
    try_avg_pool2d
);
pool_fn!(
    /// L2-norm pooling: `sqrt(Σ x²)` over each window.
    l2_pool2d,
    try_l2_pool2d
);

#[allow(clippy::type_complexity)]
impl<B, C, H, W, KH, KW, SH, SW, PH, PW, M, Dev, T> TryPool2d<Pool2dSpec<KH, KW, SH, SW, PH, PW, M>>
    for Tensor<(B, C, H, W), f32, Dev, T>
where
    B: Dim,
    C: Dim,
    KH: crate::dims::Size,
    KW: crate::dims::Size,
    SH: Unsigned,
    SW: Unsigned,
    PH: Unsigned,
    PW: Unsigned,
    M: Rounding,
    H: SlidingWindow<N<KH>, SH, PH, U1, M>,
    W: SlidingWindow<N<KW>, SW, PW, U1, M>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, C, H::Output, W::Output), f32, Dev, T>;

    fn try_pool2d(
        self,
        kind: PoolKind,
        spec: Pool2dSpec<KH, KW, SH, SW, PH, PW, M>,
    ) -> Result<Self::Output> {
        let (b, c, h, w) = *self.shape();
        let (g, ho, wo) = geometry(kind, spec, (b, c, h, w))?;
        Dev::pool(self, kind, &g, (b, c, ho, wo))
    }
}

/// The geometry of pooling `(b, c, h, w)` maps over the windows of `spec`,
/// and the output's height and width; the rules a pooling call must meet
/// are checked here.
#[allow(clippy::type_complexity)]
pub(crate) fn geometry<B, C, H, W, KH, KW, SH, SW, PH, PW, M>(
    kind: PoolKind,
    _: Pool2dSpec<KH, KW, SH, SW, PH, PW, M>,
    (b, c, h, w): (B, C, H, W),
) -> Result<(PoolGeom, H::Output, W::Output)>
where
    B: Dim,
    C: Dim,
    KH: crate::dims::Size,
    KW: crate::dims::Size,
    SH: Unsigned,
    SW: Unsigned,
    PH: Unsigned,
    PW: Unsigned,
    M: Rounding,
    H: SlidingWindow<N<KH>, SH, PH, U1, M>,
    W: SlidingWindow<N<KW>, SW, PW, U1, M>,
{
    let op = kind.name();
    let err = |m: String| Error::shape(op, m);
    if M::ROUND == splotnet_sizes::Round::Ceil && kind != PoolKind::Max {
        return Err(Error::shape(
            op,
            "ceil mode is for max pooling: PyTorch's divisor for a clipped average window is not implemented",
        ));
    }
    for (k, p) in [(KH::USIZE, PH::USIZE), (KW::USIZE, PW::USIZE)] {
        if 2 * p > k {
            return Err(Error::shape(
                op,
                format!("padding {p} is more than half the kernel {k}: a window could hold only padding"),
            ));
        }
    }
    let g = PoolGeom {
        batch: b.size(),
        channels: c.size(),
        y: AxisGeom::window(h.size(), KH::USIZE, SH::USIZE, PH::USIZE, 1, M::ROUND).map_err(err)?,
        x: AxisGeom::window(w.size(), KW::USIZE, SW::USIZE, PW::USIZE, 1, M::ROUND).map_err(err)?,
    };
    let ho: H::Output = g.y.output_dim().map_err(err)?;
    let wo: W::Output = g.x.output_dim().map_err(err)?;
    Ok((g, ho, wo))
}

/// The Cpu pooling on dfdx's tape.
pub(crate) fn pool_cpu<Si: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    kind: PoolKind,
    g: &PoolGeom,
    out: So,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    if x.shape().num_elements() != g.planes() * g.in_plane() {
        return Err(Error::shape(
            kind.name(),
            format!("input size does not match {g:?}"),
        ));
    }
    let (x, xs) = read_contiguous(x)?;
    let (x, tape) = x.split_tape();
    let mut y = crate::ops::pages::zeroed(g.planes() * g.out_plane());
    // the route of the gradient is only needed when a tape will run backward
    let mut argmax = if kind == PoolKind::Max && T::OWNS_TAPE {
        vec![0u32; y.len()]
    } else {
        Vec::new()
    };
    cpu::forward(&g, kind, &xs, &mut y, &mut argmax);
    // the backward pass of avg pooling needs neither x nor y; L2 needs both
    let keep = kind == PoolKind::L2;
    let ys = if keep { y.clone() } else { Vec::new() };
    // (a copy not kept goes back to the spare buffers here)
    let xs = keep.then_some(xs);
    let xg = x.ghost();
    record(x.device(), tape, y, out, move |dy, grads| {
        cpu::backward(
            &g,
            kind,
            xs.as_deref().unwrap_or_default(),
            &ys,
            &argmax,
            dy,
            crate::ops::pages::writable(grads.get_or_alloc_mut(&xg)?),
        );
        Ok(())
    })
}

/// Global average pooling: one value per channel, `(batch, C, H, W) -> (batch, C)`.
///
/// Replaces a large dense head at no parameter cost (GoogLeNet, ResNet).
pub fn global_avg_pool2d<B: Dim, C: Dim, H: Dim, W: Dim, Dev: Backend, T: Tape<f32, Dev>>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
) -> Result<Tensor<(B, C), f32, Dev, T>> {
    Ok(x.try_mean::<_, Axes2<2, 3>>()?)
}

/// Global max pooling: the largest value per channel, `(batch, C, H, W) -> (batch, C)`.
pub fn global_max_pool2d<B: Dim, C: Dim, H: Dim, W: Dim, Dev: Backend, T: Tape<f32, Dev>>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
) -> Result<Tensor<(B, C), f32, Dev, T>> {
    Ok(x.try_max::<_, Axes2<2, 3>>()?)
}

/// The pooling kernel of a device.
///
/// The default methods are the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides them with its fast kernels.
pub trait PoolKernel: crate::ops::F32Device {
    /// Pooling of kind `kind` for geometry `g`.
    fn pool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &PoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        generic::pool(x, kind, g, out)
    }

    /// Max pooling that also gives each window's arg-max in its input
    /// plane (one per output, plane after plane).
    fn max_pool_switched<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        g: &PoolGeom,
        out: So,
    ) -> Result<(Tensor<So, f32, Self, T>, Vec<u32>)> {
        switches::generic_switched(x, g, out)
    }

    /// Per-plane gather: output `o` of plane `p` is input `idx[p·n_out + o]`
    /// of that plane, or 0 for [`switches::NONE`].
    fn gather_planes<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        idx: std::sync::Arc<Vec<u32>>,
        n_in: usize,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        switches::generic_gather(x, &idx, n_in, out)
    }

    /// LeNet's trainable subsampling: per map `c`, `a_c · Σ window + b_c`
    /// over windows that tile the maps (see [`subsample`]), then `squash`
    /// when given.
    fn subsample<Si: Shape, C: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        coef: &Tensor<(C,), f32, Self>,
        bias: &Tensor<(C,), f32, Self>,
        g: &PoolGeom,
        out: So,
        squash: Option<crate::ops::Squash>,
    ) -> Result<Tensor<So, f32, Self, T>> {
        let y = subsample::generic(x, coef, bias, g, out)?;
        match squash {
            Some(q) => q.apply(y),
            None => Ok(y),
        }
    }
}

impl PoolKernel for Cpu {
    fn pool<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &PoolGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        pool_cpu(x, kind, g, out)
    }

    fn max_pool_switched<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        g: &PoolGeom,
        out: So,
    ) -> Result<(Tensor<So, f32, Self, T>, Vec<u32>)> {
        switches::cpu_switched(x, g, out)
    }

    fn gather_planes<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        idx: std::sync::Arc<Vec<u32>>,
        n_in: usize,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        switches::cpu_gather(x, idx, n_in, out)
    }

    fn subsample<Si: Shape, C: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        coef: &Tensor<(C,), f32, Self>,
        bias: &Tensor<(C,), f32, Self>,
        g: &PoolGeom,
        out: So,
        squash: Option<crate::ops::Squash>,
    ) -> Result<Tensor<So, f32, Self, T>> {
        subsample::cpu(x, coef, bias, g, out, squash)
    }
}

#[cfg(feature = "cuda")]
impl PoolKernel for Cuda {}
