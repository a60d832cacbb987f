//! Residual and concat blocks: their shapes, projections and rules.

use syn::Ident;

use super::args::Args;
use super::plan::*;
use super::{check_layers, err, plane};
use crate::parse::{Body, Layer, Value};

/// The stride of a 1x1 projection along one axis: the body's total stride
/// (its jump), which must also take a known input size to the known output.
fn projection_stride(jump: u64, input: Size, output: Size) -> Option<u64> {
    match (input, output) {
        (Size::Runtime, Size::Runtime) => Some(jump),
        (Size::Fixed(i), Size::Fixed(o)) => ((i - 1) / jump + 1 == o).then_some(jump),
        _ => None,
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

pub(super) fn check_block(
    layer: &Layer,
    body: &Body,
    input: Shape,
    field: Option<Field>,
) -> syn::Result<Step> {
    let kind = layer.kind.to_string();
    let Some(name) = layer.name.clone() else {
        return err(
            layer.kind.span(),
            format!("a {kind} block needs a name, e.g. `b1: {kind} {{ .. }}`"),
        );
    };
    let mut args = Args::new(layer);
    let step = match (kind.as_str(), body) {
        ("residual", Body::Layers(layers)) => {
            let project = args.flag("project");
            let (steps, out, body_field) = check_layers(layers, input, field)?;
            let projection = if out == input && !project {
                None
            } else {
                let (
                    Shape::Maps { c, h, w },
                    Shape::Maps {
                        c: oc,
                        h: oh,
                        w: ow,
                    },
                ) = (input, out)
                else {
                    return err(
                        layer.kind.span(),
                        format!("{name}: a residual block needs feature maps in and out"),
                    );
                };
                if !project {
                    return err(
                        layer.kind.span(),
                        format!(
                            "{name}: the body maps {} to {}, so the identity shortcut cannot be added; write `{name}: residual(project) {{ .. }}` for a 1x1 projection",
                            input.describe(),
                            out.describe()
                        ),
                    );
                }
                // the body's own stride, measured from a unit field at its input
                let unit = Some(Field {
                    r: (1, 1),
                    j: (1, 1),
                });
                let jump = check_layers(layers, input, unit)?.2.map_or((1, 1), |f| f.j);
                let (Some(sy), Some(sx)) = (
                    projection_stride(jump.0, h, oh),
                    projection_stride(jump.1, w, ow),
                ) else {
                    return err(
                        layer.kind.span(),
                        format!(
                            "{name}: no 1x1 strided projection takes {} to {}",
                            input.describe(),
                            out.describe()
                        ),
                    );
                };
                Some(Projection {
                    cin: c,
                    out: oc,
                    stride: (sy, sx),
                })
            };
            let params = projection.map_or(0, |p| p.cin * p.out + p.out);
            let macs = match (projection, out) {
                (Some(p), Shape::Maps { h, w, .. }) => plane(h, w).map(|a| a * p.cin * p.out),
                _ => Some(0),
            };
            Step {
                name: Some(name),
                op: Op::Residual {
                    body: steps,
                    projection,
                },
                out,
                params,
                macs,
                field: body_field,
                span: layer.kind.span(),
                input,
            }
        }
        ("concat", Body::Branches(branches)) => {
            let mut checked = Vec::new();
            let mut first: Option<(&Ident, Shape)> = None;
            let mut channels = 0;
            let mut out_field = field;
            let mut seen: Vec<&Ident> = Vec::new();
            for (bname, layers) in branches {
                if seen.contains(&bname) {
                    return err(
                        bname.span(),
                        format!("{name}: duplicate branch name `{bname}`"),
                    );
                }
                seen.push(bname);
                let (steps, out, bfield) = check_layers(layers, input, field)?;
                let Shape::Maps { c, h, w } = out else {
                    return err(
                        bname.span(),
                        format!(
                            "{name}: branch `{bname}` must give feature maps, gives {}",
                            out.describe()
                        ),
                    );
                };
                if let Some((fname, Shape::Maps { h: fh, w: fw, .. })) = first {
                    if (fh, fw) != (h, w) {
                        return err(
                            bname.span(),
                            format!("{name}: branch `{bname}` gives {h}x{w} maps but `{fname}` gives {fh}x{fw}: concatenation along channels needs equal sizes"),
                        );
                    }
                } else {
                    first = Some((bname, out));
                }
                channels += c;
                out_field = wider(out_field, bfield);
                checked.push((bname.clone(), steps));
            }
            let Some((_, Shape::Maps { h, w, .. })) = first else {
                return err(
                    layer.kind.span(),
                    format!("{name}: a concat block needs at least one branch"),
                );
            };
            Step {
                name: Some(name),
                op: Op::Concat { branches: checked },
                out: Shape::Maps { c: channels, h, w },
                params: 0,
                macs: Some(0),
                field: out_field,
                span: layer.kind.span(),
                input,
            }
        }
        ("highway", Body::Layers(layers)) => check_highway(layer, &name, &mut args, layers, input, field)?,
        ("aux", Body::Layers(layers)) => {
            let (steps, out, _) = check_layers(layers, input, field)?;
            Step {
                name: Some(name),
                op: Op::Aux { body: steps, out },
                out: input,
                params: 0,
                macs: Some(0),
                field,
                span: layer.kind.span(),
                input,
            }
        }
        ("dense", Body::Layers(layers)) => check_dense(layer, &name, &mut args, layers, input, field)?,
        ("residual" | "dense" | "aux" | "highway", Body::Branches(_)) => {
            return err(
                layer.kind.span(),
                format!("{name}: a {kind} body is a list of layers, not named branches"),
            )
        }
        ("concat", Body::Layers(_)) => {
            return err(
                layer.kind.span(),
                format!(
                    "{name}: concat takes named branches, e.g. `concat {{ b1: [..], b2: [..] }}`"
                ),
            )
        }
        _ => {
            return err(
                layer.kind.span(),
                format!("unknown block `{kind}`; expected `residual`, `concat`, `dense`, `highway` or `aux`"),
            )
        }
    };
    args.finish()?;
    Ok(step)
}

/// A dense block: `layers = n` copies of the body, each on the channels of
/// everything before it, each keeping the spatial size.
fn check_dense(
    layer: &Layer,
    name: &Ident,
    args: &mut Args,
    body: &[Layer],
    input: Shape,
    field: Option<Field>,
) -> syn::Result<Step> {
    let n = match args.take("layers") {
        Some(Value::Int(n, _)) if *n >= 1 => *n,
        Some(v) => {
            return err(
                v.span(),
                format!("{name}: `layers` takes a count of at least 1"),
            )
        }
        None => {
            return err(
                layer.args_span,
                format!(
                "{name}: missing the number of layers, e.g. `{name}: dense(layers = 4) {{ .. }}`"
            ),
            )
        }
    };
    if body.is_empty() {
        return err(
            layer.kind.span(),
            format!("{name}: a dense block needs at least one layer"),
        );
    }
    let Shape::Maps { c: c0, h, w } = input else {
        return err(
            layer.kind.span(),
            format!(
                "{name}: a dense block stacks 2D maps, but gets {}",
                input.what()
            ),
        );
    };
    let (mut channels, mut field) = (c0, field);
    let mut layers = Vec::new();
    for i in 0..n {
        let here = Shape::Maps { c: channels, h, w };
        let (steps, out, out_field) = check_layers(body, here, field)?;
        match out {
            Shape::Maps { c, h: oh, w: ow } if (oh, ow) == (h, w) => channels += c,
            _ => {
                return err(
                    layer.kind.span(),
                    format!(
                        "{name}: layer {i} maps {} to {}, but a dense block's layers must keep the {h}x{w} size to be stacked on their input",
                        here.describe(),
                        out.describe()
                    ),
                )
            }
        }
        field = out_field;
        layers.push(steps);
    }
    Ok(Step {
        name: Some(name.clone()),
        op: Op::Dense { layers },
        out: Shape::Maps { c: channels, h, w },
        params: 0,
        macs: Some(0),
        field,
        span: layer.kind.span(),
        input,
    })
}

/// A highway layer: the body keeps the shape, and a gate of the same shape
/// mixes it with the input.
fn check_highway(
    layer: &Layer,
    name: &Ident,
    args: &mut Args,
    body: &[Layer],
    input: Shape,
    field: Option<Field>,
) -> syn::Result<Step> {
    let gate_k = match args.take("gate_k") {
        Some(Value::Int(k, _)) if k % 2 == 1 => *k,
        Some(v) => {
            return err(
                v.span(),
                format!("{name}: `gate_k` takes an odd kernel size, so the gate's \"same\" padding is whole"),
            )
        }
        None => 1,
    };
    let bias = args.float("gate_bias", -1.0)?;
    if !(-100.0..=100.0).contains(&bias) {
        return err(
            layer.args_span,
            format!("{name}: `gate_bias` {bias} is out of range"),
        );
    }
    let (steps, out, body_field) = check_layers(body, input, field)?;
    if out != input {
        return err(
            layer.kind.span(),
            format!(
                "{name}: a highway body must keep the shape, so the gate can mix it with the input, but it maps {} to {}",
                input.describe(),
                out.describe()
            ),
        );
    }
    let (params, macs) = match input {
        Shape::Maps { c, h, w } => (c * c * gate_k * gate_k + c, plane(h, w).map(|p| p * c * c * gate_k * gate_k)),
        Shape::Flat(f) if gate_k == 1 => (f * f + f, Some(f * f)),
        _ => {
            return err(
                layer.kind.span(),
                format!("{name}: a highway gate takes 2D maps or flat features (with `gate_k = 1`), but gets {}", input.what()),
            )
        }
    };
    Ok(Step {
        name: Some(name.clone()),
        op: Op::Highway {
            body: steps,
            gate_k,
            gate_bias_milli: (bias * 1000.0).round() as i32,
        },
        out,
        params,
        macs,
        field: body_field,
        span: layer.kind.span(),
        input,
    })
}
