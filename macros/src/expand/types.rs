//! The Rust types the expansion names: typenum sizes, tensor types of a
//! shape, and the layer type of each kind of step.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Tys;
use crate::ir::*;

/// A typenum type for `n`: `U6` up to 1024 (typenum's names), the binary
/// `UInt<…>` form above.
pub fn tn(n: u64) -> TokenStream {
    if n <= 1024 {
        let id = format_ident!("U{}", n);
        return quote!(::splotnet::typenum::consts::#id);
    }
    let mut ty = quote!(::splotnet::typenum::UTerm);
    for bit in (0..64 - n.leading_zeros()).rev() {
        let b = if (n >> bit) & 1 == 1 {
            quote!(::splotnet::typenum::B1)
        } else {
            quote!(::splotnet::typenum::B0)
        };
        ty = quote!(::splotnet::typenum::UInt<#ty, #b>);
    }
    ty
}

pub(super) fn rounding(win: &Window) -> TokenStream {
    // at stride 1 nothing rounds, and floor is the cheapest rule for the
    // type checker to evaluate
    if win.s == (1, 1) {
        return quote!(::splotnet::formula::Floor);
    }
    match win.round {
        splotnet_sizes::Round::Floor => quote!(::splotnet::formula::Floor),
        splotnet_sizes::Round::Ceil => quote!(::splotnet::formula::Ceil),
        splotnet_sizes::Round::Exact => quote!(::splotnet::formula::Exact),
    }
}

/// The `Conv2dSpec` of a window: stride, padding, dilation, groups, rounding.
fn conv_spec(win: &Window, groups: u64) -> TokenStream {
    let (sh, sw, ph, pw, dh, dw, g) = (
        tn(win.s.0),
        tn(win.s.1),
        tn(win.p.0),
        tn(win.p.1),
        tn(win.d.0),
        tn(win.d.1),
        tn(groups),
    );
    let m = rounding(win);
    quote!(::splotnet::ops::Conv2dSpec<#sh, #sw, #ph, #pw, #dh, #dw, #g, #m>)
}

/// The pooling layer type of `kind` over `win`.
pub(super) fn pool_type(kind: PoolKind, win: &Window) -> TokenStream {
    let k = match kind {
        PoolKind::Max => quote!(Max),
        PoolKind::Avg => quote!(Avg),
        PoolKind::L2 => quote!(L2),
    };
    let spec = pool_spec(win);
    quote!(::splotnet::layers::Pool2d<::splotnet::layers::kind::#k, #spec>)
}

/// The `Pool2dSpec` type of a pooling window.
pub(super) fn pool_spec(win: &Window) -> TokenStream {
    let (kh, kw, sh, sw, ph, pw) = (
        tn(win.k.0),
        tn(win.k.1),
        tn(win.s.0),
        tn(win.s.1),
        tn(win.p.0),
        tn(win.p.1),
    );
    let m = rounding(win);
    quote!(::splotnet::ops::Pool2dSpec<#kh, #kw, #sh, #sw, #ph, #pw, #m>)
}

impl Tys {
    /// A 2D convolution from `cin` to `out` channels; `ed` is `E, D` in a
    /// struct, concrete types where a value is needed.
    pub(super) fn conv(
        &self,
        cin: &Size,
        out: &Size,
        groups: u64,
        win: &Window,
        bias: bool,
        ed: &TokenStream,
    ) -> TokenStream {
        let (cg, o, kh, kw) = (
            self.chan(&cin.div(groups)),
            self.chan(out),
            tn(win.k.0),
            tn(win.k.1),
        );
        let spec = conv_spec(win, groups);
        let bias = if bias {
            quote!()
        } else {
            quote!(, ::splotnet::layers::NoBias)
        };
        quote!(::splotnet::layers::Conv2d<#cg, #o, #kh, #kw, #spec, #ed #bias>)
    }

    /// A convolution along a sequence: the window's width axis.
    fn conv1d(
        &self,
        cin: &Size,
        out: &Size,
        groups: u64,
        win: &Window,
        ed: &TokenStream,
    ) -> TokenStream {
        let (cg, o, k) = (self.chan(&cin.div(groups)), self.chan(out), tn(win.k.1));
        let (st, p, d, g) = (tn(win.s.1), tn(win.p.1), tn(win.d.1), tn(groups));
        let m = rounding(win);
        quote!(::splotnet::layers::Conv1d<#cg, #o, #k, ::splotnet::ops::Conv1dSpec<#st, #p, #d, #g, #m>, #ed>)
    }

    pub(super) fn table_conv(
        &self,
        cin: &Size,
        out: &Size,
        win: &Window,
        table: &Table,
        ed: &TokenStream,
    ) -> TokenStream {
        let (c, o, k) = (self.chan(cin), self.chan(out), tn(win.k.0));
        let t = match table {
            Table::LeNet5(_) => quote!(::splotnet::zoo::lenet5::LeNet5C3),
            Table::Path(p) => quote!(#p),
        };
        quote!(::splotnet::layers::TableConv2d<#c, #o, #k, #t, #ed>)
    }

    pub(super) fn linear(&self, inp: &Size, out: &Size, ed: &TokenStream) -> TokenStream {
        let (i, o) = (self.chan(inp), self.chan(out));
        quote!(::splotnet::layers::Linear<#i, #o, #ed>)
    }

    /// A residual's shortcut: a 1x1 projection, or a torchvision downsample.
    pub(super) fn shortcut(&self, p: &Projection, ed: &TokenStream) -> TokenStream {
        let win = Window::projection(p.stride);
        if !p.norm {
            return self.conv(&p.cin, &p.out, 1, &win, true, ed);
        }
        let conv = self.conv(&p.cin, &p.out, 1, &win, false, ed);
        let c = self.chan(&p.out);
        quote!(::splotnet::layers::Downsample<#conv, ::splotnet::layers::BatchNorm2d<#c, #ed>>)
    }

    /// A highway gate on `input`: a "same" convolution on maps, linear on features.
    pub(super) fn gate(
        &self,
        input: &Shape,
        k: u64,
        bias_milli: i32,
        ed: &TokenStream,
    ) -> TokenStream {
        let transform = match input {
            Shape::Flat(f) => self.linear(f, f, ed),
            Shape::Maps { c, .. } | Shape::Seq { c, .. } | Shape::Vol { c, .. } => {
                self.conv(c, c, 1, &Window::same(k), true, ed)
            }
        };
        quote!(::splotnet::layers::HighwayGate<#transform, { #bias_milli }>)
    }

    /// The type of a step that has a field (parameters or layers); `block`
    /// is the type of a nested scope's struct.
    pub(super) fn field_type(
        &self,
        step: &Step,
        block: impl Fn() -> TokenStream,
        ed: &TokenStream,
    ) -> Option<TokenStream> {
        let seq = matches!(step.input, Shape::Seq { .. });
        Some(match &step.op {
            Op::Conv {
                cin,
                out,
                win,
                table: Some(t),
                ..
            } => self.table_conv(cin, out, win, t, ed),
            Op::Conv {
                cin,
                out,
                groups,
                win,
                ..
            } if seq => self.conv1d(cin, out, *groups, win, ed),
            Op::Conv {
                cin,
                out,
                groups,
                win,
                bias,
                ..
            } => self.conv(cin, out, *groups, win, *bias, ed),
            Op::Linear { inp, out, .. } => self.linear(inp, out, ed),
            Op::Conv3d {
                cin,
                out,
                groups,
                depth,
                win,
                bias,
                ..
            } => {
                let (cg, o) = (self.chan(&cin.div(*groups)), self.chan(out));
                let (kd, kh, kw) = (tn(depth.0), tn(win.k.0), tn(win.k.1));
                let s = (tn(depth.1), tn(win.s.0), tn(win.s.1));
                let p = (tn(depth.2), tn(win.p.0), tn(win.p.1));
                let d = (tn(depth.3), tn(win.d.0), tn(win.d.1));
                let g = tn(*groups);
                let (s0, s1, s2, p0, p1, p2, d0, d1, d2) =
                    (s.0, s.1, s.2, p.0, p.1, p.2, d.0, d.1, d.2);
                let no_bias = (!bias).then(|| quote!(, ::splotnet::layers::NoBias));
                quote!(::splotnet::layers::Conv3d<#cg, #o, #kd, #kh, #kw, ::splotnet::ops::Conv3dSpec<(#s0, #s1, #s2), (#p0, #p1, #p2), (#d0, #d1, #d2), #g>, #ed #no_bias>)
            }
            Op::Subsample { c, k, .. } => {
                let (c, k) = (self.chan(c), tn(*k));
                quote!(::splotnet::layers::Subsample2d<#c, #k, #ed>)
            }
            Op::ConvTranspose {
                cin,
                out,
                groups,
                win,
                op,
                bias,
                ..
            } => {
                let no_bias = (!bias).then(|| quote!(, ::splotnet::layers::NoBias));
                let (c, o, og, kh, kw) = (
                    self.chan(cin),
                    self.chan(out),
                    self.chan(&out.div(*groups)),
                    tn(win.k.0),
                    tn(win.k.1),
                );
                let (sh, sw, ph, pw, oph, opw, dh, dw, g) = (
                    tn(win.s.0),
                    tn(win.s.1),
                    tn(win.p.0),
                    tn(win.p.1),
                    tn(op.0),
                    tn(op.1),
                    tn(win.d.0),
                    tn(win.d.1),
                    tn(*groups),
                );
                quote!(::splotnet::layers::ConvTranspose2d<#c, #o, #og, #kh, #kw, ::splotnet::ops::ConvTranspose2dSpec<#sh, #sw, #ph, #pw, #oph, #opw, #dh, #dw, #g>, #ed #no_bias>)
            }
            Op::BatchNorm { c, .. } => {
                let c = self.chan(c);
                quote!(::splotnet::layers::BatchNorm2d<#c, #ed>)
            }
            Op::Block { ty, cin, sizes, .. } => self.block_use(ty, cin, sizes, ed.clone()),
            Op::Residual { .. }
            | Op::Concat { .. }
            | Op::Dense { .. }
            | Op::Highway { .. }
            | Op::Aux { .. }
            | Op::Skip { body: Some(_), .. } => block(),
            Op::Pool { .. }
            | Op::Pool3d { .. }
            | Op::AdaptivePool { .. }
            | Op::GlobalPool(_)
            | Op::Flatten
            | Op::Unpool { .. }
            | Op::Skip { body: None, .. }
            | Op::Crop { .. }
            | Op::MaxUnpool { .. }
            | Op::Act(_)
            | Op::Dropout(_)
            | Op::Lrn { .. } => return None,
        })
    }

    /// The module type and value of a step without a field.
    pub(super) fn stateless(&self, op: &Op) -> Option<(TokenStream, TokenStream)> {
        let unit = |ty: TokenStream| {
            Some((
                ty.clone(),
                quote!(<#ty as ::core::default::Default>::default()),
            ))
        };
        match op {
            Op::Pool { kind, win } => unit(pool_type(*kind, win)),
            Op::Pool3d { kind, depth, win } => {
                let k = match kind {
                    PoolKind::Max => quote!(Max),
                    _ => quote!(Avg),
                };
                let (kd, kh, kw) = (tn(depth.0), tn(win.k.0), tn(win.k.1));
                let (sd, sh, sw) = (tn(depth.1), tn(win.s.0), tn(win.s.1));
                let (pd, ph, pw) = (tn(depth.2), tn(win.p.0), tn(win.p.1));
                unit(
                    quote!(::splotnet::layers::Pool3d<::splotnet::layers::kind::#k, ::splotnet::ops::Pool3dSpec<(#kd, #kh, #kw), (#sd, #sh, #sw), (#pd, #ph, #pw)>>),
                )
            }
            Op::AdaptivePool { kind, out } => {
                let (oh, ow) = (tn(out.0), tn(out.1));
                match kind {
                    PoolKind::Max => unit(quote!(::splotnet::layers::AdaptiveMaxPool<#oh, #ow>)),
                    _ => unit(quote!(::splotnet::layers::AdaptiveAvgPool<#oh, #ow>)),
                }
            }
            Op::GlobalPool(PoolKind::Max) => unit(quote!(::splotnet::layers::GlobalMaxPool)),
            Op::GlobalPool(_) => unit(quote!(::splotnet::layers::GlobalAvgPool)),
            Op::Flatten => unit(quote!(::splotnet::layers::Flatten)),
            Op::Unpool { kind, s } => {
                let (sh, sw) = (tn(s.0), tn(s.1));
                match kind {
                    UnpoolKind::Nearest => {
                        unit(quote!(::splotnet::layers::NearestUnpool<#sh, #sw>))
                    }
                    UnpoolKind::BedOfNails => {
                        unit(quote!(::splotnet::layers::BedOfNails<#sh, #sw>))
                    }
                }
            }
            Op::Act(Act::Relu) => unit(quote!(::splotnet::layers::Relu)),
            Op::Act(Act::Tanh) => unit(quote!(::splotnet::layers::Tanh)),
            Op::Act(Act::Sigmoid) => unit(quote!(::splotnet::layers::Sigmoid)),
            Op::Act(Act::ScaledTanh) => unit(quote!(::splotnet::layers::ScaledTanh)),
            Op::Dropout(p) => {
                let p = *p as f32;
                Some((
                    quote!(::splotnet::layers::Dropout),
                    quote!(::splotnet::layers::Dropout::new(#p)),
                ))
            }
            Op::Lrn { n, k, alpha, beta } => {
                let (n, k, alpha, beta) = (*n as usize, *k as f32, *alpha as f32, *beta as f32);
                Some((
                    quote!(::splotnet::ops::Lrn),
                    quote!(::splotnet::ops::Lrn { n: #n, k: #k, alpha: #alpha, beta: #beta }),
                ))
            }
            _ => None,
        }
    }

    /// The tensor type of a batch of `shape` (batch `B`, tape `T`) where
    /// every size is a type: a network's shapes.
    pub(super) fn tensor(&self, shape: &Shape) -> TokenStream {
        let dims = shape.sizes().into_iter().map(|s| match s {
            Size::Runtime => quote!(usize),
            s => {
                let t = self.chan(&s);
                quote!(::splotnet::dims::N<#t>)
            }
        });
        quote!(::splotnet::dfdx::prelude::Tensor<(B, #(#dims),*), f32, D, T>)
    }
}
