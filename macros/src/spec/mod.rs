//! Typed layer specs: each parsed layer's arguments decoded by name into
//! the kind's own fields. Nothing here knows a shape: what an argument
//! means for sizes is the inference pass's job. Every problem is reported
//! to the [`Ctxt`] and decoding goes on, so one declaration's mistakes are
//! reported together.

use proc_macro2::Span;
use syn::Ident;

use crate::diag::Ctxt;
use crate::kinds;
use crate::parse::{Body, Layer, SizeExpr, Value};

mod args;
use args::Args;

/// A per-axis value as written: one number, or `(height, width)`.
#[derive(Clone, Copy, Debug)]
pub enum PerAxis {
    One(u64),
    Pair(u64, u64),
    /// `(depth, height, width)`: for volumes only.
    Triple(u64, u64, u64),
}

#[derive(Clone, Copy, Debug)]
pub enum Pad {
    Axis(PerAxis),
    Same,
}

/// A window's arguments as written; the input decides how they read (a
/// sequence has one axis).
#[derive(Clone, Copy, Debug)]
pub struct WinSpec {
    pub k: PerAxis,
    pub s: Option<PerAxis>,
    pub p: Option<Pad>,
    pub d: Option<PerAxis>,
    pub round: splotnet_sizes::Round,
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

/// How an unpooling fills each block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpoolKind {
    Nearest,
    BedOfNails,
}

/// How a skip connection joins an earlier layer's maps to the current ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipJoin {
    /// Centre-cropped, then stacked before the current maps (U-Net).
    CropConcat,
    /// Centre-cropped, then added (FCN's score fusion).
    Add,
}

impl SkipJoin {
    pub fn kind(self) -> &'static str {
        match self {
            SkipJoin::CropConcat => "crop_concat",
            SkipJoin::Add => "add",
        }
    }
}

/// A connection table: LeNet-5's, or a user's type.
#[derive(Clone)]
pub enum Table {
    LeNet5(Span),
    Path(syn::Path),
}

/// `inputs = n`: what a layer states it expects.
pub type Inputs = Option<(u64, Span)>;

/// The plain layers.
pub enum LayerWhat {
    Conv {
        name: Ident,
        filters: SizeExpr,
        win: WinSpec,
        groups: u64,
        bias: bool,
        table: Option<Table>,
        inputs: Inputs,
        /// Written `conv1d`: only for sequences.
        one_d: bool,
        /// Written `conv3d`: only for volumes.
        three_d: bool,
    },
    ConvTranspose {
        name: Ident,
        filters: SizeExpr,
        win: WinSpec,
        op: PerAxis,
        groups: u64,
        bias: bool,
    },
    Subsample {
        name: Ident,
        k: u64,
    },
    Pool {
        kind: PoolKind,
        win: WinSpec,
    },
    GlobalPool(PoolKind),
    /// Adaptive pooling to a fixed output size.
    AdaptivePool {
        kind: PoolKind,
        out: (u64, u64),
    },
    Flatten,
    /// Unpooling by a factor per axis.
    Unpool {
        kind: UnpoolKind,
        s: (u64, u64),
    },
    /// Max-unpooling with the switches of the earlier max pool `from`.
    MaxUnpool {
        from: Ident,
    },
    /// A skip connection from the earlier layer `from` of the same scope;
    /// with a body (`add(from = pool4) { score: conv(21, k = 1) }`), named
    /// `name`, the earlier maps go through it first.
    Skip {
        join: SkipJoin,
        from: Ident,
        body: Option<(Ident, Vec<Spec>)>,
    },
    /// The current maps cropped to the size of the earlier layer `to` (or
    /// the input, `to = input`), where the two line up.
    Crop {
        to: Ident,
    },
    Linear {
        name: Ident,
        out: SizeExpr,
        inputs: Inputs,
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
        name: Ident,
        eps: f64,
        momentum: f64,
    },
    Block {
        name: Ident,
        ty: syn::Path,
        /// The block's own size parameters at this use.
        sizes: Vec<SizeExpr>,
    },
}

/// The blocks: scopes of layers joined in one way.
pub enum BlockWhat {
    Residual {
        name: Ident,
        project: bool,
        /// torchvision's shortcut: 1x1 conv without bias, then batch norm.
        downsample: bool,
        body: Vec<Spec>,
    },
    Concat {
        name: Ident,
        branches: Vec<(Ident, Vec<Spec>)>,
    },
    Dense {
        name: Ident,
        layers: u64,
        keys: DenseKeys,
        body: Vec<Spec>,
    },
    Highway {
        name: Ident,
        gate_k: u64,
        gate_bias_milli: i32,
        body: Vec<Spec>,
    },
    Aux {
        name: Ident,
        body: Vec<Spec>,
    },
}

/// What a spec declares: a plain layer or a block.
pub enum What {
    Layer(LayerWhat),
    Block(BlockWhat),
}

pub struct Spec {
    pub label: Option<Ident>,
    /// The state-dict key given with `#[key = ".."]` (PyTorch's name for
    /// this field: `features.0`, or `""` for a block that adds no level).
    pub key: Option<String>,
    pub kind: Ident,
    pub args_span: Span,
    pub annotation: Option<(Vec<SizeExpr>, Span)>,
    pub what: What,
}

impl Spec {
    /// The layer's name for messages: its given name, else its kind.
    pub fn label(&self) -> String {
        self.label
            .as_ref()
            .map_or_else(|| self.kind.to_string(), |n| n.to_string())
    }
}

/// The layers of one scope, decoded; duplicate names reported.
pub fn specs(cx: &Ctxt, layers: &[Layer]) -> Vec<Spec> {
    let mut seen: Vec<&Ident> = Vec::new();
    for name in layers.iter().filter_map(|l| l.name.as_ref()) {
        if let Some(first) = seen.iter().find(|n| **n == name) {
            let mut e = syn::Error::new(name.span(), format!("duplicate layer name `{name}`"));
            e.combine(syn::Error::new(
                first.span(),
                format!("`{first}` first declared here"),
            ));
            cx.push(e);
        }
        seen.push(name);
    }
    layers.iter().filter_map(|l| spec(cx, l)).collect()
}

fn label(layer: &Layer) -> String {
    layer
        .name
        .as_ref()
        .map_or_else(|| layer.kind.to_string(), |n| n.to_string())
}

/// One layer decoded, or `None` (reported) when it cannot be.
fn spec(cx: &Ctxt, layer: &Layer) -> Option<Spec> {
    let kind = layer.kind.to_string();
    let mut args = Args::new(cx, layer);
    let what = match &layer.body {
        Some(body) if matches!(kind.as_str(), "add" | "crop_concat") => {
            skip_with_body(&mut args, &kind, body).map(What::Layer)
        }
        Some(body) => block(&mut args, &kind, body).map(What::Block),
        None => plain(&mut args, &kind).map(What::Layer),
    };
    args.finish();
    let key = key_attr(cx, layer);
    let what = what?;
    let holds_layers = matches!(
        what,
        What::Block(_) | What::Layer(LayerWhat::Skip { body: Some(_), .. })
    );
    if key.as_deref() == Some("") && !holds_layers {
        cx.error(
            layer.kind.span(),
            format!("{}: only a block declared here can add no level to the keys (`#[key = \"\"]`); a layer's tensors need a name", label(layer)),
        );
    }
    Some(Spec {
        key,
        label: layer.name.clone(),
        kind: layer.kind.clone(),
        args_span: layer.args_span,
        annotation: layer.annotation.clone(),
        what,
    })
}

/// A layer's `#[key = ".."]`; doc comments are allowed, other attributes are
/// errors.
fn key_attr(cx: &Ctxt, layer: &Layer) -> Option<String> {
    let mut key = None;
    for attr in &layer.attrs {
        if attr.path().is_ident("doc") {
            continue;
        }
        let parsed = match &attr.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("key") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        };
        match parsed {
            Some(k) if layer.name.is_none() => {
                cx.error(attr.pound_token.span, format!("`#[key = \"{k}\"]` names a field, and `{}` has none: give the layer a name", layer.kind));
            }
            Some(k) if k.split('.').any(|seg| seg.is_empty()) && !k.is_empty() => {
                cx.error(attr.pound_token.span, format!("`{k}`: a key's dotted segments cannot be empty"));
            }
            Some(k) => key = Some(k),
            None => cx.error(
                attr.pound_token.span,
                "a layer takes one attribute, its state-dict key: `#[key = \"features.0\"]` (or `#[key = \"\"]` for a block that adds no level)",
            ),
        }
    }
    key
}

/// The name a kind with parameters needs, reported when missing.
fn needs_name(args: &Args, what: &str, example: &str) -> Option<Ident> {
    let layer = args.layer;
    if layer.name.is_none() {
        args.cx.error(
            layer.kind.span(),
            format!("a {what} needs a name, e.g. `{example}`"),
        );
    }
    layer.name.clone()
}

fn plain(args: &mut Args, kind: &str) -> Option<LayerWhat> {
    let layer = args.layer;
    let k = layer.kind.to_string();
    let layer_name = || {
        needs_name(
            args,
            &format!("{k} layer has parameters and"),
            &format!("c1: {k}(...)"),
        )
    };
    Some(match kind {
        "conv" | "conv2d" | "conv1d" | "conv3d" => {
            let name = layer_name();
            let filters = args.required_size("number of filters", "conv(16, k = 5)");
            let inputs = args.inputs();
            let win = args.window(false);
            let table = match args.take("table") {
                Some(Value::Word(t)) if t == "lenet5" => Some(Table::LeNet5(t.span())),
                Some(Value::Word(t)) => Some(Table::Path(t.clone().into())),
                Some(Value::Path(p, _)) => Some(Table::Path(p.clone())),
                Some(v) => {
                    args.error(
                        v.span(),
                        "`table` takes `lenet5` or the path of a `ConnectionTable` type",
                    );
                    None
                }
                None => None,
            };
            let groups = args.positive("groups", 1);
            let bias = args.boolean("bias", true);
            LayerWhat::Conv {
                name: name?,
                filters: filters?,
                win: win?,
                groups,
                bias,
                table,
                inputs,
                one_d: kind == "conv1d",
                three_d: kind == "conv3d",
            }
        }
        "conv_transpose" => {
            let name = layer_name();
            let filters =
                args.required_size("number of output maps", "conv_transpose(64, k = 2, s = 2)");
            let win = args.window(false);
            let op = args.per_axis("op").unwrap_or(PerAxis::One(0));
            let groups = args.positive("groups", 1);
            let bias = args.boolean("bias", true);
            LayerWhat::ConvTranspose {
                name: name?,
                filters: filters?,
                win: win?,
                op,
                groups,
                bias,
            }
        }
        "subsample" => {
            let name = layer_name();
            let k = match args.per_axis("k") {
                Some(PerAxis::One(k)) if k > 0 => Some(k),
                Some(PerAxis::Pair(a, b)) if a == b && a > 0 => Some(a),
                _ => {
                    args.error(
                        layer.args_span,
                        "subsampling takes one square window size, e.g. `k = 2`",
                    );
                    None
                }
            };
            LayerWhat::Subsample { name: name?, k: k? }
        }
        "max_pool" | "avg_pool" | "l2_pool" => {
            let pool = match kind {
                "max_pool" => PoolKind::Max,
                "avg_pool" => PoolKind::Avg,
                _ => PoolKind::L2,
            };
            LayerWhat::Pool {
                kind: pool,
                win: args.window(true)?,
            }
        }
        "adaptive_avg_pool" | "adaptive_max_pool" => {
            let kind = if kind == "adaptive_avg_pool" {
                PoolKind::Avg
            } else {
                PoolKind::Max
            };
            let size = |v: Option<Value>, args: &mut Args| match v {
                Some(Value::Int(n, _)) if n > 0 => Some(n),
                Some(v) => {
                    args.error(
                        v.span(),
                        "the output size takes positive numbers, e.g. `adaptive_avg_pool(6, 6)`",
                    );
                    None
                }
                None => None,
            };
            let first = args.leading();
            let Some(oh) = size(first, args) else {
                args.error(
                    layer.args_span,
                    "missing the output size, e.g. `adaptive_avg_pool(6, 6)`",
                );
                return None;
            };
            let second = args.next_positional();
            let ow = size(second, args).unwrap_or(oh);
            LayerWhat::AdaptivePool {
                kind,
                out: (oh, ow),
            }
        }
        "nn_unpool" | "bed_of_nails" => {
            let kind = if kind == "nn_unpool" {
                UnpoolKind::Nearest
            } else {
                UnpoolKind::BedOfNails
            };
            let s = match args.leading() {
                Some(Value::Int(n, _)) if n > 0 => (n, n),
                Some(Value::Pair(a, b, _)) if a > 0 && b > 0 => (a, b),
                v => {
                    let span = v.map_or(layer.args_span, |v| v.span());
                    args.error(
                        span,
                        format!(
                            "the factor is a positive number or a pair `(h, w)`, e.g. `{k}(2)`"
                        ),
                    );
                    return None;
                }
            };
            LayerWhat::Unpool { kind, s }
        }
        "max_unpool" => {
            let from = match args.take("from") {
                Some(Value::Word(w)) => w.clone(),
                other => {
                    let span = other.map_or(layer.args_span, |v| v.span());
                    args.error(
                        span,
                        "name the max pool whose switches this unpooling reads, e.g. `max_unpool(from = p1)`",
                    );
                    return None;
                }
            };
            LayerWhat::MaxUnpool { from }
        }
        "crop_concat" | "add" => {
            let join = if kind == "add" {
                SkipJoin::Add
            } else {
                SkipJoin::CropConcat
            };
            let from = match args.take("from") {
                Some(Value::Word(w)) => w.clone(),
                other => {
                    let span = other.map_or(layer.args_span, |v| v.span());
                    args.error(
                        span,
                        format!(
                            "name the earlier layer whose maps join here, e.g. `{k}(from = d1)`"
                        ),
                    );
                    return None;
                }
            };
            LayerWhat::Skip {
                join,
                from,
                body: None,
            }
        }
        "crop" => {
            let to = match args.take("to") {
                Some(Value::Word(w)) => w.clone(),
                other => {
                    let span = other.map_or(layer.args_span, |v| v.span());
                    args.error(
                        span,
                        "name the layer (or `input`) whose size to crop to, e.g. `crop(to = input)`",
                    );
                    return None;
                }
            };
            LayerWhat::Crop { to }
        }
        "global_avg_pool" => LayerWhat::GlobalPool(PoolKind::Avg),
        "global_max_pool" => LayerWhat::GlobalPool(PoolKind::Max),
        "flatten" => LayerWhat::Flatten,
        "linear" => {
            let name = layer_name();
            let out = args.required_size("number of output features", "linear(84)");
            let inputs = args.inputs();
            LayerWhat::Linear {
                name: name?,
                out: out?,
                inputs,
            }
        }
        "relu" => LayerWhat::Act(Act::Relu),
        "tanh" => LayerWhat::Act(Act::Tanh),
        "sigmoid" => LayerWhat::Act(Act::Sigmoid),
        "scaled_tanh" => LayerWhat::Act(Act::ScaledTanh),
        "dropout" => {
            let p = args.float("p", 0.5);
            if !(0.0..1.0).contains(&p) {
                args.error(
                    layer.args_span,
                    format!("dropout probability must be in [0, 1), got {p}"),
                );
            }
            LayerWhat::Dropout(p)
        }
        "lrn" => LayerWhat::Lrn {
            n: args.float("n", 5.0) as u64,
            k: args.float("k", 2.0),
            alpha: args.float("alpha", 1e-4),
            beta: args.float("beta", 0.75),
        },
        "batch_norm" => {
            let name = layer_name();
            let eps = args.float("eps", 1e-5);
            let momentum = args.float("momentum", 0.1);
            if eps.is_nan() || eps <= 0.0 {
                args.error(
                    layer.args_span,
                    format!("`eps` must be positive, got {eps}"),
                );
            }
            if !(0.0..=1.0).contains(&momentum) {
                args.error(
                    layer.args_span,
                    format!("`momentum` is a rate in [0, 1], got {momentum}"),
                );
            }
            LayerWhat::BatchNorm {
                name: name?,
                eps,
                momentum,
            }
        }
        "block" => {
            let name = layer_name();
            let ty = match args.leading() {
                Some(Value::Word(w)) => Some((syn::Path::from(w.clone()), vec![])),
                Some(Value::Path(p, sizes)) => Some((p.clone(), sizes.clone())),
                _ => {
                    let l = label(layer);
                    args.error(
                        layer.args_span,
                        format!("name the block, e.g. `{l}: block(Basic) -> [64, 32, 32]`"),
                    );
                    None
                }
            };
            if layer.annotation.is_none() {
                let (l, t) = (
                    label(layer),
                    ty.as_ref().map_or("Basic".into(), |t| path_text(&t.0)),
                );
                args.cx.error(
                    layer.kind.span(),
                    format!("{l}: a generic block's output shape is derived by the compiler, not by this macro; state it, e.g. `{l}: block({t}) -> [64, 32, 32]`, and the compiler checks it"),
                );
                return None;
            }
            let (ty, sizes) = ty?;
            LayerWhat::Block {
                name: name?,
                ty,
                sizes,
            }
        }
        _ => {
            args.cx.error(
                layer.kind.span(),
                format!(
                    "unknown layer `{kind}`; expected one of: {}",
                    kinds::names(kinds::LAYERS, |_| true)
                ),
            );
            args.silence();
            return None;
        }
    })
}

/// `add(from = pool4) { .. }`: a skip whose earlier maps go through the
/// body's layers first; it holds them, so it needs a name.
fn skip_with_body(args: &mut Args, kind: &str, body: &Body) -> Option<LayerWhat> {
    let layer = args.layer;
    let name = needs_name(
        args,
        &format!("`{kind}` with layers"),
        &format!("fuse: {kind}(from = pool4) {{ score: conv(21, k = 1) }}"),
    );
    let LayerWhat::Skip { join, from, .. } = plain(args, kind)? else {
        return None;
    };
    let Body::Layers(layers) = body else {
        args.cx.error(
            layer.kind.span(),
            format!(
                "{}: the layers of a skip are a list, not named branches",
                label(layer)
            ),
        );
        return None;
    };
    Some(LayerWhat::Skip {
        join,
        from,
        body: Some((name?, specs(args.cx, layers))),
    })
}

pub fn path_text(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn block(args: &mut Args, kind: &str, body: &Body) -> Option<BlockWhat> {
    let layer = args.layer;
    let cx = args.cx;
    let Some(k) = kinds::block(kind) else {
        cx.error(
            layer.kind.span(),
            format!(
                "unknown block `{kind}`; expected one of: {}",
                kinds::names(kinds::BLOCKS, |_| true)
            ),
        );
        args.silence();
        return None;
    };
    let name = needs_name(
        args,
        &format!("{} block", k.name),
        &format!("b1: {kind} {{ .. }}"),
    );
    let layers = |body: &Body| match body {
        Body::Layers(layers) => Some(specs(cx, layers)),
        Body::Branches(_) => {
            cx.error(
                layer.kind.span(),
                format!(
                    "{}: a {kind} body is a list of layers, not named branches",
                    label(layer)
                ),
            );
            None
        }
    };
    Some(match kind {
        "residual" => {
            let project = args.flag("project");
            let downsample = args.flag("downsample");
            if project && downsample {
                cx.error(
                    layer.args_span,
                    format!("{}: a shortcut is `project` (1x1 conv with bias) or `downsample` (torchvision's 1x1 conv + batch norm), not both", label(layer)),
                );
            }
            let body = layers(body)?;
            if body.is_empty() {
                cx.error(
                    layer.kind.span(),
                    format!(
                        "{}: a residual block needs at least one layer",
                        label(layer)
                    ),
                );
            }
            BlockWhat::Residual {
                name: name?,
                project: project || downsample,
                downsample,
                body,
            }
        }
        "concat" => {
            let Body::Branches(branches) = body else {
                cx.error(
                    layer.kind.span(),
                    format!(
                        "{}: concat takes named branches, e.g. `concat {{ b1: [..], b2: [..] }}`",
                        label(layer)
                    ),
                );
                return None;
            };
            let mut seen: Vec<&Ident> = Vec::new();
            for (b, _) in branches {
                if seen.contains(&b) {
                    cx.error(
                        b.span(),
                        format!("{}: duplicate branch name `{b}`", label(layer)),
                    );
                }
                seen.push(b);
            }
            if branches.is_empty() {
                cx.error(
                    layer.kind.span(),
                    format!("{}: a concat block needs at least one branch", label(layer)),
                );
                return None;
            }
            let branches = branches
                .iter()
                .map(|(b, l)| (b.clone(), specs(cx, l)))
                .collect();
            BlockWhat::Concat {
                name: name?,
                branches,
            }
        }
        "dense" => {
            let n = match args.take("layers") {
                Some(Value::Int(n, _)) if *n >= 1 => Some(*n),
                Some(v) => {
                    args.error(v.span(), "`layers` takes a count of at least 1");
                    None
                }
                None => {
                    let l = label(layer);
                    args.error(
                        layer.args_span,
                        format!(
                            "missing the number of layers, e.g. `{l}: dense(layers = 4) {{ .. }}`"
                        ),
                    );
                    None
                }
            };
            let body = layers(body)?;
            if body.is_empty() {
                cx.error(
                    layer.kind.span(),
                    format!("{}: a dense block needs at least one layer", label(layer)),
                );
                return None;
            }
            let keys = match args.take("keys") {
                None => Some(DenseKeys::default()),
                Some(Value::Str(s, span)) => match DenseKeys::parse(s) {
                    Some(k) => Some(k),
                    None => {
                        args.error(*span, format!("`keys = \"{s}\"`: write the layers' key with the first layer's number in braces, e.g. `\"denselayer{{1}}\"` (torchvision's DenseNet) or `\"{{0}}\"`"));
                        None
                    }
                },
                Some(v) => {
                    args.error(
                        v.span(),
                        "`keys` takes a string such as `\"denselayer{1}\"`",
                    );
                    None
                }
            };
            BlockWhat::Dense {
                name: name?,
                layers: n?,
                keys: keys?,
                body,
            }
        }
        "highway" => {
            let gate_k = match args.take("gate_k") {
                Some(Value::Int(k, _)) if k % 2 == 1 => *k,
                Some(v) => {
                    args.error(v.span(), "`gate_k` takes an odd kernel size, so the gate's \"same\" padding is whole");
                    1
                }
                None => 1,
            };
            let bias = args.float("gate_bias", -1.0);
            if !(-100.0..=100.0).contains(&bias) {
                args.error(
                    layer.args_span,
                    format!("`gate_bias` {bias} is out of range"),
                );
            }
            BlockWhat::Highway {
                name: name?,
                gate_k,
                gate_bias_milli: (bias * 1000.0).round() as i32,
                body: layers(body)?,
            }
        }
        _ => BlockWhat::Aux {
            name: name?,
            body: layers(body)?,
        },
    })
}

/// Both axes of a value written for maps.
/// The `(height, width)` of a per-axis value.
pub fn both(v: PerAxis) -> (u64, u64) {
    match v {
        PerAxis::One(n) => (n, n),
        PerAxis::Pair(a, b) | PerAxis::Triple(_, a, b) => (a, b),
    }
}

/// The depth of a per-axis value on a volume: a pair has none.
pub fn depth(v: PerAxis) -> Option<u64> {
    match v {
        PerAxis::One(n) | PerAxis::Triple(n, _, _) => Some(n),
        PerAxis::Pair(..) => None,
    }
}

/// The state-dict keys of a dense block's layers: `prefix{first + i}suffix`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DenseKeys {
    pub prefix: String,
    pub first: u64,
    pub suffix: String,
}

impl DenseKeys {
    /// `"denselayer{1}"`: a number in braces, once, in a key whose dotted
    /// segments are not empty.
    fn parse(s: &str) -> Option<DenseKeys> {
        let (prefix, rest) = s.split_once('{')?;
        let (first, suffix) = rest.split_once('}')?;
        let keys = DenseKeys {
            prefix: prefix.to_string(),
            first: first.trim().parse().ok()?,
            suffix: suffix.to_string(),
        };
        let sample = keys.key(0);
        let clean = !suffix.contains(['{', '}']) && sample.split('.').all(|seg| !seg.is_empty());
        clean.then_some(keys)
    }

    /// The key of layer `i` (from 0).
    pub fn key(&self, i: usize) -> String {
        format!("{}{}{}", self.prefix, self.first + i as u64, self.suffix)
    }
}
