//! A network's own methods: `forward`, `forward_train`, `activations`,
//! `forward_train_aux` for auxiliary heads, `summary`, and the checks of
//! the generic blocks it uses.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::scope::{fused_squash, Heads, Pass};
use super::summary::{shape_tokens, summary_rows};
use super::{check_fn_path, Tys};
use crate::ir::*;
use crate::parse::Network;

pub(super) fn methods(net: &Network, plan: &Plan, tys: &Tys) -> TokenStream {
    let name = &net.name;
    let input_ty = tys.tensor(&plan.input);
    let output_ty = tys.tensor(plan.output());
    let (impl_param, self_args) = (tys.impl_param(), tys.args(quote!(f32, D)));
    let this = quote!(self);
    let pass = |mutable: bool, on_data: bool, heads: Heads, recording: bool| {
        let pass = Pass {
            tys,
            mutable,
            on_data,
            heads,
            this: &this,
            recording,
        };
        pass.run(&plan.steps)
    };
    let infer = pass(false, false, Heads::Skip, true);
    let train = pass(true, true, Heads::Skip, false);
    let recorded = plan
        .steps
        .iter()
        .zip(&infer)
        .enumerate()
        .map(|(i, (s, stmt))| {
            // a fused step records its layer's output itself
            let fused = fused_squash(tys, &plan.steps, i).is_some();
            let push = s
                .label
                .as_ref()
                .filter(|_| !matches!(s.op, Op::Aux { .. }) && !fused)
                .map(|n| {
                    let n = n.to_string();
                    quote!(::splotnet::inspect::Recorder::record(recorder, #n, &x);)
                });
            quote!(#stmt #push)
        });
    let aux = aux_pass(net, plan, tys, pass(true, true, Heads::Compute, false));
    let mut rows = Vec::new();
    summary_rows(tys, &plan.steps, "", &mut rows);
    let input_shape = shape_tokens(tys, &plan.input);
    let title = name.to_string();
    let checks = block_checks(&plan.steps);
    let (struct_params, ed_args) = (tys.struct_params_no_defaults(), tys.args(quote!(E, D)));
    quote_spanned! {Span::call_site()=>
        #checks

        impl<#impl_param D: ::splotnet::ops::Backend> #name #self_args {
            /// Inference forward pass (dropout off); any tape.
            #[allow(clippy::type_complexity)]
            pub fn forward<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &self,
                x: #input_ty,
            ) -> ::splotnet::Result<#output_ty> {
                self.inference_pass(x, &mut ::splotnet::inspect::NoRecord)
            }

            /// The output of every named layer on the first sample of `x`
            /// (an inference pass), in order: for pictures of feature maps.
            #[allow(clippy::type_complexity)]
            pub fn activations<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &self,
                x: #input_ty,
            ) -> ::splotnet::Result<::std::vec::Vec<::splotnet::inspect::Activation>> {
                let mut acts = ::std::vec::Vec::new();
                self.inference_pass(x, &mut acts)?;
                Ok(acts)
            }

            /// The inference pass behind `forward` and `activations`, telling
            /// `recorder` each named layer's output.
            #[allow(clippy::type_complexity)]
            #[doc(hidden)]
            pub fn inference_pass<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>, R: ::splotnet::inspect::Recorder>(
                &self,
                x: #input_ty,
                recorder: &mut R,
            ) -> ::splotnet::Result<#output_ty> {
                #(#recorded)*
                Ok(x)
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
                #(#train)*
                Ok(x)
            }
        }

        #aux

        impl<#struct_params> #name #ed_args {
            /// One row per layer (blocks, then their layers under dotted
            /// names): output shape, parameters, multiply-adds, receptive
            /// field and jump, all computed from the declaration.
            pub fn summary() -> ::splotnet::inspect::Summary {
                ::splotnet::inspect::Summary {
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
fn aux_pass(net: &Network, plan: &Plan, tys: &Tys, body: Vec<TokenStream>) -> TokenStream {
    let heads = plan.aux_heads();
    if heads.is_empty() {
        return quote!();
    }
    let name = &net.name;
    let vis = &net.vis;
    let outputs = format_ident!("{}Aux", name);
    let input_ty = tys.tensor(&plan.input);
    let output_ty = tys.tensor(plan.output());
    let fields = heads.iter().map(|(head, shape, _)| {
        let ty = tys.tensor(shape);
        let doc = format!(
            "The output of auxiliary head `{head}`, {} per sample.",
            shape.describe()
        );
        quote!(#[doc = #doc] pub #head: #ty)
    });
    let names = heads.iter().map(|(head, ..)| head);
    let (impl_param, self_args, own) = (tys.impl_param(), tys.args(quote!(f32, D)), tys.net_args());
    let doc =
        format!("The outputs of `{name}`'s auxiliary heads, from [`{name}::forward_train_aux`].");
    quote_spanned! {Span::call_site()=>
        #[doc = #doc]
        #[allow(clippy::type_complexity)]
        #vis struct #outputs<B: ::splotnet::dfdx::prelude::Dim, D: ::splotnet::dfdx::prelude::Storage<f32>, T #(, #own: ::splotnet::dims::Size)*> {
            #(#fields,)*
        }

        impl<#impl_param D: ::splotnet::ops::Backend> #name #self_args {
            /// The training pass that also runs the auxiliary heads: the main
            /// output and the heads' outputs, each on its own tape (add their
            /// losses to train the heads; `forward_train` skips them).
            #[allow(clippy::type_complexity)]
            pub fn forward_train_aux<B: ::splotnet::dfdx::prelude::Dim, T: ::splotnet::dfdx::prelude::Tape<f32, D>>(
                &mut self,
                x: #input_ty,
            ) -> ::splotnet::Result<(#output_ty, #outputs<B, D, T #(, #own)*>)> {
                #(#body)*
                Ok((x, #outputs { #(#names,)* }))
            }
        }
    }
}

/// One `const` check per use of a generic block, evaluated by `cargo
/// check`: channel arithmetic inside the block (`C / 4`) must be whole at
/// the use's channel count.
fn block_checks(steps: &[Step]) -> TokenStream {
    let mut out = TokenStream::new();
    for s in steps {
        if let Op::Block {
            name,
            ty,
            cin: Size::Fixed(c),
            sizes,
        } = &s.op
        {
            let check = check_fn_path(ty);
            let label = name.to_string();
            // a network's sizes are numbers (it has no parameters)
            let sizes = sizes.iter().filter_map(Size::fixed);
            out.extend(
                quote_spanned!(s.span=> const _: () = #check(#label, #c, #(#sizes),*).assert();),
            );
        }
        for (_, inner) in s.children() {
            out.extend(block_checks(inner));
        }
    }
    out
}
