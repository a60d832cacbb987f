//! The plain layers' arguments, decoded by kind: `conv`, the pools, the
//! unpoolings, the skips and crops, `linear`, the activations, `block`.

use super::args::Args;
use super::*;

pub(super) fn plain(args: &mut Args, kind: &str) -> Option<LayerWhat> {
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
            let from = args.word(
                "from",
                "name the max pool whose switches this unpooling reads, e.g. `max_unpool(from = p1)`",
            )?;
            LayerWhat::MaxUnpool { from }
        }
        "crop_concat" | "add" => {
            let join = if kind == "add" {
                SkipJoin::Add
            } else {
                SkipJoin::CropConcat
            };
            let from = args.word(
                "from",
                format!("name the earlier layer whose maps join here, e.g. `{k}(from = d1)`"),
            )?;
            LayerWhat::Skip {
                join,
                from,
                body: None,
            }
        }
        "crop" => {
            let to = args.word(
                "to",
                "name the layer (or `input`) whose size to crop to, e.g. `crop(to = input)`",
            )?;
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
pub(super) fn skip_with_body(args: &mut Args, kind: &str, body: &Body) -> Option<LayerWhat> {
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
