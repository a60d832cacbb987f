//! The Rust types the expansion names: typenum sizes, tensor types of a
//! shape, and the layer types of each kind of step.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::check::{PoolKind, Shape, Size, Window};

/// A typenum type for `n`: `U6` up to 1024 (typenum's names), the binary
/// `UInt<…>` form above.
pub(super) fn tn(n: u64) -> TokenStream {
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

pub(super) fn dim(s: Size) -> TokenStream {
    match s {
        Size::Fixed(n) => {
            let t = tn(n);
            quote!(::splotnet::dims::N<#t>)
        }
        Size::Runtime => quote!(usize),
    }
}

/// The tensor type of a batch of `shape`, batch dim `B`, tape `T`.
pub(super) fn tensor(shape: &Shape) -> TokenStream {
    let dims = shape.sizes().into_iter().map(dim);
    quote!(::splotnet::dfdx::prelude::Tensor<(B, #(#dims),*), f32, D, T>)
}

pub(super) fn rounding(win: &Window) -> TokenStream {
    if win.exact {
        quote!(::splotnet::formula::Exact)
    } else {
        quote!(::splotnet::formula::Floor)
    }
}

pub(super) fn conv_type(cin: u64, out: u64, groups: u64, win: &Window) -> TokenStream {
    let (cg, o, kh, kw) = (tn(cin / groups), tn(out), tn(win.k.0), tn(win.k.1));
    let spec = conv_spec(win, groups);
    quote!(::splotnet::layers::Conv2d<#cg, #o, #kh, #kw, #spec, E, D>)
}

/// The `Conv2dSpec` of a window: stride, padding, dilation, groups, rounding.
pub(super) fn conv_spec(win: &Window, groups: u64) -> TokenStream {
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
    let (kh, kw, sh, sw, ph, pw) = (
        tn(win.k.0),
        tn(win.k.1),
        tn(win.s.0),
        tn(win.s.1),
        tn(win.p.0),
        tn(win.p.1),
    );
    let m = rounding(win);
    quote!(::splotnet::layers::Pool2d<::splotnet::layers::kind::#k, ::splotnet::ops::Pool2dSpec<#kh, #kw, #sh, #sw, #ph, #pw, #m>>)
}

/// A convolution along a sequence: the window's width axis.
pub(super) fn conv1d_type(cin: u64, out: u64, groups: u64, win: &Window) -> TokenStream {
    let (cg, o, k) = (tn(cin / groups), tn(out), tn(win.k.1));
    let (st, p, d, g) = (tn(win.s.1), tn(win.p.1), tn(win.d.1), tn(groups));
    let m = rounding(win);
    quote!(::splotnet::layers::Conv1d<#cg, #o, #k, ::splotnet::ops::Conv1dSpec<#st, #p, #d, #g, #m>, E, D>)
}

/// `elem_dev` is `E, D` in the struct, concrete types where a value is needed.
pub(super) fn table_conv_type(
    cin: u64,
    out: u64,
    win: &Window,
    elem_dev: TokenStream,
) -> TokenStream {
    let (c, o, k) = (tn(cin), tn(out), tn(win.k.0));
    quote!(::splotnet::layers::TableConv2d<#c, #o, #k, ::splotnet::layers::LeNet5C3, #elem_dev>)
}

pub(super) fn linear_type(inp: u64, out: u64) -> TokenStream {
    let (i, o) = (tn(inp), tn(out));
    quote!(::splotnet::layers::Linear<#i, #o, E, D>)
}

/// A highway gate on `input`: a "same" convolution on maps, linear on features.
pub(super) fn gate_type(input: &Shape, k: u64, bias_milli: i32) -> TokenStream {
    let transform = match input {
        Shape::Maps { c, .. } => {
            let win = Window {
                k: (k, k),
                s: (1, 1),
                p: ((k - 1) / 2, (k - 1) / 2),
                d: (1, 1),
                exact: false,
            };
            conv_type(*c, *c, 1, &win)
        }
        Shape::Flat(f) => linear_type(*f, *f),
        Shape::Seq { .. } => unreachable!("checked: highway gates take maps or features"),
    };
    quote!(::splotnet::layers::HighwayGate<#transform, { #bias_milli }>)
}
