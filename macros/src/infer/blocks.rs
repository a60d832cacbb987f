//! The shape rules of blocks: residual, concat, dense, highway and aux.

use super::{plane, stepper, Fail, Infer};
use splotnet_sizes::SizeArith;

use crate::ir::*;
use crate::spec::{BlockWhat, Spec};

/// The stride of a 1x1 projection along one axis: the body's total stride,
/// which must also take the input size to the body's output size.
fn projection_fits(stride: u64, input: &Size, output: &Size) -> bool {
    match (input, output) {
        (Size::Runtime, Size::Runtime) => true,
        (Size::Runtime, _) | (_, Size::Runtime) => false,
        _ => &splotnet_sizes::conv_out_of(input, 1, stride, 0, 1) == output,
    }
}

fn wider(a: Option<Field>, b: Option<Field>) -> Option<Field> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Field {
            r: (a.r.0.max(b.r.0), a.r.1.max(b.r.1)),
            j: (a.j.0.max(b.j.0), a.j.1.max(b.j.1)),
        }),
        _ => None,
    }
}

/// The total stride of a run of steps, per axis.
fn jump(steps: &[Step]) -> (u64, u64) {
    steps.iter().fold((1, 1), |(y, x), s| {
        let (sy, sx) = match &s.op {
            Op::Conv { win, .. } | Op::Pool { win, .. } => win.s,
            Op::Subsample { k, .. } => (*k, *k),
            Op::Residual { body, .. } | Op::Highway { body, .. } => jump(body),
            Op::Concat { branches, .. } => branches.first().map_or((1, 1), |(_, b)| jump(b)),
            _ => (1, 1),
        };
        (y * sy, x * sx)
    })
}

impl Infer<'_> {
    pub(super) fn block(
        &self,
        spec: &Spec,
        what: &BlockWhat,
        input: Shape,
        field: Option<Field>,
    ) -> Result<Step, Fail> {
        let label = spec.label();
        // a body's own error is reported where it is; the block just stops
        let stopped = || (spec.kind.span(), String::new());
        let step = stepper(spec, &input);
        let zero = Size::Fixed(0);
        match what {
            BlockWhat::Residual {
                name,
                project,
                downsample,
                body,
            } => {
                let (steps, out, body_field) = self
                    .layers(body, input.clone(), field, true)
                    .ok_or_else(stopped)?;
                if out == input && !project {
                    return Ok(step(
                        Op::Residual {
                            name: name.clone(),
                            body: steps,
                            projection: None,
                        },
                        out,
                        zero.clone(),
                        Some(zero),
                        body_field,
                    ));
                }
                let (
                    Shape::Maps { c, h, w },
                    Shape::Maps {
                        c: oc,
                        h: oh,
                        w: ow,
                    },
                ) = (&input, &out)
                else {
                    return Err((
                        spec.kind.span(),
                        format!("{label}: a residual block needs feature maps in and out"),
                    ));
                };
                if !project {
                    return Err((
                        spec.kind.span(),
                        format!(
                            "{label}: the body maps {} to {}, so the identity shortcut cannot be added; write `{label}: residual(project) {{ .. }}` for a 1x1 projection",
                            input.describe(),
                            out.describe()
                        ),
                    ));
                }
                let stride = jump(&steps);
                if !projection_fits(stride.0, h, oh) || !projection_fits(stride.1, w, ow) {
                    return Err((
                        spec.kind.span(),
                        format!(
                            "{label}: no 1x1 strided projection takes {} to {}",
                            input.describe(),
                            out.describe()
                        ),
                    ));
                }
                let weights = c.mul(oc);
                // a bias, or batch norm's scale and shift (and its two per-channel
                // multiply-adds per position)
                let (extra, extra_macs) = if *downsample {
                    (oc.times(2), oc.times(2))
                } else {
                    (oc.clone(), Size::Fixed(0))
                };
                let macs = plane(oh, ow).map(|p| p.mul(&weights.add(&extra_macs)));
                let projection = Projection {
                    cin: c.clone(),
                    out: oc.clone(),
                    stride,
                    norm: *downsample,
                };
                Ok(step(
                    Op::Residual {
                        name: name.clone(),
                        body: steps,
                        projection: Some(projection),
                    },
                    out.clone(),
                    weights.add(&extra),
                    macs,
                    body_field,
                ))
            }
            BlockWhat::Concat { name, branches } => {
                let mut checked = Vec::new();
                let mut first: Option<(&syn::Ident, Size, Size)> = None;
                let mut channels = zero.clone();
                let mut out_field = field;
                for (bname, layers) in branches {
                    let (steps, out, bfield) = self
                        .layers(layers, input.clone(), field, true)
                        .ok_or_else(stopped)?;
                    let Shape::Maps { c, h, w } = out else {
                        return Err((
                            bname.span(),
                            format!(
                                "{label}: branch `{bname}` must give feature maps, gives {}",
                                out.describe()
                            ),
                        ));
                    };
                    match &first {
                        Some((fname, fh, fw)) if (fh, fw) != (&h, &w) => {
                            return Err((
                                bname.span(),
                                format!("{label}: branch `{bname}` gives {h}x{w} maps but `{fname}` gives {fh}x{fw}: concatenation along channels needs equal sizes"),
                            ));
                        }
                        Some(_) => {}
                        None => first = Some((bname, h, w)),
                    }
                    channels = channels.add(&c);
                    out_field = wider(out_field, bfield);
                    checked.push((bname.clone(), steps));
                }
                let (_, h, w) = first.ok_or_else(stopped)?;
                Ok(step(
                    Op::Concat {
                        name: name.clone(),
                        branches: checked,
                    },
                    Shape::Maps { c: channels, h, w },
                    zero.clone(),
                    Some(zero),
                    out_field,
                ))
            }
            BlockWhat::Aux { name, weight, body } => {
                let (steps, out, _) = self
                    .layers(body, input.clone(), field, true)
                    .ok_or_else(stopped)?;
                Ok(step(
                    Op::Aux {
                        name: name.clone(),
                        weight: *weight,
                        body: steps,
                        out,
                    },
                    input.clone(),
                    zero.clone(),
                    Some(zero),
                    field,
                ))
            }
            BlockWhat::Dense {
                name,
                layers: n,
                keys,
                body,
            } => {
                let Shape::Maps { c: c0, h, w } = &input else {
                    return Err((
                        spec.kind.span(),
                        format!(
                            "{label}: a dense block stacks 2D maps, but gets {}",
                            input.what()
                        ),
                    ));
                };
                let (mut channels, mut field) = (c0.clone(), field);
                let mut layers = Vec::new();
                for i in 0..*n {
                    let here = Shape::Maps {
                        c: channels.clone(),
                        h: h.clone(),
                        w: w.clone(),
                    };
                    let (steps, out, out_field) = self
                        .layers(body, here.clone(), field, true)
                        .ok_or_else(stopped)?;
                    match &out {
                        Shape::Maps { c, h: oh, w: ow } if (oh, ow) == (h, w) => channels = channels.add(c),
                        _ => {
                            return Err((
                                spec.kind.span(),
                                format!(
                                    "{label}: layer {i} maps {} to {}, but a dense block's layers must keep the {h}x{w} size to be stacked on their input",
                                    here.describe(),
                                    out.describe()
                                ),
                            ))
                        }
                    }
                    field = out_field;
                    layers.push(steps);
                }
                Ok(step(
                    Op::Dense {
                        name: name.clone(),
                        layers,
                        keys: keys.clone(),
                    },
                    Shape::Maps {
                        c: channels,
                        h: h.clone(),
                        w: w.clone(),
                    },
                    zero.clone(),
                    Some(zero),
                    field,
                ))
            }
            BlockWhat::Highway {
                name,
                gate_k,
                gate_bias_milli,
                body,
            } => {
                let (steps, out, body_field) = self
                    .layers(body, input.clone(), field, true)
                    .ok_or_else(stopped)?;
                if out != input {
                    return Err((
                        spec.kind.span(),
                        format!(
                            "{label}: a highway body must keep the shape, so the gate can mix it with the input, but it maps {} to {}",
                            input.describe(),
                            out.describe()
                        ),
                    ));
                }
                let (params, macs) = match &input {
                    Shape::Maps { c, h, w } => {
                        let weights = c.mul(c).times(gate_k * gate_k);
                        (weights.add(c), plane(h, w).map(|p| p.mul(&weights)))
                    }
                    Shape::Flat(f) if *gate_k == 1 => (f.mul(f).add(f), Some(f.mul(f))),
                    _ => {
                        return Err((
                            spec.kind.span(),
                            format!("{label}: a highway gate takes 2D maps or flat features (with `gate_k = 1`), but gets {}", input.what()),
                        ))
                    }
                };
                Ok(step(
                    Op::Highway {
                        name: name.clone(),
                        body: steps,
                        gate_k: *gate_k,
                        gate_bias_milli: *gate_bias_milli,
                    },
                    out,
                    params,
                    macs,
                    body_field,
                ))
            }
        }
    }
}
