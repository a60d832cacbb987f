//! The one table of what `network!` accepts: every layer and block kind,
//! its arguments and what it does. The table gives the parser's "expected
//! one of" messages, which kinds take sequences and which need a name, and
//! the grammar tables in `splotnet::dsl` (through `grammar_table!`).

/// One kind of layer or block.
pub struct Kind {
    pub name: &'static str,
    /// How it is written, for the docs.
    pub usage: &'static str,
    /// Its optional arguments, for the docs.
    pub args: &'static str,
    pub notes: &'static str,
    /// It holds parameters or layers, so it is a field and needs a name.
    pub named: bool,
    /// It accepts a sequence (`input: [C, L]`).
    pub on_seq: bool,
}

const fn kind(
    name: &'static str,
    usage: &'static str,
    args: &'static str,
    notes: &'static str,
    named: bool,
    on_seq: bool,
) -> Kind {
    Kind {
        name,
        usage,
        args,
        notes,
        named,
        on_seq,
    }
}

pub const LAYERS: &[Kind] = &[
    kind("conv", "conv(O, k = K)", "`s`, `p` (number, `(h, w)` or `same`), `d`, `groups`, `bias` (`true`, or `false` for none), `inputs`, `table` (`lenet5` or a path to a `ConnectionTable` type), flag `exact`", "2D cross-correlation with bias; on a sequence, 1D; `O` may be arithmetic on a block's `C` (`C / 4`, `2 * C`)", true, true),
    kind("conv1d", "conv1d(O, k = K)", "as `conv`", "`conv` on a sequence", true, true),
    kind("conv3d", "conv3d(O, k = K)", "as `conv`, each per-axis argument a number or `(depth, height, width)`", "3D cross-correlation on volumes (`input: [C, D, H, W]`); `conv` on a volume is the same", true, false),
    kind("conv_transpose", "conv_transpose(O, k = K)", "`s`, `p`, `op` (output padding, below `s`), `d`, `groups`, `bias` (`false` for none)", "transposed convolution (up-convolution)", true, false),
    kind("subsample", "subsample(k = K)", "", "LeNet's trainable subsampling: window sum × coefficient + bias, per map", true, false),
    kind("batch_norm", "batch_norm", "`eps` (default 1e-5), `momentum` (default 0.1)", "per-channel batch normalisation, PyTorch's running statistics", true, true),
    kind("max_pool", "max_pool(k = K)", "`s` (default `k`), `p`, flag `exact` or `ceil` (PyTorch's `ceil_mode`)", "", false, true),
    kind("avg_pool", "avg_pool(k = K)", "`s` (default `k`), `p`, flag `exact`", "", false, true),
    kind("l2_pool", "l2_pool(k = K)", "as `avg_pool`", "", false, true),
    kind("adaptive_avg_pool", "adaptive_avg_pool(OH, OW)", "one number for a square output", "any input size to `OH x OW` maps, PyTorch's window rule", false, false),
    kind("adaptive_max_pool", "adaptive_max_pool(OH, OW)", "as `adaptive_avg_pool`", "", false, false),
    kind("global_avg_pool", "global_avg_pool", "", "maps to features", false, true),
    kind("global_max_pool", "global_max_pool", "", "maps to features", false, true),
    kind("nn_unpool", "nn_unpool(S)", "`(SH, SW)` for a factor per axis", "nearest-neighbour unpooling: each value fills its `S x S` block", false, false),
    kind("bed_of_nails", "bed_of_nails(S)", "as `nn_unpool`", "each value in its block's top-left cell, zeros elsewhere", false, false),
    kind("max_unpool", "max_unpool(from = POOL)", "", "each value back where the earlier `max_pool` named `POOL` (same scope, networks only) found its window's maximum, zeros elsewhere; the input must be that pool's output shape", false, false),
    kind("crop_concat", "crop_concat(from = NAME)", "a body, as `add`", "U-Net's copy and crop: the maps of earlier layer `NAME` (same scope, networks only) centre-cropped to the current size and stacked before the current maps; the crop must be whole", false, false),
    kind("add", "add(from = NAME)", "a body `{ layers }` (then it needs a name) that the earlier maps go through first", "the maps of earlier layer `NAME`, centre-cropped, added to the current ones (same channels): FCN's score fusion", false, false),
    kind("crop", "crop(to = NAME)", "`to = input` for the network's input", "the current maps cropped to the size of earlier layer `NAME` at the offset where the two line up (the receptive fields' centres, as Caffe's FCN crops); the offset must be whole", false, false),
    kind("flatten", "flatten", "", "static sizes only", false, true),
    kind("linear", "linear(O)", "`inputs`", "", true, false),
    kind("relu", "relu", "", "", false, true),
    kind("tanh", "tanh", "", "", false, true),
    kind("sigmoid", "sigmoid", "", "", false, true),
    kind("scaled_tanh", "scaled_tanh", "", "LeCun's `1.7159 tanh(2a/3)`", false, true),
    kind("dropout", "dropout", "`p` (default 0.5)", "active in `forward_train` only", false, true),
    kind("lrn", "lrn", "`n`, `k`, `alpha`, `beta` (AlexNet's by default)", "local response normalisation", false, true),
    kind("block", "block(Name)", "size arguments `block(Name<64, C / 2>)` for a block declared with size parameters", "a generic block declared with `block`; its output is stated with `-> [..]`", true, false),
];

pub const BLOCKS: &[Kind] = &[
    kind(
        "residual",
        "residual { .. }",
        "flag `project`",
        "the body's output plus the input (or its 1x1 projection)",
        true,
        false,
    ),
    kind(
        "concat",
        "concat { b1: [..], .. }",
        "",
        "branches on the same input, maps stacked along channels",
        true,
        false,
    ),
    kind(
        "dense",
        "dense(layers = n) { .. }",
        "`keys` (default `\"{0}\"`: the layers' state-dict keys, `{N}` counting from N: `\"denselayer{1}\"`)",
        "layer `i` sees the input and every earlier layer's maps, stacked",
        true,
        false,
    ),
    kind(
        "highway",
        "highway { .. }",
        "`gate_k` (odd, default 1), `gate_bias` (default -1)",
        "`T·body(x) + (1-T)·x`, `T` a sigmoid gate (a same-size conv, or linear on features)",
        true,
        false,
    ),
    kind(
        "aux",
        "aux { .. }",
        "`weight` (default 0.3, GoogLeNet's): its loss's weight in `train::fit`",
        "an auxiliary head on the main path; `forward_train_aux` returns its output",
        true,
        false,
    ),
];

/// The kinds that take volumes (`input: [C, D, H, W]`): 3D convolution and
/// pooling, and the per-channel and per-value layers.
pub const ON_VOLUMES: &[&str] = &[
    "conv",
    "conv3d",
    "max_pool",
    "avg_pool",
    "batch_norm",
    "relu",
    "tanh",
    "sigmoid",
    "scaled_tanh",
    "dropout",
    "global_avg_pool",
    "global_max_pool",
];

pub fn layer(name: &str) -> Option<&'static Kind> {
    LAYERS.iter().find(|k| k.name == name)
}

pub fn block(name: &str) -> Option<&'static Kind> {
    BLOCKS.iter().find(|k| k.name == name)
}

/// `a, b, c`: the names of `kinds` (those that `keep`).
pub fn names(kinds: &[Kind], keep: impl Fn(&Kind) -> bool) -> String {
    kinds
        .iter()
        .filter(|k| keep(k))
        .map(|k| k.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown table of `kinds` for the grammar docs.
pub fn markdown(kinds: &[Kind], what: &str) -> String {
    let mut s = format!("| {what} | arguments | notes |\n|---|---|---|\n");
    for k in kinds {
        let notes = match (k.named, k.notes) {
            (true, "") => "needs a name".to_string(),
            (true, n) => format!("{n}; needs a name"),
            (false, n) => n.to_string(),
        };
        s += &format!("| `{}` | {} | {} |\n", k.usage, k.args, notes);
    }
    s
}
