//! What the checker computes: shapes, operations and per-layer facts.

use proc_macro2::Span;
use syn::Ident;

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
    Maps {
        c: u64,
        h: Size,
        w: Size,
    },
    /// A sequence: `c` channels of length `l` (conv1d's input).
    Seq {
        c: u64,
        l: Size,
    },
    Flat(u64),
}

impl Shape {
    pub fn describe(&self) -> String {
        match self {
            Shape::Maps { c, h, w } => format!("{c}x{h}x{w}"),
            Shape::Seq { c, l } => format!("{c}x{l}"),
            Shape::Flat(f) => format!("{f}"),
        }
    }

    /// The per-sample sizes in order: `[c, h, w]`, `[c, l]` or `[f]`.
    pub fn sizes(&self) -> Vec<Size> {
        match *self {
            Shape::Maps { c, h, w } => vec![Size::Fixed(c), h, w],
            Shape::Seq { c, l } => vec![Size::Fixed(c), l],
            Shape::Flat(f) => vec![Size::Fixed(f)],
        }
    }

    /// What the shape is, for messages: "16x5x5 maps", "8x100 sequences".
    pub fn what(&self) -> String {
        match self {
            Shape::Maps { .. } => format!("{} maps", self.describe()),
            Shape::Seq { .. } => format!("{} sequences", self.describe()),
            Shape::Flat(f) => format!("{f} flat features"),
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
        /// Whether it adds a learned bias (`bias = false`: none).
        bias: bool,
    },
    /// Transposed convolution; `op` is the output padding per axis.
    ConvTranspose {
        cin: u64,
        out: u64,
        groups: u64,
        win: Window,
        op: (u64, u64),
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
    /// `T(x)·body(x) + (1 - T(x))·x` with a learned sigmoid gate `T`: a
    /// `gate_k` x `gate_k` convolution on maps ("same" padding), a linear map
    /// on features; its bias starts at `gate_bias_milli / 1000`.
    Highway {
        body: Vec<Step>,
        gate_k: u64,
        gate_bias_milli: i32,
    },
    /// An auxiliary head: a branch off the main path whose output is an
    /// extra result of `forward_train_aux`; the main path passes through.
    Aux {
        body: Vec<Step>,
        out: Shape,
    },
    /// A generic block (declared with `block`) used at `cin` input channels;
    /// its output shape is the use's annotation, checked by the compiler.
    Block {
        ty: Ident,
        cin: u64,
    },
    /// DenseNet: layer `i` sees the concatenation of the block's input and
    /// every earlier layer's output, and its own output is stacked on.
    Dense {
        layers: Vec<Vec<Step>>,
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
            Op::Conv {
                win, bias: false, ..
            } => format!("Conv2d {}x{} (no bias)", win.k.0, win.k.1),
            Op::Conv { win, .. } => format!("Conv2d {}x{}", win.k.0, win.k.1),
            Op::Subsample { k, .. } => format!("Subsample {k}x{k}"),
            Op::ConvTranspose { win, .. } => format!("ConvTranspose2d {}x{}", win.k.0, win.k.1),
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
            Op::Highway { gate_k, .. } => format!("Highway (gate {gate_k}x{gate_k})"),
            Op::Aux { .. } => "Auxiliary head".into(),
            Op::Block { ty, .. } => format!("{ty} (block)"),
            Op::Dense { layers } => format!("Dense ({} layers)", layers.len()),
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
    /// The shape the step receives.
    pub input: Shape,
}

impl Step {
    /// The kind column of the summary; a window on a sequence shows one size.
    pub fn kind_name(&self) -> String {
        match (&self.op, self.input) {
            (Op::Conv { win, .. }, Shape::Seq { .. }) => format!("Conv1d {}", win.k.1),
            (Op::Pool { kind, win }, Shape::Seq { .. }) => format!("{kind:?}Pool1d {}", win.k.1),
            _ => self.op.kind_name(),
        }
    }
}

pub struct Plan {
    pub input: Shape,
    pub steps: Vec<Step>,
}

impl Plan {
    /// The auxiliary heads (top level only) with their output shapes.
    pub fn aux_heads(&self) -> Vec<(&Ident, Shape)> {
        self.steps
            .iter()
            .filter_map(|s| match (&s.op, &s.name) {
                (Op::Aux { out, .. }, Some(name)) => Some((name, *out)),
                _ => None,
            })
            .collect()
    }
}
