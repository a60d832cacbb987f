use super::*;
use crate::data::{embedded_sample, Distortion, Split, SIDE};
use crate::zoo::lenet5::LeNet5;

/// The first `n` training digits and 100 test digits of the embedded sample.
fn small(n: usize) -> Mnist {
    let m = embedded_sample().unwrap();
    let take = |s: &Split, n: usize| {
        let pixels: Vec<u8> = (0..n).flat_map(|i| s.pixels(i).to_vec()).collect();
        let labels: Vec<u8> = (0..n).map(|i| s.label(i) as u8).collect();
        Split::new(pixels, labels).unwrap()
    };
    assert_eq!(m.train.pixels(0).len(), SIDE * SIDE);
    Mnist {
        train: take(&m.train, n),
        test: take(&m.test, 100),
    }
}

fn run(config: &TrainConfig, data: &Mnist) -> Vec<EpochMetrics> {
    let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(config.seed));
    train(&mut net, data, config, |_| {}).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_run_and_augmentation_changes_it() {
    let data = small(256);
    let config = TrainConfig {
        epochs: 2,
        seed: 11,
        ..TrainConfig::default()
    };
    let a = run(&config, &data);
    let b = run(&config, &data);
    let key = |h: &[EpochMetrics]| {
        h.iter()
            .map(|m| (m.train_loss.to_bits(), m.test_accuracy.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b), "same seed, same result");
    let augmented = run(
        &TrainConfig {
            augment: Some(Distortion::DEFAULT),
            ..config.clone()
        },
        &data,
    );
    assert_ne!(
        key(&a),
        key(&augmented),
        "augmentation reaches the training batches"
    );
    assert!(
        a[1].train_loss < a[0].train_loss,
        "it learns: {:?}",
        key(&a)
    );
}

#[test]
fn a_diverging_loss_stops_with_a_clear_error() {
    let data = small(128);
    let config = TrainConfig {
        epochs: 1,
        ..TrainConfig::default()
    };
    let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(0));
    // a corrupted parameter: every logit, and so the loss, becomes NaN
    net.out.bias = net.out.bias.clone() * f32::NAN;
    let err = train(&mut net, &data, &config, |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("lower the learning rate"), "{err}");
}

#[test]
fn checkpoints_are_written_and_reload() {
    let data = small(128);
    let dir = std::env::temp_dir().join(format!("splotnet-ckpt-{}", std::process::id()));
    let path = dir.join("model.safetensors");
    let config = TrainConfig {
        epochs: 1,
        checkpoint: Some(path.clone()),
        ..TrainConfig::default()
    };
    let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    train(&mut net, &data, &config, |_| {}).unwrap();
    let mut fresh = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(2));
    fresh.load_safetensors(&path).unwrap();
    assert_eq!(fresh.c1.weight.as_vec(), net.c1.weight.as_vec());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
    std::fs::remove_dir_all(&dir).ok();
}
