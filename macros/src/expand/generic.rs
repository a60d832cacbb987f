//! What only a generic block has: its sizes trait, `param_count()`,
//! `mult_adds(h, w)`, and the const check each use runs.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::{check_fn, check_fn_path, sizes_trait, Tys};
use crate::ir::*;
use crate::parse::Network;

pub(super) fn extras(net: &Network, plan: &Plan, tys: &Tys) -> TokenStream {
    let Some([c, h, w]) = &plan.generic else {
        return quote!();
    };
    let (cs, hs, ws) = (c.to_string(), h.to_string(), w.to_string());
    let var = move |p: &str| {
        if p == cs {
            quote!(c)
        } else if p == hs {
            quote!(h)
        } else if p == ws {
            quote!(w)
        } else {
            // an opaque size (a ceil-mode pool's output): only counts that
            // need a size can meet one, and `mult_adds` then has no answer
            quote!(::core::option::Option::<i64>::None?)
        }
    };
    let name = &net.name;
    let vis = &net.vis;
    let params = param_terms(tys, &plan.steps, &var);
    let macs = mac_stmts(tys, &plan.steps, &var);
    let check = check_fn(name);
    let rules = checks(name, &plan.steps, &var);
    let struct_params = tys.struct_params();
    let self_args = tys.args(quote!(E, D));
    let doc = format!("Trainable parameters at `{c}` input channels.");
    let check_doc = format!(
        "Whether `{name}` can be used at `c` input channels; `network!` runs it at each use."
    );
    let mut out = quote_spanned! {Span::call_site()=>
        impl<#struct_params> #name #self_args {
            #[doc = #doc]
            #[allow(unused_variables, clippy::identity_op)]
            pub fn param_count() -> u64 {
                let c = <#c as ::splotnet::typenum::Unsigned>::I64;
                (0i64 #(+ #params)*) as u64
            }

            /// Multiply-adds per sample on `h` x `w` maps, from the size
            /// formulas; `None` for a size the block cannot take.
            #[allow(unused_variables, unused_mut, clippy::identity_op)]
            pub fn mult_adds(h: usize, w: usize) -> ::core::option::Option<u64> {
                let (c, h, w) = (<#c as ::splotnet::typenum::Unsigned>::I64, h as i64, w as i64);
                let mut macs = 0i64;
                #macs
                ::core::option::Option::Some(macs as u64)
            }
        }

        #[doc = #check_doc]
        #[doc(hidden)]
        #[allow(non_snake_case, unused_variables, clippy::identity_op)]
        #vis const fn #check(used_as: &str, c: u64) -> ::splotnet::formula::SizeCheck {
            let c = c as i64;
            ::splotnet::formula::SizeCheck::ok() #(.and(#rules))*
        }
    };
    out.extend(sizes_trait_tokens(net, tys));
    out
}

/// The hidden trait that names the block's channel arithmetic, and its
/// one impl for every channel count the arithmetic takes.
fn sizes_trait_tokens(net: &Network, tys: &Tys) -> TokenStream {
    let Some(g) = &tys.generic else {
        return quote!();
    };
    let (t, c, vis) = (sizes_trait(&net.name), &g.channels, &net.vis);
    let cs = c.to_string();
    let param = |p: &str| {
        if p == cs {
            quote!(#c)
        } else {
            quote!(::splotnet::typenum::U0)
        }
    };
    let supers = g.supers.borrow();
    let assoc = g.assoc.borrow();
    let mut bounds = Vec::new();
    let decls = assoc
        .iter()
        .map(|(_, n, extra)| quote!(type #n: ::splotnet::dims::Size #(+ #extra)*;));
    let defs: Vec<TokenStream> = assoc
        .iter()
        .map(|(size, n, extra)| {
            let ty = size.to_type(&param, &mut bounds);
            bounds.push(quote!(#ty: ::splotnet::dims::Size #(+ #extra)*));
            quote!(type #n = #ty;)
        })
        .collect();
    let doc = format!("The channel counts of `{}` as types of its input's `{c}` (hidden: used by the block's own types).", net.name);
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #vis trait #t: ::splotnet::dims::Size #(+ #supers)* {
            #(#decls)*
        }

        impl<#c: ::splotnet::dims::Size #(+ #supers)*> #t for #c
        where
            #(#bounds,)*
        {
            #(#defs)*
        }
    }
}

/// The parameter count of every step as `i64` expressions in `c`.
fn param_terms(tys: &Tys, steps: &[Step], var: &dyn Fn(&str) -> TokenStream) -> Vec<TokenStream> {
    let mut out = Vec::new();
    for s in steps {
        match &s.op {
            Op::Block { ty, cin, .. } => {
                let c = tys.chan(cin);
                out.push(
                    quote!((<#ty<#c, f32, ::splotnet::dfdx::prelude::Cpu>>::param_count() as i64)),
                );
            }
            _ => out.push(s.params.to_code(var)),
        }
        for (_, inner) in s.children() {
            out.extend(param_terms(tys, inner, var));
        }
    }
    out
}

/// Statements adding each step's multiply-adds to `macs`, returning
/// `None` where a step's output would be empty.
fn mac_stmts(tys: &Tys, steps: &[Step], var: &dyn Fn(&str) -> TokenStream) -> TokenStream {
    let stmts = steps.iter().map(|s| {
        let fits = match &s.out {
            Shape::Maps { h, w, .. } => {
                let (h, w) = (h.to_code(var), w.to_code(var));
                quote!(if #h < 1 || #w < 1 { return ::core::option::Option::None; })
            }
            _ => quote!(),
        };
        let own = match (&s.op, &s.input) {
            (Op::Block { ty, cin, .. }, Shape::Maps { h, w, .. }) => {
                let (c, h, w) = (tys.chan(cin), h.to_code(var), w.to_code(var));
                quote!(macs += <#ty<#c, f32, ::splotnet::dfdx::prelude::Cpu>>::mult_adds(#h as usize, #w as usize)? as i64;)
            }
            _ => match &s.macs {
                Some(m) => {
                    let m = m.to_code(var);
                    quote!(macs += #m;)
                }
                None => quote!(),
            },
        };
        let inner = s.children().into_iter().map(|(_, inner)| mac_stmts(tys, inner, var));
        quote!(#(#inner)* #own #fits)
    });
    quote!(#(#stmts)*)
}

/// The const checks of the block's channel arithmetic at `c`, and of the
/// generic blocks it uses.
fn checks(
    block: &syn::Ident,
    steps: &[Step],
    var: &dyn Fn(&str) -> TokenStream,
) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let mut visit = |size: &Size, what: String, out: &mut Vec<TokenStream>| {
        for (l, k) in size.divisions() {
            if seen.contains(&(l.clone(), k)) {
                continue;
            }
            seen.push((l.clone(), k));
            let (value, ki) = (l.to_code(var), k as i64);
            let text = format!(": block `{block}` at ");
            let rule = format!(" input channels: {what} needs `{l} / {k}` channels, and {l} = ");
            let tail = format!(" is not a multiple of {k}");
            out.push(quote! {
                if (#value).rem_euclid(#ki) != 0 {
                    ::splotnet::formula::SizeCheck::ok().text(used_as).text(#text).num(c as u64).text(#rule).num((#value) as u64).text(#tail)
                } else {
                    ::splotnet::formula::SizeCheck::ok()
                }
            });
        }
    };
    fn walk(steps: &[Step], f: &mut dyn FnMut(&Step)) {
        for s in steps {
            f(s);
            for (_, inner) in s.children() {
                walk(inner, f);
            }
        }
    }
    walk(steps, &mut |s: &Step| {
        let what = format!(
            "layer `{}`",
            s.label
                .as_ref()
                .map_or_else(|| s.kind_name(), |n| n.to_string())
        );
        match &s.op {
            Op::Conv {
                cin,
                out: o,
                groups,
                ..
            }
            | Op::ConvTranspose {
                cin,
                out: o,
                groups,
                ..
            } => {
                visit(o, what.clone(), &mut out);
                visit(&cin.div(*groups), what.clone(), &mut out);
                visit(&o.div(*groups), what, &mut out);
            }
            Op::Linear { out: o, .. } => visit(o, what, &mut out),
            Op::Block { ty, cin, .. } => {
                visit(cin, what, &mut out);
                let (check, c) = (check_fn_path(ty), cin.to_code(var));
                out.push(quote!(#check(used_as, (#c) as u64)));
            }
            _ => {}
        }
    });
    out
}
