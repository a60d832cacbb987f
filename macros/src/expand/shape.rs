//! A generic block's scopes, bound by size rules alone.
//!
//! Each scope of a generic block (the block, and every residual, branch,
//! dense layer or highway inside it) gets a hidden trait, `{Scope}Shape<C,
//! P.., H, W>`, implemented for `()`. Its one impl states the scope's size
//! rules: each window's formula on the height and width, each grouped
//! convolution's channel rule, each concatenation's channel sum, and each
//! child scope's own shape trait. It also holds the scope's forward passes,
//! generic over batch, device and tape. `Module` and `ModuleMut` then ask
//! only that the shape trait holds.
//!
//! Why: the rules name no batch, device or tape, so where a network uses a
//! block at numeric sizes every rule is a closed fact that rustc proves once
//! for the whole crate. Bounding a block by its layers' `Module` impls
//! instead (the tensor types carry the pass's generic batch, device and
//! tape) made rustc prove every nested bound again in every pass of every
//! network that uses the block: GoogLeNet's inception modules cost about a
//! quarter of a second each, per pass.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::scope::{block_type, scope_body, scope_output, with_channels, Join, Scope};
use super::types::{rounding, tn};
use super::Tys;
use crate::ir::*;
use crate::parse::Network;

/// The height and width types of maps; `None` for features.
type Spatial = Option<(TokenStream, TokenStream)>;

/// The hidden shape trait of the scope whose struct is `ty`.
fn shape_trait(ty: &Ident) -> Ident {
    format_ident!("{}Shape", ty)
}

/// The path of the shape trait of the generic block at `ty`.
fn shape_trait_path(ty: &syn::Path) -> TokenStream {
    super::beside_block(ty, shape_trait)
}

fn spatial(shape: &Shape, h: TokenStream, w: TokenStream) -> Spatial {
    matches!(shape, Shape::Maps { .. }).then_some((h, w))
}

/// A batch of `shape` at spatial sizes `hw`, over the pass's `B`, `D`, `T`.
fn tensor(c: &TokenStream, hw: &Spatial) -> TokenStream {
    let hw = hw.as_ref().map(|(h, w)| quote!(, #h, #w));
    quote!(::splotnet::dfdx::prelude::Tensor<(B, ::splotnet::dims::N<#c> #hw), f32, D, T>)
}

/// The shape trait, its impl, and `Module`/`ModuleMut` for a generic
/// block's scope.
pub(super) fn generic_impls(net: &Network, tys: &Tys, scope: &Scope) -> TokenStream {
    let mut rules = Rules {
        net,
        tys,
        bounds: vec![],
        errors: vec![],
    };
    let header = Header::of(tys, scope);
    let Header {
        impl_param,
        own,
        hw_params,
        hw_args,
        self_ty,
        x0,
        pass_params,
    } = &header;
    let hw_out = rules.join(scope, spatial(&scope.input, quote!(H), quote!(W)));
    let out_shape = scope_output(scope);
    let (ty, vis) = (&scope.ty, &net.vis);
    let name = shape_trait(ty);
    let trait_ref = quote!(#name<#own #hw_args>);
    let maps_out = matches!(out_shape, Shape::Maps { .. });
    let y_in_trait = tensor(
        &quote!(Self::CO),
        &maps_out.then(|| (quote!(Self::HO), quote!(Self::WO))),
    );
    let y = tensor(
        &quote!(<() as #trait_ref>::CO),
        &maps_out.then(|| {
            (
                quote!(<() as #trait_ref>::HO),
                quote!(<() as #trait_ref>::WO),
            )
        }),
    );
    let c_out = tys.chan(out_shape.channels());
    let (assoc_decl, assoc_def) = match &hw_out {
        Some((h, w)) if maps_out => (
            quote! {
                /// The output's channels.
                type CO: ::splotnet::dims::Size;
                /// The output's height.
                type HO: ::splotnet::dfdx::prelude::Dim;
                /// The output's width.
                type WO: ::splotnet::dfdx::prelude::Dim;
            },
            quote!(type CO = #c_out; type HO = #h; type WO = #w;),
        ),
        _ => (
            quote! {
                /// The output's features.
                type CO: ::splotnet::dims::Size;
            },
            quote!(type CO = #c_out;),
        ),
    };
    let this = quote!(this);
    let (body, body_mut) = (
        scope_body(tys, scope, false, &this),
        scope_body(tys, scope, true, &this),
    );
    let Rules { bounds, errors, .. } = rules;
    let result = |t: &TokenStream| quote!(::core::result::Result<#t, ::splotnet::Error>);
    let (r_trait, r_module) = (result(&y_in_trait), result(&quote!(Self::Output)));
    let doc = format!("The size rules of `{ty}` and its passes at the sizes they allow.");
    let modules = [
        (
            quote!(Module),
            quote!(try_forward),
            quote!(&self),
            quote!(forward),
        ),
        (
            quote!(ModuleMut),
            quote!(try_forward_mut),
            quote!(&mut self),
            quote!(forward_mut),
        ),
    ]
    .map(|(tr, method, recv, pass)| {
        quote! {
            #[allow(clippy::type_complexity)]
            impl<#impl_param #hw_params #pass_params> ::splotnet::dfdx::nn::#tr<#x0> for #self_ty
            where
                (): #trait_ref,
            {
                type Output = #y;
                type Error = ::splotnet::Error;

                fn #method(#recv, x: #x0) -> #r_module {
                    <() as #trait_ref>::#pass(self, x)
                }
            }
        }
    });
    let stated = if scope.path.is_empty() {
        stated_impls(&header, scope, &name, maps_out, vis)
    } else {
        quote!()
    };
    quote_spanned! {Span::call_site()=>
        #(#errors)*
        #stated

        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, clippy::type_complexity)]
        #vis trait #name<#impl_param #hw_params> {
            #assoc_decl
            /// The inference pass.
            fn forward<#pass_params>(this: &#self_ty, x: #x0) -> #r_trait;
            /// The training pass.
            fn forward_mut<#pass_params>(this: &mut #self_ty, x: #x0) -> #r_trait;
        }

        #[allow(clippy::type_complexity)]
        impl<
            #impl_param
            #hw_params
        > #trait_ref for ()
        where
            #(#bounds,)*
        {
            #assoc_def
            fn forward<#pass_params>(this: &#self_ty, x: #x0) -> #r_trait {
                #body
            }
            fn forward_mut<#pass_params>(this: &mut #self_ty, x: #x0) -> #r_trait {
                #body_mut
            }
        }

        #(#modules)*
    }
}

/// What every impl of a generic block's scope states first: the block's
/// parameters, the input's sizes, the struct, the input tensor, and the
/// pass's batch, device and tape.
struct Header {
    /// `C: NameSizes<P..>, P: Size,`.
    impl_param: TokenStream,
    /// `C, P..,`.
    own: TokenStream,
    /// `H: Dim, W: Dim,` for maps, nothing for features.
    hw_params: TokenStream,
    /// `H, W,` for maps.
    hw_args: TokenStream,
    /// The scope's struct over `f32` and `D`.
    self_ty: TokenStream,
    /// The input tensor.
    x0: TokenStream,
    /// `B: Dim, D: Backend, T: Tape<f32, D>`.
    pass_params: TokenStream,
}

impl Header {
    fn of(tys: &Tys, scope: &Scope) -> Header {
        let dim = quote!(::splotnet::dfdx::prelude::Dim);
        let hw = spatial(&scope.input, quote!(H), quote!(W));
        let maps = hw.is_some();
        let (ty, args) = (&scope.ty, tys.args(quote!(f32, D)));
        Header {
            impl_param: tys.impl_param(),
            own: tys.own_args(),
            hw_params: if maps {
                quote!(H: #dim, W: #dim,)
            } else {
                quote!()
            },
            hw_args: if maps { quote!(H, W,) } else { quote!() },
            self_ty: quote!(#ty #args),
            x0: tensor(&tys.chan(scope.input.channels()), &hw),
            pass_params: quote!(B: #dim, D: ::splotnet::ops::Backend, T: ::splotnet::dfdx::prelude::Tape<f32, D>),
        }
    }
}

/// For the block itself (the scope a network uses): its hidden `Fits`
/// trait, the shape trait with the output named by parameters, and
/// `StatedForward` to the output a use states, bound by `Fits` alone, a
/// closed fact at a network's numeric sizes. (Bounding `StatedForward` by
/// the shape trait's bindings directly measured the same cold check, but
/// 4.2–5.5 s against 4.0–4.7 s for `cargo check` after an edit in
/// `zoo/googlenet.rs`, whose floor is 5 s.)
fn stated_impls(
    header: &Header,
    scope: &Scope,
    shape: &Ident,
    maps_out: bool,
    vis: &syn::Visibility,
) -> TokenStream {
    let Header {
        impl_param,
        own,
        hw_params,
        hw_args,
        self_ty,
        x0,
        pass_params,
    } = header;
    let ty = &scope.ty;
    let fits = format_ident!("{}Fits", ty);
    let dim = quote!(::splotnet::dfdx::prelude::Dim);
    let (out_params, out_args, out_binds, out_hw) = if maps_out {
        (
            quote!(CO: ::splotnet::dims::Size, HO: #dim, WO: #dim),
            quote!(CO, HO, WO),
            quote!(CO = CO, HO = HO, WO = WO),
            Some((quote!(HO), quote!(WO))),
        )
    } else {
        (
            quote!(CO: ::splotnet::dims::Size),
            quote!(CO),
            quote!(CO = CO),
            None,
        )
    };
    let y = tensor(&quote!(CO), &out_hw);
    let doc = format!("`{ty}` at an input whose output is `CO` channels (at `HO` x `WO`).");
    quote_spanned! {Span::call_site()=>
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis trait #fits<#impl_param #hw_params #out_params>: #shape<#own #hw_args #out_binds> {}

        impl<#impl_param #hw_params #out_params> #fits<#own #hw_args #out_args> for ()
        where
            (): #shape<#own #hw_args #out_binds>,
        {
        }

        #[allow(clippy::type_complexity)]
        impl<#impl_param #hw_params #out_params, #pass_params> ::splotnet::layers::StatedForward<#x0, #y> for #self_ty
        where
            (): #fits<#own #hw_args #out_args>,
        {
            fn stated_forward(&self, x: #x0) -> ::core::result::Result<#y, ::splotnet::Error> {
                <() as #shape<#own #hw_args>>::forward(self, x)
            }

            fn stated_forward_mut(&mut self, x: #x0) -> ::core::result::Result<#y, ::splotnet::Error> {
                <() as #shape<#own #hw_args>>::forward_mut(self, x)
            }
        }
    }
}

/// The size rules of one scope, gathered as its steps are walked.
struct Rules<'a> {
    net: &'a Network,
    tys: &'a Tys,
    bounds: Vec<TokenStream>,
    errors: Vec<TokenStream>,
}

impl Rules<'_> {
    /// The rules of a scope's join; the sizes of its output.
    fn join(&mut self, scope: &Scope, hw: Spatial) -> Spatial {
        let child = |key: &str| {
            block_type(
                &self.net.name,
                &[scope.path.clone(), vec![key.to_string()]].concat(),
            )
        };
        match &scope.join {
            Join::Sequence(steps) => self.steps(&scope.path, steps, hw, None),
            Join::Residual {
                body,
                projection: None,
                ..
            } => {
                // the identity is added: the body keeps the sizes
                self.steps(&scope.path, body, hw.clone(), hw.clone());
                hw
            }
            Join::Residual {
                body,
                projection: Some(p),
                ..
            } => {
                // the shortcut's sizes are named first: the body's last
                // window is bound to them (the other way round, a 1x1 body
                // convolution at the shortcut's stride would be bound to a
                // size defined through itself)
                self.groups(&p.cin, 1);
                let out = self.window(
                    hw.clone(),
                    &Window::projection(p.stride),
                    None,
                    Span::call_site(),
                );
                self.steps(&scope.path, body, hw, out.clone());
                out
            }
            Join::Highway { body, gate_k, .. } => {
                if let Shape::Maps { c, .. } = &scope.input {
                    self.groups(c, 1);
                    self.window(
                        hw.clone(),
                        &Window::same(*gate_k),
                        hw.clone(),
                        Span::call_site(),
                    );
                }
                self.steps(&scope.path, body, hw.clone(), hw.clone());
                hw
            }
            Join::Concat { branches, .. } => {
                let mut joined = None;
                let mut acc = Size::Fixed(0);
                for (i, (key, steps)) in branches.iter().enumerate() {
                    let out = steps.last().map_or(&scope.input, |s| &s.out);
                    let sizes = self.child_scope(
                        &child(&key.to_string()),
                        &scope.input,
                        out,
                        hw.clone(),
                        joined.clone(),
                    );
                    let c = out.channels();
                    let next = acc.add(c);
                    if i == 0 {
                        joined = sizes;
                    } else {
                        self.channel_sum(&acc, c, &next);
                    }
                    acc = next;
                }
                joined
            }
            Join::Dense { layers, .. } => {
                let mut acc = scope.input.channels().clone();
                for (i, steps) in layers.iter().enumerate() {
                    let grown = steps
                        .last()
                        .map_or(Size::Fixed(0), |s| s.out.channels().clone());
                    let (input, out) = (
                        with_channels(&scope.input, acc.clone()),
                        with_channels(&scope.input, grown.clone()),
                    );
                    // each layer keeps the sizes
                    match bare_block(steps) {
                        Some(b) => {
                            self.step(&scope.path, b, hw.clone(), hw.clone());
                        }
                        None => {
                            self.child_scope(
                                &child(&i.to_string()),
                                &input,
                                &out,
                                hw.clone(),
                                hw.clone(),
                            );
                        }
                    }
                    let next = acc.add(&grown);
                    self.channel_sum(&acc, &grown, &next);
                    acc = next;
                }
                hw
            }
        }
    }

    /// The rules of `steps` from sizes `hw`; the last step that sets sizes
    /// is bound to `pin` where a join needs the sizes to agree.
    fn steps(&mut self, path: &[String], steps: &[Step], hw: Spatial, pin: Spatial) -> Spatial {
        let last_setter = steps.iter().rposition(sets_sizes);
        let mut hw_now = hw;
        for (i, s) in steps.iter().enumerate() {
            let p = if Some(i) == last_setter {
                pin.clone()
            } else {
                None
            };
            hw_now = self.step(path, s, hw_now, p);
        }
        let same = |a: &Spatial, b: &Spatial| {
            a.as_ref().map(|(h, w)| (h.to_string(), w.to_string()))
                == b.as_ref().map(|(h, w)| (h.to_string(), w.to_string()))
        };
        if pin.is_some() && !same(&pin, &hw_now) {
            let span = steps.last().map_or(Span::call_site(), |s| s.span);
            self.errors.push(quote_spanned!(span=> compile_error!(
                "inside a generic block, this join needs its body's sizes to come from a window or block whose output can be named; end the body with a convolution, pooling or block"
            );));
        }
        hw_now
    }

    /// The rules of one step at sizes `hw`; the sizes of its output.
    fn step(&mut self, path: &[String], s: &Step, hw: Spatial, pin: Spatial) -> Spatial {
        let span = s.span;
        match &s.op {
            Op::Conv {
                cin,
                groups,
                win,
                table,
                ..
            } => {
                self.groups(cin, if table.is_some() { 1 } else { *groups });
                self.window(hw, win, pin, span)
            }
            Op::Subsample { k, .. } => self.window(hw, &Window::subsample(*k), pin, span),
            Op::Pool { win, .. } => self.window(hw, win, pin, span),
            Op::ConvTranspose {
                out,
                groups,
                win,
                op,
                ..
            } => {
                let (og, o, g) = (
                    self.tys.chan(&out.div(*groups)),
                    self.tys.chan(out),
                    tn(*groups),
                );
                self.bounds.push(quote!(::splotnet::dims::N<#og>: ::splotnet::ops::conv::TimesGroups<#g, Output = ::splotnet::dims::N<#o>>));
                let axes = [
                    (win.k.0, win.s.0, win.p.0, win.d.0, op.0),
                    (win.k.1, win.s.1, win.p.1, win.d.1, op.1),
                ];
                self.per_axis(hw, pin, span, |x| {
                    let (k, st, p, d, op) = axes[x];
                    let (k, st, p, d, op) = (tn(k), tn(st), tn(p), tn(d), tn(op));
                    quote!(::splotnet::formula::TransposedWindow<::splotnet::dims::N<#k>, #st, #p, #d, #op)
                })
            }
            Op::Unpool { s: by, .. } => {
                let by = [tn(by.0), tn(by.1)];
                self.per_axis(hw, pin, span, |x| {
                    let s = &by[x];
                    quote!(::splotnet::formula::Upscaled<#s)
                })
            }
            Op::AdaptivePool { out, .. } => {
                let (h, w) = (tn(out.0), tn(out.1));
                Some((
                    quote!(::splotnet::dims::N<#h>),
                    quote!(::splotnet::dims::N<#w>),
                ))
            }
            Op::GlobalPool(_) => None,
            // per channel or per feature: the sizes pass through, and the
            // passes skip an auxiliary head
            Op::BatchNorm { .. }
            | Op::Act(_)
            | Op::Dropout(_)
            | Op::Lrn { .. }
            | Op::Linear { .. }
            | Op::Aux { .. } => hw,
            Op::Block { ty, cin, sizes, .. } => {
                let tr = shape_trait_path(ty);
                let (c, sizes) = (
                    self.tys.chan(cin),
                    sizes.iter().map(|s| self.tys.chan(s)).collect::<Vec<_>>(),
                );
                let own = quote!(#c, #(#sizes,)*);
                self.uses(tr, own, &s.input, &s.out, hw, pin)
            }
            Op::Residual { name, .. }
            | Op::Concat { name, .. }
            | Op::Dense { name, .. }
            | Op::Highway { name, .. } => {
                let ty = block_type(
                    &self.net.name,
                    &[path.to_vec(), vec![name.to_string()]].concat(),
                );
                self.child_scope(&ty, &s.input, &s.out, hw, pin)
            }
            Op::Flatten
            | Op::Conv3d { .. }
            | Op::Pool3d { .. }
            | Op::Skip { .. }
            | Op::Crop { .. }
            | Op::MaxUnpool { .. } => {
                let msg = format!(
                    "`{}` cannot be used inside a generic block, whose sizes are symbolic; use it in the network that uses the block",
                    s.kind_name()
                );
                self.errors
                    .push(quote_spanned!(span=> compile_error!(#msg);));
                hw
            }
        }
    }

    /// The rule of a child scope of this declaration (its struct `ty`).
    fn child_scope(
        &mut self,
        ty: &Ident,
        input: &Shape,
        out: &Shape,
        hw: Spatial,
        pin: Spatial,
    ) -> Spatial {
        let tr = shape_trait(ty);
        let own = self.tys.own_args();
        self.uses(quote!(#tr), own, input, out, hw, pin)
    }

    /// `(): Trait<own.., H, W, HO = .., WO = ..>`: a scope's shape trait
    /// holds at sizes `hw`, its output's sizes named (or bound to `pin`).
    fn uses(
        &mut self,
        tr: TokenStream,
        own: TokenStream,
        input: &Shape,
        out: &Shape,
        hw: Spatial,
        pin: Spatial,
    ) -> Spatial {
        let hw_args = match (input, &hw) {
            (Shape::Maps { .. }, Some((h, w))) => quote!(#h, #w,),
            _ => quote!(),
        };
        // the output's channels in this scope's terms (a block used here
        // computes them in its own)
        let c = self.tys.chan(out.channels());
        let shape = quote!(#tr<#own #hw_args>);
        if !matches!(out, Shape::Maps { .. }) {
            self.bounds.push(quote!((): #tr<#own #hw_args CO = #c>));
            return None;
        }
        match pin {
            Some((h, w)) => {
                self.bounds
                    .push(quote!((): #tr<#own #hw_args CO = #c, HO = #h, WO = #w>));
                Some((h, w))
            }
            None => {
                self.bounds.push(quote!((): #tr<#own #hw_args CO = #c>));
                Some((quote!(<() as #shape>::HO), quote!(<() as #shape>::WO)))
            }
        }
    }

    /// A grouped convolution's channel rule: its input channels are its
    /// groups times the channels each group sees.
    fn groups(&mut self, cin: &Size, groups: u64) {
        let (cg, c, g) = (
            self.tys.chan(&cin.div(groups)),
            self.tys.chan(cin),
            tn(groups),
        );
        self.bounds.push(quote!(::splotnet::dims::N<#cg>: ::splotnet::ops::GroupInputOf<::splotnet::dims::N<#c>, #g>));
    }

    /// A concatenation's channels: `acc + c = sum`.
    fn channel_sum(&mut self, acc: &Size, c: &Size, sum: &Size) {
        let (a, g, s) = (self.tys.chan(acc), self.tys.chan(c), self.tys.chan(sum));
        self.bounds.push(quote!(::splotnet::dims::N<#a>: ::core::ops::Add<::splotnet::dims::N<#g>, Output = ::splotnet::dims::N<#s>>));
    }

    /// The sliding-window formula of `win` on both axes.
    fn window(&mut self, hw: Spatial, win: &Window, pin: Spatial, span: Span) -> Spatial {
        let m = rounding(win);
        let axes = [
            (win.k.0, win.s.0, win.p.0, win.d.0),
            (win.k.1, win.s.1, win.p.1, win.d.1),
        ];
        self.per_axis(hw, pin, span, |x| {
            let (k, s, p, d) = axes[x];
            let (k, s, p, d) = (tn(k), tn(s), tn(p), tn(d));
            quote!(::splotnet::formula::SlidingWindow<::splotnet::dims::N<#k>, #s, #p, #d, #m)
        })
    }

    /// One rule per axis, `axis: Rule<args>` with `rule(x)` giving
    /// `Rule<args` unclosed: the output is the rule's projection, or bound
    /// to `pin`.
    fn per_axis(
        &mut self,
        hw: Spatial,
        pin: Spatial,
        span: Span,
        rule: impl Fn(usize) -> TokenStream,
    ) -> Spatial {
        let Some((h, w)) = hw else {
            self.errors
                .push(quote_spanned!(span=> compile_error!("a window needs maps, not features");));
            return None;
        };
        let (rh, rw) = (rule(0), rule(1));
        let named = (quote!(<#h as #rh>>::Output), quote!(<#w as #rw>>::Output));
        // bound to itself, the rule would define its output through itself
        let pin = pin.filter(|(ho, wo)| {
            (ho.to_string(), wo.to_string()) != (named.0.to_string(), named.1.to_string())
        });
        match pin {
            Some((ho, wo)) => {
                self.bounds
                    .push(quote_spanned!(span=> #h: #rh, Output = #ho>));
                self.bounds
                    .push(quote_spanned!(span=> #w: #rw, Output = #wo>));
                Some((ho, wo))
            }
            None => {
                self.bounds.push(quote_spanned!(span=> #h: #rh>));
                self.bounds.push(quote_spanned!(span=> #w: #rw>));
                Some(named)
            }
        }
    }
}

/// Whether a step's output sizes are named by a rule (and so can be bound
/// to the sizes a join needs).
fn sets_sizes(s: &Step) -> bool {
    matches!(s.out, Shape::Maps { .. })
        && matches!(
            s.op,
            Op::Conv { .. }
                | Op::Subsample { .. }
                | Op::Pool { .. }
                | Op::ConvTranspose { .. }
                | Op::Unpool { .. }
                | Op::Block { .. }
                | Op::Residual { .. }
                | Op::Concat { .. }
                | Op::Dense { .. }
                | Op::Highway { .. }
        )
}
