//! The rows of `summary()`: shape, parameters, multiply-adds, receptive
//! field and jump of every step, blocks first and then their layers.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{table_conv_type, tn};
use crate::check::{Op, Shape, Size, Step};

pub(super) fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

pub(super) fn shape_tokens(shape: &Shape) -> TokenStream {
    let dims = shape.sizes().into_iter().map(|s| match s {
        Size::Fixed(n) => quote!(Some(#n)),
        Size::Runtime => quote!(None),
    });
    quote!(vec![#(#dims),*])
}

/// Summary rows, blocks first and then their layers under dotted names.
pub(super) fn summary_rows(steps: &[Step], prefix: &str, rows: &mut Vec<TokenStream>) {
    for s in steps {
        let name = s
            .name
            .as_ref()
            .map_or_else(String::new, |n| format!("{prefix}{n}"));
        let kind = s.kind_name();
        let shape = match &s.op {
            Op::Aux { out, .. } => shape_tokens(out),
            _ => shape_tokens(&s.out),
        };
        let (params, macs) = match &s.op {
            // the table's own count: the macro does not repeat the table
            Op::Conv {
                cin,
                out,
                win,
                table: Some(_),
                ..
            } => {
                let ty =
                    table_conv_type(*cin, *out, win, quote!(f32, ::splotnet::dfdx::prelude::Cpu));
                let o = *out;
                let plane = match s.out {
                    Shape::Maps {
                        h: Size::Fixed(h),
                        w: Size::Fixed(w),
                        ..
                    } => quote!(Some(#h * #w)),
                    _ => quote!(None::<u64>),
                };
                (
                    quote!(<#ty>::connected_params() as u64),
                    quote!((#plane).map(|p: u64| p * (<#ty>::connected_params() as u64 - #o))),
                )
            }
            // the block counts its own: it is declared elsewhere
            Op::Block { ty, cin } => {
                let c = tn(*cin);
                let ty = quote!(<#ty<#c, f32, ::splotnet::dfdx::prelude::Cpu>>);
                let macs = match s.input {
                    Shape::Maps {
                        h: Size::Fixed(h),
                        w: Size::Fixed(w),
                        ..
                    } => {
                        let (h, w) = (h as usize, w as usize);
                        quote!(#ty::mult_adds(#h, #w))
                    }
                    _ => quote!(None),
                };
                (quote!(#ty::param_count()), macs)
            }
            _ => {
                let p = s.params;
                (quote!(#p), opt_u64(s.macs))
            }
        };
        let (rf, jump) = match s.field {
            Some(f) => {
                let (r0, r1, j0, j1) = (f.r.0, f.r.1, f.j.0, f.j.1);
                (quote!(Some((#r0, #r1))), quote!(Some((#j0, #j1))))
            }
            None => (quote!(None), quote!(None)),
        };
        rows.push(quote!(::splotnet::summary::Row {
            name: #name.to_string(),
            kind: #kind.to_string(),
            output: #shape,
            params: #params,
            macs: #macs,
            receptive_field: #rf,
            jump: #jump,
        }));
        match &s.op {
            Op::Residual { body, .. } | Op::Highway { body, .. } | Op::Aux { body, .. } => {
                summary_rows(body, &format!("{name}."), rows)
            }
            Op::Concat { branches } => {
                for (b, steps) in branches {
                    summary_rows(steps, &format!("{name}.{b}."), rows);
                }
            }
            Op::Dense { layers } => {
                for (i, steps) in layers.iter().enumerate() {
                    summary_rows(steps, &format!("{name}.{i}."), rows);
                }
            }
            _ => {}
        }
    }
}
