//! Scopes: the struct of the declaration and of each block inside it, and
//! their `Module`/`ModuleMut` impls.
//!
//! A scope's forward pass is its steps in order ([`run`]), then its join:
//! a plain sequence, a residual sum, a highway mix, a concatenation of
//! branches, or a dense block's stacking.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Ident;

use super::structs::{shortcut_field, struct_of};
use super::Tys;
use crate::ir::*;
use crate::parse::Network;

/// The struct of block `path` inside declaration `net`.
pub(super) fn block_type(net: &Ident, path: &[String]) -> Ident {
    format_ident!("{}_{}", net, path.join("_"))
}

/// The field of a dense block's layer `i`; its state-dict name is `i`, as
/// in PyTorch's `ModuleList`.
pub(super) fn dense_field(i: usize) -> Ident {
    format_ident!("layer{}", i)
}

/// What a scope does with its steps.
pub(super) enum Join<'a> {
    Sequence(&'a [Step]),
    Residual {
        body: &'a [Step],
        projection: Option<&'a Projection>,
        out: &'a Shape,
    },
    Highway {
        body: &'a [Step],
        gate_k: u64,
        gate_bias_milli: i32,
    },
    Concat {
        branches: &'a [(Ident, Vec<Step>)],
        out: &'a Shape,
    },
    Dense {
        layers: &'a [Vec<Step>],
        keys: &'a crate::spec::DenseKeys,
        out: &'a Shape,
    },
}

pub(super) struct Scope<'a> {
    pub(super) ty: Ident,
    pub(super) path: Vec<String>,
    pub(super) input: Shape,
    pub(super) join: Join<'a>,
}

/// Every struct and impl of a declaration.
pub(super) fn all(net: &Network, plan: &Plan, tys: &Tys) -> TokenStream {
    let top = Scope {
        ty: net.name.clone(),
        path: vec![],
        input: plan.input.clone(),
        join: Join::Sequence(&plan.steps),
    };
    let attrs = &net.attrs;
    let mut out = struct_of(net, tys, &top, quote!(#(#attrs)*));
    if tys.is_generic() {
        out.extend(impls(net, tys, &top));
    }
    nested(net, tys, &plan.steps, &[], &mut out);
    out
}

/// The scopes of the blocks among `steps`, and of the blocks inside them.
/// The scope a block step at `path` opens, if the step is a block.
pub(super) fn child_scope<'a>(net: &Network, step: &'a Step, path: &[String]) -> Option<Scope<'a>> {
    let name = step.field_name()?;
    let p = [path.to_vec(), vec![name.to_string()]].concat();
    let join = match &step.op {
        Op::Residual {
            body, projection, ..
        } => Join::Residual {
            body,
            projection: projection.as_ref(),
            out: &step.out,
        },
        Op::Highway {
            body,
            gate_k,
            gate_bias_milli,
            ..
        } => Join::Highway {
            body,
            gate_k: *gate_k,
            gate_bias_milli: *gate_bias_milli,
        },
        Op::Aux { body, .. } => Join::Sequence(body),
        Op::Skip {
            body: Some((_, body)),
            from_shape,
            ..
        } => {
            return Some(Scope {
                ty: block_type(&net.name, &p),
                path: p,
                input: from_shape.clone(),
                join: Join::Sequence(body),
            })
        }
        Op::Concat { branches, .. } => Join::Concat {
            branches,
            out: &step.out,
        },
        Op::Dense { layers, keys, .. } => Join::Dense {
            layers,
            keys,
            out: &step.out,
        },
        _ => return None,
    };
    Some(Scope {
        ty: block_type(&net.name, &p),
        path: p,
        input: step.input.clone(),
        join,
    })
}

fn nested(net: &Network, tys: &Tys, steps: &[Step], path: &[String], out: &mut TokenStream) {
    for step in steps {
        let Some(scope) = child_scope(net, step, path) else {
            continue;
        };
        let p = scope.path.clone();
        let hidden = quote!(#[doc(hidden)] #[allow(non_camel_case_types)]);
        out.extend(struct_of(net, tys, &scope, hidden.clone()));
        out.extend(impls(net, tys, &scope));
        // the children of containers are scopes of their own
        let children: Vec<(String, &[Step], Shape)> = match &step.op {
            Op::Concat { branches, .. } => branches
                .iter()
                .map(|(b, s)| (b.to_string(), s.as_slice(), step.input.clone()))
                .collect(),
            Op::Dense { layers, .. } => layers
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    (
                        i.to_string(),
                        s.as_slice(),
                        s.first().map_or(step.input.clone(), |f| f.input.clone()),
                    )
                })
                .collect(),
            Op::Residual { body, .. } | Op::Highway { body, .. } | Op::Aux { body, .. } => {
                nested(net, tys, body, &p, out);
                vec![]
            }
            Op::Skip {
                body: Some((_, body)),
                ..
            } => {
                nested(net, tys, body, &p, out);
                vec![]
            }
            _ => vec![],
        };
        for (key, steps, input) in children {
            // a dense layer that is one generic block has no struct of its own
            if matches!(step.op, Op::Dense { .. }) && bare_block(steps).is_some() {
                continue;
            }
            let cp = [p.clone(), vec![key]].concat();
            let child = Scope {
                ty: block_type(&net.name, &cp),
                path: cp.clone(),
                input,
                join: Join::Sequence(steps),
            };
            out.extend(struct_of(net, tys, &child, hidden.clone()));
            out.extend(impls(net, tys, &child));
            nested(net, tys, steps, &cp, out);
        }
    }
}

/// How a pass treats auxiliary heads (a network's top level only).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Heads {
    Skip,
    Compute,
}

/// How a forward pass is written.
pub(super) struct Pass<'a> {
    pub tys: &'a Tys,
    /// `ModuleMut` (training: dropout on, batch statistics) or `Module`.
    pub mutable: bool,
    /// The input is data, whose gradient a first convolution skips.
    pub on_data: bool,
    pub heads: Heads,
    /// What holds the fields: `self` in a method.
    pub this: &'a TokenStream,
    /// The pass tells a `recorder` (of type `R`) each named layer's
    /// output: a fused step then runs apart when `R` records.
    pub recording: bool,
}

/// The squash that step `i` of `steps` takes over from the activation after
/// it, if it does: in a network (a generic block's types come from its size
/// rules, which know no fused layer), a 2D convolution or a subsampling
/// followed by `tanh` or `scaled_tanh`, where no later step reads the
/// layer's own output.
pub(super) fn fused_squash(tys: &Tys, steps: &[Step], i: usize) -> Option<TokenStream> {
    if tys.is_generic() {
        return None;
    }
    let (s, next) = (steps.get(i)?, steps.get(i + 1)?);
    let layer = match &s.op {
        Op::Conv { .. } => {
            matches!(s.input, Shape::Maps { .. }) && matches!(s.out, Shape::Maps { .. })
        }
        Op::Subsample { .. } => true,
        _ => false,
    };
    let read_later = s.label.as_ref().is_some_and(|l| {
        steps[i + 1..].iter().any(|t| match &t.op {
            Op::Skip { from, .. } | Op::MaxUnpool { from } => from == l,
            _ => false,
        })
    });
    if !layer || read_later || next.label.is_some() {
        return None;
    }
    match next.op {
        Op::Act(Act::Tanh) => Some(quote!(::splotnet::ops::Squash::TANH)),
        Op::Act(Act::ScaledTanh) => Some(quote!(::splotnet::ops::Squash::LECUN)),
        _ => None,
    }
}

impl Pass<'_> {
    /// The pass through `steps`: one statement per step (empty for a
    /// skipped head). A network states each output's type, where the type
    /// system re-derives its shape; a generic block's types follow from the
    /// size rules of its hidden shape trait (`shape`).
    pub(super) fn run(&self, steps: &[Step]) -> Vec<TokenStream> {
        let Pass {
            tys,
            mutable,
            on_data,
            heads,
            this,
            recording,
        } = *self;
        let module = quote!(::splotnet::dfdx::nn::Module);
        let module_mut = quote!(::splotnet::dfdx::nn::ModuleMut);
        let wet =
            |x: TokenStream| quote!(::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&#x));
        let mut stmts = Vec::new();
        // the outputs a later skip connection reads, kept beside the main path
        let kept: Vec<&Ident> = steps
            .iter()
            .filter_map(|s| match &s.op {
                Op::Skip { from, .. } => Some(from),
                _ => None,
            })
            .collect();
        // the max pools whose switches a later unpooling reads
        let switched: Vec<&Ident> = steps
            .iter()
            .filter_map(|s| match &s.op {
                Op::MaxUnpool { from } => Some(from),
                _ => None,
            })
            .collect();
        let keep = |s: &Step| match &s.label {
            Some(l) if kept.contains(&l) => {
                let var = skip_var(l);
                let ty = tys.tensor(&s.out);
                let copy = wet(quote!(x));
                quote!(let #var: #ty = #copy;)
            }
            _ => quote!(),
        };
        for (i, s) in steps.iter().enumerate() {
            // the activation a fused step before it took over
            if i > 0 && fused_squash(tys, steps, i - 1).is_some() {
                stmts.push(quote!());
                continue;
            }
            if let (Some(squash), Some(name)) = (fused_squash(tys, steps, i), s.field_name()) {
                let data = mutable && on_data && i == 0;
                let fused = quote_spanned!(s.span=>
                    ::splotnet::layers::SquashedForward::try_forward_then(&#this.#name, x, Some(#squash), #data)?);
                let (ty, after) = (tys.tensor(&s.out), tys.tensor(&steps[i + 1].out));
                let stmt = if recording {
                    // apart, so that the recorder sees the layer's own output
                    let label = s.label.as_ref().map(|l| {
                        let n = l.to_string();
                        quote!(::splotnet::inspect::Recorder::record(recorder, #n, &x);)
                    });
                    let act = match tys.stateless(&steps[i + 1].op) {
                        Some((_, value)) => quote!(#module::try_forward(&#value, x)?),
                        None => quote!(x),
                    };
                    quote_spanned!(s.span=> let x: #after = if <R as ::splotnet::inspect::Recorder>::RECORDS {
                        let x: #ty = ::splotnet::layers::SquashedForward::try_forward_then(&#this.#name, x, None, false)?;
                        #label
                        #act
                    } else {
                        #fused
                    };)
                } else {
                    quote_spanned!(s.span=> let x: #after = #fused;)
                };
                stmts.push(stmt);
                continue;
            }
            match (&s.op, &s.label) {
                (Op::Pool { win, .. }, Some(l)) if switched.contains(&l) => {
                    let (var, spec) = (switch_var(l), super::types::pool_spec(win));
                    let ty = tys.tensor(&s.out);
                    let save = keep(s);
                    stmts.push(quote_spanned!(s.span=>
                        let (x, #var): (#ty, ::splotnet::ops::Switches) =
                            ::splotnet::ops::max_pool2d_switched(x, <#spec as ::core::default::Default>::default())?;
                        #save
                    ));
                    continue;
                }
                (Op::MaxUnpool { from }, _) => {
                    let (var, save, ty) = (switch_var(from), keep(s), tys.tensor(&s.out));
                    stmts.push(quote_spanned!(s.span=> let x: #ty = ::splotnet::ops::max_unpool2d(x, &#var)?; #save));
                    continue;
                }
                _ => {}
            }
            if let Op::Crop { offset, .. } = &s.op {
                let (oy, ox) = (super::types::tn(offset.0), super::types::tn(offset.1));
                let (ty, save) = (tys.tensor(&s.out), keep(s));
                let dims = quote!((::splotnet::dims::N::new(), ::splotnet::dims::N::new()));
                stmts.push(quote_spanned!(s.span=> let x: #ty = ::splotnet::layers::crop_at::<#oy, #ox, _, _, _, _, _, _, _, _>(x, #dims)?; #save));
                continue;
            }
            if let Op::Skip {
                join, from, body, ..
            } = &s.op
            {
                let f = match join {
                    SkipJoin::CropConcat => quote!(crop_concat),
                    SkipJoin::Add => quote!(crop_add),
                };
                let earlier = wet(skip_var(from).into_token_stream());
                let skip = match body {
                    Some((name, _)) if mutable => {
                        quote!(::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut #this.#name, #earlier)?)
                    }
                    Some((name, _)) => {
                        quote!(::splotnet::dfdx::nn::Module::try_forward(&#this.#name, #earlier)?)
                    }
                    None => earlier,
                };
                let ty = tys.tensor(&s.out);
                let save = keep(s);
                stmts.push(
                    quote_spanned!(s.span=> let x: #ty = ::splotnet::layers::#f(#skip, x)?; #save),
                );
                continue;
            }
            let (recv, mut_call) = match (s.field_name(), tys.stateless(&s.op)) {
                (Some(n), _) => (quote!(#this.#n), mutable),
                (None, Some((_, value))) => (value, mutable && matches!(s.op, Op::Dropout(_))),
                (None, None) => continue,
            };
            let call = if mut_call {
                quote_spanned!(s.span=> ::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut #recv, x)?)
            } else {
                quote_spanned!(s.span=> ::splotnet::dfdx::nn::Module::try_forward(&#recv, x)?)
            };
            if let Op::Aux { name, out, .. } = &s.op {
                if heads == Heads::Compute {
                    let ty = tys.tensor(out);
                    let input = wet(quote!(x));
                    let call = if mutable {
                        quote!(#module_mut::try_forward_mut(&mut #this.#name, #input)?)
                    } else {
                        quote!(#module::try_forward(&#this.#name, #input)?)
                    };
                    stmts.push(quote_spanned!(s.span=> let #name: #ty = #call;));
                } else {
                    stmts.push(quote!());
                }
                continue;
            }
            if !tys.is_generic() {
                let seq = matches!(s.input, Shape::Seq { .. });
                let vol = matches!(s.input, Shape::Vol { .. });
                let expr = match &s.op {
                    // per-channel layers see a volume as C x (D·H) x W maps
                    Op::BatchNorm { .. } if vol => quote!({
                        let (x, dh) = ::splotnet::layers::vol_as_maps(x)?;
                        let y = #call;
                        ::splotnet::layers::maps_as_vol(y, dh)?
                    }),
                    Op::GlobalPool(_) if vol => quote!({
                        let (x, _) = ::splotnet::layers::vol_as_maps(x)?;
                        #call
                    }),
                    Op::Conv {
                        name, table: None, ..
                    } if mutable && on_data && i == 0 && !seq => {
                        quote!(#this.#name.try_forward_data(x)?)
                    }
                    Op::Block { name, .. } => {
                        stated_call(tys, s, mutable, &quote!(#this.#name), &quote!(x))
                    }
                    // 2D layers see a sequence as C x 1 x L maps
                    Op::Pool { .. }
                    | Op::BatchNorm { .. }
                    | Op::Lrn { .. }
                    | Op::Flatten
                    | Op::GlobalPool(_)
                        if seq =>
                    {
                        let back = match s.out {
                            Shape::Seq { .. } => quote!(::splotnet::layers::maps_as_seq(y)?),
                            _ => quote!(y),
                        };
                        quote!({
                            let x = ::splotnet::layers::seq_as_maps(x)?;
                            let y = #call;
                            #back
                        })
                    }
                    _ => call,
                };
                let ty = tys.tensor(&s.out);
                // the stated type is where the type system re-checks the shape
                let save = keep(s);
                stmts.push(quote_spanned!(s.span=> let x: #ty = #expr; #save));
                continue;
            }
            // a generic block's types follow from its shape trait's rules
            stmts.push(quote!(let x = #call;));
        }
        stmts
    }
}

/// A network's call of the generic block `field` (step `s`) on `x`, to the
/// output the use states, through `StatedForward`.
fn stated_call(
    tys: &Tys,
    s: &Step,
    mutable: bool,
    field: &TokenStream,
    x: &TokenStream,
) -> TokenStream {
    let out = tys.tensor(&s.out);
    let stated = quote!(::splotnet::layers::StatedForward::<_, #out>);
    let call = if mutable {
        quote!(#stated::stated_forward_mut(&mut #field, #x)?)
    } else {
        quote!(#stated::stated_forward(&#field, #x)?)
    };
    // every token at the use, so that an error points at it
    respan(&call, s.span)
}

/// `tokens` with every span set to `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut inner = proc_macro2::Group::new(g.delimiter(), respan(&g.stream(), span));
                inner.set_span(span);
                t = proc_macro2::TokenTree::Group(inner);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// The local that keeps the output of step `label` for a skip connection.
fn skip_var(label: &Ident) -> Ident {
    format_ident!("skip_{}", label)
}

/// The local that keeps the switches of max pool `label`.
fn switch_var(label: &Ident) -> Ident {
    format_ident!("switches_{}", label)
}

/// The `Module` and `ModuleMut` impls of a scope's struct: for a network's
/// scope with every type stated, for a generic block's through its shape
/// trait.
fn impls(net: &Network, tys: &Tys, scope: &Scope) -> TokenStream {
    if tys.is_generic() {
        return super::shape::generic_impls(net, tys, scope);
    }
    let mut out = module_impl(tys, scope, false);
    out.extend(module_impl(tys, scope, true));
    out
}

/// The shape a scope's pass ends with.
pub(super) fn scope_output<'a>(scope: &'a Scope) -> &'a Shape {
    match &scope.join {
        Join::Sequence(steps) => steps.last().map_or(&scope.input, |s| &s.out),
        Join::Highway { .. } => &scope.input,
        Join::Residual { out, .. } | Join::Concat { out, .. } | Join::Dense { out, .. } => out,
    }
}

/// The statements of a scope's pass (`Module`, or `ModuleMut` when
/// `mutable`) on input `x`, reading the fields of `this`; they end in the
/// pass's `Result`.
pub(super) fn scope_body(
    tys: &Tys,
    scope: &Scope,
    mutable: bool,
    this: &TokenStream,
) -> TokenStream {
    let generic = tys.is_generic();
    let module = quote!(::splotnet::dfdx::nn::Module);
    let (tr, method) = if mutable {
        (
            quote!(::splotnet::dfdx::nn::ModuleMut),
            quote!(try_forward_mut),
        )
    } else {
        (module.clone(), quote!(try_forward))
    };
    let recv = |field: TokenStream| {
        if mutable {
            quote!(&mut #this.#field)
        } else {
            quote!(&#this.#field)
        }
    };
    let wet = quote!(::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x));
    let pass = Pass {
        tys,
        mutable,
        on_data: false,
        heads: Heads::Skip,
        this,
        recording: false,
    };
    match &scope.join {
        Join::Sequence(steps) => {
            let stmts = pass.run(steps);
            quote!(#(#stmts)* Ok(x))
        }
        Join::Residual {
            body, projection, ..
        } => {
            let shortcut = match projection {
                None => quote!(let shortcut = #wet;),
                Some(p) => {
                    let (field, _) = shortcut_field(p);
                    // a downsample's batch norm trains with the block
                    let call = if mutable && p.norm {
                        quote!(::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut #this.#field, #wet)?)
                    } else {
                        quote!(#module::try_forward(&#this.#field, #wet)?)
                    };
                    quote!(let shortcut = #call;)
                }
            };
            let stmts = pass.run(body);
            quote!(#shortcut #(#stmts)* ::splotnet::layers::residual_add(x, shortcut))
        }
        Join::Highway { body, .. } => {
            let stmts = pass.run(body);
            quote! {
                let carry = #wet;
                let gate = #module::try_forward(&#this.gate, #wet)?;
                #(#stmts)*
                ::splotnet::layers::highway_mix(x, gate, carry)
            }
        }
        Join::Concat { branches, .. } => {
            let n = branches.len();
            let mut stmts = Vec::new();
            for (i, (bname, steps)) in branches.iter().enumerate() {
                let var = format_ident!("branch{}", i);
                let input = if i + 1 == n { quote!(x) } else { wet.clone() };
                let r = recv(quote!(#bname));
                let call = quote!(#tr::#method(#r, #input)?);
                // a network states each branch's type; a block's shape trait
                // has the rules that give it
                let stated = (!generic).then(|| {
                    let t = tys.tensor(steps.last().map_or(&scope.input, |s| &s.out));
                    quote!(: #t)
                });
                stmts.push(quote!(let #var #stated = #call;));
                stmts.push(if i == 0 {
                    quote!(let y = #var;)
                } else {
                    quote!(let y = ::splotnet::layers::concat_channels(y, #var)?;)
                });
            }
            quote!(#(#stmts)* Ok(y))
        }
        Join::Dense { layers, .. } => {
            let mut stmts = Vec::new();
            let mut acc = scope.input.channels().clone();
            for (i, steps) in layers.iter().enumerate() {
                let field = dense_field(i);
                let r = recv(quote!(#field));
                let grown = steps
                    .last()
                    .map_or(Size::Fixed(0), |s| s.out.channels().clone());
                let next = acc.add(&grown);
                let (new_ty, stacked_ty) = if generic {
                    (None, None)
                } else {
                    let (tn, ta) = (
                        tys.tensor(&with_channels(&scope.input, grown)),
                        tys.tensor(&with_channels(&scope.input, next.clone())),
                    );
                    (Some(quote!(: #tn)), Some(quote!(: #ta)))
                };
                let call = match bare_block(steps) {
                    Some(b) if !generic => {
                        stated_call(tys, b, mutable, &quote!(#this.#field), &wet)
                    }
                    _ => quote!(#tr::#method(#r, #wet)?),
                };
                stmts.push(quote! {
                    let new #new_ty = #call;
                    let x #stacked_ty = ::splotnet::layers::concat_channels(x, new)?;
                });
                acc = next;
            }
            quote!(#(#stmts)* Ok(x))
        }
    }
}

/// `Module` (or, when `mutable`, `ModuleMut`) for a network's scope: every
/// type is stated, so the impl needs no bounds.
fn module_impl(tys: &Tys, scope: &Scope, mutable: bool) -> TokenStream {
    let (tr, method, recv_self) = if mutable {
        (
            quote!(::splotnet::dfdx::nn::ModuleMut),
            quote!(try_forward_mut),
            quote!(&mut self),
        )
    } else {
        (
            quote!(::splotnet::dfdx::nn::Module),
            quote!(try_forward),
            quote!(&self),
        )
    };
    let body = scope_body(tys, scope, mutable, &quote!(self));
    let (x0, output) = (tys.tensor(&scope.input), tys.tensor(scope_output(scope)));
    let ty = &scope.ty;
    let self_args = tys.args(quote!(f32, D));
    let impl_param = tys.impl_param();
    quote_spanned! {Span::call_site()=>
        #[allow(clippy::type_complexity)]
        impl<
            #impl_param
            B: ::splotnet::dfdx::prelude::Dim,
            D: ::splotnet::ops::Backend,
            T: ::splotnet::dfdx::prelude::Tape<f32, D>,
        > #tr<#x0> for #ty #self_args
        {
            type Output = #output;
            type Error = ::splotnet::Error;

            fn #method(#recv_self, x: #x0) -> ::core::result::Result<Self::Output, ::splotnet::Error> {
                #body
            }
        }
    }
}

pub(super) fn with_channels(shape: &Shape, c: Size) -> Shape {
    match shape {
        Shape::Maps { h, w, .. } => Shape::Maps {
            c,
            h: h.clone(),
            w: w.clone(),
        },
        Shape::Seq { l, .. } => Shape::Seq { c, l: l.clone() },
        Shape::Flat(_) => Shape::Flat(c),
        Shape::Vol { d, h, w, .. } => Shape::Vol {
            c,
            d: d.clone(),
            h: h.clone(),
            w: w.clone(),
        },
    }
}
