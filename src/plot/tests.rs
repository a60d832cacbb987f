use super::*;
use crate::train::Confusion;

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

#[test]
fn text_draws_the_glyphs_pixels() {
    let mut c = Canvas::new(20, 10, WHITE);
    c.text(1, 1, "1", 1, BLACK);
    // the 1's stem: column 2 of the glyph, rows 0..7
    for y in 1..8 {
        assert_eq!(c.get(3, y), Some(BLACK), "row {y}");
    }
    assert_eq!(c.get(0, 0), Some(WHITE));
    // its foot spans columns 1..4 of the last row
    assert_eq!(c.get(2, 7), Some(BLACK));
    assert_eq!(c.get(6, 7), Some(WHITE));
}

#[test]
fn filters_share_one_grey_scale_centred_on_zero() {
    let w = [1.0, -1.0, 0.0, 0.5];
    let c = filter_grid(&w, 1, 2, 2, 1).unwrap();
    let gap = 2;
    assert_eq!(c.get(gap, gap), Some([255; 3]), "largest weight is white");
    assert_eq!(c.get(gap + 1, gap), Some([0; 3]), "most negative is black");
    assert_eq!(c.get(gap, gap + 1), Some([128; 3]), "zero is mid grey");
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
    let c = feature_maps(&acts, 8, 16, "a 7");
    // under a 28-pixel caption band: the maps' row (16), the strip (8), gaps of 6
    assert_eq!(c.height(), 28 + 6 + 16 + 6 + 8 + 6);
    let left = Canvas::text_width("c1", 2) as usize + 16;
    // the first map's top-left value is its minimum (black), bottom-right its maximum
    assert_eq!(c.get(left, 34), Some([0; 3]));
    assert_eq!(c.get(left + 15, 34 + 15), Some([255; 3]));
    // the strip runs from the least value (black) to the greatest (white)
    let strip_y = 34 + 16 + 6;
    assert_eq!(c.get(left, strip_y), Some([0; 3]));
    assert_eq!(c.get(c.width() - 7, strip_y + 7), Some([255; 3]));
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
fn curves_put_points_at_their_values() {
    let mut history = [metrics(1, 1.0, 0.5, 0.6), metrics(2, 0.5, 0.9, 0.95)];
    history[1].lr = 0.05;
    let c = training_curves(&history, "run");
    assert_eq!((c.width(), c.height()), (1560, 384));
    // the loss panel below the 24-pixel title: losses 0.5 to 1.5 fill the
    // axis exactly (round ticks); the test loss 1.5 of epoch 1 at the
    // top-left corner of the plot area (70, 24 + 40), the training loss 0.5
    // of epoch 2 at the bottom right (520 - 16, 24 + 360 - 40)
    assert_eq!(c.get(70, 64), Some(ORANGE));
    assert_eq!(c.get(504, 344), Some(BLUE));
    // the learning-rate panel: 0.1 then 0.05 on an axis from 0.04 to 0.1
    assert_eq!(c.get(1040 + 70, 64), Some(GREEN));
    // the file decodes back to the canvas, pixel for pixel
    let png = image::load_from_memory(&c.to_png().unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!((png.width(), png.height()), (1560, 384));
    for (x, y) in [(70, 64), (504, 344), (0, 0), (700, 200), (1110, 64)] {
        assert_eq!(Some(png.get_pixel(x, y).0), c.get(x as usize, y as usize));
    }
}
