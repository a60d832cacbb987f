//! Pictures of a segmentation run: canvases beside their true and
//! predicted labels in a fixed colour per class, and the run's curves.

use super::{panel, Canvas, Rgb, BLACK, BLUE, ORANGE, WHITE};
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
    for (col, title) in ["INPUT", "TRUTH", "PREDICTED"].iter().enumerate() {
        c.text(gap + col as i64 * (cell + gap), 8, title, 1, BLACK);
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
        c.text(x + 20, y + 4, name, 1, BLACK);
    }
    Ok(c)
}

/// Training and test loss per pixel, and test pixel accuracy and mean IoU
/// (%), over the epochs.
pub fn segmentation_curves(history: &[SegmentEpoch]) -> Canvas {
    let (w, h) = (520, 360);
    let loss = panel(
        "LOSS PER PIXEL",
        &[
            (
                "TRAIN",
                BLUE,
                history.iter().map(|m| m.train_loss).collect(),
            ),
            (
                "TEST",
                ORANGE,
                history.iter().map(|m| m.test_loss).collect(),
            ),
        ],
        w,
        h,
    );
    let scores = panel(
        "TEST %",
        &[
            (
                "PIXEL ACC",
                BLUE,
                history
                    .iter()
                    .map(|m| m.test_pixel_accuracy * 100.0)
                    .collect(),
            ),
            (
                "MEAN IOU",
                ORANGE,
                history.iter().map(|m| m.test_miou * 100.0).collect(),
            ),
        ],
        w,
        h,
    );
    let mut c = Canvas::new(2 * w, h, WHITE);
    c.blit(&loss, 0, 0);
    c.blit(&scores, w as i64, 0);
    c
}
