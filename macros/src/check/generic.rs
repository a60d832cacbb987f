//! Generic blocks: `block Name(input: [C, H, W]) { .. }`, declared once and
//! used at any channel count and size.
//!
//! Sizes are unknown here, so this checks what does not depend on them
//! (arguments, channel counts where they are numbers, whether a residual
//! body keeps the size) and leaves every size rule to the type system: the
//! block's `Module` impl states one bound per layer, and a use at a size a
//! layer cannot take fails that bound at the use site.

use proc_macro2::Span;
use syn::Ident;

use super::args::{window, Args};
use super::plan::{Act, PoolKind, Window};
use super::{err, label};
use crate::parse::{Body, DimLit, Layer, Network, Value};

/// A channel count: the block's parameter `C`, or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chan {
    Param,
    Fixed(u64),
}

impl std::fmt::Display for Chan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Chan::Param => f.write_str("C"),
            Chan::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// Parameters as `per_c2 · C² + per_c · C + fixed`: a convolution from
/// `C` to `C` channels has `C·C·K²` weights.
#[derive(Clone, Copy, Debug, Default)]
pub struct Params {
    pub per_c2: u64,
    pub per_c: u64,
    pub fixed: u64,
}

impl Params {
    /// `k · a · b` for channel counts `a` and `b`.
    fn product(a: Chan, b: Chan, k: u64) -> Params {
        let lin = |c: Chan| match c {
            Chan::Param => (1, 0),
            Chan::Fixed(n) => (0, n),
        };
        let ((a1, a0), (b1, b0)) = (lin(a), lin(b));
        Params {
            per_c2: k * a1 * b1,
            per_c: k * (a1 * b0 + a0 * b1),
            fixed: k * a0 * b0,
        }
    }

    /// `k · a`.
    fn linear(a: Chan, k: u64) -> Params {
        Params::product(a, Chan::Fixed(1), k)
    }

    fn add(self, o: Params) -> Params {
        Params {
            per_c2: self.per_c2 + o.per_c2,
            per_c: self.per_c + o.per_c,
            fixed: self.fixed + o.fixed,
        }
    }
}

#[derive(Clone, Debug)]
pub enum GOp {
    Conv {
        out: Chan,
        groups: u64,
        win: Window,
        bias: bool,
    },
    BatchNorm,
    Pool {
        kind: PoolKind,
        win: Window,
    },
    Act(Act),
    /// `body(x) + shortcut(x)`; `projection` is the shortcut's 1x1
    /// convolution (output channels, stride per axis), else the identity.
    Residual {
        body: Vec<GStep>,
        projection: Option<(Chan, (u64, u64))>,
    },
}

#[derive(Clone, Debug)]
pub struct GStep {
    pub name: Option<Ident>,
    pub op: GOp,
    /// The channels the step receives and gives.
    pub cin: Chan,
    pub cout: Chan,
    pub span: Span,
}

pub struct GenericPlan {
    pub channel: Ident,
    pub steps: Vec<GStep>,
    pub params: Params,
}

/// What a run of steps does to its input: channels out, whether every
/// window keeps the size, and the total stride per axis.
struct Effect {
    cout: Chan,
    keeps_size: bool,
    jump: (u64, u64),
    params: Params,
}

const IN_BLOCKS: &str = "conv, batch_norm, max_pool, avg_pool, l2_pool, relu, tanh, sigmoid, scaled_tanh, and residual blocks";

pub fn check_generic(net: &Network) -> syn::Result<GenericPlan> {
    let [DimLit::Param(c), DimLit::Param(_), DimLit::Param(_)] = net.input.as_slice() else {
        return err(
            net.input_span,
            "a generic block's input names its channels and sizes, e.g. `input: [C, H, W]`; the block then takes any of them",
        );
    };
    let (steps, effect) = check_steps(&net.layers, Chan::Param, c)?;
    Ok(GenericPlan {
        channel: c.clone(),
        steps,
        params: effect.params,
    })
}

/// Checks a run of layers on `input` channels; `c` is the channel parameter's name.
fn check_steps(layers: &[Layer], input: Chan, c: &Ident) -> syn::Result<(Vec<GStep>, Effect)> {
    let mut names: Vec<&Ident> = Vec::new();
    let mut steps = Vec::new();
    let mut effect = Effect {
        cout: input,
        keeps_size: true,
        jump: (1, 1),
        params: Params::default(),
    };
    for layer in layers {
        if let Some(name) = &layer.name {
            if names.contains(&name) {
                return err(name.span(), format!("duplicate layer name `{name}`"));
            }
            names.push(name);
        }
        if layer.annotation.is_some() {
            return err(
                layer.kind.span(),
                format!("{}: inside a generic block sizes are not known, so layers take no `-> [..]` annotation; annotate where the block is used", label(layer)),
            );
        }
        let (step, keeps, jump, params) = check_step(layer, effect.cout, c)?;
        effect.cout = step.cout;
        effect.keeps_size &= keeps;
        effect.jump = (effect.jump.0 * jump.0, effect.jump.1 * jump.1);
        effect.params = effect.params.add(params);
        steps.push(step);
    }
    Ok((steps, effect))
}

/// Whether a window keeps every size: stride 1 and padding `D(K-1)/2`.
fn keeps(win: &Window) -> bool {
    win.s == (1, 1)
        && 2 * win.p.0 == win.d.0 * (win.k.0 - 1)
        && 2 * win.p.1 == win.d.1 * (win.k.1 - 1)
}

fn check_step(
    layer: &Layer,
    cin: Chan,
    c: &Ident,
) -> syn::Result<(GStep, bool, (u64, u64), Params)> {
    let kind = layer.kind.to_string();
    let mut args = Args::new(layer);
    let named = |what: &str| -> syn::Result<()> {
        if layer.name.is_none() {
            return err(
                layer.kind.span(),
                format!("a {what} has parameters and needs a name, e.g. `a: {kind}(...)`"),
            );
        }
        Ok(())
    };
    let step = |op: GOp, cout: Chan| GStep {
        name: layer.name.clone(),
        op,
        cin,
        cout,
        span: layer.kind.span(),
    };
    let result = match (kind.as_str(), &layer.body) {
        ("residual", Some(Body::Layers(body))) => {
            named("residual block")?;
            let project = args.flag("project");
            if body.is_empty() {
                return err(
                    layer.kind.span(),
                    format!(
                        "{}: a residual block needs at least one layer",
                        label(layer)
                    ),
                );
            }
            let (steps, inner) = check_steps(body, cin, c)?;
            let identity = inner.cout == cin && inner.keeps_size;
            if !identity && !project {
                return err(
                    layer.kind.span(),
                    format!(
                        "{}: the body changes the {} (channels {cin} to {}), so the identity shortcut cannot be added; write `residual(project) {{ .. }}` for a 1x1 projection",
                        label(layer),
                        if inner.keeps_size { "channels" } else { "size" },
                        inner.cout
                    ),
                );
            }
            let projection = project.then_some((inner.cout, inner.jump));
            let params = match projection {
                Some((out, _)) => Params::product(cin, out, 1).add(Params::linear(out, 1)),
                None => Params::default(),
            };
            let cout = inner.cout;
            (
                step(
                    GOp::Residual {
                        body: steps,
                        projection,
                    },
                    cout,
                ),
                inner.keeps_size,
                inner.jump,
                params.add(inner.params),
            )
        }
        (_, Some(_)) => {
            return err(
                layer.kind.span(),
                format!(
                    "{}: a generic block takes these layers: {IN_BLOCKS}",
                    label(layer)
                ),
            )
        }
        ("conv" | "conv2d", None) => {
            named("conv layer")?;
            // `conv(C, ..)`: as many filters as the block has input channels
            let out = match args.leading_word() {
                Some(w) if w == c => Chan::Param,
                Some(w) => {
                    return err(
                        w.span(),
                        format!(
                            "{}: `{w}` is not this block's channel parameter `{c}`",
                            label(layer)
                        ),
                    )
                }
                None => Chan::Fixed(args.required_count("number of filters", "conv(16, k = 3)")?),
            };
            let win = window(&mut args, false)?;
            let groups = match args.take("groups") {
                Some(Value::Int(g, _)) => *g,
                Some(v) => {
                    return err(
                        v.span(),
                        format!("{}: `groups` takes a number", label(layer)),
                    )
                }
                None => 1,
            };
            let weights = match (cin, out) {
                (Chan::Fixed(ci), Chan::Fixed(o)) => {
                    if groups == 0 || ci % groups != 0 || o % groups != 0 {
                        return err(layer.args_span, format!("{}: {groups} groups must divide both the {ci} input channels and the {o} filters", label(layer)));
                    }
                    Params::product(Chan::Fixed(ci / groups), out, win.k.0 * win.k.1)
                }
                _ if groups != 1 => {
                    return err(layer.args_span, format!("{}: with the generic channel count {c}, groups cannot be checked to divide it; group between layers of fixed counts", label(layer)))
                }
                _ => Params::product(cin, out, win.k.0 * win.k.1),
            };
            let bias = args.boolean("bias", true)?;
            let biases = if bias {
                Params::linear(out, 1)
            } else {
                Params::default()
            };
            (
                step(
                    GOp::Conv {
                        out,
                        groups,
                        win,
                        bias,
                    },
                    out,
                ),
                keeps(&win),
                win.s,
                weights.add(biases),
            )
        }
        ("batch_norm", None) => {
            named("batch_norm layer")?;
            (
                step(GOp::BatchNorm, cin),
                true,
                (1, 1),
                Params::linear(cin, 2),
            )
        }
        ("max_pool" | "avg_pool" | "l2_pool", None) => {
            let win = window(&mut args, true)?;
            if win.d != (1, 1) || 2 * win.p.0 > win.k.0 || 2 * win.p.1 > win.k.1 {
                return err(
                    layer.args_span,
                    format!(
                        "{}: pooling windows are not dilated, and pad at most half the window",
                        label(layer)
                    ),
                );
            }
            let kind = match kind.as_str() {
                "max_pool" => PoolKind::Max,
                "avg_pool" => PoolKind::Avg,
                _ => PoolKind::L2,
            };
            (
                step(GOp::Pool { kind, win }, cin),
                keeps(&win),
                win.s,
                Params::default(),
            )
        }
        ("relu" | "tanh" | "sigmoid" | "scaled_tanh", None) => {
            let act = match kind.as_str() {
                "relu" => Act::Relu,
                "tanh" => Act::Tanh,
                "sigmoid" => Act::Sigmoid,
                _ => Act::ScaledTanh,
            };
            (step(GOp::Act(act), cin), true, (1, 1), Params::default())
        }
        _ => {
            return err(
                layer.kind.span(),
                format!(
                    "{}: `{kind}` is not available in a generic block; it takes: {IN_BLOCKS}",
                    label(layer)
                ),
            )
        }
    };
    args.finish()?;
    Ok(result)
}
