//! The training loop on networks declared as a user would: any input
//! shape, any class count, auxiliary heads with their weights, and data
//! that does not fit refused before anything is written.

use rand::rngs::StdRng;
use splotnet::data::{Augment, Samples};
use splotnet::prelude::*;
use splotnet::train::{evaluate_on, fit, Classifier, Progress, TrainConfig};

network! {
    /// Three classes of 2x6x6 samples, with an auxiliary head.
    pub Tri(input: [2, 6, 6]) {
        conv1: conv(4, k = 3), relu -> [4, 4, 4],
        side: aux(weight = 0.3) {
            global_avg_pool,
            fc: linear(3),
        },
        flatten,
        fc: linear(3),
    }
}

network! {
    /// The same with the head's loss weighted 0: the head must not learn.
    pub TriIdleHead(input: [2, 6, 6]) {
        conv1: conv(4, k = 3), relu -> [4, 4, 4],
        side: aux(weight = 0.0) {
            global_avg_pool,
            fc: linear(3),
        },
        flatten,
        fc: linear(3),
    }
}

/// One sample's values: `Tri`'s input, as its declaration computes it.
fn sample_len() -> usize {
    <Tri<f32, Cpu> as Classifier<Cpu>>::sample_len()
}

/// Class `c` lights up channel `c % 2` in band `c` of rows, on noise.
struct Bands {
    labels: Vec<usize>,
    noise: Vec<f32>,
    dims: Vec<usize>,
}

impl Bands {
    fn new(n: usize, seed: u64) -> Self {
        let dims = vec![2, 6, 6];
        let noise = splotnet::testing::values(n * sample_len(), seed)
            .iter()
            .map(|v| v * 0.3)
            .collect();
        Bands {
            labels: (0..n).map(|i| (i * 7 + seed as usize) % 3).collect(),
            noise,
            dims,
        }
    }
}

impl Samples for Bands {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn sample_dims(&self) -> Vec<usize> {
        self.dims.clone()
    }

    fn label(&self, i: usize) -> usize {
        self.labels[i]
    }

    fn batch_into(
        &self,
        indices: &[usize],
        _augment: Option<(&Augment, &mut StdRng)>,
        out: &mut Vec<f32>,
    ) -> splotnet::Result<()> {
        out.clear();
        for &i in indices {
            let c = self.labels[i];
            let len = sample_len();
            let mut s = self.noise[i * len..(i + 1) * len].to_vec();
            for x in 0..6 {
                for y in 2 * c..2 * c + 2 {
                    s[(c % 2) * 36 + y * 6 + x] += 1.0;
                }
            }
            out.extend(s);
        }
        Ok(())
    }
}

/// The mean over rows of `log Σ exp(s) - s[label]`, written out.
fn mean_cross_entropy(scores: &[f32], labels: &[usize]) -> f32 {
    let classes = scores.len() / labels.len();
    let mut sum = 0.0;
    for (row, &l) in scores.chunks_exact(classes).zip(labels) {
        let max = row.iter().cloned().fold(f32::MIN, f32::max);
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
        sum += lse - row[l];
    }
    sum / labels.len() as f32
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 16,
        lr: 0.05,
        data: "bands".into(),
        ..TrainConfig::default()
    }
}

#[test]
fn a_declared_network_of_three_classes_learns_from_any_samples() {
    let dev = Cpu::seed_from_u64(1);
    let mut net = Tri::<f32, Cpu>::build(&dev);
    assert_eq!(
        (
            <Tri<f32, Cpu> as Classifier<Cpu>>::input_dims(),
            <Tri<f32, Cpu> as Classifier<Cpu>>::classes()
        ),
        (vec![2, 6, 6], 3)
    );
    let (train, test) = (Bands::new(240, 1), Bands::new(60, 2));
    let history = fit(&mut net, &train, &test, &config(4), |_| {}).unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.confusion.classes(), 3);
    assert_eq!(last.confusion.total(), 60);
    assert!(last.test_accuracy > 0.9, "{}", last.test_accuracy);
}

/// The first step's loss is the main cross-entropy plus 0.3 times the
/// head's, computed here from the network's own training pass.
#[test]
fn the_loss_adds_each_heads_cross_entropy_times_its_weight() {
    // two copies of one network: the same seed builds the same weights
    let build = || Tri::<f32, Cpu>::build(&Cpu::seed_from_u64(3));
    let data = Bands::new(16, 4);
    let mut first = None;
    let mut trained = build();
    fit(&mut trained, &data, &data, &config(1), |p| {
        if let (Progress::Step { loss, .. }, None) = (p, first) {
            first = Some(loss);
        }
    })
    .unwrap();
    // the loop's first batch is all 16 samples in its shuffled order; the
    // mean loss does not depend on the order
    let indices: Vec<usize> = (0..16).collect();
    let mut x = Vec::new();
    data.batch_into(&indices, None, &mut x).unwrap();
    let ce = |scores: Vec<f32>| mean_cross_entropy(&scores, &data.labels);
    let mut probe = build();
    let x = Cpu::default().tensor_from_vec(x, (16, sample_len()));
    let out = probe.train_scores(x.leaky_trace()).unwrap();
    assert_eq!(out.aux.len(), 1);
    let (head, weight) = &out.aux[0];
    assert_eq!(*weight, 0.3);
    let want = ce(out.main.as_vec()) + 0.3 * ce(head.as_vec());
    let got = first.unwrap();
    assert!((got - want).abs() < 1e-5, "loop {got}, by hand {want}");
}

#[test]
fn a_head_weighted_zero_does_not_learn_and_one_weighted_does() {
    let dev = Cpu::seed_from_u64(5);
    let data = Bands::new(32, 6);
    let mut idle = TriIdleHead::<f32, Cpu>::build(&dev);
    let before = idle.side.fc.weight.as_vec();
    fit(&mut idle, &data, &data, &config(1), |_| {}).unwrap();
    assert_eq!(idle.side.fc.weight.as_vec(), before);
    let mut busy = Tri::<f32, Cpu>::build(&dev);
    let before = busy.side.fc.weight.as_vec();
    fit(&mut busy, &data, &data, &config(1), |_| {}).unwrap();
    assert_ne!(busy.side.fc.weight.as_vec(), before);
}

#[test]
fn data_the_network_cannot_take_is_refused_with_both_shapes() {
    let dev = Cpu::seed_from_u64(7);
    let mut net = Tri::<f32, Cpu>::build(&dev);
    let good = Bands::new(8, 1);
    let mut wrong_shape = Bands::new(8, 1);
    wrong_shape.dims = vec![1, 8, 9];
    let e = fit(&mut net, &wrong_shape, &good, &config(1), |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("[1, 8, 9]") && e.contains("[2, 6, 6]"), "{e}");
    let mut bad_label = Bands::new(8, 1);
    bad_label.labels[5] = 3;
    let e = fit(&mut net, &good, &bad_label, &config(1), |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("sample 5 of the test split has label 3"), "{e}");
    // and a batch of the wrong row length is an error, not a panic
    let e = net
        .scores(dev.zeros_like(&(2, sample_len() - 1)))
        .unwrap_err()
        .to_string();
    let (short, full) = (sample_len() - 1, sample_len());
    assert!(
        e.contains(&short.to_string()) && e.contains(&full.to_string()),
        "{e}"
    );
}

#[test]
fn evaluation_measures_the_mean_cross_entropy_and_every_sample() {
    let dev = Cpu::seed_from_u64(9);
    let net = Tri::<f32, Cpu>::build(&dev);
    let data = Bands::new(20, 3);
    // batches of 7: the last one is short
    let eval = evaluate_on(&net, &data, 7, &dev).unwrap();
    let mut x = Vec::new();
    let all: Vec<usize> = (0..20).collect();
    data.batch_into(&all, None, &mut x).unwrap();
    let scores = net
        .scores(dev.tensor_from_vec(x, (20, sample_len())))
        .unwrap()
        .as_vec();
    let want = mean_cross_entropy(&scores, &data.labels);
    assert!((eval.loss - want).abs() < 1e-5, "{} vs {want}", eval.loss);
    assert_eq!(eval.confusion.total(), 20);
}
