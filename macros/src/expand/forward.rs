//! The forward passes: one statement per step, each stating the tensor
//! type it produces, so the type system re-derives every shape.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::structs::dense_field;
use super::types::{pool_type, tensor};
use crate::check::{Act, Op, PoolKind, Shape, Step};

pub(super) fn dev_err() -> TokenStream {
    quote!(.map_err(::splotnet::Error::device)?)
}

/// The statements computing `steps` from `x`, fields reached through `path`.
pub(super) fn forward_steps(steps: &[Step], path: &TokenStream, train: bool) -> TokenStream {
    forward_steps_from(steps, path, train, false, false)
}

/// As [`forward_steps`]; `on_data` says `x` is the network's input, whose
/// gradient training never needs, so a first plain convolution skips it;
/// `aux` computes the auxiliary heads into variables named after them
/// (otherwise they are skipped).
pub(super) fn forward_steps_from(
    steps: &[Step],
    path: &TokenStream,
    train: bool,
    on_data: bool,
    aux: bool,
) -> TokenStream {
    let stmts = steps.iter().enumerate().map(|(i, s)| {
        let ty = tensor(&s.out);
        if let Op::Aux { body, out } = &s.op {
            if !aux {
                return quote!();
            }
            let name = s.name.as_ref().expect("checked: blocks are named");
            let head = forward_steps(body, &quote!(#path.#name), train);
            let out = tensor(out);
            return quote_spanned!(s.span=> let #name: #out = {
                let x = ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x);
                #head
                x
            };);
        }
        let on_seq = matches!(s.input, Shape::Seq { .. });
        let expr = match &s.op {
            Op::Conv { table: None, .. } if train && on_data && i == 0 && !on_seq => {
                let name = s.name.as_ref().expect("checked: convolutions are named");
                quote!(#path.#name.try_forward_data(x)?)
            }
            // 2D layers see a sequence as C x 1 x L maps
            Op::Pool { .. }
            | Op::BatchNorm { .. }
            | Op::Lrn { .. }
            | Op::Flatten
            | Op::GlobalPool(_)
                if on_seq =>
            {
                let expr = step_expr(s, path, train);
                let back = if matches!(s.out, Shape::Seq { .. }) {
                    quote!(::splotnet::layers::maps_as_seq(y)?)
                } else {
                    quote!(y)
                };
                quote!({
                    let x = ::splotnet::layers::seq_as_maps(x)?;
                    let y = #expr;
                    #back
                })
            }
            _ => step_expr(s, path, train),
        };
        // the stated type is where the type system re-checks the shape
        quote_spanned!(s.span=> let x: #ty = #expr;)
    });
    quote!(#(#stmts)*)
}

/// The expression computing one step from `x`.
pub(super) fn step_expr(step: &Step, path: &TokenStream, train: bool) -> TokenStream {
    let e = dev_err();
    let field = || {
        let name = step
            .name
            .as_ref()
            .expect("checked: layers with fields are named");
        quote!(#path.#name)
    };
    match &step.op {
        Op::Conv { .. }
        | Op::Linear { .. }
        | Op::BatchNorm { .. }
        | Op::Subsample { .. }
        | Op::ConvTranspose { .. } => {
            let f = field();
            if train {
                quote!(::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut #f, x)?)
            } else {
                quote!(::splotnet::dfdx::nn::Module::try_forward(&#f, x)?)
            }
        }
        // spanned at the use, where a size the block cannot take fails
        Op::Block { .. } => {
            let f = field();
            let out = tensor(&step.out);
            let call = if train {
                quote_spanned!(step.span=> ::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut #f, x)?)
            } else {
                quote_spanned!(step.span=> ::splotnet::dfdx::nn::Module::try_forward(&#f, x)?)
            };
            quote_spanned!(step.span=> ::splotnet::layers::StatedOutput::<#out>::stated(#call))
        }
        Op::Pool { kind, win } => {
            let ty = pool_type(*kind, win);
            quote!(::splotnet::dfdx::nn::Module::try_forward(&<#ty>::default(), x)?)
        }
        Op::GlobalPool(PoolKind::Max) => quote!(::splotnet::ops::global_max_pool2d(x)?),
        Op::GlobalPool(_) => quote!(::splotnet::ops::global_avg_pool2d(x)?),
        Op::Flatten => quote!(::splotnet::dfdx::nn::Module::try_forward(
            &::splotnet::layers::Flatten,
            x
        )?),
        Op::Act(Act::Relu) => quote!(x.try_relu()#e),
        Op::Act(Act::Tanh) => quote!(::splotnet::ops::scaled_tanh(x, 1.0, 1.0)?),
        Op::Act(Act::Sigmoid) => quote!(x.try_sigmoid()#e),
        Op::Act(Act::ScaledTanh) => quote!(::splotnet::dfdx::nn::Module::try_forward(
            &::splotnet::layers::ScaledTanh,
            x
        )?),
        Op::Dropout(p) => {
            let p = *p as f32;
            if train {
                quote!(x.try_dropout(#p)#e)
            } else {
                quote!(x)
            }
        }
        Op::Lrn { n, k, alpha, beta } => {
            let (n, k, alpha, beta) = (*n as usize, *k as f32, *alpha as f32, *beta as f32);
            quote!(::splotnet::ops::local_response_norm(x, &::splotnet::ops::Lrn { n: #n, k: #k, alpha: #alpha, beta: #beta })?)
        }
        Op::Residual { body, projection } => {
            let f = field();
            let body = forward_steps(body, &f, train);
            let shortcut = if projection.is_some() {
                quote!(::splotnet::dfdx::nn::Module::try_forward(&#f.shortcut, shortcut)?)
            } else {
                quote!(shortcut)
            };
            quote!({
                let shortcut = ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x);
                #body
                ::splotnet::layers::residual_add(x, #shortcut)?
            })
        }
        Op::Concat { branches } => {
            let f = field();
            let last = branches.len() - 1;
            let outs: Vec<Ident> = (0..branches.len())
                .map(|i| format_ident!("branch{}", i))
                .collect();
            let computed = branches
                .iter()
                .zip(&outs)
                .enumerate()
                .map(|(i, ((b, steps), out))| {
                    let path = quote!(#f.#b);
                    let body = forward_steps(steps, &path, train);
                    let input = if i == last {
                        quote!(x)
                    } else {
                        quote!(::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x))
                    };
                    quote!(let #out = { let x = #input; #body x };)
                });
            let first = &outs[0];
            let rest = &outs[1..];
            quote!({
                #(#computed)*
                let y = #first;
                #(let y = ::splotnet::layers::concat_channels(y, #rest)?;)*
                y
            })
        }
        // the main path passes an auxiliary head by
        Op::Aux { .. } => quote!(x),
        Op::Highway { body, .. } => {
            let f = field();
            let body = forward_steps(body, &f, train);
            quote!({
                let carry = ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x);
                let gate = ::splotnet::dfdx::nn::Module::try_forward(
                    &#f.gate,
                    ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x),
                )?;
                #body
                ::splotnet::layers::highway_mix(x, gate, carry)?
            })
        }
        Op::Dense { layers } => {
            let f = field();
            let grown = layers.iter().enumerate().map(|(i, steps)| {
                let l = dense_field(i);
                let path = quote!(#f.#l);
                let body = forward_steps(steps, &path, train);
                let ty = tensor(&dense_out(step, layers, i));
                quote! {
                    let new = {
                        let x = ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x);
                        #body
                        x
                    };
                    let x: #ty = ::splotnet::layers::concat_channels(x, new)?;
                }
            });
            quote!({ #(#grown)* x })
        }
    }
}

/// The maps after layer `i` of a dense block has stacked its output on.
pub(super) fn dense_out(step: &Step, layers: &[Vec<Step>], i: usize) -> Shape {
    let Shape::Maps { c, h, w } = step.input else {
        unreachable!("checked: dense blocks take maps")
    };
    let grown: u64 = layers[..=i]
        .iter()
        .map(|steps| match steps.last().map(|s| s.out) {
            Some(Shape::Maps { c, .. }) => c,
            _ => 0,
        })
        .sum();
    Shape::Maps { c: c + grown, h, w }
}
