//! Checks a parsed network and computes every layer's shape, parameters,
//! multiply-adds and receptive field.
//!
//! The numbers here serve two ends: field types (a convolution's weight
//! needs its input channels) and error messages that name the layer and the
//! sizes. The generated code states every intermediate type, and the type
//! system computes them again from the typenum formulas, so the two must agree
//! for the network to compile.

mod args;
mod blocks;
mod generic;
mod plan;
mod seq;

use proc_macro2::Span;
use syn::{Error, Ident};

use crate::parse::{DimLit, Layer, Network, Value};
use args::{expect_inputs, layer_follows_flatten, window, Args};
use blocks::check_block;
pub use generic::{check_generic, Chan, GOp, GStep, GenericPlan};
pub use plan::*;

pub(super) fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(Error::new(span, msg))
}

/// The layer's name for messages: its given name, else its kind.
pub(super) fn label(layer: &Layer) -> String {
    layer
        .name
        .as_ref()
        .map_or_else(|| layer.kind.to_string(), |n| n.to_string())
}

pub fn check(net: &Network) -> syn::Result<Plan> {
    if let Some(p) = net.input.iter().find_map(|d| match d {
        DimLit::Param(p) => Some(p),
        _ => None,
    }) {
        return err(
            p.span(),
            format!(
                "`{p}` names a size, which only a generic block may do: write `block {}(input: [C, H, W])`, or give a number or `_`",
                net.name
            ),
        );
    }
    let input = match net.input.as_slice() {
        [c, h, w] => Shape::Maps {
            c: match c {
                DimLit::Fixed(c) => *c,
                DimLit::Runtime(s) => {
                    return err(
                        *s,
                        "the channel count must be a number: layers' weights depend on it",
                    )
                }
                DimLit::Param(_) => unreachable!("rejected above"),
            },
            h: size(h),
            w: size(w),
        },
        [DimLit::Fixed(c), l] => Shape::Seq { c: *c, l: size(l) },
        [DimLit::Fixed(f)] => Shape::Flat(*f),
        _ => {
            return err(
                net.input_span,
                "expected `input: [channels, height, width]`, `input: [channels, length]` or `input: [features]`",
            )
        }
    };
    let (steps, _, _) = check_layers(
        &net.layers,
        input,
        Some(Field {
            r: (1, 1),
            j: (1, 1),
        }),
    )?;
    for step in &steps {
        reject_nested_aux(step, false)?;
    }
    Ok(Plan { input, steps })
}

/// Auxiliary heads are extra outputs of the network, so they hang off the
/// main path: not inside a block.
fn reject_nested_aux(step: &Step, nested: bool) -> syn::Result<()> {
    let inner: Vec<&Step> = match &step.op {
        Op::Aux { .. } if nested => {
            return err(
                step.span,
                format!(
                    "{}: auxiliary heads are extra outputs of the network and go on its main path, not inside a block",
                    step.name.as_ref().map_or_else(String::new, |n| n.to_string())
                ),
            )
        }
        Op::Residual { body, .. } | Op::Highway { body, .. } | Op::Aux { body, .. } => {
            body.iter().collect()
        }
        Op::Concat { branches } => branches.iter().flat_map(|(_, b)| b).collect(),
        Op::Dense { layers } => layers.iter().flatten().collect(),
        _ => vec![],
    };
    inner
        .into_iter()
        .try_for_each(|s| reject_nested_aux(s, true))
}

/// Checks a sequence of layers (one struct's scope for names).
pub(super) fn check_layers(
    layers: &[Layer],
    input: Shape,
    field: Option<Field>,
) -> syn::Result<(Vec<Step>, Shape, Option<Field>)> {
    let mut names: Vec<&Ident> = Vec::new();
    let mut steps = Vec::new();
    let (mut shape, mut field) = (input, field);
    for layer in layers {
        if let Some(name) = &layer.name {
            if let Some(first) = names.iter().find(|n| **n == name) {
                let mut e = Error::new(name.span(), format!("duplicate layer name `{name}`"));
                e.combine(Error::new(
                    first.span(),
                    format!("`{first}` first declared here"),
                ));
                return Err(e);
            }
            names.push(name);
        }
        let mut step = match (&layer.body, shape) {
            (Some(body), _) => check_block(layer, body, shape, field)?,
            (None, Shape::Seq { c, l }) => seq::check_on_seq(layer, c, l, field)?,
            (None, _) => check_layer(layer, shape, field, false)?,
        };
        step.input = shape;
        if let Some((dims, span)) = &layer.annotation {
            check_annotation(layer, dims, *span, &step.out)?;
        }
        shape = step.out;
        field = step.field;
        steps.push(step);
    }
    Ok((steps, shape, field))
}

fn size(d: &DimLit) -> Size {
    match d {
        DimLit::Fixed(n) => Size::Fixed(*n),
        DimLit::Runtime(_) => Size::Runtime,
        DimLit::Param(_) => unreachable!("`check` rejects named sizes in networks"),
    }
}

fn check_annotation(layer: &Layer, dims: &[DimLit], span: Span, out: &Shape) -> syn::Result<()> {
    let matches = match (out, dims) {
        (Shape::Maps { c, h, w }, [dc, dh, dw]) => {
            let same = |d: &DimLit, s: Size| match (d, s) {
                (DimLit::Fixed(a), Size::Fixed(b)) => *a == b,
                (DimLit::Runtime(_), Size::Runtime) => true,
                _ => false,
            };
            same(dc, Size::Fixed(*c)) && same(dh, *h) && same(dw, *w)
        }
        (Shape::Seq { c, l }, [DimLit::Fixed(dc), dl]) => {
            dc == c
                && match (dl, l) {
                    (DimLit::Fixed(a), Size::Fixed(b)) => a == b,
                    (DimLit::Runtime(_), Size::Runtime) => true,
                    _ => false,
                }
        }
        (Shape::Flat(f), [DimLit::Fixed(a)]) => a == f,
        _ => false,
    };
    if matches {
        return Ok(());
    }
    let written: Vec<String> = dims
        .iter()
        .map(|d| match d {
            DimLit::Fixed(n) => n.to_string(),
            DimLit::Runtime(_) => "_".into(),
            DimLit::Param(p) => p.to_string(),
        })
        .collect();
    err(
        span,
        format!(
            "{}: annotated {}, computed {}",
            label(layer),
            written.join("x"),
            out.describe()
        ),
    )
}

fn maps(layer: &Layer, shape: Shape) -> syn::Result<(u64, Size, Size)> {
    match shape {
        Shape::Maps { c, h, w } => Ok((c, h, w)),
        Shape::Flat(_) | Shape::Seq { .. } => err(
            layer.kind.span(),
            format!(
                "{}: expects 2D feature maps, but gets {}",
                label(layer),
                shape.what()
            ),
        ),
    }
}

/// One axis through a window, with the rule that failed named.
pub(super) fn slide(
    layer: &Layer,
    axis: &str,
    input: Size,
    (k, s, p, d): (u64, u64, u64, u64),
    exact: bool,
) -> syn::Result<Size> {
    let Size::Fixed(n) = input else {
        return Ok(Size::Runtime);
    };
    let span_k = d * (k - 1) + 1;
    let padded = n + 2 * p;
    if span_k > padded {
        return err(
            layer.args_span,
            format!(
                "{}: the kernel does not fit the {axis}: span D(K-1)+1 = {span_k} is larger than the padded input {n}+2*{p} = {padded}",
                label(layer)
            ),
        );
    }
    let excess = padded - span_k;
    if exact && !excess.is_multiple_of(s) {
        return err(
            layer.args_span,
            format!(
                "{}: exact mode: stride {s} does not divide in + 2P - D(K-1) - 1 = {excess} along the {axis} (the output would be {excess}/{s} + 1 = {:.2})",
                label(layer),
                excess as f64 / s as f64 + 1.0
            ),
        );
    }
    Ok(Size::Fixed(excess / s + 1))
}

fn grow(field: Option<Field>, win: &Window) -> Option<Field> {
    field.map(|f| Field {
        r: (
            f.r.0 + win.d.0 * (win.k.0 - 1) * f.j.0,
            f.r.1 + win.d.1 * (win.k.1 - 1) * f.j.1,
        ),
        j: (f.j.0 * win.s.0, f.j.1 * win.s.1),
    })
}

pub(super) fn plane(h: Size, w: Size) -> Option<u64> {
    match (h, w) {
        (Size::Fixed(h), Size::Fixed(w)) => Some(h * w),
        _ => None,
    }
}

/// Checks one plain layer; `seq` says the maps are a sequence's channels
/// viewed as `C x 1 x L`, so windows slide along the width alone.
fn check_layer(layer: &Layer, input: Shape, field: Option<Field>, seq: bool) -> syn::Result<Step> {
    let mut args = Args::new(layer);
    args.seq = seq;
    let wname = if seq { "length" } else { "width" };
    let kind = layer.kind.to_string();
    let needs_name = |what: &str| -> syn::Result<()> {
        if layer.name.is_none() {
            return err(
                layer.kind.span(),
                format!("a {what} layer has parameters and needs a name, e.g. `c1: {kind}(...)`"),
            );
        }
        Ok(())
    };
    let step = |op: Op, out: Shape, params: u64, macs: Option<u64>, field: Option<Field>| Step {
        name: layer.name.clone(),
        op,
        out,
        params,
        macs,
        field,
        span: layer.kind.span(),
        input,
    };
    let result = match kind.as_str() {
        "conv1d" if !seq => {
            return err(
                layer.kind.span(),
                format!("{}: conv1d slides along a sequence (`input: [C, L]`), but gets {}", label(layer), input.what()),
            )
        }
        "conv" | "conv2d" | "conv1d" => {
            needs_name("conv")?;
            let (c, h, w) = maps(layer, input)?;
            let out = args.required_count("number of filters", "conv(16, k = 5)")?;
            expect_inputs(&mut args, c, "input channels", "the previous layer gives")?;
            let win = window(&mut args, false)?;
            let table = match args.take("table") {
                Some(v) if seq => return err(v.span(), format!("{}: connection tables are for 2D maps", label(layer))),
                Some(Value::Word(t)) if t == "lenet5" => {
                    if (c, out) != (6, 16) || win.s != (1, 1) || win.p != (0, 0) || win.d != (1, 1) {
                        return err(
                            t.span(),
                            format!("{}: the lenet5 table connects 6 input maps to 16 output maps at stride 1 without padding", label(layer)),
                        );
                    }
                    Some(t.clone())
                }
                Some(v) => return err(v.span(), format!("{}: unknown connection table; the one known is `lenet5`", label(layer))),
                None => None,
            };
            let groups = match args.take("groups") {
                Some(Value::Int(g, _)) => *g,
                Some(v) => return err(v.span(), format!("{}: `groups` takes a number", label(layer))),
                None => 1,
            };
            if groups == 0 || c % groups != 0 || out % groups != 0 {
                return err(
                    layer.args_span,
                    format!("{}: {groups} groups must divide both the {c} input channels and the {out} filters", label(layer)),
                );
            }
            let bias = args.boolean("bias", true)?;
            if !bias && (seq || table.is_some()) {
                return err(layer.args_span, format!("{}: `bias = false` is for plain 2D convolutions", label(layer)));
            }
            let ho = slide(layer, "height", h, (win.k.0, win.s.0, win.p.0, win.d.0), win.exact)?;
            let wo = slide(layer, wname, w, (win.k.1, win.s.1, win.p.1, win.d.1), win.exact)?;
            let fan_in = c / groups * win.k.0 * win.k.1;
            let params = out * fan_in + if bias { out } else { 0 };
            let macs = plane(ho, wo).map(|p| p * out * fan_in);
            step(
                Op::Conv { cin: c, out, groups, win, table, bias },
                Shape::Maps { c: out, h: ho, w: wo },
                params,
                macs,
                grow(field, &win),
            )
        }
        "max_pool" | "avg_pool" | "l2_pool" => {
            let (c, h, w) = maps(layer, input)?;
            let win = window(&mut args, true)?;
            if win.d != (1, 1) {
                return err(layer.args_span, format!("{}: pooling windows are not dilated", label(layer)));
            }
            if 2 * win.p.0 > win.k.0 || 2 * win.p.1 > win.k.1 {
                return err(layer.args_span, format!("{}: padding must be at most half the window", label(layer)));
            }
            let ho = slide(layer, "height", h, (win.k.0, win.s.0, win.p.0, 1), win.exact)?;
            let wo = slide(layer, wname, w, (win.k.1, win.s.1, win.p.1, 1), win.exact)?;
            let kind = match kind.as_str() {
                "max_pool" => PoolKind::Max,
                "avg_pool" => PoolKind::Avg,
                _ => PoolKind::L2,
            };
            step(Op::Pool { kind, win }, Shape::Maps { c, h: ho, w: wo }, 0, Some(0), grow(field, &win))
        }
        "global_avg_pool" | "global_max_pool" => {
            let (c, _, _) = maps(layer, input)?;
            let kind = if kind == "global_avg_pool" { PoolKind::Avg } else { PoolKind::Max };
            step(Op::GlobalPool(kind), Shape::Flat(c), 0, Some(0), None)
        }
        "flatten" => {
            let (c, h, w) = maps(layer, input)?;
            let Some(p) = plane(h, w) else {
                return err(
                    layer.kind.span(),
                    format!("{}: cannot flatten maps of runtime size ({c}x{h}x{w}); use `global_avg_pool` to get a fixed size", label(layer)),
                );
            };
            step(Op::Flatten, Shape::Flat(c * p), 0, Some(0), None)
        }
        "linear" => {
            needs_name("linear")?;
            let inp = match input {
                Shape::Flat(f) => f,
                Shape::Maps { .. } | Shape::Seq { .. } => {
                    return err(
                        layer.kind.span(),
                        format!("{}: linear expects flat features, but gets {}: add `flatten` first", label(layer), input.what()),
                    )
                }
            };
            let out = args.required_count("number of output features", "linear(84)")?;
            let source = if layer_follows_flatten(input) { "flatten gives" } else { "the previous layer gives" };
            expect_inputs(&mut args, inp, "in-features", source)?;
            step(Op::Linear { inp, out }, Shape::Flat(out), inp * out + out, Some(inp * out), None)
        }
        "relu" | "tanh" | "sigmoid" | "scaled_tanh" => {
            let act = match kind.as_str() {
                "relu" => Act::Relu,
                "tanh" => Act::Tanh,
                "sigmoid" => Act::Sigmoid,
                _ => Act::ScaledTanh,
            };
            step(Op::Act(act), input, 0, Some(0), field)
        }
        "dropout" => {
            let p = args.float("p", 0.5)?;
            if !(0.0..1.0).contains(&p) {
                return err(layer.args_span, format!("{}: dropout probability must be in [0, 1), got {p}", label(layer)));
            }
            step(Op::Dropout(p), input, 0, Some(0), field)
        }
        "conv_transpose" => {
            needs_name("conv_transpose")?;
            let (c, h, w) = maps(layer, input)?;
            let out = args.required_count("number of output maps", "conv_transpose(64, k = 2, s = 2)")?;
            let win = window(&mut args, false)?;
            let op = args.pair("op", Some((0, 0)))?;
            let groups = match args.take("groups") {
                Some(Value::Int(g, _)) => *g,
                Some(v) => return err(v.span(), format!("{}: `groups` takes a number", label(layer))),
                None => 1,
            };
            if groups == 0 || c % groups != 0 || out % groups != 0 {
                return err(layer.args_span, format!("{}: {groups} groups must divide both the {c} input and the {out} output maps", label(layer)));
            }
            let grow_axis = |axis: &str, n: Size, k: u64, s: u64, p: u64, d: u64, op: u64| -> syn::Result<Size> {
                if op >= s {
                    return err(layer.args_span, format!("{}: output padding {op} must be smaller than the stride {s} along the {axis}", label(layer)));
                }
                let Size::Fixed(n) = n else { return Ok(Size::Runtime) };
                let full = (n - 1) * s + d * (k - 1) + 1 + op;
                if full <= 2 * p {
                    return err(layer.args_span, format!("{}: padding 2*{p} removes the whole {axis} ((in-1)S + D(K-1) + 1 + OP = {full})", label(layer)));
                }
                Ok(Size::Fixed(full - 2 * p))
            };
            let ho = grow_axis("height", h, win.k.0, win.s.0, win.p.0, win.d.0, op.0)?;
            let wo = grow_axis("width", w, win.k.1, win.s.1, win.p.1, win.d.1, op.1)?;
            let per_input = out / groups * win.k.0 * win.k.1;
            let params = c * per_input + out;
            step(
                Op::ConvTranspose { cin: c, out, groups, win, op },
                Shape::Maps { c: out, h: ho, w: wo },
                params,
                plane(h, w).map(|p| p * c * per_input),
                None,
            )
        }
        "subsample" => {
            needs_name("subsample")?;
            let (c, h, w) = maps(layer, input)?;
            let k = args.pair("k", None)?;
            if k.0 != k.1 || k.0 == 0 {
                return err(layer.args_span, format!("{}: subsampling takes one square window size, e.g. `k = 2`", label(layer)));
            }
            let win = Window { k, s: k, p: (0, 0), d: (1, 1), exact: false };
            let ho = slide(layer, "height", h, (k.0, k.0, 0, 1), false)?;
            let wo = slide(layer, wname, w, (k.1, k.1, 0, 1), false)?;
            step(Op::Subsample { c, k: k.0 }, Shape::Maps { c, h: ho, w: wo }, 2 * c, plane(ho, wo).map(|p| p * c), grow(field, &win))
        }
        "batch_norm" => {
            needs_name("batch_norm")?;
            let (c, h, w) = maps(layer, input)?;
            step(Op::BatchNorm { c }, input, 2 * c, plane(h, w).map(|p| 2 * c * p), field)
        }
        "block" => {
            needs_name("block")?;
            let (c, _, _) = maps(layer, input)?;
            let ty = match args.leading_word() {
                Some(ty) => ty.clone(),
                None => return err(layer.args_span, format!("{}: name the block, e.g. `{}: block(Basic) -> [64, 32, 32]`", label(layer), label(layer))),
            };
            let out = match &layer.annotation {
                Some((dims, span)) => match dims.as_slice() {
                    [DimLit::Fixed(c), h, w] if !matches!(h, DimLit::Param(_)) && !matches!(w, DimLit::Param(_)) => {
                        Shape::Maps { c: *c, h: size(h), w: size(w) }
                    }
                    _ => return err(*span, format!("{}: state the block's output as `[channels, height, width]` with numbers (or `_` for runtime sizes)", label(layer))),
                },
                None => {
                    return err(
                        layer.kind.span(),
                        format!("{}: a generic block's output shape is derived by the compiler, not by this macro; state it, e.g. `{}: block({ty}) -> [64, 32, 32]`, and the compiler checks it", label(layer), label(layer)),
                    )
                }
            };
            step(Op::Block { ty, cin: c }, out, 0, None, None)
        }
        "lrn" => {
            maps(layer, input)?;
            let n = args.float("n", 5.0)? as u64;
            let k = args.float("k", 2.0)?;
            let alpha = args.float("alpha", 1e-4)?;
            let beta = args.float("beta", 0.75)?;
            step(Op::Lrn { n, k, alpha, beta }, input, 0, Some(0), field)
        }
        _ => {
            return err(
                layer.kind.span(),
                format!(
                    "unknown layer `{kind}`; expected one of: conv, conv1d, block, max_pool, avg_pool, l2_pool, \
                     global_avg_pool, global_max_pool, flatten, linear, conv_transpose, batch_norm, subsample, relu, tanh, sigmoid, scaled_tanh, dropout, lrn"
                ),
            )
        }
    };
    args.finish()?;
    Ok(result)
}
