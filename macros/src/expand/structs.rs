//! The struct of each scope and its dfdx `TensorCollection`: fields named
//! by their state-dict keys, blocks without a level of their own visited
//! through their parent, and fields finished once dfdx has built them.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::scope::{block_type, child_scope, dense_field, Join, Scope};
use super::Tys;
use crate::ir::*;
use crate::parse::Network;

/// A residual's shortcut field: `shortcut` (a 1x1 projection), or
/// `downsample` as torchvision names it.
pub(super) fn shortcut_field(p: &Projection) -> (Ident, &'static str) {
    if p.norm {
        (
            format_ident!("downsample"),
            "torchvision's downsample: 1x1 conv without bias, then batch norm.",
        )
    } else {
        (format_ident!("shortcut"), "The 1x1 projection shortcut.")
    }
}

/// A field of a generated struct.
struct FieldDef {
    name: Ident,
    /// Its state-dict key: the name, or the declaration's `#[key = ..]`.
    key: String,
    ty: TokenStream,
    doc: String,
    /// A call that finishes the field once dfdx has built it (a batch
    /// norm's `eps` and `momentum`, which are in no file).
    finish: Option<TokenStream>,
    /// A block that adds no level to the keys (`#[key = ""]`): its struct,
    /// whose fields the parent visits itself.
    inline: Option<(Ident, Vec<FieldDef>)>,
}

impl FieldDef {
    fn new(name: Ident, ty: TokenStream, doc: impl Into<String>) -> FieldDef {
        FieldDef {
            key: name.to_string(),
            name,
            ty,
            doc: doc.into(),
            finish: None,
            inline: None,
        }
    }
}

/// The type of the nested scope a step at `path` opens.
pub(super) fn child_type(
    net: &Network,
    tys: &Tys,
    path: &[String],
    key: &str,
    ed: &TokenStream,
) -> TokenStream {
    let ty = block_type(&net.name, &[path.to_vec(), vec![key.to_string()]].concat());
    let args = tys.args(ed.clone());
    quote!(#ty #args)
}

fn step_fields(
    net: &Network,
    tys: &Tys,
    steps: &[Step],
    path: &[String],
    ed: &TokenStream,
) -> Vec<FieldDef> {
    steps
        .iter()
        .filter_map(|s| {
            let n = s.field_name()?.clone();
            let t = tys.field_type(s, || child_type(net, tys, path, &n.to_string(), ed), ed)?;
            let doc = format!("`{}`: {}, output {}.", n, s.kind_name(), s.out.describe());
            let mut f = FieldDef::new(n, t, doc);
            f.finish = finish(s);
            if let Some(key) = &s.key {
                f.key = key.clone();
            }
            if f.key.is_empty() {
                let child = child_scope(net, s, path)?;
                f.inline = Some((child.ty.clone(), fields_of(net, tys, &child, ed)));
            }
            Some(f)
        })
        .collect()
}

/// How a step's field is finished once dfdx has built it: a batch norm's
/// `eps` and `momentum` are the declaration's, not in any file.
fn finish(step: &Step) -> Option<TokenStream> {
    match &step.op {
        Op::BatchNorm { eps, momentum, .. } if (*eps, *momentum) != (1e-5, 0.1) => {
            let (eps, momentum) = (*eps as f32, *momentum as f32);
            Some(quote!(.configured(#eps, #momentum)))
        }
        _ => None,
    }
}

/// The fields of a scope's struct.
fn fields_of(net: &Network, tys: &Tys, scope: &Scope, ed: &TokenStream) -> Vec<FieldDef> {
    let path = &scope.path;
    match &scope.join {
        Join::Sequence(steps) => step_fields(net, tys, steps, path, ed),
        Join::Residual {
            body, projection, ..
        } => {
            let mut f = step_fields(net, tys, body, path, ed);
            if let Some(p) = projection {
                let (field, doc) = shortcut_field(p);
                f.push(FieldDef::new(field, tys.shortcut(p, ed), doc));
            }
            f
        }
        Join::Highway {
            body,
            gate_k,
            gate_bias_milli,
        } => {
            let mut f = step_fields(net, tys, body, path, ed);
            let t = tys.gate(&scope.input, *gate_k, *gate_bias_milli, ed);
            f.push(FieldDef::new(format_ident!("gate"), t, "The sigmoid gate."));
            f
        }
        Join::Concat { branches, .. } => branches
            .iter()
            .map(|(b, _)| {
                let t = child_type(net, tys, path, &b.to_string(), ed);
                FieldDef::new(b.clone(), t, format!("Branch `{b}`."))
            })
            .collect(),
        Join::Dense { layers, keys, .. } => (0..layers.len())
            .map(|i| {
                let t = match bare_block(&layers[i]) {
                    Some(b) => tys.field_type(b, TokenStream::new, ed).unwrap_or_default(),
                    None => child_type(net, tys, path, &i.to_string(), ed),
                };
                let mut f = FieldDef::new(dense_field(i), t, format!("Layer {i}."));
                f.key = keys.key(i);
                f
            })
            .collect(),
    }
}

pub(super) fn struct_of(
    net: &Network,
    tys: &Tys,
    scope: &Scope,
    attrs: TokenStream,
) -> TokenStream {
    let fields = fields_of(net, tys, scope, &quote!(E, D));
    struct_tokens(net, tys, attrs, &scope.ty, &fields)
}

/// A generated struct of layers, with dfdx's `TensorCollection` naming each
/// field by its state-dict key.
fn struct_tokens(
    net: &Network,
    tys: &Tys,
    attrs: TokenStream,
    ty: &Ident,
    fields: &[FieldDef],
) -> TokenStream {
    let vis = &net.vis;
    let params = tys.struct_params();
    let impl_param = tys.impl_param();
    let (self_args, to_args) = (tys.args(quote!(f32, D)), tys.args(quote!(E2, D2)));
    let phantom = tys.phantom();
    let defs = fields.iter().map(|f| {
        let (n, t, doc) = (&f.name, &f.ty, &f.doc);
        quote!(#[doc = #doc] pub #n: #t)
    });
    // every tensor-holding field dfdx visits, a block without a level of its
    // own visited through it; and the expression rebuilding each field
    let mut visits = Vec::new();
    let mut bindings = Vec::new();
    let inits: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let n = &f.name;
            let value = visit(f, &quote!(#n), &mut visits, &mut bindings);
            quote!(#n: #value)
        })
        .collect();
    let visits = nest(visits);
    let pattern = nest(bindings.iter().map(|b| quote!(#b)).collect());
    quote! {
        #attrs
        #vis struct #ty<#params> {
            #(#defs,)*
            _types: ::core::marker::PhantomData<#phantom>,
        }

        impl<#impl_param D: ::splotnet::dfdx::prelude::Device<f32>> ::splotnet::dfdx::nn::TensorCollection<f32, D> for #ty #self_args {
            type To<E2: ::splotnet::dfdx::prelude::Dtype, D2: ::splotnet::dfdx::prelude::Device<E2>> = #ty #to_args;

            fn iter_tensors<V: ::splotnet::dfdx::nn::ModuleVisitor<Self, f32, D>>(
                visitor: &mut V,
            ) -> ::core::result::Result<::core::option::Option<Self::To<V::E2, V::D2>>, V::Err> {
                visitor.visit_fields(#visits, |#pattern| #ty { #(#inits,)* _types: ::core::marker::PhantomData })
            }
        }
    }
}

/// Adds the visits of field `f` (reached at `access` from the visited
/// struct) and returns the expression that rebuilds it from the bindings.
fn visit(
    f: &FieldDef,
    access: &TokenStream,
    visits: &mut Vec<TokenStream>,
    bindings: &mut Vec<Ident>,
) -> TokenStream {
    match &f.inline {
        None => {
            let key = &f.key;
            let binding = format_ident!("field{}", bindings.len());
            visits.push(quote!(Self::module(#key, |s| &s.#access, |s| &mut s.#access)));
            bindings.push(binding.clone());
            let finish = &f.finish;
            quote!(#binding #finish)
        }
        Some((ty, inner)) => {
            let inits: Vec<TokenStream> = inner
                .iter()
                .map(|g| {
                    let n = &g.name;
                    let value = visit(g, &quote!(#access.#n), visits, bindings);
                    quote!(#n: #value)
                })
                .collect();
            quote!(#ty { #(#inits,)* _types: ::core::marker::PhantomData })
        }
    }
}

/// Groups `items` into nested tuples of at most six (dfdx's tuple limit).
fn nest(items: Vec<TokenStream>) -> TokenStream {
    if items.len() <= 6 {
        return quote!((#(#items,)*));
    }
    let groups: Vec<TokenStream> = items.chunks(6).map(|c| nest(c.to_vec())).collect();
    nest(groups)
}
