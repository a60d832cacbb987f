//! The runtime geometry of one convolution call, shared by every kernel.

use crate::formula::window_out;
use crate::Error;

/// Sizes of one spatial axis of a convolution: input, output, kernel taps,
/// stride, zero padding and dilation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisGeom {
    /// Input size.
    pub input: usize,
    /// Output size.
    pub output: usize,
    /// Kernel taps.
    pub k: usize,
    /// Stride.
    pub s: usize,
    /// Zero padding on each side.
    pub p: usize,
    /// Dilation.
    pub d: usize,
}

impl AxisGeom {
    /// The axis of a 1D op seen as 2D: one row, one tap.
    pub const UNIT: AxisGeom = AxisGeom {
        input: 1,
        output: 1,
        k: 1,
        s: 1,
        p: 0,
        d: 1,
    };

    /// An axis whose output follows the convolution formula (floored).
    pub fn sliding(input: usize, k: usize, s: usize, p: usize, d: usize) -> Result<Self, String> {
        Self::window(input, k, s, p, d, splotnet_sizes::Round::Floor)
    }

    /// An axis whose output follows the window formula under `round`.
    pub fn window(
        input: usize,
        k: usize,
        s: usize,
        p: usize,
        d: usize,
        round: splotnet_sizes::Round,
    ) -> Result<Self, String> {
        let output = window_out(input, k, s, p, d, round)?;
        Ok(AxisGeom {
            input,
            output,
            k,
            s,
            p,
            d,
        })
    }

    /// The output size as the dim type the compiler derived for it: the
    /// geometry is computed once per call, and a static dim only confirms it.
    pub(crate) fn output_dim<D: dfdx::shapes::Dim>(&self) -> Result<D, String> {
        D::from_size(self.output)
            .ok_or_else(|| format!("the output size {} differs from its type's", self.output))
    }

    /// Input index read by output `o` at tap `t`, if it is not padding.
    #[inline(always)]
    pub(crate) fn source(&self, o: usize, t: usize) -> Option<usize> {
        (o * self.s + t * self.d)
            .checked_sub(self.p)
            .filter(|&i| i < self.input)
    }

    /// Stride 1, no padding, no dilation: each output's window is the input
    /// from the output's index on, so im2col copies plain runs.
    #[inline(always)]
    pub(crate) fn is_plain(&self) -> bool {
        self.s == 1 && self.p == 0 && self.d == 1
    }

    /// The taps `[lo, hi)` of output `o` that read inside the input, and the
    /// input index read by tap 0 (possibly before the input: `o*s - p`).
    #[inline(always)]
    pub(crate) fn valid_taps(&self, o: usize) -> (usize, usize, isize) {
        debug_assert_eq!(self.d, 1, "pooling windows are not dilated");
        let start = (o * self.s) as isize - self.p as isize;
        let lo = (-start).max(0) as usize;
        let hi = (self.input as isize - start).clamp(0, self.k as isize) as usize;
        (lo.min(hi), hi, start)
    }

    /// The outputs `[lo, hi)` whose tap `t` reads inside the input; the rest read padding.
    #[inline(always)]
    pub(crate) fn valid_outputs(&self, t: usize) -> (usize, usize) {
        let offset = (t * self.d) as isize - self.p as isize;
        let s = self.s as isize;
        // smallest o with o*s + offset >= 0
        let lo = if offset >= 0 {
            0
        } else {
            ((-offset + s - 1) / s) as usize
        };
        // largest o with o*s + offset <= input-1, plus one
        let last = self.input as isize - 1 - offset;
        let hi = if last < 0 {
            0
        } else {
            ((last / s) as usize + 1).min(self.output)
        };
        (lo.min(hi), hi)
    }

    /// The im2col of this axis is the input itself: one tap over every
    /// position (1x1), or one window over the whole unpadded input (C5 of LeNet).
    fn is_identity_tap(&self) -> bool {
        let pointwise = self.k == 1 && self.s == 1 && self.input == self.output;
        let whole = self.k == self.input && self.output == 1 && self.d == 1;
        self.p == 0 && (pointwise || whole)
    }
}

/// The full geometry of a 2D convolution call (1D uses [`AxisGeom::UNIT`] rows).
///
/// Weights are laid out `(c_out, c_in / groups, k_y, k_x)`, as in PyTorch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Channel groups (1: every filter sees every input channel).
    pub groups: usize,
    /// The vertical axis.
    pub y: AxisGeom,
    /// The horizontal axis.
    pub x: AxisGeom,
    /// True convolution: the kernel is rotated 180° before the cross-correlation.
    pub flipped: bool,
    /// The input is data (images), not an activation: the fast path computes
    /// no gradient for it, which for a first layer is the largest backward
    /// pass of all (PyTorch likewise leaves data without gradients).
    pub data_input: bool,
}

impl ConvGeom {
    /// Checks the channel/group arithmetic that types cannot check for `usize` dims.
    pub fn validate(&self, op: &'static str) -> Result<(), Error> {
        if self.groups == 0 || self.c_in % self.groups != 0 || self.c_out % self.groups != 0 {
            return Err(Error::shape(
                op,
                format!(
                    "{} groups must divide both {} input and {} output channels",
                    self.groups, self.c_in, self.c_out
                ),
            ));
        }
        Ok(())
    }

    /// Floats in one input image.
    pub fn in_len(&self) -> usize {
        self.c_in * self.y.input * self.x.input
    }
    /// Floats in one output image.
    pub fn out_len(&self) -> usize {
        self.c_out * self.out_plane()
    }
    /// Output positions per channel.
    pub fn out_plane(&self) -> usize {
        self.y.output * self.x.output
    }
    /// Input positions per channel.
    pub fn in_plane(&self) -> usize {
        self.y.input * self.x.input
    }
    /// Input channels per group.
    pub fn group_in(&self) -> usize {
        self.c_in / self.groups
    }
    /// Output channels per group.
    pub fn group_out(&self) -> usize {
        self.c_out / self.groups
    }
    /// Kernel taps per channel.
    pub fn taps(&self) -> usize {
        self.y.k * self.x.k
    }
    /// Rows of one group's im2col matrix (its inner GEMM dimension).
    pub fn group_rows(&self) -> usize {
        self.group_in() * self.taps()
    }
    /// Floats in the weight tensor.
    pub fn weight_len(&self) -> usize {
        self.c_out * self.group_rows()
    }
    /// Multiply-adds of one forward pass over the batch.
    pub fn macs(&self) -> usize {
        self.batch * self.c_out * self.out_plane() * self.group_rows()
    }
    /// The input already is the im2col matrix: 1x1 stride-1 convolutions, and
    /// kernels that cover the whole unpadded input. Only with one kind per
    /// axis pair does the memory order match: (c, ky, kx) rows, (oy, ox) columns.
    pub(crate) fn is_pointwise(&self) -> bool {
        let both_pointwise = self.y.k == 1 && self.x.k == 1;
        let both_whole = self.y.output == 1 && self.x.output == 1;
        self.y.is_identity_tap() && self.x.is_identity_tap() && (both_pointwise || both_whole)
    }
}
