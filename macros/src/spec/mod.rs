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
mod plain;
use args::Args;
use plain::{plain, skip_with_body};

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
        /// The head's loss weight in training.
        weight: f64,
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
    specs_in(cx, layers, false)
}

/// [`specs`], where `dense_layer` says the layers are a dense block's
/// layer: one generic block there may be the layer itself (`#[key = ""]`),
/// torchvision's `_DenseLayer` in a `_DenseBlock`.
fn specs_in(cx: &Ctxt, layers: &[Layer], dense_layer: bool) -> Vec<Spec> {
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
    let sole = dense_layer && layers.len() == 1;
    layers.iter().filter_map(|l| spec(cx, l, sole)).collect()
}

fn label(layer: &Layer) -> String {
    layer
        .name
        .as_ref()
        .map_or_else(|| layer.kind.to_string(), |n| n.to_string())
}

/// One layer decoded, or `None` (reported) when it cannot be.
/// One layer decoded; `sole_dense_layer` when it is all of a dense layer.
fn spec(cx: &Ctxt, layer: &Layer, sole_dense_layer: bool) -> Option<Spec> {
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
    // a generic block alone in a dense layer is that layer, whose key is
    // the level its tensors get
    let holds_layers = matches!(
        what,
        What::Block(_) | What::Layer(LayerWhat::Skip { body: Some(_), .. })
    ) || (sole_dense_layer
        && matches!(what, What::Layer(LayerWhat::Block { .. })));
    if key.as_deref() == Some("") && !holds_layers {
        cx.error(
            layer.kind.span(),
            format!("{}: only a block declared here, or a generic block that is all of a dense layer, can add no level to the keys (`#[key = \"\"]`); a layer's tensors need a name", label(layer)),
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
            let body = match body {
                Body::Layers(l) => specs_in(cx, l, true),
                Body::Branches(_) => layers(body)?,
            };
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
        _ => {
            let weight = args.float("weight", 0.3);
            if !(weight.is_finite() && weight >= 0.0) {
                args.error(
                    layer.args_span,
                    format!("`weight` {weight}: a head's loss weight is zero or positive"),
                );
            }
            BlockWhat::Aux {
                name: name?,
                weight,
                body: layers(body)?,
            }
        }
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
