//! The `Classifier` impl of a network that scores classes: what lets
//! `splotnet::train::fit` train any such declaration.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::Tys;
use crate::ir::*;
use crate::parse::Network;

/// The impl, for a network whose input sizes are numbers (or size
/// parameters) and whose output and auxiliary heads are vectors; nothing
/// for any other network (a segmenter, one taking runtime sizes).
pub(super) fn classifier_impl(net: &Network, plan: &Plan, tys: &Tys) -> TokenStream {
    let fixed = |s: &Size| *s != Size::Runtime;
    let scores = |shape: &Shape| matches!(shape, Shape::Flat(k) if fixed(k));
    let heads = plan.aux_heads();
    let input = plan.input.sizes();
    if !scores(plan.output())
        || !input.iter().all(fixed)
        || !heads.iter().all(|(_, shape, _)| scores(shape))
    {
        return quote!();
    }
    let Shape::Flat(classes) = plan.output() else {
        return quote!();
    };
    let name = &net.name;
    let dims: Vec<TokenStream> = input.iter().map(|s| tys.chan(s)).collect();
    let k = tys.chan(classes);
    let (impl_param, self_args) = (tys.impl_param(), tys.args(quote!(f32, D)));
    let view = quote! {
        let batch = ::splotnet::train::check_rows(&x, &Self::input_dims())?;
        let x = ::splotnet::dfdx::prelude::ReshapeTo::try_reshape_like(
            x,
            &(batch #(, ::splotnet::dims::N::<#dims>::new())*),
        )?;
    };
    let train = if heads.is_empty() {
        quote!(Ok(::splotnet::train::TrainScores {
            main: ::splotnet::train::as_rows(self.forward_train(x)?)?,
            aux: ::std::vec::Vec::new(),
        }))
    } else {
        let names = heads.iter().map(|(n, ..)| n);
        let weights = heads.iter().map(|(.., w)| *w as f32);
        quote! {
            let (y, aux) = self.forward_train_aux(x)?;
            Ok(::splotnet::train::TrainScores {
                main: ::splotnet::train::as_rows(y)?,
                aux: vec![#((::splotnet::train::as_rows(aux.#names)?, #weights)),*],
            })
        }
    };
    let doc = format!("`{name}` scores classes, so `splotnet::train::fit` trains it.");
    quote_spanned! {Span::call_site()=>
        #[doc = #doc]
        impl<#impl_param D: ::splotnet::ops::Backend> ::splotnet::train::Classifier<D> for #name #self_args {
            fn input_dims() -> ::std::vec::Vec<usize> {
                vec![#(<#dims as ::splotnet::typenum::Unsigned>::USIZE),*]
            }

            fn classes() -> usize {
                <#k as ::splotnet::typenum::Unsigned>::USIZE
            }

            fn train_scores(
                &mut self,
                x: ::splotnet::train::Rows<D, ::splotnet::dfdx::prelude::OwnedTape<f32, D>>,
            ) -> ::splotnet::Result<::splotnet::train::TrainScores<D>> {
                #view
                #train
            }

            fn scores(
                &self,
                x: ::splotnet::train::Rows<D>,
            ) -> ::splotnet::Result<::splotnet::train::Rows<D>> {
                #view
                ::splotnet::train::as_rows(self.forward(x)?)
            }

            fn layer_outputs(
                &self,
                x: ::splotnet::train::Rows<D>,
            ) -> ::splotnet::Result<::std::vec::Vec<::splotnet::inspect::Activation>> {
                #view
                self.activations(x)
            }
        }
    }
}
