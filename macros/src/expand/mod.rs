//! Turns a checked plan into Rust, the same way for networks and generic
//! blocks: one struct per scope (the declaration, and each block inside
//! it) with dfdx's `TensorCollection`, and `Module`/`ModuleMut` impls.
//!
//! The two differ only in how types are named ([`Tys`]): a network states
//! every intermediate tensor type, so the type system re-derives each shape
//! at the layer that computes it; a generic block states one bound per
//! layer, each layer's input being the previous layer's output projection,
//! and names its channel arithmetic (`C / 4`) through one hidden trait.
//!
//! `scope` writes the structs and impls, `network` a network's own methods,
//! `generic` a block's counts and use checks, `summary` the layer table.

use std::cell::RefCell;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

mod generic;
mod network;
mod scope;
mod structs;
mod summary;
mod types;

pub use types::tn;

use crate::ir::{Plan, Size};
use crate::parse::Network;

pub fn expand(net: &Network, plan: &Plan) -> TokenStream {
    let tys = match &plan.generic {
        Some([c, _, _]) => Tys::generic(&net.name, c),
        None => Tys::concrete(),
    };
    let mut out = scope::all(net, plan, &tys);
    match &plan.generic {
        Some(_) => out.extend(generic::extras(net, plan, &tys)),
        None => out.extend(network::methods(net, plan, &tys)),
    }
    out
}

/// How one declaration names its types.
pub struct Tys {
    generic: Option<GenericTys>,
}

/// A generic block's channel arithmetic, gathered while expanding: each
/// channel count other than `C` and numbers becomes an associated type of
/// the block's hidden sizes trait, whose one impl states the arithmetic's
/// bounds, so structs and impls state the single bound `C: NameSizes`.
struct GenericTys {
    sizes_trait: Ident,
    channels: Ident,
    assoc: RefCell<Vec<(Size, Ident, Vec<TokenStream>)>>,
    supers: RefCell<Vec<TokenStream>>,
}

impl Tys {
    fn concrete() -> Tys {
        Tys { generic: None }
    }

    fn generic(block: &Ident, channels: &Ident) -> Tys {
        Tys {
            generic: Some(GenericTys {
                sizes_trait: sizes_trait(block),
                channels: channels.clone(),
                assoc: RefCell::new(vec![]),
                supers: RefCell::new(vec![]),
            }),
        }
    }

    pub fn is_generic(&self) -> bool {
        self.generic.is_some()
    }

    /// The type of a channel (or feature) count.
    pub fn chan(&self, s: &Size) -> TokenStream {
        match (s, &self.generic) {
            (Size::Fixed(n), _) => tn(*n),
            (Size::Sym(_), Some(g)) if *s == Size::param(&g.channels.to_string()) => {
                let c = &g.channels;
                quote!(#c)
            }
            (Size::Sym(_), Some(g)) => {
                let (t, c) = (&g.sizes_trait, &g.channels);
                let name = g.assoc_for(s);
                quote!(<#c as #t>::#name)
            }
            // a runtime or symbolic size where a type is needed is caught by
            // the checker; usize keeps the expansion going
            _ => quote!(usize),
        }
    }

    /// The channel type a generic block `ty` is used at, with the bound
    /// that the block's own sizes trait holds for it.
    pub fn block_input(&self, ty: &syn::Path, cin: &Size) -> TokenStream {
        let c = self.chan(cin);
        if let Some(g) = &self.generic {
            let inner = sizes_trait_path(ty);
            if *cin == Size::param(&g.channels.to_string()) {
                g.supers.borrow_mut().push(inner);
            } else if let Size::Sym(_) = cin {
                let name = g.assoc_for(cin);
                if let Some(a) = g.assoc.borrow_mut().iter_mut().find(|a| a.1 == name) {
                    a.2.push(inner);
                }
            }
            // a number of channels is a concrete type: rustc checks it as is
        }
        c
    }

    /// `<E: Dtype, D: Storage<E>>`, with `C` first in a generic block.
    pub fn struct_params(&self) -> TokenStream {
        let ed =
            quote!(E: ::splotnet::dfdx::prelude::Dtype, D: ::splotnet::dfdx::prelude::Storage<E>);
        match &self.generic {
            Some(g) => {
                let (c, t) = (&g.channels, &g.sizes_trait);
                quote!(#c: #t, #ed)
            }
            None => ed,
        }
    }

    /// The generic arguments of a struct over element and device `ed`.
    pub fn args(&self, ed: TokenStream) -> TokenStream {
        match &self.generic {
            Some(g) => {
                let c = &g.channels;
                quote!(<#c, #ed>)
            }
            None => quote!(<#ed>),
        }
    }

    /// `C: NameSizes,` for impl headers of a generic block.
    pub fn impl_param(&self) -> TokenStream {
        match &self.generic {
            Some(g) => {
                let (c, t) = (&g.channels, &g.sizes_trait);
                quote!(#c: #t,)
            }
            None => quote!(),
        }
    }
}

impl GenericTys {
    fn assoc_for(&self, s: &Size) -> Ident {
        let mut assoc = self.assoc.borrow_mut();
        if let Some((_, name, _)) = assoc.iter().find(|(size, _, _)| size == s) {
            return name.clone();
        }
        let name = format_ident!("S{}", assoc.len());
        assoc.push((s.clone(), name.clone(), vec![]));
        name
    }
}

/// The hidden trait naming a generic block's channel arithmetic.
pub fn sizes_trait(block: &Ident) -> Ident {
    format_ident!("{}Sizes", block)
}

/// The path of the sizes trait of the block at `ty`.
fn sizes_trait_path(ty: &syn::Path) -> TokenStream {
    let mut p = ty.clone();
    if let Some(last) = p.segments.last_mut() {
        last.ident = sizes_trait(&last.ident);
        last.arguments = syn::PathArguments::None;
    }
    quote!(#p)
}

/// The path of the use check of the block at `ty`.
pub fn check_fn_path(ty: &syn::Path) -> TokenStream {
    let mut p = ty.clone();
    if let Some(last) = p.segments.last_mut() {
        last.ident = check_fn(&last.ident);
        last.arguments = syn::PathArguments::None;
    }
    quote!(#p)
}

pub fn check_fn(block: &Ident) -> Ident {
    format_ident!("__splotnet_check_{}", block)
}
