//! Shape inference: one pass over the typed specs that gives every step
//! its input and output shape, parameters, multiply-adds and receptive
//! field, for networks (numbers and `_`) and generic blocks (expressions
//! over `C`, `H`, `W`) alike.
//!
//! The numbers serve two ends: the types the expansion names, and error
//! messages that name the layer and the sizes. The generated code states
//! the types, and the type system computes them again from the typenum
//! formulas, so the two must agree for the network to compile.
//!
//! After a layer's error the pass goes on from the layer's annotation when
//! it has one, so later mistakes are reported too; without one, the scope
//! stops there.

mod align;
mod blocks;
mod layer;
mod volume;

use proc_macro2::Span;
use syn::Ident;

use crate::diag::Ctxt;
use crate::ir::*;
use crate::parse::{BinOp, Network, SizeExpr};
use crate::spec::{specs, BlockWhat, LayerWhat, SkipJoin, Spec, What};

/// The pass over one declaration.
pub struct Infer<'a> {
    cx: &'a Ctxt,
    /// A generic block's parameter names: channels, height, width, then
    /// its own size parameters; a network's size parameters.
    params: Option<Vec<String>>,
    /// Whether this is a generic block (a network's parameters are only
    /// used as they are).
    generic: bool,
}

/// A step's problem: where, and what.
pub(crate) type Fail = (Span, String);

/// Type parameter names the generated code uses itself.
fn reserved(name: &str) -> bool {
    let fresh = ["HB", "WB", "HO", "WO"].iter().any(|b| {
        name.strip_prefix(b)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
    });
    fresh || ["B", "D", "E", "T", "V", "E2", "D2"].contains(&name)
}

pub fn infer(cx: &Ctxt, net: &Network) -> Option<Plan> {
    let generic = net.block.is_some();
    let names = net
        .size_params
        .iter()
        .chain(net.input.iter().filter_map(|d| match d {
            SizeExpr::Name(n) if generic => Some(n),
            _ => None,
        }));
    let mut clash = false;
    for n in names {
        if reserved(&n.to_string()) {
            cx.error(
                n.span(),
                format!("`{n}` is a type parameter of the generated code (B batch, D device, E element, T tape); choose another name"),
            );
            clash = true;
        }
    }
    if clash {
        return None;
    }
    let dims: Vec<&SizeExpr> = net.input.iter().collect();
    let (params, input) = if generic {
        let names: Vec<Ident> = dims
            .iter()
            .filter_map(|d| match d {
                SizeExpr::Name(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let [c, h, w] = names.as_slice() else {
            cx.error(
                net.input_span,
                "a generic block's input names its channels and sizes, e.g. `input: [C, H, W]`; the block then takes any of them",
            );
            return None;
        };
        if let Some((_, span)) = net.size_defaults.iter().flatten().next() {
            cx.error(
                *span,
                "a block's size parameters have no defaults: each use gives them, `block(Name<64>)`",
            );
            return None;
        }
        let mut p = vec![c.to_string(), h.to_string(), w.to_string()];
        for s in &net.size_params {
            if p.contains(&s.to_string()) {
                cx.error(
                    s.span(),
                    format!("`{s}` is already one of this block's sizes"),
                );
                return None;
            }
            p.push(s.to_string());
        }
        let input = Shape::Maps {
            c: Size::param(&p[0]),
            h: Size::param(&p[1]),
            w: Size::param(&p[2]),
        };
        (Some(([c.clone(), h.clone(), w.clone()], p)), input)
    } else {
        (None, network_input(cx, net)?)
    };
    let own: Vec<String> = net.size_params.iter().map(|p| p.to_string()).collect();
    let pass = Infer {
        cx,
        params: match &params {
            Some((_, p)) => Some(p.clone()),
            None => (!own.is_empty()).then_some(own),
        },
        generic,
    };
    let layers = specs(cx, &net.layers);
    let field = (!generic).then_some(Field::UNIT);
    let (steps, _, _) = pass.layers(&layers, input.clone(), field, generic)?;
    Some(Plan {
        input,
        steps,
        generic: params.map(|(idents, _)| idents),
        size_params: net.size_params.clone(),
        size_defaults: net
            .size_defaults
            .iter()
            .map(|d| d.map(|(n, _)| n))
            .collect(),
    })
}

fn network_input(cx: &Ctxt, net: &Network) -> Option<Shape> {
    if let Some(p) = net.input.iter().find_map(|d| match d {
        SizeExpr::Name(p) => Some(p),
        _ => None,
    }) {
        cx.error(
            p.span(),
            format!(
                "`{p}` names a size, which only a generic block may do: write `block {}(input: [C, H, W])`, or give a number or `_`",
                net.name
            ),
        );
        return None;
    }
    let size = |d: &SizeExpr| match d {
        SizeExpr::Lit(n, _) => Some(Size::Fixed(*n)),
        SizeExpr::Runtime(_) => Some(Size::Runtime),
        _ => None,
    };
    let sizes: Option<Vec<Size>> = net.input.iter().map(size).collect();
    let channels_runtime = matches!(net.input.first(), Some(SizeExpr::Runtime(_)));
    match (sizes.as_deref(), net.input.len()) {
        _ if channels_runtime && net.input.len() > 1 => {
            cx.error(
                net.input[0].span(),
                "the channel count must be a number: layers' weights depend on it",
            );
            None
        }
        (Some([c, h, w]), 3) => Some(Shape::Maps {
            c: c.clone(),
            h: h.clone(),
            w: w.clone(),
        }),
        (Some([c, l]), 2) => Some(Shape::Seq {
            c: c.clone(),
            l: l.clone(),
        }),
        (Some([c, d, h, w]), 4) => Some(Shape::Vol {
            c: c.clone(),
            d: d.clone(),
            h: h.clone(),
            w: w.clone(),
        }),
        (Some([Size::Fixed(f)]), 1) => Some(Shape::Flat(Size::Fixed(*f))),
        _ => {
            cx.error(
                net.input_span,
                "expected `input: [channels, height, width]`, `input: [channels, length]`, `input: [channels, depth, height, width]` or `input: [features]`",
            );
            None
        }
    }
}

impl Infer<'_> {
    /// A size written in the declaration: a number, `_`, or arithmetic on
    /// the block's parameters.
    pub(crate) fn size(&self, e: &SizeExpr) -> Result<Size, Fail> {
        let size = self.size_expr(e)?;
        let lone = matches!(e, SizeExpr::Name(_));
        if !self.generic && !lone && matches!(size, Size::Sym(_)) {
            return Err((
                e.span(),
                format!("`{e}`: a network's size parameters are used as they are; arithmetic on them belongs in a generic block"),
            ));
        }
        Ok(size)
    }

    fn size_expr(&self, e: &SizeExpr) -> Result<Size, Fail> {
        match e {
            SizeExpr::Lit(n, _) => Ok(Size::Fixed(*n)),
            SizeExpr::Runtime(_) => Ok(Size::Runtime),
            SizeExpr::Name(n) => match &self.params {
                Some(p) if p.contains(&n.to_string()) => Ok(Size::param(&n.to_string())),
                Some(p) => Err((
                    n.span(),
                    format!(
                        "`{n}` is not one of this {}: {}",
                        if self.generic {
                            "block's sizes"
                        } else {
                            "network's size parameters"
                        },
                        p.iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
                None => Err((
                    n.span(),
                    format!("`{n}` names a size, which only a generic block may do; give a number"),
                )),
            },
            SizeExpr::Bin(a, op, b) => {
                let (x, y) = (self.size_expr(a)?, self.size_expr(b)?);
                Ok(match op {
                    BinOp::Add => x.add(&y),
                    BinOp::Sub => {
                        if let (Some(p), Some(q)) = (x.fixed(), y.fixed()) {
                            if q > p {
                                return Err((e.span(), format!("`{e}` is negative")));
                            }
                        }
                        x.sub(&y)
                    }
                    BinOp::Mul => x.mul(&y),
                    BinOp::Div => {
                        let Some(k) = y.fixed().filter(|k| *k > 0) else {
                            return Err((b.span(), format!("`{e}`: divide by a positive number")));
                        };
                        if x.multiple_of(k) == Some(false) {
                            return Err((e.span(), format!("`{e}` = {x} / {k} is not whole")));
                        }
                        x.div(k)
                    }
                })
            }
        }
    }

    /// Checks a sequence of layers (one struct's scope); `None` when an
    /// error leaves a shape unknown (reported).
    pub(crate) fn layers(
        &self,
        specs: &[Spec],
        input: Shape,
        field: Option<Field>,
        nested: bool,
    ) -> Option<(Vec<Step>, Shape, Option<Field>)> {
        let mut steps = Vec::new();
        let scope_input = input.clone();
        let (mut shape, mut field) = (input, field);
        // where each step's outputs sit on the input image (top level only)
        let start = (!nested).then_some(align::Align::INPUT);
        let mut aligns: Vec<Option<align::Align>> = Vec::new();
        // the current maps' alignment (lost after a layer that failed)
        let mut current = start;
        for spec in specs {
            if nested {
                if let What::Block(BlockWhat::Aux { .. }) = spec.what {
                    self.cx.error(
                        spec.kind.span(),
                        format!("{}: auxiliary heads are extra outputs of the network and go on its main path, not inside a block", spec.label()),
                    );
                    return None;
                }
            }
            let annotated = self.annotation(spec, &shape);
            let made = match &spec.what {
                What::Layer(LayerWhat::Skip { join, from, body }) => {
                    self.skip(spec, *join, from, body.as_ref(), &shape, &steps)
                }
                What::Layer(LayerWhat::Crop { to }) => {
                    let target = match to.to_string().as_str() {
                        "input" => Some((&scope_input, start)),
                        _ => steps
                            .iter()
                            .zip(&aligns)
                            .rev()
                            .find(|(s, _)| s.label.as_ref() == Some(to))
                            .map(|(s, a)| (&s.out, *a)),
                    };
                    self.crop(spec, to, &shape, current, target, steps.last())
                }
                What::Layer(LayerWhat::MaxUnpool { from }) => {
                    self.max_unpool(spec, from, &shape, &steps)
                }
                _ => self.step(spec, shape.clone(), field),
            };
            let step = match made {
                Ok(step) => step,
                Err((span, msg)) => {
                    // an empty message: a body's error, already reported
                    if !msg.is_empty() {
                        self.cx.error(span, msg);
                    }
                    // go on from what the declaration says the layer gives
                    shape = annotated?.ok()?;
                    field = None;
                    current = None;
                    continue;
                }
            };
            if let Some(Ok(stated)) = &annotated {
                if !same(stated, &step.out) {
                    let (dims, span) = spec.annotation.as_ref()?;
                    let written: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
                    self.cx.error(
                        *span,
                        format!(
                            "{}: annotated {}, computed {}",
                            spec.label(),
                            written.join("x"),
                            step.out.describe()
                        ),
                    );
                }
            }
            shape = step.out.clone();
            field = step.field;
            current = align::after(&step, current);
            aligns.push(current);
            steps.push(step);
        }
        Some((steps, shape, field))
    }

    /// A skip connection from the earlier step labelled `from` among
    /// `earlier` to the current maps of shape `input`: the crop must be
    /// whole (the skip as large or larger by an even amount per axis), and
    /// an addition needs equal channels.
    fn skip(
        &self,
        spec: &Spec,
        join: SkipJoin,
        from: &Ident,
        body: Option<&(Ident, Vec<Spec>)>,
        input: &Shape,
        earlier: &[Step],
    ) -> Result<Step, Fail> {
        let call = format!("`{}(from = {from})`", join.kind());
        let here = match &spec.label {
            Some(l) => format!("{l}: {call}"),
            None => call,
        };
        // the current maps, named by the layer that made them
        let current = match earlier.last().and_then(|s| s.label.as_ref()) {
            Some(l) => format!("the {} maps of `{l}`", input.describe()),
            None => format!("the current {} maps", input.describe()),
        };
        let fail = |span: Span, msg: String| -> Fail { (span, format!("{here}: {msg}")) };
        if self.generic {
            return Err(fail(
                spec.kind.span(),
                "skip connections are for networks; a generic block's sizes are symbolic, so its crops could not be checked here".into(),
            ));
        }
        let Some(source) = earlier
            .iter()
            .rev()
            .find(|s| s.label.as_ref() == Some(from))
        else {
            return Err(fail(
                from.span(),
                format!("no layer `{from}` before this one in the same sequence; a skip joins the maps of an earlier, named layer of its own scope"),
            ));
        };
        // the earlier maps, through the body's layers if there are any
        let (body, joined) = match body {
            Some((name, specs)) => {
                // an empty message: the body's errors are already reported
                let (steps, out, _) = self
                    .layers(specs, source.out.clone(), None, true)
                    .ok_or((spec.kind.span(), String::new()))?;
                (Some((name.clone(), steps)), out)
            }
            None => (None, source.out.clone()),
        };
        let (
            Shape::Maps {
                c: cs,
                h: hs,
                w: ws,
            },
            Shape::Maps { c, h, w },
        ) = (&joined, input)
        else {
            return Err(fail(
                spec.kind.span(),
                format!(
                    "joins 2D maps, but `{from}` gives {} and the previous layer {}",
                    joined.what(),
                    input.what()
                ),
            ));
        };
        for (axis, big, small) in [("height", hs, h), ("width", ws, w)] {
            let (Some(big), Some(small)) = (big.fixed(), small.fixed()) else {
                continue;
            };
            let what = format!(
                "`{from}`'s {} maps cannot be centre-cropped to {current}",
                joined.describe(),
            );
            if big < small {
                return Err(fail(
                    from.span(),
                    format!("{what}: its {axis} {big} is smaller than {small}"),
                ));
            }
            if (big - small) % 2 == 1 {
                return Err(fail(
                    from.span(),
                    format!("{what}: the {axis}s differ by {}, an odd number, so the crop would not be centred", big - small),
                ));
            }
        }
        let out_c = match join {
            SkipJoin::CropConcat => cs.add(c),
            SkipJoin::Add if cs == c || cs.fixed().is_none() || c.fixed().is_none() => c.clone(),
            SkipJoin::Add => {
                return Err(fail(
                    from.span(),
                    format!(
                    "adds maps of equal channels, but `{from}` gives {cs} and {current} have {c}"
                ),
                ))
            }
        };
        let zero = Size::Fixed(0);
        Ok(stepper(spec, input)(
            Op::Skip {
                join,
                from: from.clone(),
                from_shape: source.out.clone(),
                body,
            },
            Shape::Maps {
                c: out_c,
                h: h.clone(),
                w: w.clone(),
            },
            zero.clone(),
            Some(zero),
            None,
        ))
    }

    /// A crop of the current maps (of shape `input`, outputs placed by
    /// `current`) to the size of `to`'s maps, at the offset where `to`'s
    /// outputs (placed by its alignment) line up with them.
    fn crop(
        &self,
        spec: &Spec,
        to: &Ident,
        input: &Shape,
        current: Option<align::Align>,
        target: Option<(&Shape, Option<align::Align>)>,
        previous: Option<&Step>,
    ) -> Result<Step, Fail> {
        let call = format!("`crop(to = {to})`");
        let here = match &spec.label {
            Some(l) => format!("{l}: {call}"),
            None => call,
        };
        let fail = |span: Span, msg: String| -> Fail { (span, format!("{here}: {msg}")) };
        let Some((target, target_align)) = target else {
            return Err(fail(
                to.span(),
                format!("no layer `{to}` before this one in the same sequence; crop to an earlier, named layer or to `input`"),
            ));
        };
        let (Shape::Maps { c, h, w }, Shape::Maps { h: ht, w: wt, .. }) = (input, target) else {
            return Err(fail(
                spec.kind.span(),
                format!(
                    "crops 2D maps to 2D maps, not {} to {}",
                    input.what(),
                    target.what()
                ),
            ));
        };
        let (Some(hn), Some(wn), Some(htn), Some(wtn)) =
            (h.fixed(), w.fixed(), ht.fixed(), wt.fixed())
        else {
            return Err(fail(
                spec.kind.span(),
                format!(
                    "a crop needs sizes known to the compiler, not {} to {}",
                    input.describe(),
                    target.describe()
                ),
            ));
        };
        let (Some(a), Some(b)) = (current, target_align) else {
            return Err(fail(
                spec.kind.span(),
                "where the maps sit on the input is not tracked through the layers before (unpooling, blocks, adaptive pools, or a nested sequence), so the offset is unknown".into(),
            ));
        };
        let prev = previous.and_then(|s| s.label.as_ref()).map_or_else(
            || "the current maps".to_string(),
            |l| format!("`{l}`'s maps"),
        );
        let (oy, ox) = a
            .offset_to(&b)
            .map_err(|m| fail(to.span(), format!("{prev} and `{to}`'s: {m}")))?;
        let mut offset = [0u64; 2];
        let axes = [("height", oy, hn, htn), ("width", ox, wn, wtn)];
        for (i, (axis, o, big, small)) in axes.into_iter().enumerate() {
            match o.whole().filter(|v| *v >= 0).map(|v| v as u64) {
                Some(v) if v + small <= big => offset[i] = v,
                Some(v) => {
                    return Err(fail(
                        to.span(),
                        format!("{prev} ({big} along the {axis}) do not hold `{to}`'s {small} from offset {v}"),
                    ))
                }
                None => {
                    return Err(fail(
                        to.span(),
                        format!("{prev} line up with `{to}`'s at offset {o} along the {axis}, not a whole number of pixels from the start"),
                    ))
                }
            }
        }
        let zero = Size::Fixed(0);
        Ok(stepper(spec, input)(
            Op::Crop {
                to: to.clone(),
                offset: (offset[0], offset[1]),
            },
            Shape::Maps {
                c: c.clone(),
                h: ht.clone(),
                w: wt.clone(),
            },
            zero.clone(),
            Some(zero),
            None,
        ))
    }

    /// Max-unpooling with the switches of the earlier max pool `from`
    /// among `earlier`: the current maps must be that pool's output, and
    /// the result has its input's shape.
    fn max_unpool(
        &self,
        spec: &Spec,
        from: &Ident,
        input: &Shape,
        earlier: &[Step],
    ) -> Result<Step, Fail> {
        let call = format!("`max_unpool(from = {from})`");
        let here = match &spec.label {
            Some(l) => format!("{l}: {call}"),
            None => call,
        };
        let fail = |span: Span, msg: String| -> Fail { (span, format!("{here}: {msg}")) };
        if self.generic {
            return Err(fail(
                spec.kind.span(),
                "max-unpooling pairs layers of a network; a generic block's sizes are symbolic"
                    .into(),
            ));
        }
        let Some(pool) = earlier
            .iter()
            .rev()
            .find(|s| s.label.as_ref() == Some(from))
        else {
            return Err(fail(
                from.span(),
                format!("no layer `{from}` before this one in the same sequence; name the max pool whose switches to use"),
            ));
        };
        if !matches!(
            pool.op,
            Op::Pool {
                kind: PoolKind::Max,
                ..
            }
        ) || !matches!(pool.input, Shape::Maps { .. })
        {
            return Err(fail(
                from.span(),
                format!("`{from}` is `{}`, not a 2D max pool: only a max pool records where each maximum was", pool.kind_name()),
            ));
        }
        if &pool.out != input {
            let current = match earlier.last().and_then(|s| s.label.as_ref()) {
                Some(l) => format!("the {} maps of `{l}`", input.describe()),
                None => format!("the current {} maps", input.describe()),
            };
            return Err(fail(
                from.span(),
                format!(
                    "{current} do not pair with `{from}`, which pooled {} to {}: unpooling needs maps of the pool's output shape",
                    pool.input.describe(),
                    pool.out.describe()
                ),
            ));
        }
        let zero = Size::Fixed(0);
        Ok(stepper(spec, input)(
            Op::MaxUnpool { from: from.clone() },
            pool.input.clone(),
            zero.clone(),
            Some(zero),
            None,
        ))
    }

    /// The shape a layer's `-> [..]` states, if it has one (`Err` when the
    /// annotation itself cannot be read, reported).
    fn annotation(&self, spec: &Spec, input: &Shape) -> Option<Result<Shape, ()>> {
        let (dims, span) = spec.annotation.as_ref()?;
        let sizes: Result<Vec<Size>, Fail> = dims.iter().map(|d| self.size(d)).collect();
        let sizes = match sizes {
            Ok(s) => s,
            Err((span, msg)) => {
                self.cx.error(span, format!("{}: {msg}", spec.label()));
                return Some(Err(()));
            }
        };
        let on_seq = matches!(input, Shape::Seq { .. });
        Some(match sizes.as_slice() {
            [c, h, w] => Ok(Shape::Maps {
                c: c.clone(),
                h: h.clone(),
                w: w.clone(),
            }),
            [c, l] if on_seq => Ok(Shape::Seq {
                c: c.clone(),
                l: l.clone(),
            }),
            [f] => Ok(Shape::Flat(f.clone())),
            [c, d, h, w] => Ok(Shape::Vol {
                c: c.clone(),
                d: d.clone(),
                h: h.clone(),
                w: w.clone(),
            }),
            _ => {
                self.cx.error(
                    *span,
                    format!("{}: an annotation states `[channels, height, width]`, `[channels, length]` or `[features]`", spec.label()),
                );
                Err(())
            }
        })
    }
}

/// Whether a stated shape matches a computed one.
fn same(stated: &Shape, computed: &Shape) -> bool {
    stated == computed
}

pub(crate) fn plane(h: &Size, w: &Size) -> Option<Size> {
    match (h, w) {
        (Size::Runtime, _) | (_, Size::Runtime) => None,
        _ => Some(h.mul(w)),
    }
}

pub(crate) fn grow(field: Option<Field>, win: &Window) -> Option<Field> {
    field.map(|f| Field {
        r: (
            f.r.0 + win.d.0 * (win.k.0 - 1) * f.j.0,
            f.r.1 + win.d.1 * (win.k.1 - 1) * f.j.1,
        ),
        j: (f.j.0 * win.s.0, f.j.1 * win.s.1),
    })
}

/// Makes the steps of `spec` on `input`: op, output, parameters,
/// multiply-adds and receptive field in, the rest from the spec.
pub(crate) fn stepper<'a>(
    spec: &'a Spec,
    input: &'a Shape,
) -> impl Fn(Op, Shape, Size, Option<Size>, Option<Field>) -> Step + 'a {
    move |op, out, params, macs, field| Step {
        label: spec.label.clone(),
        key: spec.key.clone(),
        op,
        input: input.clone(),
        out,
        params,
        macs,
        field,
        span: spec.kind.span(),
    }
}
