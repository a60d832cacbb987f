//! Line charts of a run's numbers over its epochs, drawn with plotters.

use plotters::chart::SeriesLabelPosition;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::plotters_colour;
use super::text::{drawing_error, font, LABEL_PX, TITLE_PX};
use super::{Canvas, Rgb, BLUE, GREEN, ORANGE, WHITE};
use crate::train::EpochMetrics;

/// One line of a chart: its legend name, colour and a value per epoch
/// (epochs count from 1; values that are not finite are left out).
pub(super) type Series<'a> = (&'a str, Rgb, Vec<f32>);

/// Width and height of one chart, in pixels.
pub(super) const PANEL: (usize, usize) = (520, 360);

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

/// The least and greatest finite value of `series`, widened when they are
/// equal so that a flat line sits inside the axis, `(0, 1)` when none is
/// finite.
fn value_range(series: &[Series]) -> (f32, f32) {
    let finite = series.iter().flat_map(|s| s.2.iter().copied());
    let (lo, hi) = finite
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, u), v| {
            (l.min(v), u.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-6 {
        let pad = (lo.abs() * 0.1).max(1e-3);
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}

/// An axis from `lo` to `hi` whose labels and grid lines are exactly
/// `ticks`. plotters' own float axis picks its key points itself, and could
/// drop one of the round ticks the range was rounded to (the top one of a
/// learning-rate panel was seen missing), or put a tick between epochs.
struct Ticked {
    lo: f32,
    hi: f32,
    ticks: Vec<f32>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f32;

    fn map(&self, v: &f32, (from, to): (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        from + ((to - from) as f32 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _: Hint) -> Vec<f32> {
        self.ticks.clone()
    }

    fn range(&self) -> core::ops::Range<f32> {
        self.lo..self.hi
    }
}

/// Draws `series` over the epochs on `area` under `title`: round ticks
/// (from [`nice_ticks`]) bounding the values, an epoch axis, and a legend at
/// `legend`. Returns where each series' points landed, in canvas pixels.
pub(super) fn panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    title: &str,
    series: &[Series],
    legend: SeriesLabelPosition,
) -> crate::Result<Vec<Vec<(i32, i32)>>> {
    let (lo, hi) = value_range(series);
    let (ticks, decimals) = nice_ticks(lo, hi);
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    let epochs = series.iter().map(|s| s.2.len()).max().unwrap_or(0).max(1);
    // at most a dozen epoch labels, at a whole step
    let epoch_ticks = (1..=epochs).step_by(epochs.div_ceil(12));
    let x = Ticked {
        lo: 0.5,
        hi: epochs as f32 + 0.5,
        ticks: epoch_ticks.map(|e| e as f32).collect(),
    };
    let y = Ticked { lo, hi, ticks };
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(TITLE_PX)?)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(drawing_error)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|e| format!("{e:.0}"))
        .y_label_formatter(&|v| format!("{v:.decimals$}"))
        .label_style(font(LABEL_PX)?)
        .axis_desc_style(font(LABEL_PX)?)
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(drawing_error)?;
    let mut landed = Vec::with_capacity(series.len());
    for &(name, rgb, ref values) in series {
        let c = plotters_colour(rgb);
        let points: Vec<(f32, f32)> = (1..)
            .zip(values)
            .filter(|(_, v)| v.is_finite())
            .map(|(e, &v)| (e as f32, v))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
            .map_err(drawing_error)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 3), (x + 16, y + 3)], c.filled()));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(drawing_error)?;
        landed.push(points.iter().map(|p| chart.backend_coord(p)).collect());
    }
    chart
        .configure_series_labels()
        .position(legend)
        .label_font(font(LABEL_PX)?)
        .background_style(plotters_colour(WHITE).mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(drawing_error)?;
    Ok(landed)
}

/// Training and test loss, training and test accuracy (%), and the
/// learning rate over the epochs, under the run's `title`.
pub fn training_curves(history: &[EpochMetrics], title: &str) -> crate::Result<Canvas> {
    let (w, h) = PANEL;
    let band = 28;
    let test_loss: Vec<f32> = history.iter().map(|m| m.test_loss).collect();
    let mut losses = vec![(
        "train",
        BLUE,
        history.iter().map(|m| m.train_loss).collect(),
    )];
    // runs resumed from metrics written before the test loss was kept
    if test_loss.iter().all(|v| v.is_finite()) {
        losses.push(("test", ORANGE, test_loss));
    }
    let percent = |f: fn(&EpochMetrics) -> f32| history.iter().map(|m| f(m) * 100.0).collect();
    let accuracy = [
        ("train", BLUE, percent(|m| m.train_accuracy)),
        ("test", ORANGE, percent(|m| m.test_accuracy)),
    ];
    let lr = [("lr", GREEN, history.iter().map(|m| m.lr).collect())];
    let mut c = Canvas::new(3 * w, h + band, WHITE);
    {
        let area = c.area()?;
        let panels = area
            .titled(title, font(TITLE_PX)?)
            .map_err(drawing_error)?
            .split_evenly((1, 3));
        panel(&panels[0], "loss", &losses, SeriesLabelPosition::UpperRight)?;
        panel(
            &panels[1],
            "accuracy %",
            &accuracy,
            SeriesLabelPosition::LowerRight,
        )?;
        panel(
            &panels[2],
            "learning rate",
            &lr,
            SeriesLabelPosition::UpperRight,
        )?;
    }
    Ok(c)
}
