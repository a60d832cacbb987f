//! Architectures from the lecture, declared with [`network!`](crate::network).
//!
//! LeNet-5 and the generic building blocks (ResNet's, GoogLeNet's, DenseNet's)
//! are always here; torchvision's whole models come with the `zoo` feature,
//! which keeps them out of builds that do not use them.
//!
//! Each classifier takes its class count as a size parameter, `CLASSES`,
//! 1000 (ImageNet's) unless given, as torchvision's `num_classes`:
//!
//! ```
//! # #[cfg(feature = "zoo")] {
//! use splotnet::prelude::*;
//! use splotnet::typenum::U10;
//! use splotnet::zoo::resnet::ResNet18;
//!
//! // 512·1000 + 1000 weights in the last layer become 512·10 + 10
//! let imagenet = ResNet18::<f32, Cpu>::summary().params();
//! let ten = ResNet18::<f32, Cpu, U10>::summary().params();
//! assert_eq!(imagenet - ten, 513 * 990);
//! # }
//! ```

#[cfg(feature = "zoo")]
pub mod alexnet;
pub mod densenet;
#[cfg(feature = "zoo")]
pub mod fcn;
pub mod googlenet;
#[cfg(feature = "zoo")]
pub mod highway;
pub mod lenet5;
pub mod resnet;
pub mod unet;
#[cfg(feature = "zoo")]
pub mod vgg;
