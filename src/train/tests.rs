use super::*;
use crate::data::{embedded_sample, Augment, Distortion, Split, SIDE};
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
            augment: Augment {
                distort: Some(Distortion::DEFAULT),
                ..Augment::NONE
            },
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

/// Trains to `config.epochs` in one go, keeping copies of the checkpoint
/// files as they were after epoch `stop`; then resumes from those copies.
/// The final parameters of both runs.
fn straight_and_resumed<M: Classifier<Cpu> + Send + Sync>(
    build: impl Fn() -> M,
    params: impl Fn(&M) -> Vec<f32>,
    config: &TrainConfig,
    stop: usize,
    tag: &str,
) -> (Vec<f32>, Vec<f32>) {
    let data = small(192);
    let dir = std::env::temp_dir().join(format!("splotnet-resume-{tag}-{}", std::process::id()));
    let (live, saved) = (dir.join("live"), dir.join("saved"));
    std::fs::create_dir_all(&saved).unwrap();
    let path = live.join("model.safetensors");
    let config = TrainConfig {
        checkpoint: Some(path.clone()),
        ..config.clone()
    };
    let mut straight = build();
    train(&mut straight, &data, &config, |p| {
        if let Progress::Epoch(m) = p {
            if m.epoch == stop {
                for f in [path.clone(), optimizer_path(&path)] {
                    std::fs::copy(&f, saved.join(f.file_name().unwrap())).unwrap();
                }
            }
        }
    })
    .unwrap();

    let path = saved.join("model.safetensors");
    let mut resumed = build();
    let mut resumed_at = None;
    let history = train(
        &mut resumed,
        &data,
        &TrainConfig {
            checkpoint: Some(path),
            resume: true,
            ..config.clone()
        },
        |p| {
            if let Progress::Resumed(n) = p {
                resumed_at = Some(n);
            }
        },
    )
    .unwrap();
    assert_eq!(resumed_at, Some(stop));
    assert_eq!(history.first().map(|m| m.epoch), Some(stop + 1));
    std::fs::remove_dir_all(&dir).ok();
    (params(&straight), params(&resumed))
}

#[test]
fn a_resumed_run_ends_exactly_where_an_uninterrupted_one_does() {
    let config = TrainConfig {
        epochs: 3,
        seed: 5,
        schedule: Schedule::Cosine,
        weight_decay: 1e-4,
        ..TrainConfig::default()
    };
    let (a, b) = straight_and_resumed(
        || LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(5)),
        |m| {
            [
                m.c1.weight.as_vec(),
                m.c3.weight.as_vec(),
                m.out.bias.as_vec(),
            ]
            .concat()
        },
        &config,
        1,
        "sgd",
    );
    assert_eq!(a, b, "SGD with momentum resumes bit for bit");

    // Adam's moments and step count, and dropout's generator, carry over too
    let adam = TrainConfig {
        optimizer: OptimizerKind::Adam,
        lr: 1e-3,
        ..config
    };
    let (a, b) = straight_and_resumed(
        || crate::zoo::lenet5::LeNet5Modern::<f32, Cpu>::build(&Cpu::seed_from_u64(6)),
        |m| [m.c1.weight.as_vec(), m.f6.weight.as_vec()].concat(),
        &adam,
        2,
        "adam",
    );
    assert_eq!(a, b, "Adam resumes bit for bit");

    // Nesterov's momentum under a warm-up that spans the break
    let nesterov = TrainConfig {
        optimizer: OptimizerKind::Nesterov { momentum: 0.9 },
        warmup_epochs: 2,
        ..adam.clone()
    };
    let (a, b) = straight_and_resumed(
        || LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(7)),
        |m| [m.c1.weight.as_vec(), m.out.bias.as_vec()].concat(),
        &nesterov,
        1,
        "nesterov",
    );
    assert_eq!(a, b, "Nesterov with a warm-up resumes bit for bit");
}

#[test]
fn the_warm_up_ramps_the_rate_step_by_step_then_hands_over_to_the_schedule() {
    let config = TrainConfig {
        epochs: 4,
        lr: 1.0,
        schedule: Schedule::Step {
            every: 2,
            gamma: 0.5,
        },
        warmup_epochs: 1,
        ..TrainConfig::default()
    };
    let rates: Vec<f32> = (0..4).map(|s| config.step_rate(0, s, 4)).collect();
    assert_eq!(rates, [0.25, 0.5, 0.75, 1.0]);
    assert_eq!(config.step_rate(1, 0, 4), 1.0);
    assert_eq!(config.step_rate(2, 3, 4), 0.5, "the schedule's own decay");
    let none = TrainConfig {
        warmup_epochs: 0,
        ..config
    };
    assert_eq!(none.step_rate(0, 0, 4), 1.0);
}

#[test]
fn the_per_step_cosine_moves_every_step_and_meets_the_per_epoch_one_at_epoch_starts() {
    let per_step = TrainConfig {
        epochs: 3,
        lr: 2.0,
        schedule: Schedule::CosineSteps,
        ..TrainConfig::default()
    };
    let per_epoch = TrainConfig {
        schedule: Schedule::Cosine,
        ..per_step.clone()
    };
    for epoch in 0..3 {
        assert_eq!(
            per_step.step_rate(epoch, 0, 10),
            per_epoch.step_rate(epoch, 0, 10)
        );
    }
    // half way through the run: half the base rate
    assert!((per_step.step_rate(1, 5, 10) - 1.0).abs() < 1e-6);
    let rates: Vec<f32> = (0..10).map(|s| per_step.step_rate(2, s, 10)).collect();
    assert!(rates.windows(2).all(|w| w[1] < w[0]), "{rates:?}");
    assert!(rates[9] < 0.01);
}

#[test]
fn resuming_with_other_settings_or_a_bad_state_is_a_clear_error() {
    let data = small(64);
    let dir = std::env::temp_dir().join(format!("splotnet-badresume-{}", std::process::id()));
    let path = dir.join("model.safetensors");
    let config = TrainConfig {
        epochs: 2,
        checkpoint: Some(path.clone()),
        ..TrainConfig::default()
    };
    let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    train(&mut net, &data, &config, |_| {}).unwrap();
    let resume = |c: TrainConfig| {
        let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
        train(&mut net, &data, &TrainConfig { resume: true, ..c }, |_| {})
            .map(|h| h.len())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        resume(config.clone()),
        Ok(0),
        "a finished run has nothing left"
    );
    let other_seed = resume(TrainConfig {
        seed: 9,
        ..config.clone()
    })
    .unwrap_err();
    assert!(other_seed.contains("seed 0, this one 9"), "{other_seed}");
    let adam = resume(TrainConfig {
        optimizer: OptimizerKind::Adam,
        ..config.clone()
    })
    .unwrap_err();
    assert!(adam.contains("the state is for sgd"), "{adam}");

    // a model from another epoch than the optimiser state
    let other = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(3));
    save_atomically(&other, &path).unwrap();
    let stale = resume(config.clone()).unwrap_err();
    assert!(stale.contains("not the one the optimiser state"), "{stale}");

    // a truncated optimiser state
    let state = optimizer_path(&path);
    let bytes = std::fs::read(&state).unwrap();
    std::fs::write(&state, &bytes[..bytes.len() / 2]).unwrap();
    let broken = resume(config).unwrap_err();
    assert!(broken.contains("model.optimizer.safetensors"), "{broken}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A finished two-epoch run of `LeNet5` in its own directory: the data, the
/// settings and the checkpoint's path.
fn finished_run(tag: &str) -> (Mnist, TrainConfig, std::path::PathBuf) {
    let data = small(64);
    let dir = std::env::temp_dir().join(format!("splotnet-{tag}-{}", std::process::id()));
    let path = dir.join("model.safetensors");
    let config = TrainConfig {
        epochs: 2,
        checkpoint: Some(path.clone()),
        ..TrainConfig::default()
    };
    let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    train(&mut net, &data, &config, |_| {}).unwrap();
    (data, config, path)
}

fn resume_lenet<M: Classifier<Cpu> + Send + Sync>(
    mut net: M,
    data: &Mnist,
    config: &TrainConfig,
) -> Result<usize, String> {
    let config = TrainConfig {
        resume: true,
        ..config.clone()
    };
    train(&mut net, data, &config, |_| {})
        .map(|h| h.len())
        .map_err(|e| e.to_string())
}

#[test]
fn another_networks_checkpoint_or_other_optimiser_settings_are_refused() {
    use crate::zoo::lenet5::LeNet5Modern;
    let (data, config, path) = finished_run("othernet");
    let modern = LeNet5Modern::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    let e = resume_lenet(modern, &data, &config).unwrap_err();
    assert!(e.contains("written by another network"), "{e}");
    let classic = || LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    let other_momentum = TrainConfig {
        optimizer: OptimizerKind::Sgd { momentum: 0.5 },
        ..config.clone()
    };
    let e = resume_lenet(classic(), &data, &other_momentum).unwrap_err();
    assert!(e.contains("optimizer_settings"), "{e}");
    let other_data = TrainConfig {
        data: "Fashion-MNIST".into(),
        ..config.clone()
    };
    let e = resume_lenet(classic(), &data, &other_data).unwrap_err();
    assert!(e.contains("data MNIST, this one Fashion-MNIST"), "{e}");
    assert_eq!(resume_lenet(classic(), &data, &config), Ok(0));
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn a_flipped_byte_or_a_truncated_checkpoint_is_named_as_such() {
    let (data, config, path) = finished_run("damaged");
    let classic = || LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(1));
    // one byte of the optimiser's values, near the end of the file
    let state = optimizer_path(&path);
    let good = std::fs::read(&state).unwrap();
    let mut flipped = good.clone();
    let at = flipped.len() - 3;
    flipped[at] ^= 0x40;
    std::fs::write(&state, &flipped).unwrap();
    let e = resume_lenet(classic(), &data, &config).unwrap_err();
    assert!(e.contains("corrupt"), "{e}");
    std::fs::write(&state, &good).unwrap();
    // the model's file cut short
    let model = std::fs::read(&path).unwrap();
    std::fs::write(&path, &model[..model.len() - 100]).unwrap();
    let e = resume_lenet(classic(), &data, &config).unwrap_err();
    assert!(
        e.contains("model.safetensors") && e.contains("truncated"),
        "{e}"
    );
    assert!(!e.contains("between the two writes"), "{e}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn settings_a_run_cannot_use_are_refused_before_it_starts() {
    let data = small(64);
    let base = TrainConfig::default();
    let cases = [
        (
            TrainConfig {
                epochs: 0,
                ..base.clone()
            },
            "epochs",
        ),
        (
            TrainConfig {
                batch_size: 0,
                ..base.clone()
            },
            "batch size",
        ),
        (
            TrainConfig {
                lr: -1.0,
                ..base.clone()
            },
            "learning rate",
        ),
        (
            TrainConfig {
                lr: f32::NAN,
                ..base.clone()
            },
            "learning rate",
        ),
        (
            TrainConfig {
                optimizer: OptimizerKind::Sgd { momentum: 1.5 },
                ..base.clone()
            },
            "momentum",
        ),
    ];
    for (config, what) in cases {
        let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(0));
        let e = train(&mut net, &data, &config, |_| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains(what), "{what}: {e}");
    }
    let empty = Mnist {
        train: Split::new(vec![], vec![]).unwrap(),
        test: data.test.clone(),
    };
    let mut net = LeNet5::<f32, Cpu>::build(&Cpu::seed_from_u64(0));
    let e = train(&mut net, &empty, &base, |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("training split has no samples"), "{e}");
}
