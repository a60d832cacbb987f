//! Residual and concat blocks: their shapes, projections and rules.

use syn::Ident;

use super::args::Args;
use super::plan::*;
use super::{check_layers, err, plane};
use crate::parse::{Body, Layer};

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
        ("residual", Body::Branches(_)) => {
            return err(
                layer.kind.span(),
                format!("{name}: a residual body is a list of layers, not branches"),
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
                format!("unknown block `{kind}`; expected `residual` or `concat`"),
            )
        }
    };
    args.finish()?;
    Ok(step)
}
