//! Layers on volumes (`input: [C, D, H, W]`): 3D convolution and pooling
//! with their own windows; per-channel and per-value layers through the
//! view of a volume as `C x (D·H) x W` maps, which changes nothing they
//! compute.

use super::{plane, stepper, Fail, Infer};
use splotnet_sizes::{self as sizes, SizeArith};

use crate::ir::*;
use crate::kinds;
use crate::spec::{LayerWhat, Pad, PerAxis, Spec, WinSpec};

/// One axis of a 3D window: kernel, stride, padding, dilation.
type Axis = (u64, u64, u64, u64);

impl Infer<'_> {
    pub(super) fn volume_layer(
        &self,
        spec: &Spec,
        what: &LayerWhat,
        input: &Shape,
        field: Option<Field>,
    ) -> Result<Step, Fail> {
        let label = spec.label();
        let fail = |msg: String| -> Fail { (spec.kind.span(), format!("{label}: {msg}")) };
        let Shape::Vol { c, d, h, w } = input else {
            return Err(fail("expects volumes".into()));
        };
        let kind = spec.kind.to_string();
        if !kinds::ON_VOLUMES.contains(&kind.as_str()) {
            return Err(fail(format!(
                "`{kind}` does not take volumes ({}); on volumes use one of: {}",
                input.describe(),
                kinds::ON_VOLUMES.join(", ")
            )));
        }
        let step = stepper(spec, input);
        let zero = Size::Fixed(0);
        match what {
            LayerWhat::Conv {
                name,
                filters,
                win,
                groups,
                bias,
                table,
                inputs,
                one_d,
                ..
            } => {
                if table.is_some() || *one_d {
                    return Err(fail(
                        "connection tables and conv1d are not for volumes".into(),
                    ));
                }
                let out = self
                    .size(filters)
                    .map_err(|(s, m)| (s, format!("{label}: {m}")))?;
                if let Some((n, s)) = inputs {
                    if *c != Size::Fixed(*n) {
                        return Err((
                            *s,
                            format!(
                                "{label}: expects {n} input channels, the previous layer gives {c}"
                            ),
                        ));
                    }
                }
                if c.multiple_of(*groups) == Some(false) || out.multiple_of(*groups) == Some(false)
                {
                    return Err(fail(format!(
                        "{groups} groups must divide both the {c} input channels and the {out} filters"
                    )));
                }
                let [da, ha, wa] = self.window3(spec, win, false)?;
                let (od, oh, ow) = self.slide3(spec, input, [da, ha, wa])?;
                let weights = out.mul(&c.div(*groups).times(da.0 * ha.0 * wa.0));
                let params = if *bias {
                    weights.add(&out)
                } else {
                    weights.clone()
                };
                let macs = plane(&od, &oh)
                    .zip(plane(&ow, &Size::Fixed(1)))
                    .map(|(p, q)| p.mul(&q).mul(&weights));
                Ok(step(
                    Op::Conv3d {
                        name: name.clone(),
                        cin: c.clone(),
                        out: out.clone(),
                        groups: *groups,
                        depth: da,
                        win: window(ha, wa),
                        bias: *bias,
                    },
                    Shape::Vol {
                        c: out,
                        d: od,
                        h: oh,
                        w: ow,
                    },
                    params,
                    macs,
                    None,
                ))
            }
            LayerWhat::Pool { kind, win } => {
                if *kind == PoolKind::L2 {
                    return Err(fail("L2 pooling is for 2D maps".into()));
                }
                let axes = self.window3(spec, win, true)?;
                if axes.iter().any(|a| 2 * a.2 > a.0) {
                    return Err(fail("padding must be at most half the window".into()));
                }
                let (od, oh, ow) = self.slide3(spec, input, axes)?;
                let [da, ha, wa] = axes;
                Ok(step(
                    Op::Pool3d {
                        kind: *kind,
                        depth: (da.0, da.1, da.2),
                        win: window(ha, wa),
                    },
                    Shape::Vol {
                        c: c.clone(),
                        d: od,
                        h: oh,
                        w: ow,
                    },
                    zero.clone(),
                    Some(zero),
                    None,
                ))
            }
            // the rest act per channel or per value: as on C x (D·H) x W maps
            _ => {
                let maps = Shape::Maps {
                    c: c.clone(),
                    h: d.mul(h),
                    w: w.clone(),
                };
                let mut s = self.layer(spec, what, maps, field, false)?;
                if let Shape::Maps { c, .. } = &s.out {
                    s.out = Shape::Vol {
                        c: c.clone(),
                        d: d.clone(),
                        h: h.clone(),
                        w: w.clone(),
                    };
                }
                s.field = None;
                Ok(s)
            }
        }
    }

    /// The `(depth, height, width)` axes of a window on a volume: each
    /// argument one number or a triple; a pool's stride defaults to its
    /// window.
    fn window3(&self, spec: &Spec, w: &WinSpec, pool: bool) -> Result<[Axis; 3], Fail> {
        let label = spec.label();
        let fail = |msg: String| -> Fail { (spec.args_span, format!("{label}: {msg}")) };
        let three = |key: &str, v: PerAxis| -> Result<[u64; 3], Fail> {
            match v {
                PerAxis::One(n) => Ok([n; 3]),
                PerAxis::Triple(a, b, c) => Ok([a, b, c]),
                PerAxis::Pair(..) => Err(fail(format!(
                    "on a volume `{key}` takes one number or `(depth, height, width)`"
                ))),
            }
        };
        if w.round != sizes::Round::Floor {
            return Err(fail("`exact` and `ceil` are for 2D windows".into()));
        }
        let k = three("k", w.k)?;
        let s = match w.s {
            Some(s) => three("s", s)?,
            None if pool => k,
            None => [1; 3],
        };
        let d = w.d.map_or(Ok([1; 3]), |d| three("d", d))?;
        let p = match w.p {
            Some(Pad::Same) => {
                let mut p = [0; 3];
                for i in 0..3 {
                    p[i] = sizes::same_padding(k[i], d[i]).map_err(|e| fail(e.to_string()))?;
                }
                p
            }
            Some(Pad::Axis(p)) => three("p", p)?,
            None => [0; 3],
        };
        Ok([0, 1, 2].map(|i| (k[i], s[i], p[i], d[i])))
    }

    /// The output depth, height and width of a window on volume `input`.
    fn slide3(
        &self,
        spec: &Spec,
        input: &Shape,
        axes: [Axis; 3],
    ) -> Result<(Size, Size, Size), Fail> {
        let Shape::Vol { d, h, w, .. } = input else {
            return Err((spec.kind.span(), "expects volumes".into()));
        };
        let label = spec.label();
        let floor = sizes::Round::Floor;
        Ok((
            self.slide(&label, spec, "depth", d, axes[0], floor)?,
            self.slide(&label, spec, "height", h, axes[1], floor)?,
            self.slide(&label, spec, "width", w, axes[2], floor)?,
        ))
    }
}

/// The height and width of a 3D window, as a 2D one.
fn window(h: Axis, w: Axis) -> Window {
    Window {
        k: (h.0, w.0),
        s: (h.1, w.1),
        p: (h.2, w.2),
        d: (h.3, w.3),
        round: sizes::Round::Floor,
    }
}
