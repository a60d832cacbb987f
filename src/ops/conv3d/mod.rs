//! 3D convolution and pooling on `(batch, C, D, H, W)` volumes (video,
//! fMRI, RGB volumes: lecture §1), with the size formula along each of the
//! three axes, as types for static sizes.
//!
//! [`conv3d`] is cross-correlation with stride, padding and dilation per
//! axis and groups; [`max_pool3d`] and [`avg_pool3d`] pool `KD x KH x KW`
//! windows. Each has a fast Cpu kernel (the volume unrolled into columns
//! and one matrix product per group; direct loops for pooling) and a
//! device-generic path of dfdx ops (windows gathered, then a matmul or a
//! reduction).
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{conv3d, max_pool3d, Conv3dSpec, Pool3dSpec};
//! use splotnet::typenum::{U1, U2, U3, U4, U8};
//!
//! let dev: Cpu = Default::default();
//! // one 8x8x8 volume, 2 filters of 3x3x3, padding 1: the size is kept
//! let x: Tensor<(usize, N<U1>, N<U8>, N<U8>, N<U8>), f32, Cpu> =
//!     dev.ones_like(&(1, N::new(), N::new(), N::new(), N::new()));
//! let w: Tensor<(N<U2>, N<U1>, N<U3>, N<U3>, N<U3>), f32, Cpu> = dev.ones();
//! let spec = Conv3dSpec::<(U1, U1, U1), (U1, U1, U1)>::new();
//! let y: Tensor<(usize, N<U2>, N<U8>, N<U8>, N<U8>), f32, Cpu> = conv3d(x, &w, None, spec).unwrap();
//! // an inner voxel sums all 27 inputs, a corner only 8
//! assert_eq!(y.as_vec()[(8 + 1) * 8 + 1], 27.0);
//! assert_eq!(y.as_vec()[0], 8.0);
//! let p: Tensor<(usize, N<U2>, N<U4>, N<U4>, N<U4>), f32, Cpu> =
//!     max_pool3d(y, Pool3dSpec::<(U2, U2, U2)>::new()).unwrap();
//! assert_eq!(p.as_vec()[0], 27.0);
//! ```

pub(crate) mod cpu;
pub mod generic;
#[cfg(test)]
mod tests;

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::U1;

use super::conv::{AxisGeom, UnsignedList};
use super::pool::PoolKind;
use super::tape::{read_contiguous, read_param, record};
use super::Backend;
use crate::formula::{Floor, SlidingWindow};
use crate::ops::pages::{writable, zeroed};
use crate::{Error, Result};

/// The runtime geometry of one 3D convolution or pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv3dGeom {
    /// Volumes in the batch.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels (equal to `c_in` for pooling).
    pub c_out: usize,
    /// Groups (1 for pooling).
    pub groups: usize,
    /// Depth, height and width axes.
    pub axes: [AxisGeom; 3],
}

impl Conv3dGeom {
    /// Positions of one input volume.
    pub fn in_vol(&self) -> usize {
        self.axes.iter().map(|a| a.input).product()
    }
    /// Positions of one output volume.
    pub fn out_vol(&self) -> usize {
        self.axes.iter().map(|a| a.output).product()
    }
    /// Taps of one kernel.
    pub fn taps(&self) -> usize {
        self.axes.iter().map(|a| a.k).product()
    }
    /// Input channels per group.
    pub fn group_in(&self) -> usize {
        self.c_in / self.groups
    }
    /// Output channels per group.
    pub fn group_out(&self) -> usize {
        self.c_out / self.groups
    }
    /// The position (in its volume) that output `o` reads at tap `t`, or
    /// `None` for padding.
    pub fn source(&self, o: usize, t: usize) -> Option<usize> {
        let [d, y, x] = self.axes;
        let (od, oy, ox) = (
            o / (y.output * x.output),
            o / x.output % y.output,
            o % x.output,
        );
        let (kd, ky, kx) = (t / (y.k * x.k), t / x.k % y.k, t % x.k);
        let id = d.source(od, kd)?;
        let iy = y.source(oy, ky)?;
        let ix = x.source(ox, kx)?;
        Some((id * y.input + iy) * x.input + ix)
    }
}

/// Hyper-parameters of a 3D convolution as typenum types: strides,
/// paddings and dilations as `(depth, height, width)` triples, and groups.
pub struct Conv3dSpec<S, P = (typenum::U0, typenum::U0, typenum::U0), Dl = (U1, U1, U1), G = U1>(
    PhantomData<(S, P, Dl, G)>,
);

/// Hyper-parameters of 3D pooling: the window, its stride (the window by
/// default) and padding, as `(depth, height, width)` triples.
pub struct Pool3dSpec<K, S = K, P = (typenum::U0, typenum::U0, typenum::U0)>(
    PhantomData<(K, S, P)>,
);

macro_rules! spec_value {
    ($name:ident<$($p:ident),*>) => {
        impl<$($p),*> $name<$($p),*> {
            /// The (zero-sized) spec value.
            pub const fn new() -> Self {
                $name(PhantomData)
            }
        }
        impl<$($p),*> Default for $name<$($p),*> {
            fn default() -> Self {
                Self::new()
            }
        }
        impl<$($p),*> Clone for $name<$($p),*> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($p),*> Copy for $name<$($p),*> {}
    };
}
spec_value!(Conv3dSpec<S, P, Dl, G>);
spec_value!(Pool3dSpec<K, S, P>);

fn err(op: &'static str) -> impl Fn(String) -> Error {
    move |m| Error::shape(op, m)
}

/// 3D cross-correlation of `(batch, C, D, H, W)` volumes with `O` filters
/// `(O, C / G, KD, KH, KW)` (PyTorch's layout) plus an optional bias.
#[allow(clippy::type_complexity)]
pub fn conv3d<B, C, D, H, W, O, Cg, KD, KH, KW, SD, SH, SW, PD, PH, PW, DD, DH, DW, G, Dev, T>(
    x: Tensor<(B, C, D, H, W), f32, Dev, T>,
    w: &Tensor<(O, Cg, KD, KH, KW), f32, Dev>,
    bias: Option<&Tensor<(O,), f32, Dev>>,
    _: Conv3dSpec<(SD, SH, SW), (PD, PH, PW), (DD, DH, DW), G>,
) -> Result<Tensor<(B, O, D::Output, H::Output, W::Output), f32, Dev, T>>
where
    B: Dim,
    C: Dim,
    O: Dim,
    Cg: Dim,
    KD: Dim,
    KH: Dim,
    KW: Dim,
    D: SlidingWindow<KD, SD, PD, DD, Floor>,
    H: SlidingWindow<KH, SH, PH, DH, Floor>,
    W: SlidingWindow<KW, SW, PW, DW, Floor>,
    (SD, SH, SW): UnsignedList<3>,
    (PD, PH, PW): UnsignedList<3>,
    (DD, DH, DW): UnsignedList<3>,
    G: typenum::Unsigned,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let e = err("conv3d");
    let (b, c, d, h, wd) = *x.shape();
    let (o, cg, kd, kh, kw) = *w.shape();
    let groups = G::USIZE;
    if groups == 0 || cg.size() * groups != c.size() || o.size() % groups != 0 {
        return Err(e(format!(
            "{} input channels do not split into {groups} groups of {} (the filters' depth), or {} filters into {groups} groups",
            c.size(),
            cg.size(),
            o.size()
        )));
    }
    let (s, p, dl) = (
        <(SD, SH, SW)>::values(),
        <(PD, PH, PW)>::values(),
        <(DD, DH, DW)>::values(),
    );
    let (ks, ins) = (
        [kd.size(), kh.size(), kw.size()],
        [d.size(), h.size(), wd.size()],
    );
    let mut axes = [AxisGeom::UNIT; 3];
    for i in 0..3 {
        axes[i] = AxisGeom::sliding(ins[i], ks[i], s[i], p[i], dl[i]).map_err(&e)?;
    }
    let (od, oh, ow) = (
        d.slide(&kd).map_err(&e)?,
        h.slide(&kh).map_err(&e)?,
        wd.slide(&kw).map_err(&e)?,
    );
    let g = Conv3dGeom {
        batch: b.size(),
        c_in: c.size(),
        c_out: o.size(),
        groups,
        axes,
    };
    Dev::conv3d(x, w, bias, &g, (b, o, od, oh, ow))
}

macro_rules! pool3d_fn {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[allow(clippy::type_complexity)]
        pub fn $name<B, C, D, H, W, KD, KH, KW, SD, SH, SW, PD, PH, PW, Dev, T>(
            x: Tensor<(B, C, D, H, W), f32, Dev, T>,
            spec: Pool3dSpec<(KD, KH, KW), (SD, SH, SW), (PD, PH, PW)>,
        ) -> Result<Tensor<(B, C, D::Output, H::Output, W::Output), f32, Dev, T>>
        where
            B: Dim,
            C: Dim,
            KD: crate::dims::Size,
            KH: crate::dims::Size,
            KW: crate::dims::Size,
            D: SlidingWindow<crate::dims::N<KD>, SD, PD, U1, Floor>,
            H: SlidingWindow<crate::dims::N<KH>, SH, PH, U1, Floor>,
            W: SlidingWindow<crate::dims::N<KW>, SW, PW, U1, Floor>,
            (SD, SH, SW): UnsignedList<3>,
            (PD, PH, PW): UnsignedList<3>,
            Dev: Backend,
            T: Tape<f32, Dev>,
        {
            pool3d(x, spec, $kind, stringify!($name))
        }
    };
}

pool3d_fn!(
    /// 3D max pooling; the gradient goes to each window's maximum.
    max_pool3d,
    PoolKind::Max
);
pool3d_fn!(
    /// 3D average pooling (padding counts as zeros in the mean).
    avg_pool3d,
    PoolKind::Avg
);

#[allow(clippy::type_complexity)]
fn pool3d<B, C, D, H, W, KD, KH, KW, SD, SH, SW, PD, PH, PW, Dev, T>(
    x: Tensor<(B, C, D, H, W), f32, Dev, T>,
    _: Pool3dSpec<(KD, KH, KW), (SD, SH, SW), (PD, PH, PW)>,
    kind: PoolKind,
    op: &'static str,
) -> Result<Tensor<(B, C, D::Output, H::Output, W::Output), f32, Dev, T>>
where
    B: Dim,
    C: Dim,
    KD: crate::dims::Size,
    KH: crate::dims::Size,
    KW: crate::dims::Size,
    D: SlidingWindow<crate::dims::N<KD>, SD, PD, U1, Floor>,
    H: SlidingWindow<crate::dims::N<KH>, SH, PH, U1, Floor>,
    W: SlidingWindow<crate::dims::N<KW>, SW, PW, U1, Floor>,
    (SD, SH, SW): UnsignedList<3>,
    (PD, PH, PW): UnsignedList<3>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let e = err(op);
    let (b, c, d, h, w) = *x.shape();
    let (s, p) = (<(SD, SH, SW)>::values(), <(PD, PH, PW)>::values());
    let ks = [KD::USIZE, KH::USIZE, KW::USIZE];
    let ins = [d.size(), h.size(), w.size()];
    let mut axes = [AxisGeom::UNIT; 3];
    for i in 0..3 {
        if 2 * p[i] > ks[i] {
            return Err(e(format!(
                "padding {} is more than half the window {}: a window could hold only padding",
                p[i], ks[i]
            )));
        }
        axes[i] = AxisGeom::sliding(ins[i], ks[i], s[i], p[i], 1).map_err(&e)?;
    }
    use crate::dims::N;
    let (od, oh, ow) = (
        d.slide(&N::<KD>::new()).map_err(&e)?,
        h.slide(&N::<KH>::new()).map_err(&e)?,
        w.slide(&N::<KW>::new()).map_err(&e)?,
    );
    let g = Conv3dGeom {
        batch: b.size(),
        c_in: c.size(),
        c_out: c.size(),
        groups: 1,
        axes,
    };
    Dev::pool3d(x, kind, &g, (b, c, od, oh, ow))
}

pub(crate) fn conv3d_cpu<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    w: &Tensor<Sw, f32, Cpu>,
    bias: Option<&Tensor<(O,), f32, Cpu>>,
    g: &Conv3dGeom,
    out: So,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    let (x, xs) = read_contiguous(x)?;
    let ws = read_param(w)?;
    let bs = bias.map(read_param).transpose()?;
    let mut y = zeroed(g.batch * g.c_out * g.out_vol());
    cpu::forward(&g, &xs, &ws, bs.as_deref(), &mut y);
    let (x, tape) = x.split_tape();
    let (xg, wg, bg) = (x.ghost(), w.ghost(), bias.map(|b| b.ghost()));
    record(x.device(), tape, y, out, move |dy, grads| {
        if let Some(bg) = &bg {
            cpu::bias_backward(&g, dy, writable(grads.get_or_alloc_mut(bg)?));
        }
        cpu::weight_backward(&g, &xs, dy, writable(grads.get_or_alloc_mut(&wg)?));
        cpu::input_backward(&g, &ws, dy, writable(grads.get_or_alloc_mut(&xg)?));
        Ok(())
    })
}

pub(crate) fn pool3d_cpu<Si: Shape, So: Shape, T: Tape<f32, Cpu>>(
    x: Tensor<Si, f32, Cpu, T>,
    kind: PoolKind,
    g: &Conv3dGeom,
    out: So,
) -> Result<Tensor<So, f32, Cpu, T>> {
    let g = *g;
    let (x, xs) = read_contiguous(x)?;
    let mut y = zeroed(g.batch * g.c_out * g.out_vol());
    let mut argmax = vec![0u32; if kind == PoolKind::Max { y.len() } else { 0 }];
    cpu::pool_forward(&g, kind, &xs, &mut y, &mut argmax);
    let (x, tape) = x.split_tape();
    let xg = x.ghost();
    record(x.device(), tape, y, out, move |dy, grads| {
        cpu::pool_backward(
            &g,
            kind,
            &argmax,
            dy,
            writable(grads.get_or_alloc_mut(&xg)?),
        );
        Ok(())
    })
}

/// The 3D convolution and pooling kernels of a device.
///
/// The default methods are the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides them with its fast kernels.
pub trait Conv3dKernel: crate::ops::F32Device {
    /// 3D convolution for geometry `g`.
    fn conv3d<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &Conv3dGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        generic::conv3d(x, w, bias, g, out)
    }

    /// 3D pooling of kind `kind` (max or average) for geometry `g`.
    fn pool3d<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &Conv3dGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        generic::pool3d(x, kind, g, out)
    }
}

impl Conv3dKernel for Cpu {
    fn conv3d<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &Conv3dGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        conv3d_cpu(x, w, bias, g, out)
    }

    fn pool3d<Si: Shape, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        kind: PoolKind,
        g: &Conv3dGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        pool3d_cpu(x, kind, g, out)
    }
}

#[cfg(feature = "cuda")]
impl Conv3dKernel for Cuda {}
