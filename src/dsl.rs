//! # The `network!` language
//!
//! `network!` declares a convolutional network once; the compiler derives and
//! checks every feature-map shape, and the declaration documents them.
//!
//! ```text
//! network! {
//!     /// docs                                   (optional, any attributes)
//!     pub Name(input: [C, H, W]) {               (H, W: numbers, or _ for a runtime size)
//!         name: kind(args) -> [C, H, W],         (name and annotation optional)
//!         block_name: residual { layers },       (identity shortcut)
//!         block_name: residual(project) { .. },  (1x1 projection when the shape changes)
//!         block_name: concat { b1: [layers], b2: [layers] },  (branches, channels stacked)
//!         ...
//!     }
//! }
//! ```
//!
//! | layer | arguments | notes |
//! |---|---|---|
//! | `conv(O, k = K)` | `s`, `p` (number, `(h, w)` or `same`), `d`, `groups`, `inputs`, `table = lenet5`, flag `exact` | 2D cross-correlation with bias; needs a name |
//! | `conv_transpose(O, k = K)` | `s`, `p`, `op` (output padding, below `s`), `d`, `groups` | transposed convolution (up-convolution); needs a name |
//! | `subsample(k = K)` | | LeNet's trainable subsampling: window sum × coefficient + bias, per map |
//! | `batch_norm` | | per-channel batch normalisation; needs a name |
//! | `max_pool`, `avg_pool`, `l2_pool` | `k`, `s` (default `k`), `p`, flag `exact` | |
//! | `global_avg_pool`, `global_max_pool` | | maps to features |
//! | `flatten` | | static sizes only |
//! | `linear(O)` | `inputs` | needs a name |
//! | `relu`, `tanh`, `sigmoid`, `scaled_tanh` | | `scaled_tanh` is LeCun's `1.7159 tanh(2a/3)` |
//! | `dropout` | `p` (default 0.5) | active in `forward_train` only |
//! | `lrn` | `n`, `k`, `alpha`, `beta` (AlexNet's by default) | |
//!
//! Every per-axis argument takes a number or a pair `(height, width)`.
//! `inputs = N` states what a layer expects and is checked.
//!
//! The macro generates:
//! - `struct Name<E, D>` with a `pub` field per layer that has parameters
//!   (blocks become nested structs), and dfdx's `TensorCollection`, so
//!   `Name::<f32, Cpu>::build(&dev)`, dfdx's optimisers, `save_safetensors`
//!   and `load_safetensors` work; parameters are named as in PyTorch's
//!   `state_dict` (`c1.weight`, `layer1.conv1.bias`, `layer3.shortcut.weight`);
//! - `forward` (inference) and `forward_train` (dropout on), each taking a
//!   batch with any tape and returning `splotnet::Result`;
//! - `Name::summary()`: output shape, parameters, multiply-adds, receptive
//!   field and jump per layer.
//!
//! ## Example: LeNet-5
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// LeNet-5 (LeCun et al. 1998)
//!     pub LeNet5(input: [1, 32, 32]) {
//!         c1: conv(6, k = 5)           -> [6, 28, 28],
//!         tanh,
//!         s2: avg_pool(k = 2)          -> [6, 14, 14],
//!         c3: conv(16, k = 5)          -> [16, 10, 10],
//!         tanh,
//!         s4: avg_pool(k = 2)          -> [16, 5, 5],
//!         c5: conv(120, k = 5)         -> [120, 1, 1],
//!         flatten,
//!         f6: linear(84), tanh,
//!         out: linear(10),
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let net = LeNet5::<f32, Cpu>::build(&dev);
//! let x: Tensor<(usize, N<typenum::U1>, N<typenum::U32>, N<typenum::U32>), f32, Cpu> =
//!     dev.zeros_like(&(4, N::new(), N::new(), N::new()));
//! let logits = net.forward(x).unwrap();
//! assert_eq!(logits.shape().concrete(), [4, 10]);
//! assert_eq!(LeNet5::<f32, Cpu>::summary().params(), 61_706);
//! ```
//!
//! ## Example: blocks and runtime sizes
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// Fully convolutional: any image size.
//!     Fcn(input: [3, _, _]) {
//!         stem: conv(16, k = 3, p = same), relu,
//!         down: residual(project) {
//!             a: conv(32, k = 3, s = 2, p = 1), relu,
//!             b: conv(32, k = 3, p = same),
//!         },
//!         mix: concat {
//!             wide: [ c: conv(8, k = 5, p = same) ],
//!             thin: [ c: conv(8, k = 1) ],
//!         } -> [16, _, _],
//!         global_avg_pool,
//!         head: linear(2),
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let net = Fcn::<f32, Cpu>::build(&dev);
//! for size in [17, 40] {
//!     let x: Tensor<(usize, N<typenum::U3>, usize, usize), f32, Cpu> =
//!         dev.zeros_like(&(1, N::new(), size, size));
//!     assert_eq!(net.forward(x).unwrap().shape().concrete(), [1, 2]);
//! }
//! ```
//!
//! ## Errors name the layer and the numbers
//!
//! A wrong annotation: *"c3: annotated 16x11x11, computed 16x10x10"*.
//!
//! ```compile_fail
//! use splotnet::prelude::*;
//! network! {
//!     Net(input: [6, 14, 14]) {
//!         c3: conv(16, k = 5) -> [16, 11, 11],
//!     }
//! }
//! ```
//!
//! A residual body that changes the shape needs a projection: *"r1: the body
//! maps 16x32x32 to 32x16x16, so the identity shortcut cannot be added; write
//! `r1: residual(project) { .. }` for a 1x1 projection"*.
//!
//! ```compile_fail
//! use splotnet::prelude::*;
//! network! {
//!     Net(input: [16, 32, 32]) {
//!         r1: residual { a: conv(32, k = 3, s = 2, p = 1) },
//!     }
//! }
//! ```
