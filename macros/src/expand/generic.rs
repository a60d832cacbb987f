//! Expansion of a generic block: structs generic over the input channels
//! `C`, and `Module`/`ModuleMut` impls generic over the batch, the sizes and
//! the tape, each stating one bound per layer.
//!
//! Each step's output type is the projection `<Layer as Module<In>>::Output`
//! of the one before, so the block never spells a size: the compiler derives
//! them at every use, and a size a layer cannot take fails that layer's bound.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::structs::{block_type, struct_tokens, FieldDef};
use super::types::{conv_spec, pool_type, tn};
use crate::check::{Act, Chan, GOp, GStep, GenericPlan, Window};
use crate::parse::Network;

fn chan_ty(c: Chan) -> TokenStream {
    match c {
        Chan::Param => quote!(C),
        Chan::Fixed(n) => tn(n),
    }
}

fn conv_ty(cin: Chan, out: Chan, groups: u64, win: &Window, ed: &TokenStream) -> TokenStream {
    conv_ty_bias(cin, out, groups, win, ed, true)
}

fn conv_ty_bias(
    cin: Chan,
    out: Chan,
    groups: u64,
    win: &Window,
    ed: &TokenStream,
    bias: bool,
) -> TokenStream {
    let cg = match cin {
        Chan::Fixed(c) => tn(c / groups),
        Chan::Param => quote!(C),
    };
    let (o, kh, kw) = (chan_ty(out), tn(win.k.0), tn(win.k.1));
    let spec = conv_spec(win, groups);
    let bias = if bias {
        quote!()
    } else {
        quote!(, ::splotnet::layers::NoBias)
    };
    quote!(::splotnet::layers::Conv2d<#cg, #o, #kh, #kw, #spec, #ed #bias>)
}

/// The module type of a step, over element and device `ed`.
fn module_ty(block: &Ident, path: &[String], step: &GStep, ed: &TokenStream) -> TokenStream {
    match &step.op {
        GOp::Conv {
            out,
            groups,
            win,
            bias,
        } => conv_ty_bias(step.cin, *out, *groups, win, ed, *bias),
        GOp::BatchNorm => {
            let c = chan_ty(step.cin);
            quote!(::splotnet::layers::BatchNorm2d<#c, #ed>)
        }
        GOp::Pool { kind, win } => pool_type(*kind, win),
        GOp::Act(act) => match act {
            Act::Relu => quote!(::splotnet::layers::Relu),
            Act::Tanh => quote!(::splotnet::layers::Tanh),
            Act::Sigmoid => quote!(::splotnet::layers::Sigmoid),
            Act::ScaledTanh => quote!(::splotnet::layers::ScaledTanh),
        },
        GOp::Residual { .. } => {
            let ty = block_type(block, &sub_path(path, step));
            quote!(#ty<C, #ed>)
        }
    }
}

fn sub_path(path: &[String], step: &GStep) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(
        step.name
            .as_ref()
            .map_or_else(String::new, |n| n.to_string()),
    );
    p
}

fn is_field(step: &GStep) -> bool {
    matches!(
        step.op,
        GOp::Conv { .. } | GOp::BatchNorm | GOp::Residual { .. }
    )
}

fn describe(step: &GStep) -> String {
    let what = match &step.op {
        GOp::Conv { win, .. } => format!("Conv2d {}x{}", win.k.0, win.k.1),
        GOp::BatchNorm => "BatchNorm2d".into(),
        GOp::Residual {
            projection: Some(_),
            ..
        } => "Residual (projection)".into(),
        GOp::Residual { .. } => "Residual (identity)".into(),
        GOp::Pool { .. } | GOp::Act(_) => String::new(),
    };
    format!("{what}, channels {} to {}.", step.cin, step.cout)
}

/// A residual's 1x1 projection shortcut from `cin` to `out` channels.
fn projection_ty(cin: Chan, out: Chan, stride: (u64, u64), ed: &TokenStream) -> TokenStream {
    let win = Window {
        k: (1, 1),
        s: stride,
        p: (0, 0),
        d: (1, 1),
        exact: false,
    };
    conv_ty(cin, out, 1, &win, ed)
}

/// One generated struct: the block, or a residual body inside it.
struct GScope<'a> {
    ty: Ident,
    /// Names from the block down to this scope.
    path: Vec<String>,
    steps: &'a [GStep],
    /// The input's channels.
    cin: Chan,
    join: Join,
}

/// The struct of one scope, with a `shortcut` field for a projection.
fn scope_struct(net: &Network, scope: &GScope, attrs: TokenStream) -> TokenStream {
    let (ty, path, steps) = (&scope.ty, &scope.path, scope.steps);
    let ed = quote!(E, D);
    let mut fields: Vec<FieldDef> = steps
        .iter()
        .filter(|s| is_field(s))
        .filter_map(|s| {
            let n = s.name.clone()?;
            Some((
                n.clone(),
                n.to_string(),
                module_ty(&net.name, path, s, &ed),
                describe(s),
            ))
        })
        .collect();
    if let Join::Projection { out, stride } = scope.join {
        fields.push((
            format_ident!("shortcut"),
            "shortcut".into(),
            projection_ty(scope.cin, out, stride, &ed),
            "The 1x1 projection shortcut.".into(),
        ));
    }
    struct_tokens(&net.vis, attrs, ty, true, &fields)
}

/// How a scope joins its output: a plain sequence, or a residual sum.
enum Join {
    Sequence,
    Identity,
    /// A projection shortcut onto `out` channels at the body's stride.
    Projection {
        out: Chan,
        stride: (u64, u64),
    },
}

/// `Module` (or, when `mutable`, `ModuleMut`) for a scope's struct.
fn module_impl(net: &Network, scope: &GScope, mutable: bool) -> TokenStream {
    let (ty, path, steps, cin, join) =
        (&scope.ty, &scope.path, scope.steps, scope.cin, &scope.join);
    let ed = quote!(f32, D);
    let module = quote!(::splotnet::dfdx::nn::Module);
    let module_mut = quote!(::splotnet::dfdx::nn::ModuleMut);
    let tensor = |c: TokenStream, h: TokenStream, w: TokenStream| quote!(::splotnet::dfdx::prelude::Tensor<(B, ::splotnet::dims::N<#c>, #h, #w), f32, D, T>);
    let x0 = tensor(chan_ty(cin), quote!(H), quote!(W));
    let joined = match join {
        Join::Projection { out, .. } => Some(tensor(chan_ty(*out), quote!(HO), quote!(WO))),
        _ => None,
    };
    let mut bounds = Vec::new();
    let mut stmts = Vec::new();
    let mut x = x0.clone();
    for (i, step) in steps.iter().enumerate() {
        let m = module_ty(&net.name, path, step, &ed);
        let tr = if mutable && is_field(step) {
            &module_mut
        } else {
            &module
        };
        let last = i + 1 == steps.len();
        // a residual's last layer must give the type the shortcut gives
        let pin = match (join, last) {
            (Join::Identity, true) => quote!(, Output = #x0),
            (Join::Projection { .. }, true) => quote!(, Output = #joined),
            _ => quote!(),
        };
        bounds.push(quote_spanned!(step.span=> #m: #tr<#x, Error = ::splotnet::Error #pin>));
        let call = match (&step.name, is_field(step), mutable) {
            (Some(n), true, true) => quote!(#module_mut::try_forward_mut(&mut self.#n, x)?),
            (Some(n), true, false) => quote!(#module::try_forward(&self.#n, x)?),
            _ => quote!(#module::try_forward(&<#m as ::core::default::Default>::default(), x)?),
        };
        stmts.push(quote!(let x = #call;));
        x = quote!(<#m as #tr<#x>>::Output);
    }
    let (start, finish, output) = match join {
        Join::Sequence => (quote!(), quote!(Ok(x)), x),
        Join::Identity => (
            quote!(let shortcut = ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x);),
            quote!(::splotnet::layers::residual_add(x, shortcut)),
            x0.clone(),
        ),
        Join::Projection { out, stride } => {
            let s = projection_ty(cin, *out, *stride, &ed);
            let joined = joined.clone().expect("a projection has a joined type");
            bounds.push(quote!(#s: #module<#x0, Error = ::splotnet::Error, Output = #joined>));
            (
                quote!(let shortcut = #module::try_forward(
                    &self.shortcut,
                    ::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x),
                )?;),
                quote!(::splotnet::layers::residual_add(x, shortcut)),
                joined,
            )
        }
    };
    let out_dims = match join {
        Join::Projection { .. } => {
            quote!(HO: ::splotnet::dfdx::prelude::Dim, WO: ::splotnet::dfdx::prelude::Dim,)
        }
        _ => quote!(),
    };
    let (tr, method, recv) = if mutable {
        (&module_mut, quote!(try_forward_mut), quote!(&mut self))
    } else {
        (&module, quote!(try_forward), quote!(&self))
    };
    quote_spanned! {Span::call_site()=>
        #[allow(clippy::type_complexity)]
        impl<
            C: ::splotnet::dims::Size,
            B: ::splotnet::dfdx::prelude::Dim,
            H: ::splotnet::dfdx::prelude::Dim,
            W: ::splotnet::dfdx::prelude::Dim,
            #out_dims
            D: ::splotnet::ops::Backend,
            T: ::splotnet::dfdx::prelude::Tape<f32, D>,
        > #tr<#x0> for #ty<C, f32, D>
        where
            #(#bounds,)*
        {
            type Output = #output;
            type Error = ::splotnet::Error;

            fn #method(#recv, x: #x0) -> ::core::result::Result<Self::Output, ::splotnet::Error> {
                #start
                #(#stmts)*
                #finish
            }
        }
    }
}

/// A scope's struct and impls, then those of the residual bodies in it.
fn scope(net: &Network, scope: &GScope, attrs: TokenStream, out: &mut TokenStream) {
    out.extend(scope_struct(net, scope, attrs));
    out.extend(module_impl(net, scope, false));
    out.extend(module_impl(net, scope, true));
    for step in scope.steps {
        if let GOp::Residual { body, projection } = &step.op {
            let path = sub_path(&scope.path, step);
            let inner = GScope {
                ty: block_type(&net.name, &path),
                path,
                steps: body,
                cin: step.cin,
                join: match projection {
                    Some((out, stride)) => Join::Projection {
                        out: *out,
                        stride: *stride,
                    },
                    None => Join::Identity,
                },
            };
            let hidden = quote!(#[doc(hidden)] #[allow(non_camel_case_types)]);
            self::scope(net, &inner, hidden, out);
        }
    }
}

/// Statements that follow `c`, `h`, `w` through `steps` with the runtime
/// formulas, adding each layer's multiply-adds per sample to `macs`.
fn mac_stmts(steps: &[GStep]) -> TokenStream {
    let slide = |n: TokenStream, k: u64, s: u64, p: u64, d: u64, exact: bool| {
        let (k, s, p, d) = (k as usize, s as usize, p as usize, d as usize);
        quote!(::splotnet::formula::conv_out(#n, #k, #s, #p, #d, #exact).ok()?)
    };
    let stmts = steps.iter().map(|step| match &step.op {
        GOp::Conv {
            out, groups, win, ..
        } => {
            let out = match out {
                Chan::Param => quote!(<C as ::splotnet::typenum::Unsigned>::U64),
                Chan::Fixed(n) => quote!(#n),
            };
            let ho = slide(quote!(h), win.k.0, win.s.0, win.p.0, win.d.0, win.exact);
            let wo = slide(quote!(w), win.k.1, win.s.1, win.p.1, win.d.1, win.exact);
            let (g, kk) = (*groups, win.k.0 * win.k.1);
            quote! {
                let (ho, wo) = (#ho, #wo);
                macs += (ho * wo) as u64 * #out * (c / #g) * #kk;
                (c, h, w) = (#out, ho, wo);
            }
        }
        GOp::BatchNorm => quote!(macs += 2 * c * (h * w) as u64;),
        GOp::Pool { win, .. } => {
            let ho = slide(quote!(h), win.k.0, win.s.0, win.p.0, 1, win.exact);
            let wo = slide(quote!(w), win.k.1, win.s.1, win.p.1, 1, win.exact);
            quote!((h, w) = (#ho, #wo);)
        }
        GOp::Act(_) => quote!(),
        GOp::Residual { body, projection } => {
            let body = mac_stmts(body);
            let shortcut = projection.map(|_| quote!(macs += (h * w) as u64 * c * c_in;));
            quote!({
                let c_in = c;
                #body
                #shortcut
            })
        }
    });
    quote!(#(#stmts)*)
}

pub fn expand_generic(net: &Network, plan: &GenericPlan) -> TokenStream {
    let mut out = TokenStream::new();
    let attrs = &net.attrs;
    let ty = &net.name;
    let top = GScope {
        ty: ty.clone(),
        path: vec![],
        steps: &plan.steps,
        cin: Chan::Param,
        join: Join::Sequence,
    };
    scope(net, &top, quote!(#(#attrs)*), &mut out);
    let (per_c2, per_c, fixed) = (plan.params.per_c2, plan.params.per_c, plan.params.fixed);
    let c = &plan.channel;
    let macs = mac_stmts(&plan.steps);
    let doc = format!(
        "Trainable parameters at `{c}` input channels: {per_c2}·{c}² + {per_c}·{c} + {fixed}."
    );
    out.extend(quote_spanned! {Span::call_site()=>
        impl<C: ::splotnet::dims::Size, E: ::splotnet::dfdx::prelude::Dtype, D: ::splotnet::dfdx::prelude::Storage<E>> #ty<C, E, D> {
            #[doc = #doc]
            #[doc = "Multiply-adds per sample on `h` x `w` maps of `C` channels, from the"]
            #[doc = "runtime formulas; `None` for a size the block cannot take."]
            #[allow(unused_assignments, unused_mut, unused_variables)]
            pub fn mult_adds(h: usize, w: usize) -> ::core::option::Option<u64> {
                let (mut c, mut h, mut w) = (<C as ::splotnet::typenum::Unsigned>::U64, h, w);
                let mut macs = 0u64;
                #macs
                ::core::option::Option::Some(macs)
            }

            pub fn param_count() -> u64 {
                let c = <C as ::splotnet::typenum::Unsigned>::U64;
                #per_c2 * c * c + #per_c * c + #fixed
            }
        }
    });
    out
}
