//! Architectures from the lecture, declared with [`network!`](crate::network).
//!
//! LeNet-5 is always here; torchvision's models (`alexnet`, `vgg`, `resnet`)
//! come with the `zoo` feature, which keeps them out of builds that do not
//! use them.

#[cfg(feature = "zoo")]
pub mod alexnet;
pub mod lenet5;
#[cfg(feature = "zoo")]
pub mod resnet;
#[cfg(feature = "zoo")]
pub mod vgg;
