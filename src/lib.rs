//! splotnet: convolutional networks whose feature-map shapes are checked by the compiler.
#![warn(missing_docs)]

pub mod dims;
mod error;
pub mod formula;
pub mod ops;
#[cfg(test)]
mod testing;

pub use error::{Error, Result};

/// The names most programs need: dfdx's prelude plus splotnet's dims and ops.
pub mod prelude {
    pub use crate::dims::{Size, N};
    pub use crate::formula::{Exact, Floor};
    pub use dfdx::prelude::*;
}
