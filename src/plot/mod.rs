//! Pictures of a training run, as PNG: loss, accuracy and learning-rate
//! curves, the first layer's filters, and a sample's outputs at every
//! layer.
//!
//! Everything is drawn here on a small RGB [`Canvas`] with a 5x7 bitmap
//! font, and encoded by the `image` crate.
//!
//! ```
//! use splotnet::plot::{filter_grid, Canvas};
//!
//! // two 3x3 filters
//! let weights = [1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0,
//!                0.0, 1.0, 0.0, 1.0, -4.0, 1.0, 0.0, 1.0, 0.0];
//! let picture: Canvas = filter_grid(&weights, 2, 3, 3, 8).unwrap();
//! assert!(picture.to_png().unwrap().starts_with(b"\x89PNG"));
//! ```

mod canvas;
mod font;
mod segment;

pub use canvas::{Canvas, Rgb, BLACK, BLUE, GREEN, GRID, ORANGE, WHITE};
pub use segment::{segmentation_curves, segmentation_grid, CLASS_COLOURS};

use crate::train::EpochMetrics;
use crate::Error;

pub use crate::inspect::Activation;

/// Grey level of `v` on `lo..=hi`.
fn grey(v: f32, lo: f32, hi: f32) -> Rgb {
    let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let g = (t.clamp(0.0, 1.0) * 255.0).round() as u8;
    [g, g, g]
}

/// Draws a `h x w` map from `values`, each value `scale` pixels square.
fn tile(values: &[f32], h: usize, w: usize, scale: usize, lo: f32, hi: f32) -> Canvas {
    let mut c = Canvas::new(w * scale, h * scale, WHITE);
    for y in 0..h {
        for x in 0..w {
            let s = scale as i64;
            c.rect(
                x as i64 * s,
                y as i64 * s,
                s,
                s,
                grey(values[y * w + x], lo, hi),
            );
        }
    }
    c
}

/// The `count` filters of `kh x kw` in `weights` (one input channel each,
/// or the first of several), side by side on a shared grey scale: mid grey
/// is zero, white the largest positive weight.
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
    let mut c = Canvas::new(count * (tw + gap) + gap, th + 2 * gap, WHITE);
    for i in 0..count {
        let t = tile(
            &weights[i * per..i * per + kh * kw],
            kh,
            kw,
            scale,
            -max,
            max,
        );
        c.blit(&t, (gap + i * (tw + gap)) as i64, gap as i64);
    }
    Ok(c)
}

/// Draws a `h x w` map scaled (nearest neighbour) to fit a `size` square.
fn tile_fit(values: &[f32], h: usize, w: usize, size: usize, lo: f32, hi: f32) -> Canvas {
    let long = h.max(w).max(1);
    let (th, tw) = ((size * h / long).max(1), (size * w / long).max(1));
    let mut c = Canvas::new(tw, th, WHITE);
    for y in 0..th {
        for x in 0..tw {
            let v = values[(y * h / th) * w + x * w / tw];
            c.set(x as i64, y as i64, grey(v, lo, hi));
        }
    }
    c
}

/// A row per layer, every layer of `activations`: its name and up to
/// `max_maps` of its maps (`[C, H, W]` larger than 1x1) drawn `tile_px`
/// pixels wide, or its values as one strip (vectors such as class scores,
/// and 1x1 maps); each map and strip on its own grey scale, black its least
/// value and white its greatest, drawn as a legend beside `caption` above
/// the rows.
pub fn feature_maps(
    activations: &[Activation],
    max_maps: usize,
    tile_px: usize,
    caption: &str,
) -> Canvas {
    let is_maps = |a: &Activation| matches!(a.shape.as_slice(), [_, h, w] if h * w > 1);
    let (gap, band, strip_h) = (6usize, 28usize, (tile_px / 3).max(8));
    let label_w = activations
        .iter()
        .map(|a| Canvas::text_width(&a.name, 2))
        .max()
        .unwrap_or(0) as usize
        + 16;
    let most = activations
        .iter()
        .filter(|a| is_maps(a))
        .map(|a| a.shape[0].min(max_maps))
        .max()
        .unwrap_or(0)
        .max(4);
    let legend_w = 120;
    let caption_w = Canvas::text_width(caption, 2).max(0) as usize;
    let width = (label_w + most * (tile_px + gap) + gap).max(16 + caption_w + 40 + legend_w + 80);
    let row_h = |a: &Activation| if is_maps(a) { tile_px } else { strip_h };
    let height = band + activations.iter().map(|a| row_h(a) + gap).sum::<usize>() + gap;
    let mut c = Canvas::new(width, height, WHITE);
    c.text(8, 8, caption, 2, BLACK);
    // the legend: one grey ramp from a map's least to its greatest value
    let lx = (16 + caption_w + 40) as i64;
    c.text(lx, 10, "MIN", 1, BLACK);
    let ramp_x = lx + Canvas::text_width("MIN", 1) + 6;
    for x in 0..legend_w {
        let g = grey(x as f32, 0.0, (legend_w - 1) as f32);
        c.rect(ramp_x + x as i64, 8, 1, 12, g);
    }
    c.text(ramp_x + legend_w as i64 + 6, 10, "MAX", 1, BLACK);
    let range = |v: &[f32]| {
        v.iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, u), &x| {
                (l.min(x), u.max(x))
            })
    };
    let mut top = (band + gap) as i64;
    for a in activations {
        let h_row = row_h(a) as i64;
        c.text(
            8,
            top + (h_row - Canvas::text_height(2)) / 2,
            &a.name,
            2,
            BLACK,
        );
        if is_maps(a) {
            let (h, w) = (a.shape[1], a.shape[2]);
            for m in 0..a.shape[0].min(max_maps) {
                let map = &a.values[m * h * w..(m + 1) * h * w];
                let (lo, hi) = range(map);
                let t = tile_fit(map, h, w, tile_px, lo, hi);
                c.blit(&t, (label_w + m * (tile_px + gap)) as i64, top);
            }
        } else if !a.values.is_empty() {
            let (lo, hi) = range(&a.values);
            let strip_w = width - label_w - gap;
            let n = a.values.len();
            for x in 0..strip_w {
                let v = a.values[x * n / strip_w];
                c.rect((label_w + x) as i64, top, 1, h_row, grey(v, lo, hi));
            }
        }
        top += h_row + gap as i64;
    }
    c
}

/// Axis ticks covering `[lo, hi]` at a round step (1, 2 or 5 times a power
/// of ten, about four steps), and the decimals their labels need.
pub fn nice_ticks(lo: f32, hi: f32) -> (Vec<f32>, usize) {
    let raw = ((hi - lo) / 4.0).max(1e-12);
    let magnitude = 10f32.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw * 0.999)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step + 1e-4).floor();
    let last = (hi / step - 1e-4).ceil();
    let ticks = (0..=(last - first) as i64)
        .map(|k| (first + k as f32) * step)
        .collect();
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    (ticks, decimals)
}

/// A panel of series over epochs: `series` are (name, colour, values).
fn panel(title: &str, series: &[(&str, Rgb, Vec<f32>)], width: usize, height: usize) -> Canvas {
    let mut c = Canvas::new(width, height, WHITE);
    let (left, right, top, bottom) = (70i64, 16i64, 40i64, 40i64);
    let (pw, ph) = (width as i64 - left - right, height as i64 - top - bottom);
    c.text(left, 12, title, 2, BLACK);
    let all = series.iter().flat_map(|s| s.2.iter().copied());
    let (mut lo, mut hi) = all.fold((f32::INFINITY, f32::NEG_INFINITY), |(l, u), v| {
        (l.min(v), u.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-6 {
        let pad = (lo.abs() * 0.1).max(1e-3);
        (lo, hi) = (lo - pad, hi + pad);
    }
    let (ticks, decimals) = nice_ticks(lo, hi);
    (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    let n = series.iter().map(|s| s.2.len()).max().unwrap_or(0);
    let to_x = |i: usize| {
        left + if n > 1 {
            i as i64 * pw / (n as i64 - 1)
        } else {
            pw / 2
        }
    };
    let to_y = |v: f32| top + ((hi - v) / (hi - lo) * ph as f32).round() as i64;
    for &v in &ticks {
        let y = to_y(v);
        c.line((left, y), (left + pw, y), 1, GRID);
        let label = format!("{v:.decimals$}");
        c.text(
            left - 8 - Canvas::text_width(&label, 1),
            y - 3,
            &label,
            1,
            BLACK,
        );
    }
    c.line((left, top), (left, top + ph), 1, BLACK);
    c.line((left, top + ph), (left + pw, top + ph), 1, BLACK);
    for i in 0..n {
        let label = (i + 1).to_string();
        c.text(
            to_x(i) - Canvas::text_width(&label, 1) / 2,
            top + ph + 8,
            &label,
            1,
            BLACK,
        );
    }
    c.text(
        left + pw / 2 - Canvas::text_width("EPOCH", 1) / 2,
        top + ph + 22,
        "EPOCH",
        1,
        BLACK,
    );
    let mut legend_x = left + Canvas::text_width(title, 2) + 24;
    for (name, colour, values) in series {
        for (i, pair) in values.windows(2).enumerate() {
            c.line(
                (to_x(i), to_y(pair[0])),
                (to_x(i + 1), to_y(pair[1])),
                2,
                *colour,
            );
        }
        for (i, v) in values.iter().enumerate() {
            c.rect(to_x(i) - 3, to_y(*v) - 3, 7, 7, *colour);
        }
        c.rect(legend_x, 16, 14, 6, *colour);
        c.text(legend_x + 20, 15, name, 1, BLACK);
        legend_x += 40 + Canvas::text_width(name, 1);
    }
    c
}

/// Training and test loss, training and test accuracy (%), and the
/// learning rate over the epochs, under the run's `title`.
pub fn training_curves(history: &[EpochMetrics], title: &str) -> Canvas {
    let (w, h, band) = (520, 360, 24);
    let test_loss: Vec<f32> = history.iter().map(|m| m.test_loss).collect();
    let mut losses = vec![(
        "TRAIN",
        BLUE,
        history.iter().map(|m| m.train_loss).collect(),
    )];
    // runs resumed from metrics written before the test loss was kept
    if test_loss.iter().all(|v| v.is_finite()) {
        losses.push(("TEST", ORANGE, test_loss));
    }
    let loss = panel("LOSS", &losses, w, h);
    let acc = panel(
        "ACCURACY %",
        &[
            (
                "TRAIN",
                BLUE,
                history.iter().map(|m| m.train_accuracy * 100.0).collect(),
            ),
            (
                "TEST",
                ORANGE,
                history.iter().map(|m| m.test_accuracy * 100.0).collect(),
            ),
        ],
        w,
        h,
    );
    let lr = panel(
        "LEARNING RATE",
        &[("LR", GREEN, history.iter().map(|m| m.lr).collect())],
        w,
        h,
    );
    let mut c = Canvas::new(3 * w, h + band, WHITE);
    c.text(16, 6, title, 2, BLACK);
    for (k, p) in [loss, acc, lr].iter().enumerate() {
        c.blit(p, (k * w) as i64, band as i64);
    }
    c
}

#[cfg(test)]
mod tests;
