//! The rows of a network's `summary()`: shape, parameters, multiply-adds,
//! receptive field and jump of every step, blocks first and then their
//! layers.

use proc_macro2::TokenStream;
use quote::quote;

use super::Tys;
use crate::ir::*;

/// A size as `Option<u64>`: a number, or a network's size parameter read
/// from its type; `None` at run time.
fn known(tys: &Tys, s: Option<&Size>) -> TokenStream {
    match s {
        Some(Size::Fixed(n)) => quote!(Some(#n)),
        Some(s @ Size::Sym(_)) => {
            let v = tys.value(s);
            quote!(Some((#v) as u64))
        }
        _ => quote!(None),
    }
}

fn count(tys: &Tys, s: &Size) -> TokenStream {
    let k = known(tys, Some(s));
    quote!(#k.unwrap_or(0))
}

pub(super) fn shape_tokens(tys: &Tys, shape: &Shape) -> TokenStream {
    let dims = shape.sizes().into_iter().map(|s| known(tys, Some(&s)));
    quote!(vec![#(#dims),*])
}

/// Summary rows, blocks first and then their layers under dotted names.
pub(super) fn summary_rows(tys: &Tys, steps: &[Step], prefix: &str, rows: &mut Vec<TokenStream>) {
    let cpu = quote!(f32, ::splotnet::dfdx::prelude::Cpu);
    for s in steps {
        // an unnamed layer in a block is labelled by its block (`r1.`,
        // `cat.b1.`), so every member of a block says whose it is
        let name = s
            .label
            .as_ref()
            .map_or_else(|| prefix.to_string(), |n| format!("{prefix}{n}"));
        let kind = s.kind_name();
        let shape = match &s.op {
            Op::Aux { out, .. } => shape_tokens(tys, out),
            _ => shape_tokens(tys, &s.out),
        };
        let (params, macs, weight_macs) = match &s.op {
            // the table's own count: the macro does not repeat the table
            Op::Conv {
                cin,
                out,
                win,
                table: Some(t),
                ..
            } => {
                let ty = tys.table_conv(cin, out, win, t, &cpu);
                let o = count(tys, out);
                let plane = match &s.out {
                    Shape::Maps {
                        h: Size::Fixed(h),
                        w: Size::Fixed(w),
                        ..
                    } => quote!(Some(#h * #w)),
                    _ => quote!(None::<u64>),
                };
                let macs =
                    quote!((#plane).map(|p: u64| p * (<#ty>::connected_params() as u64 - #o)));
                (quote!(<#ty>::connected_params() as u64), macs.clone(), macs)
            }
            // the block counts its own: it is declared elsewhere
            Op::Block { ty, cin, sizes, .. } => {
                let ty = tys.block_ty(ty, cin, sizes, cpu.clone());
                let ty = quote!(<#ty>);
                let (macs, weight_macs) = match &s.input {
                    Shape::Maps {
                        h: Size::Fixed(h),
                        w: Size::Fixed(w),
                        ..
                    } => {
                        let (h, w) = (*h as usize, *w as usize);
                        (
                            quote!(#ty::mult_adds(#h, #w)),
                            quote!(#ty::weight_mult_adds(#h, #w)),
                        )
                    }
                    _ => (quote!(None), quote!(None)),
                };
                (quote!(#ty::param_count()), macs, weight_macs)
            }
            _ => (
                count(tys, &s.params),
                known(tys, s.macs.as_ref()),
                known(tys, s.weight_macs().as_ref()),
            ),
        };
        let connections = connections(tys, s, &cpu);
        let (rf, jump) = match s.field {
            Some(f) => {
                let (r0, r1, j0, j1) = (f.r.0, f.r.1, f.j.0, f.j.1);
                (quote!(Some((#r0, #r1))), quote!(Some((#j0, #j1))))
            }
            None => (quote!(None), quote!(None)),
        };
        rows.push(quote!(::splotnet::inspect::Row {
            name: #name.to_string(),
            kind: #kind.to_string(),
            output: #shape,
            params: #params,
            macs: #macs,
            weight_macs: #weight_macs,
            receptive_field: #rf,
            jump: #jump,
            connections: #connections,
        }));
        for (sub, inner) in s.children() {
            summary_rows(tys, inner, &format!("{name}.{sub}"), rows);
        }
    }
}

/// LeCun et al.'s (1998) count: every output unit's inputs plus its bias,
/// shared weights counted at every position (C1 of LeNet-5: (25 + 1)·6·28·28
/// = 122,304). Trainable layers of known sizes only.
fn connections(tys: &Tys, s: &Step, cpu: &TokenStream) -> TokenStream {
    let units = match &s.out {
        Shape::Maps { c, h, w } => c
            .fixed()
            .zip(h.fixed())
            .zip(w.fixed())
            .map(|((c, h), w)| c * h * w),
        Shape::Flat(f) => f.fixed(),
        Shape::Seq { .. } | Shape::Vol { .. } => None,
    };
    let count = match (&s.op, units) {
        (
            Op::Conv {
                cin,
                out,
                win,
                table: Some(t),
                ..
            },
            Some(u),
        ) => {
            let ty = tys.table_conv(cin, out, win, t, cpu);
            let plane = u / out.fixed().unwrap_or(1).max(1);
            return quote!(Some(<#ty>::connected_params() as u64 * #plane));
        }
        (
            Op::Conv {
                cin,
                groups,
                win,
                bias,
                ..
            },
            Some(u),
        ) => cin
            .div(*groups)
            .fixed()
            .map(|fan_in| u * (fan_in * win.k.0 * win.k.1 + u64::from(*bias))),
        (Op::Subsample { k, .. }, Some(u)) => Some(u * (k * k + 1)),
        (Op::Linear { .. }, Some(_)) => s.params.fixed(),
        _ => None,
    };
    match count {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}
