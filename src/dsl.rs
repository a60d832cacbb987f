//! # The `network!` language
//!
//! `network!` declares a convolutional network once; the compiler derives and
//! checks every feature-map shape, and the declaration documents them.
//!
//! ```text
//! network! {
//!     /// docs                                   (optional, any attributes)
//!     pub Name(input: [C, H, W]) {               (H, W: numbers, or _ for a runtime size;
//!                                                 [C, L] for sequences, [C, D, H, W] for
//!                                                 volumes, [F] for features;
//!                                                 Name<CLASSES = 1000>(..) adds a size
//!                                                 parameter with its default)
//!         name: kind(args) -> [C, H, W],         (name and annotation optional)
//!         block_name: residual { layers },       (identity shortcut)
//!         block_name: residual(project) { .. },  (1x1 projection when the shape changes)
//!         block_name: concat { b1: [layers], b2: [layers] },  (branches, channels stacked)
//!         block_name: dense(layers = n) { layers },  (DenseNet: each sees all before)
//!         block_name: highway { layers },        (gated: T·body(x) + (1-T)·x)
//!         head_name: aux { layers },             (an extra output, from forward_train_aux;
//!                                                 `aux(weight = w)`: its loss weight in fit)
//!         name: block(Generic) -> [C, H, W],     (a generic block; the output is stated)
//!         name: block(Inception<64, 96>) -> [..], (a block with size parameters)
//!         crop_concat(from = name),              (an earlier layer's maps, centre-cropped,
//!                                                 stacked before the current ones: U-Net)
//!         add(from = name),                      (the same, added: FCN's score fusion)
//!         fuse: add(from = name) { layers },     (the earlier maps through layers first)
//!         crop(to = input),                      (cut to an earlier size where they line up)
//!         max_unpool(from = pool),               (values back at the pool's maxima)
//!         ...
//!     }
//! }
//!
//! network! {
//!     pub block Generic(input: [C, H, W]) {      (generic over C and the sizes;
//!                                                 Generic<A, B>(..) adds size parameters
//!                                                 that each use gives)
//!         name: conv(C, k = 3, p = 1), ...       (C: as many filters as input channels)
//!     }
//! }
//! ```
//!
//! The tables below are generated from the table of kinds the macro itself
//! reads, so they list exactly what it accepts.
//!
#![doc = splotnet_macros::grammar_table!()]
//!
//! Sequences (`input: [C, L]`) take `conv`, the pools, `batch_norm`, `lrn`,
//! `flatten`, the global pools, activations and dropout, all along the length
//! (each window argument a single number).
//!
//! A generic block takes every layer and block a network takes. Its channel
//! counts may be arithmetic on its input's `C` with `+ - * /` and numbers:
//! `conv(C / 4, k = 1)`, `conv(C * 4, k = 1)`, `conv(2 * C, ..)`. Sizes are
//! kept in a normal form, so the checker sees that a padded 3x3 convolution
//! keeps `H` and that `C / 4 * 4` is not always `C`. Each use of a block in
//! a network is checked at its channel count: a division that is not whole
//! there (`C / 4` at 6 channels) is a compile error naming the use, the
//! layer and the numbers.
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
//!   batch with any tape and returning `splotnet::Result`. A 2D `conv` or a
//!   `subsample` followed by `tanh` or `scaled_tanh` runs as one op there
//!   ([`crate::layers::SquashedForward`]): same values, one pass and one
//!   buffer fewer. `activations` runs them apart, so it still sees the
//!   layer's own output;
//! - `Name::summary()`: output shape, parameters, multiply-adds, receptive
//!   field and jump per layer;
//! - with auxiliary heads, `forward_train_aux`, returning the main output and
//!   a `NameAux` struct of the heads' outputs;
//! - for a network whose input sizes are numbers and whose output (and
//!   every head's) is a vector of class scores, an impl of
//!   [`crate::train::Classifier`], so [`crate::train::fit`] trains it, each
//!   head's cross-entropy weighted by its `aux(weight = ..)` (default 0.3,
//!   GoogLeNet's);
//! - for a generic `block`, a struct `Name<C, E, D>` implementing dfdx's
//!   `Module` and `ModuleMut` for any batch, size and tape, and
//!   `Name::<C, ..>::param_count()`.
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
//! let x: Tensor<(usize, N<splotnet::typenum::U1>, N<splotnet::typenum::U32>, N<splotnet::typenum::U32>), f32, Cpu> =
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
//!     let x: Tensor<(usize, N<splotnet::typenum::U3>, usize, usize), f32, Cpu> =
//!         dev.zeros_like(&(1, N::new(), size, size));
//!     assert_eq!(net.forward(x).unwrap().shape().concrete(), [1, 2]);
//! }
//! ```
//!
//! ## Example: sequences
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// A 1D classifier for 3-channel signals of 128 samples.
//!     Signal(input: [3, 128]) {
//!         c1: conv1d(16, k = 7, s = 2, p = 3) -> [16, 64],
//!         bn: batch_norm, relu,
//!         pool: max_pool(k = 2)               -> [16, 32],
//!         c2: conv(32, k = 3, d = 2, p = same) -> [32, 32],
//!         relu,
//!         global_avg_pool,
//!         head: linear(4),
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let net = Signal::<f32, Cpu>::build(&dev);
//! let x: Tensor<(usize, N<splotnet::typenum::U3>, N<splotnet::typenum::U128>), f32, Cpu> =
//!     dev.zeros_like(&(2, N::new(), N::new()));
//! assert_eq!(net.forward(x).unwrap().shape().concrete(), [2, 4]);
//! assert_eq!(net.c1.weight.shape().concrete(), [16, 3, 7]);
//! ```
//!
//! ## Example: dense, highway and auxiliary heads
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     Mixed(input: [3, 16, 16]) {
//!         stem: conv(8, k = 3, p = 1),
//!         // growth rate 4: 8 + 3·4 = 20 channels, a type the compiler adds up
//!         d: dense(layers = 3) { bn: batch_norm, relu, c: conv(4, k = 3, p = 1) } -> [20, 16, 16],
//!         side: aux { global_avg_pool, fc: linear(10) },
//!         h: highway(gate_bias = -2) { c: conv(20, k = 3, p = 1), relu },
//!         global_avg_pool,
//!         head: linear(10),
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let mut net = Mixed::<f32, Cpu>::build(&dev);
//! let x: Tensor<(usize, N<splotnet::typenum::U3>, N<splotnet::typenum::U16>, N<splotnet::typenum::U16>), f32, Cpu> =
//!     dev.zeros_like(&(2, N::new(), N::new(), N::new()));
//! let (main, aux) = net.forward_train_aux(x.leaky_trace()).unwrap();
//! // GoogLeNet's training loss weights an auxiliary head by 0.3
//! let loss = main.square().mean() + aux.side.square().mean() * 0.3;
//! let grads = loss.backward();
//! let _ = grads.get(&net.side.fc.weight);
//!
//! // `splotnet::train::fit` adds the head's cross-entropy times its weight
//! use splotnet::train::Classifier;
//! let rows = dev.zeros_like(&(2, <Mixed<f32, Cpu> as Classifier<Cpu>>::sample_len()));
//! let scores = net.train_scores(rows.leaky_trace()).unwrap();
//! assert_eq!(scores.aux.len(), 1);
//! assert_eq!(scores.aux[0].1, 0.3);
//! ```
//!
//! ## Example: a generic block
//!
//! A `block` is declared once and used at any channel count and size. Its
//! sizes are derived by the compiler at each use (one size rule per window
//! layer), so a use states the output it expects, and the compiler checks
//! it.
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// ResNet's basic block, at any channel count C and size.
//!     pub block Basic(input: [C, H, W]) {
//!         body: residual {
//!             a: conv(C, k = 3, p = 1), bn1: batch_norm, relu,
//!             b: conv(C, k = 3, p = 1), bn2: batch_norm,
//!         },
//!         relu,
//!     }
//! }
//!
//! network! {
//!     Net(input: [3, 32, 32]) {
//!         stem: conv(16, k = 3, p = 1),
//!         b1: block(Basic)                -> [16, 32, 32],
//!         down: conv(32, k = 3, s = 2, p = 1),
//!         b2: block(Basic)                -> [32, 16, 16],
//!         global_avg_pool,
//!         head: linear(10),
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let net = Net::<f32, Cpu>::build(&dev);
//! let x: Tensor<(usize, N<splotnet::typenum::U3>, N<splotnet::typenum::U32>, N<splotnet::typenum::U32>), f32, Cpu> =
//!     dev.zeros_like(&(1, N::new(), N::new(), N::new()));
//! assert_eq!(net.forward(x).unwrap().shape().concrete(), [1, 10]);
//! // 18·C² + 6·C parameters at C input channels
//! assert_eq!(Basic::<splotnet::typenum::U16, f32, Cpu>::param_count(), 18 * 256 + 6 * 16);
//! ```
//!
//! A use at a size the block cannot take is a compile error at the use:
//! *"the kernel does not fit: its span D(K-1)+1 is larger than the padded
//! input in+2P"*.
//!
//! ```compile_fail
//! use splotnet::prelude::*;
//! network! {
//!     pub block Valid(input: [C, H, W]) { c: conv(16, k = 5), relu }
//! }
//! network! {
//!     Net(input: [4, 3, 3]) { v: block(Valid) -> [16, 1, 1] }
//! }
//! ```
//!
//! ## Example: channel arithmetic, and blocks inside generic blocks
//!
//! ResNet-50's bottleneck, written once for every stage: 1x1 down to
//! `C / 4` channels, 3x3, 1x1 back to `C`; and an Inception-style mixer
//! whose branches are sized by `C`.
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     pub block Bottleneck(input: [C, H, W]) {
//!         body: residual {
//!             a: conv(C / 4, k = 1, bias = false), bn1: batch_norm, relu,
//!             b: conv(C / 4, k = 3, p = 1, bias = false), bn2: batch_norm, relu,
//!             c: conv(C, k = 1, bias = false), bn3: batch_norm,
//!         },
//!         relu,
//!     }
//! }
//!
//! network! {
//!     pub block Mix(input: [C, H, W]) {
//!         m: concat {
//!             narrow: [a: conv(C / 2, k = 1)],
//!             wide: [b: conv(2 * C, k = 3, p = 1)],
//!         },
//!     }
//! }
//!
//! network! {
//!     Net(input: [3, 16, 16]) {
//!         stem: conv(64, k = 3, p = 1),
//!         mix: block(Mix) -> [160, 16, 16],
//!         b1: block(Bottleneck) -> [160, 16, 16],
//!         global_avg_pool,
//!         fc: linear(10),
//!     }
//! }
//!
//! // torchvision's Bottleneck(256, 64): 69,632 conv weights and 768 batch-norm ones
//! assert_eq!(Bottleneck::<splotnet::typenum::U256, f32, Cpu>::param_count(), 70_400);
//! let dev: Cpu = Default::default();
//! let net = Net::<f32, Cpu>::build(&dev);
//! assert_eq!(Net::<f32, Cpu>::summary().params() as usize, net.num_trainable_params());
//! ```
//!
//! Used at a channel count its arithmetic cannot take, a block is a compile
//! error at the use: *"b1: block `Bottleneck` at 6 input channels: layer
//! `a` needs `C / 4` channels, and C = 6 is not a multiple of 4"*.
//!
//! ```compile_fail
//! use splotnet::prelude::*;
//! network! {
//!     pub block Squeeze(input: [C, H, W]) { a: conv(C / 4, k = 1), b: conv(C, k = 1) }
//! }
//! network! {
//!     Net(input: [6, 8, 8]) { b1: block(Squeeze) -> [6, 8, 8] }
//! }
//! ```
//!
//! ## Size parameters
//!
//! A generic block may take sizes of its own, after its name, which each
//! use gives: GoogLeNet's inception module is one block over its six branch
//! widths, and the compiler adds up its output channels. A network may take
//! size parameters too, each with a default: the zoo's classifiers take
//! their class count this way. A network's parameters are used as they
//! are; arithmetic on them belongs in a generic block. The generated code
//! keeps `B`, `D`, `E`, `T` and `V` for itself (batch, device, element,
//! tape, visitor).
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// Two branches of widths `ONE` and `THREE`, stacked.
//!     pub block Pair<ONE, THREE>(input: [C, H, W]) {
//!         m: concat {
//!             one: [c: conv(ONE, k = 1)],
//!             three: [c: conv(THREE, k = 3, p = 1)],
//!         },
//!     }
//! }
//!
//! network! {
//!     Net<CLASSES = 10>(input: [3, 16, 16]) {
//!         p1: block(Pair<8, 24>) -> [32, 16, 16],
//!         p2: block(Pair<16, 16>) -> [32, 16, 16],
//!         global_avg_pool,
//!         fc: linear(CLASSES) -> [CLASSES],
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let x: Tensor<(usize, N<splotnet::typenum::U3>, N<splotnet::typenum::U16>, N<splotnet::typenum::U16>), f32, Cpu> =
//!     dev.zeros_like(&(2, N::new(), N::new(), N::new()));
//! let ten = Net::<f32, Cpu>::build(&dev);
//! assert_eq!(ten.forward(x.clone()).unwrap().shape().concrete(), [2, 10]);
//! let four = Net::<f32, Cpu, splotnet::typenum::U4>::build(&dev);
//! assert_eq!(four.forward(x).unwrap().shape().concrete(), [2, 4]);
//! assert_eq!(Net::<f32, Cpu, splotnet::typenum::U4>::summary().params() as usize, four.num_trainable_params());
//! ```
//!
//! Every mistake in a declaration is reported, not only the first.
//!
//! ## PyTorch's names: `#[key = ..]`
//!
//! A field's state-dict key is its name, unless `#[key = "layer1.0"]` gives
//! another (dotted and numeric segments included); `#[key = ""]` makes a
//! block add no level of its own, so its layers' keys sit in the level
//! above. A generic block used elsewhere adds no level only as the whole of
//! a dense layer (`dense(..) { #[key = ""] layer: block(DenseLayer<..>) -> [..] }`,
//! torchvision's `_DenseLayer`; see [`crate::zoo::densenet`]), where the
//! layer's own key is its level. With both, a declaration saves and loads
//! exactly torchvision's names:
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// torchvision's `BasicBlock`: `conv1.weight`, not `body.conv1.weight`.
//!     pub block TvBasic(input: [C, H, W]) {
//!         #[key = ""]
//!         body: residual {
//!             conv1: conv(C, k = 3, p = 1, bias = false), bn1: batch_norm, relu,
//!             conv2: conv(C, k = 3, p = 1, bias = false), bn2: batch_norm,
//!         },
//!         relu,
//!     }
//! }
//!
//! network! {
//!     Stage(input: [64, 56, 56]) {
//!         #[key = "layer1.0"]
//!         layer1_0: block(TvBasic) -> [64, 56, 56],
//!     }
//! }
//!
//! let dev: Cpu = Default::default();
//! let net = Stage::<f32, Cpu>::build(&dev);
//! let path = std::env::temp_dir().join(format!("dsl-keys-{}.safetensors", std::process::id()));
//! net.save_safetensors(&path).unwrap();
//! let bytes = std::fs::read(&path).unwrap();
//! std::fs::remove_file(&path).unwrap();
//! let header = String::from_utf8_lossy(&bytes[8..]);
//! assert!(header.contains("\"layer1.0.conv1.weight\""));
//! assert!(header.contains("\"layer1.0.bn2.running_var\""));
//! assert!(!header.contains("body"));
//! ```
//!
//! ## Volumes: 3D convolution and pooling
//!
//! `input: [C, D, H, W]` declares volumes (video clips, fMRI, RGB
//! volumes). `conv3d` (or `conv` on a volume), `max_pool` and `avg_pool`
//! then slide along depth, height and width, each per-axis argument one
//! number or a triple `(depth, height, width)`, and the size formula holds
//! per axis; `batch_norm`, activations, dropout and the global pools work
//! per channel as on maps. Blocks take 2D maps.
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// 8-frame 16x16 clips to 3 classes.
//!     pub Clip3d(input: [1, 8, 16, 16]) {
//!         c1: conv3d(4, k = 3, p = 1) -> [4, 8, 16, 16],
//!         bn1: batch_norm,
//!         relu,
//!         max_pool(k = (1, 2, 2)) -> [4, 8, 8, 8],
//!         c2: conv(6, k = 3, s = (2, 1, 1)) -> [6, 3, 6, 6],
//!         global_avg_pool,
//!         fc: linear(3),
//!     }
//! }
//!
//! assert_eq!(Clip3d::<f32, Cpu>::summary().row("c1").unwrap().kind, "Conv3d 3x3x3");
//! ```
//!
//! ## Skip connections: U-Net's copy and crop
//!
//! `crop_concat(from = d1)` joins the output of the earlier layer `d1` of
//! the same sequence to the current maps: `d1`'s maps are centre-cropped to
//! the current height and width, then stacked before the current maps
//! along channels. `add(from = d1)` adds them instead (equal channels).
//! The macro checks that the crop is whole (the earlier maps as large or
//! larger by an even amount per axis) and names both layers when it is
//! not; the types check it again through [`crate::formula::CropsTo`].
//! Skips are for networks; a generic block's sizes are symbolic.
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     /// One unpadded U-Net level: 12 → 8 kept, pooled to 4, 2, up to 4.
//!     pub Level(input: [1, 12, 12]) {
//!         c1: conv(8, k = 3), relu,
//!         c2: conv(8, k = 3), d1: relu -> [8, 8, 8],
//!         max_pool(k = 2),
//!         c3: conv(16, k = 3), relu -> [16, 2, 2],
//!         up: conv_transpose(8, k = 2, s = 2) -> [8, 4, 4],
//!         crop_concat(from = d1) -> [16, 4, 4],
//!         score: conv(2, k = 1),
//!     }
//! }
//!
//! let s = Level::<f32, Cpu>::summary();
//! assert_eq!(s.output(), [Some(2), Some(4), Some(4)]);
//! ```
//!
//! At an input of 11 the kept maps are 9x9 and the up-convolution's 8x8:
//! *"`crop_concat(from = d1)`: `d1`'s 8x9x9 maps cannot be centre-cropped
//! to the 8x8x8 maps of `up`: the heights differ by 1, an odd number, so
//! the crop would not be centred"*.
//!
//! ```compile_fail
//! use splotnet::prelude::*;
//! network! {
//!     Level(input: [1, 11, 11]) {
//!         c1: conv(8, k = 3), d1: relu,
//!         max_pool(k = 2),
//!         up: conv_transpose(8, k = 2, s = 2),
//!         crop_concat(from = d1),
//!     }
//! }
//! ```
//!
//! A skip can take layers that the earlier maps go through first, FCN's
//! score layers: `fuse: add(from = pool4) { score_pool4: conv(21, k = 1) }`
//! (a skip with layers needs a name; `#[key = ""]` keeps the layers'
//! tensors at the network's level, `score_pool4.weight`).
//!
//! `crop(to = NAME)` (or `to = input`) cuts the current maps to the height
//! and width of an earlier layer's, at the offset where their outputs line
//! up on the input image: the macro follows each output's centre and
//! spacing through the windows and transposed convolutions (as Caffe's
//! `coord_map` does), which gives FCN-32s its crop of 19 pixels. An offset
//! that is not whole, or maps too small to hold the target, is a compile
//! error.
//!
//! ```
//! use splotnet::prelude::*;
//!
//! network! {
//!     pub TinyFcn(input: [1, 16, 16]) {
//!         c1: conv(4, k = 3, p = 5) -> [4, 24, 24],
//!         p1: max_pool(k = 2) -> [4, 12, 12],
//!         c2: conv(4, k = 3),
//!         max_pool(k = 2) -> [4, 5, 5],
//!         score: conv(2, k = 1),
//!         up2: conv_transpose(2, k = 4, s = 2, bias = false) -> [2, 12, 12],
//!         fuse: add(from = p1) { score_p1: conv(2, k = 1) },
//!         up: conv_transpose(2, k = 4, s = 2, bias = false) -> [2, 26, 26],
//!         crop(to = input) -> [2, 16, 16],
//!     }
//! }
//!
//! let s = TinyFcn::<f32, Cpu>::summary();
//! assert_eq!(s.rows.last().unwrap().kind, "Crop to input at (5, 5)");
//! ```
//!
//! `nn_unpool(2)` and `bed_of_nails(2)` upsample by a factor per axis
//! (see [`crate::ops::unpool`]); `p1: max_pool(k = 2)` then
//! `max_unpool(from = p1)` puts values back where the pool found its
//! maxima (see [`crate::ops::pool::switches`]), and the maps it unpools
//! must have the pool's output shape.
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
