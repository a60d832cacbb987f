//! Turns a checked plan into Rust, the same way for networks and generic
//! blocks: one struct per scope (the declaration, and each block inside
//! it) with dfdx's `TensorCollection`, and `Module`/`ModuleMut` impls.
//!
//! The two differ in how types are named ([`Tys`]): a network states every
//! intermediate tensor type, so the type system re-derives each shape at
//! the layer that computes it; a generic block names its channel
//! arithmetic (`C / 4`) through one hidden sizes trait, and each of its
//! scopes states its size rules in a hidden shape trait (`shape`), whose
//! rules name no batch, device or tape, so that a use at numeric sizes is
//! one closed fact for rustc to prove once per crate.
//!
//! `scope` writes the structs, a network's impls and the passes' statements,
//! `shape` a generic block's impls, `network` a network's own methods,
//! `generic` a block's counts and use checks, `summary` the layer table.

use std::cell::RefCell;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

mod classifier;
mod generic;
mod network;
mod scope;
mod shape;
mod structs;
mod summary;
mod types;

pub use types::tn;

use crate::ir::{Plan, Size};
use crate::parse::Network;

pub fn expand(net: &Network, plan: &Plan) -> TokenStream {
    let tys = match &plan.generic {
        Some([c, _, _]) => Tys::generic(&net.name, c, &plan.size_params),
        None => Tys::concrete(&plan.size_params, &plan.size_defaults),
    };
    let mut out = scope::all(net, plan, &tys);
    match &plan.generic {
        Some(_) => out.extend(generic::extras(net, plan, &tys)),
        None => {
            out.extend(network::methods(net, plan, &tys));
            out.extend(classifier::classifier_impl(net, plan, &tys));
        }
    }
    out
}

/// How one declaration names its types.
pub struct Tys {
    generic: Option<GenericTys>,
    /// A network's size parameters (`CLASSES`), with their defaults: type
    /// parameters after `E, D`.
    net_params: Vec<(Ident, Option<u64>)>,
}

/// A generic block's channel arithmetic, gathered while expanding: each
/// channel count other than `C` and numbers becomes an associated type of
/// the block's hidden sizes trait, whose one impl states the arithmetic's
/// bounds, so structs and impls state the single bound `C: NameSizes`.
struct GenericTys {
    sizes_trait: Ident,
    channels: Ident,
    /// The block's own size parameters, type parameters after `C`.
    size_params: Vec<Ident>,
    assoc: RefCell<Vec<(Size, Ident, Vec<TokenStream>)>>,
    supers: RefCell<Vec<TokenStream>>,
}

impl Tys {
    fn concrete(params: &[Ident], defaults: &[Option<u64>]) -> Tys {
        Tys {
            generic: None,
            net_params: params
                .iter()
                .cloned()
                .zip(defaults.iter().copied())
                .collect(),
        }
    }

    /// A network's size parameter that `s` is, as it is.
    fn net_param(&self, s: &Size) -> Option<&Ident> {
        self.net_params
            .iter()
            .map(|(p, _)| p)
            .find(|p| *s == Size::param(&p.to_string()))
    }

    /// Code computing `s` as `i64`, a size parameter read from its type.
    pub fn value(&self, s: &Size) -> TokenStream {
        s.to_code(&|p: &str| {
            let p = format_ident!("{p}");
            quote!(<#p as ::splotnet::typenum::Unsigned>::I64)
        })
    }

    fn generic(block: &Ident, channels: &Ident, size_params: &[Ident]) -> Tys {
        Tys {
            generic: Some(GenericTys {
                sizes_trait: sizes_trait(block),
                channels: channels.clone(),
                size_params: size_params.to_vec(),
                assoc: RefCell::new(vec![]),
                supers: RefCell::new(vec![]),
            }),
            net_params: vec![],
        }
    }

    pub fn is_generic(&self) -> bool {
        self.generic.is_some()
    }

    /// The type of a channel (or feature) count.
    pub fn chan(&self, s: &Size) -> TokenStream {
        match (s, &self.generic) {
            (Size::Fixed(n), _) => tn(*n),
            (Size::Sym(_), None) if self.net_param(s).is_some() => {
                let p = self.net_param(s);
                quote!(#p)
            }
            (Size::Sym(_), Some(g)) if *s == Size::param(&g.channels.to_string()) => {
                let c = &g.channels;
                quote!(#c)
            }
            (Size::Sym(_), Some(g)) => match g
                .size_params
                .iter()
                .find(|p| *s == Size::param(&p.to_string()))
            {
                Some(p) => quote!(#p),
                None => {
                    let (t, c) = (g.trait_ref(), &g.channels);
                    let name = g.assoc_for(s);
                    quote!(<#c as #t>::#name)
                }
            },
            // a runtime or symbolic size where a type is needed is caught by
            // the checker; usize keeps the expansion going
            _ => quote!(usize),
        }
    }

    /// The type of generic block `ty` used at `cin` channels with size
    /// arguments `sizes`, over element and device `ed`.
    pub fn block_ty(
        &self,
        ty: &syn::Path,
        cin: &Size,
        sizes: &[Size],
        ed: TokenStream,
    ) -> TokenStream {
        let c = self.chan(cin);
        let sizes = sizes.iter().map(|s| self.chan(s));
        quote!(#ty<#c, #(#sizes,)* #ed>)
    }

    /// The type of a generic block's use (as [`Tys::block_ty`]), recording
    /// that the block's own sizes trait must hold for its input channels.
    pub fn block_use(
        &self,
        ty: &syn::Path,
        cin: &Size,
        sizes: &[Size],
        ed: TokenStream,
    ) -> TokenStream {
        if let Some(g) = &self.generic {
            let args = sizes.iter().map(|s| self.chan(s));
            let inner = sizes_trait_path(ty);
            let inner = quote!(#inner<#(#args),*>);
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
        self.block_ty(ty, cin, sizes, ed)
    }

    /// `<E: Dtype, D: Storage<E>>`, after `C` and the size parameters in
    /// a generic block.
    pub fn struct_params(&self) -> TokenStream {
        if self.generic.is_none() {
            let ed = self.element_and_device();
            // defaults come last
            let params = self.net_params.iter().map(|(p, d)| match d {
                Some(n) => {
                    let t = tn(*n);
                    quote!(#p: ::splotnet::dims::Size = #t)
                }
                None => quote!(#p: ::splotnet::dims::Size),
            });
            return quote!(#ed #(, #params)*);
        }
        self.struct_params_no_defaults()
    }

    /// The generic arguments of a struct over element and device `ed`.
    pub fn args(&self, ed: TokenStream) -> TokenStream {
        match &self.generic {
            Some(g) => {
                let (c, p) = (&g.channels, &g.size_params);
                quote!(<#c, #(#p,)* #ed>)
            }
            None => {
                let p = self.net_params.iter().map(|(p, _)| p);
                quote!(<#ed #(, #p)*>)
            }
        }
    }

    /// A generic block's own parameters as arguments: `C, P..,`.
    pub fn own_args(&self) -> TokenStream {
        match &self.generic {
            Some(g) => {
                let (c, p) = (&g.channels, &g.size_params);
                quote!(#c, #(#p,)*)
            }
            None => quote!(),
        }
    }

    /// `C: NameSizes<P>, P: Size,` for impl headers of a generic block.
    pub fn impl_param(&self) -> TokenStream {
        match &self.generic {
            Some(g) => {
                let (c, t, p) = (&g.channels, g.trait_ref(), &g.size_params);
                quote!(#c: #t, #(#p: ::splotnet::dims::Size,)*)
            }
            None => {
                let p = self.net_params.iter().map(|(p, _)| p);
                quote!(#(#p: ::splotnet::dims::Size,)*)
            }
        }
    }

    /// What a generic struct holds only as types: `(C, P.., E, D)`.
    pub fn phantom(&self) -> TokenStream {
        match &self.generic {
            Some(g) => {
                let (c, p) = (&g.channels, &g.size_params);
                quote!((#c, #(#p,)* E, D))
            }
            None => {
                let p = self.net_params.iter().map(|(p, _)| p);
                quote!((E, D #(, #p)*))
            }
        }
    }

    /// [`Tys::struct_params`] for an impl header (no defaults).
    pub fn struct_params_no_defaults(&self) -> TokenStream {
        let (sizes, ed) = (self.impl_param(), self.element_and_device());
        quote!(#sizes #ed)
    }

    /// `E: Dtype, D: Storage<E>`.
    fn element_and_device(&self) -> TokenStream {
        quote!(E: ::splotnet::dfdx::prelude::Dtype, D: ::splotnet::dfdx::prelude::Storage<E>)
    }

    /// A network's size parameters, as a struct's trailing arguments.
    pub fn net_args(&self) -> Vec<&Ident> {
        self.net_params.iter().map(|(p, _)| p).collect()
    }
}

impl GenericTys {
    /// `NameSizes<P..>`: the sizes trait at the block's size parameters.
    fn trait_ref(&self) -> TokenStream {
        let (t, p) = (&self.sizes_trait, &self.size_params);
        if p.is_empty() {
            quote!(#t)
        } else {
            quote!(#t<#(#p),*>)
        }
    }

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
    beside_block(ty, sizes_trait)
}

/// The path of an item declared beside the block at `ty` and named from
/// the block's name (its sizes trait, shape trait or use check), without
/// the block's generic arguments.
pub(super) fn beside_block(ty: &syn::Path, name: impl Fn(&Ident) -> Ident) -> TokenStream {
    let mut p = ty.clone();
    if let Some(last) = p.segments.last_mut() {
        last.ident = name(&last.ident);
        last.arguments = syn::PathArguments::None;
    }
    quote!(#p)
}

/// The path of the use check of the block at `ty`: the block's own name,
/// in the value namespace (a braced struct leaves it free), so importing a
/// block imports its check.
pub fn check_fn_path(ty: &syn::Path) -> TokenStream {
    beside_block(ty, Ident::clone)
}
