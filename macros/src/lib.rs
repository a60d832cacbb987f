//! The `network!` macro of splotnet. Use it through `splotnet::network!`,
//! whose documentation holds the grammar and examples.
//!
//! The macro runs in three stages, each in its own module: `parse` (syntax,
//! with spans), `check` (shapes, parameters and every size rule, with errors
//! that name the layer and the numbers) and `expand` (the generated code).

use proc_macro::TokenStream;

mod check;
mod expand;
mod parse;

/// Declares a convolutional network whose shapes are checked at compile time.
/// See `splotnet::network!` for the grammar.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let net = syn::parse_macro_input!(input as parse::Network);
    if net.block.is_some() {
        return match check::check_generic(&net) {
            Ok(plan) => expand::expand_generic(&net, &plan).into(),
            Err(e) => e.to_compile_error().into(),
        };
    }
    match check::check(&net) {
        Ok(plan) => expand::expand(&net, &plan).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
