//! Looking inside a declared network: the layer table (`summary()`) and
//! the outputs of its layers (`activations()`). Generated code names these
//! types, so they sit below the models and above nothing but dfdx: models
//! do not depend on plotting or training.

mod activation;
mod summary;

pub use activation::{Activation, NoRecord, Recorder};
pub use summary::{si, thousands, ForBatch, Row, Summary};
