use super::*;
use crate::train::{Confusion, EpochMetrics};

fn metrics(epoch: usize, loss: f32, train: f32, test: f32) -> EpochMetrics {
    EpochMetrics {
        epoch,
        lr: 0.1,
        train_loss: loss,
        train_accuracy: train,
        test_accuracy: test,
        test_top5: 1.0,
        test_loss: loss * 1.5,
        images_per_sec: 1.0,
        seconds: 1.0,
        confusion: Confusion::default(),
    }
}

/// How many pixels of `colour` the `width` columns from `x0` hold.
fn pixels_of(c: &Canvas, colour: Rgb, x0: usize, width: usize) -> usize {
    (x0..x0 + width)
        .flat_map(|x| (0..c.height()).map(move |y| (x, y)))
        .filter(|&(x, y)| c.get(x, y) == Some(colour))
        .count()
}

#[test]
fn text_is_drawn_inside_its_box_and_monospaced() {
    let mut c = Canvas::new(80, 40, WHITE);
    let w = Canvas::text_width("1", 20.0).unwrap();
    assert!(w > 4, "a glyph has width ({w})");
    let three = Canvas::text_width("111", 20.0).unwrap();
    assert!(
        (three - 3 * w).abs() <= 2,
        "Hack is monospaced: {three} against 3 x {w}"
    );
    c.text(4, 4, "1", 20.0, BLACK).unwrap();
    let dark = |x: usize, y: usize| c.get(x, y).is_some_and(|p| p[0] < 128);
    let inside = (4..4 + w as usize).any(|x| (4..24).any(|y| dark(x, y)));
    assert!(inside, "the glyph's stem is inked");
    let outside =
        (0..80).any(|x| (0..40).any(|y| dark(x, y) && !(4..4 + w as usize + 1).contains(&x)));
    assert!(!outside, "nothing is inked beside the glyph's box");
}

#[test]
fn filters_share_one_grey_scale_centred_on_zero() {
    let w = [1.0, -1.0, 0.0, 0.5];
    let c = filter_grid(&w, 1, 2, 2, 1).unwrap();
    let gap = 2;
    assert_eq!(c.get(gap, gap), Some([255; 3]), "largest weight is white");
    assert_eq!(c.get(gap + 1, gap), Some([0; 3]), "most negative is black");
    assert_eq!(c.get(gap, gap + 1), Some([128; 3]), "zero is mid grey");
    // the legend's ramp under the filters runs from black to white
    let ramp_x = gap + Canvas::text_width("-1.000", text::LABEL_PX).unwrap() as usize + 6;
    let ramp_y = 2 + 2 * gap + 2;
    assert_eq!(c.get(ramp_x, ramp_y), Some([0; 3]));
    assert_eq!(c.get(ramp_x + 119, ramp_y), Some([255; 3]));
    assert!(
        filter_grid(&w, 3, 2, 2, 1).is_err(),
        "4 weights are not 3 filters"
    );
}

#[test]
fn feature_maps_draw_every_layer_maps_as_tiles_vectors_as_strips() {
    let acts = vec![
        Activation {
            name: "c1".into(),
            shape: vec![2, 2, 2],
            values: vec![0.0, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0],
        },
        Activation {
            name: "f6".into(),
            shape: vec![84],
            values: (0..84).map(|v| v as f32).collect(),
        },
    ];
    let c = feature_maps(&acts, 8, 16, "a 7").unwrap();
    // under a 32-pixel caption band: the maps' row (16), the strip (8), gaps of 6
    assert_eq!(c.height(), 32 + 6 + 16 + 6 + 8 + 6);
    let left = Canvas::text_width("c1", text::LABEL_PX).unwrap() as usize + 16;
    let (least, greatest) = (
        ColourScale::Viridis.colour(0.0, 0.0, 1.0),
        ColourScale::Viridis.colour(1.0, 0.0, 1.0),
    );
    assert_ne!(least, greatest);
    // the first map's top-left value is its minimum, bottom-right its maximum
    assert_eq!(c.get(left, 38), Some(least));
    assert_eq!(c.get(left + 15, 38 + 15), Some(greatest));
    // the second map is constant: the middle of the scale
    let middle = ColourScale::Viridis.colour(0.5, 0.0, 1.0);
    assert_eq!(c.get(left + 16 + 6, 38), Some(middle));
    // the strip runs from the least value to the greatest
    let strip_y = 38 + 16 + 6;
    assert_eq!(c.get(left, strip_y), Some(least));
    assert_eq!(c.get(c.width() - 7, strip_y + 7), Some(greatest));
}

#[test]
fn ticks_are_round_and_cover_the_range() {
    assert_eq!(nice_ticks(0.5, 1.5), (vec![0.5, 1.0, 1.5], 1));
    let (t, d) = nice_ticks(0.0213, 0.0871);
    assert_eq!((t.len(), d), (5, 2));
    assert!(
        (t[0] - 0.02).abs() < 1e-6 && (t[4] - 0.10).abs() < 1e-6,
        "{t:?}"
    );
    assert_eq!(
        nice_ticks(87.9, 93.86),
        (vec![86.0, 88.0, 90.0, 92.0, 94.0], 0)
    );
}

#[test]
fn a_panel_puts_points_at_their_values_on_round_ticks() {
    let mut c = Canvas::new(520, 360, WHITE);
    let series = [
        ("train", BLUE, vec![1.0, 0.75, 0.5]),
        ("test", ORANGE, vec![1.5, 1.25, f32::NAN]),
    ];
    let landed = {
        let area = c.area().unwrap();
        curves::panel(
            &area,
            "loss",
            &series,
            plotters::chart::SeriesLabelPosition::UpperRight,
        )
        .unwrap()
    };
    assert_eq!(landed[0].len(), 3);
    assert_eq!(landed[1].len(), 2, "the NaN is left out");
    for (points, colour) in landed.iter().zip([BLUE, ORANGE]) {
        for &(x, y) in points {
            assert_eq!(
                c.get(x as usize, y as usize),
                Some(colour),
                "point at ({x}, {y})"
            );
        }
    }
    // equal epoch steps are equal pixel steps; equal value steps too (0.25
    // per step on both lines), and greater values sit higher
    let [b, o] = [&landed[0], &landed[1]];
    assert_eq!(b[1].0 - b[0].0, b[2].0 - b[1].0);
    assert_eq!(b[0].0, o[0].0);
    let per_quarter = b[1].1 - b[0].1;
    assert!(per_quarter > 10, "{b:?}");
    assert!((b[2].1 - b[1].1 - per_quarter).abs() <= 1);
    assert!(
        (o[0].1 - (b[0].1 - 2 * per_quarter)).abs() <= 1,
        "{o:?} against {b:?}"
    );
    // the round tick 1.0 has its grid line, where no series passes
    // (between epochs 2 and 3, the blue line runs below 1.0)
    let between = ((b[1].0 + b[2].0) / 2) as usize;
    assert_eq!(c.get(between, b[0].1 as usize), Some([225; 3]));
}

#[test]
fn training_curves_draw_three_panels_that_decode_back() {
    let mut history = [metrics(1, 1.0, 0.5, 0.6), metrics(2, 0.5, 0.9, 0.95)];
    history[1].lr = 0.05;
    let c = training_curves(&history, "run").unwrap();
    assert_eq!((c.width(), c.height()), (1560, 388));
    let count = |colour: Rgb, x0: usize| pixels_of(&c, colour, x0, 520);
    // loss and accuracy panels hold both series, the third the rate alone
    assert!(count(BLUE, 0) > 20 && count(ORANGE, 0) > 20);
    assert!(count(BLUE, 520) > 20 && count(ORANGE, 520) > 20);
    assert!(count(GREEN, 1040) > 20 && count(BLUE, 1040) == 0);
    let png = image::load_from_memory(&c.to_png().unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!((png.width(), png.height()), (1560, 388));
    for (x, y) in [(70, 64), (504, 344), (0, 0), (700, 200), (1110, 64)] {
        assert_eq!(Some(png.get_pixel(x, y).0), c.get(x as usize, y as usize));
    }
}

#[test]
fn segmentation_curves_draw_both_panels() {
    use crate::train::segment::{PixelConfusion, SegmentEpoch};
    let epoch = |e: usize, loss: f32, score: f32| SegmentEpoch {
        epoch: e,
        lr: 0.01,
        train_loss: loss,
        train_pixel_accuracy: score,
        test_loss: loss * 1.2,
        test_pixel_accuracy: score,
        test_miou: score * 0.8,
        images_per_sec: 1.0,
        seconds: 1.0,
        confusion: PixelConfusion::new(2),
    };
    let c = segmentation_curves(&[epoch(1, 0.9, 0.6), epoch(2, 0.4, 0.9)]).unwrap();
    assert_eq!((c.width(), c.height()), (1040, 360));
    let count = |colour: Rgb, x0: usize| pixels_of(&c, colour, x0, 520);
    for x0 in [0, 520] {
        assert!(
            count(BLUE, x0) > 20 && count(ORANGE, x0) > 20,
            "panel at {x0}"
        );
    }
}
