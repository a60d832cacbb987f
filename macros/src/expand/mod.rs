//! Turns a checked plan into Rust: a struct of layers, `TensorCollection`,
//! forward passes whose every intermediate type is stated, and `summary()`.
//!
//! `types` names the types, `structs` declares the structs, `forward`
//! writes the passes, `summary` the layer table; `generic` expands generic
//! blocks.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

mod forward;
mod generic;
mod structs;
mod summary;
mod types;

pub use generic::expand_generic;

use crate::check::{Op, Plan};
use crate::parse::Network;
use forward::{forward_steps, forward_steps_from};
use structs::structs;
use summary::{shape_tokens, summary_rows};
use types::tensor;

pub fn expand(net: &Network, plan: &Plan) -> TokenStream {
    let name = &net.name;
    let structs = structs(net, plan);
    let input_ty = tensor(&plan.input);
    let output_ty = tensor(&plan.steps.last().map_or(plan.input, |s| s.out));
    let path = quote!(self);
    let infer = forward_steps(&plan.steps, &path, false);
    let train = forward_steps_from(&plan.steps, &path, true, true, false);
    let aux = aux_pass(net, plan);
    let recorded = plan.steps.iter().map(|s| {
        let stmt = forward_steps(std::slice::from_ref(s), &path, false);
        let push = s
            .name
            .as_ref()
            .filter(|_| !matches!(s.op, Op::Aux { .. }))
            .map(|n| {
                let n = n.to_string();
                quote!(acts.push(::splotnet::plot::Activation::first_sample(#n, &x));)
            });
        quote!(#stmt #push)
    });
    let mut rows = Vec::new();
    summary_rows(&plan.steps, "", &mut rows);
    let input_shape = shape_tokens(&plan.input);
    let title = name.to_string();
    quote_spanned! {Span::call_site()=>
        #structs

        impl<D: ::splotnet::ops::Backend> #name<f32, D> {
            /// Inference forward pass (dropout off); any tape.
            #[allow(clippy::type_complexity)]
            pub fn forward<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &self,
                x: #input_ty,
            ) -> ::splotnet::Result<#output_ty> {
                #infer
                Ok(x)
            }

            /// The output of every named layer on the first sample of `x`
            /// (an inference pass), in order: for pictures of feature maps.
            #[allow(clippy::type_complexity)]
            pub fn activations<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &self,
                x: #input_ty,
            ) -> ::splotnet::Result<::std::vec::Vec<::splotnet::plot::Activation>> {
                let mut acts = ::std::vec::Vec::new();
                #(#recorded)*
                let _ = x;
                Ok(acts)
            }

            /// Training forward pass: dropout on, batch norm on batch
            /// statistics (and updating its running ones); pass a traced input.
            /// The input is treated as data: its own gradient is not computed
            /// (parameters' gradients are); use `forward` for input gradients.
            #[allow(clippy::type_complexity)]
            pub fn forward_train<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &mut self,
                x: #input_ty,
            ) -> ::splotnet::Result<#output_ty> {
                #train
                Ok(x)
            }
        }

        #aux

        impl<E: ::splotnet::dfdx::prelude::Dtype, D: ::splotnet::dfdx::prelude::Storage<E>> #name<E, D> {
            /// One row per layer (blocks, then their layers under dotted
            /// names): output shape, parameters, multiply-adds, receptive
            /// field and jump, all computed from the declaration.
            pub fn summary() -> ::splotnet::summary::Summary {
                ::splotnet::summary::Summary {
                    name: #title.to_string(),
                    input: #input_shape,
                    rows: vec![#(#rows),*],
                }
            }
        }
    }
}

/// For a network with auxiliary heads: the struct of their outputs and
/// `forward_train_aux`, which returns it beside the main output.
fn aux_pass(net: &Network, plan: &Plan) -> TokenStream {
    let heads = plan.aux_heads();
    if heads.is_empty() {
        return quote!();
    }
    let name = &net.name;
    let vis = &net.vis;
    let outputs = format_ident!("{}Aux", name);
    let input_ty = tensor(&plan.input);
    let output_ty = tensor(&plan.steps.last().map_or(plan.input, |s| s.out));
    let fields = heads.iter().map(|(head, shape)| {
        let ty = tensor(shape);
        let doc = format!(
            "The output of auxiliary head `{head}`, {} per sample.",
            shape.describe()
        );
        quote!(#[doc = #doc] pub #head: #ty)
    });
    let names = heads.iter().map(|(head, _)| head);
    let body = forward_steps_from(&plan.steps, &quote!(self), true, true, true);
    let doc =
        format!("The outputs of `{name}`'s auxiliary heads, from [`{name}::forward_train_aux`].");
    quote_spanned! {Span::call_site()=>
        #[doc = #doc]
        #[allow(clippy::type_complexity)]
        #vis struct #outputs<B: ::splotnet::dfdx::prelude::Dim, D: ::splotnet::dfdx::prelude::Storage<f32>, T> {
            #(#fields,)*
        }

        impl<D: ::splotnet::ops::Backend> #name<f32, D> {
            /// The training pass that also runs the auxiliary heads: the main
            /// output and the heads' outputs, each on its own tape (add their
            /// losses to train the heads; `forward_train` skips them).
            #[allow(clippy::type_complexity)]
            pub fn forward_train_aux<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &mut self,
                x: #input_ty,
            ) -> ::splotnet::Result<(#output_ty, #outputs<B, D, T>)> {
                #body
                Ok((x, #outputs { #(#names,)* }))
            }
        }
    }
}
