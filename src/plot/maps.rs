//! Weights and activations as pictures: the first layer's filters on a
//! grey scale centred on zero, and a sample's output at every layer on a
//! viridis colour scale, each with its legend.

use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};

use super::text::{LABEL_PX, TITLE_PX};
use super::{Canvas, Rgb, BLACK, WHITE};
use crate::inspect::Activation;
use crate::Error;

/// How values become colours on a picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColourScale {
    /// Black at the least value, white at the greatest: for weights, whose
    /// sign matters more than hue (the scale is centred on zero).
    Grey,
    /// Dark blue through green to yellow, even in perceived brightness: for
    /// activations, where neighbouring values should stay distinguishable.
    Viridis,
}

impl ColourScale {
    /// The colour of `v` on `lo..=hi` (the middle when the range is empty).
    pub fn colour(self, v: f32, lo: f32, hi: f32) -> Rgb {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        match self {
            ColourScale::Grey => [(t * 255.0).round() as u8; 3],
            ColourScale::Viridis => {
                let c = ViridisRGB.get_color_normalized(t, 0.0, 1.0);
                [c.0, c.1, c.2]
            }
        }
    }

    /// A `width x height` ramp from the least colour (left) to the greatest.
    fn ramp(self, width: usize, height: usize) -> Canvas {
        let mut c = Canvas::new(width, height, WHITE);
        for x in 0..width {
            let colour = self.colour(x as f32, 0.0, width.saturating_sub(1) as f32);
            c.rect(x as i64, 0, 1, height as i64, colour);
        }
        c
    }
}

/// Draws a `h x w` map from `values` scaled (nearest neighbour) to fit a
/// `tw x th` tile.
fn tile(
    values: &[f32],
    (h, w): (usize, usize),
    (th, tw): (usize, usize),
    scale: ColourScale,
    (lo, hi): (f32, f32),
) -> Canvas {
    let mut c = Canvas::new(tw, th, WHITE);
    for y in 0..th {
        for x in 0..tw {
            let v = values[(y * h / th) * w + x * w / tw];
            c.set(x as i64, y as i64, scale.colour(v, lo, hi));
        }
    }
    c
}

/// The legend's ramp, and the gap on each side of it.
const RAMP: (usize, usize) = (120, 12);
const RAMP_GAP: i64 = 6;

/// The width of a [`legend`] with these labels.
fn legend_width(left: &str, right: &str) -> crate::Result<usize> {
    let labels = Canvas::text_width(left, LABEL_PX)? + Canvas::text_width(right, LABEL_PX)?;
    Ok((labels + 2 * RAMP_GAP) as usize + RAMP.0)
}

/// A legend: `left` label, the scale's ramp, `right` label, from `(x, y)`.
fn legend(
    c: &mut Canvas,
    (x, y): (i64, i64),
    scale: ColourScale,
    left: &str,
    right: &str,
) -> crate::Result<()> {
    c.text(x, y, left, LABEL_PX, BLACK)?;
    let ramp_x = x + Canvas::text_width(left, LABEL_PX)? + RAMP_GAP;
    c.blit(&scale.ramp(RAMP.0, RAMP.1), ramp_x, y + 1);
    let right_x = ramp_x + RAMP.0 as i64 + RAMP_GAP;
    c.text(right_x, y, right, LABEL_PX, BLACK)
}

/// The `count` filters of `kh x kw` in `weights` (one input channel each,
/// or the first of several), side by side on a shared grey scale: mid grey
/// is zero, white the largest positive weight, black its negative; the
/// legend below gives the weights at both ends.
pub fn filter_grid(
    weights: &[f32],
    count: usize,
    kh: usize,
    kw: usize,
    scale: usize,
) -> crate::Result<Canvas> {
    let per = weights.len() / count.max(1);
    if count == 0 || per < kh * kw || weights.len() % count != 0 {
        return Err(Error::shape(
            "filter_grid",
            format!(
                "{} weights do not hold {count} filters of {kh}x{kw}",
                weights.len()
            ),
        ));
    }
    let max = weights
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(1e-12);
    let gap = 2 * scale;
    let (tw, th) = (kw * scale, kh * scale);
    let (low, high) = (format!("{:.3}", -max), format!("{max:.3}"));
    let width = (count * (tw + gap) + gap).max(legend_width(&low, &high)? + 2 * gap);
    let mut c = Canvas::new(width, th + 2 * gap + 24, WHITE);
    for i in 0..count {
        let filter = &weights[i * per..i * per + kh * kw];
        let t = tile(filter, (kh, kw), (th, tw), ColourScale::Grey, (-max, max));
        c.blit(&t, (gap + i * (tw + gap)) as i64, gap as i64);
    }
    legend(
        &mut c,
        (gap as i64, (th + 2 * gap) as i64),
        ColourScale::Grey,
        &low,
        &high,
    )?;
    Ok(c)
}

/// A row per layer, every layer of `activations`: its name and up to
/// `max_maps` of its maps (`[C, H, W]` larger than 1x1) drawn `tile_px`
/// pixels wide, or its values as one strip (vectors such as class scores,
/// and 1x1 maps); each map and strip on its own viridis scale from its least
/// value to its greatest, drawn as a legend beside `caption` above the rows.
pub fn feature_maps(
    activations: &[Activation],
    max_maps: usize,
    tile_px: usize,
    caption: &str,
) -> crate::Result<Canvas> {
    let is_maps = |a: &Activation| matches!(a.shape.as_slice(), [_, h, w] if h * w > 1);
    let (gap, band, strip_h) = (6usize, 32usize, (tile_px / 3).max(8));
    let mut label_w = 0;
    for a in activations {
        label_w = label_w.max(Canvas::text_width(&a.name, LABEL_PX)? as usize);
    }
    label_w += 16;
    let most = activations
        .iter()
        .filter(|a| is_maps(a))
        .map(|a| a.shape[0].min(max_maps))
        .max()
        .unwrap_or(0)
        .max(4);
    let caption_w = Canvas::text_width(caption, TITLE_PX)?.max(0) as usize;
    let legend_x = 16 + caption_w + 32;
    let width =
        (label_w + most * (tile_px + gap) + gap).max(legend_x + legend_width("min", "max")? + gap);
    let row_h = |a: &Activation| if is_maps(a) { tile_px } else { strip_h };
    let height = band + activations.iter().map(|a| row_h(a) + gap).sum::<usize>() + gap;
    let mut c = Canvas::new(width, height, WHITE);
    c.text(8, 6, caption, TITLE_PX, BLACK)?;
    legend(
        &mut c,
        (legend_x as i64, 9),
        ColourScale::Viridis,
        "min",
        "max",
    )?;
    let range = |v: &[f32]| {
        v.iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, u), &x| {
                (l.min(x), u.max(x))
            })
    };
    let mut top = band + gap;
    for a in activations {
        let h_row = row_h(a);
        c.text(8, (top + h_row / 2) as i64 - 8, &a.name, LABEL_PX, BLACK)?;
        if is_maps(a) {
            let (h, w) = (a.shape[1], a.shape[2]);
            let long = h.max(w).max(1);
            let fit = ((tile_px * h / long).max(1), (tile_px * w / long).max(1));
            for m in 0..a.shape[0].min(max_maps) {
                let map = &a.values[m * h * w..(m + 1) * h * w];
                let t = tile(map, (h, w), fit, ColourScale::Viridis, range(map));
                c.blit(&t, (label_w + m * (tile_px + gap)) as i64, top as i64);
            }
        } else if !a.values.is_empty() {
            let strip_w = width - label_w - gap;
            let t = tile(
                &a.values,
                (1, a.values.len()),
                (h_row, strip_w),
                ColourScale::Viridis,
                range(&a.values),
            );
            c.blit(&t, label_w as i64, top as i64);
        }
        top += h_row + gap;
    }
    Ok(c)
}
