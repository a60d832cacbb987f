//! The shape rules of single layers: windows, channel counts, features.

use super::{grow, plane, stepper, Fail, Infer};
use splotnet_sizes::{self as sizes, SizeArith, SizeError};

use crate::ir::*;
use crate::kinds;
use crate::spec::{both, LayerWhat, Pad, PerAxis, Spec, What, WinSpec};

impl Infer<'_> {
    /// One step on `input`.
    pub(super) fn step(
        &self,
        spec: &Spec,
        input: Shape,
        field: Option<Field>,
    ) -> Result<Step, Fail> {
        let what = match &spec.what {
            What::Block(_) if matches!(input, Shape::Vol { .. }) => {
                return Err((
                    spec.kind.span(),
                    format!(
                        "{}: blocks take 2D maps; volumes ({}) go through plain layers",
                        spec.label(),
                        input.describe()
                    ),
                ))
            }
            What::Block(b) => return self.block(spec, b, input, field),
            What::Layer(l) => l,
        };
        let mut step = match &input {
            Shape::Seq { c, l } => {
                let kind = spec.kind.to_string();
                if !kinds::layer(&kind).is_some_and(|k| k.on_seq) {
                    return Err((
                        spec.kind.span(),
                        format!(
                            "{}: `{kind}` does not take sequences ({c}x{l}); on a sequence use one of: {}",
                            spec.label(),
                            kinds::names(kinds::LAYERS, |k| k.on_seq)
                        ),
                    ));
                }
                // a sequence is C x 1 x L maps whose windows slide along the width
                let maps = Shape::Maps {
                    c: c.clone(),
                    h: Size::Fixed(1),
                    w: l.clone(),
                };
                let mut step = self.layer(spec, what, maps, field, true)?;
                if let Shape::Maps { c, w, .. } = &step.out {
                    step.out = Shape::Seq {
                        c: c.clone(),
                        l: w.clone(),
                    };
                }
                step
            }
            Shape::Vol { .. } => self.volume_layer(spec, what, &input, field)?,
            _ => self.layer(spec, what, input.clone(), field, false)?,
        };
        step.input = input;
        Ok(step)
    }

    pub(super) fn layer(
        &self,
        spec: &Spec,
        what: &LayerWhat,
        input: Shape,
        field: Option<Field>,
        seq: bool,
    ) -> Result<Step, Fail> {
        let label = spec.label();
        let wname = if seq { "length" } else { "width" };
        let fail = |span, msg: String| -> Fail { (span, format!("{label}: {msg}")) };
        let step = stepper(spec, &input);
        let maps = || match &input {
            Shape::Maps { c, h, w } => Ok((c.clone(), h.clone(), w.clone())),
            other => Err(fail(
                spec.kind.span(),
                format!("expects 2D feature maps, but gets {}", other.what()),
            )),
        };
        let count = |e| self.size(e).map_err(|(s, m)| (s, format!("{label}: {m}")));
        let zero = Size::Fixed(0);
        Ok(match what {
            LayerWhat::Conv { one_d: true, .. } if !seq => {
                return Err(fail(
                    spec.kind.span(),
                    format!(
                        "conv1d slides along a sequence (`input: [C, L]`), but gets {}",
                        input.what()
                    ),
                ))
            }
            LayerWhat::Conv { three_d: true, .. } => {
                return Err(fail(
                    spec.kind.span(),
                    format!(
                        "conv3d slides over volumes (`input: [C, D, H, W]`), but gets {}",
                        input.what()
                    ),
                ))
            }
            LayerWhat::Conv {
                name,
                filters,
                win,
                groups,
                bias,
                table,
                inputs,
                ..
            } => {
                let (c, h, w) = maps()?;
                let out = count(filters)?;
                if let Some((n, s)) = inputs {
                    if c != Size::Fixed(*n) {
                        return Err(fail(
                            *s,
                            format!("expects {n} input channels, the previous layer gives {c}"),
                        ));
                    }
                }
                let win = self.window(spec, win, seq)?;
                if let Some(t) = table {
                    if seq {
                        return Err(fail(
                            spec.args_span,
                            "connection tables are for 2D maps".into(),
                        ));
                    }
                    let plain = win.s == (1, 1) && win.p == (0, 0) && win.d == (1, 1);
                    if let Table::LeNet5(span) = t {
                        if (c.fixed(), out.fixed()) != (Some(6), Some(16)) || !plain {
                            return Err(fail(*span, "the lenet5 table connects 6 input maps to 16 output maps at stride 1 without padding".into()));
                        }
                    }
                }
                let g = Size::Fixed(*groups);
                if c.multiple_of(*groups) == Some(false) || out.multiple_of(*groups) == Some(false)
                {
                    return Err(fail(spec.args_span, format!("{groups} groups must divide both the {c} input channels and the {out} filters")));
                }
                if !bias && (seq || table.is_some()) {
                    return Err(fail(
                        spec.args_span,
                        "`bias = false` is for plain 2D convolutions".into(),
                    ));
                }
                let _ = g;
                let ho = self.slide(
                    &label,
                    spec,
                    "height",
                    &h,
                    (win.k.0, win.s.0, win.p.0, win.d.0),
                    win.round,
                )?;
                let wo = self.slide(
                    &label,
                    spec,
                    wname,
                    &w,
                    (win.k.1, win.s.1, win.p.1, win.d.1),
                    win.round,
                )?;
                let fan_in = c.div(*groups).times(win.k.0 * win.k.1);
                let weights = out.mul(&fan_in);
                let params = if *bias {
                    weights.add(&out)
                } else {
                    weights.clone()
                };
                let macs = plane(&ho, &wo).map(|p| p.mul(&weights));
                step(
                    Op::Conv {
                        name: name.clone(),
                        cin: c,
                        out: out.clone(),
                        groups: *groups,
                        win,
                        table: table.clone(),
                        bias: *bias,
                    },
                    Shape::Maps {
                        c: out,
                        h: ho,
                        w: wo,
                    },
                    params,
                    macs,
                    grow(field, &win),
                )
            }
            LayerWhat::Pool { kind, win } => {
                let (c, h, w) = maps()?;
                let win = self.window(spec, win, seq)?;
                if 2 * win.p.0 > win.k.0 || 2 * win.p.1 > win.k.1 {
                    return Err(fail(
                        spec.args_span,
                        "padding must be at most half the window".into(),
                    ));
                }
                let ho = self.slide(
                    &label,
                    spec,
                    "height",
                    &h,
                    (win.k.0, win.s.0, win.p.0, 1),
                    win.round,
                )?;
                let wo = self.slide(
                    &label,
                    spec,
                    wname,
                    &w,
                    (win.k.1, win.s.1, win.p.1, 1),
                    win.round,
                )?;
                step(
                    Op::Pool { kind: *kind, win },
                    Shape::Maps { c, h: ho, w: wo },
                    zero.clone(),
                    Some(zero),
                    grow(field, &win),
                )
            }
            LayerWhat::AdaptivePool { kind, out } => {
                let (c, _, _) = maps()?;
                let out_shape = Shape::Maps {
                    c,
                    h: Size::Fixed(out.0),
                    w: Size::Fixed(out.1),
                };
                step(
                    Op::AdaptivePool {
                        kind: *kind,
                        out: *out,
                    },
                    out_shape,
                    zero.clone(),
                    Some(zero),
                    None,
                )
            }
            LayerWhat::GlobalPool(kind) => {
                let (c, _, _) = maps()?;
                step(
                    Op::GlobalPool(*kind),
                    Shape::Flat(c),
                    zero.clone(),
                    Some(zero),
                    None,
                )
            }
            LayerWhat::Flatten => {
                let (c, h, w) = maps()?;
                if !matches!((&h, &w), (Size::Fixed(_), Size::Fixed(_)))
                    || matches!(c, Size::Sym(_))
                {
                    return Err(fail(
                        spec.kind.span(),
                        format!("cannot flatten maps whose size is not a number ({c}x{h}x{w}); use `global_avg_pool` to get a fixed size"),
                    ));
                }
                step(
                    Op::Flatten,
                    Shape::Flat(c.mul(&h).mul(&w)),
                    zero.clone(),
                    Some(zero),
                    None,
                )
            }
            LayerWhat::Unpool { kind, s } => {
                let (c, h, w) = maps()?;
                step(
                    Op::Unpool { kind: *kind, s: *s },
                    Shape::Maps {
                        c,
                        h: h.times(s.0),
                        w: w.times(s.1),
                    },
                    zero.clone(),
                    Some(zero),
                    None,
                )
            }
            // joins read the scope's earlier steps: `Infer::layers` decodes them
            LayerWhat::Skip { join, .. } => {
                return Err(fail(
                    spec.kind.span(),
                    format!("`{}` joins an earlier layer of a sequence", join.kind()),
                ))
            }
            LayerWhat::Crop { .. } => {
                return Err(fail(
                    spec.kind.span(),
                    "`crop` reads an earlier layer of a sequence".into(),
                ))
            }
            LayerWhat::MaxUnpool { .. } => {
                return Err(fail(
                    spec.kind.span(),
                    "`max_unpool` pairs with an earlier max pool of a sequence".into(),
                ))
            }
            LayerWhat::Linear { name, out, inputs } => {
                let inp = match &input {
                    Shape::Flat(f) => f.clone(),
                    other => {
                        return Err(fail(
                            spec.kind.span(),
                            format!(
                                "linear expects flat features, but gets {}: add `flatten` first",
                                other.what()
                            ),
                        ))
                    }
                };
                let out = count(out)?;
                if let Some((n, s)) = inputs {
                    if inp != Size::Fixed(*n) {
                        return Err(fail(
                            *s,
                            format!("expects {n} in-features, flatten gives {inp}"),
                        ));
                    }
                }
                let weights = inp.mul(&out);
                step(
                    Op::Linear {
                        name: name.clone(),
                        inp,
                        out: out.clone(),
                    },
                    Shape::Flat(out.clone()),
                    weights.add(&out),
                    Some(weights),
                    None,
                )
            }
            LayerWhat::Act(a) => step(Op::Act(*a), input.clone(), zero.clone(), Some(zero), field),
            LayerWhat::Dropout(p) => step(
                Op::Dropout(*p),
                input.clone(),
                zero.clone(),
                Some(zero),
                field,
            ),
            LayerWhat::Lrn { n, k, alpha, beta } => {
                maps()?;
                step(
                    Op::Lrn {
                        n: *n,
                        k: *k,
                        alpha: *alpha,
                        beta: *beta,
                    },
                    input.clone(),
                    zero.clone(),
                    Some(zero),
                    field,
                )
            }
            LayerWhat::BatchNorm {
                name,
                eps,
                momentum,
            } => {
                let (c, h, w) = maps()?;
                let macs = plane(&h, &w).map(|p| p.mul(&c).times(2));
                step(
                    Op::BatchNorm {
                        name: name.clone(),
                        c: c.clone(),
                        eps: *eps,
                        momentum: *momentum,
                    },
                    input.clone(),
                    c.times(2),
                    macs,
                    field,
                )
            }
            LayerWhat::Subsample { name, k } => {
                let (c, h, w) = maps()?;
                let win = Window::subsample(*k);
                let ho = self.slide(
                    &label,
                    spec,
                    "height",
                    &h,
                    (*k, *k, 0, 1),
                    sizes::Round::Floor,
                )?;
                let wo =
                    self.slide(&label, spec, wname, &w, (*k, *k, 0, 1), sizes::Round::Floor)?;
                let macs = plane(&ho, &wo).map(|p| p.mul(&c));
                step(
                    Op::Subsample {
                        name: name.clone(),
                        c: c.clone(),
                        k: *k,
                    },
                    Shape::Maps {
                        c: c.clone(),
                        h: ho,
                        w: wo,
                    },
                    c.times(2),
                    macs,
                    grow(field, &win),
                )
            }
            LayerWhat::ConvTranspose {
                name,
                filters,
                win,
                op,
                groups,
                bias,
            } => {
                let (c, h, w) = maps()?;
                let out = count(filters)?;
                let win = self.window(spec, win, false)?;
                let op = both(*op);
                if c.multiple_of(*groups) == Some(false) || out.multiple_of(*groups) == Some(false)
                {
                    return Err(fail(spec.args_span, format!("{groups} groups must divide both the {c} input and the {out} output maps")));
                }
                let grow_axis = |axis: &str,
                                 n: &Size,
                                 k: u64,
                                 s: u64,
                                 p: u64,
                                 d: u64,
                                 op: u64|
                 -> Result<Size, Fail> {
                    let result = match n {
                        Size::Fixed(n) => {
                            sizes::conv_transpose_out(*n, k, s, p, d, op).map(Size::Fixed)
                        }
                        _ if op >= s => Err(SizeError::OutputPaddingNotBelowStride {
                            output_padding: op,
                            stride: s,
                        }),
                        _ => Ok(sizes::conv_transpose_out_of(n, k, s, p, d, op)),
                    };
                    result.map_err(|e| match e {
                        SizeError::OutputPaddingNotBelowStride { output_padding, stride } => fail(
                            spec.args_span,
                            format!("output padding {output_padding} must be smaller than the stride {stride} along the {axis}"),
                        ),
                        SizeError::PaddingRemovesOutput { padding, full } => fail(
                            spec.args_span,
                            format!("padding 2*{padding} removes the whole {axis} ((in-1)S + D(K-1) + 1 + OP = {full})"),
                        ),
                        e => fail(spec.args_span, format!("{e} along the {axis}")),
                    })
                };
                let ho = grow_axis("height", &h, win.k.0, win.s.0, win.p.0, win.d.0, op.0)?;
                let wo = grow_axis("width", &w, win.k.1, win.s.1, win.p.1, win.d.1, op.1)?;
                let per_input = out.div(*groups).times(win.k.0 * win.k.1);
                let weights = c.mul(&per_input);
                step(
                    Op::ConvTranspose {
                        name: name.clone(),
                        cin: c,
                        out: out.clone(),
                        groups: *groups,
                        win,
                        op,
                        bias: *bias,
                    },
                    Shape::Maps {
                        c: out.clone(),
                        h: ho,
                        w: wo,
                    },
                    if *bias {
                        weights.add(&out)
                    } else {
                        weights.clone()
                    },
                    plane(&h, &w).map(|p| p.mul(&weights)),
                    None,
                )
            }
            LayerWhat::Block { name, ty, sizes } => {
                let (c, _, _) = maps()?;
                let sizes = sizes
                    .iter()
                    .map(|e| self.size(e).map_err(|(span, msg)| fail(span, msg)))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(i) = sizes.iter().position(|s| *s == Size::Runtime) {
                    return Err(fail(
                        spec.kind.span(),
                        format!("the block's size parameter {} must be known to the compiler: give a number", i + 1),
                    ));
                }
                let Some(Ok(out)) = self.annotation(spec, &input) else {
                    return Err(fail(
                        spec.kind.span(),
                        "state the block's output as `[channels, height, width]` or `[features]`"
                            .into(),
                    ));
                };
                step(
                    Op::Block {
                        name: name.clone(),
                        ty: ty.clone(),
                        cin: c,
                        sizes,
                    },
                    out,
                    Size::Runtime,
                    None,
                    None,
                )
            }
        })
    }

    /// A window's arguments read for maps, or for a sequence viewed as
    /// `C x 1 x L` (one number per argument, the height's neutral).
    fn window(&self, spec: &Spec, w: &WinSpec, seq: bool) -> Result<Window, Fail> {
        let label = spec.label();
        let axes = |key: &str, v: PerAxis, neutral: u64| -> Result<(u64, u64), Fail> {
            match (seq, v) {
                (false, v) => Ok(both(v)),
                (true, PerAxis::One(n)) => Ok((neutral, n)),
                (_, PerAxis::Triple(..)) => Err((
                    spec.args_span,
                    format!("{label}: `{key} = (d, h, w)` is for volumes (`input: [C, D, H, W]`)"),
                )),
                (true, PerAxis::Pair(..)) => Err((
                    spec.args_span,
                    format!("{label}: on a sequence `{key}` takes one number"),
                )),
            }
        };
        let k = axes("k", w.k, 1)?;
        let s = match w.s {
            Some(s) => axes("s", s, 1)?,
            None if matches!(spec.what, What::Layer(LayerWhat::Pool { .. })) => k,
            None => (1, 1),
        };
        let d = w.d.map_or(Ok((1, 1)), |d| axes("d", d, 1))?;
        let p = match w.p {
            Some(Pad::Same) => {
                let same = |k: u64, d: u64| {
                    sizes::same_padding(k, d).map_err(|e| (spec.args_span, format!("{label}: {e}")))
                };
                (if seq { 0 } else { same(k.0, d.0)? }, same(k.1, d.1)?)
            }
            Some(Pad::Axis(p)) => axes("p", p, 0)?,
            None => (0, 0),
        };
        let max_pool = matches!(
            spec.what,
            What::Layer(LayerWhat::Pool {
                kind: PoolKind::Max,
                ..
            })
        );
        if w.round == sizes::Round::Ceil && !max_pool {
            return Err((
                spec.args_span,
                format!("{label}: `ceil` rounding is for max pooling (PyTorch's `ceil_mode`); averages over clipped windows are not implemented"),
            ));
        }
        Ok(Window {
            k,
            s,
            p,
            d,
            round: w.round,
        })
    }

    /// One axis through a window, with the rule that failed named: numbers
    /// are checked by the shared rules, symbolic sizes computed by them.
    pub(super) fn slide(
        &self,
        label: &str,
        spec: &Spec,
        axis: &str,
        input: &Size,
        (k, s, p, d): (u64, u64, u64, u64),
        round: sizes::Round,
    ) -> Result<Size, Fail> {
        let Size::Fixed(n) = input else {
            return Ok(match (round, input) {
                // ceil mode's last-window rule is a condition no normal
                // form holds: the size stays opaque (the types still know
                // it); at stride 1 nothing rounds and no window is dropped
                (sizes::Round::Ceil, Size::Sym(_)) if s > 1 => {
                    Size::param(&format!("ceil({label}, {axis})"))
                }
                _ => sizes::conv_out_of(input, k, s, p, d),
            });
        };
        sizes::window_out(*n, k, s, p, d, round).map(Size::Fixed).map_err(|e| {
            let msg = match e {
                SizeError::KernelDoesNotFit { input, padding, span } => format!(
                    "the kernel does not fit the {axis}: span D(K-1)+1 = {span} is larger than the padded input {input}+2*{padding} = {}",
                    input + 2 * padding
                ),
                SizeError::StrideDoesNotDivide { stride, excess } => format!(
                    "exact mode: stride {stride} does not divide in + 2P - D(K-1) - 1 = {excess} along the {axis} (the output would be {excess}/{stride} + 1 = {:.2})",
                    excess as f64 / stride as f64 + 1.0
                ),
                e => format!("{e} along the {axis}"),
            };
            (spec.args_span, format!("{label}: {msg}"))
        })
    }
}
