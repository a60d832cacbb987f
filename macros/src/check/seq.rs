//! Sequences (`input: [C, L]`): checked as `C x 1 x L` maps whose windows
//! slide along the width alone, so conv1d and 1D pooling share the 2D rules.

use super::plan::*;
use super::{check_layer, err, label};
use crate::parse::Layer;

/// The layers that accept a sequence.
const ON_SEQ: &[&str] = &[
    "conv",
    "conv1d",
    "max_pool",
    "avg_pool",
    "l2_pool",
    "global_avg_pool",
    "global_max_pool",
    "flatten",
    "batch_norm",
    "lrn",
    "relu",
    "tanh",
    "sigmoid",
    "scaled_tanh",
    "dropout",
];

pub(super) fn check_on_seq(
    layer: &Layer,
    c: u64,
    l: Size,
    field: Option<Field>,
) -> syn::Result<Step> {
    let kind = layer.kind.to_string();
    if !ON_SEQ.contains(&kind.as_str()) {
        return err(
            layer.kind.span(),
            format!(
                "{}: `{kind}` does not take sequences ({c}x{l}); on a sequence use one of: {}",
                label(layer),
                ON_SEQ.join(", ")
            ),
        );
    }
    let maps = Shape::Maps {
        c,
        h: Size::Fixed(1),
        w: l,
    };
    let mut step = check_layer(layer, maps, field, true)?;
    if let Shape::Maps { c, w, .. } = step.out {
        step.out = Shape::Seq { c, l: w };
    }
    Ok(step)
}
