//! The one IR that networks and generic blocks share: every step with the
//! shape it takes and gives, its parameters, multiply-adds and receptive
//! field. Layers that are fields carry their name in the op, so expansion
//! never has to ask whether a required name is there.

use proc_macro2::Span;
use syn::Ident;

pub use crate::size::Size;
pub use crate::spec::{Act, PoolKind, SkipJoin, Table, UnpoolKind};

/// A per-sample shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Maps {
        c: Size,
        h: Size,
        w: Size,
    },
    /// A sequence: `c` channels of length `l` (conv1d's input).
    Seq {
        c: Size,
        l: Size,
    },
    Flat(Size),
    /// Volumes: `c` channels of `d x h x w` (conv3d's input).
    Vol {
        c: Size,
        d: Size,
        h: Size,
        w: Size,
    },
}

impl Shape {
    pub fn describe(&self) -> String {
        self.sizes()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("x")
    }

    /// The per-sample sizes in order: `[c, h, w]`, `[c, l]` or `[f]`.
    pub fn sizes(&self) -> Vec<Size> {
        match self {
            Shape::Maps { c, h, w } => vec![c.clone(), h.clone(), w.clone()],
            Shape::Seq { c, l } => vec![c.clone(), l.clone()],
            Shape::Flat(f) => vec![f.clone()],
            Shape::Vol { c, d, h, w } => vec![c.clone(), d.clone(), h.clone(), w.clone()],
        }
    }

    pub fn channels(&self) -> &Size {
        match self {
            Shape::Maps { c, .. } | Shape::Seq { c, .. } | Shape::Vol { c, .. } => c,
            Shape::Flat(f) => f,
        }
    }

    /// What the shape is, for messages: "16x5x5 maps", "8x100 sequences".
    pub fn what(&self) -> String {
        match self {
            Shape::Maps { .. } => format!("{} maps", self.describe()),
            Shape::Seq { .. } => format!("{} sequences", self.describe()),
            Shape::Flat(f) => format!("{f} flat features"),
            Shape::Vol { .. } => format!("{} volumes", self.describe()),
        }
    }
}

/// Window hyper-parameters per axis `(y, x)`.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub k: (u64, u64),
    pub s: (u64, u64),
    pub p: (u64, u64),
    pub d: (u64, u64),
    pub round: splotnet_sizes::Round,
}

impl Window {
    /// A 1x1 window at `stride`: a projection shortcut's.
    pub fn projection(stride: (u64, u64)) -> Window {
        Window {
            k: (1, 1),
            s: stride,
            p: (0, 0),
            d: (1, 1),
            round: splotnet_sizes::Round::Floor,
        }
    }

    /// LeNet-5's subsampling window: `k` x `k` at stride `k`, no padding.
    pub fn subsample(k: u64) -> Window {
        Window {
            k: (k, k),
            s: (k, k),
            p: (0, 0),
            d: (1, 1),
            round: splotnet_sizes::Round::Floor,
        }
    }

    /// A "same" window of odd size `k` at stride 1: a highway gate's.
    pub fn same(k: u64) -> Window {
        Window {
            k: (k, k),
            s: (1, 1),
            p: ((k - 1) / 2, (k - 1) / 2),
            d: (1, 1),
            round: splotnet_sizes::Round::Floor,
        }
    }
}

#[derive(Clone)]
pub enum Op {
    Conv {
        name: Ident,
        cin: Size,
        out: Size,
        groups: u64,
        win: Window,
        /// A connection table: only listed input maps feed an output map.
        table: Option<Table>,
        bias: bool,
    },
    /// 3D convolution: `depth` is the depth axis's `(k, s, p, d)`, `win`
    /// the height's and width's.
    Conv3d {
        name: Ident,
        cin: Size,
        out: Size,
        groups: u64,
        depth: (u64, u64, u64, u64),
        win: Window,
        bias: bool,
    },
    /// 3D pooling: `depth` is the depth axis's `(k, s, p)`.
    Pool3d {
        kind: PoolKind,
        depth: (u64, u64, u64),
        win: Window,
    },
    /// Transposed convolution; `op` is the output padding per axis.
    ConvTranspose {
        name: Ident,
        cin: Size,
        out: Size,
        groups: u64,
        win: Window,
        op: (u64, u64),
        bias: bool,
    },
    /// LeNet's trainable subsampling: window sum x coefficient + bias, per map.
    Subsample {
        name: Ident,
        c: Size,
        k: u64,
    },
    Pool {
        kind: PoolKind,
        win: Window,
    },
    GlobalPool(PoolKind),
    /// Adaptive pooling to `out` maps.
    AdaptivePool {
        kind: PoolKind,
        out: (u64, u64),
    },
    Flatten,
    /// Unpooling by `s` per axis.
    Unpool {
        kind: UnpoolKind,
        s: (u64, u64),
    },
    /// The maps of the earlier step labelled `from` (of shape `from_shape`)
    /// joined to the current ones, centre-cropped to their size.
    Skip {
        join: SkipJoin,
        from: Ident,
        from_shape: Shape,
        /// The layers the earlier maps go through first, in the field named.
        body: Option<(Ident, Vec<Step>)>,
    },
    /// The current maps cropped at `offset` to the height and width of
    /// `to` (an earlier layer, or the input).
    Crop {
        to: Ident,
        offset: (u64, u64),
    },
    /// Max-unpooling with the switches of the earlier max pool `from`.
    MaxUnpool {
        from: Ident,
    },
    Linear {
        name: Ident,
        inp: Size,
        out: Size,
    },
    Act(Act),
    Dropout(f64),
    Lrn {
        n: u64,
        k: f64,
        alpha: f64,
        beta: f64,
    },
    /// Batch normalisation; `eps` and `momentum` as PyTorch's (1e-5, 0.1
    /// by default).
    BatchNorm {
        name: Ident,
        c: Size,
        eps: f64,
        momentum: f64,
    },
    /// `body(x) + shortcut(x)`; the shortcut is the identity or a 1x1
    /// projection at the body's stride.
    Residual {
        name: Ident,
        body: Vec<Step>,
        projection: Option<Projection>,
    },
    /// Branches on the same input, concatenated along channels.
    Concat {
        name: Ident,
        branches: Vec<(Ident, Vec<Step>)>,
    },
    /// `T(x)·body(x) + (1 - T(x))·x` with a learned sigmoid gate `T`: a
    /// `gate_k` x `gate_k` "same" convolution on maps, a linear map on
    /// features; its bias starts at `gate_bias_milli / 1000`.
    Highway {
        name: Ident,
        body: Vec<Step>,
        gate_k: u64,
        gate_bias_milli: i32,
    },
    /// An auxiliary head: a branch off the main path whose output is an
    /// extra result of `forward_train_aux`; the main path passes through.
    Aux {
        name: Ident,
        /// The head's loss weight in training.
        weight: f64,
        body: Vec<Step>,
        out: Shape,
    },
    /// A generic block used at `cin` input channels; its output is the
    /// use's annotation, checked by the compiler.
    Block {
        name: Ident,
        ty: syn::Path,
        cin: Size,
        /// The block's own size parameters at this use.
        sizes: Vec<Size>,
    },
    /// DenseNet: layer `i` sees the concatenation of the block's input and
    /// every earlier layer's output, and its own output is stacked on.
    Dense {
        name: Ident,
        layers: Vec<Vec<Step>>,
        /// Each layer's state-dict key.
        keys: crate::spec::DenseKeys,
    },
}

/// The 1x1 convolution that lets a residual shortcut match its body's output.
#[derive(Clone, Debug)]
pub struct Projection {
    pub cin: Size,
    pub out: Size,
    pub stride: (u64, u64),
    /// torchvision's downsample: no bias, batch norm after the conv.
    pub norm: bool,
}

/// Receptive field and jump (stride product) per axis, in input pixels.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub r: (u64, u64),
    pub j: (u64, u64),
}

impl Field {
    pub const UNIT: Field = Field {
        r: (1, 1),
        j: (1, 1),
    };
}

#[derive(Clone)]
pub struct Step {
    pub label: Option<Ident>,
    /// The field's state-dict key when it is not the name (`#[key = ..]`).
    pub key: Option<String>,
    pub op: Op,
    pub input: Shape,
    pub out: Shape,
    /// Trainable parameters (of this step alone, not of a block's body).
    pub params: Size,
    /// Multiply-adds per sample, where the macro can count them.
    pub macs: Option<Size>,
    pub field: Option<Field>,
    pub span: Span,
}

impl Step {
    /// The field holding the step's parameters or layers, if it has one.
    pub fn field_name(&self) -> Option<&Ident> {
        match &self.op {
            Op::Conv { name, .. }
            | Op::ConvTranspose { name, .. }
            | Op::Conv3d { name, .. }
            | Op::Subsample { name, .. }
            | Op::Linear { name, .. }
            | Op::BatchNorm { name, .. }
            | Op::Residual { name, .. }
            | Op::Concat { name, .. }
            | Op::Highway { name, .. }
            | Op::Aux { name, .. }
            | Op::Block { name, .. }
            | Op::Dense { name, .. } => Some(name),
            Op::Skip {
                body: Some((name, _)),
                ..
            } => Some(name),
            Op::Pool { .. }
            | Op::Pool3d { .. }
            | Op::AdaptivePool { .. }
            | Op::GlobalPool(_)
            | Op::Flatten
            | Op::Unpool { .. }
            | Op::Skip { body: None, .. }
            | Op::Crop { .. }
            | Op::MaxUnpool { .. }
            | Op::Act(_)
            | Op::Dropout(_)
            | Op::Lrn { .. } => None,
        }
    }

    /// The kind column of the summary; a window on a sequence shows one size.
    pub fn kind_name(&self) -> String {
        let seq = matches!(self.input, Shape::Seq { .. });
        match &self.op {
            Op::Conv { win, .. } if seq => format!("Conv1d {}", win.k.1),
            Op::Pool { kind, win } if seq => format!("{kind:?}Pool1d {}", win.k.1),
            Op::Conv {
                win,
                table: Some(t),
                ..
            } => {
                let t = match t {
                    Table::LeNet5(_) => "lenet5".to_string(),
                    Table::Path(p) => crate::spec::path_text(p),
                };
                format!("Conv2d {}x{} ({t} table)", win.k.0, win.k.1)
            }
            Op::Conv {
                win, bias: false, ..
            } => format!("Conv2d {}x{} (no bias)", win.k.0, win.k.1),
            Op::Conv { win, .. } => format!("Conv2d {}x{}", win.k.0, win.k.1),
            Op::Subsample { k, .. } => format!("Subsample {k}x{k}"),
            Op::Conv3d {
                depth, win, bias, ..
            } => format!(
                "Conv3d {}x{}x{}{}",
                depth.0,
                win.k.0,
                win.k.1,
                if *bias { "" } else { " (no bias)" }
            ),
            Op::Pool3d { kind, depth, win } => {
                format!("{kind:?}Pool3d {}x{}x{}", depth.0, win.k.0, win.k.1)
            }
            Op::ConvTranspose {
                win, bias: false, ..
            } => format!("ConvTranspose2d {}x{} (no bias)", win.k.0, win.k.1),
            Op::ConvTranspose { win, .. } => format!("ConvTranspose2d {}x{}", win.k.0, win.k.1),
            Op::Pool { kind, win } => format!("{kind:?}Pool {}x{}", win.k.0, win.k.1),
            Op::GlobalPool(kind) => format!("Global{kind:?}Pool"),
            Op::AdaptivePool { kind, out } => format!("Adaptive{kind:?}Pool {}x{}", out.0, out.1),
            Op::Flatten => "Flatten".into(),
            Op::Unpool {
                kind: UnpoolKind::Nearest,
                s,
            } => format!("NearestUnpool {}x{}", s.0, s.1),
            Op::Unpool { s, .. } => format!("BedOfNails {}x{}", s.0, s.1),
            Op::MaxUnpool { from } => format!("MaxUnpool (switches of {from})"),
            Op::Skip {
                join,
                from,
                from_shape,
                body,
            } => {
                let via = body
                    .as_ref()
                    .and_then(|(_, b)| b.last())
                    .and_then(|l| l.label.as_ref())
                    .map_or(String::new(), |l| format!(" via {l}"));
                format!(
                    "{}(from = {from}, {}){via}",
                    join.kind(),
                    from_shape.describe()
                )
            }
            Op::Crop { to, offset } => format!("Crop to {to} at ({}, {})", offset.0, offset.1),
            Op::Linear { .. } => "Linear".into(),
            Op::Act(a) => format!("{a:?}"),
            Op::Dropout(p) => format!("Dropout {p}"),
            Op::Lrn { n, .. } => format!("LRN n={n}"),
            Op::BatchNorm { eps, momentum, .. } if (*eps, *momentum) != (1e-5, 0.1) => {
                format!("BatchNorm2d (eps {eps}, momentum {momentum})")
            }
            Op::BatchNorm { .. } => "BatchNorm2d".into(),
            Op::Residual {
                projection: Some(Projection { norm: true, .. }),
                ..
            } => "Residual (downsample)".into(),
            Op::Residual {
                projection: Some(_),
                ..
            } => "Residual (projection)".into(),
            Op::Residual { .. } => "Residual (identity)".into(),
            Op::Concat { branches, .. } => format!("Concat ({} branches)", branches.len()),
            Op::Highway { gate_k, .. } => format!("Highway (gate {gate_k}x{gate_k})"),
            Op::Aux { .. } => "Auxiliary head".into(),
            Op::Block { ty, sizes, .. } if sizes.is_empty() => {
                format!("{} (block)", crate::spec::path_text(ty))
            }
            Op::Block { ty, sizes, .. } => {
                let sizes: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
                format!(
                    "{}<{}> (block)",
                    crate::spec::path_text(ty),
                    sizes.join(", ")
                )
            }
            Op::Dense { layers, .. } => format!("Dense ({} layers)", layers.len()),
        }
    }

    /// Multiply-adds of the step's own weights (convolutions, linear
    /// layers, a residual's projection, a highway's gate), the count
    /// torchvision and most papers report; batch norm, pooling and
    /// activations add none. `None` for a generic block's use (the block
    /// counts its own) or an unknown size.
    pub fn weight_macs(&self) -> Option<Size> {
        match &self.op {
            Op::Conv { .. }
            | Op::Conv3d { .. }
            | Op::ConvTranspose { .. }
            | Op::Linear { .. }
            | Op::Highway { .. } => self.macs.clone(),
            Op::Residual {
                projection: Some(p),
                ..
            } => match &self.out {
                Shape::Maps { h, w, .. } => {
                    crate::infer::plane(h, w).map(|plane| plane.mul(&p.cin).mul(&p.out))
                }
                _ => None,
            },
            Op::Block { .. } => None,
            _ => Some(Size::Fixed(0)),
        }
    }

    /// The steps nested in this one, with the dotted prefix of their names.
    pub fn children(&self) -> Vec<(String, &[Step])> {
        match &self.op {
            Op::Residual { body, .. } | Op::Highway { body, .. } | Op::Aux { body, .. } => {
                vec![(String::new(), body.as_slice())]
            }
            Op::Skip {
                body: Some((_, body)),
                ..
            } => vec![(String::new(), body.as_slice())],
            Op::Concat { branches, .. } => branches
                .iter()
                .map(|(b, s)| (format!("{b}."), s.as_slice()))
                .collect(),
            Op::Dense { layers, .. } => layers
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("{i}."), s.as_slice()))
                .collect(),
            _ => vec![],
        }
    }
}

/// The generic block that is all of a dense layer (`#[key = ""]`, as
/// torchvision's `_DenseLayer`): the layer's field is the block itself.
pub fn bare_block(layer: &[Step]) -> Option<&Step> {
    match layer {
        [s] if s.key.as_deref() == Some("") && matches!(s.op, Op::Block { .. }) => Some(s),
        _ => None,
    }
}

/// A checked declaration: a network, or a generic block over `params`
/// (the names of its input's channels, height and width).
pub struct Plan {
    pub input: Shape,
    pub steps: Vec<Step>,
    pub generic: Option<[Ident; 3]>,
    /// Size parameters: a generic block's own (after `C`), or a network's.
    pub size_params: Vec<Ident>,
    /// A network's size parameters' defaults.
    pub size_defaults: Vec<Option<u64>>,
}

impl Plan {
    pub fn output(&self) -> &Shape {
        self.steps.last().map_or(&self.input, |s| &s.out)
    }

    /// The auxiliary heads (top level only) with their output shapes and
    /// loss weights.
    pub fn aux_heads(&self) -> Vec<(&Ident, &Shape, f64)> {
        self.steps
            .iter()
            .filter_map(|s| match &s.op {
                Op::Aux {
                    name, out, weight, ..
                } => Some((name, out, *weight)),
                _ => None,
            })
            .collect()
    }
}
