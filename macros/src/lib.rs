//! The `network!` macro of splotnet. Use it through `splotnet::network!`,
//! whose documentation holds the grammar and examples.
//!
//! The macro runs in stages, each in its own module, as serde_derive does:
//! `parse` (syntax, with spans) → `spec` (each layer's arguments decoded by
//! the one table of kinds in `kinds`) → `infer` (one shape inference for
//! networks and generic blocks, into the IR of `ir`, over the sizes of
//! `size`) → `expand` (the generated code). Every stage reports its errors
//! to one `diag::Ctxt`, and all of them are emitted together.

use proc_macro::TokenStream;

mod diag;
mod expand;
mod infer;
mod ir;
mod kinds;
mod parse;
mod size;
mod spec;

/// Declares a convolutional network whose shapes are checked at compile time.
/// See `splotnet::network!` for the grammar.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let net = syn::parse_macro_input!(input as parse::Network);
    let cx = diag::Ctxt::default();
    let plan = infer::infer(&cx, &net);
    match (cx.finish(), plan) {
        (Ok(()), Some(plan)) => expand::expand(&net, &plan).into(),
        (Err(e), _) => e.to_compile_error().into(),
        (Ok(()), None) => syn::Error::new(net.name.span(), "the declaration could not be checked")
            .to_compile_error()
            .into(),
    }
}

/// The grammar tables of `network!` (layers, then blocks) as Markdown, for
/// `#[doc = ..]`: generated from the same table the macro reads.
#[proc_macro]
pub fn grammar_table(_: TokenStream) -> TokenStream {
    let text = format!(
        "{}\n{}",
        kinds::markdown(kinds::LAYERS, "layer"),
        kinds::markdown(kinds::BLOCKS, "block")
    );
    let lit = proc_macro2::Literal::string(&text);
    quote::quote!(#lit).into()
}
