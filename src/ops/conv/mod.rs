//! Convolutions: conv1d, conv2d, true convolution, transposed conv2d.
//!
//! All four share one geometry ([`ConvGeom`]) and three Cpu kernels: a
//! transposed convolution is the backward-data pass of the convolution it
//! inverts, and conv1d is conv2d on one row.
//!
//! Each kernel runs by the route its shape makes fastest: Winograd's
//! F(4x4, 3x3) for 3x3 stride-1 convolutions on maps of 8x8 and more (see
//! [`set_winograd`] for its rounding), one GEMM per kernel tap for small
//! padded maps, and im2col + GEMM otherwise.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::ops::{conv2d, Conv2dSpec};
//! use splotnet::typenum::{U1, U16, U2, U3, U32, U8};
//!
//! let dev: Cpu = Default::default();
//! let x: Tensor<(usize, N<U3>, N<U32>, N<U32>), f32, Cpu> =
//!     dev.sample_normal_like(&(4, N::new(), N::new(), N::new()));
//! let w: Tensor<(N<U8>, N<U3>, N<U3>, N<U3>), f32, Cpu> = dev.sample_normal();
//! let b: Tensor<(N<U8>,), f32, Cpu> = dev.zeros();
//! // stride 2, padding 1: (32 + 2 - 3)/2 + 1 = 16, computed by the compiler
//! let y: Tensor<(usize, N<U8>, N<U16>, N<U16>), f32, Cpu> =
//!     conv2d(x, &w, Some(&b), Conv2dSpec::<U2, U2, U1, U1>::new()).unwrap();
//! assert_eq!(y.shape().concrete(), [4, 8, 16, 16]);
//! ```

mod batched;
mod channels;
pub(crate) mod cpu;
pub(crate) mod cpu_tape;
mod direct;
pub mod generic;
mod geom;
mod grouped;
mod im2col;
mod per_image;
mod rotated;
mod scratch;
pub(crate) mod strategy;
mod tapwise;
mod winograd;

#[cfg(test)]
mod tests;

use core::marker::PhantomData;
use dfdx::prelude::*;
use typenum::{Unsigned, U0, U1};

pub use channels::{ChannelsMatch, GroupInputOf, TimesGroups};
pub use geom::{AxisGeom, ConvGeom};
pub use strategy::{set_winograd, winograd_enabled};

use super::{Backend, Squash};
use crate::formula::{Floor, Rounding, SlidingWindow, TransposedWindow};
use crate::{Error, Result};

macro_rules! spec_type {
    ($(#[$doc:meta])* $name:ident < $($p:ident $(= $def:ty)?),* >) => {
        $(#[$doc])*
        pub struct $name<$($p $(= $def)?),*>(PhantomData<($($p,)*)>);
        impl<$($p),*> $name<$($p),*> {
            /// The (zero-sized) spec value.
            pub const fn new() -> Self {
                $name(PhantomData)
            }
        }
        impl<$($p),*> Clone for $name<$($p),*> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($p),*> Copy for $name<$($p),*> {}
        impl<$($p),*> Default for $name<$($p),*> {
            fn default() -> Self {
                Self::new()
            }
        }
        impl<$($p),*> core::fmt::Debug for $name<$($p),*> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

spec_type! {
    /// Hyper-parameters of a 2D convolution as typenum types: stride, padding
    /// and dilation per axis (`H` then `W`; `W` defaults to `H`), groups and
    /// rounding. The kernel size comes from the weight's type.
    ///
    /// Write `<Conv2dSpec>::new()` for all defaults (stride 1, no padding):
    /// Rust fills default type parameters in type position only, so
    /// `Conv2dSpec::new()` alone would leave them to inference.
    Conv2dSpec<SH = U1, SW = SH, PH = U0, PW = PH, DH = U1, DW = DH, G = U1, M = Floor>
}

spec_type! {
    /// Hyper-parameters of a 1D convolution: stride, padding, dilation, groups, rounding.
    Conv1dSpec<S = U1, P = U0, D = U1, G = U1, M = Floor>
}

spec_type! {
    /// Hyper-parameters of a transposed 2D convolution: stride, padding,
    /// output padding and dilation per axis, and groups.
    ConvTranspose2dSpec<SH = U1, SW = SH, PH = U0, PW = PH, OPH = U0, OPW = OPH, DH = U1, DW = DH, G = U1>
}

fn shape_err(op: &'static str) -> impl Fn(String) -> Error {
    move |m| Error::shape(op, m)
}

/// 2D convolution as a method on a batch of maps: `x.try_conv2d(&w, bias,
/// spec)`, `try_conv2d_on_data` and `try_convolve2d`; the free functions
/// call it.
///
/// ```
/// use splotnet::prelude::*;
/// use splotnet::ops::{Conv2dSpec, TryConv2d};
/// use splotnet::typenum::{U1, U2, U3};
///
/// let dev: Cpu = Default::default();
/// // a 3x3 map and the 2x2 kernel [[1, 2], [0, 0]]: each output is its
/// // window times the kernel, so the top-left one is 1·1 + 2·2 = 5
/// let x: Tensor<(usize, N<U1>, N<U3>, N<U3>), f32, Cpu> = dev.tensor_from_vec(
///     vec![1., 2., 3., 4., 5., 6., 7., 8., 9.],
///     (1, N::new(), N::new(), N::new()),
/// );
/// let w: Tensor<(N<U1>, N<U1>, N<U2>, N<U2>), f32, Cpu> =
///     dev.tensor_from_vec(vec![1., 2., 0., 0.], (N::new(), N::new(), N::new(), N::new()));
/// let y = x.clone().try_conv2d(&w, None, <Conv2dSpec>::new()).unwrap();
/// assert_eq!(y.as_vec(), [5., 8., 14., 17.]);
/// // the true convolution rotates the kernel to [[0, 0], [2, 1]]: 4·2 + 5·1 = 13
/// let z = x.try_convolve2d(&w, None, <Conv2dSpec>::new()).unwrap();
/// assert_eq!(z.as_vec(), [13., 16., 22., 25.]);
/// ```
pub trait TryConv2d<Wt, Spec>: Sized {
    /// The output maps.
    type Output;
    /// The bias: one value per filter.
    type Bias;

    /// The correlation with `w` (rotated 180° when `flipped`: a true
    /// convolution); `data_input` skips the input's gradient.
    #[doc(hidden)]
    fn try_correlate2d(
        self,
        w: &Wt,
        bias: Option<&Self::Bias>,
        flipped: bool,
        data_input: bool,
        squash: Option<Squash>,
        op: &'static str,
    ) -> Result<Self::Output>;

    /// 2D cross-correlation, the "convolution" of CNN layers:
    /// `y[n,o,i,j] = b[o] + Σ_{c,m,k} w[o,c,m,k] · x[n, c, i·S + m·D - P, j·S + k·D - P]`.
    ///
    /// `x: (batch, C, H, W)`, `w: (O, C/G, KH, KW)`, `bias: (O,)`; the output
    /// `(batch, O, H', W')` has sizes from [`SlidingWindow`]: static in, static
    /// out (checked by the compiler); `usize` in, `usize` out (checked here).
    fn try_conv2d(self, w: &Wt, bias: Option<&Self::Bias>, _spec: Spec) -> Result<Self::Output> {
        self.try_correlate2d(w, bias, false, false, None, "conv2d")
    }

    /// [`conv2d`] for a layer whose input is data: no gradient is computed for
    /// `x` on the Cpu path (asking dfdx for it afterwards panics); parameters'
    /// gradients are unchanged. For the first layer of a training pass.
    fn try_conv2d_on_data(
        self,
        w: &Wt,
        bias: Option<&Self::Bias>,
        _spec: Spec,
    ) -> Result<Self::Output> {
        self.try_correlate2d(w, bias, false, true, None, "conv2d")
    }

    /// True 2D convolution: the kernel rotated 180°, then [`conv2d`].
    ///
    /// `convolve2d(x, w) == conv2d(x, rot180(w))`; the lecture's
    /// `(x * w)(t) = Σ_a x(a) w(t - a)` as opposed to cross-correlation.
    fn try_convolve2d(
        self,
        w: &Wt,
        bias: Option<&Self::Bias>,
        _spec: Spec,
    ) -> Result<Self::Output> {
        self.try_correlate2d(w, bias, true, false, None, "convolve2d")
    }

    /// [`conv2d`] followed by `squash` (tanh or LeCun's scaled tanh), as
    /// one op (see [`Squash`]); `data_input` as in
    /// [`try_conv2d_on_data`](Self::try_conv2d_on_data).
    fn try_conv2d_squashed(
        self,
        w: &Wt,
        bias: Option<&Self::Bias>,
        _spec: Spec,
        squash: Squash,
        data_input: bool,
    ) -> Result<Self::Output> {
        self.try_correlate2d(w, bias, false, data_input, Some(squash), "conv2d")
    }
}

/// The free function of each [`TryConv2d`] method. The bounds are the size
/// rules, stated here too so that a broken rule is reported at the call with
/// its own message.
macro_rules! conv2d_fn {
    ($(#[$doc:meta])* $name:ident, $method:ident) => {
        $(#[$doc])*
        #[allow(clippy::type_complexity)]
        pub fn $name<B, C, H, W, O, Cg, KH, KW, SH, SW, PH, PW, DH, DW, G, M, Dev, T>(
            x: Tensor<(B, C, H, W), f32, Dev, T>,
            w: &Tensor<(O, Cg, KH, KW), f32, Dev>,
            bias: Option<&Tensor<(O,), f32, Dev>>,
            spec: Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>,
        ) -> Result<Tensor<(B, O, H::Output, W::Output), f32, Dev, T>>
        where
            B: Dim,
            C: Dim,
            O: Dim,
            Cg: GroupInputOf<C, G>,
            KH: Dim,
            KW: Dim,
            H: SlidingWindow<KH, SH, PH, DH, M>,
            W: SlidingWindow<KW, SW, PW, DW, M>,
            (SH, SW, PH, PW, DH, DW, G): UnsignedList<7>,
            M: Rounding,
            Dev: Backend,
            T: Tape<f32, Dev>,
        {
            x.$method(w, bias, spec)
        }
    };
}

conv2d_fn!(
    /// 2D cross-correlation (see [`TryConv2d::try_conv2d`]).
    conv2d,
    try_conv2d
);
conv2d_fn!(
    /// [`conv2d`] on the network's input (see [`TryConv2d::try_conv2d_on_data`]).
    conv2d_on_data,
    try_conv2d_on_data
);
conv2d_fn!(
    /// The true convolution (see [`TryConv2d::try_convolve2d`]).
    convolve2d,
    try_convolve2d
);

#[allow(clippy::type_complexity)]
impl<B, C, H, W, O, Cg, KH, KW, SH, SW, PH, PW, DH, DW, G, M, Dev, T>
    TryConv2d<Tensor<(O, Cg, KH, KW), f32, Dev>, Conv2dSpec<SH, SW, PH, PW, DH, DW, G, M>>
    for Tensor<(B, C, H, W), f32, Dev, T>
where
    B: Dim,
    C: Dim,
    O: Dim,
    Cg: GroupInputOf<C, G>,
    KH: Dim,
    KW: Dim,
    H: SlidingWindow<KH, SH, PH, DH, M>,
    W: SlidingWindow<KW, SW, PW, DW, M>,
    (SH, SW, PH, PW, DH, DW, G): UnsignedList<7>,
    M: Rounding,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    type Output = Tensor<(B, O, H::Output, W::Output), f32, Dev, T>;
    type Bias = Tensor<(O,), f32, Dev>;

    fn try_correlate2d(
        self,
        w: &Tensor<(O, Cg, KH, KW), f32, Dev>,
        bias: Option<&Self::Bias>,
        flipped: bool,
        data_input: bool,
        squash: Option<Squash>,
        op: &'static str,
    ) -> Result<Self::Output> {
        let x = self;
        let (b, c, h, wd) = *x.shape();
        let (o, cg, kh, kw) = *w.shape();
        cg.check(&c).map_err(shape_err(op))?;
        let [sh, sw, ph, pw, dh, dw, groups] = <(SH, SW, PH, PW, DH, DW, G)>::values();
        let g = ConvGeom {
            batch: b.size(),
            c_in: c.size(),
            c_out: o.size(),
            groups,
            y: AxisGeom::window(h.size(), kh.size(), sh, ph, dh, M::ROUND)
                .map_err(shape_err(op))?,
            x: AxisGeom::window(wd.size(), kw.size(), sw, pw, dw, M::ROUND)
                .map_err(shape_err(op))?,
            flipped,
            data_input,
        };
        let ho: H::Output = g.y.output_dim().map_err(shape_err(op))?;
        let wo: W::Output = g.x.output_dim().map_err(shape_err(op))?;
        match squash {
            Some(q) => Dev::conv_squashed(x, w, bias, &g, (b, o, ho, wo), q),
            None => Dev::conv(x, w, bias, &g, (b, o, ho, wo)),
        }
    }
}

/// 1D cross-correlation over `x: (batch, C, L)` with `w: (O, C/G, K)`.
pub fn conv1d<B, C, L, O, Cg, K, S, P, D, G, M, Dev, T>(
    x: Tensor<(B, C, L), f32, Dev, T>,
    w: &Tensor<(O, Cg, K), f32, Dev>,
    bias: Option<&Tensor<(O,), f32, Dev>>,
    _spec: Conv1dSpec<S, P, D, G, M>,
) -> Result<Tensor<(B, O, L::Output), f32, Dev, T>>
where
    B: Dim,
    C: Dim,
    O: Dim,
    Cg: GroupInputOf<C, G>,
    K: Dim,
    L: SlidingWindow<K, S, P, D, M>,
    (S, P, D, G): UnsignedList<4>,
    M: Rounding,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let (b, c, l) = *x.shape();
    let (o, cg, k) = *w.shape();
    cg.check(&c).map_err(shape_err("conv1d"))?;
    let [s, p, d, groups] = <(S, P, D, G)>::values();
    let g = ConvGeom {
        batch: b.size(),
        c_in: c.size(),
        c_out: o.size(),
        groups,
        y: AxisGeom::UNIT,
        x: AxisGeom::window(l.size(), k.size(), s, p, d, M::ROUND).map_err(shape_err("conv1d"))?,
        flipped: false,
        data_input: false,
    };
    let lo: L::Output = g.x.output_dim().map_err(shape_err("conv1d"))?;
    Dev::conv(x, w, bias, &g, (b, o, lo))
}

/// Transposed 2D convolution ("deconvolution"): every input value scales the
/// kernel, and the scaled copies add up where they overlap.
///
/// `x: (batch, C, H, W)`, `w: (C, O/G, KH, KW)` (PyTorch's layout),
/// `bias: (O,)`; output sizes `(in - 1)S - 2P + D(K-1) + 1 + OP`.
#[allow(clippy::type_complexity)]
pub fn conv_transpose2d<B, C, H, W, Og, KH, KW, SH, SW, PH, PW, OPH, OPW, DH, DW, G, Dev, T>(
    x: Tensor<(B, C, H, W), f32, Dev, T>,
    w: &Tensor<(C, Og, KH, KW), f32, Dev>,
    bias: Option<&Tensor<(Og::Output,), f32, Dev>>,
    _spec: ConvTranspose2dSpec<SH, SW, PH, PW, OPH, OPW, DH, DW, G>,
) -> Result<Tensor<(B, Og::Output, H::Output, W::Output), f32, Dev, T>>
where
    B: Dim,
    C: Dim,
    Og: TimesGroups<G>,
    KH: Dim,
    KW: Dim,
    H: TransposedWindow<KH, SH, PH, DH, OPH>,
    W: TransposedWindow<KW, SW, PW, DW, OPW>,
    (SH, SW, PH, PW, DH, DW, G): UnsignedList<7>,
    Dev: Backend,
    T: Tape<f32, Dev>,
{
    let (b, c, h, wd) = *x.shape();
    let (_, og, kh, kw) = *w.shape();
    let o = og.times();
    let ho = h.grow(&kh).map_err(shape_err("conv_transpose2d"))?;
    let wo = wd.grow(&kw).map_err(shape_err("conv_transpose2d"))?;
    let [sh, sw, ph, pw, dh, dw, groups] = <(SH, SW, PH, PW, DH, DW, G)>::values();
    // The geometry of the forward convolution this one inverts: from the big
    // map (our output, O channels) to the small one (our input, C channels).
    let axis = |big: usize, small: usize, k: usize, s, p, d| AxisGeom {
        input: big,
        output: small,
        k,
        s,
        p,
        d,
    };
    let g = ConvGeom {
        batch: b.size(),
        c_in: o.size(),
        c_out: c.size(),
        groups,
        y: axis(ho.size(), h.size(), kh.size(), sh, ph, dh),
        x: axis(wo.size(), wd.size(), kw.size(), sw, pw, dw),
        flipped: false,
        data_input: false,
    };
    Dev::conv_transpose(x, w, bias, &g, (b, o, ho, wo))
}

/// A tuple of `LEN` typenum unsigneds read as numbers.
pub trait UnsignedList<const LEN: usize> {
    /// The values, in order.
    fn values() -> [usize; LEN];
}

macro_rules! unsigned_list {
    ($n:literal: $($t:ident),*) => {
        impl<$($t: Unsigned),*> UnsignedList<$n> for ($($t,)*) {
            fn values() -> [usize; $n] {
                [$($t::USIZE),*]
            }
        }
    };
}
unsigned_list!(4: A, B, C, D);
unsigned_list!(3: A, B, C);
unsigned_list!(7: A, B, C, D, E, F, G);

/// The convolution kernels of a device: [`conv2d`], [`conv1d`] and the true
/// convolution run `conv`, [`conv_transpose2d`] runs `conv_transpose`.
///
/// The default methods are the generic path, made only of dfdx's own
/// device-generic ops; `Cpu` overrides them with its fast kernels.
pub trait ConvKernel: crate::ops::F32Device {
    /// `y = conv(x, w) + b` for geometry `g`, output shape `out`.
    fn conv<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        generic::conv_forward(x, w, bias, g, out)
    }

    /// [`conv`](Self::conv), then `squash` on its output, in one op where
    /// the device has the kernel for it (see [`Squash`]).
    fn conv_squashed<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
        squash: Squash,
    ) -> Result<Tensor<So, f32, Self, T>> {
        squash.apply(Self::conv(x, w, bias, g, out)?)
    }

    /// The transposed convolution of `g` (see [`generic::conv_transpose_forward`]).
    fn conv_transpose<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        generic::conv_transpose_forward(x, w, bias, g, out)
    }
}

impl ConvKernel for Cpu {
    fn conv<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        cpu_tape::conv(x, w, bias, g, out, None)
    }

    fn conv_squashed<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
        squash: Squash,
    ) -> Result<Tensor<So, f32, Self, T>> {
        cpu_tape::conv(x, w, bias, g, out, Some(squash))
    }

    fn conv_transpose<Si: Shape, Sw: Shape, O: Dim, So: Shape, T: Tape<f32, Self>>(
        x: Tensor<Si, f32, Self, T>,
        w: &Tensor<Sw, f32, Self>,
        bias: Option<&Tensor<(O,), f32, Self>>,
        g: &ConvGeom,
        out: So,
    ) -> Result<Tensor<So, f32, Self, T>> {
        cpu_tape::conv_transpose(x, w, bias, g, out)
    }
}

#[cfg(feature = "cuda")]
impl ConvKernel for Cuda {}
