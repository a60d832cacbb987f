//! A highway network (Srivastava, Greff and Schmidhuber, "Training very deep
//! networks", NeurIPS 2015) as the lecture describes it: every layer
//! computes `h = T(x)·f(x) + (1 - T(x))·x` with a learned sigmoid gate `T`.
//! This is the paper's MNIST setting: a plain fully connected layer of 50
//! units, then 9 fully connected highway layers of 50 units (ReLU), then
//! the classifier; the gates' biases start negative (-2 here), so each layer
//! starts close to passing its input through, which is what lets such
//! stacks train at depth.
//!
//! ```
//! use splotnet::prelude::*;
//! use splotnet::zoo::highway::Highway10;
//!
//! let s = Highway10::<f32, Cpu>::summary();
//! // 784·50 + 50, nine layers of two 50x50 linear maps with biases, 50·10 + 10
//! assert_eq!(s.params(), 39_250 + 9 * 2 * 2_550 + 510);
//! ```

use crate::network;

network! {
    /// Ten layers on 28x28 digits: one plain, nine highway (50 units each).
    pub Highway10<CLASSES = 10>(input: [1, 28, 28]) {
        flatten,
        fc0: linear(50), relu,
        h1: highway(gate_bias = -2) { fc: linear(50), relu },
        h2: highway(gate_bias = -2) { fc: linear(50), relu },
        h3: highway(gate_bias = -2) { fc: linear(50), relu },
        h4: highway(gate_bias = -2) { fc: linear(50), relu },
        h5: highway(gate_bias = -2) { fc: linear(50), relu },
        h6: highway(gate_bias = -2) { fc: linear(50), relu },
        h7: highway(gate_bias = -2) { fc: linear(50), relu },
        h8: highway(gate_bias = -2) { fc: linear(50), relu },
        h9: highway(gate_bias = -2) { fc: linear(50), relu },
        out: linear(CLASSES),
    }
}
