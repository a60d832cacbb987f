//! Checks a parsed network and computes every layer's shape, parameters,
//! multiply-adds and receptive field.
//!
//! The numbers here serve two ends: field types (a convolution's weight
//! needs its input channels) and error messages that name the layer and the
//! sizes. The generated code states every intermediate type, and the type
//! system computes them again from the typenum formulas, so the two must agree
//! for the network to compile.

use proc_macro2::Span;
use syn::{Error, Ident};

use crate::parse::{Arg, Body, DimLit, Layer, Network, Value};

/// A spatial size: known, or `_` (runtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Fixed(u64),
    Runtime,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Size::Fixed(n) => write!(f, "{n}"),
            Size::Runtime => f.write_str("_"),
        }
    }
}

/// A per-sample shape: feature maps or flat features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Maps { c: u64, h: Size, w: Size },
    Flat(u64),
}

impl Shape {
    pub fn describe(&self) -> String {
        match self {
            Shape::Maps { c, h, w } => format!("{c}x{h}x{w}"),
            Shape::Flat(f) => format!("{f}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Avg,
    L2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Relu,
    Tanh,
    Sigmoid,
    ScaledTanh,
}

/// Window hyper-parameters per axis `(y, x)`.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub k: (u64, u64),
    pub s: (u64, u64),
    pub p: (u64, u64),
    pub d: (u64, u64),
    pub exact: bool,
}

#[derive(Clone, Debug)]
pub enum Op {
    Conv {
        cin: u64,
        out: u64,
        groups: u64,
        win: Window,
        /// A named connection table (`lenet5`): only listed input maps feed an output map.
        table: Option<Ident>,
    },
    /// LeNet's trainable subsampling: window sum x coefficient + bias, per map.
    Subsample {
        c: u64,
        k: u64,
    },
    Pool {
        kind: PoolKind,
        win: Window,
    },
    GlobalPool(PoolKind),
    Flatten,
    Linear {
        inp: u64,
        out: u64,
    },
    Act(Act),
    Dropout(f64),
    Lrn {
        n: u64,
        k: f64,
        alpha: f64,
        beta: f64,
    },
    BatchNorm {
        c: u64,
    },
    /// `body(x) + shortcut(x)`; the shortcut is the identity or a 1x1 projection.
    Residual {
        body: Vec<Step>,
        projection: Option<Projection>,
    },
    /// Branches on the same input, concatenated along channels.
    Concat {
        branches: Vec<(Ident, Vec<Step>)>,
    },
}

/// The 1x1 convolution that lets a residual shortcut match its body's output.
#[derive(Clone, Copy, Debug)]
pub struct Projection {
    pub cin: u64,
    pub out: u64,
    pub stride: (u64, u64),
}

impl Projection {
    pub fn window(&self) -> Window {
        Window {
            k: (1, 1),
            s: self.stride,
            p: (0, 0),
            d: (1, 1),
            exact: false,
        }
    }
}

impl Op {
    pub fn kind_name(&self) -> String {
        match self {
            Op::Conv {
                win,
                table: Some(t),
                ..
            } => format!("Conv2d {}x{} ({t} table)", win.k.0, win.k.1),
            Op::Conv { win, .. } => format!("Conv2d {}x{}", win.k.0, win.k.1),
            Op::Subsample { k, .. } => format!("Subsample {k}x{k}"),
            Op::Pool { kind, win } => format!("{kind:?}Pool {}x{}", win.k.0, win.k.1),
            Op::GlobalPool(kind) => format!("Global{kind:?}Pool"),
            Op::Flatten => "Flatten".into(),
            Op::Linear { .. } => "Linear".into(),
            Op::Act(a) => format!("{a:?}"),
            Op::Dropout(p) => format!("Dropout {p}"),
            Op::Lrn { n, .. } => format!("LRN n={n}"),
            Op::BatchNorm { .. } => "BatchNorm2d".into(),
            Op::Residual {
                projection: Some(_),
                ..
            } => "Residual (projection)".into(),
            Op::Residual { .. } => "Residual (identity)".into(),
            Op::Concat { branches } => format!("Concat ({} branches)", branches.len()),
        }
    }
}

/// Receptive field and jump (stride product) per axis, in input pixels.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub r: (u64, u64),
    pub j: (u64, u64),
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: Option<Ident>,
    pub op: Op,
    pub out: Shape,
    pub params: u64,
    pub macs: Option<u64>,
    pub field: Option<Field>,
    pub span: Span,
}

pub struct Plan {
    pub input: Shape,
    pub steps: Vec<Step>,
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(Error::new(span, msg))
}

/// The layer's name for messages: its given name, else its kind.
fn label(layer: &Layer) -> String {
    layer
        .name
        .as_ref()
        .map_or_else(|| layer.kind.to_string(), |n| n.to_string())
}

pub fn check(net: &Network) -> syn::Result<Plan> {
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
            },
            h: size(h),
            w: size(w),
        },
        [DimLit::Fixed(f)] => Shape::Flat(*f),
        _ => {
            return err(
                net.input_span,
                "expected `input: [channels, height, width]` or `input: [features]`",
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
    Ok(Plan { input, steps })
}

/// Checks a sequence of layers (one struct's scope for names).
fn check_layers(
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
        let step = match &layer.body {
            Some(body) => check_block(layer, body, shape, field)?,
            None => check_layer(layer, shape, field)?,
        };
        if let Some((dims, span)) = &layer.annotation {
            check_annotation(layer, dims, *span, &step.out)?;
        }
        shape = step.out;
        field = step.field;
        steps.push(step);
    }
    Ok((steps, shape, field))
}

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

fn check_block(
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

fn size(d: &DimLit) -> Size {
    match d {
        DimLit::Fixed(n) => Size::Fixed(*n),
        DimLit::Runtime(_) => Size::Runtime,
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

/// The arguments of one layer, consumed by name; leftovers are errors.
struct Args<'a> {
    layer: &'a Layer,
    positional: Vec<&'a Value>,
    named: Vec<(&'a Ident, &'a Value, bool)>,
    flags: Vec<(&'a Ident, bool)>,
}

impl<'a> Args<'a> {
    fn new(layer: &'a Layer) -> Self {
        let mut a = Args {
            layer,
            positional: vec![],
            named: vec![],
            flags: vec![],
        };
        for arg in &layer.args {
            match arg {
                Arg::Positional(v) => a.positional.push(v),
                Arg::Named(k, v) => a.named.push((k, v, false)),
                Arg::Flag(f) => a.flags.push((f, false)),
            }
        }
        a
    }

    fn take(&mut self, key: &str) -> Option<&'a Value> {
        self.named
            .iter_mut()
            .find(|(k, _, used)| *k == key && !*used)
            .map(|(_, v, used)| {
                *used = true;
                *v
            })
    }

    fn flag(&mut self, key: &str) -> bool {
        self.flags
            .iter_mut()
            .find(|(f, used)| *f == key && !*used)
            .map(|(_, used)| *used = true)
            .is_some()
    }

    fn count(&self, what: &str) -> syn::Result<Option<u64>> {
        match self.positional.first() {
            None => Ok(None),
            Some(Value::Int(n, s)) => {
                if *n == 0 {
                    return err(
                        *s,
                        format!("{}: the {what} must be at least 1", label(self.layer)),
                    );
                }
                Ok(Some(*n))
            }
            Some(v) => err(
                v.span(),
                format!("{}: expected the {what} as a number", label(self.layer)),
            ),
        }
    }

    fn required_count(&self, what: &str, example: &str) -> syn::Result<u64> {
        self.count(what)?.ok_or_else(|| {
            Error::new(
                self.layer.args_span,
                format!(
                    "{}: missing the {what}, e.g. `{example}`",
                    label(self.layer)
                ),
            )
        })
    }

    /// A per-axis integer: `k = 3` or `k = (3, 5)`.
    fn pair(&mut self, key: &str, default: Option<(u64, u64)>) -> syn::Result<(u64, u64)> {
        match self.take(key) {
            Some(Value::Int(n, _)) => Ok((*n, *n)),
            Some(Value::Pair(a, b, _)) => Ok((*a, *b)),
            Some(v) => err(
                v.span(),
                format!(
                    "{}: `{key}` takes a number or a pair `(h, w)`",
                    label(self.layer)
                ),
            ),
            None => default.ok_or_else(|| {
                Error::new(
                    self.layer.args_span,
                    format!(
                        "{}: missing argument `{key}`, e.g. `{key} = 3`",
                        label(self.layer)
                    ),
                )
            }),
        }
    }

    fn float(&mut self, key: &str, default: f64) -> syn::Result<f64> {
        match self.take(key) {
            Some(Value::Float(f, _)) => Ok(*f),
            Some(Value::Int(n, _)) => Ok(*n as f64),
            Some(v) => err(
                v.span(),
                format!("{}: `{key}` takes a number", label(self.layer)),
            ),
            None => Ok(default),
        }
    }

    fn finish(self) -> syn::Result<()> {
        if let Some(v) = self.positional.get(1) {
            return err(
                v.span(),
                format!("{}: unexpected extra argument", label(self.layer)),
            );
        }
        if let Some((k, _, _)) = self.named.iter().find(|(_, _, used)| !used) {
            return err(
                k.span(),
                format!("{}: unknown argument `{k}`", label(self.layer)),
            );
        }
        if let Some((f, _)) = self.flags.iter().find(|(_, used)| !used) {
            return err(
                f.span(),
                format!("{}: unknown flag `{f}`", label(self.layer)),
            );
        }
        Ok(())
    }
}

fn maps(layer: &Layer, shape: Shape) -> syn::Result<(u64, Size, Size)> {
    match shape {
        Shape::Maps { c, h, w } => Ok((c, h, w)),
        Shape::Flat(f) => err(
            layer.kind.span(),
            format!(
                "{}: expects feature maps, but gets {f} flat features",
                label(layer)
            ),
        ),
    }
}

/// One axis through a window, with the rule that failed named.
fn slide(
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

fn window(args: &mut Args, default_stride_is_kernel: bool) -> syn::Result<Window> {
    let k = args.pair("k", None)?;
    if k.0 == 0 || k.1 == 0 {
        return err(
            args.layer.args_span,
            format!("{}: the kernel must be at least 1", label(args.layer)),
        );
    }
    let s = args.pair("s", Some(if default_stride_is_kernel { k } else { (1, 1) }))?;
    let d = args.pair("d", Some((1, 1)))?;
    let p = match args.take("p") {
        Some(Value::Word(w)) if w == "same" => {
            for kk in [k.0, k.1] {
                if kk % 2 == 0 {
                    return err(
                        w.span(),
                        format!("{}: \"same\" padding needs an odd kernel, got {kk}: the padding (K-1)/2 would not be whole", label(args.layer)),
                    );
                }
            }
            (d.0 * (k.0 - 1) / 2, d.1 * (k.1 - 1) / 2)
        }
        Some(Value::Int(n, _)) => (*n, *n),
        Some(Value::Pair(a, b, _)) => (*a, *b),
        Some(v) => {
            return err(
                v.span(),
                format!(
                    "{}: `p` takes a number, a pair or `same`",
                    label(args.layer)
                ),
            )
        }
        None => (0, 0),
    };
    if s.0 == 0 || s.1 == 0 || d.0 == 0 || d.1 == 0 {
        return err(
            args.layer.args_span,
            format!(
                "{}: stride and dilation must be at least 1",
                label(args.layer)
            ),
        );
    }
    let exact = args.flag("exact");
    Ok(Window { k, s, p, d, exact })
}

/// `inputs = n`: an optional statement of what a layer expects, checked.
fn expect_inputs(args: &mut Args, actual: u64, what: &str, source: &str) -> syn::Result<()> {
    match args.take("inputs") {
        Some(Value::Int(n, s)) if *n != actual => err(
            *s,
            format!(
                "{}: expects {n} {what}, {source} {actual}",
                label(args.layer)
            ),
        ),
        Some(Value::Int(..)) | None => Ok(()),
        Some(v) => err(
            v.span(),
            format!("{}: `inputs` takes a number", label(args.layer)),
        ),
    }
}

fn layer_follows_flatten(input: Shape) -> bool {
    matches!(input, Shape::Flat(_))
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

fn plane(h: Size, w: Size) -> Option<u64> {
    match (h, w) {
        (Size::Fixed(h), Size::Fixed(w)) => Some(h * w),
        _ => None,
    }
}

fn check_layer(layer: &Layer, input: Shape, field: Option<Field>) -> syn::Result<Step> {
    let mut args = Args::new(layer);
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
    };
    let result = match kind.as_str() {
        "conv" | "conv2d" => {
            needs_name("conv")?;
            let (c, h, w) = maps(layer, input)?;
            let out = args.required_count("number of filters", "conv(16, k = 5)")?;
            expect_inputs(&mut args, c, "input channels", "the previous layer gives")?;
            let win = window(&mut args, false)?;
            let table = match args.take("table") {
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
            let ho = slide(layer, "height", h, (win.k.0, win.s.0, win.p.0, win.d.0), win.exact)?;
            let wo = slide(layer, "width", w, (win.k.1, win.s.1, win.p.1, win.d.1), win.exact)?;
            let fan_in = c / groups * win.k.0 * win.k.1;
            let params = out * fan_in + out;
            let macs = plane(ho, wo).map(|p| p * out * fan_in);
            step(
                Op::Conv { cin: c, out, groups, win, table },
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
            let wo = slide(layer, "width", w, (win.k.1, win.s.1, win.p.1, 1), win.exact)?;
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
                Shape::Maps { .. } => {
                    return err(
                        layer.kind.span(),
                        format!("{}: linear expects flat features, but gets {} maps: add `flatten` first", label(layer), input.describe()),
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
        "subsample" => {
            needs_name("subsample")?;
            let (c, h, w) = maps(layer, input)?;
            let k = args.pair("k", None)?;
            if k.0 != k.1 || k.0 == 0 {
                return err(layer.args_span, format!("{}: subsampling takes one square window size, e.g. `k = 2`", label(layer)));
            }
            let win = Window { k, s: k, p: (0, 0), d: (1, 1), exact: false };
            let ho = slide(layer, "height", h, (k.0, k.0, 0, 1), false)?;
            let wo = slide(layer, "width", w, (k.1, k.1, 0, 1), false)?;
            step(Op::Subsample { c, k: k.0 }, Shape::Maps { c, h: ho, w: wo }, 2 * c, plane(ho, wo).map(|p| p * c), grow(field, &win))
        }
        "batch_norm" => {
            needs_name("batch_norm")?;
            let (c, h, w) = maps(layer, input)?;
            step(Op::BatchNorm { c }, input, 2 * c, plane(h, w).map(|p| 2 * c * p), field)
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
                    "unknown layer `{kind}`; expected one of: conv, max_pool, avg_pool, l2_pool, \
                     global_avg_pool, global_max_pool, flatten, linear, batch_norm, subsample, relu, tanh, sigmoid, scaled_tanh, dropout, lrn"
                ),
            )
        }
    };
    args.finish()?;
    Ok(result)
}
