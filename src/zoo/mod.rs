//! Architectures from the lecture, declared with [`network!`](crate::network).

pub mod alexnet;
pub mod lenet5;
pub mod resnet;
pub mod vgg;
