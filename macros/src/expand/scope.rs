//! Scopes: the struct of the declaration and of each block inside it, and
//! their `Module`/`ModuleMut` impls.
//!
//! A scope's forward pass is its steps in order ([`run`]), then its join:
//! a plain sequence, a residual sum, a highway mix, a concatenation of
//! branches, or a dense block's stacking.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::Ident;

use super::structs::{child_type, shortcut_field, struct_of};
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
        out.extend(module_impl(net, tys, &top, false));
        out.extend(module_impl(net, tys, &top, true));
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
        out.extend(module_impl(net, tys, &scope, false));
        out.extend(module_impl(net, tys, &scope, true));
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
            let cp = [p.clone(), vec![key]].concat();
            let child = Scope {
                ty: block_type(&net.name, &cp),
                path: cp.clone(),
                input,
                join: Join::Sequence(steps),
            };
            out.extend(struct_of(net, tys, &child, hidden.clone()));
            out.extend(module_impl(net, tys, &child, false));
            out.extend(module_impl(net, tys, &child, true));
            nested(net, tys, steps, &cp, out);
        }
    }
}

/// What a pass through steps needs beyond its statements: in a generic
/// block, one bound per layer and the impl's extra size parameters.
#[derive(Default)]
pub(super) struct Bounds {
    pub bounds: Vec<TokenStream>,
    pub params: Vec<Ident>,
}

impl Bounds {
    fn fresh(&mut self, base: &str) -> Ident {
        let id = format_ident!("{}{}", base, self.params.len());
        self.params.push(id.clone());
        id
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
    /// The type of the nested scope a named block step opens.
    pub child: &'a dyn Fn(&Ident) -> TokenStream,
}

impl Pass<'_> {
    /// The pass through `steps` from input type `x0`: one statement per
    /// step (empty for a skipped head), and the output type. `pin` states
    /// the last step's output type (a join needs it).
    pub(super) fn run(
        &self,
        steps: &[Step],
        x0: TokenStream,
        pin: Option<TokenStream>,
        b: &mut Bounds,
    ) -> (Vec<TokenStream>, TokenStream) {
        let Pass {
            tys,
            mutable,
            on_data,
            heads,
            child,
        } = *self;
        let module = quote!(::splotnet::dfdx::nn::Module);
        let module_mut = quote!(::splotnet::dfdx::nn::ModuleMut);
        let wet =
            |x: TokenStream| quote!(::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&#x));
        let ed = quote!(f32, D);
        let mut x = x0;
        let mut stmts = Vec::new();
        let last = steps.len().saturating_sub(1);
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
                    x = ty;
                    continue;
                }
                (Op::MaxUnpool { from }, _) => {
                    let (var, save, ty) = (switch_var(from), keep(s), tys.tensor(&s.out));
                    stmts.push(quote_spanned!(s.span=> let x: #ty = ::splotnet::ops::max_unpool2d(x, &#var)?; #save));
                    x = ty;
                    continue;
                }
                _ => {}
            }
            if let Op::Crop { offset, .. } = &s.op {
                let (oy, ox) = (super::types::tn(offset.0), super::types::tn(offset.1));
                let (ty, save) = (tys.tensor(&s.out), keep(s));
                let dims = quote!((::splotnet::dims::N::new(), ::splotnet::dims::N::new()));
                stmts.push(quote_spanned!(s.span=> let x: #ty = ::splotnet::layers::crop_at::<#oy, #ox, _, _, _, _, _, _, _, _>(x, #dims)?; #save));
                x = ty;
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
                        quote!(::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut self.#name, #earlier)?)
                    }
                    Some((name, _)) => {
                        quote!(::splotnet::dfdx::nn::Module::try_forward(&self.#name, #earlier)?)
                    }
                    None => earlier,
                };
                let ty = tys.tensor(&s.out);
                let save = keep(s);
                stmts.push(
                    quote_spanned!(s.span=> let x: #ty = ::splotnet::layers::#f(#skip, x)?; #save),
                );
                x = ty;
                continue;
            }
            let is_field = s.field_name().is_some();
            let (m, recv, mut_call) = match (s.field_name(), tys.stateless(&s.op)) {
                (Some(n), _) => {
                    let m = tys.field_type(s, || child(n), &ed).unwrap_or_default();
                    (m, quote!(self.#n), mutable)
                }
                (None, Some((m, value))) => (m, value, mutable && matches!(s.op, Op::Dropout(_))),
                (None, None) => continue,
            };
            let (tr, call) = if mut_call {
                (
                    &module_mut,
                    quote_spanned!(s.span=> ::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut #recv, x)?),
                )
            } else {
                (
                    &module,
                    quote_spanned!(s.span=> ::splotnet::dfdx::nn::Module::try_forward(&#recv, x)?),
                )
            };
            if let Op::Aux { name, out, .. } = &s.op {
                if heads == Heads::Compute {
                    let ty = tys.tensor(out);
                    let input = wet(quote!(x));
                    let call = if mutable {
                        quote!(#module_mut::try_forward_mut(&mut self.#name, #input)?)
                    } else {
                        quote!(#module::try_forward(&self.#name, #input)?)
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
                        quote!(self.#name.try_forward_data(x)?)
                    }
                    Op::Block { .. } => {
                        let out = tys.tensor(&s.out);
                        quote_spanned!(s.span=> ::splotnet::layers::StatedOutput::<#out>::stated(#call))
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
                x = ty;
                continue;
            }
            let pinned = match (&pin, &s.op) {
                (Some(p), _) if i == last => Some(p.clone()),
                (_, Op::Block { .. }) => Some(match &s.out {
                    Shape::Flat(_) => generic_tensor(tys, &s.out, &quote!(), &quote!()),
                    _ => {
                        let (h, w) = (b.fresh("HB"), b.fresh("WB"));
                        generic_tensor(tys, &s.out, &quote!(#h), &quote!(#w))
                    }
                }),
                _ => None,
            };
            let out = pinned.as_ref().map(|p| quote!(, Output = #p));
            let tr = if is_field || mut_call { tr } else { &module };
            b.bounds
                .push(quote_spanned!(s.span=> #m: #tr<#x, Error = ::splotnet::Error #out>));
            stmts.push(quote!(let x = #call;));
            x = pinned.unwrap_or_else(|| quote!(<#m as #tr<#x>>::Output));
        }
        (stmts, x)
    }
}

/// The local that keeps the output of step `label` for a skip connection.
fn skip_var(label: &Ident) -> Ident {
    format_ident!("skip_{}", label)
}

/// The local that keeps the switches of max pool `label`.
fn switch_var(label: &Ident) -> Ident {
    format_ident!("switches_{}", label)
}

/// A batch of `shape` in a generic block: channels named, spatial sizes
/// the impl's parameters `h`, `w`.
fn generic_tensor(tys: &Tys, shape: &Shape, h: &TokenStream, w: &TokenStream) -> TokenStream {
    let c = tys.chan(shape.channels());
    match shape {
        Shape::Flat(_) => {
            quote!(::splotnet::dfdx::prelude::Tensor<(B, ::splotnet::dims::N<#c>), f32, D, T>)
        }
        _ => {
            quote!(::splotnet::dfdx::prelude::Tensor<(B, ::splotnet::dims::N<#c>, #h, #w), f32, D, T>)
        }
    }
}

/// `Module` (or, when `mutable`, `ModuleMut`) for a scope's struct.
fn module_impl(net: &Network, tys: &Tys, scope: &Scope, mutable: bool) -> TokenStream {
    let generic = tys.is_generic();
    let mut b = Bounds::default();
    let module = quote!(::splotnet::dfdx::nn::Module);
    let tr = if mutable {
        quote!(::splotnet::dfdx::nn::ModuleMut)
    } else {
        module.clone()
    };
    let method = if mutable {
        quote!(try_forward_mut)
    } else {
        quote!(try_forward)
    };
    let recv = |field: TokenStream| {
        if mutable {
            quote!(&mut self.#field)
        } else {
            quote!(&self.#field)
        }
    };
    let wet = quote!(::splotnet::dfdx::tensor::WithEmptyTape::with_empty_tape(&x));
    let child = |n: &Ident| child_type(net, tys, &scope.path, &n.to_string(), &quote!(f32, D));
    let pass = Pass {
        tys,
        mutable,
        on_data: false,
        heads: Heads::Skip,
        child: &child,
    };
    let (hw, x0) = match (&scope.input, generic) {
        (_, false) => (false, tys.tensor(&scope.input)),
        (Shape::Flat(_), true) => (
            false,
            generic_tensor(tys, &scope.input, &quote!(), &quote!()),
        ),
        (_, true) => (
            true,
            generic_tensor(tys, &scope.input, &quote!(H), &quote!(W)),
        ),
    };
    // the type after the join: stated in a network, named from fresh size
    // parameters bound by a layer's output in a block
    let out_type = |shape: &Shape, b: &mut Bounds| {
        if !generic {
            return tys.tensor(shape);
        }
        let (h, w) = (b.fresh("HO"), b.fresh("WO"));
        generic_tensor(tys, shape, &quote!(#h), &quote!(#w))
    };
    let (body, output) = match &scope.join {
        Join::Sequence(steps) => {
            let (stmts, x) = pass.run(steps, x0.clone(), None, &mut b);
            let output = if generic {
                x
            } else {
                tys.tensor(steps.last().map_or(&scope.input, |s| &s.out))
            };
            (quote!(#(#stmts)* Ok(x)), output)
        }
        Join::Residual {
            body,
            projection,
            out,
        } => {
            let joined = match projection {
                None => x0.clone(),
                Some(_) => out_type(out, &mut b),
            };
            let shortcut = match projection {
                None => quote!(let shortcut = #wet;),
                Some(p) => {
                    let s = tys.shortcut(p, &quote!(f32, D));
                    let (field, _) = shortcut_field(p);
                    // a downsample's batch norm trains with the block
                    let (tr, call) = if mutable && p.norm {
                        (
                            &tr,
                            quote!(::splotnet::dfdx::nn::ModuleMut::try_forward_mut(&mut self.#field, #wet)?),
                        )
                    } else {
                        (&module, quote!(#module::try_forward(&self.#field, #wet)?))
                    };
                    if generic {
                        b.bounds.push(
                            quote!(#s: #tr<#x0, Error = ::splotnet::Error, Output = #joined>),
                        );
                    }
                    quote!(let shortcut = #call;)
                }
            };
            let (stmts, _) = pass.run(body, x0.clone(), Some(joined.clone()), &mut b);
            (
                quote!(#shortcut #(#stmts)* ::splotnet::layers::residual_add(x, shortcut)),
                joined,
            )
        }
        Join::Highway {
            body,
            gate_k,
            gate_bias_milli,
        } => {
            let gate = tys.gate(&scope.input, *gate_k, *gate_bias_milli, &quote!(f32, D));
            if generic {
                b.bounds
                    .push(quote!(#gate: #module<#x0, Error = ::splotnet::Error, Output = #x0>));
            }
            let (stmts, _) = pass.run(body, x0.clone(), Some(x0.clone()), &mut b);
            (
                quote! {
                    let carry = #wet;
                    let gate = #module::try_forward(&self.gate, #wet)?;
                    #(#stmts)*
                    ::splotnet::layers::highway_mix(x, gate, carry)
                },
                x0.clone(),
            )
        }
        Join::Concat { branches, out } => {
            let joined = out_type(out, &mut b);
            let (ho, wo) = match b.params.as_slice() {
                [.., h, w] => (quote!(#h), quote!(#w)),
                _ => (quote!(), quote!()),
            };
            let n = branches.len();
            let mut stmts = Vec::new();
            let mut acc = Size::Fixed(0);
            for (i, (bname, steps)) in branches.iter().enumerate() {
                let shape = steps.last().map_or(&scope.input, |s| &s.out);
                let var = format_ident!("branch{}", i);
                let input = if i + 1 == n { quote!(x) } else { wet.clone() };
                let r = recv(quote!(#bname));
                let call = quote!(#tr::#method(#r, #input)?);
                if generic {
                    let bt = child_type(net, tys, &scope.path, &bname.to_string(), &quote!(f32, D));
                    let t = generic_tensor(tys, shape, &ho, &wo);
                    b.bounds
                        .push(quote!(#bt: #tr<#x0, Error = ::splotnet::Error, Output = #t>));
                    stmts.push(quote!(let #var = #call;));
                } else {
                    let t = tys.tensor(shape);
                    stmts.push(quote!(let #var: #t = #call;));
                }
                let c = shape.channels().clone();
                let next = acc.add(&c);
                if i == 0 {
                    stmts.push(quote!(let y = #var;));
                } else {
                    if generic {
                        let (a, g, s) = (tys.chan(&acc), tys.chan(&c), tys.chan(&next));
                        b.bounds.push(quote!(::splotnet::dims::N<#a>: ::core::ops::Add<::splotnet::dims::N<#g>, Output = ::splotnet::dims::N<#s>>));
                    }
                    stmts.push(quote!(let y = ::splotnet::layers::concat_channels(y, #var)?;));
                }
                acc = next;
            }
            (quote!(#(#stmts)* Ok(y)), joined)
        }
        Join::Dense { layers, out, .. } => {
            let mut stmts = Vec::new();
            let mut acc = scope.input.channels().clone();
            for (i, steps) in layers.iter().enumerate() {
                let field = dense_field(i);
                let r = recv(quote!(#field));
                let grown = steps
                    .last()
                    .map_or(Size::Fixed(0), |s| s.out.channels().clone());
                let next = acc.add(&grown);
                let here = with_channels(&scope.input, acc.clone());
                let after = with_channels(&scope.input, next.clone());
                if generic {
                    let lt = child_type(net, tys, &scope.path, &i.to_string(), &quote!(f32, D));
                    let (xin, xnew) = (
                        generic_tensor(tys, &here, &quote!(H), &quote!(W)),
                        generic_tensor(
                            tys,
                            &with_channels(&scope.input, grown.clone()),
                            &quote!(H),
                            &quote!(W),
                        ),
                    );
                    b.bounds
                        .push(quote!(#lt: #tr<#xin, Error = ::splotnet::Error, Output = #xnew>));
                    let (a, g, s) = (tys.chan(&acc), tys.chan(&grown), tys.chan(&next));
                    b.bounds.push(quote!(::splotnet::dims::N<#a>: ::core::ops::Add<::splotnet::dims::N<#g>, Output = ::splotnet::dims::N<#s>>));
                    stmts.push(quote! {
                        let new = #tr::#method(#r, #wet)?;
                        let x = ::splotnet::layers::concat_channels(x, new)?;
                    });
                } else {
                    let (tn, ta) = (
                        tys.tensor(&with_channels(&scope.input, grown)),
                        tys.tensor(&after),
                    );
                    stmts.push(quote! {
                        let new: #tn = #tr::#method(#r, #wet)?;
                        let x: #ta = ::splotnet::layers::concat_channels(x, new)?;
                    });
                }
                acc = next;
            }
            let output = if generic {
                generic_tensor(tys, out, &quote!(H), &quote!(W))
            } else {
                tys.tensor(out)
            };
            (quote!(#(#stmts)* Ok(x)), output)
        }
    };
    let ty = &scope.ty;
    let self_args = tys.args(quote!(f32, D));
    let impl_param = tys.impl_param();
    let hw = if hw {
        quote!(H: ::splotnet::dfdx::prelude::Dim, W: ::splotnet::dfdx::prelude::Dim,)
    } else {
        quote!()
    };
    let extra = b
        .params
        .iter()
        .map(|p| quote!(#p: ::splotnet::dfdx::prelude::Dim,));
    let bounds = &b.bounds;
    let recv_self = if mutable {
        quote!(&mut self)
    } else {
        quote!(&self)
    };
    quote_spanned! {Span::call_site()=>
        #[allow(clippy::type_complexity)]
        impl<
            #impl_param
            B: ::splotnet::dfdx::prelude::Dim,
            #hw
            #(#extra)*
            D: ::splotnet::ops::Backend,
            T: ::splotnet::dfdx::prelude::Tape<f32, D>,
        > #tr<#x0> for #ty #self_args
        where
            #(#bounds,)*
        {
            type Output = #output;
            type Error = ::splotnet::Error;

            fn #method(#recv_self, x: #x0) -> ::core::result::Result<Self::Output, ::splotnet::Error> {
                #body
            }
        }
    }
}

fn with_channels(shape: &Shape, c: Size) -> Shape {
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
