//! Turns a checked plan into Rust: a struct of layers, `TensorCollection`,
//! forward passes whose every intermediate type is stated, and `summary()`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

mod generic;

pub use generic::expand_generic;

use crate::check::{Act, Op, Plan, PoolKind, Shape, Size, Step, Window};
use crate::parse::Network;
use syn::Ident;

/// A typenum type for `n`: `U6` up to 1024 (typenum's names), the binary
/// `UInt<…>` form above.
fn tn(n: u64) -> TokenStream {
    if n <= 1024 {
        let id = format_ident!("U{}", n);
        return quote!(::splotnet::typenum::consts::#id);
    }
    let mut ty = quote!(::splotnet::typenum::UTerm);
    for bit in (0..64 - n.leading_zeros()).rev() {
        let b = if (n >> bit) & 1 == 1 {
            quote!(::splotnet::typenum::B1)
        } else {
            quote!(::splotnet::typenum::B0)
        };
        ty = quote!(::splotnet::typenum::UInt<#ty, #b>);
    }
    ty
}

fn dim(s: Size) -> TokenStream {
    match s {
        Size::Fixed(n) => {
            let t = tn(n);
            quote!(::splotnet::dims::N<#t>)
        }
        Size::Runtime => quote!(usize),
    }
}

/// The tensor type of a batch of `shape`, batch dim `B`, tape `T`.
fn tensor(shape: &Shape) -> TokenStream {
    let dims = match shape {
        Shape::Maps { c, h, w } => {
            let (c, h, w) = (dim(Size::Fixed(*c)), dim(*h), dim(*w));
            quote!((B, #c, #h, #w))
        }
        Shape::Seq { c, l } => {
            let (c, l) = (dim(Size::Fixed(*c)), dim(*l));
            quote!((B, #c, #l))
        }
        Shape::Flat(f) => {
            let f = dim(Size::Fixed(*f));
            quote!((B, #f))
        }
    };
    quote!(::splotnet::dfdx::prelude::Tensor<#dims, f32, D, T>)
}

fn rounding(win: &Window) -> TokenStream {
    if win.exact {
        quote!(::splotnet::formula::Exact)
    } else {
        quote!(::splotnet::formula::Floor)
    }
}

fn conv_type(cin: u64, out: u64, groups: u64, win: &Window) -> TokenStream {
    let (cg, o, kh, kw) = (tn(cin / groups), tn(out), tn(win.k.0), tn(win.k.1));
    let spec = conv_spec(win, groups);
    quote!(::splotnet::layers::Conv2d<#cg, #o, #kh, #kw, #spec, E, D>)
}

/// The `Conv2dSpec` of a window: stride, padding, dilation, groups, rounding.
fn conv_spec(win: &Window, groups: u64) -> TokenStream {
    let (sh, sw, ph, pw, dh, dw, g) = (
        tn(win.s.0),
        tn(win.s.1),
        tn(win.p.0),
        tn(win.p.1),
        tn(win.d.0),
        tn(win.d.1),
        tn(groups),
    );
    let m = rounding(win);
    quote!(::splotnet::ops::Conv2dSpec<#sh, #sw, #ph, #pw, #dh, #dw, #g, #m>)
}

/// The pooling layer type of `kind` over `win`.
fn pool_type(kind: PoolKind, win: &Window) -> TokenStream {
    let k = match kind {
        PoolKind::Max => quote!(Max),
        PoolKind::Avg => quote!(Avg),
        PoolKind::L2 => quote!(L2),
    };
    let (kh, kw, sh, sw, ph, pw) = (
        tn(win.k.0),
        tn(win.k.1),
        tn(win.s.0),
        tn(win.s.1),
        tn(win.p.0),
        tn(win.p.1),
    );
    let m = rounding(win);
    quote!(::splotnet::layers::Pool2d<::splotnet::layers::kind::#k, ::splotnet::ops::Pool2dSpec<#kh, #kw, #sh, #sw, #ph, #pw, #m>>)
}

/// A convolution along a sequence: the window's width axis.
fn conv1d_type(cin: u64, out: u64, groups: u64, win: &Window) -> TokenStream {
    let (cg, o, k) = (tn(cin / groups), tn(out), tn(win.k.1));
    let (st, p, d, g) = (tn(win.s.1), tn(win.p.1), tn(win.d.1), tn(groups));
    let m = rounding(win);
    quote!(::splotnet::layers::Conv1d<#cg, #o, #k, ::splotnet::ops::Conv1dSpec<#st, #p, #d, #g, #m>, E, D>)
}

/// `elem_dev` is `E, D` in the struct, concrete types where a value is needed.
fn table_conv_type(cin: u64, out: u64, win: &Window, elem_dev: TokenStream) -> TokenStream {
    let (c, o, k) = (tn(cin), tn(out), tn(win.k.0));
    quote!(::splotnet::layers::TableConv2d<#c, #o, #k, ::splotnet::layers::LeNet5C3, #elem_dev>)
}

fn linear_type(inp: u64, out: u64) -> TokenStream {
    let (i, o) = (tn(inp), tn(out));
    quote!(::splotnet::layers::Linear<#i, #o, E, D>)
}

/// The struct holding one scope's parameterised layers and blocks.
struct Scope<'a> {
    /// The generated type's name.
    ty: Ident,
    steps: &'a [Step],
    /// Extra fields beside the steps' (a residual block's projection):
    /// field, name in the state dict, type.
    extra: Vec<(Ident, String, TokenStream)>,
}

/// The type name of the struct of block `path` inside network `net`.
fn block_type(net: &Ident, path: &[String]) -> Ident {
    format_ident!("{}_{}", net, path.join("_"))
}

/// A step's field type, if it holds parameters or sub-layers.
fn field_type(net: &Ident, path: &[String], step: &Step) -> Option<TokenStream> {
    match &step.op {
        Op::Conv {
            cin,
            out,
            win,
            table: Some(_),
            ..
        } => Some(table_conv_type(*cin, *out, win, quote!(E, D))),
        Op::Conv {
            cin,
            out,
            groups,
            win,
            table: None,
            ..
        } if matches!(step.input, Shape::Seq { .. }) => Some(conv1d_type(*cin, *out, *groups, win)),
        Op::Conv {
            cin,
            out,
            groups,
            win,
            table: None,
            bias: false,
        } => {
            let (cg, o, kh, kw) = (tn(cin / groups), tn(*out), tn(win.k.0), tn(win.k.1));
            let spec = conv_spec(win, *groups);
            Some(
                quote!(::splotnet::layers::Conv2d<#cg, #o, #kh, #kw, #spec, E, D, ::splotnet::layers::NoBias>),
            )
        }
        Op::Conv {
            cin,
            out,
            groups,
            win,
            table: None,
            ..
        } => Some(conv_type(*cin, *out, *groups, win)),
        Op::Linear { inp, out } => Some(linear_type(*inp, *out)),
        Op::Subsample { c, k } => {
            let (c, k) = (tn(*c), tn(*k));
            Some(quote!(::splotnet::layers::Subsample2d<#c, #k, E, D>))
        }
        Op::ConvTranspose {
            cin,
            out,
            groups,
            win,
            op,
        } => {
            let (c, o, og, kh, kw) = (
                tn(*cin),
                tn(*out),
                tn(out / groups),
                tn(win.k.0),
                tn(win.k.1),
            );
            let (sh, sw, ph, pw, oph, opw, dh, dw, g) = (
                tn(win.s.0),
                tn(win.s.1),
                tn(win.p.0),
                tn(win.p.1),
                tn(op.0),
                tn(op.1),
                tn(win.d.0),
                tn(win.d.1),
                tn(*groups),
            );
            Some(
                quote!(::splotnet::layers::ConvTranspose2d<#c, #o, #og, #kh, #kw, ::splotnet::ops::ConvTranspose2dSpec<#sh, #sw, #ph, #pw, #oph, #opw, #dh, #dw, #g>, E, D>),
            )
        }
        Op::BatchNorm { c } => {
            let c = tn(*c);
            Some(quote!(::splotnet::layers::BatchNorm2d<#c, E, D>))
        }
        Op::Block { ty, cin } => {
            let c = tn(*cin);
            Some(quote!(#ty<#c, E, D>))
        }
        Op::Residual { .. }
        | Op::Concat { .. }
        | Op::Dense { .. }
        | Op::Highway { .. }
        | Op::Aux { .. } => {
            let mut p = path.to_vec();
            p.push(step.name.as_ref()?.to_string());
            let ty = block_type(net, &p);
            Some(quote!(#ty<E, D>))
        }
        _ => None,
    }
}

/// Every struct a network needs: its own and one per block, nested.
fn structs(net: &Network, plan: &Plan) -> TokenStream {
    let mut out = TokenStream::new();
    let top = Scope {
        ty: net.name.clone(),
        steps: &plan.steps,
        extra: vec![],
    };
    let attrs = &net.attrs;
    out.extend(one_struct(net, &top, &[], quote!(#(#attrs)*)));
    block_structs(net, &plan.steps, &[], &mut out);
    out
}

fn block_structs(net: &Network, steps: &[Step], path: &[String], out: &mut TokenStream) {
    for step in steps {
        let Some(name) = &step.name else { continue };
        let mut p = path.to_vec();
        p.push(name.to_string());
        let hidden = quote!(#[doc(hidden)] #[allow(non_camel_case_types)]);
        match &step.op {
            Op::Residual { body, projection } => {
                let extra = projection
                    .map(|pr| {
                        (
                            format_ident!("shortcut"),
                            "shortcut".to_string(),
                            conv_type(pr.cin, pr.out, 1, &pr.window()),
                        )
                    })
                    .into_iter()
                    .collect();
                let scope = Scope {
                    ty: block_type(&net.name, &p),
                    steps: body,
                    extra,
                };
                out.extend(one_struct(net, &scope, &p, hidden));
                block_structs(net, body, &p, out);
            }
            Op::Concat { branches } => {
                let fields = branches
                    .iter()
                    .map(|(b, _)| {
                        let mut bp = p.clone();
                        bp.push(b.to_string());
                        let ty = block_type(&net.name, &bp);
                        (b.clone(), b.to_string(), quote!(#ty<E, D>))
                    })
                    .collect();
                let scope = Scope {
                    ty: block_type(&net.name, &p),
                    steps: &[],
                    extra: fields,
                };
                out.extend(one_struct(net, &scope, &p, hidden.clone()));
                for (b, steps) in branches {
                    let mut bp = p.clone();
                    bp.push(b.to_string());
                    let scope = Scope {
                        ty: block_type(&net.name, &bp),
                        steps,
                        extra: vec![],
                    };
                    out.extend(one_struct(net, &scope, &bp, hidden.clone()));
                    block_structs(net, steps, &bp, out);
                }
            }
            Op::Aux { body, .. } => {
                let scope = Scope {
                    ty: block_type(&net.name, &p),
                    steps: body,
                    extra: vec![],
                };
                out.extend(one_struct(net, &scope, &p, hidden));
                block_structs(net, body, &p, out);
            }
            Op::Highway {
                body,
                gate_k,
                gate_bias_milli,
            } => {
                let gate = gate_type(&step.input, *gate_k, *gate_bias_milli);
                let scope = Scope {
                    ty: block_type(&net.name, &p),
                    steps: body,
                    extra: vec![(format_ident!("gate"), "gate".to_string(), gate)],
                };
                out.extend(one_struct(net, &scope, &p, hidden));
                block_structs(net, body, &p, out);
            }
            Op::Dense { layers } => {
                let fields = (0..layers.len())
                    .map(|i| {
                        let ty = block_type(&net.name, &[p.clone(), vec![i.to_string()]].concat());
                        (dense_field(i), i.to_string(), quote!(#ty<E, D>))
                    })
                    .collect();
                let scope = Scope {
                    ty: block_type(&net.name, &p),
                    steps: &[],
                    extra: fields,
                };
                out.extend(one_struct(net, &scope, &p, hidden.clone()));
                for (i, steps) in layers.iter().enumerate() {
                    let lp = [p.clone(), vec![i.to_string()]].concat();
                    let scope = Scope {
                        ty: block_type(&net.name, &lp),
                        steps,
                        extra: vec![],
                    };
                    out.extend(one_struct(net, &scope, &lp, hidden.clone()));
                    block_structs(net, steps, &lp, out);
                }
            }
            _ => {}
        }
    }
}

/// A highway gate on `input`: a "same" convolution on maps, linear on features.
fn gate_type(input: &Shape, k: u64, bias_milli: i32) -> TokenStream {
    let transform = match input {
        Shape::Maps { c, .. } => {
            let win = Window {
                k: (k, k),
                s: (1, 1),
                p: ((k - 1) / 2, (k - 1) / 2),
                d: (1, 1),
                exact: false,
            };
            conv_type(*c, *c, 1, &win)
        }
        Shape::Flat(f) => linear_type(*f, *f),
        Shape::Seq { .. } => unreachable!("checked: highway gates take maps or features"),
    };
    quote!(::splotnet::layers::HighwayGate<#transform, { #bias_milli }>)
}

/// The field of a dense block's layer `i`; its state-dict name is `i`, as
/// in PyTorch's `ModuleList`.
fn dense_field(i: usize) -> Ident {
    format_ident!("layer{}", i)
}

fn one_struct(net: &Network, scope: &Scope, path: &[String], attrs: TokenStream) -> TokenStream {
    let ty = &scope.ty;
    let mut fields: Vec<FieldDef> = scope
        .steps
        .iter()
        .filter_map(|s| {
            let t = field_type(&net.name, path, s)?;
            let n = s.name.clone()?;
            let doc = format!("`{}`: {}, output {}.", n, s.kind_name(), s.out.describe());
            Some((n.clone(), n.to_string(), t, doc))
        })
        .collect();
    for (n, key, t) in &scope.extra {
        fields.push((n.clone(), key.clone(), t.clone(), format!("`{key}`")));
    }
    struct_tokens(&net.vis, attrs, ty, false, &fields)
}

/// A field of a generated struct: field, state-dict name, type, doc.
type FieldDef = (Ident, String, TokenStream, String);

/// A generated struct of layers over `E, D` (and the channel type `C` when
/// `generic`), with dfdx's `TensorCollection` naming each field `key`.
fn struct_tokens(
    vis: &syn::Visibility,
    attrs: TokenStream,
    ty: &Ident,
    generic: bool,
    fields: &[FieldDef],
) -> TokenStream {
    let (c_decl, c) = if generic {
        (quote!(C: ::splotnet::dims::Size,), quote!(C,))
    } else {
        (quote!(), quote!())
    };
    let defs = fields
        .iter()
        .map(|(n, _, t, doc)| quote!(#[doc = #doc] pub #n: #t));
    let names: Vec<&Ident> = fields.iter().map(|(n, _, _, _)| n).collect();
    let visits = nest(
        fields
            .iter()
            .map(|(n, key, _, _)| quote!(Self::module(#key, |s| &s.#n, |s| &mut s.#n)))
            .collect(),
    );
    let pattern = nest(names.iter().map(|n| quote!(#n)).collect());
    quote! {
        #attrs
        #vis struct #ty<#c_decl E: ::splotnet::dfdx::prelude::Dtype, D: ::splotnet::dfdx::prelude::Storage<E>> {
            #(#defs,)*
            _types: ::core::marker::PhantomData<(#c E, D)>,
        }

        impl<#c_decl D: ::splotnet::dfdx::prelude::Device<f32>> ::splotnet::dfdx::nn::TensorCollection<f32, D> for #ty<#c f32, D> {
            type To<E2: ::splotnet::dfdx::prelude::Dtype, D2: ::splotnet::dfdx::prelude::Device<E2>> = #ty<#c E2, D2>;

            fn iter_tensors<V: ::splotnet::dfdx::nn::ModuleVisitor<Self, f32, D>>(
                visitor: &mut V,
            ) -> ::core::result::Result<::core::option::Option<Self::To<V::E2, V::D2>>, V::Err> {
                visitor.visit_fields(#visits, |#pattern| #ty { #(#names,)* _types: ::core::marker::PhantomData })
            }
        }
    }
}

fn dev_err() -> TokenStream {
    quote!(.map_err(::splotnet::Error::device)?)
}

/// The statements computing `steps` from `x`, fields reached through `path`.
fn forward_steps(steps: &[Step], path: &TokenStream, train: bool) -> TokenStream {
    forward_steps_from(steps, path, train, false, false)
}

/// As [`forward_steps`]; `on_data` says `x` is the network's input, whose
/// gradient training never needs, so a first plain convolution skips it;
/// `aux` computes the auxiliary heads into variables named after them
/// (otherwise they are skipped).
fn forward_steps_from(
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
fn step_expr(step: &Step, path: &TokenStream, train: bool) -> TokenStream {
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
fn dense_out(step: &Step, layers: &[Vec<Step>], i: usize) -> Shape {
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

/// Groups `items` into nested tuples of at most six (dfdx's tuple limit).
fn nest(items: Vec<TokenStream>) -> TokenStream {
    if items.len() <= 6 {
        return quote!((#(#items,)*));
    }
    let groups: Vec<TokenStream> = items.chunks(6).map(|c| nest(c.to_vec())).collect();
    nest(groups)
}

fn opt_u64(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    }
}

fn shape_tokens(shape: &Shape) -> TokenStream {
    let dims: Vec<TokenStream> = match shape {
        Shape::Maps { c, h, w } => [Size::Fixed(*c), *h, *w]
            .iter()
            .map(|s| match s {
                Size::Fixed(n) => quote!(Some(#n)),
                Size::Runtime => quote!(None),
            })
            .collect(),
        Shape::Seq { c, l } => [Size::Fixed(*c), *l]
            .iter()
            .map(|s| match s {
                Size::Fixed(n) => quote!(Some(#n)),
                Size::Runtime => quote!(None),
            })
            .collect(),
        Shape::Flat(f) => vec![quote!(Some(#f))],
    };
    quote!(vec![#(#dims),*])
}

/// Summary rows, blocks first and then their layers under dotted names.
fn summary_rows(steps: &[Step], prefix: &str, rows: &mut Vec<TokenStream>) {
    for s in steps {
        let name = s
            .name
            .as_ref()
            .map_or_else(String::new, |n| format!("{prefix}{n}"));
        let kind = s.kind_name();
        let shape = match &s.op {
            Op::Aux { out, .. } => shape_tokens(out),
            _ => shape_tokens(&s.out),
        };
        let (params, macs) = match &s.op {
            // the table's own count: the macro does not repeat the table
            Op::Conv {
                cin,
                out,
                win,
                table: Some(_),
                ..
            } => {
                let ty =
                    table_conv_type(*cin, *out, win, quote!(f32, ::splotnet::dfdx::prelude::Cpu));
                let o = *out;
                let plane = match s.out {
                    Shape::Maps {
                        h: Size::Fixed(h),
                        w: Size::Fixed(w),
                        ..
                    } => quote!(Some(#h * #w)),
                    _ => quote!(None::<u64>),
                };
                (
                    quote!(<#ty>::connected_params() as u64),
                    quote!((#plane).map(|p: u64| p * (<#ty>::connected_params() as u64 - #o))),
                )
            }
            // the block counts its own: it is declared elsewhere
            Op::Block { ty, cin } => {
                let c = tn(*cin);
                let ty = quote!(<#ty<#c, f32, ::splotnet::dfdx::prelude::Cpu>>);
                let macs = match s.input {
                    Shape::Maps {
                        h: Size::Fixed(h),
                        w: Size::Fixed(w),
                        ..
                    } => {
                        let (h, w) = (h as usize, w as usize);
                        quote!(#ty::mult_adds(#h, #w))
                    }
                    _ => quote!(None),
                };
                (quote!(#ty::param_count()), macs)
            }
            _ => {
                let p = s.params;
                (quote!(#p), opt_u64(s.macs))
            }
        };
        let (rf, jump) = match s.field {
            Some(f) => {
                let (r0, r1, j0, j1) = (f.r.0, f.r.1, f.j.0, f.j.1);
                (quote!(Some((#r0, #r1))), quote!(Some((#j0, #j1))))
            }
            None => (quote!(None), quote!(None)),
        };
        rows.push(quote!(::splotnet::summary::Row {
            name: #name.to_string(),
            kind: #kind.to_string(),
            output: #shape,
            params: #params,
            macs: #macs,
            receptive_field: #rf,
            jump: #jump,
        }));
        match &s.op {
            Op::Residual { body, .. } | Op::Highway { body, .. } | Op::Aux { body, .. } => {
                summary_rows(body, &format!("{name}."), rows)
            }
            Op::Concat { branches } => {
                for (b, steps) in branches {
                    summary_rows(steps, &format!("{name}.{b}."), rows);
                }
            }
            Op::Dense { layers } => {
                for (i, steps) in layers.iter().enumerate() {
                    summary_rows(steps, &format!("{name}.{i}."), rows);
                }
            }
            _ => {}
        }
    }
}

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
