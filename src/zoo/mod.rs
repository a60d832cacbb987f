//! Architectures from the lecture, declared with [`network!`](crate::network).
//!
//! LeNet-5 and the generic building blocks (ResNet's, GoogLeNet's, DenseNet's)
//! are always here; torchvision's whole models come with the `zoo` feature,
//! which keeps them out of builds that do not use them.

#[cfg(feature = "zoo")]
pub mod alexnet;
pub mod densenet;
pub mod googlenet;
pub mod lenet5;
pub mod resnet;
#[cfg(feature = "zoo")]
pub mod vgg;
