//! Pictures of a segmentation run: canvases beside their true and
//! predicted labels in a fixed colour per class, and the run's curves.

use plotters::chart::SeriesLabelPosition;

use super::curves::{panel, PANEL};
use super::text::LABEL_PX;
use super::{Canvas, Rgb, BLACK, BLUE, ORANGE, WHITE};
use crate::train::segment::SegmentEpoch;
use crate::Error;

/// The colour of each class, background first: black, then ten colours
/// far apart (Tableau's palette).
pub const CLASS_COLOURS: [Rgb; 11] = [
    [0, 0, 0],
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [188, 189, 34],
    [23, 190, 207],
    [255, 255, 255],
];

/// One row per canvas: the input (grey), its true labels and the predicted
/// ones (in [`CLASS_COLOURS`]), each pixel `scale` pixels square, with
/// column titles and a legend of `names`.
///
/// `images` holds `count` canvases of `side x side` intensities in 0..=1;
/// `truth` and `predicted` their labels.
pub fn segmentation_grid(
    images: &[f32],
    truth: &[u8],
    predicted: &[u8],
    side: usize,
    scale: usize,
    names: &[&str],
) -> crate::Result<Canvas> {
    let plane = side * side;
    let count = truth.len() / plane.max(1);
    if plane == 0 || images.len() != count * plane || predicted.len() != truth.len() {
        return Err(Error::shape(
            "segmentation_grid",
            format!(
                "{} intensities, {} true and {} predicted labels do not make whole {side}x{side} canvases",
                images.len(),
                truth.len(),
                predicted.len()
            ),
        ));
    }
    if let Some(bad) = truth
        .iter()
        .chain(predicted)
        .find(|&&l| l as usize >= CLASS_COLOURS.len())
    {
        return Err(Error::shape(
            "segmentation_grid",
            format!(
                "label {bad} has no colour ({} classes)",
                CLASS_COLOURS.len()
            ),
        ));
    }
    let (cell, gap, top) = ((side * scale) as i64, 8i64, 24i64);
    let legend = 24 * names.len().div_ceil(6) as i64 + 8;
    let width = 3 * cell + 4 * gap;
    let height = top + count as i64 * (cell + gap) + legend;
    let mut c = Canvas::new(width as usize, height as usize, WHITE);
    for (col, title) in ["input", "truth", "predicted"].iter().enumerate() {
        c.text(gap + col as i64 * (cell + gap), 4, title, LABEL_PX, BLACK)?;
    }
    let s = scale as i64;
    for i in 0..count {
        let y0 = top + i as i64 * (cell + gap);
        for p in 0..plane {
            let (y, x) = ((p / side) as i64 * s + y0, (p % side) as i64 * s);
            let g = (images[i * plane + p].clamp(0.0, 1.0) * 255.0).round() as u8;
            c.rect(gap + x, y, s, s, [g, g, g]);
            let t = CLASS_COLOURS[truth[i * plane + p] as usize];
            c.rect(2 * gap + cell + x, y, s, s, t);
            let q = CLASS_COLOURS[predicted[i * plane + p] as usize];
            c.rect(3 * gap + 2 * cell + x, y, s, s, q);
        }
    }
    let y0 = top + count as i64 * (cell + gap);
    for (k, name) in names.iter().enumerate().take(CLASS_COLOURS.len()) {
        let (x, y) = (
            gap + (k % 6) as i64 * (width - gap) / 6,
            y0 + (k / 6) as i64 * 24,
        );
        c.rect(x, y, 14, 14, BLACK);
        c.rect(x + 1, y + 1, 12, 12, CLASS_COLOURS[k]);
        c.text(x + 20, y, name, LABEL_PX, BLACK)?;
    }
    Ok(c)
}

/// Training and test loss per pixel, and test pixel accuracy and mean IoU
/// (%), over the epochs.
pub fn segmentation_curves(history: &[SegmentEpoch]) -> crate::Result<Canvas> {
    let (w, h) = PANEL;
    let of = |f: fn(&SegmentEpoch) -> f32| history.iter().map(f).collect();
    let loss = [
        ("train", BLUE, of(|m| m.train_loss)),
        ("test", ORANGE, of(|m| m.test_loss)),
    ];
    let scores = [
        (
            "pixel accuracy",
            BLUE,
            of(|m| m.test_pixel_accuracy * 100.0),
        ),
        ("mean IoU", ORANGE, of(|m| m.test_miou * 100.0)),
    ];
    let mut c = Canvas::new(2 * w, h, WHITE);
    {
        let area = c.area()?;
        let panels = area.split_evenly((1, 2));
        panel(
            &panels[0],
            "loss per pixel",
            &loss,
            SeriesLabelPosition::UpperRight,
        )?;
        panel(
            &panels[1],
            "test %",
            &scores,
            SeriesLabelPosition::LowerRight,
        )?;
    }
    Ok(c)
}
