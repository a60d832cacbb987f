//! LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning
//! applied to document recognition", Proc. IEEE 1998).
//!
//! [`LeNet5`] follows the paper: 32x32 input, trainable subsampling (S2,
//! S4), C3 connected to S2 by the paper's table, LeCun's scaled tanh
//! `1.7159 tanh(2a/3)`. Its parameter column is the lecture's: C1 156,
//! S2 12, C3 1516, S4 32, C5 48120, F6 10164. The paper's output layer is a
//! fixed RBF over 7x12 bitmaps; this one is a trained linear layer (850
//! parameters) under a softmax cross-entropy, as LeNet-5 is trained today.
//!
//! [`LeNet5Modern`] swaps in ReLU, max pooling, a dense C3 and dropout.
//!
//! ```
//! use splotnet::zoo::lenet5::LeNet5;
//! use splotnet::prelude::*;
//!
//! let s = LeNet5::<f32, Cpu>::summary();
//! let params: Vec<u64> = ["c1", "s2", "c3", "s4", "c5", "f6"]
//!     .iter()
//!     .map(|n| s.row(n).unwrap().params)
//!     .collect();
//! assert_eq!(params, [156, 12, 1516, 32, 48120, 10164]);
//! // the paper's connections column, computed: `println!("{s:#}")` shows it
//! let connections: Vec<Option<u64>> = ["c1", "s2", "c3", "s4", "c5", "f6"]
//!     .iter()
//!     .map(|n| s.row(n).unwrap().connections)
//!     .collect();
//! assert_eq!(
//!     connections,
//!     [122_304, 5_880, 151_600, 2_000, 48_120, 10_164].map(Some)
//! );
//! ```

use crate::layers::ConnectionTable;
use crate::network;

/// LeNet-5's C3 table (LeCun et al. 1998, Table I): rows are S2's six maps,
/// and each lists the C3 maps it feeds. It breaks the symmetry between C3's
/// maps and cuts the connections from 96 to 60.
pub struct LeNet5C3;

impl LeNet5C3 {
    const ROWS: [&'static [usize]; 6] = [
        &[0, 4, 5, 6, 9, 10, 11, 12, 14, 15],
        &[0, 1, 5, 6, 7, 10, 11, 12, 13, 15],
        &[0, 1, 2, 6, 7, 8, 11, 13, 14, 15],
        &[1, 2, 3, 6, 7, 8, 9, 12, 14, 15],
        &[2, 3, 4, 7, 8, 9, 10, 12, 13, 15],
        &[3, 4, 5, 8, 9, 10, 11, 13, 14, 15],
    ];
}

impl ConnectionTable for LeNet5C3 {
    fn connected(out: usize, inp: usize) -> bool {
        Self::ROWS.get(inp).is_some_and(|row| row.contains(&out))
    }
}

network! {
    /// LeNet-5 as in the 1998 paper (see the module docs).
    pub LeNet5(input: [1, 32, 32]) {
        c1: conv(6, k = 5)                   -> [6, 28, 28],
        scaled_tanh,
        s2: subsample(k = 2)                 -> [6, 14, 14],
        scaled_tanh,
        c3: conv(16, k = 5, table = LeNet5C3) -> [16, 10, 10],
        scaled_tanh,
        s4: subsample(k = 2)                 -> [16, 5, 5],
        scaled_tanh,
        c5: conv(120, k = 5)                 -> [120, 1, 1],
        scaled_tanh,
        flatten,
        f6: linear(84),
        scaled_tanh,
        out: linear(10),
    }
}

network! {
    /// LeNet-5 with today's habits: ReLU, max pooling, dense C3, dropout.
    pub LeNet5Modern(input: [1, 32, 32]) {
        c1: conv(6, k = 5)         -> [6, 28, 28],
        relu,
        s2: max_pool(k = 2)        -> [6, 14, 14],
        c3: conv(16, k = 5)        -> [16, 10, 10],
        relu,
        s4: max_pool(k = 2)        -> [16, 5, 5],
        c5: conv(120, k = 5)       -> [120, 1, 1],
        relu,
        flatten,
        dropout(p = 0.25),
        f6: linear(84),
        relu,
        out: linear(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use crate::testing::{assert_close, numeric_grad, values, weighted_loss, weighted_sum};
    use typenum::{U1, U32};

    type Image = Tensor<(usize, N<U1>, N<U32>, N<U32>), f32, Cpu>;

    #[test]
    fn activations_are_every_named_layers_output_on_the_first_digit() {
        let dev = Cpu::seed_from_u64(4);
        let net = LeNet5::<f32, Cpu>::build(&dev);
        let x: Image = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
        let acts = net.activations(x.clone()).unwrap();
        let names: Vec<&str> = acts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["c1", "s2", "c3", "s4", "c5", "f6", "out"]);
        assert_eq!(acts[2].shape, [16, 10, 10]);
        assert_eq!(acts[2].values.len(), 1600, "the first digit only");
        let logits = net.forward(x.clone()).unwrap().as_vec();
        assert_eq!(acts[6].values, logits[..10]);
        // the recorded pass runs the fused layers apart: c1's own output,
        // before the tanh that `forward` fuses into it
        let c1 = net.c1.forward(x).as_vec();
        let first_image: usize = acts[0].shape.iter().product();
        assert_eq!(acts[0].values, c1[..first_image]);
    }

    #[test]
    fn the_fused_forward_pass_equals_the_layers_one_by_one() {
        use crate::layers::ScaledTanh;
        let dev = Cpu::seed_from_u64(5);
        let net = LeNet5::<f32, Cpu>::build(&dev);
        let x: Image = dev.sample_normal_like(&(3, N::new(), N::new(), N::new()));
        let t = ScaledTanh;
        let y = t.forward(net.c1.forward(x.clone()));
        let y = t.forward(net.s2.forward(y));
        let y = t.forward(net.c3.forward(y));
        let y = t.forward(net.s4.forward(y));
        let y = t.forward(net.c5.forward(y));
        let y = t.forward(net.f6.forward(crate::layers::Flatten.forward(y)));
        let apart = net.out.forward(y).as_vec();
        assert_close(&net.forward(x).unwrap().as_vec(), &apart, 1e-5, "logits");
    }

    #[test]
    fn metrics_survive_a_csv_round_trip() {
        let m = crate::train::EpochMetrics {
            epoch: 3,
            lr: 0.0125,
            train_loss: 0.074,
            train_accuracy: 0.9778,
            test_accuracy: 0.965,
            test_top5: 0.998,
            test_loss: 0.105,
            images_per_sec: 4094.0,
            seconds: 1.6,
            confusion: Default::default(),
        };
        let back = crate::train::EpochMetrics::from_csv_row(&m.csv_row()).unwrap();
        assert_eq!((back.epoch, back.lr, back.train_loss), (3, 0.0125, 0.074));
        assert_eq!((back.test_accuracy, back.seconds), (0.965, 1.6));
        assert_eq!((back.test_top5, back.test_loss), (0.998, 0.105));
        assert!(crate::train::EpochMetrics::from_csv_row("epoch,lr").is_none());
        // a row of a run written before the test loss was recorded
        let old = "3,0.0125,0.074000,0.977800,0.965000,4094.0,1.60,0.998000";
        let back = crate::train::EpochMetrics::from_csv_row(old).unwrap();
        assert!(back.test_loss.is_nan() && back.test_top5 == 0.998);
    }

    #[test]
    fn summary_has_the_lectures_parameter_column() {
        let s = LeNet5::<f32, Cpu>::summary();
        let rows: Vec<(String, u64)> = s
            .rows
            .iter()
            .filter(|r| !r.name.is_empty())
            .map(|r| (r.name.clone(), r.params))
            .collect();
        let expect = [
            ("c1", 156),
            ("s2", 12),
            ("c3", 1516),
            ("s4", 32),
            ("c5", 48120),
            ("f6", 10164),
            ("out", 850),
        ];
        assert_eq!(rows, expect.map(|(n, p)| (n.to_string(), p)).to_vec());
        assert_eq!(
            s.row("c3").unwrap().output,
            vec![Some(16), Some(10), Some(10)]
        );
    }

    #[test]
    fn c3_follows_the_connection_table() {
        let dev = Cpu::seed_from_u64(3);
        let net = LeNet5::<f32, Cpu>::build(&dev);
        let x: Image = dev.sample_normal_like(&(2, N::new(), N::new(), N::new()));
        let y = net.forward(x.leaky_trace()).unwrap();
        let grads = y.square().mean().backward();
        let g = grads.get(&net.c3.weight).as_vec();
        // S2 map 0 feeds C3 maps 0 4 5 6 9 10 11 12 14 15, not 1 2 3 7 8 13
        let kernel = |o: usize, c: usize| &g[(o * 6 + c) * 25..(o * 6 + c + 1) * 25];
        for o in [1, 2, 3, 7, 8, 13] {
            assert!(
                kernel(o, 0).iter().all(|v| *v == 0.0),
                "C3 map {o} must not learn from S2 map 0"
            );
        }
        for o in [0, 4, 5, 6, 9] {
            assert!(
                kernel(o, 0).iter().any(|v| *v != 0.0),
                "C3 map {o} learns from S2 map 0"
            );
        }
        let connected = (0..16)
            .map(|o| {
                (0..6)
                    .filter(|&c| kernel(o, c).iter().any(|v| *v != 0.0))
                    .count()
            })
            .sum::<usize>();
        assert_eq!(connected, 60);
    }

    #[test]
    fn subsample_and_table_conv_gradients_match_finite_differences() {
        use super::LeNet5C3;
        use crate::layers::{Subsample2d, TableConv2d};
        use typenum::{U14, U16, U2, U5, U6};
        let dev = Cpu::seed_from_u64(4);
        let s2 = Subsample2d::<U6, U2, f32, Cpu>::build(&dev);
        let c3 = TableConv2d::<U6, U16, U5, LeNet5C3, f32, Cpu>::build(&dev);
        let xv = values(6 * 14 * 14, 9);
        type X = Tensor<(usize, N<U6>, N<U14>, N<U14>), f32, Cpu>;
        let r = values(16 * 10 * 10, 10);
        // gradient of the subsampling layer's input
        let x: X = dev.tensor_from_vec(xv.clone(), (1, N::new(), N::new(), N::new()));
        let a = s2.try_forward(x.leaky_trace()).unwrap();
        let grads = weighted_loss(a, &values(6 * 49, 11)).backward();
        let numeric = numeric_grad(&xv, 1e-2, |v| {
            let x: X = dev.tensor_from_vec(v.to_vec(), (1, N::new(), N::new(), N::new()));
            weighted_sum(&s2.try_forward(x).unwrap().as_vec(), &values(6 * 49, 11))
        });
        assert_close(&grads.get(&x).as_vec(), &numeric, 3e-3, "subsample dx");
        // gradient of the table convolution's weight (masked entries get 0)
        let x: X = dev.tensor_from_vec(xv.clone(), (1, N::new(), N::new(), N::new()));
        let y = c3.try_forward(x.leaky_trace()).unwrap();
        let grads = weighted_loss(y, &r).backward();
        let w = c3.weight.as_vec();
        let numeric = numeric_grad(&w, 1e-2, |v| {
            let mut probe = c3.clone();
            probe.weight = dev.tensor_from_vec(v.to_vec(), *c3.weight.shape());
            let x: X = dev.tensor_from_vec(xv.clone(), (1, N::new(), N::new(), N::new()));
            weighted_sum(&probe.try_forward(x).unwrap().as_vec(), &r)
        });
        assert_close(
            &grads.get(&c3.weight).as_vec(),
            &numeric,
            3e-3,
            "table conv dw",
        );
    }

    #[test]
    fn modern_variant_runs() {
        let dev = Cpu::seed_from_u64(5);
        let mut net = LeNet5Modern::<f32, Cpu>::build(&dev);
        let x: Image = dev.sample_normal_like(&(3, N::new(), N::new(), N::new()));
        assert_eq!(
            net.forward_train(x.leaky_trace())
                .unwrap()
                .shape()
                .concrete(),
            [3, 10]
        );
        assert_eq!(LeNet5Modern::<f32, Cpu>::summary().params(), 61_706);
    }
}
