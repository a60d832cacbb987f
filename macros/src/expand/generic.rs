//! What only a generic block has: its sizes trait, `param_count()`,
//! `mult_adds(h, w)`, and the const check each use runs.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::{check_fn_path, sizes_trait, Tys};
use crate::ir::*;
use crate::parse::Network;

pub(super) fn extras(net: &Network, plan: &Plan, tys: &Tys) -> TokenStream {
    let Some([c, h, w]) = &plan.generic else {
        return quote!();
    };
    let (cs, hs, ws) = (c.to_string(), h.to_string(), w.to_string());
    let size_params = &plan.size_params;
    let var = move |p: &str| {
        if p == cs {
            quote!(c)
        } else if p == hs {
            quote!(h)
        } else if p == ws {
            quote!(w)
        } else if let Some(s) = size_params.iter().find(|s| *s == p) {
            let v = size_var(s);
            quote!(#v)
        } else {
            // an opaque size (a ceil-mode pool's output): only counts that
            // need a size can meet one, and `mult_adds` then has no answer
            quote!(::core::option::Option::<i64>::None?)
        }
    };
    let name = &net.name;
    let vis = &net.vis;
    let params = param_terms(tys, &plan.steps, &var);
    let macs = mac_stmts(tys, &plan.steps, &var, MacCount::All);
    let weight_macs = mac_stmts(tys, &plan.steps, &var, MacCount::Weights);
    let rules = checks(name, &plan.steps, &var);
    let struct_params = tys.struct_params_no_defaults();
    let self_args = tys.args(quote!(E, D));
    let size_vars: Vec<syn::Ident> = size_params.iter().map(size_var).collect();
    let size_values = quote! {
        #(let #size_vars = <#size_params as ::splotnet::typenum::Unsigned>::I64;)*
    };
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
                #size_values
                (0i64 #(+ #params)*) as u64
            }

            /// Multiply-adds per sample on `h` x `w` maps, from the size
            /// formulas; `None` for a size the block cannot take.
            #[allow(unused_variables, unused_mut, clippy::identity_op)]
            pub fn mult_adds(h: usize, w: usize) -> ::core::option::Option<u64> {
                let (c, h, w) = (<#c as ::splotnet::typenum::Unsigned>::I64, h as i64, w as i64);
                #size_values
                let mut macs = 0i64;
                #macs
                ::core::option::Option::Some(macs as u64)
            }

            /// Multiply-adds per sample of the convolutions and linear layers
            /// alone (torchvision's count), on `h` x `w` maps.
            #[allow(unused_variables, unused_mut, clippy::identity_op)]
            pub fn weight_mult_adds(h: usize, w: usize) -> ::core::option::Option<u64> {
                let (c, h, w) = (<#c as ::splotnet::typenum::Unsigned>::I64, h as i64, w as i64);
                #size_values
                let mut macs = 0i64;
                #weight_macs
                ::core::option::Option::Some(macs as u64)
            }
        }

        #[doc = #check_doc]
        #[doc(hidden)]
        #[allow(non_snake_case, unused_variables, clippy::identity_op, clippy::too_many_arguments)]
        #vis const fn #name(used_as: &str, c: u64, #(#size_vars: u64),*) -> ::splotnet::formula::SizeCheck {
            let c = c as i64;
            #(let #size_vars = #size_vars as i64;)*
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
    let (t, c, vis, ps) = (
        sizes_trait(&net.name),
        &g.channels,
        &net.vis,
        &g.size_params,
    );
    let cs = c.to_string();
    let param = |p: &str| {
        if p == cs {
            quote!(#c)
        } else if let Some(s) = ps.iter().find(|s| *s == p) {
            quote!(#s)
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
        #vis trait #t<#(#ps),*>: ::splotnet::dims::Size #(+ #supers)* {
            #(#decls)*
        }

        impl<#c: ::splotnet::dims::Size #(+ #supers)*, #(#ps: ::splotnet::dims::Size),*> #t<#(#ps),*> for #c
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
            Op::Block { ty, cin, sizes, .. } => {
                let ty = tys.block_ty(ty, cin, sizes, quote!(f32, ::splotnet::dfdx::prelude::Cpu));
                out.push(quote!((<#ty>::param_count() as i64)));
            }
            _ => out.push(s.params.to_code(var)),
        }
        for (_, inner) in s.children() {
            out.extend(param_terms(tys, inner, var));
        }
    }
    out
}

/// Which multiply-adds a count includes.
#[derive(Clone, Copy)]
enum MacCount {
    All,
    /// Convolutions' and linear layers' only ([`Step::weight_macs`]).
    Weights,
}

/// Statements adding each step's multiply-adds to `macs`, returning
/// `None` where a step's output would be empty.
fn mac_stmts(
    tys: &Tys,
    steps: &[Step],
    var: &dyn Fn(&str) -> TokenStream,
    count: MacCount,
) -> TokenStream {
    let stmts = steps.iter().map(|s| {
        let fits = match &s.out {
            Shape::Maps { h, w, .. } => {
                let (h, w) = (h.to_code(var), w.to_code(var));
                quote!(if #h < 1 || #w < 1 { return ::core::option::Option::None; })
            }
            _ => quote!(),
        };
        let own = match (&s.op, &s.input) {
            (Op::Block { ty, cin, sizes, .. }, Shape::Maps { h, w, .. }) => {
                let ty = tys.block_ty(ty, cin, sizes, quote!(f32, ::splotnet::dfdx::prelude::Cpu));
                let (h, w) = (h.to_code(var), w.to_code(var));
                let f = match count {
                    MacCount::All => quote!(mult_adds),
                    MacCount::Weights => quote!(weight_mult_adds),
                };
                quote!(macs += <#ty>::#f(#h as usize, #w as usize)? as i64;)
            }
            _ => match &match count {
                MacCount::All => s.macs.clone(),
                MacCount::Weights => s.weight_macs(),
            } {
                Some(m) => {
                    let m = m.to_code(var);
                    quote!(macs += #m;)
                }
                None => quote!(),
            },
        };
        let inner = s
            .children()
            .into_iter()
            .map(|(_, inner)| mac_stmts(tys, inner, var, count));
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
            Op::Block { ty, cin, sizes, .. } => {
                visit(cin, what.clone(), &mut out);
                for s in sizes {
                    visit(s, what.clone(), &mut out);
                }
                let (check, c) = (check_fn_path(ty), cin.to_code(var));
                let sizes = sizes.iter().map(|s| s.to_code(var));
                out.push(quote!(#check(used_as, (#c) as u64, #((#sizes) as u64),*)));
            }
            _ => {}
        }
    });
    out
}

/// The variable holding size parameter `p`'s value in generated counts.
fn size_var(p: &syn::Ident) -> syn::Ident {
    quote::format_ident!("size_{}", p.to_string().to_lowercase())
}
