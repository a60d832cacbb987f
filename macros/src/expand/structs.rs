//! The structs a network expands to, one per scope (the network, and each
//! block inside it), with dfdx's `TensorCollection` naming every field as
//! PyTorch's `state_dict` does.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::types::{
    conv1d_type, conv_spec, conv_type, gate_type, linear_type, table_conv_type, tn,
};
use crate::check::{Op, Plan, Shape, Step};
use crate::parse::Network;

/// The struct holding one scope's parameterised layers and blocks.
pub(super) struct Scope<'a> {
    /// The generated type's name.
    ty: Ident,
    steps: &'a [Step],
    /// Extra fields beside the steps' (a residual block's projection):
    /// field, name in the state dict, type.
    extra: Vec<(Ident, String, TokenStream)>,
}

/// The type name of the struct of block `path` inside network `net`.
pub(super) fn block_type(net: &Ident, path: &[String]) -> Ident {
    format_ident!("{}_{}", net, path.join("_"))
}

/// A step's field type, if it holds parameters or sub-layers.
pub(super) fn field_type(net: &Ident, path: &[String], step: &Step) -> Option<TokenStream> {
    match &step.op {
        Op::Conv {
            cin,
            out,
            win,
            table: Some(_),
            ..
        } => Some(table_conv_type(*cin, *out, win, quote!(E, D))),
        Op::Conv {
            cin,
            out,
            groups,
            win,
            table: None,
            ..
        } if matches!(step.input, Shape::Seq { .. }) => Some(conv1d_type(*cin, *out, *groups, win)),
        Op::Conv {
            cin,
            out,
            groups,
            win,
            table: None,
            bias: false,
        } => {
            let (cg, o, kh, kw) = (tn(cin / groups), tn(*out), tn(win.k.0), tn(win.k.1));
            let spec = conv_spec(win, *groups);
            Some(
                quote!(::splotnet::layers::Conv2d<#cg, #o, #kh, #kw, #spec, E, D, ::splotnet::layers::NoBias>),
            )
        }
        Op::Conv {
            cin,
            out,
            groups,
            win,
            table: None,
            ..
        } => Some(conv_type(*cin, *out, *groups, win)),
        Op::Linear { inp, out } => Some(linear_type(*inp, *out)),
        Op::Subsample { c, k } => {
            let (c, k) = (tn(*c), tn(*k));
            Some(quote!(::splotnet::layers::Subsample2d<#c, #k, E, D>))
        }
        Op::ConvTranspose {
            cin,
            out,
            groups,
            win,
            op,
        } => {
            let (c, o, og, kh, kw) = (
                tn(*cin),
                tn(*out),
                tn(out / groups),
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
            Some(
                quote!(::splotnet::layers::ConvTranspose2d<#c, #o, #og, #kh, #kw, ::splotnet::ops::ConvTranspose2dSpec<#sh, #sw, #ph, #pw, #oph, #opw, #dh, #dw, #g>, E, D>),
            )
        }
        Op::BatchNorm { c } => {
            let c = tn(*c);
            Some(quote!(::splotnet::layers::BatchNorm2d<#c, E, D>))
        }
        Op::Block { ty, cin } => {
            let c = tn(*cin);
            Some(quote!(#ty<#c, E, D>))
        }
        Op::Residual { .. }
        | Op::Concat { .. }
        | Op::Dense { .. }
        | Op::Highway { .. }
        | Op::Aux { .. } => {
            let mut p = path.to_vec();
            p.push(step.name.as_ref()?.to_string());
            let ty = block_type(net, &p);
            Some(quote!(#ty<E, D>))
        }
        _ => None,
    }
}

/// Every struct a network needs: its own and one per block, nested.
pub(super) fn structs(net: &Network, plan: &Plan) -> TokenStream {
    let mut out = TokenStream::new();
    let top = Scope {
        ty: net.name.clone(),
        steps: &plan.steps,
        extra: vec![],
    };
    let attrs = &net.attrs;
    out.extend(one_struct(net, &top, &[], quote!(#(#attrs)*)));
    block_structs(net, &plan.steps, &[], &mut out);
    out
}

pub(super) fn block_structs(net: &Network, steps: &[Step], path: &[String], out: &mut TokenStream) {
    for step in steps {
        let Some(name) = &step.name else { continue };
        let mut p = path.to_vec();
        p.push(name.to_string());
        match &step.op {
            Op::Residual { body, projection } => {
                let extra = projection
                    .map(|pr| {
                        (
                            format_ident!("shortcut"),
                            "shortcut".to_string(),
                            conv_type(pr.cin, pr.out, 1, &pr.window()),
                        )
                    })
                    .into_iter()
                    .collect();
                block_scope(net, &p, body, extra, out);
            }
            Op::Aux { body, .. } => block_scope(net, &p, body, vec![], out),
            Op::Highway {
                body,
                gate_k,
                gate_bias_milli,
            } => {
                let gate = gate_type(&step.input, *gate_k, *gate_bias_milli);
                let extra = vec![(format_ident!("gate"), "gate".to_string(), gate)];
                block_scope(net, &p, body, extra, out);
            }
            Op::Concat { branches } => {
                let children = branches
                    .iter()
                    .map(|(b, steps)| (b.clone(), b.to_string(), steps.as_slice()))
                    .collect();
                container(net, &p, children, out);
            }
            Op::Dense { layers } => {
                let children = layers
                    .iter()
                    .enumerate()
                    .map(|(i, steps)| (dense_field(i), i.to_string(), steps.as_slice()))
                    .collect();
                container(net, &p, children, out);
            }
            _ => {}
        }
    }
}

/// The hidden struct of a block's `steps` at `path`, with `extra` fields
/// beside theirs, then the structs of the blocks inside it.
fn block_scope(
    net: &Network,
    path: &[String],
    steps: &[Step],
    extra: Vec<(Ident, String, TokenStream)>,
    out: &mut TokenStream,
) {
    let scope = Scope {
        ty: block_type(&net.name, path),
        steps,
        extra,
    };
    let hidden = quote!(#[doc(hidden)] #[allow(non_camel_case_types)]);
    out.extend(one_struct(net, &scope, path, hidden));
    block_structs(net, steps, path, out);
}

/// A block of sub-scopes (concat's branches, dense's layers): a struct with
/// one field per child (field, state-dict key, steps), then each child's.
fn container(
    net: &Network,
    path: &[String],
    children: Vec<(Ident, String, &[Step])>,
    out: &mut TokenStream,
) {
    let child_path = |key: &str| [path.to_vec(), vec![key.to_string()]].concat();
    let fields = children
        .iter()
        .map(|(field, key, _)| {
            let ty = block_type(&net.name, &child_path(key));
            (field.clone(), key.clone(), quote!(#ty<E, D>))
        })
        .collect();
    block_scope(net, path, &[], fields, out);
    for (_, key, steps) in children {
        block_scope(net, &child_path(&key), steps, vec![], out);
    }
}

/// The field of a dense block's layer `i`; its state-dict name is `i`, as
/// in PyTorch's `ModuleList`.
pub(super) fn dense_field(i: usize) -> Ident {
    format_ident!("layer{}", i)
}

pub(super) fn one_struct(
    net: &Network,
    scope: &Scope,
    path: &[String],
    attrs: TokenStream,
) -> TokenStream {
    let ty = &scope.ty;
    let mut fields: Vec<FieldDef> = scope
        .steps
        .iter()
        .filter_map(|s| {
            let t = field_type(&net.name, path, s)?;
            let n = s.name.clone()?;
            let doc = format!("`{}`: {}, output {}.", n, s.kind_name(), s.out.describe());
            Some((n.clone(), n.to_string(), t, doc))
        })
        .collect();
    for (n, key, t) in &scope.extra {
        fields.push((n.clone(), key.clone(), t.clone(), format!("`{key}`")));
    }
    struct_tokens(&net.vis, attrs, ty, false, &fields)
}

/// A field of a generated struct: field, state-dict name, type, doc.
pub(super) type FieldDef = (Ident, String, TokenStream, String);

/// A generated struct of layers over `E, D` (and the channel type `C` when
/// `generic`), with dfdx's `TensorCollection` naming each field `key`.
pub(super) fn struct_tokens(
    vis: &syn::Visibility,
    attrs: TokenStream,
    ty: &Ident,
    generic: bool,
    fields: &[FieldDef],
) -> TokenStream {
    let (c_decl, c) = if generic {
        (quote!(C: ::splotnet::dims::Size,), quote!(C,))
    } else {
        (quote!(), quote!())
    };
    let defs = fields
        .iter()
        .map(|(n, _, t, doc)| quote!(#[doc = #doc] pub #n: #t));
    let names: Vec<&Ident> = fields.iter().map(|(n, _, _, _)| n).collect();
    let visits = nest(
        fields
            .iter()
            .map(|(n, key, _, _)| quote!(Self::module(#key, |s| &s.#n, |s| &mut s.#n)))
            .collect(),
    );
    let pattern = nest(names.iter().map(|n| quote!(#n)).collect());
    quote! {
        #attrs
        #vis struct #ty<#c_decl E: ::splotnet::dfdx::prelude::Dtype, D: ::splotnet::dfdx::prelude::Storage<E>> {
            #(#defs,)*
            _types: ::core::marker::PhantomData<(#c E, D)>,
        }

        impl<#c_decl D: ::splotnet::dfdx::prelude::Device<f32>> ::splotnet::dfdx::nn::TensorCollection<f32, D> for #ty<#c f32, D> {
            type To<E2: ::splotnet::dfdx::prelude::Dtype, D2: ::splotnet::dfdx::prelude::Device<E2>> = #ty<#c E2, D2>;

            fn iter_tensors<V: ::splotnet::dfdx::nn::ModuleVisitor<Self, f32, D>>(
                visitor: &mut V,
            ) -> ::core::result::Result<::core::option::Option<Self::To<V::E2, V::D2>>, V::Err> {
                visitor.visit_fields(#visits, |#pattern| #ty { #(#names,)* _types: ::core::marker::PhantomData })
            }
        }
    }
}

/// Groups `items` into nested tuples of at most six (dfdx's tuple limit).
pub(super) fn nest(items: Vec<TokenStream>) -> TokenStream {
    if items.len() <= 6 {
        return quote!((#(#items,)*));
    }
    let groups: Vec<TokenStream> = items.chunks(6).map(|c| nest(c.to_vec())).collect();
    nest(groups)
}
